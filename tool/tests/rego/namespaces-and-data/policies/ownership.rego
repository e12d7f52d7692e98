package ownership

import rego.v1

warn contains msg if {
	team := input.metadata.labels.team
	not data.owners[team]
	msg := sprintf("team %s of %s has no owner in data.owners", [team, input.metadata.name])
}
