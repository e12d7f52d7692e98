//! What a service needs besides its workload, resolved for one
//! environment: the managed resources it uses (class, size, options, the
//! composition that provides them there) and what watches it (the metrics
//! port, its SLOs with their burn-rate thresholds, its dashboard).
//!
//! Typed and serialisable, so that templates and anything that lists a
//! service (`paved show`, the portal) read the same facts. The arithmetic
//! of burn rates is exact: an objective of 99.9% has an error budget of
//! 0.001, and the fast-burn page fires above 14.4 × 0.001 = 0.0144, printed
//! as written here, never as a float's approximation. Pure: no I/O.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::input::model::SloName;

/// Everything this module resolves for one service in one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Infra {
    /// The managed resources the service uses, by name.
    pub uses: Vec<UsedResource>,
    /// Where Prometheus scrapes it, when its golden path monitors one.
    pub metrics: Option<MetricsEndpoint>,
    /// Its objectives and their alerts.
    pub slo: Slos,
    /// Its Grafana dashboard.
    pub dashboard: Dashboard,
}

/// How a service comes by a managed resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum UseMode {
    /// The service claims it: paved renders a Crossplane claim.
    Claim,
    /// Another service of the team claims it; this one reads its
    /// connection secret.
    Shared,
    /// Provisioned outside the platform: its credentials come from the
    /// secret store.
    External,
}

/// One `uses` entry, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsedResource {
    /// Its name under `uses` (`ledger-db`).
    pub name: String,
    /// The resource class (`postgres`), when there is one.
    pub class: Option<String>,
    pub mode: UseMode,
    /// The size claimed (the class's default when the intent names none).
    pub size: Option<String>,
    /// The options set, as the claim passes them.
    pub options: Map<String, Value>,
    /// The Composition that provides it in this environment.
    pub composition: Option<String>,
    /// The service that claims it, when shared.
    pub from: Option<String>,
    /// The secret-store key of an external resource.
    pub secret_key: Option<String>,
    /// The Secret in the team's namespace the workload reads.
    pub secret_name: String,
    /// Prefix of its environment variables (`LEDGER_DB_`).
    pub env_prefix: String,
    /// Each connection key and the variable it becomes; empty for an
    /// external resource, whose properties all become variables.
    pub env: Vec<EnvKey>,
    /// The claim to render, when the service claims it.
    pub claim: Option<Claim>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EnvKey {
    /// The environment variable (`LEDGER_DB_HOST`).
    pub name: String,
    /// The connection secret's key it reads (`host`).
    pub key: String,
}

/// A Crossplane claim.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// The claim's API group and version, from the resource class.
    pub api_version: String,
    /// The claim's kind, from the resource class.
    pub kind: String,
    /// The claim's name.
    pub name: String,
    /// `spec.parameters`: the size and the options set.
    pub parameters: Map<String, Value>,
}

/// Where metrics are scraped.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsEndpoint {
    /// The port's name.
    pub port: String,
    /// The port's number.
    pub number: u16,
    /// The HTTP path metrics are served on (`/metrics`).
    pub path: String,
    /// PromQL label matchers that select the service's own series
    /// (`namespace="payments", job="ledger"`): the monitors set `job` to
    /// the service's name.
    pub selector: String,
}

/// The objectives of one service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Slos {
    /// The compliance window.
    pub window: String,
    /// The windows error ratios are recorded over, shortest first.
    pub windows: Vec<String>,
    /// Each objective the service states (or its golden path defaults).
    pub objectives: Vec<Objective>,
    /// `severity` of the alerts that page: `critical` in production,
    /// `warning` elsewhere (nobody is woken for dev).
    pub page_severity: String,
}

/// One objective.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Objective {
    pub name: SloName,
    /// What it promises, in words.
    pub description: String,
    /// The objective in percent (`99.9`), for ratio objectives.
    pub percent: Option<String>,
    /// The objective as a ratio (`0.999`).
    pub target: Option<String>,
    /// The error budget as a ratio (`0.001`).
    pub budget: Option<String>,
    /// Latency: the threshold as written (`300ms`), in seconds (`0.3`),
    /// and the histogram bucket matcher (`le="0.3"`).
    pub threshold: Option<String>,
    /// Latency: the threshold in seconds.
    pub threshold_seconds: Option<String>,
    /// Latency: the histogram bucket matcher.
    pub le: Option<String>,
    /// Freshness: the longest time since the last successful run, as
    /// written (or derived) and in seconds.
    pub freshness: Option<String>,
    /// Freshness: the same, in seconds.
    pub freshness_seconds: Option<u64>,
    /// The multi-window, multi-burn-rate alerts of a ratio objective.
    pub alerts: Vec<BurnAlert>,
}

