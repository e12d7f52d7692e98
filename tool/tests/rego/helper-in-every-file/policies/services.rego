package main

import data.kubernetes
import rego.v1

name := input.metadata.name

warn contains msg if {
	kubernetes.is_service
	input.spec.type == "NodePort"
	msg := sprintf("Service %s is a NodePort", [name])
}

violation contains {"msg": msg, "details": {"type": input.spec.type}} if {
	kubernetes.is_service
	input.spec.type == "LoadBalancer"
	msg := sprintf("Service %s is a LoadBalancer", [name])
}
