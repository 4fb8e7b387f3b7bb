package hooker.tracee.slack

import rego.v1

import data.hooker.common
import data.hooker.tracee.common as tracee

title := tracee.title

result := [
	{"type": "header", "text": {"type": "plain_text", "text": tracee.title}},
	{"type": "section", "fields": [{"type": "mrkdwn", "text": sprintf("*%s*\n%s", [f[0], common.mrkdwn(f[1])])} | some f in tracee.present]},
]
