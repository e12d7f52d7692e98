//! The inventory as text for people: `paved list` (a table of services,
//! or of golden paths and their versions) and `paved show` (one service).
//! JSON comes straight from the inventory's types. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::inventory::{DeploymentFacts, Inventory, ServiceFacts};

/// Which services `paved list` shows.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub team: Option<String>,
    pub golden_path: Option<String>,
    pub environment: Option<String>,
}

impl Filter {
    pub fn keeps(&self, service: &ServiceFacts) -> bool {
        self.team.as_ref().is_none_or(|t| &service.team == t)
            && self
                .golden_path
                .as_ref()
                .is_none_or(|p| &service.golden_path == p)
            && self
                .environment
                .as_ref()
                .is_none_or(|e| service.environments.contains(e))
    }
}

/// What runs, short: a tag, or a digest's first 12 hex digits.
pub fn release(deployment: &DeploymentFacts) -> String {
    match (&deployment.digest, &deployment.tag) {
        (Some(digest), _) => {
            let hex = digest.trim_start_matches("sha256:");
            format!("@{}", &hex[..hex.len().min(12)])
        }
        (None, Some(tag)) => tag.clone(),
        (None, None) => "-".into(),
    }
}

/// Each environment's release of a service: one value when its clusters
/// agree, else each cluster's.
fn per_environment(service: &ServiceFacts, environment: &str) -> String {
    let here: Vec<&DeploymentFacts> = service
        .deployments
        .iter()
        .filter(|d| d.environment == environment)
        .collect();
    if here.is_empty() {
        return "-".into();
    }
    let releases: Vec<String> = here.iter().map(|d| release(d)).collect();
    if releases.iter().all(|r| *r == releases[0]) {
        releases[0].clone()
    } else {
        here.iter()
            .map(|d| format!("{}={}", d.cluster, release(d)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            if widths.len() <= i {
                widths.push(width);
            } else {
                widths[i] = widths[i].max(width);
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `paved list`: one row per service, one column per environment.
pub fn services_text(inventory: &Inventory, filter: &Filter) -> String {
    let environments: Vec<&str> = inventory
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .filter(|e| filter.environment.as_deref().is_none_or(|only| only == *e))
        .collect();
    let mut header = vec!["SERVICE".into(), "TEAM".into(), "GOLDEN PATH".into()];
    header.extend(environments.iter().map(|e| e.to_uppercase()));
    let mut rows = vec![header];
    for service in inventory.services.iter().filter(|s| filter.keeps(s)) {
        let mut row = vec![
            service.name.clone(),
            service.team.clone(),
            format!(
                "{} {}",
                service.golden_path,
                path_versions(service, &environments)
            ),
        ];
        row.extend(environments.iter().map(|e| per_environment(service, e)));
        rows.push(row);
    }
    if rows.len() == 1 {
        return "No services match.\n".into();
    }
    table(&rows)
}

/// The golden-path versions a service runs in the environments shown,
/// newest first when they differ.
fn path_versions(service: &ServiceFacts, environments: &[&str]) -> String {
    let mut versions: Vec<&str> = service
        .deployments
        .iter()
        .filter(|d| environments.contains(&d.environment.as_str()))
        .map(|d| d.golden_path_version.as_str())
        .filter(|v| !v.is_empty())
        .collect();
    // By number, so that 1.10.0 is newer than 1.9.0.
    versions.sort_by_key(|v| {
        v.split('.')
            .map(|n| n.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    versions.dedup();
    match versions.as_slice() {
        [] => service.golden_path_version.clone(),
        [only] => (*only).to_owned(),
        many => many.iter().rev().copied().collect::<Vec<_>>().join(", "),
    }
}

/// One golden path version in one environment, and who runs it there.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathUse {
    pub golden_path: String,
    pub version: String,
    /// Whether it is the path's newest version.
    pub newest: bool,
    pub environment: String,
    pub clusters: Vec<String>,
    pub services: Vec<String>,
}

/// Which services run which version of each golden path, where.
pub fn path_uses(inventory: &Inventory) -> Vec<PathUse> {
    let rank = |env: &str| {
        inventory
            .environments
            .iter()
            .position(|e| e.name == env)
            .unwrap_or(usize::MAX)
    };
    let mut uses: BTreeMap<(String, usize, String, String), PathUse> = BTreeMap::new();
    for service in &inventory.services {
        for deployment in &service.deployments {
            let version = if deployment.golden_path_version.is_empty() {
                service.golden_path_version.clone()
            } else {
                deployment.golden_path_version.clone()
            };
            let newest = inventory
                .golden_paths
                .iter()
                .find(|p| p.name == service.golden_path)
                .is_none_or(|p| p.version == version);
            let entry = uses
                .entry((
                    service.golden_path.clone(),
                    rank(&deployment.environment),
                    deployment.environment.clone(),
                    version.clone(),
                ))
                .or_insert_with(|| PathUse {
                    golden_path: service.golden_path.clone(),
                    version,
                    newest,
                    environment: deployment.environment.clone(),
                    clusters: Vec::new(),
                    services: Vec::new(),
                });
            if !entry.clusters.contains(&deployment.cluster) {
                entry.clusters.push(deployment.cluster.clone());
            }
            if !entry.services.contains(&service.name) {
                entry.services.push(service.name.clone());
            }
        }
    }
    uses.into_values().collect()
}

/// `paved list --paths`.
pub fn paths_text(inventory: &Inventory) -> String {
    let mut rows = vec![vec![
        "GOLDEN PATH".into(),
        "VERSION".into(),
        "ENVIRONMENT".into(),
        "CLUSTERS".into(),
        "SERVICES".into(),
    ]];
    for path_use in path_uses(inventory) {
        let version = if path_use.newest {
            format!("{} (newest)", path_use.version)
        } else {
            path_use.version.clone()
        };
        rows.push(vec![
            path_use.golden_path,
            version,
            path_use.environment,
            path_use.clusters.join(", "),
            path_use.services.join(", "),
        ]);
    }
    for path in &inventory.golden_paths {
        if path.services.is_empty() {
            rows.push(vec![
                path.name.clone(),
                format!("{} (newest)", path.version),
                "-".into(),
                "-".into(),
                "no services yet".into(),
            ]);
        }
    }
    table(&rows)
}

/// `paved show`: everything about one service.
pub fn service_text(service: &ServiceFacts) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} (team {})", service.name, service.team);
    if let Some(description) = &service.description {
        let _ = writeln!(out, "  {description}");
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |label: &str, value: String| {
        if !value.is_empty() {
            rows.push(vec![format!("  {label}"), value]);
        }
    };
    row("intent", service.file.clone());
    row(
        "golden path",
        format!(
            "{} {}",
            service.golden_path,
            path_versions(
                service,
                &service
                    .environments
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            )
        ),
    );
    row("owners", service.owners.join(", "));
    row("group", service.group.clone());
    row("contact", service.contact.clone().unwrap_or_default());
    row("cost centre", service.cost_center.clone());
    row("depends on", service.depends_on.join(", "));
    row("dependents", service.dependents.join(", "));
    row(
        "uses",
        service
            .uses
            .iter()
            .map(|u| {
                let how = match (&u.kind, &u.from, &u.external) {
                    (Some(kind), _, _) => kind.clone(),
                    (None, Some(from), _) => format!("from {from}"),
                    (None, None, Some(key)) => format!("external {key}"),
                    (None, None, None) => "managed".to_owned(),
                };
                format!("{} ({how})", u.name)
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    row("secrets", service.secrets.join(", "));
    row("environments", service.environments.join(" -> "));
    out.push_str(&table(&rows));
    if service.deployments.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nWhat runs where:");
    let mut rows = vec![vec![
        "  CLUSTER".into(),
        "ENV".into(),
        "RELEASE".into(),
        "REPLICAS".into(),
        "REQUESTS".into(),
        "LIMITS".into(),
        "ROUTES / SCHEDULE".into(),
    ]];
    for deployment in &service.deployments {
        let replicas = match (
            deployment.replicas,
            deployment.min_replicas,
            deployment.max_replicas,
        ) {
            (_, Some(min), Some(max)) => format!("{min}-{max} (autoscaled)"),
            (Some(fixed), ..) => fixed.to_string(),
            _ => "-".into(),
        };
        let quantities = |map: &BTreeMap<String, String>| {
            let cpu = map.get("cpu").map_or("-", String::as_str);
            let memory = map.get("memory").map_or("-", String::as_str);
            format!("cpu {cpu}, memory {memory}")
        };
        let reach = match &deployment.schedule {
            Some(schedule) => format!("schedule `{schedule}`"),
            None => deployment.routes.join(", "),
        };
        rows.push(vec![
            format!("  {}", deployment.cluster),
            deployment.environment.clone(),
            release(deployment),
            replicas,
            quantities(&deployment.requests),
            quantities(&deployment.limits),
            reach,
        ]);
    }
    out.push_str(&table(&rows));
    // Objectives and dashboards, once per environment (clusters of one
    // environment share them).
    let mut watched = vec![vec![
        "  ENV".into(),
        "OBJECTIVES".into(),
        "DASHBOARD".into(),
    ]];
    let mut seen = BTreeSet::new();
    for deployment in &service.deployments {
        if deployment.objectives.is_empty() && deployment.dashboard.is_none()
            || !seen.insert(&deployment.environment)
        {
            continue;
        }
        let objectives: Vec<String> = deployment
            .objectives
            .iter()
            .map(|(name, stated)| format!("{name}: {stated}"))
            .collect();
        watched.push(vec![
            format!("  {}", deployment.environment),
            objectives.join("; "),
            deployment.dashboard.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    if watched.len() > 1 {
        let _ = writeln!(out, "\nObjectives and dashboards:");
        out.push_str(&table(&watched));
    }
    let _ = writeln!(
        out,
        "\nRendered into `{}`; `paved explain {} --cluster {}` tells where each value comes from.",
        service.deployments[0].path, service.name, service.deployments[0].cluster
    );
    out
}
