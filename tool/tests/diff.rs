//! `paved diff` on real git repositories built in temporary folders.

use std::process::Command;

use serde_json::Value;

use crate::support::{Scratch, repo_root};

use crate::support::synthetic;

pub fn git(scratch: &Scratch, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(scratch.path())
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The example organisation, committed as the base of a branch.
pub fn repository() -> Scratch {
    let scratch = Scratch::example();
    git(&scratch, &["init", "-q", "-b", "main"]);
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "base"]);
    scratch
}

/// The example organisation rendered and committed with its index, as
/// the base of a branch.
pub fn indexed_repository() -> Scratch {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    git(&scratch, &["init", "-q", "-b", "main"]);
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "base"]);
    scratch
}

fn diff_json(scratch: &Scratch, base: &str) -> Value {
    let outcome = scratch.paved(&["diff", "--base", base, "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    document["diff"].clone()
}

/// Every change as `cluster unit change Kind namespace/name`.
fn changes(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for unit in report["units"].as_array().unwrap() {
        for change in unit["changes"].as_array().unwrap() {
            out.push(format!(
                "{} {} {} {} {}/{}",
                unit["cluster"].as_str().unwrap(),
                unit["unit"].as_str().unwrap(),
                change["change"].as_str().unwrap(),
                change["kind"].as_str().unwrap(),
                change["namespace"].as_str().unwrap_or("-"),
                change["name"].as_str().unwrap(),
            ));
        }
    }
    out
}

/// Replaces the first `from` in a file of `scratch` with `to`.
pub fn edit(scratch: &Scratch, path: &str, from: &str, to: &str) {
    let text = scratch.read(path);
    assert!(text.contains(from), "{path} lacks {from:?}");
    scratch.write(path, &text.replacen(from, to, 1));
}

#[test]
fn a_tag_bump_in_staging_changes_one_deployment_in_staging_only() {
    let scratch = repository();
    edit(
        &scratch,
        "teams/identity/services/auth.yaml",
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: 12.1.0",
    );
    let report = diff_json(&scratch, "main");
    assert_eq!(
        changes(&report),
        ["staging-eu-west-1 auth changed Deployment identity/auth"]
    );
    let markdown = scratch.paved(&["diff", "--base", "main", "--format", "markdown"]);
    let stable = markdown
        .stdout
        .replace(&report["base"].as_str().unwrap()[..12], "BASE");
    insta::assert_snapshot!(stable);
}

#[test]
fn a_golden_path_change_shows_every_service_on_it() {
    let scratch = repository();
    edit(
        &scratch,
        "golden-paths/web-service/templates/deployment.yaml",
        "revisionHistoryLimit: 5",
        "revisionHistoryLimit: 10",
    );
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    // prod pins web-service 1.0.0: the newest version's change reaches dev
    // and staging only.
    assert_eq!(found.len(), 8, "{found:#?}");
    assert!(found.iter().all(|c| c.contains("changed Deployment")));
    assert!(!found.iter().any(|c| c.starts_with("prod-")), "{found:#?}");
    let services: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(services, ["auth", "checkout", "search", "web-shop"]);
    let text = scratch.paved(&["diff", "--base", "main"]).stdout;
    assert!(
        text.contains("touching 4 services") && !text.contains("including production"),
        "{text}"
    );
}

#[test]
fn a_new_service_shows_only_additions() {
    let scratch = repository();
    scratch.write(
        "teams/payments/services/refunds.yaml",
        "apiVersion: paved.dev/v1\nkind: Service\nname: refunds\ngoldenPath: worker\nimage: registry.northwind.dev/payments/refunds\nenvironments:\n  dev: {tag: 0.1.0}\n",
    );
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    assert!(!found.is_empty());
    assert!(found.iter().all(|c| c.contains(" added ")), "{found:#?}");
    assert!(found.contains(&"dev-eu-west-1 refunds added Deployment payments/refunds".to_owned()));
    assert!(found.contains(&"dev-eu-west-1 _argocd added Application argocd/refunds".to_owned()));
}

#[test]
fn a_deleted_service_shows_only_removals() {
    let scratch = repository();
    scratch.remove("teams/identity/services/session-cleaner.yaml");
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    // Per cluster: its Application, its network policy, and its six
    // resources (job, account, settings, monitor, rules, dashboard).
    assert_eq!(found.len(), 4 * 8, "{found:#?}");
    assert!(found.iter().all(|c| c.contains(" removed ")), "{found:#?}");
}

#[test]
fn secret_values_never_show() {
    let scratch = repository();
    let template = "platform/templates/registry.yaml";
    scratch.write(
        template,
        "{% for team in teams %}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\n  namespace: {{ team.namespace }}\ntype: Opaque\ndata:\n  token: c3VwZXJzZWNyZXQx\n  user: cm9ib3Q=\n{% endfor %}\n",
    );
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "registry secret"]);
    edit(&scratch, template, "c3VwZXJzZWNyZXQx", "c3VwZXJzZWNyZXQy");
    for format in ["text", "markdown", "json"] {
        let outcome = scratch.paved(&["diff", "--base", "main", "--format", format]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(
            !outcome.stdout.contains("c3VwZXJzZWNyZXQ"),
            "{format}: {}",
            outcome.stdout
        );
        assert!(
            !outcome.stdout.contains("cm9ib3Q"),
            "{format}: {}",
            outcome.stdout
        );
        assert!(
            outcome.stdout.contains("(hidden, changed)"),
            "{format}: {}",
            outcome.stdout
        );
    }
    let report = diff_json(&scratch, "main");
    assert_eq!(changes(&report).len(), 16);
}

#[test]
fn key_order_never_shows_and_renamed_config_maps_pair_up() {
    let scratch = repository();
    // Swap two keys in a template: nothing changes.
    edit(
        &scratch,
        "golden-paths/cron-job/templates/cronjob.yaml",
        "  startingDeadlineSeconds: 300\n  successfulJobsHistoryLimit: 3\n",
        "  successfulJobsHistoryLimit: 3\n  startingDeadlineSeconds: 300\n",
    );
    let unchanged = scratch.paved(&["diff", "--base", "main", "--exit-code"]);
    assert_eq!(
        unchanged.code, 0,
        "{}{}",
        unchanged.stdout, unchanged.stderr
    );
    assert!(
        unchanged.stdout.starts_with("No changes"),
        "{}",
        unchanged.stdout
    );
    // A new env value: the ConfigMap is renamed by its hash, shown as one change.
    edit(
        &scratch,
        "teams/fulfilment/services/order-events.yaml",
        "MAX_IN_FLIGHT: 32",
        "MAX_IN_FLIGHT: 64",
    );
    let changed = scratch.paved(&["diff", "--base", "main", "--exit-code"]);
    assert_eq!(changed.code, 1);
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    assert_eq!(found.len(), 8, "{found:#?}");
    assert!(found.iter().all(|c| c.contains(" changed ")), "{found:#?}");
    let config_map = &report["units"][0]["changes"][0];
    assert_eq!(config_map["kind"], "ConfigMap");
    assert!(
        config_map["renamed_from"]
            .as_str()
            .unwrap()
            .starts_with("order-events-env-")
    );
    assert!(
        config_map["diff"]
            .as_str()
            .unwrap()
            .contains("+  MAX_IN_FLIGHT: '64'")
    );
}

#[test]
fn a_base_with_a_different_set_of_directories_works() {
    let scratch = Scratch::example();
    // The base has no cron-job golden path and no identity team.
    let hidden = crate::support::tempdir();
    for path in ["golden-paths/cron-job", "teams/identity"] {
        std::fs::rename(
            scratch.path().join(path),
            hidden.path().join(path.replace('/', "-")),
        )
        .unwrap();
    }
    for service in [
        "teams/storefront/services/sitemap-builder.yaml",
        "teams/payments/services/settlement.yaml",
        "teams/fulfilment/services/stock-sync.yaml",
    ] {
        std::fs::rename(
            scratch.path().join(service),
            hidden.path().join(service.replace('/', "-")),
        )
        .unwrap();
    }
    edit(
        &scratch,
        "teams/payments/services/checkout.yaml",
        ", auth]",
        "]",
    );
    edit(
        &scratch,
        "teams/storefront/services/web-shop.yaml",
        ", auth]",
        "]",
    );
    git(&scratch, &["init", "-q", "-b", "main"]);
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "smaller base"]);
    for path in ["golden-paths/cron-job", "teams/identity"] {
        std::fs::rename(
            hidden.path().join(path.replace('/', "-")),
            scratch.path().join(path),
        )
        .unwrap();
    }
    for service in [
        "teams/storefront/services/sitemap-builder.yaml",
        "teams/payments/services/settlement.yaml",
        "teams/fulfilment/services/stock-sync.yaml",
    ] {
        std::fs::rename(
            hidden.path().join(service.replace('/', "-")),
            scratch.path().join(service),
        )
        .unwrap();
    }
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    assert!(found.contains(&"prod-eu-west-1 auth added Deployment identity/auth".to_owned()));
    assert!(found.contains(&"dev-eu-west-1 _platform added Namespace -/identity".to_owned()));
    assert!(
        found.contains(&"prod-us-east-1 settlement added CronJob payments/settlement".to_owned())
    );
}

