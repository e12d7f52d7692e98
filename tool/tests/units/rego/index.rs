use paved::rego::analysis::RegoFile;
use std::sync::Arc;

use paved::rego::analysis::parse;
use paved::rego::index::*;

/// What the index knows of each rule of `files` (path, text), as
/// `rule: Kind,Kind` (kinds) and `rule: if guard; guard` (guards).
fn indexed(files: &[(&str, &str)]) -> Vec<String> {
    let parsed: Vec<RegoFile> = files
        .iter()
        .map(|(path, text)| parse(path, &Arc::from(*text), false).expect("parses"))
        .collect();
    let mut out = Vec::new();
    for ((package, name), indexed) in index(&parsed) {
        let id = format!("{}.{name}", package.join("."));
        if let Some(kinds) = indexed.kinds {
            let kinds: Vec<String> = kinds.into_iter().collect();
            out.push(format!("{id}: {}", kinds.join(",")));
        }
        if !indexed.guards.is_empty() {
            out.push(format!("{id}: if {}", indexed.guards.join("; ")));
        }
    }
    out
}

#[test]
fn leading_kind_tests_index_a_rule() {
    let policy = r#"package main
import rego.v1

workloads := {"Deployment", "Job"}

containers contains c if {
	workloads[input.kind]
	some c in input.spec.template.spec.containers
}

deny_service contains "s" if input.kind == "Service"
deny_flipped contains "s" if "Ingress" == input["kind"]
deny_member contains "m" if input.kind in {"ConfigMap", "Secret"}
deny_member_array contains "m" if input.kind in ["Role"]
deny_paths contains "p" if {
	input.spec["host-network"]
	input.metadata.namespace == "default"
	input.metadata.labels.tier in {"web", "db\\"}
	input.spec.replicas == 3
	input.spec.hostPID
}
deny_after_truth contains "p" if {
	input.paved.production
	input.kind == "Service"
}
deny_both contains "b" if {
	input.kind in {"Service", "Ingress"}
	input.kind == "Service"
}
deny_uses contains c.name if {
	some c in containers
	not c.image
}
deny_two contains "x" if input.kind == "Service"
deny_two contains "x" if input.kind == "Pod"
"#;
    let v0 = r#"package main
kinds = {"Deployment"}
warn_v0[msg] {
	input.kind = "Pod"
	msg := "v0"
}
warn_v0_set[msg] {
	kinds[input.kind]
	msg := "v0"
}
"#;
    assert_eq!(
        indexed(&[("a.rego", policy), ("b.rego", v0)]),
        [
            "main.containers: Deployment,Job",
            "main.deny_after_truth: Service",
            "main.deny_after_truth: if input.paved.production",
            "main.deny_both: Service",
            "main.deny_flipped: Ingress",
            "main.deny_member: ConfigMap,Secret",
            "main.deny_member_array: Role",
            "main.deny_paths: if input.spec[\"host-network\"]; input.metadata.namespace == \"default\"; input.metadata.labels.tier in {\"db\\\\\", \"web\"}",
            "main.deny_service: Service",
            "main.deny_two: Pod,Service",
            "main.deny_uses: Deployment,Job",
            "main.warn_v0: Pod",
            "main.warn_v0_set: Deployment",
        ]
    );
}

#[test]
fn anything_that_could_fail_or_differ_first_leaves_a_rule_unindexed() {
    let policy = r#"package main
import rego.v1
import data.lib.workloads as imported

workloads := {"Deployment"}
twice := {"Deployment"}
twice := {"Job"} if input.x
computed := {k | some k in ["Deployment"]}
bodied := {"Deployment"} if true

deny_call_first contains "c" if {
	count(input.spec) > 0
	input.kind == "Service"
}
deny_with contains "w" if {
	input.kind == "Service" with input as {"kind": "Service"}
}
deny_not contains "n" if not input.kind == "Service"
deny_ne contains "n" if input.kind != "Service"
deny_unguarded_body contains "u" if input.kind == "Service"
deny_unguarded_body contains "u" if input.spec
deny_imported contains "i" if imported[input.kind]
deny_twice contains "t" if twice[input.kind]
deny_computed contains "c" if computed[input.kind]
deny_bodied contains "b" if bodied[input.kind]
deny_dynamic contains "d" if input.spec[input.kind]
deny_number contains "n" if input.kind == 3
deny_complete := "c" if input.kind == "Service"
deny_object[name] := "o" if {
	input.kind == "Service"
	name := "x"
}
deny_else := "e" if input.kind == "Service" else := "f"
deny_unknown_rule contains "r" if {
	some c in missing
}
deny_child contains "r" if child[input.kind]
"#;
    let child = "package main.child\nimport rego.v1\nx := 1\n";
    let deny_ref =
        "package main\nimport rego.v1\ndeny_split.a contains \"x\" if input.kind == \"A\"\n";
    assert_eq!(
        indexed(&[("a.rego", policy), ("c.rego", child), ("d.rego", deny_ref)]),
        Vec::<String>::new()
    );
}
