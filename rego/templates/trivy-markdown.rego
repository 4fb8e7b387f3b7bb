package hooker.trivy.markdown

import rego.v1

import data.hooker.common
import data.hooker.trivy.common as trivy

title := trivy.title

rows := [sprintf("| %s | %s | %s | %s | %s | %s |", [
	v.severity,
	id(v),
	common.cell(v.pkg),
	common.cell(v.installed),
	common.cell(v.fixed),
	common.cell(v.target),
]) | some v in trivy.vulns]

id(v) := sprintf("[%s](%s)", [v.id, v.url]) if v.url != ""

id(v) := v.id if v.url == ""

result := concat("\n", array.concat(
	[
		sprintf("# %s", [trivy.title]),
		"",
		trivy.summary,
		"",
		"| Severity | Vulnerability | Package | Installed | Fixed | Target |",
		"| --- | --- | --- | --- | --- | --- |",
	],
	rows,
))
