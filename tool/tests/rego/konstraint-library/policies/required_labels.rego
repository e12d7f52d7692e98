package main

import data.lib.core
import rego.v1

violation contains core.format(msg) if {
	core.kind in {"Deployment", "Service"}
	missing := {"owner", "app"} - {key | some key, _ in core.labels}
	count(missing) > 0
	msg := sprintf("%s %s is missing labels %v", [core.kind, core.name, sort(missing)])
}
