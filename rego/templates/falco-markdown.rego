# A Falco alert, as Falco's http_output posts it (json_output: true) and as
# Falcosidekick's webhook output forwards it: rule, priority, the formatted
# output line and the output fields.
package hooker.falco.markdown

import rego.v1

import data.hooker.common

priority := common.get(input, "priority", "")

rule := common.get(input, "rule", "")

host := common.get(input, "hostname", "")

title := sprintf("Falco %s: %s", [priority, rule]) if host == ""

title := sprintf("Falco %s: %s (%s)", [priority, rule, host]) if host != ""

fields := common.get(input, "output_fields", {})

# evt.time repeats `time` as nanoseconds since the epoch (more digits than a JSON number keeps exactly).
field_rows := [sprintf("| %s | %s |", [common.cell(k), common.cell(fields[k])]) | some k in sort(object.keys(fields)); k != "evt.time"]

facts := [line |
	some f in [["Time", common.get(input, "time", "")], ["Source", common.get(input, "source", "")], ["Tags", concat(", ", [common.text(t) | some t in common.get(input, "tags", [])])]]
	f[1] != ""
	line := sprintf("%s: %s", f)
]

result := concat("\n", array.concat(
	array.concat([sprintf("# %s", [title]), "", sprintf("```\n%s\n```", [common.get(input, "output", "")]), ""], facts),
	array.concat(["", "| Field | Value |", "| --- | --- |"], field_rows),
))
