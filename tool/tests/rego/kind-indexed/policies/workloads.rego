# Rules that start by testing `input.kind` in every form paved indexes,
# and rules that do not, over inputs of many kinds (one without a kind,
# one whose kind is not a string): the findings must be OPA's.
package main

import rego.v1

workloads := {"Deployment", "StatefulSet"}

containers contains c if {
	workloads[input.kind]
	some c in input.spec.template.spec.containers
}

deny_latest contains sprintf("%s runs a latest image", [input.metadata.name]) if {
	some c in containers
	endswith(c.image, ":latest")
}

deny_nodeport contains sprintf("Service %s is a NodePort", [input.metadata.name]) if {
	input.kind == "Service"
	input.spec.type == "NodePort"
}

warn_data contains sprintf("%s %s holds data", [input.kind, input.metadata.name]) if {
	input.kind in {"ConfigMap", "Secret"}
	count(input.data) > 0
}

warn_production contains sprintf("%s in production", [input.metadata.name]) if {
	input.production
	"Deployment" == input.kind
}

# Two bodies, for two kinds.
deny_public contains "public Ingress" if input.kind == "Ingress"

deny_public contains "public Service" if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
}

# Not indexed: a call comes first.
warn_unnamed contains sprintf("a %v without a name", [input.kind]) if {
	not input.metadata.name
	input.kind != "List"
}

# Not indexed: one body has no guard.
deny_any contains "labelled bad" if input.metadata.labels.bad
deny_any contains "a bad Service" if {
	input.kind == "Service"
	input.metadata.name == "bad"
}

# Fails (a complete rule with two values) for a List of two items; its
# guard keeps every other kind from reaching it, in OPA as in paved.
only := item if some item in input.items

deny_list contains sprintf("a List of %v", [only]) if {
	input.kind == "List"
	only
}
