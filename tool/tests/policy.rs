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
    assert_eq!(location["region"]["startLine"], 14);
    assert_eq!(digest["level"], "warning");
    let index = digest["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "workload/image-digest");
}

#[test]
fn environments_raise_and_lower_severity() {
    let scratch = Scratch::example();
    // A tag instead of a digest: off by default, a warning in prod as configured.
    let dev = scratch.paved(&["policy", "--format", "json"]);
    let findings: Value = serde_json::from_str(&dev.stdout).unwrap();
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
    let text = scratch.read(prod);
    scratch.write(
        prod,
        &text.replace(
            "    workload/image-digest: warning\n",
            "    workload/image-digest: error\n",
        ),
    );
    let strict = scratch.paved(&["policy"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert!(
        strict.stderr.contains("error[workload/image-digest]"),
        "{}",
        strict.stderr
    );
}
