package main

import rego.v1

test_a_labelled_resource_passes if {
	count(deny_missing_team_label) == 0 with input as {"kind": "Service", "metadata": {"name": "web", "labels": {"paved.dev/team": "shop"}}, "paved": {"team": "shop"}}
}

test_a_missing_label_is_denied if {
	count(deny_missing_team_label) == 1 with input as {"kind": "Service", "metadata": {"name": "web", "labels": {}}, "paved": {"team": "shop"}}
}

test_another_teams_label_is_denied if {
	count(deny_wrong_team_label) == 1 with input as {"kind": "Service", "metadata": {"name": "web", "labels": {"paved.dev/team": "other"}}, "paved": {"team": "shop"}}
}

test_platform_resources_need_no_team_label if {
	count(deny_missing_team_label) == 0 with input as {"kind": "Namespace", "metadata": {"name": "shop"}, "paved": {"cluster": "dev"}}
}
