//! DORA's four keys, from the main line's history (see
//! `docs/insights.md` for each derivation and its blind spots).
//!
//! - A **deployment** is a main-line commit that changes a service's
//!   rendered output in an environment (one or more of its clusters):
//!   what Argo CD applies there. Its **release** is the workload's image
//!   digest, else its tag.
//! - **Lead time** of a deployment bringing a release an environment never
//!   ran: from the first commit that brought that release to any
//!   environment to this one. Measured only when another environment ran
//!   it first (else it is *untraced*: a hotfix straight to production, or
//!   a digest here where earlier environments ran a tag).
//! - A deployment **failed** when, within the failure window, it was
//!   undone: by a *rollback* (a later deployment returning the environment
//!   to a release it ran before and that first appeared before the one it
//!   replaces; every deployment since the environment left that release
//!   fails) or by a *revert* (`git revert` of the commit that made it).
//!   Deploying again a release that was rolled back is rolling forward,
//!   not another rollback.
//! - **Time to restore**: from the first failed deployment of an incident
//!   to the deployment (or revert) that undid it.
//!
//! Pure: the history comes in, a report goes out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::history::{DAY, ManifestFacts, Window, human_duration, median, round2, timestamp};
use crate::input::model::{Dora, DurationBand, PercentBand, RateBand};
use crate::input::repo::Repo;
use crate::input::source::git::history::MainLine;
use crate::support::date::{duration_seconds, per_day};
use crate::support::text::{columns, markdown_table};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Options {
    pub window: Window,
    /// The environments whose deployments count (production by default).
    pub environments: Vec<String>,
    pub team: Option<String>,
    pub service: Option<String>,
    pub config: Dora,
    /// Where the bands came from: `platform/dora.yaml`, or paved's defaults.
    pub config_file: Option<String>,
    /// Each cluster's environment, for manifests that carry no label.
    pub clusters: BTreeMap<String, String>,
    /// Services that exist now, with their teams: each gets figures even
    /// when it did not deploy.
    pub services: Vec<(String, String)>,
}

/// One deployment: a commit that changed a service's output in an
/// environment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub commit: String,
    pub at: String,
    #[serde(skip)]
    pub time: i64,
    pub service: String,
    pub team: String,
    pub environment: String,
    pub clusters: Vec<String>,
    pub release: Option<String>,
    pub previous: Option<String>,
    /// It brought a release this environment never ran before.
    pub new_release: bool,
    /// Seconds from the release's first environment, when traced.
    pub lead_time_seconds: Option<i64>,
    /// Undone by a rollback or a revert within the failure window.
    pub failed: bool,
    /// It undid failed deployments.
    pub restores: bool,
}

/// Failed deployments of one service in one environment, and what
/// restored it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub service: String,
    pub team: String,
    pub environment: String,
    /// `rollback`, `revert`, or both.
    pub detected_by: Vec<String>,
    /// The commits of the failed deployments.
    pub failed: Vec<String>,
    pub started: String,
    pub restored: String,
    pub restored_by: String,
    pub seconds: i64,
    #[serde(skip)]
    start_time: i64,
}

