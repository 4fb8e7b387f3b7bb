# Fields of a Tracee/Tracker signature finding shared by its templates.
package hooker.tracee.common

import rego.v1

import data.hooker.common

meta := common.get(input, "SigMetadata", {})

ctx := common.get(input, "Context", {})

props := common.get(meta, "Properties", {})

id := common.get(meta, "ID", "unknown")

name := common.get(meta, "Name", "")

title := sprintf("Tracee detection %s: %s", [id, name])

facts := [
	["Signature", id],
	["Name", name],
	["Description", common.get(meta, "Description", "")],
	["Severity", common.text(common.get(props, "Severity", ""))],
	["MITRE ATT&CK", common.get(props, "MITRE ATT&CK", "")],
	["Host", common.get(ctx, "hostName", "")],
	["Container", common.get(ctx, "containerId", "")],
	["Process", common.get(ctx, "processName", "")],
	["Event", common.get(ctx, "eventName", "")],
	["Executable", common.get(common.get(ctx, "executable", {}), "path", "")],
]

# Only facts the finding actually carries.
present := [f | some f in facts; f[1] != ""]
