package main

import rego.v1

# OPA's default (and conftest's): a builtin that fails, such as
# `to_number("http")`, makes its expression undefined, not an error.
deny_port contains msg if {
	some port in input.spec.ports
	to_number(port.name) > 1000
	msg := sprintf("port named %v", [port.name])
}
