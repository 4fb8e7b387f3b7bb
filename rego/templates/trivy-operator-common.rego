# A trivy-operator VulnerabilityReport (metadata, report.artifact,
# report.summary, report.vulnerabilities[]) ordered by severity.
package hooker.trivyoperator.common

import rego.v1

import data.hooker.common

report := common.get(input, "report", {})

artifact := report.artifact

image := sprintf("%s:%s", [common.get(artifact, "repository", "unknown"), common.get(artifact, "tag", "latest")])

workload := sprintf("%s/%s", [input.metadata.namespace, common.get(input.metadata.labels, "trivy-operator.resource.name", input.metadata.name)])

vulns := [v |
	some sev in common.severities
	some v in common.get(report, "vulnerabilities", [])
	upper(common.get(v, "severity", "UNKNOWN")) == sev
]

# Counted from the listed vulnerabilities so the summary always agrees with
# the rows under it (report.summary may describe a longer, truncated list).
counts := {sev: count([1 | some v in vulns; upper(common.get(v, "severity", "UNKNOWN")) == sev]) | some sev in common.severities}

summary := concat(", ", [sprintf("%s %d", [sev, counts[sev]]) | some sev in common.severities])

title := sprintf("trivy-operator: %d vulnerabilities in %s (%s)", [count(vulns), image, workload])
