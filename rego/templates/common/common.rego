# Helpers shared by the bundled templates.
package hooker.common

import rego.v1

severities := ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]

# Text of any value: strings as they are, other values as JSON.
text(x) := x if is_string(x)

text(x) := json.marshal(x) if not is_string(x)

# HTML-escapes a value for element content and attribute values.
html(x) := strings.replace_n({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}, text(x))

# Escapes Slack mrkdwn control characters.
mrkdwn(x) := strings.replace_n({"&": "&amp;", "<": "&lt;", ">": "&gt;"}, text(x))

# Jira wiki markup and Markdown use | as the table separator. An empty cell
# is written as a space: Jira reads "||" inside a row as a header cell.
cell(x) := " " if text(x) == ""

cell(x) := replace(replace(text(x), "|", "\\|"), "\n", " ") if text(x) != ""

# The value at key k of object o, or d when o lacks it (or it is null).
get(o, k, d) := v if {
	v := o[k]
	v != null
} else := d
