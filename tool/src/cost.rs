//! What the organisation costs a month, estimated from what its pods
//! request: CPU cores and memory, times replicas (the least and the most
//! under autoscaling), at the rates of `platform.yaml` `cost`. Per unit (a
//! service in a cluster), then per service, team, environment and cluster,
//! with each team's budget; and the change a pull request makes (for
//! `paved diff`). See `docs/insights.md` for the derivation and what it
//! leaves out.
//!
//! Pure: the inventory comes in, figures go out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::check::apiserver::nanos;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::model::CostRates;
use crate::input::repo::Repo;
use crate::inventory::{ContainerFacts, DeploymentFacts, Inventory};
use crate::support::text::{columns, markdown_table};

const GIB: f64 = 1_073_741_824.0;

/// A monthly amount, at the least and at the most replicas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    fn add(&mut self, other: Range) {
        self.min += other.min;
        self.max += other.max;
    }

    fn rounded(self) -> Range {
        Range {
            min: cents(self.min),
            max: cents(self.max),
        }
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One service in one cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitCost {
    pub service: String,
    pub team: String,
    pub environment: String,
    pub cluster: String,
    /// What one pod requests: CPU cores and GiB of memory.
    pub cpu_cores: f64,
    pub memory_gib: f64,
    /// Pods at the least and the most (a CronJob: none between runs, one
    /// while it runs).
    pub replicas_min: u64,
    pub replicas_max: u64,
    pub monthly: Range,
}

/// A total, by name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Total {
    pub name: String,
    pub monthly: Range,
}

/// A team's total and its budget.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamCost {
    pub name: String,
    pub monthly: Range,
    pub budget: Option<f64>,
    /// The estimate at the least replicas is above the budget.
    pub over_budget: bool,
    /// Only the estimate at the most replicas is above it.
    pub may_exceed_budget: bool,
}

/// Everything `paved cost` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub currency: String,
    pub cpu_core_month: f64,
    pub memory_gib_month: f64,
    /// Where the rates come from.
    pub rates_source: String,
    pub total: Range,
    pub teams: Vec<TeamCost>,
    pub services: Vec<Total>,
    pub environments: Vec<Total>,
    pub clusters: Vec<Total>,
    pub units: Vec<UnitCost>,
}

/// What one pod of a deployment requests, in cores and GiB: the sum over
/// its containers, or the largest init container if that is more (init
/// containers run before the others, one at a time).
pub fn pod_requests(containers: &[ContainerFacts]) -> (f64, f64) {
    let amount = |container: &ContainerFacts, resource: &str| -> f64 {
        container
            .requests
            .get(resource)
            .and_then(|q| nanos(q))
            .map_or(0.0, |n| n as f64 / 1e9)
    };
    let total = |resource: &str| {
        let running: f64 = containers
            .iter()
            .filter(|c| !c.init)
            .map(|c| amount(c, resource))
            .sum();
        let init = containers
            .iter()
            .filter(|c| c.init)
            .map(|c| amount(c, resource))
            .fold(0.0, f64::max);
        running.max(init)
    };
    (total("cpu"), total("memory") / GIB)
}

/// The least and most pods a deployment runs.
fn replicas(deployment: &DeploymentFacts) -> (u64, u64) {
    match (
        deployment.workload.as_deref(),
        deployment.min_replicas,
        deployment.max_replicas,
    ) {
        (Some("CronJob" | "Job"), ..) => (0, 1),
        (_, Some(min), Some(max)) => (min, max),
        _ => {
            let fixed = deployment.replicas.unwrap_or(1);
            (fixed, fixed)
        }
    }
}

impl UnitCost {
    /// The unit's monthly range before rounding to cents (`monthly` is
    /// rounded; sums of many units add from these).
    fn exact(&self, report: &Report) -> Range {
        let per_pod =
            self.cpu_cores * report.cpu_core_month + self.memory_gib * report.memory_gib_month;
        Range {
            min: per_pod * self.replicas_min as f64,
            max: per_pod * self.replicas_max as f64,
        }
    }
}

