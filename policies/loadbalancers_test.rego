package main

import rego.v1

test_a_team_loadbalancer_is_denied if {
	count(deny_loadbalancer) == 1 with input as {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "LoadBalancer"}}
}

test_the_ingress_controller_may_have_one if {
	count(deny_loadbalancer) == 0 with input as {"kind": "Service", "metadata": {"name": "ingress", "namespace": "ingress-nginx"}, "spec": {"type": "LoadBalancer"}}
}

test_cluster_ip_services_pass if {
	count(deny_loadbalancer) == 0 with input as {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "ClusterIP"}}
}
