# The event as it arrived, pretty enough for an e-mail or a ticket: one
# table row per top-level key (per item of a top-level array), values as
# escaped JSON; a scalar event is one escaped block.
package hooker.rawmessage.html

import rego.v1

import data.hooker.common

event := object.remove(input, ["hooker", "postee"]) if is_object(input)

event := input if not is_object(input)

title := "Hooker event"

row(k, v) := sprintf("<tr><th>%s</th><td><pre>%s</pre></td></tr>", [common.html(k), common.html(v)])

rows := [row(k, event[k]) | some k in sort(object.keys(event))] if is_object(event)

rows := [row(i, v) | some i, v in event] if is_array(event)

table(rs) := concat("\n", array.concat(["<table>"], array.concat(rs, ["</table>"])))

result := table(rows) if not is_scalar(event)

result := sprintf("<pre>%s</pre>", [common.html(event)]) if is_scalar(event)

is_scalar(x) if {
	not is_object(x)
	not is_array(x)
}
