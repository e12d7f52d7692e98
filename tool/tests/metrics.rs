//! `paved metrics` on a git history the test scripts, whose figures are
//! computed by hand below. Every commit is rendered with the real binary,
//! committed at a fixed time, and measured as of 2026-11-27 (the tests'
//! today), so the 90-day window runs from 2026-08-30.
//!
//! The history (UTC; `prod` has two clusters, so each prod change is one
//! deployment to two clusters):
//!
//! | commit | when             | change                                             |
//! |--------|------------------|----------------------------------------------------|
//! | C0     | 2026-06-01 09:00 | the example organisation (before the window)       |
//! | C1     | 2026-10-05 09:00 | auth 12.1.0 to dev                                 |
//! | C2     | 2026-10-06 09:00 | auth 12.1.0 to staging                             |
//! | C3     | 2026-10-07 09:00 | auth 12.1.0 to prod: D1, lead time 48h             |
//! | C4     | 2026-10-12 09:00 | auth 12.2.0 to dev and staging                     |
//! | C5     | 2026-10-13 15:00 | auth 12.2.0 to prod: D2, lead time 30h             |
//! | C6     | 2026-10-13 18:00 | auth back to 12.1.0 in prod: D3, a rollback: D2 failed, restored in 3h |
//! | C7     | 2026-10-20 09:00 | search 1.0.0 to dev, staging and prod at once: D4, lead time 0 |
//! | M8     | 2026-10-21 09:00 | merge of a branch (commit F at 08:00) raising search's prod memory: D5 |
//! | C9     | 2026-10-22 12:00 | `git revert F`: D6; D5 failed, restored in 27h     |
//! | C10    | 2026-10-26 09:00 | auth to a digest no other environment ran: D7, untraced |
//! | C11    | 2026-11-02 09:00 | auth 12.3.0 to dev, with `platform/dora.yaml` edited alongside |
//! | C12    | 2026-11-03 09:00 | new service refunds (payments), dev only           |
//! | C13    | 2026-11-05 09:00 | refunds to prod: D8, lead time 48h                 |
//!
//! Production deployments in the window: D1..D8 = 8 (0.62 a week, medium).
//! Lead times 48h, 30h, 0h, 48h: median 39h (high); one untraced (D7).
//! Failed: D2 and D5, 2 of 8 = 25% (low). Restores 3h and 27h: median 15h
//! (high).

use std::process::Command;
use std::sync::LazyLock;

use serde_json::Value;

use crate::support::Scratch;

