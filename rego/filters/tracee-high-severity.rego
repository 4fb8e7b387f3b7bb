# Tracee/Tracker detections of severity 3 or more (Postee v0 syntax works too).
package hooker

import rego.v1

allow if input.SigMetadata.Properties.Severity >= 3
