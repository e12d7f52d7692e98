package main

import rego.v1

violation_object contains {"message": sprintf("%s is a Service", [input.metadata.name])} if input.kind == "Service"
