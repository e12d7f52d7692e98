package main

violation[{"msg": msg, "details": {"kind": input.kind}}] {
	input.kind == "CronJob"
	not input.spec.jobTemplate.spec.activeDeadlineSeconds > 3600
	msg := sprintf("CronJob %s may run for at most an hour", [input.metadata.name])
}
