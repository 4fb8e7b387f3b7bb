# The event as it arrived, pretty enough for an e-mail or a ticket: one
# table row per top-level key, values as escaped JSON.
package hooker.rawmessage.html

import rego.v1

import data.hooker.common

event := object.remove(input, ["hooker", "postee"])

title := "Hooker event"

rows := [sprintf("<tr><th>%s</th><td><pre>%s</pre></td></tr>", [common.html(k), common.html(event[k])]) | some k in sort(object.keys(event))]

result := concat("\n", array.concat(["<table>"], array.concat(rows, ["</table>"])))
