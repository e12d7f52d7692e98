package lib.workloads

import data.lib.meta
import rego.v1

containers contains c if {
	some c in pod_spec.containers
}

containers contains c if {
	some c in pod_spec.initContainers
}

owner := meta.label("team")
