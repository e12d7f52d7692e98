package main

import rego.v1

deny_remote contains msg if {
	response := http.send({"method": "get", "url": "https://example.com/allowed"})
	response.status_code != 200
	msg := "the registry said no"
}

warn_env contains msg if {
	opa.runtime().env.CI == "true"
	msg := "running in CI"
}

warn_sample contains msg if {
	rand.intn("sample", 100) < 10
	msg := sprintf("sampled %s at %d", [input.metadata.name, time.now_ns()])
}

warn_id contains uuid.rfc4122("x") if input.kind == "Service"

warn_typo contains msg if {
	startwith(input.metadata.name, "tmp-")
	msg := "temporary"
}
