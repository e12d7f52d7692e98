package main

import data.lib.workloads as w
import rego.v1

deny_privileged contains msg if {
	some c in w.containers
	c.securityContext.privileged
	msg := sprintf("%s/%s (owned by %s): container %s is privileged", [input.kind, input.metadata.name, w.owner, c.name])
}

warn_no_limits contains msg if {
	w.is_workload
	some c in w.containers
	not c.resources.limits.memory
	msg := sprintf("%s/%s: container %s has no memory limit", [input.kind, input.metadata.name, c.name])
}
