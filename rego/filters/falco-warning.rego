# Falco alerts of priority Warning or above (Emergency, Alert, Critical,
# Error, Warning); Notice, Informational and Debug are left out.
package hooker

import rego.v1

allow if lower(input.priority) in {"emergency", "alert", "critical", "error", "warning"}
