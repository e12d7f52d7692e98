//! Stage 8, policy: every rendered resource against the built-in baseline
//! (`baseline`) and the platform's Rego policies (`rego`), with the
//! severity each environment sets, minus the exceptions in
//! `policies/exceptions.yaml` that have not expired. Pure: the date is an
//! input.

pub mod baseline;
pub mod rego;
pub mod sarif;

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde_json::json;

use crate::diagnostic::{self, Diagnostic, Location, Severity};
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
fn glob(pattern: &str, text: &str) -> bool {
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
fn severity_in(
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

/// Checks everything rendered. Fails only when the policies themselves
/// cannot be read (Rego syntax errors).
pub fn evaluate(repo: &Repo, rendered: &Rendered, today: &str) -> Result<Report, Vec<Diagnostic>> {
    let policies = rego::compile(repo.policies.iter().filter(|file| !rego::is_test(file)))?;
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

    let per_unit: Vec<(Vec<Diagnostic>, usize, BTreeSet<String>)> = rendered
        .units
        .par_iter()
        .map_init(
            || policies.clone(),
            |policies, unit| check_unit(repo, unit, policies, &active),
        )
        .collect();

    let mut report = Report::default();
    let mut rego_rules = BTreeSet::new();
    for (diagnostics, waived, rules) in per_unit {
        report.diagnostics.extend(diagnostics);
        report.waived += waived;
        rego_rules.extend(rules);
    }
    report.resources = rendered.units.iter().map(|u| u.resources.len()).sum();

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

/// Checks one unit: built-in rules and Rego policies, then severities and
/// exceptions. Returns the diagnostics, how many findings were waived, and
/// the Rego rules that fired.
fn check_unit(
    repo: &Repo,
    unit: &RenderedUnit,
    policies: &mut rego::Policies,
    exceptions: &[&(usize, &PolicyException)],
) -> (Vec<Diagnostic>, usize, BTreeSet<String>) {
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
    let mut diagnostics = Vec::new();
    let mut rego_rules = BTreeSet::new();
    if !policies.is_empty() {
        let (team, service) = match &unit.kind {
            UnitKind::Service { service, team, .. } => {
                (Some(team.as_str()), Some(service.as_str()))
            }
            _ => (None, None),
        };
        for (index, resource) in unit.resources.iter().enumerate() {
            let mut input = resource.value.clone();
            // Absent rather than null where a unit has no team or service:
            // in Rego, null is a value and would count as set.
            let mut paved = json!({
                "cluster": unit.cluster,
                "environment": environment_of(unit),
                "production": environment.is_some_and(|e| e.production),
            });
            if let (Some(team), Some(service)) = (team, service) {
                paved["team"] = json!(team);
                paved["service"] = json!(service);
            }
            input["paved"] = paved;
            match policies.evaluate(&input) {
                Ok(messages) => {
                    for message in messages {
                        rego_rules.insert(message.rule.clone());
                        findings.push(Finding {
                            rule: message.rule,
                            resource: index,
                            pointer: String::new(),
                            message: message.text,
                            severity: Some(message.severity),
                        });
                    }
                }
                Err(error) => diagnostics.push(
                    Diagnostic::error(format!(
                        "a Rego policy failed on {}: {error}",
                        describe(resource)
                    ))
                    .in_file(crate::load::POLICIES_DIR)
                    .cluster(&unit.cluster),
                ),
            }
        }
    }
    let mut waived = 0;
    for finding in findings {
        let default = finding
            .severity
            .or_else(|| baseline::rule(&finding.rule).map(|r| r.severity))
            .unwrap_or(RuleSeverity::Error);
        let severity = match severity_in(environment, &finding.rule, default) {
            RuleSeverity::Off => continue,
            RuleSeverity::Error => Severity::Error,
            RuleSeverity::Warning => Severity::Warning,
        };
        let resource = &unit.resources[finding.resource];
        let waiver = exceptions.iter().find(|(_, e)| {
            e.rule == finding.rule
                && covers(&e.clusters, &unit.cluster)
                && covers(&e.namespaces, resource.namespace().unwrap_or_default())
                && covers(&e.names, resource.name())
        });
        if waiver.is_some() {
            waived += 1;
            continue;
        }
        let location = if finding.pointer.is_empty() {
            subject_location(repo, unit, resource)
        } else {
            source_of(repo, unit, resource, &finding.pointer, true)
        };
        let mut diagnostic = Diagnostic::error(finding.message)
            .at(location)
            .field(crate::yaml::field_path(&finding.pointer))
            .subject(describe(resource))
            .cluster(&unit.cluster)
            .code(&finding.rule);
        diagnostic.severity = severity;
        if let Some(rule) = baseline::rule(&finding.rule) {
            diagnostic = diagnostic.help(rule.help);
        }
        diagnostics.push(diagnostic);
    }
    (diagnostics, waived, rego_rules)
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
