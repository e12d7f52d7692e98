//! Rendering the example organisation: what is written, what is left
//! alone, what `paved check` says.

use std::fs;

use crate::support::{Scratch, paved_in, paved_process, repo_root};

#[test]
fn the_committed_rendered_tree_is_fresh() {
    let outcome = paved_in(&repo_root(), &["check"]);
    assert_eq!(
        outcome.code, 0,
        "run `cargo run -- render` and commit rendered/\n{}",
        outcome.stderr
    );
}

#[test]
fn renders_every_service_in_every_cluster_and_check_agrees() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["render"]);
    insta::assert_snapshot!(outcome.report(), @"
    exit code: 0
    Rendered 15 services in 4 clusters (66 units) in [time]: 69 written, 0 removed, 0 unchanged
    ");
    let tree = scratch.tree("rendered");
    assert!(tree.contains_key("prod-us-east-1/payments/checkout/manifest.yaml"));
    assert!(tree.contains_key("dev-eu-west-1/_platform/manifest.yaml"));
    // settlement does not run in dev
    assert!(!tree.contains_key("dev-eu-west-1/payments/settlement/manifest.yaml"));
    let check = scratch.paved(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let one = Scratch::example();
    let many = Scratch::example();
    assert_eq!(one.paved(&["render", "--jobs", "1"]).code, 0);
    assert_eq!(many.paved(&["render", "--jobs", "8"]).code, 0);
    assert_eq!(one.tree("rendered"), many.tree("rendered"));
}

#[test]
fn a_render_from_remembered_units_is_the_render_paved_makes_afresh() {
    // Commands run in this process remember the units they render (as
    // `portal serve` does), so the second render below takes every unit
    // but auth's from the first; `paved` itself remembers nothing. What the
    // second render wrote must be what a fresh render writes, byte for byte.
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    scratch.replace(
        "teams/identity/services/auth.yaml",
        "tag: 12.0.1",
        "tag: 12.1.0",
    );
    let remembered = scratch.paved(&["render"]);
    assert!(
        remembered.stderr.contains("3 written, 0 removed"),
        "{}",
        remembered.stderr
    );
    let afresh = paved_process(scratch.path(), &["check"], "2026-11-27");
    assert_eq!(afresh.code, 0, "{}", afresh.stderr);
}

/// Commands run in this process also keep whole runs: a command whose
/// inputs answer every question a kept run asked (each directory listed,
/// each file read) as they did then gets that run's outcome. Every change
/// a run could see must show, and a failed run fails the same way again.
/// (The date is part of a run too: see `hostile`'s expired grant.)
#[test]
fn a_run_kept_in_the_process_holds_only_while_its_inputs_are_the_same() {
    let scratch = Scratch::example();
    let auth = "teams/identity/services/auth.yaml";
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
    scratch.replace(auth, "tag: 12.0.1", "tag: 12.1.0");
    let stale = scratch.paved(&["check"]);
    assert_eq!(stale.code, 1, "{}", stale.stderr);

    let broken = "teams/identity/services/broken.yaml";
    scratch.write(broken, "apiVersion: paved.dev/v1\nkind: Service\nname: [\n");
    let first = scratch.paved(&["render"]);
    assert_eq!(first.code, 2, "{}", first.stderr);
    assert!(first.stderr.contains(broken), "{}", first.stderr);
    assert_eq!(first.report(), scratch.paved(&["render"]).report());

    scratch.remove(broken);
    let render = scratch.paved(&["render"]);
    assert!(
        render.stderr.contains("3 written, 0 removed"),
        "{}",
        render.stderr
    );
    // Back to the inputs of the first run: its outcome, which the tree
    // written since no longer matches.
    scratch.replace(auth, "tag: 12.1.0", "tag: 12.0.1");
    assert_eq!(scratch.paved(&["check"]).code, 1);
    let render = scratch.paved(&["render"]);
    assert!(
        render.stderr.contains("3 written, 0 removed"),
        "{}",
        render.stderr
    );
    let afresh = paved_process(scratch.path(), &["check"], "2026-11-27");
    assert_eq!(afresh.code, 0, "{}", afresh.stderr);
}

#[test]
fn unchanged_files_are_not_rewritten() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let manifest = scratch
        .path()
        .join("rendered/dev-eu-west-1/identity/auth/manifest.yaml");
    let before = fs::metadata(&manifest).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = scratch.paved(&["render"]);
    assert!(
        again.stderr.contains("0 written, 0 removed, 69 unchanged"),
        "{}",
        again.stderr
    );
    assert_eq!(fs::metadata(&manifest).unwrap().modified().unwrap(), before);
}

