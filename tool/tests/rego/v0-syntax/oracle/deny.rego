package main

import rego.v1

name := input.metadata.name

workload_kinds := {"Deployment", "StatefulSet"}

deny contains msg if {
	workload_kinds[input.kind]
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s %s must run as non-root", [input.kind, name])
}

violation contains {"msg": msg, "details": {"replicas": input.spec.replicas}} if {
	input.kind == "Deployment"
	input.spec.replicas < 2
	msg := sprintf("%s has fewer than 2 replicas", [name])
}

warn contains msg if {
	input.kind == "Service"
	msg := sprintf("Service %s", [name])
}
