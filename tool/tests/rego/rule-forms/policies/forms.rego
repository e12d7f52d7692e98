package main

import rego.v1

default replicas := 1

replicas := input.spec.replicas

# Functions with several definitions and `else`.
tier(n) := "none" if n == 0
tier(n) := "single" if n == 1
tier(n) := "many" if n > 1

exposure(svc) := "public" if {
	svc.spec.type == "LoadBalancer"
} else := "node" if {
	svc.spec.type == "NodePort"
} else := "internal"

deny contains msg if {
	input.kind == "Deployment"
	tier(replicas) != "many"
	msg := sprintf("Deployment %s runs %s replica set (%d)", [input.metadata.name, tier(replicas), replicas])
}

warn_exposure contains msg if {
	input.kind == "Service"
	exposure(input) != "internal"
	msg := sprintf("Service %s is %s", [input.metadata.name, exposure(input)])
}

# Only sets and arrays of messages count; conftest ignores other values.
deny_string := "a complete rule with a string is not a set of messages" if input.kind == "Service"

violation_array := [sprintf("array message for %s", [input.metadata.name])] if input.kind == "Service"

deny_numbers contains 42 if input.kind == "Service"

warn_every contains msg if {
	input.kind == "Deployment"
	every c in input.spec.template.spec.containers {
		startswith(c.image, "registry.example.com/")
	}
	msg := sprintf("every image of %s comes from the registry", [input.metadata.name])
}

warn_format contains msg if {
	input.kind == "Deployment"
	ratio := count(input.spec.template.spec.containers) / 4
	msg := sprintf("ratio %v, %.2f, %s, %d%%, %q", [ratio, ratio, input.metadata.name, 50, {"k": [1, true, null]}])
}
