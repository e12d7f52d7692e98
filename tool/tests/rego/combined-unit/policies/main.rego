package main

import rego.v1

warn contains sprintf("%s %s", [input.kind, input.metadata.name]) if input.kind == "Service"
