package lib.meta

import rego.v1

label(key) := value if value := input.metadata.labels[key]

label(key) := "nobody" if not input.metadata.labels[key]
