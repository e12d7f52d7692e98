//! Scorecards: the level each service reaches under
//! `platform/scorecards.yaml`, and what it needs for the next. A service
//! reaches a level when every rule of that level and of every level below
//! passes; levels cannot be skipped.
//!
//! Each rule names a [`Fact`] about the service, read from the inventory,
//! the cost estimate and (for DORA bands) the metrics: see
//! `docs/insights.md` for every fact. A fact that does not apply (probes
//! of a CronJob, the lead time of a service that shipped no new release)
//! passes; one paved could not read (DORA bands without git history)
//! fails, saying why.
//!
//! Pure: facts come in, levels go out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cost;
use crate::input::model::{BandOrNumber, Fact, FactType, Scorecards};
use crate::inventory::{Inventory, ServiceFacts};
use crate::metrics::dora;
use crate::support::text::{columns, markdown_table};

/// What a fact is for one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum FactValue {
    Bool(bool),
    Number(f64),
    Band(String),
    /// The fact does not apply to this service: rules on it pass.
    NotApplicable,
    /// paved could not tell: rules on it fail.
    Unknown,
}

/// Everything the facts are read from.
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub cost: &'a cost::Report,
    /// DORA figures, or why there are none.
    pub dora: Result<&'a dora::Report, String>,
    /// The bands of `platform/dora.yaml`, best first.
    pub bands: Vec<String>,
    /// `YYYY-MM-DD`, to tell active exceptions from expired ones.
    pub today: String,
}

