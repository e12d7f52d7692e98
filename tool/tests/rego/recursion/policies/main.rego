package main

import rego.v1

depth(node) := 1 + depth(node.child) if node.child
depth(node) := 1 if not node.child

deny contains "too deep" if depth(input) > 3
