package main

import rego.v1

violation contains {"message": "objects need msg"} if input.kind == "Service"
