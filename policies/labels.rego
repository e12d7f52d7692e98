# Every resource a team deploys says which team it belongs to, so that
# costs, alerts and ownership can be traced from the cluster.
package main

import rego.v1

deny_missing_team_label contains msg if {
	input.paved.team
	not input.metadata.labels["paved.dev/team"]
	msg := sprintf("%s %s has no `paved.dev/team` label", [input.kind, input.metadata.name])
}

deny_wrong_team_label contains msg if {
	input.paved.team
	label := input.metadata.labels["paved.dev/team"]
	label != input.paved.team
	msg := sprintf("%s %s is labelled for team %s but belongs to %s", [input.kind, input.metadata.name, label, input.paved.team])
}
