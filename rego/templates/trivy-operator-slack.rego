package hooker.trivyoperator.slack

import rego.v1

import data.hooker.common
import data.hooker.trivyoperator.common as op

max_lines := 20

title := op.title

lines := [sprintf("*%s* <%s|%s> %s %s → %s", [
	v.severity,
	common.get(v, "primaryLink", ""),
	common.mrkdwn(v.vulnerabilityID),
	common.mrkdwn(v.resource),
	common.mrkdwn(common.get(v, "installedVersion", "")),
	fixed(v),
]) | some v in array.slice(op.vulns, 0, max_lines)]

fixed(v) := common.mrkdwn(v.fixedVersion) if common.get(v, "fixedVersion", "") != ""

fixed(v) := "no fix" if common.get(v, "fixedVersion", "") == ""

result := [
	{"type": "header", "text": {"type": "plain_text", "text": op.title}},
	{"type": "section", "text": {"type": "mrkdwn", "text": op.summary}},
	{"type": "divider"},
	{"type": "section", "text": {"type": "mrkdwn", "text": concat("\n", lines)}},
]
