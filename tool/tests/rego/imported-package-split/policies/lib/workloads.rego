package lib.workloads

import data.lib.meta
import rego.v1

kinds := {"Deployment", "StatefulSet", "DaemonSet"}

is_workload if kinds[input.kind]

pod_spec := input.spec.template.spec if is_workload
