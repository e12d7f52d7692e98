//! Stage 8, policy: every rendered resource against the built-in baseline
//! (`baseline`) and the platform's Rego policies (`rego`), with the
//! severity each environment sets, minus the exceptions in
//! `policies/exceptions.yaml` that have not expired. Pure: the date is an
//! input.

pub mod baseline;
pub mod sarif;

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde_json::json;

use crate::diagnostic::{self, Diagnostic, Location, Severity};
use std::collections::BTreeMap;

use crate::input::model::{Environment, PolicyException, RuleSeverity};
use crate::input::repo::Repo;
use crate::rego::{
    self,
    config::{config_location, setup},
};
use crate::render::blame::{describe, source_of};
use crate::render::{Rendered, RenderedUnit, UnitKind};
use crate::support::date::date_problem;
use crate::support::pointer::pointer_push;
use crate::support::text::glob;

/// What the rules of one unit may depend on.
pub struct UnitContext<'a> {
    pub registries: &'a [String],
    pub high_availability: bool,
    /// Keys of this unit's service whose values a reviewer found are not
    /// secrets (`notSecrets` in `policies/exceptions.yaml`).
    pub reviewed: &'a [String],
}

/// A rule broken by one resource of a unit.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    /// Index of the resource in its unit.
    pub resource: usize,
    /// JSON pointer of the offending field (empty when not known).
    pub pointer: String,
    pub message: String,
    /// The default severity (Rego rules carry theirs).
    pub severity: Option<RuleSeverity>,
}

impl Finding {
    pub fn new(rule: &str, resource: usize, pointer: String, message: String) -> Self {
        Finding {
            rule: rule.to_owned(),
            resource,
            pointer,
            message,
            severity: None,
        }
    }
}

/// A rule as reports describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub help: String,
    pub severity: RuleSeverity,
}

/// What `paved policy` found.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Every rule that was checked (for SARIF).
    pub rules: Vec<RuleInfo>,
    pub resources: usize,
    /// Findings an exception waived.
    pub waived: usize,
}

fn covers(patterns: &Option<Vec<String>>, value: &str) -> bool {
    patterns
        .as_ref()
        .is_none_or(|patterns| patterns.iter().any(|p| glob(p, value)))
}

fn environment_of(unit: &RenderedUnit) -> &str {
    match &unit.kind {
        UnitKind::Service { environment, .. }
        | UnitKind::Platform { environment }
        | UnitKind::ArgoCd { environment } => environment,
    }
}

