package main

import rego.v1

owner := input.metadata.annotations.owner