/// The estimate for every unit of `inventory` at `rates`.
pub fn estimate(inventory: &Inventory, rates: &CostRates) -> Report {
    let mut units = Vec::new();
    for service in &inventory.services {
        for deployment in &service.deployments {
            if deployment.workload.is_none() {
                continue;
            }
            let (cpu, memory) = pod_requests(&deployment.containers);
            let (low, high) = replicas(deployment);
            let per_pod = cpu * rates.cpu_core_month + memory * rates.memory_gib_month;
            units.push(UnitCost {
                service: service.name.clone(),
                team: service.team.clone(),
                environment: deployment.environment.clone(),
                cluster: deployment.cluster.clone(),
                cpu_cores: cpu,
                memory_gib: memory,
                replicas_min: low,
                replicas_max: high,
                monthly: Range {
                    min: per_pod * low as f64,
                    max: per_pod * high as f64,
                },
            });
        }
    }
    let by = |key: &dyn Fn(&UnitCost) -> &str| -> Vec<Total> {
        let mut totals: BTreeMap<&str, Range> = BTreeMap::new();
        for unit in &units {
            totals.entry(key(unit)).or_default().add(unit.monthly);
        }
        totals
            .into_iter()
            .map(|(name, monthly)| Total {
                name: name.to_owned(),
                monthly: monthly.rounded(),
            })
            .collect()
    };
    let services = by(&|u| &u.service);
    let environments = by(&|u| &u.environment);
    let clusters = by(&|u| &u.cluster);
    let team_totals = by(&|u| &u.team);
    let teams = inventory
        .teams
        .iter()
        .map(|team| {
            let monthly = team_totals
                .iter()
                .find(|t| t.name == team.name)
                .map(|t| t.monthly)
                .unwrap_or_default();
            let budget = team.monthly_budget;
            TeamCost {
                name: team.name.clone(),
                monthly,
                budget,
                over_budget: budget.is_some_and(|b| monthly.min > b),
                may_exceed_budget: budget.is_some_and(|b| monthly.min <= b && monthly.max > b),
            }
        })
        .collect();
    let mut total = Range::default();
    for unit in &units {
        total.add(unit.monthly);
    }
    Report {
        currency: rates.currency.clone(),
        cpu_core_month: rates.cpu_core_month,
        memory_gib_month: rates.memory_gib_month,
        rates_source: rates
            .source
            .clone()
            .unwrap_or_else(|| "`platform/platform.yaml` `cost`".to_owned()),
        total: total.rounded(),
        teams,
        services,
        environments,
        clusters,
        units: units
            .into_iter()
            .map(|u| UnitCost {
                monthly: u.monthly.rounded(),
                ..u
            })
            .collect(),
    }
}

/// A warning for each team whose estimate is above its budget, at the
/// budget's line in `team.yaml`.
pub fn budget_warnings(report: &Report, repo: &Repo) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for team in &report.teams {
        let Some(budget) = team.budget else { continue };
        if !team.over_budget && !team.may_exceed_budget {
            continue;
        }
        let Some(entry) = repo.team(&team.name) else {
            continue;
        };
        let file = &entry.file;
        let location = match file.doc.span_for("/monthlyBudget", false) {
            Some(span) => Location::at(&file.path, span),
            None => Location::file(&file.path),
        };
        let currency = &report.currency;
        let diagnostic = if team.over_budget {
            Diagnostic::warning(format!(
                "team `{}` is estimated at {} a month, over its budget of {}",
                team.name,
                money(team.monthly.min, currency),
                money(budget, currency)
            ))
            .help("lower replicas or requests (`size`, `resources`) of its services, or agree a larger budget")
        } else {
            Diagnostic::warning(format!(
                "team `{}` may cost up to {} a month at the most replicas autoscaling allows, over its budget of {}",
                team.name,
                money(team.monthly.max, currency),
                money(budget, currency)
            ))
            .help("lower `autoscaling.maxReplicas`, or agree a larger budget")
        };
        out.push(diagnostic.at(location).field("monthlyBudget"));
    }
    out
}

