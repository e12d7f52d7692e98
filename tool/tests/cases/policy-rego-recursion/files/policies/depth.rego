package main

import rego.v1

nesting(value) := 1 + nesting(value.child) if value.child

nesting(value) := 0 if not value.child

deny_nesting contains msg if {
	nesting(input) > 3
	msg := "too deep"
}
