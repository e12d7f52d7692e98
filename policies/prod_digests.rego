# Written for conftest, in Rego v0 syntax, and used unchanged: production
# images should be pinned by digest. paved adds `input.paved` (cluster,
# environment, production, team, service); conftest users can pass it with
# `--data`.
package main

workload_kinds = {"Deployment", "StatefulSet", "DaemonSet", "Job"}

warn_prod_image_digest[msg] {
	input.paved.production
	workload_kinds[input.kind]
	container := input.spec.template.spec.containers[_]
	not contains(container.image, "@sha256:")
	msg := sprintf("%s %s runs %s, not pinned by digest, in production", [input.kind, input.metadata.name, container.image])
}
