# The event as it arrived, as JSON (Postee's rawmessage.json). Any JSON value:
# objects lose the keys Hooker adds, arrays and scalars pass as they are.
package hooker.rawmessage.json

import rego.v1

title := "Hooker event"

result := object.remove(input, ["hooker", "postee"]) if is_object(input)

result := input if not is_object(input)