/// A fact's value for `service`, and the detail a person needs when a
/// rule on it fails.
pub fn fact(fact: Fact, service: &ServiceFacts, context: &Context<'_>) -> (FactValue, String) {
    let inventory = context.inventory;
    let production: Vec<&str> = inventory
        .environments
        .iter()
        .filter(|e| e.production)
        .map(|e| e.name.as_str())
        .collect();
    let in_production: Vec<&crate::inventory::DeploymentFacts> = service
        .deployments
        .iter()
        .filter(|d| production.contains(&d.environment.as_str()))
        .collect();
    fn long_running(d: &crate::inventory::DeploymentFacts) -> bool {
        !matches!(d.workload.as_deref(), Some("CronJob" | "Job") | None)
    }
    let yes = |value: bool, detail: String| (FactValue::Bool(value), detail);
    match fact {
        Fact::OwnerContact => {
            let team = inventory.team(&service.team);
            let contact = team.and_then(|t| t.contact.as_deref()).unwrap_or_default();
            let owners = team.map_or(0, |t| t.owners.len());
            yes(
                owners > 0 && !contact.trim().is_empty(),
                if contact.trim().is_empty() {
                    format!("`teams/{}/team.yaml` sets no `contact`", service.team)
                } else {
                    format!("contact {contact}")
                },
            )
        }
        Fact::Docs => {
            let path = crate::inventory::docs_path(&service.team, &service.name);
            match &service.docs {
                Some(_) => yes(true, format!("`{path}`")),
                None => yes(false, format!("there is no `{path}`")),
            }
        }
        Fact::NewestGoldenPath => {
            let newest = inventory
                .golden_paths
                .iter()
                .find(|p| p.name == service.golden_path)
                .map(|p| p.version.as_str())
                .unwrap_or_default();
            yes(
                service.golden_path_version == newest,
                format!(
                    "`{}` {}, newest {newest}",
                    service.golden_path, service.golden_path_version
                ),
            )
        }
        Fact::Probes => {
            let workloads: Vec<_> = service
                .deployments
                .iter()
                .filter(|d| long_running(d))
                .collect();
            if workloads.is_empty() {
                return (FactValue::NotApplicable, "no long-running workload".into());
            }
            let missing: Vec<String> = workloads
                .iter()
                .filter(|d| {
                    !(d.probes.iter().any(|p| p == "readiness")
                        && d.probes.iter().any(|p| p == "liveness"))
                })
                .map(|d| d.cluster.clone())
                .collect();
            yes(
                missing.is_empty(),
                if missing.is_empty() {
                    "readiness and liveness everywhere".into()
                } else {
                    format!("no readiness or liveness probe in {}", missing.join(", "))
                },
            )
        }
        Fact::ProdReplicas => {
            let counts: Vec<(u64, &str)> = in_production
                .iter()
                .filter(|d| long_running(d))
                .map(|d| {
                    (
                        d.min_replicas.or(d.replicas).unwrap_or(1),
                        d.cluster.as_str(),
                    )
                })
                .collect();
            match counts.iter().min() {
                Some((least, cluster)) => (
                    FactValue::Number(*least as f64),
                    format!("{least} in {cluster}"),
                ),
                None => (
                    FactValue::NotApplicable,
                    "no long-running workload in production".into(),
                ),
            }
        }
        Fact::ProdDisruptionBudget => {
            let workloads: Vec<_> = in_production.iter().filter(|d| long_running(d)).collect();
            if workloads.is_empty() {
                return (
                    FactValue::NotApplicable,
                    "no long-running workload in production".into(),
                );
            }
            let missing: Vec<String> = workloads
                .iter()
                .filter(|d| {
                    !d.resources
                        .iter()
                        .any(|r| r.starts_with("PodDisruptionBudget/"))
                })
                .map(|d| d.cluster.clone())
                .collect();
            yes(
                missing.is_empty(),
                if missing.is_empty() {
                    "in every production cluster".into()
                } else {
                    format!("none in {}", missing.join(", "))
                },
            )
        }
        Fact::ProdDigest => {
            if in_production.is_empty() {
                return (FactValue::NotApplicable, "not in production".into());
            }
            let tagged: Vec<String> = in_production
                .iter()
                .filter(|d| d.digest.is_none())
                .map(|d| format!("{} runs `{}`", d.cluster, d.image.as_deref().unwrap_or("?")))
                .collect();
            yes(
                tagged.is_empty(),
                if tagged.is_empty() {
                    "pinned everywhere in production".into()
                } else {
                    tagged.join(", ")
                },
            )
        }
        Fact::NoActiveExceptions | Fact::NoExpiredExceptions => {
            let expired = fact == Fact::NoExpiredExceptions;
            let found: Vec<String> = service
                .exceptions
                .iter()
                .filter(|e| (e.expires.as_str() < context.today.as_str()) == expired)
                .map(|e| format!("`{}` until {}", e.rule, e.expires))
                .collect();
            yes(
                found.is_empty(),
                if found.is_empty() {
                    "none".into()
                } else {
                    format!("policies/exceptions.yaml: {}", found.join(", "))
                },
            )
        }
        Fact::DependenciesDeclared => yes(
            service.declares_dependencies,
            if service.declares_dependencies {
                format!("calls {}", service.depends_on.len())
            } else {
                format!("`{}` has no `dependsOn`", service.file)
            },
        ),
        Fact::Patches => (
            FactValue::Number(service.patches.len() as f64),
            service
                .patches
                .iter()
                .map(|p| p.target.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Fact::WithinBudget => {
            let team = context.cost.teams.iter().find(|t| t.name == service.team);
            match team.and_then(|t| t.budget.map(|b| (t, b))) {
                None => yes(
                    false,
                    format!("team `{}` has no `monthlyBudget`", service.team),
                ),
                Some((team, budget)) => yes(
                    !team.over_budget,
                    format!(
                        "team `{}` at {} of {}",
                        team.name,
                        cost::money(team.monthly.min, &context.cost.currency),
                        cost::money(budget, &context.cost.currency)
                    ),
                ),
            }
        }
        Fact::DeploymentFrequency
        | Fact::LeadTime
        | Fact::ChangeFailureRate
        | Fact::TimeToRestore => {
            let report = match &context.dora {
                Ok(report) => report,
                Err(why) => return (FactValue::Unknown, why.clone()),
            };
            let Some(figures) = report
                .services
                .iter()
                .find(|s| s.service == service.name)
                .map(|s| &s.figures)
            else {
                return (FactValue::NotApplicable, "no deployments to measure".into());
            };
            let band = match fact {
                Fact::DeploymentFrequency => Some(figures.deployment_frequency.band.clone()),
                Fact::LeadTime => figures.lead_time.band.clone(),
                Fact::ChangeFailureRate => figures.change_failure_rate.band.clone(),
                _ => figures.time_to_restore.band.clone(),
            };
            match band {
                Some(band) => (FactValue::Band(band.clone()), band),
                None => (
                    FactValue::NotApplicable,
                    "nothing to measure in the window".into(),
                ),
            }
        }
    }
}

/// One rule, judged for one service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judged {
    pub level: String,
    pub fact: String,
    /// What the rule asks, in words.
    pub asks: String,
    pub value: FactValue,
    pub detail: String,
    pub passed: bool,
}

/// One service's scorecard.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceScore {
    pub service: String,
    pub team: String,
    /// The highest level reached, if any.
    pub level: Option<String>,
    /// The level above it, if any.
    pub next: Option<String>,
    /// What fails at the next level.
    pub needs: Vec<Judged>,
    pub rules: Vec<Judged>,
}

/// Every service's scorecard.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Levels, lowest first.
    pub levels: Vec<String>,
    /// How many services reached each level (`none` for no level).
    pub summary: BTreeMap<String, usize>,
    pub services: Vec<ServiceScore>,
}

/// What a rule asks, in words.
fn asks(rule: &crate::input::model::ScorecardRule, fact: Fact) -> String {
    if let Some(description) = &rule.description {
        return description.clone();
    }
    let mut text = fact.describe().to_owned();
    match (&rule.at_least, rule.at_most) {
        (Some(BandOrNumber::Number(n)), Some(m)) => {
            text.push_str(&format!(": between {n} and {m}"))
        }
        (Some(BandOrNumber::Number(n)), None) => text.push_str(&format!(": at least {n}")),
        (Some(BandOrNumber::Band(b)), _) => text.push_str(&format!(": `{b}` or better")),
        (None, Some(m)) => text.push_str(&format!(": at most {m}")),
        (None, None) => {}
    }
    text
}

