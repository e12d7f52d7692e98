package lib.core

import rego.v1

default is_gatekeeper := false

is_gatekeeper if has_field(input, "review")

resource := input.review.object if is_gatekeeper

resource := input if not is_gatekeeper

format(msg) := {"msg": msg}

format_with_id(msg, id) := {"msg": sprintf("%s: %s", [id, msg]), "details": {"policyID": id}}

has_field(obj, field) if obj[field]

missing_field(obj, field) if not has_field(obj, field)

labels := resource.metadata.labels

name := resource.metadata.name

kind := resource.kind
