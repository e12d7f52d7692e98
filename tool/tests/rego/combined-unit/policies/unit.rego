package unit

import rego.v1

resources contains item.contents if some item in input

deployments contains d if {
	some d in resources
	d.kind == "Deployment"
}

# Every Deployment is covered by a PodDisruptionBudget.
deny_pdb contains {"msg": msg, "resource": {"kind": "Deployment", "name": d.metadata.name}} if {
	some d in deployments
	not covered(d)
	msg := sprintf("Deployment %s has no PodDisruptionBudget", [d.metadata.name])
}

covered(d) if {
	some pdb in resources
	pdb.kind == "PodDisruptionBudget"
	every key, value in pdb.spec.selector.matchLabels {
		d.spec.template.metadata.labels[key] == value
	}
}

# Every Service selects the pods of some workload.
deny_selector contains {"msg": msg, "resource": {"kind": "Service", "name": s.metadata.name}} if {
	some s in resources
	s.kind == "Service"
	not selects(s)
	msg := sprintf("Service %s selects no pod", [s.metadata.name])
}

selects(s) if {
	some d in deployments
	every key, value in s.spec.selector {
		d.spec.template.metadata.labels[key] == value
	}
}

warn_count contains sprintf("%d resources", [count(resources)]) if count(resources) > 3
