# An Alertmanager webhook (one notification = one alert group): a title as
# Alertmanager's own default ("[FIRING:2] group labels"), then each alert of the
# group on its own, firing or resolved, with its summary, description, labels
# and times. Alertmanager repeats the notification as the group changes and,
# with send_resolved, once more when it resolves: filter on the alerts' status
# (rego/filters/alertmanager-firing.rego) to page only on firing alerts.
#
# On a route with `split-by: alerts` each alert is its own message: the input
# is the notification with `alerts` narrowed to that one alert (and
# `input.hooker.item` says which of how many), so the title and status are
# that alert's.
package hooker.alertmanager.markdown

import rego.v1

import data.hooker.common

alerts := common.get(input, "alerts", [])

# Alerts of webhook version 4 carry their own status; older senders only the group's.
status(a) := upper(common.get(a, "status", common.get(input, "status", "firing")))

firing := [a | some a in alerts; status(a) == "FIRING"]

# As Alertmanager decides it: firing while any alert fires. Computed from the
# alerts, so one alert split from a firing group shows its own status.
group_status := "FIRING" if count(firing) > 0

group_status := "RESOLVED" if {
	count(firing) == 0
	count(alerts) > 0
}

group_status := upper(common.get(input, "status", "firing")) if count(alerts) == 0

item := common.get(common.get(input, "hooker", {}), "item", null)

split if item != null

group_labels := common.get(input, "groupLabels", {})

# One alert split from its group: the labels common to a group of that one
# alert are its own (as Alertmanager's subject would show with group_by ['...']).
single if {
	split
	count(alerts) == 1
}

common_labels := common.get(alerts[0], "labels", {}) if single

common_labels := common.get(input, "commonLabels", {}) if not single

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

summary_line := sprintf("%d alert(s), receiver %s", [count(alerts), common.get(input, "receiver", "")]) if not split

summary_line := sprintf("Alert %d of %d of the notification to %s (group %s)", [
	item.index + 1, item.count, common.get(input, "receiver", ""),
	concat(" ", group_values),
]) if split

result := concat("\n", array.concat(
	array.concat(
		[sprintf("# %s", [title]), "", summary_line, ""],
		[line | some a in alerts; some line in array.concat(section(a), [""])],
	),
	link,
))