/// An amount for people: `EUR 1,234.50`.
pub fn money(amount: f64, currency: &str) -> String {
    let cents = (amount.abs() * 100.0).round() as u64;
    let whole =
        crate::support::text::human_count(usize::try_from(cents / 100).unwrap_or(usize::MAX));
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{currency} {whole}.{:02}", cents % 100)
}

fn range(range: Range, currency: &str) -> String {
    if (range.min - range.max).abs() < 0.005 {
        money(range.min, currency)
    } else {
        format!(
            "{} – {}",
            money(range.min, currency),
            money(range.max, currency)
        )
    }
}

/// The report for a terminal.
pub fn to_text(report: &Report) -> String {
    let currency = &report.currency;
    let mut out = format!(
        "Monthly cost estimate: {} (at {} per CPU core and {} per GiB of memory requested, from {})\n",
        range(report.total, currency),
        money(report.cpu_core_month, currency),
        money(report.memory_gib_month, currency),
        report.rates_source
    );
    let section = |title: &str, totals: &[Total], out: &mut String| {
        let mut rows = vec![vec![
            title.to_owned(),
            "least".to_owned(),
            "most".to_owned(),
        ]];
        for total in totals {
            rows.push(vec![
                total.name.clone(),
                money(total.monthly.min, currency),
                money(total.monthly.max, currency),
            ]);
        }
        out.push('\n');
        out.push_str(&columns(&rows));
    };
    let mut rows = vec![
        ["team", "least", "most", "budget", ""]
            .map(str::to_owned)
            .to_vec(),
    ];
    for team in &report.teams {
        rows.push(vec![
            team.name.clone(),
            money(team.monthly.min, currency),
            money(team.monthly.max, currency),
            team.budget.map_or("-".into(), |b| money(b, currency)),
            if team.over_budget {
                "over budget".into()
            } else if team.may_exceed_budget {
                "may exceed at peak".into()
            } else {
                String::new()
            },
        ]);
    }
    out.push('\n');
    out.push_str(&columns(&rows));
    section("environment", &report.environments, &mut out);
    section("cluster", &report.clusters, &mut out);
    section("service", &report.services, &mut out);
    out
}

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let currency = &report.currency;
    let mut out = format!(
        "## Monthly cost estimate: {}\n\nAt {} per CPU core and {} per GiB of memory requested, from {}.\n",
        range(report.total, currency),
        money(report.cpu_core_month, currency),
        money(report.memory_gib_month, currency),
        report.rates_source
    );
    let mut rows = vec![
        ["team", "least", "most", "budget"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for team in &report.teams {
        let mut budget = team.budget.map_or("-".into(), |b| money(b, currency));
        if team.over_budget {
            budget.push_str(" (over)");
        } else if team.may_exceed_budget {
            budget.push_str(" (may exceed at peak)");
        }
        rows.push(vec![
            format!("`{}`", team.name),
            money(team.monthly.min, currency),
            money(team.monthly.max, currency),
            budget,
        ]);
    }
    out.push('\n');
    out.push_str(&markdown_table(&rows));
    for (title, totals) in [
        ("environment", &report.environments),
        ("cluster", &report.clusters),
        ("service", &report.services),
    ] {
        let mut rows = vec![vec![
            title.to_owned(),
            "least".to_owned(),
            "most".to_owned(),
        ]];
        for total in totals {
            rows.push(vec![
                format!("`{}`", total.name),
                money(total.monthly.min, currency),
                money(total.monthly.max, currency),
            ]);
        }
        out.push('\n');
        out.push_str(&markdown_table(&rows));
    }
    out
}

// ------------------------------------------------------------ pull requests

/// The monthly cost a change makes, by environment and team.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub currency: String,
    /// Only the (environment, team) pairs whose estimate changes.
    pub rows: Vec<ChangeRow>,
    pub before: Range,
    pub after: Range,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRow {
    pub environment: String,
    pub team: String,
    pub before: Range,
    pub after: Range,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// What changes between two estimates (each over the units it covers; a
/// diff estimates only the units whose inputs changed, on both sides).
pub fn change(before: &Report, after: &Report) -> Change {
    let mut pairs: BTreeMap<(String, String), (Range, Range)> = BTreeMap::new();
    for unit in &before.units {
        pairs
            .entry((unit.environment.clone(), unit.team.clone()))
            .or_default()
            .0
            .add(unit.exact(before));
    }
    for unit in &after.units {
        pairs
            .entry((unit.environment.clone(), unit.team.clone()))
            .or_default()
            .1
            .add(unit.exact(after));
    }
    let mut out = Change {
        currency: after.currency.clone(),
        ..Change::default()
    };
    for ((environment, team), (old, new)) in pairs {
        let (old, new) = (old.rounded(), new.rounded());
        if (old.min - new.min).abs() < 0.005 && (old.max - new.max).abs() < 0.005 {
            continue;
        }
        out.before.add(old);
        out.after.add(new);
        out.rows.push(ChangeRow {
            environment,
            team,
            before: old,
            after: new,
        });
    }
    out.before = out.before.rounded();
    out.after = out.after.rounded();
    out
}

fn signed(amount: f64, currency: &str) -> String {
    if amount > 0.004 {
        format!("+{}", money(amount, currency))
    } else {
        money(amount, currency)
    }
}

fn delta(before: Range, after: Range, currency: &str) -> String {
    let (low, high) = (after.min - before.min, after.max - before.max);
    if (low - high).abs() < 0.005 {
        signed(low, currency)
    } else {
        format!("{} – {}", signed(low, currency), signed(high, currency))
    }
}

/// The cost change between two rendered trees (each possibly only the
/// units whose inputs changed), each side at its own rates, from what
/// each side's units run (`inventory::deployed` of every part of it).
pub fn change_of(base: Option<(&Repo, Deployed)>, head: (&Repo, Deployed)) -> Change {
    let (repo, deployed) = head;
    let after = estimate(
        &crate::inventory::assemble(repo, deployed, true),
        &repo.platform.value.cost,
    );
    let before = match base {
        Some((repo, deployed)) => estimate(
            &crate::inventory::assemble(repo, deployed, true),
            &repo.platform.value.cost,
        ),
        None => Report {
            units: Vec::new(),
            ..after.clone()
        },
    };
    change(&before, &after)
}

/// What each unit of a render runs, by service (`inventory::deployed`).
type Deployed = Vec<(String, crate::inventory::DeploymentFacts)>;

/// The PR comment's cost section: empty when nothing changes.
pub fn change_markdown(change: &Change) -> String {
    if change.is_empty() {
        return String::new();
    }
    let currency = &change.currency;
    let mut out = format!(
        "\n### Monthly cost: {}\n\nEstimated from requested CPU and memory times replicas (least – most under autoscaling); see `paved cost`.\n\n",
        delta(change.before, change.after, currency)
    );
    let mut rows = vec![
        ["environment", "team", "before", "after", "change"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for row in &change.rows {
        rows.push(vec![
            row.environment.clone(),
            format!("`{}`", row.team),
            range(row.before, currency),
            range(row.after, currency),
            delta(row.before, row.after, currency),
        ]);
    }
    out.push_str(&markdown_table(&rows));
    out
}

/// The change as lines for a terminal: empty when nothing changes.
pub fn change_text(change: &Change) -> String {
    if change.is_empty() {
        return String::new();
    }
    let currency = &change.currency;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nMonthly cost: {}",
        delta(change.before, change.after, currency)
    );
    let mut rows = Vec::new();
    for row in &change.rows {
        rows.push(vec![
            format!("  {}", row.environment),
            row.team.clone(),
            range(row.before, currency),
            "->".to_owned(),
            range(row.after, currency),
        ]);
    }
    out.push_str(&columns(&rows));
    out
}