/// Checks that the packages the configuration names exist.
fn check_packages(repo: &Repo, policies: &rego::Policies) -> Vec<Diagnostic> {
    let default = crate::input::model::PolicyConfig::default();
    let config = repo.policy_config.as_ref().map_or(&default, |e| &e.value);
    let known = policies.packages();
    let mut diagnostics = Vec::new();
    let mut named: Vec<(String, &String)> = Vec::new();
    if config.namespaces.is_some() && !config.all_namespaces {
        for (i, name) in config.namespaces.iter().flatten().enumerate() {
            named.push((format!("/namespaces/{i}"), name));
        }
    }
    for (i, name) in config.combine.unit.iter().enumerate() {
        named.push((format!("/combine/unit/{i}"), name));
    }
    for (i, name) in config.combine.cluster.iter().enumerate() {
        named.push((format!("/combine/cluster/{i}"), name));
    }
    for (pointer, name) in named {
        if !known.contains(name.as_str()) {
            let mut diagnostic = Diagnostic::error(format!(
                "no policy in `policies/` declares `package {name}`"
            ))
            .at(config_location(repo, &pointer))
            .field(pointer.trim_start_matches('/').replace('/', "."));
            diagnostic = match crate::support::text::nearest(name, known.iter().map(String::as_str))
            {
                Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
                None => diagnostic.help(format!(
                    "packages declared: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}

/// What `input.paved` says about a unit.
fn paved_context(repo: &Repo, unit: &RenderedUnit, today: &str) -> serde_json::Value {
    let environment = repo.environment(environment_of(unit)).map(|e| &e.value);
    let mut paved = json!({
        "cluster": unit.cluster,
        "environment": environment_of(unit),
        "production": environment.is_some_and(|e| e.production),
        "today": today,
    });
    // Absent rather than null where a unit has no team or service: in
    // Rego, null is a value and would count as set.
    if let UnitKind::Service { service, team, .. } = &unit.kind {
        paved["team"] = json!(team);
        paved["service"] = json!(service);
    }
    paved
}

/// A resource as policies see it: the manifest, plus `paved`.
fn resource_input(resource: &crate::render::Resource, paved: &regorus::Value) -> regorus::Value {
    let mut input = rego::input(&resource.value);
    if let Ok(fields) = input.as_object_mut() {
        fields.insert(regorus::Value::from("paved"), paved.clone());
    }
    input
}

/// A rule that failed while evaluating, on how many inputs.
#[derive(Clone)]
struct Failed {
    error: rego::EvalError,
    subject: String,
    cluster: String,
    inputs: usize,
}

/// Checks everything rendered. Fails (exit 2) when the policies cannot be
/// read or fail while evaluating: a policy that errors never passes.
///
/// A process that evaluated the same kept run before on the same day gets
/// a copy of that outcome (see [`crate::render::rerun::derived`]).
pub fn evaluate(repo: &Repo, rendered: &Rendered, today: &str) -> Result<Report, Vec<Diagnostic>> {
    crate::render::rerun::derived(repo, rendered, format!("policy {today}"), || {
        evaluate_anew(repo, rendered, today)
    })
}

fn evaluate_anew(repo: &Repo, rendered: &Rendered, today: &str) -> Result<Report, Vec<Diagnostic>> {
    let part = Evaluator::new(today).part(repo, rendered);
    finish(repo, vec![part], today)
}

/// Evaluates the policies over a render a part at a time (a cluster's
/// units, while their resources are in memory): [`Evaluator::part`] each
/// part, then [`finish`] the parts together.
pub struct Evaluator {
    today: String,
    /// The policies, compiled for the first part.
    compiled: std::sync::OnceLock<Result<rego::Policies, Vec<Diagnostic>>>,
}

/// What the policies found in one part of a render.
#[derive(Clone, Default)]
pub struct Part {
    diagnostics: Vec<Diagnostic>,
    waived: usize,
    /// The Rego rules that fired, and those the policies declare.
    rules: BTreeSet<String>,
    failed: Vec<Failed>,
    resources: usize,
}

impl Evaluator {
    pub fn new(today: &str) -> Evaluator {
        Evaluator {
            today: today.to_owned(),
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// What names this evaluation (for a run kept with what it found).
    pub fn key(&self) -> String {
        format!("policy {}", self.today)
    }

    /// The policies over `rendered`'s units (and its clusters, for rules
    /// that combine them); `Err` when the policies cannot be read.
    pub fn part(&self, repo: &Repo, rendered: &Rendered) -> Result<Part, Vec<Diagnostic>> {
        let policies = self
            .compiled
            .get_or_init(|| compile(repo))
            .as_ref()
            .map_err(Clone::clone)?;
        let today = self.today.as_str();
        let exceptions = exceptions(repo);
        let active: Vec<&(usize, &PolicyException)> = exceptions
            .iter()
            // An exception whose date is not a real date never waives
            // anything (intent validation refuses it too).
            .filter(|(_, e)| date_problem(&e.expires).is_none() && e.expires.as_str() >= today)
            .collect();
        let per_unit: Vec<UnitResult> = rendered
            .units
            .par_iter()
            .filter(|unit| !rendered.is_context(unit))
            .map_init(
                || policies.clone(),
                |policies, unit| check_unit(repo, unit, policies, &active, today),
            )
            .collect();
        let mut part = Part::default();
        let clusters = policies
            .has_scope(rego::Scope::Cluster)
            .then(|| check_clusters(repo, rendered, policies, &active, today));
        for result in per_unit.into_iter().chain(clusters) {
            part.diagnostics.extend(result.diagnostics);
            part.waived += result.waived;
            part.rules.extend(result.rules);
            part.failed.extend(result.failed);
        }
        part.resources = rendered.in_focus().map(|u| u.resources.len()).sum();
        part.rules
            .extend(policies.rules().into_iter().map(|(id, _)| id));
        crate::render::focus::drop_context_findings(rendered, &mut part.diagnostics);
        Ok(part)
    }
}

/// The platform's policies, compiled, every package they name known.
fn compile(repo: &Repo) -> Result<rego::Policies, Vec<Diagnostic>> {
    let setup = setup(repo)?;
    let files: Vec<&crate::input::load::TemplateFile> = repo
        .policies
        .iter()
        .filter(|file| !rego::is_test(file))
        .collect();
    let policies = rego::compile(&files, setup.data.as_ref(), &setup.settings)?;
    let missing = check_packages(repo, &policies);
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(policies)
}

/// Every exception, with its index in `policies/exceptions.yaml`.
fn exceptions(repo: &Repo) -> Vec<(usize, &PolicyException)> {
    repo.exceptions
        .iter()
        .flat_map(|entry| entry.value.exceptions.iter().enumerate())
        .collect()
}

/// The report of every part of a render (the first part's error, when
/// the policies could not be read): findings ordered and merged, rules
/// that failed while evaluating, expired exceptions and exceptions that
/// name no rule, and every rule checked.
pub fn finish(
    repo: &Repo,
    parts: Vec<Result<Part, Vec<Diagnostic>>>,
    today: &str,
) -> Result<Report, Vec<Diagnostic>> {
    let mut report = Report::default();
    let mut rego_rules = BTreeSet::new();
    let mut failures: Vec<Failed> = Vec::new();
    for part in parts {
        let part = part?;
        report.diagnostics.extend(part.diagnostics);
        report.waived += part.waived;
        report.resources += part.resources;
        rego_rules.extend(part.rules);
        failures.extend(part.failed);
    }
    if !failures.is_empty() {
        return Err(failure_diagnostics(failures));
    }
    let exceptions = exceptions(repo);

    // Exceptions: expired ones are reported; ones naming no rule too.
    if let Some(entry) = &repo.exceptions {
        let declared = rego::declared_rules(&repo.policies);
        let known: BTreeSet<&str> = baseline::RULES
            .iter()
            .map(|r| r.id)
            .chain(declared.iter().map(String::as_str))
            .chain(rego_rules.iter().map(String::as_str))
            .collect();
        for (index, exception) in &exceptions {
            let at = |field: &str| {
                let pointer = format!("/exceptions/{index}/{field}");
                match entry.file.doc.span_for(&pointer, false) {
                    Some(span) => Location::at(&entry.file.path, span),
                    None => Location::file(&entry.file.path),
                }
            };
            if exception.expires.as_str() < today {
                report.diagnostics.push(
                    Diagnostic::warning(format!(
                        "the exception to `{}` expired on {}: it no longer applies",
                        exception.rule, exception.expires
                    ))
                    .at(at("expires"))
                    .field(format!("exceptions[{index}].expires"))
                    .code("policy/expired-exception")
                    .help(format!("{} owns it: fix what it waived, or agree a new date with the platform team", exception.owner)),
                );
            }
            if !known.contains(exception.rule.as_str()) {
                report.diagnostics.push(
                    Diagnostic::warning(format!("the exception names rule `{}`, which paved does not know", exception.rule))
                        .at(at("rule"))
                        .field(format!("exceptions[{index}].rule"))
                        .code("policy/unknown-rule")
                        .help("built-in rules are listed by `paved policy --list-rules`; Rego rules are named `<package>.<rule>`"),
                );
            }
        }
    }
    diagnostic::normalize(&mut report.diagnostics);
    crate::diagnostic::merge_common_causes(&mut report.diagnostics);

    let mut rules: Vec<RuleInfo> = baseline::RULES
        .iter()
        .map(|rule| RuleInfo {
            id: rule.id.to_owned(),
            title: rule.title.to_owned(),
            description: rule.description.to_owned(),
            help: rule.help.to_owned(),
            severity: rule.severity,
        })
        .collect();
    for rule in rego_rules {
        let severity = if rule
            .split('.')
            .next_back()
            .is_some_and(|name| name.starts_with("warn"))
        {
            RuleSeverity::Warning
        } else {
            RuleSeverity::Error
        };
        rules.push(RuleInfo {
            title: format!("Rego policy `{rule}`"),
            description: format!("The platform's Rego rule `{rule}` in `policies/`."),
            help: "See the rule in `policies/`; waive it only with an entry in `policies/exceptions.yaml`.".into(),
            id: rule,
            severity,
        });
    }
    for (id, title) in [
        ("policy/expired-exception", "Exceptions have not expired"),
        ("policy/unknown-rule", "Exceptions name known rules"),
    ] {
        rules.push(RuleInfo {
            id: id.into(),
            title: title.into(),
            description: "Exceptions in `policies/exceptions.yaml` are owned and temporary.".into(),
            help: "Renew or remove the exception.".into(),
            severity: RuleSeverity::Warning,
        });
    }
    report.rules = rules;
    Ok(report)
}

/// One diagnostic per distinct failure, saying on how many inputs it failed.
fn failure_diagnostics(failures: Vec<Failed>) -> Vec<Diagnostic> {
    let mut merged: BTreeMap<(String, String, String), Failed> = BTreeMap::new();
    for failure in failures {
        // One problem at one place, whatever the resource made it say.
        let key = (
            failure.error.rule.clone(),
            format!("{:?}", failure.error.location),
            String::new(),
        );
        match merged.get_mut(&key) {
            Some(existing) => existing.inputs += failure.inputs,
            None => {
                merged.insert(key, failure);
            }
        }
    }
    merged
        .into_values()
        .map(|failure| {
            let others = match failure.inputs {
                1 => String::new(),
                2 => " and on 1 other input".to_owned(),
                n => format!(" and on {} other inputs", n - 1),
            };
            Diagnostic::error(format!(
                "Rego rule `{}` failed on {}{others}: {}",
                failure.error.rule, failure.subject, failure.error.message
            ))
            .at(failure.error.location)
            .cluster(failure.cluster)
            .code("policy/rego-error")
            .help(
                "a policy that fails is an error, never a pass: fix the rule, or the data it reads",
            )
        })
        .collect()
}

/// What checking one unit (or one cluster) found.
#[derive(Default)]
struct UnitResult {
    diagnostics: Vec<Diagnostic>,
    waived: usize,
    /// The Rego rules that fired.
    rules: BTreeSet<String>,
    failed: Vec<Failed>,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy)]
enum Target {
    Resource(usize),
    /// A whole unit (a combined policy that named no resource).
    Unit,
}

/// The resource a combined policy's message names: a `resource` object, or
/// the message's own `kind`, `name` and (optional) `namespace`.
fn named_resource(
    fields: &serde_json::Map<String, serde_json::Value>,
    resources: &[&crate::render::Resource],
) -> Option<usize> {
    let named = fields
        .get("resource")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(fields);
    let kind = named.get("kind")?.as_str()?;
    let name = named.get("name")?.as_str()?;
    let namespace = named.get("namespace").and_then(serde_json::Value::as_str);
    resources.iter().position(|r| {
        r.kind() == kind && r.name() == name && namespace.is_none_or(|n| r.namespace() == Some(n))
    })
}

/// The input of a combined policy: conftest's `--combine` shape.
fn combined_input<'a>(
    parts: impl Iterator<
        Item = (
            &'a RenderedUnit,
            &'a crate::render::Resource,
            &'a regorus::Value,
        ),
    >,
) -> regorus::Value {
    let path = regorus::Value::from("path");
    let contents = regorus::Value::from("contents");
    regorus::Value::from(
        parts
            .map(|(unit, resource, paved)| {
                let file = format!("{}/{}", crate::render::unit::RENDERED_DIR, unit.path);
                regorus::Value::from(BTreeMap::from([
                    (path.clone(), regorus::Value::from(file)),
                    (contents.clone(), resource_input(resource, paved)),
                ]))
            })
            .collect::<Vec<_>>(),
    )
}

/// Checks one unit: built-in rules and Rego policies, then severities and
/// exceptions.
fn check_unit(
    repo: &Repo,
    unit: &RenderedUnit,
    policies: &mut rego::Policies,
    exceptions: &[&(usize, &PolicyException)],
    today: &str,
) -> UnitResult {
    let environment = repo.environment(environment_of(unit)).map(|e| &e.value);
    let reviewed: Vec<String> = match &unit.kind {
        UnitKind::Service { service, .. } => repo
            .exceptions
            .iter()
            .flat_map(|entry| &entry.value.not_secrets)
            .filter(|reviewed| &reviewed.service == service)
            .map(|reviewed| reviewed.key.clone())
            .collect(),
        _ => Vec::new(),
    };
    let context = UnitContext {
        registries: &repo.platform.value.registries,
        high_availability: environment.is_some_and(|e| e.high_availability),
        reviewed: &reviewed,
    };
    let mut findings = Vec::new();
    baseline::check(&unit.resources, &context, &mut findings);
    let mut result = UnitResult::default();
    let mut targets: Vec<Target> = findings
        .iter()
        .map(|f| Target::Resource(f.resource))
        .collect();
    if !policies.is_empty() {
        let paved = rego::input(&paved_context(repo, unit, today));
        let fail = |error: rego::EvalError, subject: String| Failed {
            error,
            subject,
            cluster: unit.cluster.clone(),
            inputs: 1,
        };
        if policies.has_scope(rego::Scope::Resource) {
            for (index, resource) in unit.resources.iter().enumerate() {
                match policies.evaluate(resource_input(resource, &paved), rego::Scope::Resource) {
                    Ok(outcome) => {
                        result.waived += outcome.excepted;
                        for message in outcome.messages {
                            result.rules.insert(message.rule.clone());
                            targets.push(Target::Resource(index));
                            findings.push(Finding {
                                rule: message.rule,
                                resource: index,
                                pointer: String::new(),
                                message: message.text,
                                severity: Some(message.severity),
                            });
                        }
                    }
                    Err(error) => result.failed.push(fail(error, describe(resource))),
                }
            }
        }
        if policies.has_scope(rego::Scope::Unit) && !unit.resources.is_empty() {
            let input = combined_input(unit.resources.iter().map(|r| (unit, r, &paved)));
            match policies.evaluate(input, rego::Scope::Unit) {
                Ok(outcome) => {
                    result.waived += outcome.excepted;
                    let resources: Vec<&crate::render::Resource> = unit.resources.iter().collect();
                    for message in outcome.messages {
                        result.rules.insert(message.rule.clone());
                        let index = named_resource(&message.fields, &resources);
                        targets.push(index.map_or(Target::Unit, Target::Resource));
                        findings.push(Finding {
                            rule: message.rule,
                            resource: index.unwrap_or(0),
                            pointer: String::new(),
                            message: message.text,
                            severity: Some(message.severity),
                        });
                    }
                }
                Err(error) => result
                    .failed
                    .push(fail(error, format!("the resources of `{}`", unit.path))),
            }
        }
    }
    for (finding, target) in findings.into_iter().zip(targets) {
        match judge(repo, unit, finding, target, exceptions) {
            Judged::Waived => result.waived += 1,
            Judged::Off => {}
            Judged::Reported(diagnostic) => result.diagnostics.push(*diagnostic),
        }
    }
    result
}

/// Policies whose input is a whole cluster, once per cluster.
fn check_clusters(
    repo: &Repo,
    rendered: &Rendered,
    policies: &rego::Policies,
    exceptions: &[&(usize, &PolicyException)],
    today: &str,
) -> UnitResult {
    let clusters = rendered.by_cluster();
    let results: Vec<UnitResult> = clusters
        .into_par_iter()
        .map_init(
            || policies.clone(),
            |policies, (cluster, units)| {
                let mut result = UnitResult::default();
                let contexts: Vec<regorus::Value> = units
                    .iter()
                    .map(|u| rego::input(&paved_context(repo, u, today)))
                    .collect();
                let parts: Vec<(usize, usize)> = units
                    .iter()
                    .enumerate()
                    .flat_map(|(u, unit)| (0..unit.resources.len()).map(move |r| (u, r)))
                    .collect();
                let input = combined_input(
                    parts
                        .iter()
                        .map(|(u, r)| (units[*u], &units[*u].resources[*r], &contexts[*u])),
                );
                let outcome = match policies.evaluate(input, rego::Scope::Cluster) {
                    Ok(outcome) => outcome,
                    Err(error) => {
                        result.failed.push(Failed {
                            error,
                            subject: format!("the resources of cluster `{cluster}`"),
                            cluster: cluster.to_owned(),
                            inputs: 1,
                        });
                        return result;
                    }
                };
                result.waived += outcome.excepted;
                let resources: Vec<&crate::render::Resource> = parts
                    .iter()
                    .map(|(u, r)| &units[*u].resources[*r])
                    .collect();
                for message in outcome.messages {
                    result.rules.insert(message.rule.clone());
                    let finding = |resource| Finding {
                        rule: message.rule.clone(),
                        resource,
                        pointer: String::new(),
                        message: message.text.clone(),
                        severity: Some(message.severity),
                    };
                    let judged = match named_resource(&message.fields, &resources) {
                        Some(index) => {
                            let (u, r) = parts[index];
                            judge(repo, units[u], finding(r), Target::Resource(r), exceptions)
                        }
                        None => judge_cluster(repo, units[0], finding(0), policies, exceptions),
                    };
                    match judged {
                        Judged::Waived => result.waived += 1,
                        Judged::Off => {}
                        Judged::Reported(diagnostic) => result.diagnostics.push(*diagnostic),
                    }
                }
                result
            },
        )
        .collect();
    let mut out = UnitResult::default();
    for result in results {
        out.diagnostics.extend(result.diagnostics);
        out.waived += result.waived;
        out.rules.extend(result.rules);
        out.failed.extend(result.failed);
    }
    out
}

enum Judged {
    Waived,
    Off,
    Reported(Box<Diagnostic>),
}

/// The severity of a finding in its environment.
fn severity_of_finding(environment: Option<&Environment>, finding: &Finding) -> Option<Severity> {
    let default = finding
        .severity
        .or_else(|| baseline::rule(&finding.rule).map(|r| r.severity))
        .unwrap_or(RuleSeverity::Error);
    match environment.map_or(default, |e| e.policy.severity(&finding.rule, default)) {
        RuleSeverity::Off => None,
        RuleSeverity::Error => Some(Severity::Error),
        RuleSeverity::Warning => Some(Severity::Warning),
    }
}

/// A finding of a cluster-wide policy that names no resource: reported at
/// the rule, for the cluster.
fn judge_cluster(
    repo: &Repo,
    unit: &RenderedUnit,
    finding: Finding,
    policies: &rego::Policies,
    exceptions: &[&(usize, &PolicyException)],
) -> Judged {
    let environment = repo.environment(environment_of(unit)).map(|e| &e.value);
    let Some(severity) = severity_of_finding(environment, &finding) else {
        return Judged::Off;
    };
    let waived = exceptions.iter().any(|(_, e)| {
        e.rule == finding.rule
            && covers(&e.clusters, &unit.cluster)
            && e.namespaces.is_none()
            && e.names.is_none()
    });
    if waived {
        return Judged::Waived;
    }
    let location = policies
        .rule_location(&finding.rule)
        .unwrap_or_else(|| Location::file(crate::input::load::POLICIES_DIR));
    let mut diagnostic = Diagnostic::error(finding.message)
        .at(location)
        .subject(format!("cluster {}", unit.cluster))
        .cluster(&unit.cluster)
        .code(&finding.rule);
    diagnostic.severity = severity;
    Judged::Reported(Box::new(diagnostic))
}

/// Applies the environment's severity and the exceptions to one finding.
fn judge(
    repo: &Repo,
    unit: &RenderedUnit,
    finding: Finding,
    target: Target,
    exceptions: &[&(usize, &PolicyException)],
) -> Judged {
    let environment = repo.environment(environment_of(unit)).map(|e| &e.value);
    let Some(severity) = severity_of_finding(environment, &finding) else {
        return Judged::Off;
    };
    let resource = match target {
        Target::Resource(index) => Some(&unit.resources[index]),
        Target::Unit => None,
    };
    let waiver = exceptions.iter().find(|(_, e)| {
        e.rule == finding.rule
            && covers(&e.clusters, &unit.cluster)
            && match resource {
                Some(resource) => {
                    covers(&e.namespaces, resource.namespace().unwrap_or_default())
                        && covers(&e.names, resource.name())
                }
                None => {
                    let namespace = unit.resources.first().and_then(|r| r.namespace());
                    covers(&e.namespaces, namespace.unwrap_or_default()) && e.names.is_none()
                }
            }
    });
    if waiver.is_some() {
        return Judged::Waived;
    }
    let (location, subject) = match resource {
        Some(resource) if finding.pointer.is_empty() => {
            (subject_location(repo, unit, resource), describe(resource))
        }
        Some(resource) => (
            source_of(repo, unit, resource, &finding.pointer, true),
            describe(resource),
        ),
        None => (unit_location(repo, unit), format!("`{}`", unit.path)),
    };
    let mut diagnostic = Diagnostic::error(finding.message)
        .at(location)
        .field(crate::support::pointer::field_path(&finding.pointer))
        .subject(subject)
        .cluster(&unit.cluster)
        .code(&finding.rule);
    diagnostic.severity = severity;
    if let Some(rule) = baseline::rule(&finding.rule) {
        diagnostic = diagnostic.help(rule.help);
    }
    Judged::Reported(Box::new(diagnostic))
}

/// Where a finding about a whole unit points: the service's intent, or the
/// file the unit came from.
fn unit_location(repo: &Repo, unit: &RenderedUnit) -> Location {
    match unit.resources.first() {
        Some(resource) => subject_location(repo, unit, resource),
        None => Location::file(&unit.origin),
    }
}

/// Where a finding about a whole resource points: the service's intent for
/// service units, the platform template for the platform's.
fn subject_location(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &crate::render::Resource,
) -> Location {
    if let UnitKind::Service { service, .. } = &unit.kind
        && let Some(entry) = repo.service(service)
        && let Some(span) = entry.file.doc.span_for(&pointer_push("", "name"), false)
    {
        return Location::at(&entry.file.path, span);
    }
    Location::file(&resource.template)
}
