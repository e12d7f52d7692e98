package main

import rego.v1

deny_slow contains msg if {
	input.kind == "Deployment"
	pairs := count([1 | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000); i != j])
	pairs < 0
	msg := "never"
}
