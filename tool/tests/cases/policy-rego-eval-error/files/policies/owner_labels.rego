package main

import rego.v1

owner := input.metadata.labels["paved.dev/team"]

deny_unowned contains msg if {
	not owner
	msg := sprintf("%s has no owner", [input.metadata.name])
}
