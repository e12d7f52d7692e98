//! What golden paths carry besides the workload: managed resources as
//! Crossplane claims, and monitors, SLO rules and dashboards, checked on
//! the rendered example as a reviewer would read them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Scratch, repo_root};

/// Every resource of `rendered/` by `cluster unit Kind name`.
fn resources(scratch: &Scratch) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (path, bytes) in scratch.tree("rendered") {
        if !path.ends_with("manifest.yaml") {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let unit = parts[parts.len() - 2];
        let text = String::from_utf8(bytes).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(document).unwrap();
            if value.is_null() {
                continue;
            }
            let key = format!(
                "{} {unit} {} {}",
                parts[0],
                value["kind"].as_str().unwrap(),
                value["metadata"]["name"].as_str().unwrap()
            );
            out.insert(key, value);
        }
    }
    out
}

fn render(scratch: &Scratch) -> BTreeMap<String, Value> {
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    resources(scratch)
}

fn edit(scratch: &Scratch, file: &str, from: &str, to: &str) {
    let text = scratch.read(file);
    assert!(text.contains(from), "{file} lacks {from:?}");
    scratch.write(file, &text.replacen(from, to, 1));
}

/// The thresholds of an alert's expression, in order.
fn thresholds(expr: &str) -> Vec<String> {
    expr.split("> ")
        .skip(1)
        .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        .collect()
}

/// The alerts of a PrometheusRule, as `(slo, burn, severity, thresholds)`.
fn alerts(rule: &Value) -> Vec<(String, String, String, Vec<String>)> {
    let mut out = Vec::new();
    for group in rule["spec"]["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            if rule.get("alert").is_none() {
                continue;
            }
            let labels = &rule["labels"];
            out.push((
                labels["slo"].as_str().unwrap().to_owned(),
                labels["burn"].as_str().unwrap().to_owned(),
                labels["severity"].as_str().unwrap().to_owned(),
                thresholds(rule["expr"].as_str().unwrap()),
            ));
        }
    }
    out
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Changing one objective changes that service's rules and nothing else,
/// and the thresholds are the burn factors times the new budget, as
/// computed by hand.
#[test]
fn a_changed_slo_changes_exactly_the_expected_thresholds() {
    let scratch = Scratch::example();
    let before = render(&scratch);
    // ledger: 99.95% availability, so a budget of 0.0005.
    let rule = &before["prod-eu-west-1 ledger PrometheusRule ledger-slo"];
    let found = alerts(rule);
    assert_eq!(
        found[0],
        (
            "availability".into(),
            "page".into(),
            "critical".into(),
            // 14.4 × 0.0005 = 0.0072 over 1h and 5m; 6 × 0.0005 = 0.003 over 6h and 30m.
            owned(&["0.0072", "0.0072", "0.003", "0.003"])
        )
    );
    assert_eq!(
        found[1],
        (
            "availability".into(),
            "ticket".into(),
            "warning".into(),
            // 3 × 0.0005 = 0.0015 over 1d and 2h; 1 × 0.0005 = 0.0005 over 3d and 6h.
            owned(&["0.0015", "0.0015", "0.0005", "0.0005"])
        )
    );

    edit(
        &scratch,
        "teams/payments/services/ledger.yaml",
        "  availability: 99.95\n",
        "  availability: 99.9\n",
    );
    let after = render(&scratch);
    let changed: Vec<&String> = before
        .keys()
        .filter(|key| before.get(*key) != after.get(*key))
        .collect();
    // The rules, and the dashboard's legend that names the objective.
    assert_eq!(
        changed,
        [
            "dev-eu-west-1 ledger ConfigMap ledger-dashboard",
            "dev-eu-west-1 ledger PrometheusRule ledger-slo",
            "prod-eu-west-1 ledger ConfigMap ledger-dashboard",
            "prod-eu-west-1 ledger PrometheusRule ledger-slo",
            "prod-us-east-1 ledger ConfigMap ledger-dashboard",
            "prod-us-east-1 ledger PrometheusRule ledger-slo",
            "staging-eu-west-1 ledger ConfigMap ledger-dashboard",
            "staging-eu-west-1 ledger PrometheusRule ledger-slo",
        ]
    );
    let legend = |rendered: &BTreeMap<String, Value>| {
        rendered["prod-eu-west-1 ledger ConfigMap ledger-dashboard"]["data"]["ledger.json"]
            .as_str()
            .unwrap()
            .replace("99.95% succeed", "99.9% succeed")
    };
    assert_eq!(legend(&before), legend(&after));
    assert_eq!(before.len(), after.len());
    let found = alerts(&after["prod-eu-west-1 ledger PrometheusRule ledger-slo"]);
    // 99.9%: budget 0.001; 14.4 × 0.001 = 0.0144, 6 × 0.001 = 0.006,
    // 3 × 0.001 = 0.003, 1 × 0.001 = 0.001.
    assert_eq!(found[0].3, owned(&["0.0144", "0.0144", "0.006", "0.006"]));
    assert_eq!(found[1].3, owned(&["0.003", "0.003", "0.001", "0.001"]));
    // The latency objective (99% within 100ms, budget 0.01) is untouched.
    assert_eq!(found[2].0, "latency");
    assert_eq!(found[2].3, owned(&["0.144", "0.144", "0.06", "0.06"]));
    assert_eq!(found[3].3, owned(&["0.03", "0.03", "0.01", "0.01"]));

    // In the rule text, only the lines that carry the objective changed:
    // the thresholds, the objective and budget records, the description.
    let text = |value: &Value| serde_yaml::to_string(value).unwrap();
    let old = text(&before["prod-eu-west-1 ledger PrometheusRule ledger-slo"]);
    let new = text(&after["prod-eu-west-1 ledger PrometheusRule ledger-slo"]);
    let changed_lines: Vec<(&str, &str)> = old
        .lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(old.lines().count(), new.lines().count());
    for (old_line, new_line) in &changed_lines {
        let shape = |line: &str| line.replace(|c: char| c.is_ascii_digit() || c == '.', "");
        assert_eq!(shape(old_line), shape(new_line), "{old_line} / {new_line}");
    }
    // Eight thresholds (two windows of two conditions of two alerts), the
    // objective, the budget, the budget left, and the two descriptions.
    assert_eq!(changed_lines.len(), 8 + 3 + 2, "{changed_lines:#?}");
}

