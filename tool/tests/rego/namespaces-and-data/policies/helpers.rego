package helpers

import rego.v1

# A package without conftest rules: checked, finds nothing.
is_deployment if input.kind == "Deployment"
