//! Cluster units: each cluster's `_platform` (namespaces, quotas, access,
//! network policy, admission policies) and `_argocd` (projects and
//! applications), rendered from `platform/templates/` and
//! `platform/argocd/` with a context that sees every team and the services
//! it runs in the cluster.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::postprocess::{self, attribute_platform_labels, standard_labels};
use super::resolve;
use super::template::Engine;
use super::unit::{
    ARGOCD_DIR, PLATFORM_UNIT, RENDERED_DIR, RenderedUnit, TemplateSet, UnitKind, cluster_unit_path,
};
use crate::diagnostic::{self, Diagnostic};
use crate::input::load;
use crate::input::model::Cluster;
use crate::input::repo::{Entry, Repo};

/// What cluster-level templates (`platform/templates/`, `platform/argocd/`)
/// see: the platform, the environment and cluster, every team with its
/// quota here and the services it runs here (with their routes, ports and
/// the services that call them).
pub fn cluster_context(
    repo: &Repo,
    resolved: &[resolve::Resolved<'_>],
    env: &Entry<crate::input::model::Environment>,
    cluster_name: &str,
    cluster: &Cluster,
) -> Value {
    let environment = &env.value;
    // Group once: linear in the number of services, whatever the teams.
    let mut by_team: BTreeMap<&str, Vec<&resolve::Resolved<'_>>> = BTreeMap::new();
    for r in resolved
        .iter()
        .filter(|r| r.environment.value.name == environment.name)
    {
        by_team.entry(r.service.team.as_str()).or_default().push(r);
    }
    let teams: Vec<Value> = repo
        .teams
        .iter()
        .map(|team| {
            let quota = team.value.quotas.get(&environment.name).unwrap_or(&environment.team_quota);
            let services: Vec<Value> = by_team
                .get(team.value.name.as_str())
                .into_iter()
                .flatten()
                .map(|r| {
                    let name = &r.service.value.name;
                    json!({
                        "name": name,
                        "goldenPath": r.golden_path.value.name,
                        "path": format!("{RENDERED_DIR}/{cluster_name}/{}/{name}", team.value.name),
                        "selector": r.context["selector"],
                        "ports": r.context["ports"],
                        "routes": r.context["routes"],
                        "dependents": r.context["dependents"],
                        "metrics": r.context["metrics"],
                    })
                })
                .collect();
            json!({
                "name": team.value.name,
                "namespace": team.value.name,
                "description": team.value.description,
                "group": team.value.group,
                "owners": team.value.owners,
                "costCenter": team.value.cost_center,
                "quota": {"cpu": quota.cpu.as_text(), "memory": quota.memory.as_text(), "pods": quota.pods},
                "services": services,
            })
        })
        .collect();
    json!({
        "platform": repo.platform.value,
        "environment": {
            "name": environment.name,
            "highAvailability": environment.high_availability,
            "sync": environment.sync,
        },
        "cluster": {
            "name": cluster_name,
            "region": cluster.region,
            "server": cluster.server,
            "platformPath": format!("{RENDERED_DIR}/{cluster_name}/{PLATFORM_UNIT}"),
            "argocdPath": format!("{RENDERED_DIR}/{ARGOCD_DIR}/{cluster_name}"),
        },
        "teams": teams,
    })
}

/// Renders one cluster-level unit: `_platform` or `_argocd`.
pub fn render_cluster_unit(
    repo: &Repo,
    set: &TemplateSet,
    engine: &Engine,
    env: &Entry<crate::input::model::Environment>,
    cluster_name: &str,
    context: Value,
) -> (Option<RenderedUnit>, Vec<Diagnostic>) {
    let environment = env.value.name.clone();
    let path = cluster_unit_path(set, cluster_name);
    let (kind, templates) = match set {
        TemplateSet::ArgoCd => (
            UnitKind::ArgoCd {
                environment: environment.clone(),
            },
            load::ARGOCD_TEMPLATES,
        ),
        _ => (
            UnitKind::Platform {
                environment: environment.clone(),
            },
            load::PLATFORM_TEMPLATES,
        ),
    };
    let what = format!("`{templates}` for cluster `{cluster_name}`");
    let (mut resources, diagnostics) = engine.render(context, &what);
    if diagnostic::has_errors(&diagnostics) {
        return (None, diagnostics);
    }
    // Gatekeeper's copies of the admission policies (`policy::gatekeeper`).
    if matches!(set, TemplateSet::Platform) {
        match super::gatekeeper::platform_resources(repo, &env.value, cluster_name) {
            Ok(admission) => resources.extend(admission),
            Err(errors) => return (None, errors),
        }
        // The resource classes' XRDs and Compositions (`crossplane`).
        resources.extend(super::crossplane::platform_resources(repo, &env.value));
    }
    postprocess::finish(
        &mut resources,
        &standard_labels(repo, &environment),
        &BTreeMap::new(),
    );
    attribute_platform_labels(repo, &mut resources);
    let unit = RenderedUnit {
        kind,
        cluster: cluster_name.to_owned(),
        path,
        resources,
        origin: format!("{templates}, {} and {}", load::PLATFORM_FILE, env.file.path),
        templates: set.clone(),
        values: None,
    };
    (Some(unit), diagnostics)
}