#[test]
fn a_tag_bump_rewrites_only_that_service_in_that_environment() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let intent = scratch.read("teams/identity/services/auth.yaml");
    scratch.write(
        "teams/identity/services/auth.yaml",
        &intent.replacen(
            "tag: 12.0.1\n    routes:\n      login: {host: login.staging",
            "tag: 12.1.0\n    routes:\n      login: {host: login.staging",
            1,
        ),
    );
    let outcome = scratch.paved(&["render"]);
    assert!(
        outcome
            .stderr
            .contains("2 written, 0 removed, 67 unchanged"),
        "{}",
        outcome.stderr
    );
    let manifest = scratch.read("rendered/staging-eu-west-1/identity/auth/manifest.yaml");
    assert!(manifest.contains("image: ghcr.io/northwind/auth:12.1.0"));
    // The other file is the staging _platform: a new image changes nothing there.
    let platform = scratch.read("rendered/staging-eu-west-1/_platform/manifest.yaml");
    assert!(!platform.contains("12.1.0"));
}

#[test]
fn a_deleted_service_disappears_from_every_cluster() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    scratch.remove("teams/storefront/services/search.yaml");
    // web-shop depends on search: drop the dependency too.
    scratch.replace("teams/storefront/services/web-shop.yaml", ", search,", ",");
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("4 removed"), "{}", outcome.stderr);
    for cluster in [
        "dev-eu-west-1",
        "staging-eu-west-1",
        "prod-eu-west-1",
        "prod-us-east-1",
    ] {
        assert!(
            !scratch
                .path()
                .join(format!("rendered/{cluster}/storefront/search"))
                .exists()
        );
    }
}

