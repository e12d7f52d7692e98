//! Stage 8, policy: every rendered resource against the built-in baseline
//! (`baseline`) and the platform's Rego policies (`rego`), with the
//! severity each environment sets, minus the exceptions in
//! `policies/exceptions.yaml` that have not expired. Pure: the date is an
//! input.

pub mod analysis;
pub mod baseline;
pub mod gatekeeper;
pub mod rego;
pub mod sarif;
pub mod sprintf;

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde_json::json;

use crate::diagnostic::{self, Diagnostic, Location, Severity};
use std::collections::BTreeMap;

use crate::model::{Environment, PolicyException, PolicyLevel, RuleSeverity};
use crate::pipeline::{Rendered, RenderedUnit, UnitKind};
use crate::repo::Repo;
use crate::validate::manifests::{describe, source_of};
use crate::yaml::pointer_push;

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub description: String,
    pub help: String,
    pub severity: RuleSeverity,
}

/// What `paved policy` found.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Every rule that was checked (for SARIF).
    pub rules: Vec<RuleInfo>,
    pub resources: usize,
    /// Findings an exception waived.
    pub waived: usize,
}

/// A calendar date, `YYYY-MM-DD`, compared as text.
pub type Date = String;

/// Today's date: `PAVED_TODAY` when set (for reproducible runs), else the
/// system clock (UTC).
pub fn today() -> Date {
    if let Ok(date) = std::env::var("PAVED_TODAY") {
        return date;
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((seconds / 86_400) as i64)
}

/// Why `text` is not a calendar date written `YYYY-MM-DD`, if it is not:
/// `2026-13-01` has no month 13, `2027-02-30` is past the end of February.
pub fn date_problem(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    let shape_ok = matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2)
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !shape_ok {
        return Some("it is not written `YYYY-MM-DD`".into());
    }
    let number = |p: &str| p.parse::<u32>().unwrap_or_default();
    let (year, month, day) = (number(parts[0]), number(parts[1]), number(parts[2]));
    if !(1..=12).contains(&month) {
        return Some(format!("there is no month {month}"));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        return Some(format!(
            "{} {year} has {days} days",
            MONTHS[month as usize - 1]
        ));
    }
    None
}

/// Days since 1970-01-01 to a `YYYY-MM-DD` date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `*` matches any text.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(mut remaining) = text.strip_prefix(prefix) else {
                return false;
            };
            if rest.is_empty() {
                return true;
            }
            loop {
                if glob(rest, remaining) {
                    return true;
                }
                let mut chars = remaining.chars();
                if chars.next().is_none() {
                    return false;
                }
                remaining = chars.as_str();
            }
        }
    }
}

fn covers(patterns: &Option<Vec<String>>, value: &str) -> bool {
    patterns
        .as_ref()
        .is_none_or(|patterns| patterns.iter().any(|p| glob(p, value)))
}

/// The severity of `rule` in `environment`: the rule's own setting there,
/// else its default moved by the environment's level.
pub(crate) fn severity_in(
    environment: Option<&Environment>,
    rule: &str,
    default: RuleSeverity,
) -> RuleSeverity {
    let Some(environment) = environment else {
        return default;
    };
    if let Some(set) = environment.policy.rules.get(rule) {
        return *set;
    }
    match (environment.policy.level, default) {
        (_, RuleSeverity::Off) => RuleSeverity::Off,
        (PolicyLevel::Strict, _) => RuleSeverity::Error,
        (PolicyLevel::Relaxed, _) => RuleSeverity::Warning,
        (PolicyLevel::Standard, severity) => severity,
    }
}

fn environment_of(unit: &RenderedUnit) -> &str {
    match &unit.kind {
        UnitKind::Service { environment, .. }
        | UnitKind::Platform { environment }
        | UnitKind::ArgoCd { environment } => environment,
    }
}

/// The policy configuration, resolved: settings for the Rego engine and
/// the data files merged into `data`.
pub struct Setup {
    pub settings: rego::Settings,
    pub data: Option<serde_json::Value>,
}

/// Where `pointer` is in `policies/paved.yaml`.
fn config_location(repo: &Repo, pointer: &str) -> Location {
    match &repo.policy_config {
        Some(entry) => match entry.file.doc.span_for(pointer, false) {
            Some(span) => Location::at(&entry.file.path, span),
            None => Location::file(&entry.file.path),
        },
        None => Location::file(crate::load::POLICY_CONFIG_FILE),
    }
}

/// Reads `policies/paved.yaml` (defaults when absent) and the data files it
/// names.
pub fn setup(repo: &Repo) -> Result<Setup, Vec<Diagnostic>> {
    let default = crate::model::PolicyConfig::default();
    let config = repo.policy_config.as_ref().map_or(&default, |e| &e.value);
    setup_from(config, &repo.policy_data, &|pointer| {
        config_location(repo, pointer)
    })
}

