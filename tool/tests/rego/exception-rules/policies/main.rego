package main

import rego.v1

deny_latest contains msg if {
	some c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("%s uses a latest tag", [input.metadata.name])
}

deny_root contains msg if {
	input.spec.template.spec.securityContext.runAsUser == 0
	msg := sprintf("%s runs as root", [input.metadata.name])
}

warn contains sprintf("%s: plain warning", [input.metadata.name]) if input.kind == "Deployment"

exception contains rules if {
	input.metadata.name == "legacy"
	rules := ["latest", "root"]
}

exception contains rules if {
	input.metadata.labels.quiet == "true"
	rules := {""}
}
