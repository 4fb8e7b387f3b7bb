# Alertmanager notifications of firing groups only. With `send_resolved: true`
# Alertmanager posts the group once more when it resolves; without this check
# the route fires again for the resolved notification.
package hooker

import rego.v1

allow if input.status == "firing"
