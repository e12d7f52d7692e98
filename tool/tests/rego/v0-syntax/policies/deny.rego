package main

name = input.metadata.name

workload_kinds = {"Deployment", "StatefulSet"}

deny[msg] {
	workload_kinds[input.kind]
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := sprintf("%s %s must run as non-root", [input.kind, name])
}

violation[{"msg": msg, "details": {"replicas": input.spec.replicas}}] {
	input.kind == "Deployment"
	input.spec.replicas < 2
	msg := sprintf("%s has fewer than 2 replicas", [name])
}

warn[msg] {
	input.kind == "Service"
	msg := sprintf("Service %s", [name])
}
