# Only the platform exposes Services directly to the internet (through the
# ingress controller); teams publish routes instead.
package main

import rego.v1

platform_namespaces := {"ingress-nginx", "kube-system"}

deny_loadbalancer contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not platform_namespaces[input.metadata.namespace]
	msg := sprintf("Service %s/%s is a LoadBalancer; publish it with a route instead", [input.metadata.namespace, input.metadata.name])
}
