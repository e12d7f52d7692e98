package main

import rego.v1

deny[msg] if {
	input.kind == "Service"
	msg := "a Service"
}
