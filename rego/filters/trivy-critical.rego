# Trivy reports with at least one CRITICAL vulnerability.
package hooker

import rego.v1

allow if {
	some r in input.Results
	some v in r.Vulnerabilities
	v.Severity == "CRITICAL"
}
