//! The same Rego rules at admission: each rule `policies/paved.yaml` lists
//! under `admission` becomes, in every cluster's `_platform`, an OPA
//! Gatekeeper ConstraintTemplate and its Constraint, so that a manifest
//! applied by hand meets the rules CI applies.
//!
//! The input is adapted the way konstraint adapts it: the template's
//! `violation[{"msg": msg}]` evaluates the original rule `with input as`
//! the object under review, plus the `paved` context (cluster,
//! environment, production, today) the constraint passes as parameters.
//! The rule's package and every package it reads go into the template's
//! `libs`, renamed under `lib.paved.` as Gatekeeper requires; data files
//! become a `lib.paved` module. Exceptions from `policies/exceptions.yaml`
//! that cover the cluster are parameters, honoured until they expire; the
//! environment's severity sets `enforcementAction` (`off` renders nothing).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::template::Resource;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::model::{Environment, RuleSeverity};
use crate::input::repo::Repo;
use crate::rego::{self, analysis::RegoFile};

/// The Constraint kind of a rule: `main.deny_loadbalancer` is
/// `PavedMainDenyLoadbalancer`.
pub fn kind_of(rule: &str) -> String {
    let mut out = String::from("Paved");
    for part in rule.split(['.', '_']) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Everything the Gatekeeper output depends on, for `Plan::fingerprints`.
pub fn fingerprint(repo: &Repo) -> String {
    let Some(config) = &repo.policy_config else {
        return String::new();
    };
    if config.value.admission.is_empty() {
        return String::new();
    }
    let mut hash = crate::support::hash::Fingerprint::default();
    hash.add(&config.value);
    for file in repo.policies.iter().chain(&repo.policy_data) {
        hash.add(&file.path).add(&*file.text);
    }
    if let Some(exceptions) = &repo.exceptions {
        hash.add(&exceptions.value);
    }
    for env in &repo.environments {
        hash.add(&env.value.policy);
    }
    hash.finish()
}

/// Rewrites a policy for Gatekeeper: its package and every `data.`
/// reference move under `lib.paved.`; Rego v1 files get `import rego.v1`
/// (Gatekeeper reads `rego` and `libs` as v0, where that import turns v1
/// on).
fn for_gatekeeper(file: &RegoFile) -> String {
    let text = &file.rewritten;
    let mut out = String::with_capacity(text.len() + 64);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut package_done = false;
    while i < bytes.len() {
        let c = bytes[i] as char;
        match c {
            '#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push_str(&text[i..end]);
                i = end;
            }
            '"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(bytes.len());
                out.push_str(&text[i..end]);
                i = end;
            }
            '`' => {
                let end = text[i + 1..]
                    .find('`')
                    .map_or(text.len(), |n| i + 1 + n + 1);
                out.push_str(&text[i..end]);
                i = end;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let after_dot = start > 0 && bytes[start - 1] == b'.';
                let next = bytes.get(i).copied();
                if word == "package" && !package_done && !after_dot {
                    package_done = true;
                    out.push_str("package lib.paved.");
                    while i < bytes.len() && bytes[i] == b' ' {
                        i += 1;
                    }
                    let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                    out.push_str(text[i..line_end].trim_end());
                    if file.v1 && !text.contains("import rego.v1") {
                        out.push_str("\n\nimport rego.v1");
                    }
                    i = line_end;
                } else if word == "data" && !after_dot && matches!(next, Some(b'.') | Some(b'[')) {
                    out.push_str("data.lib.paved");
                } else {
                    out.push_str(word);
                }
            }
            _ => {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

/// The packages a file reads through `data.` references.
fn reads(file: &RegoFile, packages: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let text = &file.rewritten;
    for (at, _) in text.match_indices("data.") {
        if at > 0 {
            let before = text.as_bytes()[at - 1];
            if before.is_ascii_alphanumeric() || before == b'_' || before == b'.' {
                continue;
            }
        }
        let path: Vec<String> = text[at + 5..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .next()
            .unwrap_or("")
            .split('.')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        for package in packages {
            if path.starts_with(package) || package.starts_with(&path) {
                out.insert(package.clone());
            }
        }
    }
    out
}

/// The ConstraintTemplates and Constraints for one cluster's `_platform`.
pub fn platform_resources(
    repo: &Repo,
    environment: &Environment,
    cluster: &str,
) -> Result<Vec<Resource>, Vec<Diagnostic>> {
    let Some(config) = &repo.policy_config else {
        return Ok(Vec::new());
    };
    if config.value.admission.is_empty() {
        return Ok(Vec::new());
    }
    let origin = config.file.path.clone();
    let at = |pointer: &str| match config.file.doc.span_for(pointer, false) {
        Some(span) => Location::at(&origin, span),
        None => Location::file(&origin),
    };
    let setup = crate::rego::config::setup(repo)?;
    let files: Vec<&crate::input::load::TemplateFile> =
        repo.policies.iter().filter(|f| !rego::is_test(f)).collect();
    let parsed = rego::parse_all(&files, setup.settings.depth)?;
    let packages: BTreeSet<Vec<String>> = parsed.iter().map(|f| f.package.clone()).collect();
    let today_exceptions = repo
        .exceptions
        .iter()
        .flat_map(|e| e.value.exceptions.iter())
        .collect::<Vec<_>>();

    let mut diagnostics = Vec::new();
    let mut resources = Vec::new();
    for (index, admission) in config.value.admission.iter().enumerate() {
        let (package, name) = admission
            .rule
            .rsplit_once('.')
            .unwrap_or(("", admission.rule.as_str()));
        let package: Vec<String> = package.split('.').map(str::to_owned).collect();
        let declared = parsed
            .iter()
            .any(|f| f.package == package && f.rules.iter().any(|r| r.simple && r.name == name));
        let Some(default) = rego::severity_of(name).filter(|_| declared) else {
            diagnostics.push(
                Diagnostic::error(format!(
                    "no policy declares the rule `{}` (a `deny`, `violation` or `warn` rule)",
                    admission.rule
                ))
                .at(at(&format!("/admission/{index}/rule")))
                .field(format!("admission[{index}].rule"))
                .help("name a rule as `<package>.<rule>`, such as `main.deny_loadbalancer`"),
            );
            continue;
        };
        let action = match environment.policy.severity(&admission.rule, default) {
            RuleSeverity::Off => continue,
            RuleSeverity::Error => "deny",
            RuleSeverity::Warning => "warn",
        };
        // The rule's package and everything it reads, transitively.
        let mut needed: BTreeSet<Vec<String>> = BTreeSet::from([package.clone()]);
        loop {
            let more: BTreeSet<Vec<String>> = parsed
                .iter()
                .filter(|f| needed.contains(&f.package))
                .flat_map(|f| reads(f, &packages))
                .collect();
            if more.is_subset(&needed) {
                break;
            }
            needed.extend(more);
        }
        let mut libs: Vec<Value> = parsed
            .iter()
            .filter(|f| needed.contains(&f.package))
            .map(|f| Value::from(for_gatekeeper(f)))
            .collect();
        if let Some(Value::Object(data)) = &setup.data {
            let mut module = String::from("package lib.paved\n\nimport rego.v1\n");
            for (key, value) in data {
                module.push_str(&format!("\n{key} := {value}\n"));
            }
            libs.push(Value::from(module));
        }
        let has_exception_rule = parsed
            .iter()
            .any(|f| f.package == package && f.rules.iter().any(|r| r.name == "exception"));
        let kind = kind_of(&admission.rule);
        let template_package = kind.to_lowercase();
        let target = format!("data.lib.paved.{}.{name}", package.join("."));
        let exception_name = ["violation_", "deny_", "warn_"]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .unwrap_or(if matches!(name, "deny" | "violation" | "warn") {
                ""
            } else {
                name
            });
        let excepted = if has_exception_rule {
            format!(
                "\nexcepted if {{\n\tsome names in data.lib.paved.{}.exception with input as resource\n\t{} in names\n}}\n",
                package.join("."),
                Value::from(exception_name)
            )
        } else {
            "\nexcepted := false\n".to_owned()
        };
        let rego = format!(
            r#"package {template_package}

import rego.v1

# Generated by paved from `{rule}` in `policies/`: the object under review,
# with the context `paved policy` gives (`input.paved`).
today := time.format([time.now_ns(), "UTC", "2006-01-02"])

resource := object.union(input.review.object, {{"paved": object.union(input.parameters.paved, {{"today": today}})}})

violation contains {{"msg": msg}} if {{
	not excepted
	not waived
	some message in {target} with input as resource
	msg := text(message)
}}

text(message) := message if is_string(message)

text(message) := message.msg if is_object(message)
{excepted}
waived if {{
	some exception in input.parameters.exceptions
	matches(exception.namespaces, object.get(input.review.object, ["metadata", "namespace"], ""))
	matches(exception.names, input.review.object.metadata.name)
	exception.expires >= today
}}

matches(patterns, value) if {{
	some pattern in patterns
	glob.match(pattern, [], value)
}}
"#,
            rule = admission.rule,
        );
        let exceptions: Vec<Value> = today_exceptions
            .iter()
            .filter(|e| {
                e.rule == admission.rule
                    && e.clusters
                        .as_ref()
                        .is_none_or(|c| c.iter().any(|p| crate::support::text::glob(p, cluster)))
            })
            .map(|e| {
                json!({
                    "namespaces": e.namespaces.clone().unwrap_or_else(|| vec!["*".into()]),
                    "names": e.names.clone().unwrap_or_else(|| vec!["*".into()]),
                    "expires": e.expires,
                })
            })
            .collect();
        let template = json!({
            "apiVersion": "templates.gatekeeper.sh/v1",
            "kind": "ConstraintTemplate",
            "metadata": {
                "name": template_package,
                "annotations": {
                    "argocd.argoproj.io/sync-wave": "-1",
                    "paved.dev/rule": admission.rule,
                },
            },
            "spec": {
                "crd": {"spec": {
                    "names": {"kind": kind},
                    "validation": {"openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "paved": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                            "exceptions": {"type": "array", "items": {
                                "type": "object",
                                "properties": {
                                    "namespaces": {"type": "array", "items": {"type": "string"}},
                                    "names": {"type": "array", "items": {"type": "string"}},
                                    "expires": {"type": "string"},
                                },
                            }},
                        },
                    }},
                }},
                "targets": [{
                    "target": "admission.k8s.gatekeeper.sh",
                    "rego": rego,
                    "libs": libs,
                }],
            },
        });
        let mut constraint_match = json!({});
        if let Some(kinds) = &admission.kinds {
            constraint_match["kinds"] = json!(
                kinds
                    .iter()
                    .map(|k| json!({"apiGroups": k.api_groups, "kinds": k.kinds}))
                    .collect::<Vec<_>>()
            );
        }
        let constraint = json!({
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": kind,
            "metadata": {
                "name": format!("paved-{}", admission.rule.replace(['.', '_'], "-").to_lowercase()),
                "annotations": {
                    "argocd.argoproj.io/sync-wave": "0",
                    "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
                    "paved.dev/rule": admission.rule,
                },
            },
            "spec": {
                "enforcementAction": action,
                "match": constraint_match,
                "parameters": {
                    "paved": {
                        "cluster": cluster,
                        "environment": environment.name,
                        "production": environment.production,
                    },
                    "exceptions": exceptions,
                },
            },
        });
        for value in [template, constraint] {
            resources.push(Resource {
                value,
                template: origin.clone(),
                written: Vec::new(),
            });
        }
    }
    if diagnostics.is_empty() {
        Ok(resources)
    } else {
        Err(diagnostics)
    }
}
