//! Cost, scorecards and maturity on the example organisation, with
//! figures computed by hand; the cost change in `paved diff`.

use serde_json::Value;

use crate::support::{Scratch, repo_root};

fn json(scratch: &Scratch, args: &[&str], key: &str) -> (Value, String) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let outcome = scratch.paved(&all);
    assert!(outcome.code <= 1, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    (document[key].clone(), outcome.stdout)
}

fn edit(scratch: &Scratch, path: &str, from: &str, to: &str) {
    let text = scratch.read(path);
    assert!(text.contains(from), "{path} lacks {from:?}");
    scratch.write(path, &text.replacen(from, to, 1));
}

/// The example at round rates: 20 a CPU core and 4 a GiB a month.
fn round_rates() -> Scratch {
    let scratch = Scratch::example();
    edit(
        &scratch,
        "platform/platform.yaml",
        "cpuCoreMonth: 21.5",
        "cpuCoreMonth: 20",
    );
    edit(
        &scratch,
        "platform/platform.yaml",
        "memoryGibMonth: 2.9",
        "memoryGibMonth: 4",
    );
    scratch
}

fn total<'a>(report: &'a Value, list: &str, name: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn range(value: &Value) -> (f64, f64) {
    (
        value["monthly"]["min"].as_f64().unwrap(),
        value["monthly"]["max"].as_f64().unwrap(),
    )
}

/// Hand-computed from the rendered requests and replicas:
///
/// - checkout: dev 1 pod of 50m and 64Mi (1 + 0.25 = 1.25); staging 2
///   pods of 100m and 256Mi (2 × 3 = 6); prod, in each of two clusters,
///   3 to 20 pods of 3 (9 to 60): 25.25 to 127.25.
/// - settlement, a CronJob: nothing between runs; at most one pod of
///   100m and 256Mi in staging (3) and of 250m and 512Mi in each prod
///   cluster (5 + 2 = 7): 0 to 17.
/// - ledger: dev 1 × 3; staging 2 × (5 + 2); prod 2 clusters × 3 pods of
///   1 core and 2Gi (28): 3 + 14 + 168 = 185.
/// - payments-gateway: 1.25 + 6 + 2 × 3 × 3 = 25.25.
/// - team payments: 235.5 to 354.5.
#[test]
fn cost_matches_the_hand_computed_figures() {
    let scratch = round_rates();
    let (report, _) = json(&scratch, &["cost"], "cost");
    assert_eq!(report["currency"], "EUR");
    assert_eq!(
        range(total(&report, "services", "checkout")),
        (25.25, 127.25)
    );
    assert_eq!(range(total(&report, "services", "settlement")), (0.0, 17.0));
    assert_eq!(range(total(&report, "services", "ledger")), (185.0, 185.0));
    assert_eq!(
        range(total(&report, "services", "payments-gateway")),
        (25.25, 25.25)
    );
    assert_eq!(range(total(&report, "teams", "payments")), (235.5, 354.5));
    let unit = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["service"] == "checkout" && u["cluster"] == "prod-us-east-1")
        .unwrap();
    assert_eq!(unit["cpuCores"], 0.1);
    assert_eq!(unit["memoryGib"], 0.25);
    assert_eq!(
        (unit["replicasMin"].as_u64(), unit["replicasMax"].as_u64()),
        (Some(3), Some(20))
    );
    // Every way of adding up gives the same total.
    let (low, high) = (
        report["total"]["min"].as_f64().unwrap(),
        report["total"]["max"].as_f64().unwrap(),
    );
    for list in ["services", "teams", "environments", "clusters"] {
        let sum: (f64, f64) = report[list]
            .as_array()
            .unwrap()
            .iter()
            .map(range)
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!(
            (sum.0 - low).abs() < 0.05 && (sum.1 - high).abs() < 0.05,
            "{list}: {sum:?} vs {low} {high}"
        );
    }
}

