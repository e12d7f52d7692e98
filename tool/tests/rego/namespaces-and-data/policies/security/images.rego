package security.images

import rego.v1

allowed(image) if {
	some prefix in data.registries.allowed
	startswith(image, sprintf("%s/", [prefix]))
}

deny contains msg if {
	some c in input.spec.template.spec.containers
	not allowed(c.image)
	msg := sprintf("%s pulls %s from a registry not in data.registries.allowed", [input.metadata.name, c.image])
}