/// Outside production, the alerts that would page open tickets instead.
#[test]
fn only_production_pages() {
    let rendered = resources_of_example();
    for (cluster, severity) in [("dev-eu-west-1", "warning"), ("prod-us-east-1", "critical")] {
        let found = alerts(&rendered[&format!("{cluster} ledger PrometheusRule ledger-slo")]);
        assert_eq!(found[0].1, "page");
        assert_eq!(found[0].2, severity, "{cluster}");
    }
}

fn resources_of_example() -> BTreeMap<String, Value> {
    let scratch = Scratch::example();
    std::fs::create_dir_all(scratch.path().join("rendered")).unwrap();
    crate::support::copy_dir(
        &repo_root().join("rendered"),
        &scratch.path().join("rendered"),
    );
    resources(&scratch)
}

/// The example uses managed resources and objectives on every golden
/// path, and every service is watched: a monitor, rules and a dashboard.
#[test]
fn every_golden_path_carries_resources_and_objectives() {
    let rendered = resources_of_example();
    let mut claims_per_path: BTreeMap<String, usize> = BTreeMap::new();
    let mut services = BTreeMap::new();
    for (key, value) in &rendered {
        let labels = &value["metadata"]["labels"];
        let Some(path) = labels["app.kubernetes.io/component"].as_str() else {
            continue;
        };
        let service = labels["app.kubernetes.io/name"].as_str().unwrap();
        let kind = value["kind"].as_str().unwrap();
        if value["spec"].get("writeConnectionSecretToRef").is_some() {
            *claims_per_path.entry(path.to_owned()).or_default() += 1;
        }
        let cluster = key.split(' ').next().unwrap();
        services
            .entry((cluster.to_owned(), service.to_owned()))
            .or_insert_with(Vec::new)
            .push(kind.to_owned());
    }
    assert_eq!(
        claims_per_path.keys().collect::<Vec<_>>(),
        ["cron-job", "grpc-service", "web-service", "worker"]
    );
    for ((cluster, service), kinds) in &services {
        let monitored = kinds
            .iter()
            .any(|k| k == "ServiceMonitor" || k == "PodMonitor");
        assert!(monitored, "{service} in {cluster}: {kinds:?}");
        assert!(
            kinds.iter().any(|k| k == "PrometheusRule"),
            "{service} in {cluster}"
        );
        assert!(
            kinds.iter().any(|k| k == "ConfigMap"),
            "{service} in {cluster}"
        );
    }
    // Every dashboard is JSON Grafana reads, named after its service.
    for (key, value) in &rendered {
        if value["metadata"]["labels"]["grafana_dashboard"] != "1" {
            continue;
        }
        for (file, text) in value["data"].as_object().unwrap() {
            let dashboard: Value = serde_json::from_str(text.as_str().unwrap())
                .unwrap_or_else(|e| panic!("{key} {file}: {e}"));
            assert_eq!(
                format!("{}.json", dashboard["uid"].as_str().unwrap()),
                *file
            );
            assert!(dashboard["panels"].as_array().unwrap().len() >= 4, "{key}");
        }
    }
}