#[test]
fn a_new_intent_becomes_a_deployment() {
    let scratch = Scratch::example();
    scratch.write(
        "teams/payments/services/refunds.yaml",
        "apiVersion: paved.dev/v1
kind: Service
name: refunds
goldenPath: web-service
image: registry.northwind.dev/payments/refunds
ports:
  http: 8080
dependsOn: [ledger]
environments:
  dev: {tag: 0.1.0}
",
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let manifest = scratch.read("rendered/dev-eu-west-1/payments/refunds/manifest.yaml");
    let kinds: Vec<String> = serde_yaml_documents(&manifest)
        .iter()
        .map(|doc| {
            format!(
                "{}/{}",
                doc["kind"].as_str().unwrap(),
                doc["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(kinds.join("\n"), @"
    ServiceAccount/refunds
    ConfigMap/refunds-dashboard
    ConfigMap/refunds-env-a7fa1ce854
    Service/refunds
    Deployment/refunds
    ServiceMonitor/refunds
    PrometheusRule/refunds-slo
    ");
    // ledger now lets refunds in
    let platform = scratch.read("rendered/dev-eu-west-1/_platform/manifest.yaml");
    let policy = &platform[platform.find("name: allow-ledger").unwrap()..];
    let policy = &policy[..policy.find("---").unwrap_or(policy.len())];
    assert!(
        policy.contains("app.kubernetes.io/name: refunds"),
        "{policy}"
    );
}

#[test]
fn check_lists_stale_missing_and_unexpected_files() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let edited = "rendered/prod-eu-west-1/payments/ledger/manifest.yaml";
    scratch.replace(edited, "replicas: 3", "replicas: 1");
    scratch.remove("rendered/dev-eu-west-1/identity/auth/manifest.yaml");
    scratch.write(
        "rendered/dev-eu-west-1/identity/hand-made.yaml",
        "kind: ConfigMap\n",
    );
    let outcome = scratch.paved(&["check"]);
    insta::assert_snapshot!(outcome.report(), @r"
    exit code: 1
    stale (content differs from a fresh render):
      rendered/prod-eu-west-1/payments/ledger/manifest.yaml
    missing (would be written):
      rendered/dev-eu-west-1/identity/auth/manifest.yaml
    unexpected (would be removed):
      rendered/dev-eu-west-1/identity/hand-made.yaml
    `rendered/` is out of date: 3 files. Run `paved render` and commit the result; never edit `rendered/` by hand
    ");
    let json = scratch.paved(&["check", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed["clean"], false);
    assert_eq!(
        parsed["stale"][0],
        "prod-eu-west-1/payments/ledger/manifest.yaml"
    );
}

#[test]
fn nothing_outside_rendered_is_touched() {
    let scratch = Scratch::example();
    let inputs_before: Vec<_> = crate::support::INPUT_DIRS
        .iter()
        .map(|d| scratch.tree(d))
        .collect();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
    let inputs_after: Vec<_> = crate::support::INPUT_DIRS
        .iter()
        .map(|d| scratch.tree(d))
        .collect();
    assert_eq!(inputs_before, inputs_after);
    let top: Vec<String> = fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut top = top;
    top.sort();
    assert_eq!(
        top,
        [
            "environments",
            "golden-paths",
            "platform",
            "policies",
            "rendered",
            "teams"
        ]
    );
}

#[test]
fn a_failed_render_leaves_the_previous_tree_alone() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let before = scratch.tree("rendered");
    scratch.write("teams/payments/services/broken.yaml", "name: [unclosed\n");
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("nothing was written"));
    assert_eq!(scratch.tree("rendered"), before);
}

pub fn serde_yaml_documents(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| serde_json::Value::deserialize(doc).unwrap())
        .filter(|doc| !doc.is_null())
        .collect()
}

#[test]
fn the_example_validates_clean() {
    let outcome = paved_in(&repo_root(), &["validate"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("0 errors, 0 warnings"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn render_writes_nothing_when_the_output_is_invalid_unless_asked() {
    let scratch = Scratch::example();
    let template = "golden-paths/worker/templates/deployment.yaml";
    scratch.replace(template, "revisionHistoryLimit:", "revisionHistoryLimt:");
    let refused = scratch.paved(&["render"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("unknown field `revisionHistoryLimt`"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was written"),
        "{}",
        refused.stderr
    );
    assert!(!scratch.path().join("rendered").exists());
    let forced = scratch.paved(&["render", "--allow-invalid"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced.stderr.contains("warning: Deployment"),
        "{}",
        forced.stderr
    );
    assert!(
        scratch
            .path()
            .join("rendered/dev-eu-west-1/fulfilment/order-events/manifest.yaml")
            .exists()
    );
}

#[test]
fn validate_prints_json_for_machines() {
    let scratch = Scratch::example();
    let template = "golden-paths/worker/templates/deployment.yaml";
    scratch.replace(template, "revisionHistoryLimit:", "revisionHistoryLimt:");
    let outcome = scratch.paved(&["validate", "--format", "json"]);
    assert_eq!(outcome.code, 1);
    let findings: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&outcome.stdout).unwrap()["diagnostics"].clone();
    let first = &findings[0];
    assert_eq!(
        first["file"],
        "golden-paths/worker/templates/deployment.yaml"
    );
    assert_eq!(first["line"], 9);
    assert_eq!(first["field"], "spec.revisionHistoryLimt");
    assert!(
        first["resource"]
            .as_str()
            .unwrap()
            .starts_with("Deployment fulfilment/")
    );
    assert_eq!(first["clusters"].as_array().unwrap().len(), 4);
}
