package hooker.trivyoperator.jira

import rego.v1

import data.hooker.common
import data.hooker.trivyoperator.common as op

title := op.title

rows := [sprintf("|%s|%s|%s|%s|%s|", [
	v.severity,
	id(v),
	common.cell(v.resource),
	common.cell(common.get(v, "installedVersion", "")),
	common.cell(common.get(v, "fixedVersion", "")),
]) | some v in op.vulns]

id(v) := sprintf("[%s|%s]", [v.vulnerabilityID, v.primaryLink]) if common.get(v, "primaryLink", "") != ""

id(v) := v.vulnerabilityID if common.get(v, "primaryLink", "") == ""

result := concat("\n", array.concat(
	[
		sprintf("h1. %s", [op.title]),
		sprintf("*Workload:* %s", [op.workload]),
		sprintf("*Image:* %s", [op.image]),
		op.summary,
		"||Severity||Vulnerability||Resource||Installed||Fixed||",
	],
	rows,
))
