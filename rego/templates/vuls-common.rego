# An image scan result (image, registry, vulnerability_summary, resources[])
# as Aqua sends it: the summary the scan templates show.
package hooker.vuls.common

import rego.v1

import data.hooker.common

summary := common.get(input, "vulnerability_summary", {})

levels := ["critical", "high", "medium", "low", "negligible"]

counts := [[upper(l), common.get(summary, l, 0)] | some l in levels]

image := common.get(input, "image", "unknown image")

registry := common.get(input, "registry", "")

title := sprintf("%s vulnerability scan report", [image])

# One entry per vulnerability of every scanned resource, most severe first.
vulns := [v |
	some l in array.concat(levels, ["other"])
	some r in common.get(input, "resources", [])
	some x in common.get(r, "vulnerabilities", [])
	severity_rank(x) == l
	v := {
		"name": x.name,
		"resource": sprintf("%s %s", [common.get(r.resource, "name", ""), common.get(r.resource, "version", "")]),
		"severity": upper(common.get(x, "aqua_severity", common.get(x, "severity", "unknown"))),
		"fix": common.get(x, "fix_version", ""),
	}
]

severity_of(x) := lower(common.get(x, "aqua_severity", common.get(x, "severity", "unknown")))

# A severity outside the known levels still gets listed, after the others.
severity_rank(x) := severity_of(x) if severity_of(x) in levels

severity_rank(x) := "other" if not severity_of(x) in levels
