# A Trivy report (ArtifactName, Results[].Vulnerabilities[]) flattened and
# ordered by severity, shared by the Trivy templates.
package hooker.trivy.common

import rego.v1

import data.hooker.common

vulns := [v |
	some sev in common.severities
	some r in input.Results
	some x in common.get(r, "Vulnerabilities", [])
	upper(common.get(x, "Severity", "UNKNOWN")) == sev
	v := {
		"id": x.VulnerabilityID,
		"pkg": x.PkgName,
		"installed": common.get(x, "InstalledVersion", ""),
		"fixed": common.get(x, "FixedVersion", ""),
		"severity": sev,
		"title": common.get(x, "Title", ""),
		"url": common.get(x, "PrimaryURL", ""),
		"target": r.Target,
	}
]

counts := {sev: count([1 | some v in vulns; v.severity == sev]) | some sev in common.severities}

artifact := common.get(input, "ArtifactName", "unknown artifact")

title := sprintf("Trivy: %d vulnerabilities in %s", [count(vulns), artifact])

summary := concat(", ", [sprintf("%s %d", [sev, counts[sev]]) | some sev in common.severities])
