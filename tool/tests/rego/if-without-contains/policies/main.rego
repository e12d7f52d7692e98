package main

import rego.v1

deny[msg] if {
	input.kind == "Service"
	msg := "this is a map to true, not a set"
}
