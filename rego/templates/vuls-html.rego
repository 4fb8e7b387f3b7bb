package hooker.vuls.html

import rego.v1

import data.hooker.common
import data.hooker.vuls.common as vuls

title := vuls.title

count_cells := concat("", [sprintf("<td>%s %s</td>", [c[0], common.html(c[1])]) | some c in vuls.counts])

rows := [sprintf("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", [
	common.html(v.severity),
	common.html(v.name),
	common.html(v.resource),
	common.html(v.fix),
]) | some v in vuls.vulns]

result := concat("\n", array.concat(
	[
		sprintf("<h1>%s</h1>", [common.html(vuls.title)]),
		sprintf("<p>Image: %s<br>Registry: %s</p>", [common.html(vuls.image), common.html(vuls.registry)]),
		sprintf("<table><tr>%s</tr></table>", [count_cells]),
		"<table>",
		"<tr><th>Severity</th><th>Vulnerability</th><th>Resource</th><th>Fix version</th></tr>",
	],
	array.concat(rows, ["</table>"]),
))
