# InSpec / CINC Auditor reports with at least one failed test.
package hooker

import rego.v1

allow if {
	some p in input.profiles
	some c in p.controls
	some r in c.results
	r.status == "failed"
}
