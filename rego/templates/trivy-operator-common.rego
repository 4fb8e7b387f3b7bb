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

summary := concat(", ", [
	sprintf("CRITICAL %d", [common.get(report.summary, "criticalCount", 0)]),
	sprintf("HIGH %d", [common.get(report.summary, "highCount", 0)]),
	sprintf("MEDIUM %d", [common.get(report.summary, "mediumCount", 0)]),
	sprintf("LOW %d", [common.get(report.summary, "lowCount", 0)]),
	sprintf("UNKNOWN %d", [common.get(report.summary, "unknownCount", 0)]),
])

title := sprintf("trivy-operator: %d vulnerabilities in %s (%s)", [count(vulns), image, workload])
