# An Alertmanager webhook (one notification = one alert group): a title as
# Alertmanager's own default ("[FIRING:2] group labels"), then each alert of the
# group on its own, firing or resolved, with its summary, description, labels
# and times. Alertmanager repeats the notification as the group changes and,
# with send_resolved, once more when it resolves: filter on `input.status`
# (rego/filters/alertmanager-firing.rego) to page only on firing groups.
package hooker.alertmanager.markdown

import rego.v1

import data.hooker.common

group_status := upper(common.get(input, "status", "firing"))

alerts := common.get(input, "alerts", [])

# Alerts of webhook version 4 carry their own status; older senders only the group's.
status(a) := upper(common.get(a, "status", common.get(input, "status", "firing")))

firing := [a | some a in alerts; status(a) == "FIRING"]

group_labels := common.get(input, "groupLabels", {})

common_labels := common.get(input, "commonLabels", {})

group_values := [common.text(group_labels[k]) | some k in sort(object.keys(group_labels))]

# Alertmanager's default subject adds the common labels that are not group labels, in parentheses.
extra_values := [common.text(common_labels[k]) | some k in sort(object.keys(common_labels)); not k in object.keys(group_labels)]

extra := sprintf(" (%s)", [concat(" ", extra_values)]) if count(extra_values) > 0

extra := "" if count(extra_values) == 0

title := sprintf("[%s:%d] %s%s", [group_status, count(firing), concat(" ", group_values), extra]) if group_status == "FIRING"

title := sprintf("[%s] %s%s", [group_status, concat(" ", group_values), extra]) if group_status != "FIRING"

heading(a) := sprintf("## %s: %s", [status(a), common.get(common.get(a, "annotations", {}), "summary", common.get(common.get(a, "labels", {}), "alertname", "alert"))])

# Alertmanager's zero time ("0001-01-01T00:00:00Z") means "not ended yet".
ended(a) := e if {
	e := common.get(a, "endsAt", "")
	e != ""
	not startswith(e, "0001-")
}

times(a) := sprintf("Started %s, resolved %s", [common.get(a, "startsAt", "?"), ended(a)]) if status(a) == "RESOLVED"

times(a) := sprintf("Started %s", [common.get(a, "startsAt", "?")]) if status(a) != "RESOLVED"

source(a) := [sprintf("[Source](%s)", [u])] if {
	u := common.get(a, "generatorURL", "")
	u != ""
}

source(a) := [] if common.get(a, "generatorURL", "") == ""

label_rows(a) := [sprintf("| %s | %s |", [common.cell(k), common.cell(labels[k])]) |
	labels := common.get(a, "labels", {})
	some k in sort(object.keys(labels))
]

description(a) := [d, ""] if {
	d := common.get(common.get(a, "annotations", {}), "description", "")
	d != ""
}

description(a) := [] if common.get(common.get(a, "annotations", {}), "description", "") == ""

section(a) := array.concat(
	array.concat([heading(a), ""], description(a)),
	array.concat(
		array.concat(["| Label | Value |", "| --- | --- |"], label_rows(a)),
		array.concat(["", times(a)], source(a)),
	),
)

link := [sprintf("[Alertmanager](%s)", [u])] if {
	u := common.get(input, "externalURL", "")
	u != ""
}

link := [] if common.get(input, "externalURL", "") == ""

result := concat("\n", array.concat(
	array.concat(
		[sprintf("# %s", [title]), "", sprintf("%d alert(s), receiver %s", [count(alerts), common.get(input, "receiver", "")]), ""],
		[line | some a in alerts; some line in array.concat(section(a), [""])],
	),
	link,
))
