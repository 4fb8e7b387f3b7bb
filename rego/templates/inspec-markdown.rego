# An InSpec (or CINC Auditor) JSON report (`inspec exec --reporter json`):
# a summary of controls passed/failed/skipped, then each failed control with
# its impact and the messages of its failed tests.
package hooker.inspec.markdown

import rego.v1

import data.hooker.common

controls := [c | some p in common.get(input, "profiles", []); some c in common.get(p, "controls", [])]

statuses(c) := {r.status | some r in common.get(c, "results", [])}

# A control fails when one of its tests failed, is skipped when all were skipped.
control_status(c) := "failed" if "failed" in statuses(c)

control_status(c) := "skipped" if {
	not "failed" in statuses(c)
	statuses(c) == {"skipped"}
}

control_status(c) := "passed" if {
	not "failed" in statuses(c)
	statuses(c) != {"skipped"}
}

counted(s) := count([c | some c in controls; control_status(c) == s])

platform := common.get(input, "platform", {})

target := trim_space(sprintf("%s %s", [common.get(platform, "name", ""), common.get(platform, "release", "")]))

title := sprintf("InSpec: %d of %d controls failed on %s", [counted("failed"), count(controls), target])

name(c) := common.get(c, "title", c.id)

failed_rows := [sprintf("| %v | %s | %s |", [common.get(c, "impact", 0), common.cell(name(c)), common.cell(concat("; ", msgs))]) |
	some c in controls
	control_status(c) == "failed"
	msgs := [m | some r in c.results; r.status == "failed"; m := common.get(r, "message", common.get(r, "code_desc", ""))]
]

profiles := [sprintf("%s %s", [common.get(p, "title", p.name), common.get(p, "version", "")]) | some p in common.get(input, "profiles", [])]

failed_table := array.concat(["", "| Impact | Control | Failed tests |", "| --- | --- | --- |"], failed_rows) if count(failed_rows) > 0

failed_table := [] if count(failed_rows) == 0

result := concat("\n", array.concat(
	[
		sprintf("# %s", [title]),
		"",
		sprintf("Profiles: %s", [concat(", ", profiles)]),
		sprintf("Passed %d, failed %d, skipped %d", [counted("passed"), counted("failed"), counted("skipped")]),
	],
	failed_table,
))