/// Runs git in `scratch` as if at `date` (`2026-10-05T09:00:00Z`).
fn git_at(scratch: &Scratch, date: &str, args: &[&str]) -> String {
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
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn edit(scratch: &Scratch, path: &str, from: &str, to: &str) {
    let text = scratch.read(path);
    assert!(text.contains(from), "{path} lacks {from:?}");
    scratch.write(path, &text.replacen(from, to, 1));
}

/// Renders, then commits everything at `date`.
fn commit(scratch: &Scratch, date: &str, message: &str) {
    let rendered = scratch.paved(&["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    git_at(scratch, date, &["add", "-A"]);
    git_at(scratch, date, &["commit", "-q", "-m", message]);
}

const AUTH: &str = "teams/identity/services/auth.yaml";
const SEARCH: &str = "teams/storefront/services/search.yaml";
const REFUNDS: &str = "teams/payments/services/refunds.yaml";

fn refunds(environments: &str) -> String {
    format!(
        "apiVersion: paved.dev/v1\nkind: Service\nname: refunds\ndescription: Pays refunds back.\ngoldenPath: worker\nimage: registry.northwind.dev/payments/refunds\ndependsOn: []\nenvironments:\n{environments}"
    )
}

/// The scripted history, built once for every test here.
static HISTORY: LazyLock<Scratch> = LazyLock::new(|| {
    let s = Scratch::example_kept();
    git_at(&s, "2026-06-01T09:00:00Z", &["init", "-q", "-b", "main"]);
    commit(&s, "2026-06-01T09:00:00Z", "C0 the example organisation");

    edit(
        &s,
        AUTH,
        "  dev:\n    tag: 12.0.1",
        "  dev:\n    tag: 12.1.0",
    );
    commit(&s, "2026-10-05T09:00:00Z", "C1 auth 12.1.0 to dev");
    edit(
        &s,
        AUTH,
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: 12.1.0",
    );
    commit(&s, "2026-10-06T09:00:00Z", "C2 auth 12.1.0 to staging");
    edit(
        &s,
        AUTH,
        "  prod:\n    tag: 12.0.0",
        "  prod:\n    tag: 12.1.0",
    );
    commit(&s, "2026-10-07T09:00:00Z", "C3 auth 12.1.0 to prod");
    edit(
        &s,
        AUTH,
        "  dev:\n    tag: 12.1.0",
        "  dev:\n    tag: 12.2.0",
    );
    edit(
        &s,
        AUTH,
        "  staging:\n    tag: 12.1.0",
        "  staging:\n    tag: 12.2.0",
    );
    commit(
        &s,
        "2026-10-12T09:00:00Z",
        "C4 auth 12.2.0 to dev and staging",
    );
    edit(
        &s,
        AUTH,
        "  prod:\n    tag: 12.1.0",
        "  prod:\n    tag: 12.2.0",
    );
    commit(&s, "2026-10-13T15:00:00Z", "C5 auth 12.2.0 to prod");
    edit(
        &s,
        AUTH,
        "  prod:\n    tag: 12.2.0",
        "  prod:\n    tag: 12.1.0",
    );
    commit(&s, "2026-10-13T18:00:00Z", "C6 roll auth back to 12.1.0");

    edit(&s, SEARCH, "dev: {tag: 0.9.3", "dev: {tag: 1.0.0");
    edit(&s, SEARCH, "staging: {tag: 0.9.3}", "staging: {tag: 1.0.0}");
    edit(
        &s,
        SEARCH,
        "  prod:\n    tag: 0.9.3",
        "  prod:\n    tag: 1.0.0",
    );
    commit(&s, "2026-10-20T09:00:00Z", "C7 search 1.0.0 everywhere");

    git_at(
        &s,
        "2026-10-21T08:00:00Z",
        &["checkout", "-q", "-b", "more-memory"],
    );
    edit(
        &s,
        SEARCH,
        "resources: {memory: 1Gi}",
        "resources: {memory: 2Gi}",
    );
    commit(&s, "2026-10-21T08:00:00Z", "F search gets 2Gi in prod");
    let branch_commit = git_at(&s, "2026-10-21T08:00:00Z", &["rev-parse", "HEAD"]);
    git_at(&s, "2026-10-21T09:00:00Z", &["checkout", "-q", "main"]);
    git_at(
        &s,
        "2026-10-21T09:00:00Z",
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "M8 merge more-memory",
            "more-memory",
        ],
    );
    git_at(
        &s,
        "2026-10-22T12:00:00Z",
        &["revert", "--no-edit", &branch_commit],
    );

    edit(
        &s,
        AUTH,
        "  prod:\n    tag: 12.1.0",
        "  prod:\n    digest: sha256:4c5f1b2c9a0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a0",
    );
    commit(
        &s,
        "2026-10-26T09:00:00Z",
        "C10 auth pinned by digest in prod",
    );
    edit(
        &s,
        AUTH,
        "  dev:\n    tag: 12.2.0",
        "  dev:\n    tag: 12.3.0",
    );
    edit(
        &s,
        "platform/dora.yaml",
        "failureWindow: 7d",
        "failureWindow: 8d",
    );
    commit(
        &s,
        "2026-11-02T09:00:00Z",
        "C11 auth 12.3.0 to dev, and a platform edit",
    );
    s.write(REFUNDS, &refunds("  dev: {tag: 0.1.0}\n"));
    commit(&s, "2026-11-03T09:00:00Z", "C12 refunds in dev");
    s.write(
        REFUNDS,
        &refunds("  dev: {tag: 0.1.0}\n  prod: {tag: 0.1.0}\n"),
    );
    commit(&s, "2026-11-05T09:00:00Z", "C13 refunds to prod");
    // The failure window the bands file sets matters below: back to 7d,
    // uncommitted (the working tree's settings are the ones used).
    edit(
        &s,
        "platform/dora.yaml",
        "failureWindow: 8d",
        "failureWindow: 7d",
    );
    s
});

fn dora(args: &[&str]) -> Value {
    let mut all = vec!["metrics", "dora", "--format", "json"];
    all.extend_from_slice(args);
    let outcome = HISTORY.paved(&all);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    document["dora"].clone()
}

fn scope<'a>(report: &'a Value, list: &str, key: &str, name: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry[key] == name)
        .unwrap_or_else(|| panic!("no {key} {name} in {list}"))
}

