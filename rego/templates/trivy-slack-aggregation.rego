# Several Trivy reports of an aggregating route as one Slack message: each
# report's blocks under its title, within Slack's 50-block limit.
package hooker.trivy.slack.aggregation

import rego.v1

max_blocks := 50

title := sprintf("%d Trivy reports", [count(input)])

blocks := [b |
	some item in input
	some b in array.concat([{"type": "divider"}], blocks_of(item.description))
]

blocks_of(d) := d if is_array(d)

blocks_of(d) := [{"type": "section", "text": {"type": "mrkdwn", "text": d}}] if is_string(d)

result := array.slice(array.concat([{"type": "header", "text": {"type": "plain_text", "text": title}}], blocks), 0, max_blocks)
