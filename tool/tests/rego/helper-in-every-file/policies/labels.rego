package main

import data.kubernetes
import rego.v1

name := input.metadata.name

required := {"app.kubernetes.io/name", "app.kubernetes.io/part-of"}

deny contains msg if {
	kubernetes.is_deployment
	some label in required
	not input.metadata.labels[label]
	msg := sprintf("%s has no %s label", [name, label])
}