/// The four keys for one scope (the organisation, a team, a service).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub deployments: usize,
    pub deployment_frequency: Frequency,
    pub lead_time: LeadTime,
    pub change_failure_rate: FailureRate,
    pub time_to_restore: Restore,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Frequency {
    pub per_week: f64,
    pub band: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadTime {
    /// Median, in hours; `None` when no deployment's lead time is known.
    pub median_hours: Option<f64>,
    pub band: Option<String>,
    /// Deployments of a new release whose lead time is known.
    pub measured: usize,
    /// Deployments of a new release no other environment ran first.
    pub untraced: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRate {
    /// Percent of deployments that failed; `None` without deployments.
    pub percent: Option<f64>,
    pub band: Option<String>,
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restore {
    /// Median, in hours; `None` without incidents.
    pub median_hours: Option<f64>,
    pub band: Option<String>,
    pub incidents: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamFigures {
    pub team: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceFigures {
    pub service: String,
    pub team: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One week of the trend.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Week {
    /// The Monday it starts.
    pub week: String,
    pub deployments: usize,
    pub lead_time_hours: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub time_to_restore_hours: Option<f64>,
}

/// Where the bands come from.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bands {
    pub source: String,
    pub file: Option<String>,
    pub bands: Vec<String>,
    pub failure_window: String,
}

/// Everything `paved metrics dora` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The commit the history ends at.
    pub revision: String,
    /// Main-line commits read.
    pub commits: usize,
    pub window: Window,
    pub environments: Vec<String>,
    pub team: Option<String>,
    pub service: Option<String>,
    pub bands: Bands,
    /// Everything in scope together.
    pub organisation: Figures,
    pub teams: Vec<TeamFigures>,
    pub services: Vec<ServiceFigures>,
    pub weekly: Vec<Week>,
    pub deployments: Vec<Deployment>,
    pub incidents: Vec<Incident>,
}

#[derive(Default)]
struct State {
    running: Option<String>,
    releases: HashSet<String>,
    deployments: Vec<usize>,
}

struct Group {
    team: String,
    clusters: Vec<String>,
    /// The release of the first changed cluster still running the
    /// service; `None` when it was removed from every changed cluster.
    present: Option<Option<String>>,
}

impl Options {
    /// Everything in `repo` over `window`: deployments to its production
    /// environments, judged by its bands (`platform/dora.yaml`, else
    /// paved's defaults).
    pub fn for_repo(repo: &Repo, window: Window) -> Options {
        let (config, config_file) = match &repo.dora {
            Some(entry) => (entry.value.clone(), Some(entry.file.path.clone())),
            None => (Dora::builtin(), None),
        };
        Options {
            window,
            environments: repo
                .environments
                .iter()
                .filter(|e| e.value.production)
                .map(|e| e.value.name.clone())
                .collect(),
            team: None,
            service: None,
            config,
            config_file,
            clusters: repo
                .environments
                .iter()
                .flat_map(|e| {
                    e.value
                        .clusters
                        .keys()
                        .map(|cluster| (cluster.clone(), e.value.name.clone()))
                })
                .collect(),
            services: repo
                .services
                .iter()
                .map(|s| (s.value.name.clone(), s.team.clone()))
                .collect(),
        }
    }
}

/// Every deployment and incident of the history (in every measured
/// environment, whatever the window or filters).
pub fn deployments(
    history: &MainLine<ManifestFacts>,
    options: &Options,
) -> (Vec<Deployment>, Vec<Incident>) {
    let window = duration_seconds(&options.config.failure_window).unwrap_or(7 * DAY);
    let measured: HashSet<&str> = options.environments.iter().map(String::as_str).collect();
    let mut unit_env: HashMap<(String, String), String> = HashMap::new();
    let mut sightings: HashMap<(String, String), Vec<(String, i64)>> = HashMap::new();
    let mut states: HashMap<(String, String), State> = HashMap::new();
    let mut by_commit: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut out: Vec<Deployment> = Vec::new();
    let mut incidents: Vec<Incident> = Vec::new();
    for (at, commit) in history.commits.iter().enumerate() {
        let time = commit.time;
        let short = short_id(&commit.id);
        let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
        for unit in &commit.units {
            let key = (unit.cluster.clone(), unit.service.clone());
            let environment = unit
                .manifest
                .as_ref()
                .and_then(|m| m.environment.clone())
                .or_else(|| unit_env.get(&key).cloned())
                .or_else(|| options.clusters.get(&unit.cluster).cloned());
            let Some(environment) = environment else {
                continue;
            };
            if unit.manifest.is_some() {
                unit_env.insert(key, environment.clone());
            }
            let group = groups
                .entry((unit.service.clone(), environment))
                .or_insert_with(|| Group {
                    team: unit.namespace.clone(),
                    clusters: Vec::new(),
                    present: None,
                });
            group.clusters.push(unit.cluster.clone());
            if let (Some(manifest), None) = (&unit.manifest, &group.present) {
                group.present = Some(manifest.release.clone());
                group.team = unit.namespace.clone();
            }
        }
        // Where each release ran, first: a release brought to every
        // environment in one commit is traced with a lead time of zero.
        for ((service, environment), group) in &groups {
            if let Some(Some(release)) = &group.present {
                let seen = sightings
                    .entry((service.clone(), release.clone()))
                    .or_default();
                if !seen.iter().any(|(e, _)| e == environment) {
                    seen.push((environment.clone(), time));
                }
            }
        }
        for ((service, environment), group) in groups {
            if !measured.contains(environment.as_str()) {
                continue;
            }
            let state = states
                .entry((service.clone(), environment.clone()))
                .or_default();
            let Some(release) = group.present else {
                // Removed from the environment: not a deployment.
                state.running = None;
                continue;
            };
            let previous = state.running.clone();
            let changed = release.is_some() && release != previous;
            let ran_here = changed && release.as_ref().is_some_and(|r| state.releases.contains(r));
            let new_release = changed && !ran_here;
            // A return to a release that first appeared before the one
            // running now: going back, not forward again.
            let first_seen = |r: &String| {
                sightings
                    .get(&(service.clone(), r.clone()))
                    .and_then(|seen| seen.iter().map(|(_, t)| *t).min())
            };
            let returning = ran_here
                && match (
                    release.as_ref().and_then(first_seen),
                    previous.as_ref().and_then(first_seen),
                ) {
                    (Some(target), Some(current)) => target < current,
                    _ => false,
                };
            let lead_time_seconds = release
                .as_ref()
                .filter(|_| new_release)
                .and_then(|r| sightings.get(&(service.clone(), r.clone())))
                .filter(|seen| seen.iter().any(|(e, t)| *e != environment && *t <= time))
                .and_then(|seen| seen.iter().map(|(_, t)| *t).min())
                .map(|first| time - first);
            let index = out.len();
            out.push(Deployment {
                commit: short.clone(),
                at: timestamp(time),
                time,
                service: service.clone(),
                team: group.team.clone(),
                environment: environment.clone(),
                clusters: group.clusters,
                release: release.clone(),
                previous: previous.clone(),
                new_release,
                lead_time_seconds,
                failed: false,
                restores: false,
            });
            if returning {
                // The deployment that left the release returned to, and
                // every one since: failed, if within the window.
                let left = state
                    .deployments
                    .iter()
                    .rev()
                    .copied()
                    .find(|&d| out[d].previous == release && out[d].release != release);
                if let Some(left) = left {
                    let failed: Vec<usize> = state
                        .deployments
                        .iter()
                        .copied()
                        .filter(|&d| d >= left && time - out[d].time <= window)
                        .collect();
                    if !failed.is_empty() {
                        record(&mut out, &mut incidents, &failed, index, "rollback");
                    }
                }
            }
            state.running = release.clone();
            if let Some(release) = release {
                state.releases.insert(release);
            }
            state.deployments.push(index);
            by_commit.entry(at).or_default().push(index);
        }
        for &reverted in &commit.reverts {
            let Some(before) = history.commits.get(reverted) else {
                continue;
            };
            if time - before.time > window {
                continue;
            }
            for &failed in by_commit.get(&reverted).into_iter().flatten() {
                let (service, environment) = (&out[failed].service, &out[failed].environment);
                let restorer = by_commit
                    .get(&at)
                    .into_iter()
                    .flatten()
                    .copied()
                    .find(|&d| &out[d].service == service && &out[d].environment == environment);
                match restorer {
                    Some(restorer) => {
                        record(&mut out, &mut incidents, &[failed], restorer, "revert")
                    }
                    None => {
                        // The revert left this environment's output as it
                        // was (a later change had replaced it): restored
                        // when the revert landed.
                        out[failed].failed = true;
                        let deployment = out[failed].clone();
                        incidents.push(Incident {
                            service: deployment.service,
                            team: deployment.team,
                            environment: deployment.environment,
                            detected_by: vec!["revert".into()],
                            failed: vec![deployment.commit],
                            started: deployment.at,
                            restored: timestamp(time),
                            restored_by: short.clone(),
                            seconds: time - deployment.time,
                            start_time: deployment.time,
                        });
                    }
                }
            }
        }
    }
    (out, incidents)
}

/// Marks `failed` as failed and `restorer` as what restored them, adding
/// to the incident `restorer` already ends, if any.
fn record(
    out: &mut [Deployment],
    incidents: &mut Vec<Incident>,
    failed: &[usize],
    restorer: usize,
    how: &str,
) {
    out[restorer].restores = true;
    for &d in failed {
        out[d].failed = true;
    }
    let restored = &out[restorer];
    let existing = incidents.iter_mut().find(|i| {
        i.restored_by == restored.commit
            && i.service == restored.service
            && i.environment == restored.environment
    });
    let start = failed
        .iter()
        .map(|&d| out[d].time)
        .min()
        .unwrap_or(restored.time);
    let commits = failed.iter().map(|&d| out[d].commit.clone());
    match existing {
        Some(incident) => {
            if !incident.detected_by.iter().any(|h| h == how) {
                incident.detected_by.push(how.to_owned());
            }
            for commit in commits {
                if !incident.failed.contains(&commit) {
                    incident.failed.push(commit);
                }
            }
            if start < incident.start_time {
                incident.start_time = start;
                incident.started = timestamp(start);
                incident.seconds = restored.time - start;
            }
        }
        None => incidents.push(Incident {
            service: restored.service.clone(),
            team: restored.team.clone(),
            environment: restored.environment.clone(),
            detected_by: vec![how.to_owned()],
            failed: commits.collect(),
            started: timestamp(start),
            restored: restored.at.clone(),
            restored_by: restored.commit.clone(),
            seconds: restored.time - start,
            start_time: start,
        }),
    }
}

/// Measures the history: deployments, then figures per scope and week.
pub fn measure(history: &MainLine<ManifestFacts>, options: &Options) -> Report {
    let (all, incidents) = deployments(history, options);
    let in_scope = |service: &str, team: &str| {
        options.team.as_deref().is_none_or(|t| t == team)
            && options.service.as_deref().is_none_or(|s| s == service)
    };
    let window = &options.window;
    let deployments: Vec<Deployment> = all
        .into_iter()
        .filter(|d| window.contains(d.time) && in_scope(&d.service, &d.team))
        .collect();
    let incidents: Vec<Incident> = incidents
        .into_iter()
        .filter(|i| window.contains(i.start_time) && in_scope(&i.service, &i.team))
        .collect();
    let config = &options.config;
    let figures = |filter: &dyn Fn(&str, &str) -> bool| {
        let deployments: Vec<&Deployment> = deployments
            .iter()
            .filter(|d| filter(&d.service, &d.team))
            .collect();
        let incidents: Vec<&Incident> = incidents
            .iter()
            .filter(|i| filter(&i.service, &i.team))
            .collect();
        figures(&deployments, &incidents, window, config)
    };
    let mut services: BTreeMap<String, String> = options
        .services
        .iter()
        .filter(|(service, team)| in_scope(service, team))
        .cloned()
        .collect();
    for deployment in &deployments {
        services
            .entry(deployment.service.clone())
            .or_insert_with(|| deployment.team.clone());
    }
    let teams: BTreeSet<String> = services.values().cloned().collect();
    let weekly = window
        .weeks()
        .into_iter()
        .enumerate()
        .map(|(index, (_, week))| {
            let in_week: Vec<&Deployment> = deployments
                .iter()
                .filter(|d| window.week_of(d.time) == index)
                .collect();
            let leads: Vec<i64> = in_week.iter().filter_map(|d| d.lead_time_seconds).collect();
            let restores: Vec<i64> = incidents
                .iter()
                .filter(|i| window.week_of(i.start_time) == index)
                .map(|i| i.seconds)
                .collect();
            let failed = in_week.iter().filter(|d| d.failed).count();
            Week {
                week,
                deployments: in_week.len(),
                lead_time_hours: median(&leads).map(hours),
                change_failure_rate: (!in_week.is_empty())
                    .then(|| round2(100.0 * failed as f64 / in_week.len() as f64)),
                time_to_restore_hours: median(&restores).map(hours),
            }
        })
        .collect();
    Report {
        revision: history
            .commits
            .last()
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        commits: history.commits.len(),
        window: window.clone(),
        environments: options.environments.clone(),
        team: options.team.clone(),
        service: options.service.clone(),
        bands: Bands {
            source: config.source.clone(),
            file: options.config_file.clone(),
            bands: config.bands.clone(),
            failure_window: config.failure_window.clone(),
        },
        organisation: figures(&|_, _| true),
        teams: teams
            .iter()
            .map(|team| TeamFigures {
                team: team.clone(),
                figures: figures(&|_, t| t == team),
            })
            .collect(),
        services: services
            .iter()
            .map(|(service, team)| ServiceFigures {
                service: service.clone(),
                team: team.clone(),
                figures: figures(&|s, _| s == service),
            })
            .collect(),
        weekly,
        deployments,
        incidents,
    }
}

fn hours(seconds: f64) -> f64 {
    round2(seconds / 3_600.0)
}

fn figures(
    deployments: &[&Deployment],
    incidents: &[&Incident],
    window: &Window,
    config: &Dora,
) -> Figures {
    let count = deployments.len();
    let rate = count as f64 / window.days();
    let leads: Vec<i64> = deployments
        .iter()
        .filter_map(|d| d.lead_time_seconds)
        .collect();
    let lead = median(&leads);
    let failed = deployments.iter().filter(|d| d.failed).count();
    let percent = (count > 0).then(|| 100.0 * failed as f64 / count as f64);
    let restores: Vec<i64> = incidents.iter().map(|i| i.seconds).collect();
    let restore = median(&restores);
    Figures {
        deployments: count,
        deployment_frequency: Frequency {
            per_week: round2(rate * 7.0),
            band: rate_band(&config.deployment_frequency, rate),
        },
        lead_time: LeadTime {
            median_hours: lead.map(hours),
            band: lead.map(|s| duration_band(&config.lead_time, s)),
            measured: leads.len(),
            untraced: deployments
                .iter()
                .filter(|d| d.new_release && d.lead_time_seconds.is_none())
                .count(),
        },
        change_failure_rate: FailureRate {
            percent: percent.map(round2),
            band: percent.map(|p| percent_band(&config.change_failure_rate, p)),
            failed,
        },
        time_to_restore: Restore {
            median_hours: restore.map(hours),
            band: restore.map(|s| duration_band(&config.time_to_restore, s)),
            incidents: incidents.len(),
        },
    }
}

/// The first band whose least rate `per_day` reaches (the last band
/// takes the rest).
pub fn rate_band(bands: &[RateBand], per_day_rate: f64) -> String {
    bands
        .iter()
        .find(|b| {
            b.at_least
                .as_deref()
                .and_then(per_day)
                .is_none_or(|least| per_day_rate >= least)
        })
        .or(bands.last())
        .map(|b| b.band.clone())
        .unwrap_or_default()
}

/// The first band whose longest duration `seconds` is within.
pub fn duration_band(bands: &[DurationBand], seconds: f64) -> String {
    bands
        .iter()
        .find(|b| {
            b.at_most
                .as_deref()
                .and_then(duration_seconds)
                .is_none_or(|most| seconds <= most as f64)
        })
        .or(bands.last())
        .map(|b| b.band.clone())
        .unwrap_or_default()
}

/// The first band whose highest percentage `percent` is within.
pub fn percent_band(bands: &[PercentBand], percent: f64) -> String {
    bands
        .iter()
        .find(|b| b.at_most.is_none_or(|most| percent <= most))
        .or(bands.last())
        .map(|b| b.band.clone())
        .unwrap_or_default()
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

// ------------------------------------------------------------------ output

fn cells(figures: &Figures) -> Vec<String> {
    let band = |band: &Option<String>| band.clone().unwrap_or_else(|| "-".into());
    let lead = &figures.lead_time;
    let failure = &figures.change_failure_rate;
    let restore = &figures.time_to_restore;
    vec![
        figures.deployments.to_string(),
        human_rate(figures.deployment_frequency.per_week),
        figures.deployment_frequency.band.clone(),
        lead.median_hours
            .map_or("-".into(), |h| human_duration(h * 3_600.0)),
        band(&lead.band),
        failure.percent.map_or("-".into(), |p| {
            format!("{p:.1}% ({}/{})", failure.failed, figures.deployments)
        }),
        band(&failure.band),
        restore
            .median_hours
            .map_or("-".into(), |h| human_duration(h * 3_600.0)),
        band(&restore.band),
    ]
}

/// A rate for people: per day when daily or more, per week when weekly or
/// more, else per month (30 days).
pub fn human_rate(per_week: f64) -> String {
    if per_week >= 7.0 {
        format!("{:.1}/day", per_week / 7.0)
    } else if per_week >= 1.0 {
        format!("{per_week:.1}/week")
    } else {
        format!("{:.1}/month", per_week / 7.0 * 30.0)
    }
}

const HEADER: [&str; 10] = [
    "",
    "deploys",
    "frequency",
    "band",
    "lead time",
    "band",
    "failure rate",
    "band",
    "time to restore",
    "band",
];

fn rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![HEADER.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    let mut row = |name: String, figures: &Figures| {
        let mut cells_of = vec![name];
        cells_of.extend(cells(figures));
        rows.push(cells_of);
    };
    row("organisation".into(), &report.organisation);
    for team in &report.teams {
        row(format!("team {}", team.team), &team.figures);
    }
    for service in &report.services {
        row(format!("service {}", service.service), &service.figures);
    }
    rows
}

fn weekly_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "week of",
            "deploys",
            "lead time",
            "failure rate",
            "time to restore",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for week in &report.weekly {
        rows.push(vec![
            week.week.clone(),
            week.deployments.to_string(),
            week.lead_time_hours
                .map_or("-".into(), |h| human_duration(h * 3_600.0)),
            week.change_failure_rate
                .map_or("-".into(), |p| format!("{p:.1}%")),
            week.time_to_restore_hours
                .map_or("-".into(), |h| human_duration(h * 3_600.0)),
        ]);
    }
    rows
}

fn title(report: &Report) -> String {
    let mut scope = String::new();
    if let Some(team) = &report.team {
        scope.push_str(&format!(", team `{team}`"));
    }
    if let Some(service) = &report.service {
        scope.push_str(&format!(", service `{service}`"));
    }
    format!(
        "DORA metrics for deployments to {}{scope}, {} to {} ({}), from {} main-line commits ending at {}",
        report.environments.join(", "),
        report.window.from_date,
        report.window.to_date,
        report.window.since,
        report.commits,
        short_id(&report.revision),
    )
}

fn bands_line(report: &Report) -> String {
    format!(
        "Bands: {} ({}); a rollback or revert within {} marks a deployment failed",
        report.bands.source,
        report
            .bands
            .file
            .as_deref()
            .map_or("paved's defaults".to_owned(), |f| format!("`{f}`")),
        report.bands.failure_window,
    )
}

/// The report for a terminal.
pub fn to_text(report: &Report) -> String {
    let mut out = format!("{}\n{}\n\n", title(report), bands_line(report));
    out.push_str(&columns(&rows(report)));
    out.push_str("\nWeekly\n");
    out.push_str(&columns(&weekly_rows(report)));
    if !report.incidents.is_empty() {
        out.push_str("\nFailed deployments\n");
        out.push_str(&columns(&incident_rows(report, "")));
    }
    out
}

/// The failed deployments as table rows; names and commits between
/// `quote`s (backticks in Markdown).
fn incident_rows(report: &Report, quote: &str) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "service",
            "environment",
            "failed",
            "restored by",
            "how",
            "time to restore",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for incident in &report.incidents {
        rows.push(vec![
            format!("{quote}{}{quote}", incident.service),
            incident.environment.clone(),
            incident
                .failed
                .iter()
                .map(|c| format!("{quote}{c}{quote}"))
                .collect::<Vec<_>>()
                .join(" "),
            format!("{quote}{}{quote}", incident.restored_by),
            incident.detected_by.join(" and "),
            human_duration(incident.seconds as f64),
        ]);
    }
    rows
}

/// The report as Markdown (a pull request, a wiki page).
pub fn to_markdown(report: &Report) -> String {
    let mut out = format!("## {}\n\n{}\n\n", title(report), bands_line(report));
    let mut rows = rows(report);
    rows[0][0] = "scope".into();
    out.push_str(&markdown_table(&rows));
    out.push_str("\n### Weekly\n\n");
    out.push_str(&markdown_table(&weekly_rows(report)));
    if !report.incidents.is_empty() {
        out.push_str("\n### Failed deployments\n\n");
        out.push_str(&markdown_table(&incident_rows(report, "`")));
    }
    out
}
