//! The Rego corpus in `tests/rego/<case>/`: policies in conftest's,
//! konstraint's and OPA's idioms, inputs, and the findings OPA gives on
//! them (`expected.json`, computed by `tests/rego/oracle.py` with OPA
//! itself, or written by hand where a `by-hand.md` says why), compared
//! finding for finding with what paved's policy engine gives.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use paved::input::load::TemplateFile;
use paved::input::model::{PolicyConfig, RuleSeverity};
use paved::rego::{self, config::setup_from};
use serde_json::{Value, json};

use crate::support::repo_root;

fn files_under(dir: &Path, relative: &str, out: &mut Vec<TemplateFile>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().into_string().unwrap();
        let rel = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            files_under(&entry.path(), &rel, out);
        } else {
            out.push(TemplateFile {
                name: rel.clone(),
                path: format!("policies/{rel}"),
                text: Arc::from(fs::read_to_string(entry.path()).unwrap()),
            });
        }
    }
}

/// What paved finds in one case, in `expected.json`'s shape.
fn run_case(case: &Path) -> Value {
    let mut files = Vec::new();
    files_under(&case.join("policies"), "", &mut files);
    let config: PolicyConfig = files
        .iter()
        .find(|f| f.path == "policies/paved.yaml")
        .map(|f| serde_yaml::from_str(&f.text).unwrap())
        .unwrap_or_default();
    let rego_files: Vec<&TemplateFile> = files
        .iter()
        .filter(|f| f.name.ends_with(".rego") && !rego::is_test(f))
        .collect();
    let data: Vec<TemplateFile> = files
        .iter()
        .filter(|f| !f.name.ends_with(".rego") && f.path != "policies/paved.yaml")
        .cloned()
        .collect();
    let setup = setup_from(&config, &data, &|_| {
        paved::diagnostic::Location::file("policies/paved.yaml")
    })
    .unwrap();
    let mut policies = match rego::compile(&rego_files, setup.data.as_ref(), &setup.settings) {
        Ok(policies) => policies,
        Err(diagnostics) => return json!({"error": diagnostics[0].message}),
    };
    let inputs: Vec<Value> =
        serde_yaml::Deserializer::from_str(&fs::read_to_string(case.join("inputs.yaml")).unwrap())
            .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
            .filter(|v: &Value| !v.is_null())
            .collect();
    let mut findings = Vec::new();
    let mut record = |input: Value, outcome: rego::Outcome| {
        for message in outcome.messages {
            let severity = match message.severity {
                RuleSeverity::Error => "error",
                _ => "warning",
            };
            findings.push(json!({"input": input, "rule": message.rule, "severity": severity, "msg": message.text}));
        }
        if outcome.excepted > 0 {
            findings.push(json!({"input": input, "excepted": outcome.excepted}));
        }
    };
    for (index, input) in inputs.iter().enumerate() {
        match policies.evaluate(rego::input(input), rego::Scope::Resource) {
            Ok(outcome) => record(json!(index), outcome),
            Err(error) => return json!({"error": error.message}),
        }
    }
    if policies.has_scope(rego::Scope::Unit) {
        let combined: Vec<Value> = inputs
            .iter()
            .map(|input| json!({"path": "manifest.yaml", "contents": input}))
            .collect();
        match policies.evaluate(rego::input(&Value::Array(combined)), rego::Scope::Unit) {
            Ok(outcome) => record(json!("combined"), outcome),
            Err(error) => return json!({"error": error.message}),
        }
    }
    json!({"findings": canonical(findings)})
}

/// Findings in a fixed order, their keys sorted.
fn canonical(findings: Vec<Value>) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = findings
        .into_iter()
        .map(|f| {
            let sorted: std::collections::BTreeMap<String, Value> =
                serde_json::from_value(f.clone()).unwrap();
            (serde_json::to_string(&sorted).unwrap(), f)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, f)| f).collect()
}

#[test]
fn paved_finds_what_opa_finds_in_the_corpus() {
    let corpus = repo_root().join("tool/tests/rego");
    let mut cases: Vec<_> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the corpus has {} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let expected: Value =
            serde_json::from_str(&fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let actual = run_case(case);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        // Errors are compared by kind: both refuse; the messages differ.
        let same = match (expected.get("error"), actual.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => {
                let list =
                    |v: &Value| canonical(v["findings"].as_array().cloned().unwrap_or_default());
                list(&expected) == list(&actual)
            }
            _ => false,
        };
        if !same {
            mismatches.push(format!("{name}:\n  OPA:   {expected}\n  paved: {actual}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