/// A claim names its class's composition for the environment, carries
/// the size and options the intent set (layered per environment), and
/// the workload reads its connection secret.
#[test]
fn claims_follow_the_class_and_the_environment() {
    let rendered = resources_of_example();
    let claim =
        |cluster: &str| &rendered[&format!("{cluster} ledger PostgreSQLInstance ledger-ledger-db")];
    let dev = claim("dev-eu-west-1");
    assert_eq!(dev["spec"]["compositionRef"]["name"], "postgres-in-cluster");
    assert_eq!(
        dev["spec"]["parameters"],
        serde_json::json!({"size": "medium", "version": "16"})
    );
    let prod = claim("prod-us-east-1");
    assert_eq!(prod["spec"]["compositionRef"]["name"], "postgres-aws-rds");
    assert_eq!(prod["spec"]["parameters"]["size"], "large");
    assert_eq!(
        prod["metadata"]["labels"]["topology.kubernetes.io/region"],
        "us-east-1"
    );
    assert_eq!(
        prod["spec"]["writeConnectionSecretToRef"]["name"],
        "ledger-ledger-db"
    );
    let deployment = &rendered["prod-us-east-1 ledger Deployment ledger"];
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let names: Vec<&str> = env
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "LEDGER_DB_HOST",
            "LEDGER_DB_PORT",
            "LEDGER_DB_DATABASE",
            "LEDGER_DB_USERNAME",
            "LEDGER_DB_PASSWORD"
        ]
    );
    assert_eq!(
        env[4]["valueFrom"]["secretKeyRef"]["name"],
        "ledger-ledger-db"
    );
    // A shared resource is read from its claimant's secret; an external
    // one comes from the secret store, with no claim.
    let cleaner = &rendered["prod-eu-west-1 session-cleaner CronJob session-cleaner"];
    let env = &cleaner["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["valueFrom"]["secretKeyRef"]["name"], "auth-sessions");
    let legacy = &rendered["prod-eu-west-1 settlement ExternalSecret settlement-legacy-db"];
    assert_eq!(
        legacy["spec"]["dataFrom"][0]["extract"]["key"],
        "payments/legacy-db"
    );
    assert!(
        !rendered
            .keys()
            .any(|k| k.contains("PostgreSQLInstance settlement-legacy-db"))
    );
    // The platform defines the claim kinds in every cluster.
    let xrd = &rendered["prod-eu-west-1 _platform CompositeResourceDefinition xpostgresqlinstances.platform.northwind.dev"];
    assert_eq!(xrd["spec"]["claimNames"]["kind"], "PostgreSQLInstance");
    assert_eq!(
        xrd["spec"]["defaultCompositionRef"]["name"],
        "postgres-aws-rds"
    );
    assert!(rendered.contains_key("dev-eu-west-1 _platform Composition postgres-in-cluster"));
    assert!(!rendered.contains_key("dev-eu-west-1 _platform Composition postgres-aws-rds"));
}
