package main

import data.kubernetes
import rego.v1

name := input.metadata.name

deny contains msg if {
	some container in kubernetes.containers
	endswith(container.image, ":latest")
	msg := sprintf("%s runs %s, tagged latest", [name, container.image])
}
