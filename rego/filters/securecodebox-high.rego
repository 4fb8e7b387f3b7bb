# secureCodeBox findings.json arrays with at least one HIGH finding.
package hooker

import rego.v1

allow if {
	is_array(input)
	some f in input
	upper(f.severity) == "HIGH"
}
