//! SARIF 2.1.0, as GitHub code scanning reads it: every rule with its
//! description and help, every finding at the input file and line that
//! caused it, so annotations appear on a pull request's changed lines.

use serde_json::{Value, json};

use super::{Report, RuleInfo};
use crate::diagnostic::Severity;
use crate::input::model::RuleSeverity;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: RuleSeverity) -> &'static str {
    match severity {
        RuleSeverity::Error => "error",
        RuleSeverity::Warning => "warning",
        RuleSeverity::Off => "none",
    }
}

fn rule(info: &RuleInfo) -> Value {
    json!({
        "id": info.id,
        "name": info.id.replace(['/', '.', '-', '_'], " ").split_whitespace().map(capitalise).collect::<String>(),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description},
        "help": {
            "text": info.help,
            "markdown": format!("**{}**\n\n{}\n\n**How to fix:** {}", info.title, info.description, info.help),
        },
        "defaultConfiguration": {"level": level(info.severity)},
        "properties": {"tags": ["kubernetes", info.id.split(['/', '.']).next().unwrap_or("policy")]},
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The report as one SARIF run.
pub fn to_sarif(report: &Report) -> Value {
    let rules: Vec<Value> = report.rules.iter().map(rule).collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let rule_id = diagnostic.code.clone().unwrap_or_else(|| "policy/error".into());
            let index = report.rules.iter().position(|r| r.id == rule_id);
            let mut text = match &diagnostic.subject {
                Some(subject) => format!("{subject}: {}", diagnostic.message),
                None => diagnostic.message.clone(),
            };
            if !diagnostic.clusters.is_empty() {
                text.push_str(&format!(" (in {})", diagnostic.clusters.join(", ")));
            }
            let mut result = json!({
                "ruleId": rule_id,
                "level": match diagnostic.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": text},
            });
            if let Some(index) = index {
                result["ruleIndex"] = json!(index);
            }
            if let Some(location) = &diagnostic.location {
                let mut physical = json!({"artifactLocation": {"uri": location.file, "uriBaseId": "%SRCROOT%"}});
                if let Some(span) = &location.span {
                    physical["region"] = json!({"startLine": span.line, "startColumn": span.column});
                }
                result["locations"] = json!([{"physicalLocation": physical}]);
            }
            // Stable across runs, so code scanning tracks one alert over time.
            result["partialFingerprints"] = json!({
                "pavedFinding/v1": crate::support::hash::content_hash(&json!([rule_id, diagnostic.subject, diagnostic.field, diagnostic.message])),
            });
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "paved",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/northwind/platform",
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root"}}},
            "results": results,
        }],
    })
}
