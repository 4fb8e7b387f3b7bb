# secureCodeBox findings (a scan's findings.json: a JSON array, which Hooker
# routes as it is): a count per severity, then one row per finding, the most
# severe first.
package hooker.securecodebox.markdown

import rego.v1

import data.hooker.common

order := ["HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]

findings := input if is_array(input)

findings := [] if not is_array(input)

severity(f) := upper(common.get(f, "severity", "INFORMATIONAL"))

rank(f) := i if {
	some i, s in order
	s == severity(f)
} else := count(order)

counts := [sprintf("%d %s", [n, s]) |
	some s in order
	n := count([f | some f in findings; severity(f) == s])
	n > 0
]

title := sprintf("secureCodeBox: %d findings (%s)", [count(findings), concat(", ", counts)])

# Sorted by severity rank, then by position, so the order is stable.
rows := [sprintf("| %s | %s | %s | %s |", [severity(f), common.cell(common.get(f, "name", "")), common.cell(common.get(f, "category", "")), common.cell(common.get(f, "location", ""))]) |
	some k in sort([[rank(g), i] | some i, g in findings])
	f := findings[k[1]]
]

result := concat("\n", array.concat(
	[sprintf("# %s", [title]), "", "| Severity | Finding | Category | Location |", "| --- | --- | --- | --- |"],
	rows,
))