#[test]
fn dora_figures_match_the_hand_computed_ones() {
    let report = dora(&[]);
    assert_eq!(report["environments"], serde_json::json!(["prod"]));
    assert_eq!(report["window"]["fromDate"], "2026-08-30");
    assert_eq!(
        report["commits"], 14,
        "C0..C13: first parents only, F is not among them"
    );

    let org = &report["organisation"];
    assert_eq!(org["deployments"], 8);
    assert_eq!(org["deploymentFrequency"]["perWeek"], 0.62); // 8 / 90 days * 7
    assert_eq!(org["deploymentFrequency"]["band"], "medium");
    assert_eq!(org["leadTime"]["medianHours"], 39.0);
    assert_eq!(org["leadTime"]["band"], "high");
    assert_eq!(org["leadTime"]["measured"], 4);
    assert_eq!(org["leadTime"]["untraced"], 1);
    assert_eq!(org["changeFailureRate"]["percent"], 25.0);
    assert_eq!(org["changeFailureRate"]["failed"], 2);
    assert_eq!(org["changeFailureRate"]["band"], "low");
    assert_eq!(org["timeToRestore"]["medianHours"], 15.0);
    assert_eq!(org["timeToRestore"]["incidents"], 2);
    assert_eq!(org["timeToRestore"]["band"], "high");

    // Every deployment, as (service, release, lead time in hours, failed).
    let deployments: Vec<(String, String, Option<i64>, bool, bool)> = report["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["service"].as_str().unwrap().to_owned(),
                d["release"]
                    .as_str()
                    .unwrap_or("-")
                    .chars()
                    .take(12)
                    .collect(),
                d["leadTimeSeconds"].as_i64().map(|s| s / 3600),
                d["failed"].as_bool().unwrap(),
                d["restores"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, Option<i64>, bool, bool)> = [
        ("auth", "12.1.0", Some(48), false, false),
        ("auth", "12.2.0", Some(30), true, false),
        ("auth", "12.1.0", None, false, true),
        ("search", "1.0.0", Some(0), false, false),
        ("search", "1.0.0", None, true, false),
        ("search", "1.0.0", None, false, true),
        ("auth", "sha256:4c5f1", None, false, false),
        ("refunds", "0.1.0", Some(48), false, false),
    ]
    .into_iter()
    .map(|(s, r, l, f, x)| (s.to_owned(), r.to_owned(), l, f, x))
    .collect();
    assert_eq!(deployments, expected);
    for deployment in report["deployments"].as_array().unwrap() {
        assert_eq!(
            deployment["clusters"],
            serde_json::json!(["prod-eu-west-1", "prod-us-east-1"])
        );
    }

    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 2);
    assert_eq!(incidents[0]["service"], "auth");
    assert_eq!(incidents[0]["detectedBy"], serde_json::json!(["rollback"]));
    assert_eq!(incidents[0]["seconds"], 3 * 3600);
    assert_eq!(incidents[0]["started"], "2026-10-13T15:00:00Z");
    assert_eq!(incidents[0]["restored"], "2026-10-13T18:00:00Z");
    assert_eq!(incidents[1]["service"], "search");
    assert_eq!(incidents[1]["detectedBy"], serde_json::json!(["revert"]));
    assert_eq!(incidents[1]["seconds"], 27 * 3600);

    let identity = scope(&report, "teams", "team", "identity");
    assert_eq!(identity["deployments"], 4);
    assert_eq!(identity["leadTime"]["medianHours"], 39.0);
    assert_eq!(identity["changeFailureRate"]["percent"], 25.0);
    assert_eq!(identity["timeToRestore"]["medianHours"], 3.0);
    let storefront = scope(&report, "teams", "team", "storefront");
    assert_eq!(storefront["deployments"], 3);
    assert_eq!(storefront["leadTime"]["medianHours"], 0.0);
    assert_eq!(storefront["leadTime"]["band"], "elite");
    assert_eq!(storefront["changeFailureRate"]["percent"], 33.33);
    assert_eq!(storefront["timeToRestore"]["band"], "medium");
    let refunds = scope(&report, "services", "service", "refunds");
    assert_eq!(refunds["team"], "payments");
    assert_eq!(refunds["deployments"], 1);
    let ledger = scope(&report, "services", "service", "ledger");
    assert_eq!(
        ledger["deployments"], 0,
        "a service that did not deploy is still listed"
    );
    assert_eq!(ledger["deploymentFrequency"]["band"], "low");

    type Week = (String, u64, Option<f64>, Option<f64>, Option<f64>);
    let weeks: Vec<Week> = report["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["deployments"].as_u64().unwrap() > 0)
        .map(|w| {
            (
                w["week"].as_str().unwrap().to_owned(),
                w["deployments"].as_u64().unwrap(),
                w["leadTimeHours"].as_f64(),
                w["changeFailureRate"].as_f64(),
                w["timeToRestoreHours"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        [
            ("2026-10-05".to_owned(), 1, Some(48.0), Some(0.0), None),
            (
                "2026-10-12".to_owned(),
                2,
                Some(30.0),
                Some(50.0),
                Some(3.0)
            ),
            (
                "2026-10-19".to_owned(),
                3,
                Some(0.0),
                Some(33.33),
                Some(27.0)
            ),
            ("2026-10-26".to_owned(), 1, None, Some(0.0), None),
            ("2026-11-02".to_owned(), 1, Some(48.0), Some(0.0), None),
        ]
    );
    assert_eq!(report["weekly"][0]["week"], "2026-08-24");
    assert_eq!(report["weekly"].as_array().unwrap().len(), 14);
}

#[test]
fn dora_filters_by_team_service_and_environment() {
    let auth = dora(&["--service", "auth"]);
    assert_eq!(auth["organisation"]["deployments"], 4);
    assert_eq!(auth["services"].as_array().unwrap().len(), 1);
    let storefront = dora(&["--team", "storefront"]);
    assert_eq!(storefront["organisation"]["deployments"], 3);
    // In dev: C0 is outside the window; C1, C4, C7, C11, C12 deploy.
    let dev = dora(&["--env", "dev"]);
    assert_eq!(dev["organisation"]["deployments"], 5);
    // A shorter window: from 2026-10-31, only refunds' deployment.
    let recent = dora(&["--since", "4w"]);
    assert_eq!(recent["organisation"]["deployments"], 1);
}

#[test]
fn dora_prints_text_and_markdown() {
    let text = HISTORY.paved(&["metrics", "dora"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("DORA metrics for deployments to prod, 2026-08-30 to 2026-11-27 (90d)"),
        "{}",
        text.stdout
    );
    let organisation = text
        .stdout
        .lines()
        .find(|l| l.starts_with("organisation"))
        .unwrap();
    let words: Vec<&str> = organisation.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "organisation",
            "8",
            "2.7/month",
            "medium",
            "39.0h",
            "high",
            "25.0%",
            "(2/8)",
            "low",
            "15.0h",
            "high"
        ]
    );
    assert!(
        text.stderr
            .contains("Measured 8 deployments to prod from 14 commits"),
        "{}",
        text.stderr
    );
    let markdown = HISTORY.paved(&["metrics", "dora", "--format", "markdown"]);
    assert_eq!(markdown.code, 0);
    assert!(
        markdown.stdout.starts_with("## DORA metrics"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains("| organisation | 8 | 2.7/month | medium | 39.0h | high |"),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains("### Failed deployments"));
}

#[test]
fn dora_refuses_what_it_cannot_measure() {
    let unknown = HISTORY.paved(&["metrics", "dora", "--env", "prd"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("there is no environment `prd`"),
        "{}",
        unknown.stderr
    );
    assert!(
        unknown.stderr.contains("did you mean `prod`?"),
        "{}",
        unknown.stderr
    );
    let team = HISTORY.paved(&["metrics", "dora", "--team", "payment"]);
    assert_eq!(team.code, 2);
    assert!(
        team.stderr.contains("did you mean `payments`?"),
        "{}",
        team.stderr
    );
    let since = HISTORY.paved(&["metrics", "dora", "--since", "soon"]);
    assert_eq!(since.code, 2);
    assert!(
        since
            .stderr
            .contains("`--since soon` is not a length of time"),
        "{}",
        since.stderr
    );
    let rev = HISTORY.paved(&["metrics", "dora", "--rev", "nope"]);
    assert_eq!(rev.code, 2);
    assert!(
        rev.stderr.contains("`nope` does not name a commit"),
        "{}",
        rev.stderr
    );

    // Without git, or without the branch Argo CD follows.
    let plain = Scratch::example();
    let outcome = plain.paved(&["metrics", "dora"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("is not inside a git repository"),
        "{}",
        outcome.stderr
    );
    git_at(
        &plain,
        "2026-06-01T09:00:00Z",
        &["init", "-q", "-b", "trunk"],
    );
    git_at(&plain, "2026-06-01T09:00:00Z", &["add", "-A"]);
    git_at(
        &plain,
        "2026-06-01T09:00:00Z",
        &["commit", "-q", "-m", "base"],
    );
    let outcome = plain.paved(&["metrics", "dora"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("there is no branch `main` or `origin/main`"),
        "{}",
        outcome.stderr
    );
    let outcome = plain.paved(&["metrics", "dora", "--rev", "HEAD", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

/// A generated organisation with a long generated history (the
/// benchmark's, smaller): the figures are what the generator built.
#[test]
fn a_generated_history_measures_what_it_was_built_with() {
    let dir = crate::support::tempdir();
    crate::support::synthetic::generate(&crate::support::repo_root(), dir.path(), 40);
    let rendered = crate::support::paved_in(dir.path(), &["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let expected = crate::support::synthetic::history::history(dir.path(), 1_200);
    assert!(
        expected.rollbacks > 0 && expected.reverts_of_merged > 0,
        "{expected:?}"
    );

    let outcome = crate::support::paved_in(
        dir.path(),
        &["metrics", "dora", "--since", "3650d", "--format", "json"],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let report = &document["dora"];
    assert_eq!(report["commits"], 1_200);
    let org = &report["organisation"];
    let undone = expected.rollbacks + expected.reverts;
    assert_eq!(
        org["deployments"],
        expected.services + expected.promotions + undone,
        "{expected:?}"
    );
    assert_eq!(org["changeFailureRate"]["failed"], undone);
    assert_eq!(org["timeToRestore"]["incidents"], undone);
    let incidents = report["incidents"].as_array().unwrap();
    for incident in incidents {
        let how = incident["detectedBy"].as_array().unwrap();
        // A rollback an hour later; a revert (which also returns to the
        // release before) an hour and a half later.
        if how.len() == 2 {
            assert_eq!(incident["seconds"], 5_400, "{incident}");
        } else {
            assert_eq!(how[0], "rollback");
            assert_eq!(incident["seconds"], 3_600, "{incident}");
        }
    }
    let reverts = incidents
        .iter()
        .filter(|i| i["detectedBy"].as_array().unwrap().len() == 2)
        .count();
    assert_eq!(reverts, expected.reverts);
}

/// The scripted history's platform figures: 13 changes in the window touch
/// `teams/` (C1..C7, M8, C9..C13), and only C11 changes a platform-team
/// file alongside; refunds took 48h from its first commit to production.
#[test]
fn platform_figures_match_the_hand_computed_ones() {
    let outcome = HISTORY.paved(&["metrics", "platform", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let report = &document["platform"];
    let rate = &report["selfService"]["rate"];
    assert_eq!(
        (rate["count"].as_u64(), rate["of"].as_u64()),
        (Some(12), Some(13))
    );
    assert_eq!(rate["percent"], 92.31);
    let teams: Vec<(String, u64, u64)> = report["selfService"]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["team"].as_str().unwrap().to_owned(),
                t["changes"].as_u64().unwrap(),
                t["selfService"]["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        teams,
        [
            ("identity".to_owned(), 8, 7),
            ("payments".to_owned(), 2, 2),
            ("storefront".to_owned(), 3, 3)
        ]
    );
    let platform_changes = report["selfService"]["withPlatformFiles"]
        .as_array()
        .unwrap();
    assert_eq!(platform_changes.len(), 1);
    assert!(
        platform_changes[0]
            .as_str()
            .unwrap()
            .ends_with("C11 auth 12.3.0 to dev, and a platform edit")
    );

    let onboarding = &report["onboarding"];
    assert_eq!(onboarding["medianHours"], 48.0);
    assert_eq!(onboarding["services"].as_array().unwrap().len(), 1);
    assert_eq!(onboarding["services"][0]["service"], "refunds");
    assert_eq!(
        onboarding["services"][0]["firstCommit"],
        "2026-11-03T09:00:00Z"
    );
    assert_eq!(
        onboarding["services"][0]["firstProductionDeployment"],
        "2026-11-05T09:00:00Z"
    );

    let adoption = &report["adoption"];
    assert_eq!(adoption["servicesOnGoldenPaths"]["count"], 16);
    assert_eq!(adoption["servicesOnNewestVersion"]["count"], 16);
    assert_eq!(adoption["servicesWithoutPatches"]["count"], 15);
    assert_eq!(adoption["teamsWithoutPatches"]["count"], 3);
    assert_eq!(adoption["teamsWithoutPatches"]["of"], 4);
    let worker = report["goldenPaths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "worker")
        .unwrap();
    assert_eq!(worker["newServices"], 1);
    assert_eq!(report["patchedKinds"], serde_json::json!({"Ingress": 1}));
    assert_eq!(report["escapeHatches"][0]["service"], "checkout");
    assert_eq!(
        report["escapeHatches"][0]["operations"],
        serde_json::json!(["add /metadata/annotations/nginx.ingress.kubernetes.io~1limit-rps"])
    );

    let text = HISTORY.paved(&["metrics", "platform"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains(
            "Self-service: 12 of 13 (92%) changes to team files needed no platform-team file"
        ),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Onboarding: median 2.0d from a service's first commit to its first production deployment (1 service)"), "{}", text.stdout);
}
