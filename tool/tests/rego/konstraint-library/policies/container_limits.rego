# METADATA
# title: Containers must define memory limits
package main

import data.lib.core
import data.lib.pods
import rego.v1

policyID := "P2001"

violation contains msg if {
	some container in pods.containers
	core.missing_field(container.resources.limits, "memory")
	msg := core.format_with_id(sprintf("%s/%s: container %s has no memory limit", [core.kind, core.name, container.name]), policyID)
}