/// The same from a configuration and the data files under `policies/`;
/// `locate` says where a field of the configuration is.
pub fn setup_from(
    config: &crate::model::PolicyConfig,
    policy_data: &[crate::load::TemplateFile],
    locate: &dyn Fn(&str) -> Location,
) -> Result<Setup, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let time = rego::parse_duration(&config.limits.time).unwrap_or_else(|| {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a duration", config.limits.time))
                .at(locate("/limits/time"))
                .help("write milliseconds or seconds: `500ms`, `2s`"),
        );
        std::time::Duration::from_secs(2)
    });
    let settings = rego::Settings {
        namespaces: if config.all_namespaces {
            None
        } else {
            Some(
                config
                    .namespaces
                    .clone()
                    .unwrap_or_else(|| vec!["main".to_owned()]),
            )
        },
        unit: config.combine.unit.clone(),
        cluster: config.combine.cluster.clone(),
        time,
        depth: config.limits.depth,
    };

    // Data files: each one's top-level keys merged into `data`.
    let mut data = serde_json::Map::new();
    for (index, entry) in config.data.iter().enumerate() {
        let at = || locate(&format!("/data/{index}"));
        let relative = entry.trim_end_matches('/');
        if relative.is_empty()
            || relative.starts_with('/')
            || relative
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty())
        {
            diagnostics.push(
                Diagnostic::error(format!("data path `{entry}` must stay inside `policies/`"))
                    .at(at())
                    .field(format!("data[{index}]"))
                    .help("name a file or directory relative to `policies/`, such as `data/` or `data/registries.yaml`"),
            );
            continue;
        }
        let path = format!("{}/{relative}", crate::load::POLICIES_DIR);
        let files: Vec<&crate::load::TemplateFile> = policy_data
            .iter()
            .filter(|f| f.path == path || f.path.starts_with(&format!("{path}/")))
            .collect();
        if files.is_empty() {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{path}` holds no `.yaml`, `.yml` or `.json` data file"
                ))
                .at(at())
                .field(format!("data[{index}]"))
                .help("data files are YAML or JSON objects; their keys appear under `data.`"),
            );
        }
        for file in files {
            match read_data(file) {
                Ok(value) => {
                    if let Err(key) = merge_data(&mut data, value) {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`{}` sets `data.{key}`, which another data file already sets",
                                file.path
                            ))
                            .in_file(&file.path)
                            .help(
                                "each data key may come from one file only, as conftest requires",
                            ),
                        );
                    }
                }
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Setup {
        settings,
        data: (!data.is_empty()).then_some(serde_json::Value::Object(data)),
    })
}

fn read_data(
    file: &crate::load::TemplateFile,
) -> Result<serde_json::Map<String, serde_json::Value>, Diagnostic> {
    let value = if file.path.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(&file.text).map_err(|error| {
            let location =
                match crate::diagnostic::Span::at_line(&file.text, error.line(), error.column()) {
                    Some(span) => Location::at(&file.path, span),
                    None => Location::file(&file.path),
                };
            Diagnostic::error(format!("invalid JSON: {error}")).at(location)
        })?
    } else {
        crate::yaml::parse_document(&file.path, &file.text)?.value
    };
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Diagnostic::error(format!(
            "data file `{}` must hold an object: its keys appear under `data.`",
            file.path
        ))
        .in_file(&file.path)),
    }
}

/// Deep-merges `from` into `into`; a key set twice to non-objects is a
/// conflict, named in the error.
fn merge_data(
    into: &mut serde_json::Map<String, serde_json::Value>,
    from: serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (None, value) => {
                into.insert(key, value);
            }
            (Some(serde_json::Value::Object(existing)), serde_json::Value::Object(more)) => {
                merge_data(existing, more).map_err(|inner| format!("{key}.{inner}"))?;
            }
            _ => return Err(key),
        }
    }
    Ok(())
}

/// Checks that the packages the configuration names exist.
fn check_packages(repo: &Repo, policies: &rego::Policies) -> Vec<Diagnostic> {
    let default = crate::model::PolicyConfig::default();
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
            diagnostic = match crate::validate::nearest(name, known.iter().map(String::as_str)) {
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
fn resource_input(
    resource: &crate::render::Resource,
    paved: &serde_json::Value,
) -> serde_json::Value {
    let mut input = resource.value.clone();
    input["paved"] = paved.clone();
    input
}

/// A rule that failed while evaluating, on how many inputs.
struct Failed {
    error: rego::EvalError,
    subject: String,
    cluster: String,
    inputs: usize,
}

/// Checks everything rendered. Fails (exit 2) when the policies cannot be
/// read or fail while evaluating: a policy that errors never passes.
pub fn evaluate(repo: &Repo, rendered: &Rendered, today: &str) -> Result<Report, Vec<Diagnostic>> {
    let setup = setup(repo)?;
    let files: Vec<&crate::load::TemplateFile> = repo
        .policies
        .iter()
        .filter(|file| !rego::is_test(file))
        .collect();
    let policies = rego::compile(&files, setup.data.as_ref(), &setup.settings)?;
    let missing = check_packages(repo, &policies);
    if !missing.is_empty() {
        return Err(missing);
    }
    let exceptions: Vec<(usize, &PolicyException)> = repo
        .exceptions
        .iter()
        .flat_map(|entry| entry.value.exceptions.iter().enumerate())
        .collect();
    let active: Vec<&(usize, &PolicyException)> = exceptions
        .iter()
        // An exception whose date is not a real date never waives anything
        // (intent validation refuses it too).
        .filter(|(_, e)| date_problem(&e.expires).is_none() && e.expires.as_str() >= today)
        .collect();

    let per_unit: Vec<UnitResult> = rendered
        .units
        .par_iter()
        .map_init(
            || policies.clone(),
            |policies, unit| check_unit(repo, unit, policies, &active, today),
        )
        .collect();

    let mut report = Report::default();
    let mut rego_rules = BTreeSet::new();
    let mut failures: Vec<Failed> = Vec::new();
    for result in per_unit {
        report.diagnostics.extend(result.diagnostics);
        report.waived += result.waived;
        rego_rules.extend(result.rules);
        failures.extend(result.failed);
    }
    if policies.has_scope(rego::Scope::Cluster) {
        let result = check_clusters(repo, rendered, &policies, &active, today);
        report.diagnostics.extend(result.diagnostics);
        report.waived += result.waived;
        rego_rules.extend(result.rules);
        failures.extend(result.failed);
    }
    if !failures.is_empty() {
        return Err(failure_diagnostics(failures));
    }
    report.resources = rendered.units.iter().map(|u| u.resources.len()).sum();
    rego_rules.extend(policies.rules().into_iter().map(|(id, _)| id));

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
    crate::validate::manifests::merge_common_causes(&mut report.diagnostics);

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
            &'a serde_json::Value,
        ),
    >,
) -> serde_json::Value {
    serde_json::Value::Array(
        parts
            .map(|(unit, resource, paved)| {
                json!({
                    "path": format!("{}/{}", crate::pipeline::RENDERED_DIR, unit.path),
                    "contents": resource_input(resource, paved),
                })
            })
            .collect(),
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
        let paved = paved_context(repo, unit, today);
        let fail = |error: rego::EvalError, subject: String| Failed {
            error,
            subject,
            cluster: unit.cluster.clone(),
            inputs: 1,
        };
        if policies.has_scope(rego::Scope::Resource) {
            for (index, resource) in unit.resources.iter().enumerate() {
                match policies.evaluate(&resource_input(resource, &paved), rego::Scope::Resource) {
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
            match policies.evaluate(&input, rego::Scope::Unit) {
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
    let mut clusters: BTreeMap<&str, Vec<&RenderedUnit>> = BTreeMap::new();
    for unit in &rendered.units {
        clusters
            .entry(unit.cluster.as_str())
            .or_default()
            .push(unit);
    }
    let results: Vec<UnitResult> = clusters
        .into_par_iter()
        .map_init(
            || policies.clone(),
            |policies, (cluster, units)| {
                let mut result = UnitResult::default();
                let contexts: Vec<serde_json::Value> = units
                    .iter()
                    .map(|u| paved_context(repo, u, today))
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
                let outcome = match policies.evaluate(&input, rego::Scope::Cluster) {
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
    match severity_in(environment, &finding.rule, default) {
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
        .unwrap_or_else(|| Location::file(crate::load::POLICIES_DIR));
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
        .field(crate::yaml::field_path(&finding.pointer))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_globs() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_784), "2026-11-27");
        assert!(glob("prod-*", "prod-eu-west-1"));
        assert!(glob("*-eu-*", "prod-eu-west-1"));
        assert!(!glob("dev-*", "prod-eu-west-1"));
        assert!(glob("checkout", "checkout"));
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(date_problem("2026-11-27"), None);
        assert_eq!(date_problem("2028-02-29"), None);
        assert_eq!(date_problem("2000-02-29"), None);
        assert_eq!(
            date_problem("2027-02-30").as_deref(),
            Some("February 2027 has 28 days")
        );
        assert_eq!(
            date_problem("2100-02-29").as_deref(),
            Some("February 2100 has 28 days")
        );
        assert_eq!(
            date_problem("2026-13-01").as_deref(),
            Some("there is no month 13")
        );
        assert_eq!(
            date_problem("2026-04-31").as_deref(),
            Some("April 2026 has 30 days")
        );
        assert!(date_problem("2026-00-10").is_some());
        assert!(date_problem("2026-01-00").is_some());
        assert!(date_problem("26-01-01").is_some());
        assert!(date_problem("2026-1-01").is_some());
    }
}
