//! The platform's own figures (see `docs/insights.md`):
//!
//! - **adoption**: services and teams on a golden path, on its newest
//!   version, and without escape hatches;
//! - **escape hatches**: the patches each service carries and what they
//!   touch;
//! - **template usage**: services (and teams) per golden path and version;
//! - **self-service rate**: of the main-line changes to files under
//!   `teams/`, the share that changed no file the platform team owns
//!   (`platform/`, `environments/`, `golden-paths/`, `policies/`)
//!   alongside;
//! - **onboarding**: from the commit that added a service's intent to its
//!   first production deployment.
//!
//! Pure: the inventory and the history come in, a report goes out.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::history::{ManifestFacts, Window, human_duration, median, round2, timestamp};
use crate::input::source::git::history::{MainLine, PLATFORM_DIRS};
use crate::inventory::Inventory;
use crate::support::text::{columns, markdown_table, plural};

/// A count out of a total, with its share.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    pub count: usize,
    pub of: usize,
    /// Percent; `None` when there is nothing to count.
    pub percent: Option<f64>,
}

impl Share {
    pub fn new(count: usize, of: usize) -> Share {
        Share {
            count,
            of,
            percent: (of > 0).then(|| round2(100.0 * count as f64 / of as f64)),
        }
    }

    fn text(&self) -> String {
        match self.percent {
            Some(percent) => format!("{} of {} ({percent:.0}%)", self.count, self.of),
            None => "none to count".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adoption {
    /// Services following a golden path (every service paved renders).
    pub services_on_golden_paths: Share,
    pub services_on_newest_version: Share,
    pub services_without_patches: Share,
    /// Teams with a service on a golden path; teams all of whose services
    /// are on their path's newest version; teams whose services carry no
    /// patch.
    pub teams_on_golden_paths: Share,
    pub teams_on_newest_versions: Share,
    pub teams_without_patches: Share,
}

/// One golden path and who uses it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathUsage {
    pub name: String,
    pub newest_version: String,
    pub services: usize,
    pub teams: usize,
    /// Services by the version they follow.
    pub versions: BTreeMap<String, usize>,
    /// Services that joined it in the window.
    pub new_services: usize,
}

/// The patches of one service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscapeHatches {
    pub service: String,
    pub team: String,
    pub patches: usize,
    /// What they touch: `Kind/name` targets.
    pub targets: Vec<String>,
    /// Their operations, as `op path`.
    pub operations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamSelfService {
    pub team: String,
    pub changes: usize,
    pub self_service: Share,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfService {
    /// Of the main-line changes in the window that touched `teams/`, those
    /// that changed no platform-team file alongside.
    pub rate: Share,
    pub teams: Vec<TeamSelfService>,
    /// The changes that needed a platform-team file, by commit.
    pub with_platform_files: Vec<String>,
}

/// One service's way to production.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Onboarded {
    pub service: String,
    pub first_commit: String,
    pub first_production_deployment: Option<String>,
    pub hours: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Onboarding {
    /// Services first committed, or first deployed to production, in the
    /// window.
    pub services: Vec<Onboarded>,
    pub median_hours: Option<f64>,
}

/// Everything `paved metrics platform` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub revision: String,
    pub commits: usize,
    pub window: Window,
    pub adoption: Adoption,
    pub golden_paths: Vec<PathUsage>,
    /// Resources patched across the organisation, by kind.
    pub patched_kinds: BTreeMap<String, usize>,
    pub escape_hatches: Vec<EscapeHatches>,
    pub self_service: SelfService,
    pub onboarding: Onboarding,
}

/// The figures of `inventory` and `history` over `window`. `clusters`
/// gives each cluster's environment (for manifests that carry no label).
pub fn measure(
    inventory: &Inventory,
    history: &MainLine<ManifestFacts>,
    window: &Window,
    clusters: &BTreeMap<String, String>,
) -> Report {
    let newest: BTreeMap<&str, &str> = inventory
        .golden_paths
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    let on_newest = |service: &crate::inventory::ServiceFacts| {
        newest.get(service.golden_path.as_str()) == Some(&service.golden_path_version.as_str())
    };
    let services = &inventory.services;
    let count = |f: &dyn Fn(&crate::inventory::ServiceFacts) -> bool| {
        services.iter().filter(|s| f(s)).count()
    };
    let teams: Vec<&str> = inventory
        .teams
        .iter()
        .filter(|t| !t.services.is_empty())
        .map(|t| t.name.as_str())
        .collect();
    let teams_where = |f: &dyn Fn(&crate::inventory::ServiceFacts) -> bool| {
        teams
            .iter()
            .filter(|team| services.iter().filter(|s| s.team == **team).all(f))
            .count()
    };
    let adoption = Adoption {
        services_on_golden_paths: Share::new(
            count(&|s| newest.contains_key(s.golden_path.as_str())),
            services.len(),
        ),
        services_on_newest_version: Share::new(count(&on_newest), services.len()),
        services_without_patches: Share::new(count(&|s| s.patches.is_empty()), services.len()),
        teams_on_golden_paths: Share::new(teams.len(), inventory.teams.len()),
        teams_on_newest_versions: Share::new(teams_where(&on_newest), teams.len()),
        teams_without_patches: Share::new(teams_where(&|s| s.patches.is_empty()), teams.len()),
    };

    // First commits and first production deployments, from the history.
    let production: HashSet<&str> = inventory
        .environments
        .iter()
        .filter(|e| e.production)
        .map(|e| e.name.as_str())
        .collect();
    let mut first_commit: BTreeMap<&str, i64> = BTreeMap::new();
    let mut first_production: BTreeMap<&str, i64> = BTreeMap::new();
    let mut team_changes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut team_touching = 0;
    let mut self_served = 0;
    let mut with_platform_files = Vec::new();
    for commit in &history.commits {
        for service in &commit.new_services {
            first_commit.entry(service).or_insert(commit.time);
        }
        for unit in &commit.units {
            let Some(manifest) = &unit.manifest else {
                continue;
            };
            let environment = manifest
                .environment
                .as_deref()
                .or_else(|| clusters.get(&unit.cluster).map(String::as_str));
            if environment.is_some_and(|e| production.contains(e)) {
                first_production.entry(&unit.service).or_insert(commit.time);
            }
        }
        if window.contains(commit.time) && !commit.teams.is_empty() {
            team_touching += 1;
            if !commit.platform_files {
                self_served += 1;
            } else {
                with_platform_files.push(format!(
                    "{} {}",
                    commit.id.chars().take(12).collect::<String>(),
                    commit.subject
                ));
            }
            for team in &commit.teams {
                let entry = team_changes.entry(team).or_default();
                entry.0 += 1;
                entry.1 += usize::from(!commit.platform_files);
            }
        }
    }
    let mut onboarded = Vec::new();
    for (service, first) in &first_commit {
        let deployed = first_production.get(service).copied();
        if !window.contains(*first) && !deployed.is_some_and(|t| window.contains(t)) {
            continue;
        }
        onboarded.push(Onboarded {
            service: (*service).to_owned(),
            first_commit: timestamp(*first),
            first_production_deployment: deployed.map(timestamp),
            hours: deployed.map(|t| round2((t - first) as f64 / 3_600.0)),
        });
    }
    let seconds: Vec<i64> = first_commit
        .iter()
        .filter_map(|(service, first)| {
            let deployed = first_production.get(service)?;
            (window.contains(*first) || window.contains(*deployed)).then_some(deployed - first)
        })
        .collect();

    let recent: BTreeSet<&str> = first_commit
        .iter()
        .filter(|(_, t)| window.contains(**t))
        .map(|(s, _)| *s)
        .collect();
    let golden_paths = inventory
        .golden_paths
        .iter()
        .map(|path| {
            let on: Vec<&crate::inventory::ServiceFacts> = services
                .iter()
                .filter(|s| s.golden_path == path.name)
                .collect();
            let mut versions = BTreeMap::new();
            for service in &on {
                *versions
                    .entry(service.golden_path_version.clone())
                    .or_insert(0) += 1;
            }
            PathUsage {
                name: path.name.clone(),
                newest_version: path.version.clone(),
                services: on.len(),
                teams: on
                    .iter()
                    .map(|s| s.team.as_str())
                    .collect::<BTreeSet<_>>()
                    .len(),
                versions,
                new_services: on
                    .iter()
                    .filter(|s| recent.contains(s.name.as_str()))
                    .count(),
            }
        })
        .collect();
    let mut patched_kinds: BTreeMap<String, usize> = BTreeMap::new();
    let escape_hatches = services
        .iter()
        .filter(|s| !s.patches.is_empty())
        .map(|s| {
            for patch in &s.patches {
                let kind = patch
                    .target
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                *patched_kinds.entry(kind).or_insert(0) += 1;
            }
            EscapeHatches {
                service: s.name.clone(),
                team: s.team.clone(),
                patches: s.patches.len(),
                targets: s.patches.iter().map(|p| p.target.clone()).collect(),
                operations: s
                    .patches
                    .iter()
                    .flat_map(|p| p.operations.clone())
                    .collect(),
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
        adoption,
        golden_paths,
        patched_kinds,
        escape_hatches,
        self_service: SelfService {
            rate: Share::new(self_served, team_touching),
            teams: team_changes
                .into_iter()
                .map(|(team, (changes, own))| TeamSelfService {
                    team: team.to_owned(),
                    changes,
                    self_service: Share::new(own, changes),
                })
                .collect(),
            with_platform_files,
        },
        onboarding: Onboarding {
            services: onboarded,
            median_hours: median(&seconds).map(|s| round2(s / 3_600.0)),
        },
    }
}

fn title(report: &Report) -> String {
    format!(
        "Platform metrics, {} to {} ({}), from {} main-line commits ending at {}",
        report.window.from_date,
        report.window.to_date,
        report.window.since,
        report.commits,
        report.revision.chars().take(12).collect::<String>()
    )
}

fn adoption_rows(report: &Report) -> Vec<Vec<String>> {
    let a = &report.adoption;
    vec![
        vec!["adoption".into(), "services".into(), "teams".into()],
        vec![
            "on a golden path".into(),
            a.services_on_golden_paths.text(),
            a.teams_on_golden_paths.text(),
        ],
        vec![
            "on its newest version".into(),
            a.services_on_newest_version.text(),
            a.teams_on_newest_versions.text(),
        ],
        vec![
            "without escape hatches".into(),
            a.services_without_patches.text(),
            a.teams_without_patches.text(),
        ],
    ]
}

fn path_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "golden path",
            "newest",
            "services",
            "teams",
            "by version",
            "new in window",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for path in &report.golden_paths {
        rows.push(vec![
            path.name.clone(),
            path.newest_version.clone(),
            path.services.to_string(),
            path.teams.to_string(),
            path.versions
                .iter()
                .map(|(v, n)| format!("{v}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            path.new_services.to_string(),
        ]);
    }
    rows
}

fn hatch_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["service", "team", "patches", "touch"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for hatch in &report.escape_hatches {
        rows.push(vec![
            hatch.service.clone(),
            hatch.team.clone(),
            hatch.patches.to_string(),
            hatch.operations.join(", "),
        ]);
    }
    rows
}

fn onboarding_rows(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["service", "first commit", "first in production", "took"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for service in &report.onboarding.services {
        rows.push(vec![
            service.service.clone(),
            service.first_commit.clone(),
            service
                .first_production_deployment
                .clone()
                .unwrap_or_else(|| "not yet".into()),
            service
                .hours
                .map_or("-".into(), |h| human_duration(h * 3_600.0)),
        ]);
    }
    rows
}

fn self_service_line(report: &Report) -> String {
    format!(
        "Self-service: {} changes to team files needed no platform-team file",
        report.self_service.rate.text()
    )
}

fn onboarding_line(report: &Report) -> String {
    format!(
        "Onboarding: median {} from a service's first commit to its first production deployment ({})",
        report
            .onboarding
            .median_hours
            .map_or("-".into(), |h| human_duration(h * 3_600.0)),
        plural(report.onboarding.services.len(), "service"),
    )
}

/// The report for a terminal.
pub fn to_text(report: &Report) -> String {
    let mut out = format!("{}\n\n", title(report));
    out.push_str(&columns(&adoption_rows(report)));
    out.push('\n');
    out.push_str(&columns(&path_rows(report)));
    out.push_str(&format!(
        "\nEscape hatches: {} with patches\n",
        plural(report.escape_hatches.len(), "service")
    ));
    if !report.escape_hatches.is_empty() {
        out.push_str(&columns(&hatch_rows(report)));
    }
    out.push_str(&format!("\n{}\n", self_service_line(report)));
    for change in &report.self_service.with_platform_files {
        out.push_str(&format!("  with platform files: {change}\n"));
    }
    out.push_str(&format!("\n{}\n", onboarding_line(report)));
    if !report.onboarding.services.is_empty() {
        out.push_str(&columns(&onboarding_rows(report)));
    }
    out
}

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let mut out = format!("## {}\n\n", title(report));
    out.push_str(&markdown_table(&adoption_rows(report)));
    out.push('\n');
    out.push_str(&markdown_table(&path_rows(report)));
    out.push_str(&format!(
        "\n### Escape hatches: {} with patches\n\n",
        plural(report.escape_hatches.len(), "service")
    ));
    if !report.escape_hatches.is_empty() {
        out.push_str(&markdown_table(&hatch_rows(report)));
    }
    out.push_str(&format!("\n### {}\n", self_service_line(report)));
    out.push_str(&format!("\n### {}\n\n", onboarding_line(report)));
    if !report.onboarding.services.is_empty() {
        out.push_str(&markdown_table(&onboarding_rows(report)));
    }
    out
}

/// The directories a change must leave alone to count as self-service.
pub fn platform_dirs() -> &'static [&'static str] {
    &PLATFORM_DIRS
}
