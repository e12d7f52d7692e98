//! `paved policy`: the baseline, the Rego policies, exceptions and SARIF.

use serde_json::Value;

use crate::support::{Scratch, paved_in, repo_root};

#[test]
fn the_example_passes_policy_with_only_warnings() {
    let outcome = paved_in(&repo_root(), &["policy"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stderr.contains(" 0 errors, "), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("4 waived by exceptions"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn the_policy_unit_tests_pass() {
    let outcome = paved_in(&repo_root(), &["policy", "test"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("10 passed, 0 failed"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_failing_policy_test_fails_the_run() {
    let scratch = Scratch::example();
    scratch.write(
        "policies/broken_test.rego",
        "package main\n\nimport rego.v1\n\ntest_that_cannot_pass if {\n\tcount(deny_loadbalancer) == 1 with input as {\"kind\": \"Service\", \"spec\": {\"type\": \"ClusterIP\"}, \"metadata\": {\"namespace\": \"shop\", \"name\": \"x\"}}\n}\n",
    );
    let outcome = scratch.paved(&["policy", "test"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("FAIL policies/broken_test.rego: test_that_cannot_pass"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn sarif_locates_findings_at_the_inputs_that_cause_them() {
    let outcome = paved_in(&repo_root(), &["policy", "--format", "sarif"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let sarif: Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["shortDescription"]["text"].is_string() && r["help"]["text"].is_string())
    );
    assert!(rules.iter().any(|r| r["id"] == "pss/privileged"));
    let results = run["results"].as_array().unwrap();
    let digest = results
        .iter()
        .find(|r| {
            r["ruleId"] == "workload/image-digest"
                && r["message"]["text"].as_str().unwrap().contains("inventory")
        })
        .unwrap();
    let location = &digest["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "teams/fulfilment/services/inventory.yaml"
    );
    assert_eq!(location["region"]["startLine"], 18);
    assert_eq!(digest["level"], "warning");
    let index = digest["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "workload/image-digest");
}

#[test]
fn environments_raise_and_lower_severity() {
    let scratch = Scratch::example();
    // A tag instead of a digest: off by default, a warning in prod as configured.
    let dev = scratch.paved(&["policy", "--format", "json"]);
    let findings: Value =
        serde_json::from_str::<Value>(&dev.stdout).unwrap()["diagnostics"].clone();
    let digests: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "workload/image-digest")
        .collect();
    assert!(!digests.is_empty());
    assert!(digests.iter().all(|f| f["severity"] == "warning"));
    assert!(digests.iter().all(|f| {
        f["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("prod-"))
    }));
    // Make it an error in prod: the run now fails.
    let prod = "environments/prod.yaml";
    scratch.replace(
        prod,
        "    workload/image-digest: warning\n",
        "    workload/image-digest: error\n",
    );
    let strict = scratch.paved(&["policy"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(
        strict.stderr.contains("error[workload/image-digest]"),
        "{}",
        strict.stderr
    );
}

/// Findings of one Rego rule in `paved policy --format json` output.
fn count_rule(stdout: &str, rule: &str) -> usize {
    let findings: Value = serde_json::from_str::<Value>(stdout).unwrap()["diagnostics"].clone();
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .count()
}

#[test]
fn every_file_of_a_package_counts_when_each_declares_the_same_helper() {
    // The conftest idiom: each file declares `name := input.metadata.name`
    // and imports a helper package. Every file's rules must fire.
    let scratch = Scratch::example();
    scratch.write(
        "policies/lib/kubernetes.rego",
        "package kubernetes\n\nimport rego.v1\n\nis_service if input.kind == \"Service\"\n\nis_deployment if input.kind == \"Deployment\"\n",
    );
    for (file, rule, kind) in [
        ("a_deny", "deny_deployments", "is_deployment"),
        ("b_warn", "warn_services", "is_service"),
        ("c_violation", "violation_services", "is_service"),
    ] {
        scratch.write(
            &format!("policies/{file}.rego"),
            &format!(
                "package main\n\nimport data.kubernetes\nimport rego.v1\n\nname := input.metadata.name\n\n{rule} contains sprintf(\"%s is checked by {file}\", [name]) if kubernetes.{kind}\n"
            ),
        );
    }
    let outcome = scratch.paved(&["policy", "--format", "json"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    // 9 services with a Deployment each (one is a worker without a Service),
    // in 4 clusters.
    assert!(count_rule(&outcome.stdout, "main.deny_deployments") > 0);
    assert!(count_rule(&outcome.stdout, "main.warn_services") > 0);
    assert_eq!(
        count_rule(&outcome.stdout, "main.warn_services"),
        count_rule(&outcome.stdout, "main.violation_services")
    );
}

#[test]
fn combined_policies_see_a_unit_and_a_cluster_at_once() {
    let scratch = Scratch::example();
    scratch.write(
        "policies/paved.yaml",
        "apiVersion: paved.dev/v1\nkind: PolicyConfig\ncombine:\n  unit: [unit]\n  cluster: [cluster]\n",
    );
    // Every Deployment has a PodDisruptionBudget in its unit.
    scratch.write(
        "policies/unit.rego",
        r#"package unit

import rego.v1

resources contains item.contents if some item in input

deny_pdb contains {"msg": msg, "resource": {"kind": "Deployment", "name": d.metadata.name, "namespace": d.metadata.namespace}} if {
	some d in resources
	d.kind == "Deployment"
	not covered(d)
	msg := sprintf("Deployment %s has no PodDisruptionBudget", [d.metadata.name])
}

covered(d) if {
	some pdb in resources
	pdb.kind == "PodDisruptionBudget"
	every key, value in pdb.spec.selector.matchLabels {
		d.spec.template.metadata.labels[key] == value
	}
}
"#,
    );
    // Every Service selects the pods of a workload in its cluster.
    scratch.write(
        "policies/cluster.rego",
        r#"package cluster

import rego.v1

resources contains item.contents if some item in input

deny_selector contains {"msg": msg, "resource": s} if {
	some s in resources
	s.kind == "Service"
	not selects(s)
	msg := sprintf("Service %s selects no pod", [s.metadata.name])
}

selects(s) if {
	some w in resources
	w.kind in {"Deployment", "StatefulSet"}
	w.metadata.namespace == s.metadata.namespace
	every key, value in s.spec.selector {
		w.spec.template.metadata.labels[key] == value
	}
}

warn_count contains sprintf("%s renders %d resources", [input[0].contents.paved.cluster, count(resources)])
"#,
    );
    let outcome = scratch.paved(&["policy", "--format", "json"]);
    let findings: Value =
        serde_json::from_str::<Value>(&outcome.stdout).unwrap()["diagnostics"].clone();
    let findings = findings.as_array().unwrap();
    // Dev does not ask for high availability: no PDBs there, one finding
    // per Deployment, pointing at the service.
    let pdb: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "unit.deny_pdb")
        .collect();
    assert!(!pdb.is_empty(), "{}", outcome.stderr);
    assert!(pdb.iter().all(|f| {
        f["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("dev"))
    }));
    assert!(
        pdb.iter()
            .all(|f| f["file"].as_str().unwrap().starts_with("teams/")),
        "{pdb:?}"
    );
    // Every Service of the example selects its pods.
    assert_eq!(count_rule(&outcome.stdout, "cluster.deny_selector"), 0);
    // One message per cluster, at the rule.
    let counts: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "cluster.warn_count")
        .collect();
    assert_eq!(counts.len(), 4, "{counts:?}");
    assert!(counts.iter().all(|f| f["file"] == "policies/cluster.rego"));

    // Break one selector with a patch: the cluster policy names the Service.
    let service = "teams/storefront/services/search.yaml";
    let text = scratch.read(service);
    scratch.write(
        service,
        &format!("{text}patches:\n  - target: {{kind: Service, name: search}}\n    operations:\n      - {{op: add, path: /spec/selector/tier, value: nowhere}}\n"),
    );
    let broken = scratch.paved(&["policy", "--format", "json"]);
    assert!(
        count_rule(&broken.stdout, "cluster.deny_selector") > 0,
        "{}",
        broken.stderr
    );
}

#[test]
fn data_files_and_namespaces_come_from_the_policy_configuration() {
    let scratch = Scratch::example();
    scratch.write(
        "policies/paved.yaml",
        "apiVersion: paved.dev/v1\nkind: PolicyConfig\nnamespaces: [main, kubernetes.images]\ndata: [data/]\n",
    );
    scratch.write(
        "policies/data/images.yaml",
        "images:\n  forbidden: [ghcr.io/northwind/auth]\n",
    );
    scratch.write(
        "policies/images.rego",
        "package kubernetes.images\n\nimport rego.v1\n\ndeny_forbidden contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tsome prefix in data.images.forbidden\n\tstartswith(c.image, prefix)\n\tmsg := sprintf(\"%s runs %s\", [input.metadata.name, c.image])\n}\n",
    );
    // Not configured: never checked.
    scratch.write(
        "policies/ignored.rego",
        "package ignored\n\nimport rego.v1\n\ndeny contains \"always\" if true\n",
    );
    let outcome = scratch.paved(&["policy", "--format", "json"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(count_rule(&outcome.stdout, "kubernetes.images.deny_forbidden") > 0);
    assert_eq!(count_rule(&outcome.stdout, "ignored.deny"), 0);
}

#[test]
fn policy_tests_mock_input_and_data_name_the_failing_expression_and_report_coverage() {
    let scratch = Scratch::example();
    scratch.write(
        "policies/registry.rego",
        "package main\n\nimport rego.v1\n\ndeny_registry contains msg if {\n\tsome c in input.spec.template.spec.containers\n\tnot startswith(c.image, data.registry)\n\tmsg := sprintf(\"%s is not from %s\", [c.image, data.registry])\n}\n\nwarn_unused contains \"never\" if input.kind == \"Nothing\"\n",
    );
    scratch.write(
        "policies/registry_test.rego",
        "package main\n\nimport rego.v1\n\ndeployment := {\"kind\": \"Deployment\", \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"image\": \"docker.io/x:1\"}]}}}}\n\ntest_mocked_data_denies if {\n\tcount(deny_registry) == 1 with input as deployment with data.registry as \"registry.example.com/\"\n}\n\ntest_wrong_expectation if {\n\tdeny_registry == set() with input as deployment with data.registry as \"registry.example.com/\"\n}\n",
    );
    let outcome = scratch.paved(&["policy", "test", "--coverage"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("PASS policies/registry_test.rego: test_mocked_data_denies"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("FAIL policies/registry_test.rego: test_wrong_expectation"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("at policies/registry_test.rego:12"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("`deny_registry == set() with input as deployment"),
        "{}",
        outcome.stderr
    );
    // The unused warn rule's body is never evaluated by a test.
    let line = outcome
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("policies/registry.rego"))
        .unwrap_or_else(|| panic!("{}", outcome.stderr));
    assert!(line.contains("lines not covered: 11"), "{line}");
    assert!(
        outcome.stderr.contains("11 passed, 1 failed"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn the_same_policies_give_the_same_findings_on_every_run() {
    let first = paved_in(&repo_root(), &["policy", "--format", "json"]);
    let second = paved_in(&repo_root(), &["policy", "--format", "json"]);
    assert_eq!(first.stdout, second.stdout);
}

/// Every YAML document of a rendered manifest.
fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

#[test]
fn admission_reports_the_violation_paved_policy_reports() {
    let scratch = Scratch::example();
    let service = "teams/storefront/services/search.yaml";
    let text = scratch.read(service);
    scratch.write(
        service,
        &format!("{text}patches:\n  - target: {{kind: Service, name: search}}\n    operations:\n      - {{op: add, path: /spec/type, value: LoadBalancer}}\n"),
    );
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert_eq!(scratch.paved(&["validate"]).code, 0);

    // What CI reports.
    let policy = scratch.paved(&["policy", "--format", "json"]);
    let findings: Value =
        serde_json::from_str::<Value>(&policy.stdout).unwrap()["diagnostics"].clone();
    let finding = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "main.deny_loadbalancer"
                && f["clusters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == "dev-eu-west-1")
        })
        .unwrap_or_else(|| panic!("{}", policy.stderr));
    let message = finding["message"].as_str().unwrap();

    // What Gatekeeper would report, from the rendered template and
    // constraint, on the admission review of the same Service.
    let platform = documents(&scratch.read("rendered/dev-eu-west-1/_platform/manifest.yaml"));
    let template = platform
        .iter()
        .find(|d| d["kind"] == "ConstraintTemplate")
        .unwrap();
    let constraint = platform
        .iter()
        .find(|d| d["kind"] == "PavedMainDenyLoadbalancer")
        .unwrap();
    // The environment's severity decides: dev relaxes errors to warnings.
    let action = if finding["severity"] == "error" {
        "deny"
    } else {
        "warn"
    };
    assert_eq!(constraint["spec"]["enforcementAction"], action);
    let target = &template["spec"]["targets"][0];
    assert_eq!(target["target"], "admission.k8s.gatekeeper.sh");
    let mut engine = regorus::Engine::new();
    engine
        .add_policy(
            "template.rego".into(),
            target["rego"].as_str().unwrap().into(),
        )
        .unwrap();
    for (index, lib) in target["libs"].as_array().unwrap().iter().enumerate() {
        let lib = lib.as_str().unwrap().to_owned();
        let path = format!("lib{index}.rego");
        if engine.add_policy(path.clone(), lib.clone()).is_err() {
            engine.set_rego_v0(true);
            engine.add_policy(path, lib).unwrap();
            engine.set_rego_v0(false);
        }
    }
    // Gatekeeper's clock, fixed.
    engine
        .add_extension(
            "time.now_ns".into(),
            0,
            Box::new(|_| Ok(regorus::Value::from(0u64))),
        )
        .unwrap();
    engine
        .add_extension(
            "time.format".into(),
            1,
            Box::new(|_| Ok(regorus::Value::from("2026-06-01"))),
        )
        .unwrap();
    let search = documents(&scratch.read("rendered/dev-eu-west-1/storefront/search/manifest.yaml"));
    let review = |object: &Value| {
        serde_json::json!({
            "review": {"object": object, "operation": "CREATE", "kind": {"group": "", "version": "v1", "kind": "Service"}},
            "parameters": constraint["spec"]["parameters"],
        })
    };
    let mut object = search
        .iter()
        .find(|d| d["kind"] == "Service")
        .unwrap()
        .clone();
    engine.set_input(regorus::Value::from(review(&object)));
    let violations = engine
        .eval_rule("data.pavedmaindenyloadbalancer.violation".into())
        .unwrap();
    let violations: Value = serde_json::from_str(&violations.to_json_str().unwrap()).unwrap();
    assert_eq!(violations, serde_json::json!([{"msg": message}]));

    // A ClusterIP Service is admitted.
    object["spec"]["type"] = "ClusterIP".into();
    engine.set_input(regorus::Value::from(review(&object)));
    let none = engine
        .eval_rule("data.pavedmaindenyloadbalancer.violation".into())
        .unwrap();
    assert_eq!(
        none.to_json_str().unwrap().replace(char::is_whitespace, ""),
        "[]"
    );
}

#[test]
fn an_admission_rule_that_does_not_exist_is_refused_where_it_is_named() {
    let scratch = Scratch::example();
    scratch.replace(
        "policies/paved.yaml",
        "rule: main.deny_loadbalancer",
        "rule: main.deny_loadbalancers",
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("no policy declares the rule `main.deny_loadbalancers`"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("policies/paved.yaml:"),
        "{}",
        outcome.stderr
    );
}

/// An organisation without a cluster renders nothing, yet its policies
/// are read all the same: every Rego rule is listed, and a broken one is
/// refused (exit 2), as when there is something to check.
#[test]
fn without_a_cluster_the_policies_are_still_read() {
    let scratch = Scratch::example();
    for env in ["dev", "staging", "prod"] {
        let path = format!("environments/{env}.yaml");
        let text = std::fs::read_to_string(scratch.path().join(&path)).unwrap();
        let mut kept = Vec::new();
        let mut in_clusters = false;
        for line in text.lines() {
            if line.starts_with("clusters:") {
                kept.push("clusters: {}");
                in_clusters = true;
            } else if !(in_clusters && (line.starts_with(' ') || line.is_empty())) {
                in_clusters = false;
                kept.push(line);
            }
        }
        scratch.write(&path, &(kept.join("\n") + "\n"));
    }
    let whole = paved_in(&repo_root(), &["policy"]);
    let empty = scratch.paved(&["policy"]);
    assert_eq!(empty.code, 0, "{}", empty.stderr);
    let rules = |stderr: &str| {
        let at = stderr.find(" rules").unwrap();
        stderr[..at].rsplit(' ').next().unwrap().to_owned()
    };
    assert!(
        empty.stderr.contains("Checked 0 resources"),
        "{}",
        empty.stderr
    );
    assert_eq!(rules(&empty.stderr), rules(&whole.stderr));
    scratch.write(
        "policies/broken.rego",
        "package broken\n\ndeny contains msg if { msg := }\n",
    );
    let broken = scratch.paved(&["policy"]);
    assert_eq!(broken.code, 2, "{}", broken.stderr);
    assert!(
        broken.stderr.contains("nothing was checked"),
        "{}",
        broken.stderr
    );
}
