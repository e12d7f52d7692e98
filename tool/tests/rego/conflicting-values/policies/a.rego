package main

import rego.v1

owner := input.metadata.labels.team

deny contains sprintf("%s has no owner", [input.metadata.name]) if not owner