/// One alert: fires when any of its conditions holds.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BurnAlert {
    /// `page` or `ticket`, as the SRE workbook calls them.
    pub kind: String,
    /// The alert's `severity` label.
    pub severity: String,
    /// The window pairs, any of which fires the alert.
    pub conditions: Vec<BurnCondition>,
    /// The PromQL expression over the recorded error ratios.
    pub expr: String,
}

/// Both windows burn the budget faster than `factor`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BurnCondition {
    /// The long window (`1h`).
    pub long: String,
    /// The short window (`5m`), which makes the alert reset quickly.
    pub short: String,
    /// The burn rate (`14.4`).
    pub factor: String,
    /// `factor` × the error budget.
    pub threshold: String,
}

/// A service's dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// Grafana's `uid`: the service's name, unique in the organisation.
    pub uid: String,
    /// Its title (`payments / ledger`).
    pub title: String,
    /// The ConfigMap the Grafana sidecar loads it from.
    pub config_map: String,
    /// Its path in Grafana.
    pub path: String,
}

/// The SLO compliance window: burn rates are defined against it.
pub const WINDOW: &str = "30d";

/// The windows error ratios are recorded over.
pub const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// The SRE workbook's alerts for a 30-day window (as Sloth and Pyrra
/// generate them): kind, long window, short window, burn factor in tenths.
/// 14.4 burns 2% of the budget in an hour, 6 burns 5% in six hours (both
/// page); 3 burns 10% in a day, 1 the whole budget in the window (both
/// tickets).
pub const BURN_RATES: [(&str, &str, &str, u32); 4] = [
    ("page", "1h", "5m", 144),
    ("page", "6h", "30m", 60),
    ("ticket", "1d", "2h", 30),
    ("ticket", "3d", "6h", 10),
];

/// Decimal places an objective may have in percent (`99.995`).
pub const OBJECTIVE_DECIMALS: u32 = 3;

/// An objective in percent as an exact error budget, in units of 10⁻⁹ of
/// a ratio: `99.9` is 1,000,000 (0.001). `None` when it has more than
/// three decimals or leaves no budget.
pub fn budget_nanos(percent: f64) -> Option<u64> {
    if !(0.0..100.0).contains(&percent) {
        return None;
    }
    // Percent in thousandths, exactly: 99.9 is 99,900.
    let thousandths = (percent * 1000.0).round();
    if (percent * 1000.0 - thousandths).abs() > 1e-6 {
        return None;
    }
    let budget = 100_000 - thousandths as u64;
    // A thousandth of a percent is 10⁻⁵ of a ratio: 10,000 nanos.
    (budget > 0).then_some(budget * 10_000)
}

/// `value` × 10^-`scale` as a decimal with no trailing zeros.
pub fn decimal(value: u128, scale: u32) -> String {
    let unit = 10u128.pow(scale);
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:0width$}", width = scale as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The objective percent as written back (`99.9`).
pub fn percent_text(percent: f64) -> String {
    let thousandths = (percent * 1000.0).round() as u128;
    decimal(thousandths, 3)
}