fn passes(rule: &crate::input::model::ScorecardRule, value: &FactValue, bands: &[String]) -> bool {
    let rank = |band: &str| bands.iter().position(|b| b == band);
    match value {
        FactValue::NotApplicable => true,
        FactValue::Unknown => false,
        FactValue::Bool(value) => *value,
        FactValue::Number(value) => {
            let least = match &rule.at_least {
                Some(BandOrNumber::Number(n)) => *value >= *n,
                _ => true,
            };
            least && rule.at_most.is_none_or(|most| *value <= most)
        }
        FactValue::Band(band) => match &rule.at_least {
            Some(BandOrNumber::Band(least)) => match (rank(band), rank(least)) {
                (Some(have), Some(need)) => have <= need,
                _ => false,
            },
            _ => false,
        },
    }
}

/// Scores every service of the inventory.
pub fn score(scorecards: &Scorecards, context: &Context<'_>) -> Report {
    let levels: Vec<String> = scorecards.levels.iter().map(|l| l.name.clone()).collect();
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    let services = context
        .inventory
        .services
        .iter()
        .map(|service| {
            let mut rules = Vec::new();
            let mut reached: Option<usize> = None;
            let mut blocked = false;
            for (index, level) in scorecards.levels.iter().enumerate() {
                let mut all = true;
                for rule in &level.rules {
                    // Rules naming unknown facts are refused when the file loads.
                    let Some(which) = Fact::from_name(&rule.fact) else {
                        continue;
                    };
                    let (value, detail) = fact(which, service, context);
                    let passed = passes(rule, &value, &context.bands);
                    all &= passed;
                    rules.push(Judged {
                        level: level.name.clone(),
                        fact: rule.fact.clone(),
                        asks: asks(rule, which),
                        value,
                        detail,
                        passed,
                    });
                }
                if all && !blocked {
                    reached = Some(index);
                } else {
                    blocked = true;
                }
            }
            let next = match reached {
                Some(index) => levels.get(index + 1).cloned(),
                None => levels.first().cloned(),
            };
            let needs = rules
                .iter()
                .filter(|r| !r.passed && next.as_ref() == Some(&r.level))
                .cloned()
                .collect();
            let level = reached.map(|index| levels[index].clone());
            *summary
                .entry(level.clone().unwrap_or_else(|| "none".into()))
                .or_insert(0) += 1;
            ServiceScore {
                service: service.name.clone(),
                team: service.team.clone(),
                level,
                next,
                needs,
                rules,
            }
        })
        .collect();
    Report {
        levels,
        summary,
        services,
    }
}

fn summary_line(report: &Report) -> String {
    let mut parts: Vec<String> = report
        .levels
        .iter()
        .rev()
        .chain(std::iter::once(&"none".to_owned()))
        .filter_map(|level| report.summary.get(level).map(|n| format!("{n} {level}")))
        .collect();
    if parts.is_empty() {
        parts.push("no services".into());
    }
    format!("Scorecards: {}", parts.join(", "))
}

/// The report for a terminal.
pub fn to_text(report: &Report) -> String {
    let mut out = format!("{}\n\n", summary_line(report));
    let mut rows = vec![
        ["service", "team", "level", "next", "needs"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for service in &report.services {
        rows.push(vec![
            service.service.clone(),
            service.team.clone(),
            service.level.clone().unwrap_or_else(|| "-".into()),
            service.next.clone().unwrap_or_else(|| "-".into()),
            service
                .needs
                .iter()
                .map(|n| n.fact.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    out.push_str(&columns(&rows));
    for service in &report.services {
        let (Some(next), false) = (&service.next, service.needs.is_empty()) else {
            continue;
        };
        out.push_str(&format!("\n{} needs for {next}:\n", service.service));
        for need in &service.needs {
            out.push_str(&format!(
                "  - {}: {} ({})\n",
                need.fact, need.asks, need.detail
            ));
        }
    }
    out
}

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let mut out = format!("## {}\n\n", summary_line(report));
    let mut rows = vec![
        ["service", "team", "level", "needs for the next"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for service in &report.services {
        let needs = match &service.next {
            Some(next) if !service.needs.is_empty() => format!(
                "{next}: {}",
                service
                    .needs
                    .iter()
                    .map(|n| format!("{} ({})", n.asks, n.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            _ => String::new(),
        };
        rows.push(vec![
            format!("`{}`", service.service),
            service.team.clone(),
            service.level.clone().unwrap_or_else(|| "-".into()),
            needs,
        ]);
    }
    out.push_str(&markdown_table(&rows));
    out
}

/// Whether `fact` needs the git history.
pub fn needs_history(scorecards: &Scorecards) -> bool {
    scorecards
        .levels
        .iter()
        .flat_map(|l| &l.rules)
        .filter_map(|r| Fact::from_name(&r.fact))
        .any(|f| f.kind() == FactType::Band)
}
