# Alertmanager notifications with a firing alert. With `send_resolved: true`
# Alertmanager posts the group again when alerts resolve; without this check
# the route fires again for the resolved notification. It looks at each
# alert's own status (webhook version 4; older senders only have the group's),
# so on a route with `split-by: alerts`, where each alert is checked on its
# own, a resolved alert of a still-firing group does not pass either.
package hooker

import rego.v1

allow if {
	some a in input.alerts
	object.get(a, "status", object.get(input, "status", "")) == "firing"
}

# A body without alerts: the group's status alone.
allow if {
	count(object.get(input, "alerts", [])) == 0
	input.status == "firing"
}
