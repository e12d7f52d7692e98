//! Cluster units: each cluster's `_platform` (namespaces, quotas, access,
//! network policy, admission policies) and `_argocd` (projects and
//! applications), rendered from `platform/templates/` and
//! `platform/argocd/` with a context that sees every team and the services
//! it runs in the cluster.

use std::collections::BTreeMap;

use serde_json::Value;

use super::context::{
    ClusterContext, ClusterInfo, ClusterRef, Dependent, EnvironmentRef, QuotaRef, ServiceInCluster,
    TeamInCluster,
};
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
    // Group once: linear in the number of services, whatever the teams.
    let mut by_team: BTreeMap<&str, Vec<ServiceInCluster<'_>>> = BTreeMap::new();
    for r in resolved
        .iter()
        .filter(|r| r.environment.value.name == env.value.name)
    {
        let team = r.service.team.as_str();
        by_team
            .entry(team)
            .or_default()
            .push(service_in_cluster(r, cluster_name));
    }
    let context = skeleton(repo, env, cluster_name, cluster, |team| {
        by_team.remove(team).unwrap_or_default()
    });
    serde_json::to_value(context).expect("the template context serialises")
}

/// What a cluster's own units take of one service running there: its
/// entry among its team's services in [`cluster_context`].
pub fn service_in_cluster<'r>(
    r: &'r resolve::Resolved<'_>,
    cluster_name: &str,
) -> ServiceInCluster<'r> {
    let name = &r.service.value.name;
    let context = &r.context;
    ServiceInCluster {
        name: name.clone(),
        golden_path: r.golden_path.value.name.clone(),
        path: format!("{RENDERED_DIR}/{cluster_name}/{}/{name}", r.service.team),
        selector: &context.selector,
        ports: &context.ports,
        routes: &context.routes,
        // Only callers the service accepts: a path into a team's namespace
        // opens with its consent alone.
        dependents: consented(r),
        metrics: &context.infra.metrics,
    }
}

/// A hash of everything a cluster's own units are rendered from
/// ([`cluster_context`]) but its services, then of each team's services'
/// entries, hashed each (`entries`, by team, in the order of the
/// repository's services: [`service_in_cluster`] hashed): the same for
/// the same context, computed without the services' own contexts.
pub fn context_hash(
    repo: &Repo,
    env: &Entry<crate::input::model::Environment>,
    cluster_name: &str,
    cluster: &Cluster,
    entries: &BTreeMap<&str, Vec<&str>>,
) -> String {
    let context = skeleton(repo, env, cluster_name, cluster, |_| Vec::new());
    let mut hash = crate::support::hash::Fingerprint::default();
    hash.add(&context);
    for team in &repo.teams {
        let name = team.value.name.as_str();
        hash.add_text(name);
        for entry in entries.get(name).into_iter().flatten() {
            hash.add_text(entry);
        }
    }
    hash.finish()
}

/// [`cluster_context`], each team's services given by `services`.
fn skeleton<'a>(
    repo: &'a Repo,
    env: &Entry<crate::input::model::Environment>,
    cluster_name: &str,
    cluster: &Cluster,
    mut services: impl FnMut(&str) -> Vec<ServiceInCluster<'a>>,
) -> ClusterContext<'a> {
    let environment = &env.value;
    let teams = repo
        .teams
        .iter()
        .map(|team| {
            let team = &team.value;
            let quota = team
                .quotas
                .get(&environment.name)
                .unwrap_or(&environment.team_quota);
            TeamInCluster {
                name: team.name.clone(),
                namespace: team.name.clone(),
                description: team.description.clone(),
                group: team.group.clone(),
                owners: team.owners.clone(),
                cost_center: team.cost_center.clone(),
                quota: QuotaRef {
                    cpu: quota.cpu.as_text(),
                    memory: quota.memory.as_text(),
                    pods: quota.pods,
                },
                services: services(&team.name),
            }
        })
        .collect();
    ClusterContext {
        platform: &repo.platform.value,
        environment: EnvironmentRef::of(environment),
        cluster: ClusterInfo {
            cluster: ClusterRef {
                name: cluster_name.to_owned(),
                region: cluster.region.clone(),
                server: cluster.server.clone(),
            },
            platform_path: format!("{RENDERED_DIR}/{cluster_name}/{PLATFORM_UNIT}"),
            argocd_path: format!("{RENDERED_DIR}/{ARGOCD_DIR}/{cluster_name}"),
        },
        teams,
    }
}

/// The services that call `resolved` and that it accepts as callers.
fn consented<'r>(resolved: &'r resolve::Resolved<'_>) -> Vec<&'r Dependent> {
    resolved
        .context
        .dependents
        .iter()
        .filter(|dependent| {
            crate::input::consent::accepts(resolved.service, &dependent.name, &dependent.namespace)
        })
        .collect()
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
    let what = format!("`{}` for cluster `{cluster_name}`", templates_dir(set));
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
    (
        Some(cluster_unit(set, env, cluster_name, resources)),
        diagnostics,
    )
}

/// Where a cluster-level unit's templates are.
fn templates_dir(set: &TemplateSet) -> &'static str {
    match set {
        TemplateSet::ArgoCd => load::ARGOCD_TEMPLATES,
        _ => load::PLATFORM_TEMPLATES,
    }
}

/// What a cluster-level unit of `set` in `env` is rendered from, as its
/// header names it.
pub fn cluster_origin(set: &TemplateSet, env: &Entry<crate::input::model::Environment>) -> String {
    format!(
        "{}, {} and {}",
        templates_dir(set),
        load::PLATFORM_FILE,
        env.file.path
    )
}

/// The cluster-level unit of `set` in `cluster_name` holding `resources`.
fn cluster_unit(
    set: &TemplateSet,
    env: &Entry<crate::input::model::Environment>,
    cluster_name: &str,
    resources: Vec<super::template::Resource>,
) -> RenderedUnit {
    let environment = env.value.name.clone();
    let kind = match set {
        TemplateSet::ArgoCd => UnitKind::ArgoCd { environment },
        _ => UnitKind::Platform { environment },
    };
    RenderedUnit {
        kind,
        cluster: cluster_name.to_owned(),
        path: cluster_unit_path(set, cluster_name),
        resources: std::sync::Arc::new(resources),
        origin: cluster_origin(set, env),
        templates: set.clone(),
        values: None,
        text: None,
        summarised: None,
        compacted: false,
        placed: false,
    }
}
