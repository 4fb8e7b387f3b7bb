# Slack Block Kit blocks; the list is capped so the message stays within
# Slack's limits.
package hooker.trivy.slack

import rego.v1

import data.hooker.common
import data.hooker.trivy.common as trivy

max_lines := 20

title := trivy.title

# Aggregating routes combine several reports through this package.
aggregation_pkg := "hooker.trivy.slack.aggregation"

lines := [sprintf("*%s* <%s|%s> %s %s → %s", [
	v.severity,
	v.url,
	common.mrkdwn(v.id),
	common.mrkdwn(v.pkg),
	common.mrkdwn(v.installed),
	fixed(v),
]) | some v in array.slice(trivy.vulns, 0, max_lines)]

fixed(v) := common.mrkdwn(v.fixed) if v.fixed != ""

fixed(v) := "no fix" if v.fixed == ""

more := [sprintf("_… and %d more_", [count(trivy.vulns) - max_lines]) | count(trivy.vulns) > max_lines]

result := [
	{"type": "header", "text": {"type": "plain_text", "text": trivy.title}},
	{"type": "section", "text": {"type": "mrkdwn", "text": trivy.summary}},
	{"type": "divider"},
	{"type": "section", "text": {"type": "mrkdwn", "text": concat("\n", array.concat(lines, more))}},
]
