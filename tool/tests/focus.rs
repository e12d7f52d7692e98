//! `--service`, `--team` and `--cluster` on render, validate, policy and
//! diff: only the units in focus are rendered, reported on, written and
//! compared.

use std::collections::BTreeMap;

use crate::diff::{edit, indexed_repository, repository};
use paved::index::INDEX;

use crate::support::{Scratch, stable};

/// Changes two services of two teams: `checkout` (payments) and `auth`
/// (identity).
fn change_checkout_and_auth(scratch: &Scratch) {
    edit(
        scratch,
        "teams/payments/services/checkout.yaml",
        "maxBodySize: 1m",
        "maxBodySize: 2m",
    );
    edit(
        scratch,
        "teams/identity/services/auth.yaml",
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: 12.1.0",
    );
}

/// Files under `rendered/` whose bytes differ between two trees, or that
/// only one has.
fn changed(before: &BTreeMap<String, Vec<u8>>, after: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut paths: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn a_focused_render_writes_its_service_and_leaves_every_other_file() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let before = scratch.tree("rendered");
    // Two services change; the render is focused on one of them.
    change_checkout_and_auth(&scratch);
    let outcome = scratch.paved(&["render", "--service", "checkout"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    insta::assert_snapshot!("focus-render-one-service", stable(&outcome.stderr));
    let after = scratch.tree("rendered");
    let written = changed(&before, &after);
    assert!(!written.is_empty());
    // The index no longer speaks for the whole tree: it is gone.
    assert!(before.contains_key(INDEX) && !after.contains_key(INDEX));
    assert!(
        written
            .iter()
            .filter(|path| *path != INDEX)
            .all(|path| path.ends_with("/payments/checkout/manifest.yaml")),
        "{written:?}"
    );
    // The rest of the organisation is now behind its inputs, as `check` says.
    assert_eq!(scratch.paved(&["check"]).code, 1);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let full = scratch.tree("rendered");
    assert!(
        changed(&after, &full)
            .iter()
            .filter(|path| *path != INDEX)
            .all(|path| path.ends_with("/identity/auth/manifest.yaml")),
        "a full render changes only what the focused one left out"
    );
}

#[test]
fn a_focused_render_of_a_fresh_tree_writes_only_its_units() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&[
        "render",
        "--team",
        "payments",
        "--cluster",
        "prod-eu-west-1",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let written: Vec<String> = scratch.tree("rendered").into_keys().collect();
    insta::assert_snapshot!("focus-render-team-in-cluster", written.join("\n"));
    // A cluster alone takes its platform units too.
    let outcome = scratch.paved(&["render", "--cluster", "dev-eu-west-1"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let tree = scratch.tree("rendered");
    assert!(tree.contains_key("dev-eu-west-1/_platform/manifest.yaml"));
    assert!(
        tree.keys()
            .any(|path| path.contains("dev-eu-west-1/storefront/"))
    );
    assert!(
        !tree
            .keys()
            .any(|path| path.starts_with("staging-eu-west-1/"))
    );
}

#[test]
fn names_that_name_nothing_are_refused_with_the_nearest_and_nothing_is_written() {
    let scratch = Scratch::example();
    for command in ["render", "validate", "policy"] {
        let outcome = scratch.paved(&[
            command,
            "--service",
            "chekout",
            "--team",
            "paymnts",
            "--cluster",
            "nowhere",
        ]);
        assert_eq!(outcome.code, 2, "{command}: {}", outcome.stderr);
        if command == "render" {
            insta::assert_snapshot!("focus-unknown-names", outcome.report());
        }
        assert!(outcome.stderr.contains("did you mean `checkout`?"));
    }
    assert!(!scratch.path().join("rendered").exists());
}

#[test]
fn validate_and_policy_report_on_the_focus_only() {
    let scratch = Scratch::example();
    let resources = |args: &[&str]| -> u64 {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let outcome = scratch.paved(&args);
        assert_eq!(outcome.code, 0, "{args:?}: {}", outcome.stderr);
        let document: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        document["resources"].as_u64().unwrap()
    };
    for command in ["validate", "policy"] {
        let all = resources(&[command]);
        let team = resources(&[command, "--team", "identity"]);
        let service = resources(&[command, "--service", "auth"]);
        let in_one_cluster =
            resources(&[command, "--service", "auth", "--cluster", "dev-eu-west-1"]);
        assert!(
            all > team && team > service && service > in_one_cluster && in_one_cluster > 0,
            "{command}: {all} {team} {service} {in_one_cluster}"
        );
    }
    // A finding in a service out of focus is not reported.
    edit(
        &scratch,
        "teams/identity/services/auth.yaml",
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: latest",
    );
    let everything = scratch.paved(&["policy"]);
    let elsewhere = scratch.paved(&["policy", "--team", "payments"]);
    assert!(everything.stderr.contains("auth"), "{}", everything.stderr);
    assert!(
        !elsewhere.stderr.contains("identity/auth"),
        "{}",
        elsewhere.stderr
    );
}

#[test]
fn a_focused_diff_compares_the_focused_services_only() {
    let scratch = repository();
    change_checkout_and_auth(&scratch);
    let units = |args: &[&str]| -> Vec<String> {
        let mut args = args.to_vec();
        args.extend(["--base", "main", "--format", "json"]);
        let outcome = scratch.paved(&args);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let document: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        document["diff"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|unit| unit["unit"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = units(&["diff"]);
    assert!(
        all.iter().any(|u| u.contains("auth")) && all.iter().any(|u| u.contains("checkout")),
        "{all:?}"
    );
    let focused = units(&["diff", "--service", "checkout"]);
    assert!(!focused.is_empty());
    assert!(
        focused.iter().all(|u| u.contains("checkout")),
        "{focused:?}"
    );
    let none = units(&["diff", "--team", "storefront"]);
    assert!(none.is_empty(), "{none:?}");
}

/// A service that uses a resource another service claims
/// (`session-cleaner` uses `auth`'s `sessions`) is checked, focused,
/// against that service's unit as its intent now renders it: the unit is
/// context, rendered or read back, never written nor counted.
#[test]
fn a_focused_service_is_checked_against_the_units_whose_resources_it_uses() {
    // Rendered anew, and with the units taken from a committed index.
    checked_against_the_owner(&repository());
    checked_against_the_owner(&indexed_repository());
}

fn checked_against_the_owner(scratch: &Scratch) {
    let focused = &["--service", "session-cleaner"];
    for command in ["render", "validate", "policy"] {
        let outcome = scratch.paved(&[&[command][..], focused].concat());
        assert_eq!(outcome.code, 0, "{command}: {}", outcome.stderr);
    }
    let render = scratch.paved(&[&["render"][..], focused].concat());
    assert!(
        stable(&render.stderr).contains("Rendered 1 service in 4 clusters (4 units)"),
        "{}",
        render.stderr
    );
    // The owner's resource changes kind: the Secret the cleaner reads now
    // comes from the new claim, which only `auth`'s new unit holds.
    edit(
        scratch,
        "teams/identity/services/auth.yaml",
        "  sessions: {type: redis}",
        "  sessions: {type: postgres}",
    );
    let before = scratch.rendered_files();
    let render = scratch.paved(&[&["render"][..], focused].concat());
    assert_eq!(render.code, 0, "{}", render.stderr);
    let after = scratch.rendered_files();
    let written = changed(&before, &after);
    assert!(
        !written.is_empty()
            && written
                .iter()
                .all(|path| path.contains("/session-cleaner/") || path == INDEX),
        "{written:?}"
    );
    for command in ["validate", "policy"] {
        let outcome = scratch.paved(&[&[command][..], focused].concat());
        assert_eq!(outcome.code, 0, "{command}: {}", outcome.stderr);
    }
    // What it wrote is what a render of everything writes.
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let full = scratch.rendered_files();
    for path in written.iter().filter(|path| *path != INDEX) {
        assert_eq!(after.get(path), full.get(path), "{path}");
    }
    // Used in one environment only, by an override: the same there.
    edit(
        scratch,
        "teams/identity/services/session-cleaner.yaml",
        "uses:\n  sessions: {from: auth}\n",
        "",
    );
    edit(
        scratch,
        "teams/identity/services/session-cleaner.yaml",
        "  prod: {tag: 1.1.0}",
        "  prod: {tag: 1.1.0, uses: {sessions: {from: auth}}}",
    );
    assert_eq!(scratch.paved(&["render"]).code, 0);
    for command in ["render", "validate", "policy"] {
        let outcome = scratch.paved(&[&[command][..], focused].concat());
        assert_eq!(outcome.code, 0, "{command}: {}", outcome.stderr);
    }
}

/// What the checks find of a context unit alone is not reported: a
/// conflict between a focused service and a unit it is checked against
/// shows on the focused side, located in the focused intent.
#[test]
fn a_conflict_with_the_context_shows_on_the_focused_side_only() {
    let scratch = Scratch::example();
    scratch.write(
        "teams/identity/services/login-proxy.yaml",
        "apiVersion: paved.dev/v1\nkind: Service\nname: login-proxy\ngoldenPath: web-service\nimage: ghcr.io/northwind/login-proxy\nports:\n  http: 8080\nroutes:\n  login: {host: login.northwind.dev}\nuses:\n  sessions: {from: auth}\nenvironments:\n  dev: {tag: 1.0.0}\n  staging: {tag: 1.0.0}\n  prod: {tag: 1.0.0}\n",
    );
    let outcome = scratch.paved(&["validate", "--service", "login-proxy"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("is claimed by both service `login-proxy`")
            && outcome
                .stderr
                .contains("teams/identity/services/login-proxy.yaml:9:")
            && outcome.stderr.contains("1 error in 1 file"),
        "{}",
        outcome.stderr
    );
    assert!(
        !outcome.stderr.contains("Ingress identity/auth"),
        "{}",
        outcome.stderr
    );
}
