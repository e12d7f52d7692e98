//! The platform's own policies, in Rego, evaluated natively with regorus
//! (no OPA binary), following conftest's conventions: rules named `deny`,
//! `violation` and `warn` (optionally `_<suffix>`) produce messages, as
//! strings or objects with `msg`. Policies written for conftest run
//! unchanged, in Rego v1 or v0 syntax. `test_` rules in `*_test.rego` files
//! are unit tests, as `opa test` runs them.

use regorus::Engine;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::load::TemplateFile;
use crate::model::RuleSeverity;

/// The compiled policies, ready to evaluate.
#[derive(Clone)]
pub struct Policies {
    engine: Engine,
    /// Packages that hold rules, such as `data.main`.
    packages: Vec<String>,
}

/// A message a policy produced for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `<package>.<rule>`, such as `main.deny_loadbalancer`.
    pub rule: String,
    pub severity: RuleSeverity,
    pub text: String,
}

pub fn is_test(file: &TemplateFile) -> bool {
    file.name.ends_with("_test.rego")
}

/// Parses and compiles `files`, reporting every file that does not parse.
/// Each file is read as Rego v1 first, then as v0 (what most existing
/// conftest policies are written in).
pub fn compile<'a>(
    files: impl IntoIterator<Item = &'a TemplateFile>,
) -> Result<Policies, Vec<Diagnostic>> {
    let mut engine = Engine::new();
    let mut packages = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        let mut attempt = engine.clone();
        match attempt.add_policy(file.path.clone(), file.text.to_string()) {
            Ok(package) => {
                engine = attempt;
                packages.push(package);
            }
            Err(v1_error) => {
                let mut v0 = engine.clone();
                v0.set_rego_v0(true);
                match v0.add_policy(file.path.clone(), file.text.to_string()) {
                    Ok(package) => {
                        v0.set_rego_v0(false);
                        engine = v0;
                        packages.push(package);
                    }
                    Err(_) => diagnostics.push(syntax_error(file, &v1_error.to_string())),
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    packages.sort();
    packages.dedup();
    Ok(Policies { engine, packages })
}

/// A regorus parse error, located in its file (regorus says `path:line:col`).
fn syntax_error(file: &TemplateFile, message: &str) -> Diagnostic {
    let marker = format!("{}:", file.path);
    let position = message.find(&marker).and_then(|at| {
        let rest = &message[at + marker.len()..];
        let mut parts = rest.split(|c: char| !c.is_ascii_digit());
        let line: usize = parts.next()?.parse().ok()?;
        let column: usize = parts.next()?.parse().ok()?;
        Some((line, column))
    });
    let first_line = message
        .lines()
        .find(|line| line.contains("error:"))
        .map(|line| line[line.find("error:").unwrap_or(0) + 6..].trim())
        .unwrap_or_else(|| message.lines().next().unwrap_or(message))
        .to_owned();
    let location = match position.and_then(|(line, column)| Span::at_line(&file.text, line, column))
    {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    };
    Diagnostic::error(format!("Rego syntax error in `{}`: {first_line}", file.name))
        .at(location)
        .help("paved reads Rego v1 (`deny contains msg if { ... }`) and, failing that, v0 (`deny[msg] { ... }`); the message is for v1")
}

/// Whether `name` is a conftest rule: `deny`, `violation` or `warn`,
/// optionally with a `_suffix`.
fn severity_of(name: &str) -> Option<RuleSeverity> {
    let (head, _) = name.split_once('_').unwrap_or((name, ""));
    match head {
        "deny" | "violation" => Some(RuleSeverity::Error),
        "warn" => Some(RuleSeverity::Warning),
        _ => None,
    }
}

impl Policies {
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// Every message the policies produce for `input`.
    pub fn evaluate(&mut self, input: &Value) -> Result<Vec<Message>, String> {
        self.engine.set_input(regorus::Value::from(input.clone()));
        let mut out = Vec::new();
        for package in &self.packages {
            let results = self
                .engine
                .eval_query(package.clone(), false)
                .map_err(|e| format!("evaluating `{package}`: {e}"))?;
            let Some(value) = results
                .result
                .first()
                .and_then(|r| r.expressions.first())
                .map(|e| &e.value)
            else {
                continue;
            };
            let json: Value = value
                .to_json_str()
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(Value::Null);
            let short = package.strip_prefix("data.").unwrap_or(package);
            for (name, produced) in json.as_object().into_iter().flatten() {
                let Some(severity) = severity_of(name) else {
                    continue;
                };
                let messages: Vec<&Value> = match produced {
                    Value::Array(items) => items.iter().collect(),
                    Value::String(_) | Value::Object(_) => vec![produced],
                    _ => Vec::new(),
                };
                for message in messages {
                    let text = match message {
                        Value::String(text) => text.clone(),
                        Value::Object(object) => object
                            .get("msg")
                            .and_then(Value::as_str)
                            .map_or_else(|| message.to_string(), str::to_owned),
                        other => other.to_string(),
                    };
                    out.push(Message {
                        rule: format!("{short}.{name}"),
                        severity,
                        text,
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.rule, &a.text).cmp(&(&b.rule, &b.text)));
        out.dedup();
        Ok(out)
    }
}

/// The outcome of one `test_` rule.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub file: String,
    pub name: String,
    pub passed: bool,
    pub error: Option<String>,
}

/// Runs every `test_` rule of every policy file, as `opa test` does: a
/// test passes when its rule is true.
pub fn run_tests(files: &[TemplateFile]) -> Result<Vec<TestResult>, Vec<Diagnostic>> {
    let mut policies = compile(files)?;
    let mut results = Vec::new();
    for file in files {
        let Some(package) = package_of(&file.text) else {
            continue;
        };
        let mut names: Vec<&str> = file
            .text
            .lines()
            .filter_map(|line| {
                let name = line.strip_prefix("test_")?;
                let end = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(name.len());
                Some(&line[..5 + end])
            })
            .collect();
        names.dedup();
        for name in names {
            let rule = format!("data.{package}.{name}");
            let outcome = policies.engine.eval_rule(rule);
            let (passed, error) = match outcome {
                Ok(value) => (value == regorus::Value::from(true), None),
                Err(error) => (false, Some(error.to_string())),
            };
            results.push(TestResult {
                file: file.path.clone(),
                name: name.to_owned(),
                passed,
                error,
            });
        }
    }
    Ok(results)
}

/// The conftest rules (`deny`, `violation`, `warn`, with suffixes) the
/// policy files declare, as `<package>.<rule>`.
pub fn declared_rules(files: &[TemplateFile]) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for file in files.iter().filter(|f| !is_test(f)) {
        let Some(package) = package_of(&file.text) else {
            continue;
        };
        for line in file.text.lines() {
            let end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(line.len());
            let name = &line[..end];
            if !name.is_empty() && severity_of(name).is_some() {
                out.insert(format!("{package}.{name}"));
            }
        }
    }
    out
}

fn package_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("package "))
        .map(|rest| rest.trim().trim_end_matches(';').to_owned())
}
