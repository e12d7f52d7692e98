# The exceptions of a package are evaluated for every input, even one of
# a kind none of its rules is indexed by: where they fail, that is an error.
package main

import rego.v1

deny_nodeport contains "a NodePort" if {
	input.kind == "Service"
	input.spec.type == "NodePort"
}

only := item if some item in input.items

exception contains [only] if input.items