#[test]
fn a_bad_ref_is_a_clear_error() {
    let scratch = repository();
    let outcome = scratch.paved(&["diff", "--base", "no-such-branch"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("`no-such-branch` does not name a commit in this repository"),
        "{}",
        outcome.stderr
    );
    let outside = Scratch::example();
    let outcome = outside.paved(&["diff"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("is not inside a git repository"),
        "{}",
        outcome.stderr
    );
    let no_upstream = scratch.paved(&["diff"]);
    assert_eq!(no_upstream.code, 2);
    assert!(
        no_upstream
            .stderr
            .contains("no `--base` given, and there is no `origin/main`"),
        "{}",
        no_upstream.stderr
    );
}

#[test]
fn the_default_base_is_the_merge_base_with_origin_main() {
    let scratch = repository();
    git(
        &scratch,
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    git(&scratch, &["checkout", "-q", "-b", "feature"]);
    edit(
        &scratch,
        "teams/identity/services/auth.yaml",
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: 12.1.0",
    );
    git(&scratch, &["commit", "-q", "-am", "bump auth in staging"]);
    let outcome = scratch.paved(&["diff", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let report = &document["diff"];
    assert!(report["base"].as_str().unwrap().ends_with(" base"));
    assert_eq!(
        changes(report),
        ["staging-eu-west-1 auth changed Deployment identity/auth"]
    );
}

#[test]
fn the_markdown_comment_stays_under_the_limit_and_keeps_its_summary() {
    let dir = crate::support::tempdir();
    synthetic::generate(&repo_root(), dir.path(), 300);
    let scratch = Scratch { dir };
    git(&scratch, &["init", "-q", "-b", "main"]);
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "base"]);
    edit(
        &scratch,
        "golden-paths/web-service/templates/deployment.yaml",
        "revisionHistoryLimit: 5",
        "revisionHistoryLimit: 10",
    );
    edit(
        &scratch,
        "golden-paths/worker/templates/_pod.yaml",
        "periodSeconds: 10",
        "periodSeconds: 12",
    );
    let outcome = scratch.paved(&["diff", "--base", "main", "--format", "markdown"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let comment = outcome.stdout;
    assert!(comment.len() < 65_536, "{} characters", comment.len());
    assert!(comment.starts_with("<!-- paved-diff -->"));
    assert!(
        // Workers only: prod pins web-service 1.0.0, whose template did not change.
        comment.contains("| `prod-eu-west-1` ⚠️ | prod | 0 | 75 | 0 |"),
        "{}",
        &comment[..2000]
    );
    assert!(comment.contains("Detail was shortened to fit a comment"));
}

#[test]
fn a_base_from_before_paved_shows_everything_as_added() {
    let scratch = Scratch::example();
    git(&scratch, &["init", "-q", "-b", "main"]);
    scratch.write("README.md", "before paved\n");
    git(&scratch, &["add", "README.md"]);
    git(&scratch, &["commit", "-q", "-m", "before paved"]);
    let report = diff_json(&scratch, "main");
    let found = changes(&report);
    assert!(found.len() > 400, "{}", found.len());
    assert!(found.iter().all(|c| c.contains(" added ")));
}

/// A base whose committed index this paved wrote is not rendered: its
/// changed units are read back from the base commit's bytes, and the
/// report is the one a render of the base gives. Bytes that are not the
/// ones the index names are never read back: the base is rendered.
#[test]
fn a_base_with_its_index_is_read_back_and_compares_as_rendered() {
    let change = |scratch: &Scratch| {
        edit(
            scratch,
            "teams/identity/services/auth.yaml",
            "  staging:\n    tag: 12.0.1",
            "  staging:\n    tag: 12.0.2",
        );
        edit(
            scratch,
            "teams/payments/services/checkout.yaml",
            "maxBodySize: 1m",
            "maxBodySize: 2m",
        );
    };
    let rendered_base = repository();
    change(&rendered_base);
    let expected = diff_json(&rendered_base, "main");
    assert!(!changes(&expected).is_empty());

    let indexed = indexed_repository();
    change(&indexed);
    let read_back = "(the base's as its commit and index hold them)";
    let outcome = indexed.paved(&["diff", "--base", "main", "--format", "json"]);
    assert!(outcome.stderr.contains(read_back), "{}", outcome.stderr);
    let mut report = diff_json(&indexed, "main");
    report["base"] = expected["base"].clone();
    assert_eq!(report, expected);

    // A base commit holding other bytes than its index names (here, an
    // image) is rendered, not read back.
    git(&indexed, &["stash", "-q"]);
    let path = "rendered/staging-eu-west-1/identity/auth/manifest.yaml";
    let text = indexed.read(path);
    indexed.write(path, &text.replacen("image: ", "image: x", 1));
    git(&indexed, &["commit", "-q", "-am", "a hand edit"]);
    git(&indexed, &["stash", "pop", "-q"]);
    let outcome = indexed.paved(&["diff", "--base", "main", "--format", "json"]);
    assert!(!outcome.stderr.contains(read_back), "{}", outcome.stderr);
    let mut report = diff_json(&indexed, "main");
    report["base"] = expected["base"].clone();
    assert_eq!(report, expected);
}

/// Against a base whose index this paved wrote, the head resolves only
/// the services whose output may differ, recalling the rest from the
/// base's index: a change that changes another service's output (auth's
/// `sessions`, which session-cleaner shares, made a database) shows both,
/// exactly as a diff that resolves everything does.
#[test]
fn a_change_to_what_another_service_shares_shows_both_as_without_an_index() {
    let change = |scratch: &Scratch| {
        edit(
            scratch,
            "teams/identity/services/auth.yaml",
            "{type: redis}",
            "{type: postgres}",
        );
    };
    let rendered_base = repository();
    change(&rendered_base);
    let expected = diff_json(&rendered_base, "main");
    let changed = changes(&expected);
    assert!(
        changed
            .iter()
            .any(|change| change.contains(" session-cleaner ")),
        "{changed:#?}"
    );

    let indexed = indexed_repository();
    change(&indexed);
    let mut report = diff_json(&indexed, "main");
    report["base"] = expected["base"].clone();
    assert_eq!(report, expected);
}
