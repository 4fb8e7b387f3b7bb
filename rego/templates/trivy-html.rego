package hooker.trivy.html

import rego.v1

import data.hooker.common
import data.hooker.trivy.common as trivy

title := trivy.title

rows := [sprintf("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", [
	common.html(v.severity),
	link(v),
	common.html(v.pkg),
	common.html(v.installed),
	common.html(v.fixed),
	common.html(v.target),
]) | some v in trivy.vulns]

link(v) := sprintf("<a href=\"%s\">%s</a>", [common.html(v.url), common.html(v.id)]) if v.url != ""

link(v) := common.html(v.id) if v.url == ""

result := concat("\n", array.concat(
	[
		sprintf("<h1>%s</h1>", [common.html(trivy.title)]),
		sprintf("<p>%s</p>", [common.html(trivy.summary)]),
		"<table>",
		"<tr><th>Severity</th><th>Vulnerability</th><th>Package</th><th>Installed</th><th>Fixed</th><th>Target</th></tr>",
	],
	array.concat(rows, ["</table>"]),
))