/// The burn-rate alerts of a ratio objective with the given error budget.
/// `selector` picks the objective's recorded ratios.
pub fn burn_alerts(budget: u64, selector: &str, page_severity: &str) -> Vec<BurnAlert> {
    let mut alerts: Vec<BurnAlert> = Vec::new();
    for (kind, long, short, tenths) in BURN_RATES {
        // Tenths times nanos: units of 10⁻¹⁰.
        let threshold = decimal(u128::from(tenths) * u128::from(budget), 10);
        let condition = BurnCondition {
            long: long.into(),
            short: short.into(),
            factor: decimal(u128::from(tenths), 1),
            threshold,
        };
        match alerts.last_mut() {
            Some(alert) if alert.kind == kind => alert.conditions.push(condition),
            _ => alerts.push(BurnAlert {
                kind: kind.into(),
                severity: if kind == "page" {
                    page_severity.into()
                } else {
                    "warning".into()
                },
                conditions: vec![condition],
                expr: String::new(),
            }),
        }
    }
    for alert in &mut alerts {
        let parts: Vec<String> = alert
            .conditions
            .iter()
            .map(|c| {
                format!(
                    "(\n  slo:sli_error:ratio_rate{long}{{{selector}}} > {t}\nand\n  slo:sli_error:ratio_rate{short}{{{selector}}} > {t}\n)",
                    long = c.long,
                    short = c.short,
                    t = c.threshold
                )
            })
            .collect();
        alert.expr = parts.join("\nor\n");
    }
    alerts
}

/// A latency threshold (`300ms`, `2.5s`) in microseconds, when it has at
/// most microsecond precision.
pub fn threshold_micros(text: &str) -> Option<u64> {
    let (number, unit_micros) = if let Some(number) = text.strip_suffix("ms") {
        (number, 1_000u64)
    } else {
        (text.strip_suffix('s')?, 1_000_000u64)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let places = fraction.len() as u32;
    let scale = 10u64.checked_pow(places)?;
    if unit_micros % scale != 0 {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let micros = whole
        .checked_mul(unit_micros)?
        .checked_add(fraction * (unit_micros / scale))?;
    (micros > 0).then_some(micros)
}

/// The bucket matcher for a threshold in seconds: Prometheus 3 writes a
/// whole number of seconds as `1.0`, client libraries and Prometheus 2
/// as `1`; both are matched.
pub fn le_matcher(seconds: &str) -> String {
    if seconds.contains('.') {
        format!("le=\"{seconds}\"")
    } else {
        format!("le=~\"{seconds}|{seconds}.0\"")
    }
}

/// A duration of whole minutes, hours or days (`26h`) in seconds.
pub fn duration_seconds(text: &str) -> Option<u64> {
    let unit = match text.chars().last()? {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    text[..text.len() - 1]
        .parse::<u64>()
        .ok()?
        .checked_mul(unit)
}

/// Seconds as the largest unit that divides them (`93600` is `26h`).
pub fn duration_text(seconds: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds.is_multiple_of(size) && seconds > 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{}m", seconds.div_ceil(60))
}

/// The longest a cron schedule can wait between runs, at most: exact for
/// the macros and for steps of a single field (`*/15 * * * *`), an upper
/// bound otherwise (`0 4 * * 1-5` waits at most a week, in truth three
/// days). `None` when it cannot tell.
pub fn schedule_period(schedule: &str) -> Option<u64> {
    let schedule = schedule.trim();
    if let Some(name) = schedule.strip_prefix('@') {
        return match name {
            "hourly" => Some(3_600),
            "daily" | "midnight" => Some(86_400),
            "weekly" => Some(7 * 86_400),
            "monthly" => Some(31 * 86_400),
            "yearly" | "annually" => Some(366 * 86_400),
            every => go_duration_seconds(every.strip_prefix("every ")?.trim()),
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields[..] else {
        return None;
    };
    let free = |field: &str| field == "*" || field == "?";
    let step = |field: &str| {
        field
            .strip_prefix("*/")
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n > 0)
    };
    Some(if !free(month) {
        366 * 86_400
    } else if !free(day) {
        31 * 86_400
    } else if !free(weekday) {
        7 * 86_400
    } else if !free(hour) {
        match step(hour) {
            Some(n) if 24 % n == 0 && !minute.contains([',', '-', '/', '*']) => n * 3_600,
            _ => 86_400,
        }
    } else if !free(minute) {
        match step(minute) {
            Some(n) if 60 % n == 0 => n * 60,
            _ => 3_600,
        }
    } else {
        60
    })
}

/// A Go duration (`90s`, `1h30m`) in whole seconds.
fn go_duration_seconds(text: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(number.parse::<u64>().ok()?.checked_mul(unit)?)?;
        number.clear();
    }
    (number.is_empty() && total > 0).then_some(total)
}
