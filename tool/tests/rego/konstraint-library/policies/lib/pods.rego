package lib.pods

import data.lib.core
import rego.v1

pod := core.resource.spec.template if core.kind in {"Deployment", "StatefulSet", "DaemonSet"}

pod := core.resource if core.kind == "Pod"

containers contains container if {
	some container in pod.spec.containers
}
