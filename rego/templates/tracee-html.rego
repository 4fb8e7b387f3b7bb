package hooker.tracee.html

import rego.v1

import data.hooker.common
import data.hooker.tracee.common as tracee

title := tracee.title

rows := [sprintf("<tr><th>%s</th><td>%s</td></tr>", [common.html(f[0]), common.html(f[1])]) | some f in tracee.present]

data_rows := [sprintf("<tr><th>%s</th><td>%s</td></tr>", [common.html(k), common.html(d[k])]) |
	d := common.get(input, "Data", {})
	some k in sort(object.keys(d))
]

result := concat("\n", array.concat(
	array.concat([sprintf("<h1>%s</h1>", [common.html(tracee.title)]), "<table>"], rows),
	array.concat(["</table>", "<h2>Data</h2>", "<table>"], array.concat(data_rows, ["</table>"])),
))
