package hooker.vuls.slack

import rego.v1

import data.hooker.common
import data.hooker.vuls.common as vuls

title := vuls.title

result := [
	{"type": "header", "text": {"type": "plain_text", "text": vuls.title}},
	{"type": "section", "fields": [
		{"type": "mrkdwn", "text": sprintf("*Image*\n%s", [common.mrkdwn(vuls.image)])},
		{"type": "mrkdwn", "text": sprintf("*Registry*\n%s", [common.mrkdwn(vuls.registry)])},
	]},
	{"type": "section", "fields": [{"type": "mrkdwn", "text": sprintf("*%s*\n%s", [c[0], common.text(c[1])])} | some c in vuls.counts]},
]
