# The event as it arrived, as JSON (Postee's rawmessage.json).
package hooker.rawmessage.json

import rego.v1

title := "Hooker event"

result := object.remove(input, ["hooker", "postee"])