#[test]
fn cost_warns_at_the_budget_line_when_a_team_is_over() {
    let scratch = round_rates();
    let team = "teams/payments/team.yaml";
    edit(
        &scratch,
        team,
        "costCenter: CC-1020",
        "costCenter: CC-1020\nmonthlyBudget: 300",
    );
    let outcome = scratch.paved(&["cost", "--team", "payments"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("team `payments` may cost up to EUR 354.50 a month at the most replicas autoscaling allows, over its budget of EUR 300.00"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("teams/payments/team.yaml:12:16"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stdout.contains("may exceed at peak"),
        "{}",
        outcome.stdout
    );
    assert!(
        !outcome.stdout.contains("storefront"),
        "--team keeps to one team\n{}",
        outcome.stdout
    );

    edit(&scratch, team, "monthlyBudget: 300", "monthlyBudget: 200");
    let outcome = scratch.paved(&["cost"]);
    assert!(
        outcome.stderr.contains(
            "team `payments` is estimated at EUR 235.50 a month, over its budget of EUR 200.00"
        ),
        "{}",
        outcome.stderr
    );
    let (report, _) = json(&scratch, &["cost"], "cost");
    let payments = total(&report, "teams", "payments");
    assert_eq!(payments["overBudget"], true);
    assert_eq!(payments["budget"], 200.0);

    let markdown = scratch.paved(&["cost", "--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains("| `payments` | EUR 235.50 | EUR 354.50 | EUR 200.00 (over) |"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn cost_defaults_to_list_prices_without_rates() {
    let scratch = Scratch::example();
    let text = scratch.read("platform/platform.yaml");
    let start = text.find("cost:\n").unwrap();
    let end = start + text[start..].find("labels:").unwrap();
    scratch.write(
        "platform/platform.yaml",
        &format!("{}{}", &text[..start], &text[end..]),
    );
    let (report, _) = json(&scratch, &["cost"], "cost");
    assert_eq!(report["currency"], "USD");
    assert_eq!(report["cpuCoreMonth"], 32.49);
    assert_eq!(report["memoryGibMonth"], 3.59);
    assert!(
        report["ratesSource"]
            .as_str()
            .unwrap()
            .contains("GKE Autopilot")
    );
    // ledger: 0.1 + 2 × 0.25 + 6 × 1 cores; 0.25 + 2 × 0.5 + 6 × 2 GiB.
    let (low, high) = range(total(&report, "services", "ledger"));
    let expected = 6.6 * 32.49 + 13.25 * 3.59;
    assert!(
        (low - expected).abs() < 0.01 && low == high,
        "{low} vs {expected}"
    );
}

#[test]
fn a_pull_request_comment_shows_the_monthly_cost_change_only_when_there_is_one() {
    let scratch = crate::diff::repository();
    edit(
        &scratch,
        "teams/payments/services/checkout.yaml",
        "autoscaling: {minReplicas: 3, maxReplicas: 20}",
        "autoscaling: {minReplicas: 4, maxReplicas: 30}",
    );
    let outcome = scratch.paved(&["diff", "--base", "main", "--format", "markdown"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    // Per pod 0.1 × 21.5 + 0.25 × 2.9 = 2.875; one more pod at the least
    // and ten more at the most, in each of two prod clusters.
    assert!(
        outcome
            .stdout
            .contains("### Monthly cost: +EUR 5.75 – +EUR 57.50"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("| prod | `payments` | EUR 17.25 – EUR 115.00 | EUR 23.00 – EUR 172.50 | +EUR 5.75 – +EUR 57.50 |"),
        "{}",
        outcome.stdout
    );
    let json = scratch.paved(&["diff", "--base", "main", "--format", "json"]);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = document["diff"]["cost"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["team"], "payments");
    let text = scratch.paved(&["diff", "--base", "main"]);
    assert!(
        text.stdout.contains("Monthly cost: +EUR 5.75 – +EUR 57.50"),
        "{}",
        text.stdout
    );

    // A change that costs nothing says nothing about cost.
    crate::diff::git(&scratch, &["checkout", "-q", "--", "."]);
    edit(
        &scratch,
        "teams/identity/services/auth.yaml",
        "  staging:\n    tag: 12.0.1",
        "  staging:\n    tag: 12.1.0",
    );
    let outcome = scratch.paved(&["diff", "--base", "main", "--format", "markdown"]);
    assert!(
        !outcome.stdout.contains("Monthly cost"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn new_rates_reprice_every_service_in_the_diff() {
    let scratch = crate::diff::repository();
    edit(
        &scratch,
        "platform/platform.yaml",
        "memoryGibMonth: 2.9",
        "memoryGibMonth: 3.9",
    );
    let json = scratch.paved(&["diff", "--base", "main", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        document["diff"]["units"].as_array().unwrap().is_empty(),
        "nothing renders differently"
    );
    let rows = document["diff"]["cost"]["rows"].as_array().unwrap();
    // Every team, in every environment it runs in, costs more.
    assert_eq!(rows.len(), 12, "{rows:#?}");
}

#[test]
fn scorecards_reach_a_level_only_when_every_rule_of_it_and_below_passes() {
    let scratch = round_rates();
    // Bronze asks for declared dependencies: drop them from checkout.
    edit(
        &scratch,
        "teams/payments/services/checkout.yaml",
        "dependsOn: [payments-gateway, inventory, auth]\n",
        "",
    );
    scratch.write("teams/payments/docs/ledger.md", "# ledger\n");
    // ledger calls nothing, and says so.
    edit(
        &scratch,
        "teams/payments/services/ledger.yaml",
        "size: medium\n",
        "size: medium\ndependsOn: []\n",
    );
    scratch.write(
        "platform/scorecards.yaml",
        "apiVersion: paved.dev/v1\nkind: Scorecards\nlevels:\n  - name: bronze\n    rules:\n      - fact: ownerContact\n      - fact: dependenciesDeclared\n  - name: silver\n    rules:\n      - fact: probes\n      - {fact: prodReplicas, atLeast: 3}\n  - name: gold\n    rules:\n      - fact: docs\n      - fact: prodDigest\n",
    );
    let (report, _) = json(&scratch, &["scorecard"], "scorecard");
    let level = |name: &str| -> (Value, Value, Vec<String>) {
        let service = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == name)
            .unwrap();
        let needs = service["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["fact"].as_str().unwrap().to_owned())
            .collect();
        (service["level"].clone(), service["next"].clone(), needs)
    };
    // checkout passes silver's rules, but not bronze's: no level at all.
    assert_eq!(
        level("checkout"),
        (
            Value::Null,
            "bronze".into(),
            vec!["dependenciesDeclared".to_owned()]
        )
    );
    // ledger: 3 replicas in prod, documented, pinned by digest: gold.
    assert_eq!(level("ledger"), ("gold".into(), Value::Null, vec![]));
    // payments-gateway: 3 replicas, no docs: silver, needs docs (and a digest?).
    let (gateway, next, needs) = level("payments-gateway");
    assert_eq!((gateway, next), ("silver".into(), "gold".into()));
    assert!(needs.contains(&"docs".to_owned()), "{needs:?}");
    // settlement is a CronJob: probes and replicas do not apply, so pass.
    let (settlement, ..) = level("settlement");
    assert_ne!(settlement, Value::Null);
    assert!(
        report["summary"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
            == 15
    );

    let text = scratch.paved(&["scorecard", "checkout"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout.contains("checkout needs for bronze:"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  - dependenciesDeclared: its intent declares `dependsOn` (an empty list says it calls nothing) (`teams/payments/services/checkout.yaml` has no `dependsOn`)"),
        "{}",
        text.stdout
    );
    let required = scratch.paved(&["scorecard", "--team", "payments", "--require", "silver"]);
    assert_eq!(required.code, 1, "{}", required.stderr);
    assert!(
        required.stderr.contains("below `silver`: `checkout`"),
        "{}",
        required.stderr
    );
    let unknown = scratch.paved(&["scorecard", "--require", "platinum"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("there is no level `platinum`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn scorecards_on_dora_bands_need_history_and_say_so() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["scorecard", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap();
    // Under `--format json` the warning is in the document.
    let warning = &document["diagnostics"][0];
    assert_eq!(warning["severity"], "warning");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("is not inside a git repository"),
        "{warning}"
    );
    assert_eq!(
        warning["help"][1],
        "rules on DORA bands fail until the history can be read"
    );
    let text = scratch.paved(&["scorecard"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stderr.contains("is not inside a git repository"),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr
            .contains("rules on DORA bands fail until the history can be read"),
        "{}",
        text.stderr
    );
    let lead = document["scorecard"]["services"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fact"] == "leadTime")
        .unwrap();
    assert_eq!(lead["passed"], false);
    assert_eq!(lead["value"]["type"], "unknown");
}

#[test]
fn maturity_names_each_dimension_its_gap_and_next_step() {
    let scratch = crate::diff::repository();
    let (report, _) = json(&scratch, &["maturity"], "maturity");
    let findings = report["findings"].as_array().unwrap();
    let dimensions: Vec<&str> = findings
        .iter()
        .map(|f| f["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        dimensions,
        [
            "golden-path coverage",
            "escape hatches",
            "policy",
            "GitOps",
            "self-service",
            "docs coverage",
            "delivery (DORA)",
            "cost visibility"
        ]
    );
    let find = |name: &str| findings.iter().find(|f| f["dimension"] == name).unwrap();
    // One service of 15 documented (ledger): level 1, with the gap and
    // the step.
    let docs = find("docs coverage");
    assert_eq!(docs["level"], 1);
    assert_eq!(
        docs["evidence"],
        "1 of 15 services documented in `teams/<team>/docs/<service>.md` (7%)"
    );
    assert_eq!(
        docs["gap"],
        "3 more services documented in `teams/<team>/docs/<service>.md` for 25% (level 2, provisional)"
    );
    // 1 of 15 services carries patches (checkout): 7%, level 4.
    let hatches = find("escape hatches");
    assert_eq!(hatches["level"], 4, "{hatches}");
    // No budgets anywhere: cost visibility stops at 3.
    assert_eq!(find("cost visibility")["level"], 3);
    assert_eq!(report["level"], 1);
    for finding in findings {
        if finding["level"].as_u64().unwrap() < 5 {
            assert!(
                finding["gap"].is_string() && finding["nextStep"].is_string(),
                "{finding}"
            );
        }
    }
    let text = scratch.paved(&["maturity"]);
    assert!(
        text.stdout
            .starts_with("Platform maturity: level 1 of 5, ad hoc"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("  next: write `teams/<team>/docs/<service>.md`"),
        "{}",
        text.stdout
    );
}

#[test]
fn the_example_bands_are_the_builtin_ones() {
    let source = paved::input::source::WorkTree::new(&repo_root()).unwrap();
    let repo = paved::render::load_checked(&source).expect("the example loads");
    let file = repo.dora.expect("the example has platform/dora.yaml").value;
    assert_eq!(
        serde_json::to_value(&file).unwrap(),
        serde_json::to_value(paved::input::model::Dora::builtin()).unwrap()
    );
}
