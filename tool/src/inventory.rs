//! The inventory: what the organisation runs, service by service, as facts
//! people ask about. Who owns it and how to reach them, which golden path
//! and version it follows, what it depends on and what depends on it, what
//! it uses, and, cluster by cluster, what actually runs there: the image,
//! replicas or autoscaling range, requests and limits, routes, schedule.
//!
//! Built from the validated inputs and the rendered tree (after patches,
//! so it tells what Argo CD will apply, not what an intent hoped for).
//! `paved list` and `paved show` print it; the catalog, the portal,
//! scorecards and cost read it. Pure: no I/O (but for
//! [`Inventory::find_docs`], which asks a source whether files exist).

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::input::repo::Repo;
use crate::render::{Rendered, RenderedUnit, UnitKind};
use crate::support::kube::pod_template_pointer;
use crate::support::text::glob;

/// Everything the inventory knows, sorted by name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    pub services: Vec<ServiceFacts>,
    pub teams: Vec<TeamFacts>,
    pub golden_paths: Vec<GoldenPathFacts>,
    pub environments: Vec<EnvironmentFacts>,
}

/// One service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceFacts {
    pub name: String,
    pub team: String,
    pub description: Option<String>,
    /// The intent, relative to the repository root.
    pub file: String,
    pub golden_path: String,
    pub golden_path_version: String,
    /// The owning team's owners, contact and identity group.
    pub owners: Vec<String>,
    pub contact: Option<String>,
    pub group: String,
    pub cost_center: String,
    /// Services it calls (`dependsOn`), in any environment.
    pub depends_on: Vec<String>,
    /// Services that call it.
    pub dependents: Vec<String>,
    /// Managed resources it uses, by name.
    pub uses: Vec<ManagedFacts>,
    /// Environment variables read from the secret store (names only).
    pub secrets: Vec<String>,
    /// Environments it runs in, in promotion order where one exists.
    pub environments: Vec<String>,
    /// What runs, cluster by cluster.
    pub deployments: Vec<DeploymentFacts>,
    /// Whether the intent says what it calls (`dependsOn`, at any layer,
    /// an empty list included).
    pub declares_dependencies: bool,
    /// Escape hatches: the intent's patches and what they touch.
    pub patches: Vec<PatchFacts>,
    /// Policy exceptions (`policies/exceptions.yaml`) that cover any of its
    /// resources, expired or not.
    pub exceptions: Vec<ExceptionFacts>,
    /// Its page of documentation (`teams/<team>/docs/<service>.md`), when
    /// [`Inventory::find_docs`] found one.
    pub docs: Option<String>,
}

/// One patch of a service's intent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchFacts {
    /// The resource it targets, as `Kind/name` (`Kind/*` for every
    /// resource of the kind).
    pub target: String,
    /// Only in these environments (every one when empty).
    pub environments: Vec<String>,
    /// Its operations, as `op path`.
    pub operations: Vec<String>,
}

/// A policy exception that covers a service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionFacts {
    pub rule: String,
    pub owner: String,
    /// The last day it applies, `YYYY-MM-DD`.
    pub expires: String,
}

/// A managed resource a service uses.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFacts {
    pub name: String,
    /// Its resource class (`postgres`, ...), when the service claims it.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The service of the same team whose resource it shares.
    pub from: Option<String>,
    /// The secret-store key of a resource provisioned outside the platform.
    pub external: Option<String>,
}

/// What a service runs in one cluster, read from its rendered manifests.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentFacts {
    pub environment: String,
    pub cluster: String,
    /// The unit's directory under `rendered/`.
    pub path: String,
    /// The version of the golden path rendered here (an environment may
    /// pin an older one than the newest).
    pub golden_path_version: String,
    /// The Argo CD Application that syncs it, in the cluster's Argo CD.
    pub argocd_app: String,
    /// The workload's kind (`Deployment`, `CronJob`, ...).
    pub workload: Option<String>,
    /// The image reference as rendered, and its parts.
    pub image: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Fixed replicas, when not autoscaled.
    pub replicas: Option<u64>,
    /// Autoscaling range, when autoscaled.
    pub min_replicas: Option<u64>,
    pub max_replicas: Option<u64>,
    /// The main container's requests and limits (`cpu`, `memory`).
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
    /// The main container's probes: `readiness`, `liveness`, `startup`.
    pub probes: Vec<String>,
    /// Every container of the pod, init containers too, with what each
    /// requests (what cost estimates add up).
    pub containers: Vec<ContainerFacts>,
    /// Routes as `host/path`.
    pub routes: Vec<String>,
    /// A scheduled job's schedule.
    pub schedule: Option<String>,
    /// Every rendered resource, as `Kind/name`.
    pub resources: Vec<String>,
    /// Its service-level objectives here, by name (`availability`), each
    /// as its alerts state it (`99.95% succeed over 30d`).
    pub objectives: BTreeMap<String, String>,
    /// Its Grafana dashboard's path (`/d/ledger`), as its alerts link it.
    pub dashboard: Option<String>,
}

/// One container of a workload's pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerFacts {
    pub name: String,
    /// An init container (it runs before the others).
    pub init: bool,
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

/// One team.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamFacts {
    pub name: String,
    pub description: Option<String>,
    pub owners: Vec<String>,
    pub contact: Option<String>,
    pub group: String,
    pub cost_center: String,
    pub services: Vec<String>,
    /// The team's quota in each environment.
    pub quotas: BTreeMap<String, QuotaFacts>,
    /// What the team's services may cost a month (`monthlyBudget`), in the
    /// platform's cost currency.
    pub monthly_budget: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaFacts {
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
}

/// One golden path and who follows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GoldenPathFacts {
    pub name: String,
    pub description: String,
    pub version: String,
    pub owner: String,
    pub services: Vec<String>,
    /// Older versions kept for environments that pin them, oldest first.
    pub older_versions: Vec<String>,
}

/// One environment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentFacts {
    pub name: String,
    pub promotes_from: Option<String>,
    pub production: bool,
    pub clusters: Vec<String>,
}

impl Inventory {
    pub fn service(&self, name: &str) -> Option<&ServiceFacts> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn team(&self, name: &str) -> Option<&TeamFacts> {
        self.teams.iter().find(|t| t.name == name)
    }

    /// Fills in each service's page of documentation: the one step that
    /// looks at `source` (whether `teams/<team>/docs/<service>.md` exists).
    pub fn find_docs(&mut self, source: &dyn crate::input::source::Source) {
        for service in &mut self.services {
            let path = docs_path(&service.team, &service.name);
            service.docs = source.exists(&path).then_some(path);
        }
    }
}

/// Where a service's documentation lives.
pub fn docs_path(team: &str, service: &str) -> String {
    format!("{}/{team}/docs/{service}.md", crate::input::load::TEAMS_DIR)
}

fn covers(patterns: Option<&Vec<String>>, value: &str) -> bool {
    patterns.is_none_or(|patterns| patterns.iter().any(|p| glob(p, value)))
}

/// The exceptions that cover any resource `service` renders.
fn exceptions_of(repo: &Repo, team: &str, deployments: &[DeploymentFacts]) -> Vec<ExceptionFacts> {
    let Some(entry) = &repo.exceptions else {
        return Vec::new();
    };
    entry
        .value
        .exceptions
        .iter()
        .filter(|exception| {
            covers(exception.namespaces.as_ref(), team)
                && deployments.iter().any(|deployment| {
                    covers(exception.clusters.as_ref(), &deployment.cluster)
                        && deployment.resources.iter().any(|resource| {
                            let name = resource
                                .split_once('/')
                                .map_or(resource.as_str(), |(_, n)| n);
                            covers(exception.names.as_ref(), name)
                        })
                })
        })
        .map(|exception| ExceptionFacts {
            rule: exception.rule.clone(),
            owner: exception.owner.clone(),
            expires: exception.expires.clone(),
        })
        .collect()
}

/// The inventory of `repo` as rendered in `rendered`.
pub fn build(repo: &Repo, rendered: &Rendered) -> Inventory {
    assemble(repo, deployed(repo, rendered), false)
}

/// What each service unit of `rendered` runs, by service: the part of an
/// inventory a part of a render gives (a cluster's units, while their
/// resources are in memory), for [`assemble`].
pub fn deployed(repo: &Repo, rendered: &Rendered) -> Vec<(String, DeploymentFacts)> {
    // Each unit's facts are independent: read in parallel, kept in order.
    rendered
        .units
        .par_iter()
        .filter_map(|unit| match &unit.kind {
            UnitKind::Service {
                service,
                environment,
                ..
            } => Some((
                service.clone(),
                deployment(repo, unit, service, environment),
            )),
            _ => None,
        })
        .collect()
}

/// The inventory of `repo` whose units run what `deployed` says (from
/// every part of a render, in any order), of every service or
/// (`only_deployed`) of those with a unit among them.
pub fn assemble(
    repo: &Repo,
    deployed: impl IntoIterator<Item = (String, DeploymentFacts)>,
    only_deployed: bool,
) -> Inventory {
    let order = repo.promotion_order();
    let rank = |env: &str| order.iter().position(|e| *e == env).unwrap_or(usize::MAX);
    let mut deployments: BTreeMap<String, Vec<DeploymentFacts>> = BTreeMap::new();
    for (service, facts) in deployed {
        deployments.entry(service).or_default().push(facts);
    }
    let mut dependents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut depends_on: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for service in &repo.services {
        let specs = std::iter::once(&service.value.spec).chain(service.value.environments.values());
        for spec in specs {
            for target in spec.depends_on.iter().flatten() {
                depends_on
                    .entry(service.value.name.as_str())
                    .or_default()
                    .insert(target.as_str());
                dependents
                    .entry(target.as_str())
                    .or_default()
                    .insert(service.value.name.as_str());
            }
        }
    }
    let listed: Vec<_> = repo
        .services
        .iter()
        .filter(|entry| !only_deployed || deployments.contains_key(entry.value.name.as_str()))
        .collect();
    let services = listed
        .into_iter()
        .map(|entry| {
            let service = &entry.value;
            let team = repo.team(&entry.team);
            let golden_path = repo.golden_paths.get(&service.golden_path);
            let specs: Vec<&crate::input::model::Spec> = std::iter::once(&service.spec)
                .chain(service.environments.values())
                .collect();
            let mut uses: Vec<ManagedFacts> = specs
                .iter()
                .flat_map(|spec| spec.uses.iter().flatten())
                .map(|(name, used)| ManagedFacts {
                    name: name.clone(),
                    kind: used.kind.clone(),
                    from: used.from.clone(),
                    external: used.external.as_ref().map(|e| e.secret_key.clone()),
                })
                .collect();
            // The service's own entry first; overrides only refine it.
            uses.sort_by(|a, b| a.name.cmp(&b.name));
            uses.dedup_by(|later, first| later.name == first.name);
            let secrets: BTreeSet<String> = specs
                .iter()
                .flat_map(|spec| spec.secrets.iter().flatten())
                .map(|(name, _)| name.clone())
                .collect();
            let mut environments: Vec<String> = service.environments.keys().cloned().collect();
            environments.sort_by_key(|env| (rank(env), env.clone()));
            let mut deployed = deployments.remove(&service.name).unwrap_or_default();
            deployed.sort_by(|a, b| {
                (rank(&a.environment), &a.cluster).cmp(&(rank(&b.environment), &b.cluster))
            });
            let names = |set: Option<&BTreeSet<&str>>| -> Vec<String> {
                set.into_iter().flatten().map(|s| (*s).to_owned()).collect()
            };
            let exceptions = exceptions_of(repo, &entry.team, &deployed);
            let declares_dependencies = specs.iter().any(|spec| spec.depends_on.is_some());
            let patches = service
                .patches
                .iter()
                .map(|patch| PatchFacts {
                    target: format!(
                        "{}/{}",
                        patch.target.kind,
                        patch.target.name.as_deref().unwrap_or("*")
                    ),
                    environments: patch.environments.clone().unwrap_or_default(),
                    operations: patch
                        .operations
                        .iter()
                        .map(|op| {
                            let name = serde_json::to_value(op.op)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default();
                            format!("{name} {}", op.path)
                        })
                        .collect(),
                })
                .collect();
            ServiceFacts {
                name: service.name.clone(),
                team: entry.team.clone(),
                description: service.description.clone(),
                file: entry.file.path.clone(),
                golden_path: service.golden_path.clone(),
                golden_path_version: golden_path
                    .map(|g| g.value.version.clone())
                    .unwrap_or_default(),
                owners: team.map(|t| t.value.owners.clone()).unwrap_or_default(),
                contact: team.and_then(|t| t.value.contact.clone()),
                group: team.map(|t| t.value.group.clone()).unwrap_or_default(),
                cost_center: team
                    .map(|t| t.value.cost_center.clone())
                    .unwrap_or_default(),
                depends_on: names(depends_on.get(service.name.as_str())),
                dependents: names(dependents.get(service.name.as_str())),
                uses,
                secrets: secrets.into_iter().collect(),
                environments,
                deployments: deployed,
                declares_dependencies,
                patches,
                exceptions,
                docs: None,
            }
        })
        .collect();
    let teams = repo
        .teams
        .iter()
        .map(|team| {
            let team = &team.value;
            let quotas = repo
                .environments
                .iter()
                .map(|env| {
                    let quota = team
                        .quotas
                        .get(&env.value.name)
                        .unwrap_or(&env.value.team_quota);
                    (
                        env.value.name.clone(),
                        QuotaFacts {
                            cpu: quota.cpu.as_text(),
                            memory: quota.memory.as_text(),
                            pods: quota.pods,
                        },
                    )
                })
                .collect();
            TeamFacts {
                name: team.name.clone(),
                description: team.description.clone(),
                owners: team.owners.clone(),
                contact: team.contact.clone(),
                group: team.group.clone(),
                cost_center: team.cost_center.clone(),
                services: repo
                    .services
                    .iter()
                    .filter(|s| s.team == team.name)
                    .map(|s| s.value.name.clone())
                    .collect(),
                quotas,
                monthly_budget: team.monthly_budget,
            }
        })
        .collect();
    let golden_paths = repo
        .golden_paths
        .values()
        .map(|path| GoldenPathFacts {
            name: path.value.name.clone(),
            description: path.value.description.clone(),
            version: path.value.version.clone(),
            owner: path.value.owner.clone(),
            services: repo
                .services
                .iter()
                .filter(|s| s.value.golden_path == path.value.name)
                .map(|s| s.value.name.clone())
                .collect(),
            older_versions: path.versions.keys().cloned().collect(),
        })
        .collect();
    let mut environments: Vec<EnvironmentFacts> = repo
        .environments
        .iter()
        .map(|env| EnvironmentFacts {
            name: env.value.name.clone(),
            promotes_from: env.value.promotes_from.clone(),
            production: env.value.production,
            clusters: env.value.clusters.keys().cloned().collect(),
        })
        .collect();
    environments.sort_by_key(|env| rank(&env.name));
    Inventory {
        services,
        teams,
        golden_paths,
        environments,
    }
}

/// What one service unit runs, from its rendered resources.
fn deployment(
    repo: &Repo,
    unit: &RenderedUnit,
    service: &str,
    environment: &str,
) -> DeploymentFacts {
    let golden_path_version = repo
        .service(service)
        .and_then(|entry| repo.golden_path_for(&entry.value.golden_path, environment))
        .map(|path| path.value.version.clone())
        .unwrap_or_default();
    let find = |kinds: &[&str]| {
        unit.resources
            .iter()
            .find(|r| kinds.contains(&r.kind()))
            .map(|r| &r.value)
    };
    let workload = unit
        .resources
        .iter()
        .find(|r| pod_template_pointer(r.kind()).is_some());
    let container = workload.and_then(|w| {
        w.value
            .pointer(&format!(
                "{}/spec/containers/0",
                pod_template_pointer(w.kind()).unwrap_or_default()
            ))
            .cloned()
    });
    let image = container
        .as_ref()
        .and_then(|c| c["image"].as_str())
        .map(str::to_owned);
    let pod_spec = workload.and_then(|w| {
        w.value.pointer(&format!(
            "{}/spec",
            pod_template_pointer(w.kind()).unwrap_or_default()
        ))
    });
    let containers: Vec<ContainerFacts> = [("initContainers", true), ("containers", false)]
        .into_iter()
        .flat_map(|(list, init)| {
            pod_spec
                .and_then(|spec| spec[list].as_array())
                .into_iter()
                .flatten()
                .map(move |c| ContainerFacts {
                    name: c["name"].as_str().unwrap_or_default().to_owned(),
                    init,
                    requests: quantity_map(&c["resources"]["requests"]),
                    limits: quantity_map(&c["resources"]["limits"]),
                })
        })
        .collect();
    let probes = ["readiness", "liveness", "startup"]
        .into_iter()
        .filter(|probe| {
            container
                .as_ref()
                .is_some_and(|c| c.get(format!("{probe}Probe")).is_some_and(|p| !p.is_null()))
        })
        .map(str::to_owned)
        .collect();
    let (tag, digest) = image.as_deref().map(image_parts).unwrap_or_default();
    let quantities = |field: &str| -> BTreeMap<String, String> {
        container
            .as_ref()
            .and_then(|c| c["resources"][field].as_object())
            .into_iter()
            .flatten()
            .map(|(name, value)| {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (name.clone(), text)
            })
            .collect()
    };
    let autoscaler = find(&["HorizontalPodAutoscaler"]);
    let routes = unit
        .resources
        .iter()
        .filter(|r| r.kind() == "Ingress")
        .flat_map(|r| {
            r.value["spec"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|rule| {
            let host = rule["host"].as_str().unwrap_or_default().to_owned();
            rule["http"]["paths"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |path| format!("{host}{}", path["path"].as_str().unwrap_or("/")))
        })
        .collect();
    let (objectives, dashboard) = slo_facts(unit);
    DeploymentFacts {
        environment: environment.to_owned(),
        cluster: unit.cluster.clone(),
        path: unit
            .path
            .rsplit_once('/')
            .map_or(unit.path.clone(), |(dir, _)| format!("rendered/{dir}")),
        golden_path_version,
        argocd_app: service.to_owned(),
        workload: workload.map(|w| w.kind().to_owned()),
        image,
        tag,
        digest,
        replicas: match autoscaler {
            Some(_) => None,
            None => workload.and_then(|w| w.value["spec"]["replicas"].as_u64()),
        },
        min_replicas: autoscaler.and_then(|h| h["spec"]["minReplicas"].as_u64()),
        max_replicas: autoscaler.and_then(|h| h["spec"]["maxReplicas"].as_u64()),
        requests: quantities("requests"),
        limits: quantities("limits"),
        probes,
        containers,
        routes,
        schedule: find(&["CronJob"])
            .and_then(|c| c["spec"]["schedule"].as_str().map(str::to_owned)),
        resources: unit
            .resources
            .iter()
            .map(|r| format!("{}/{}", r.kind(), r.name()))
            .collect(),
        objectives: objectives.into_iter().collect(),
        dashboard,
    }
}

/// The objectives a unit's PrometheusRules alert on (the `slo` label and
/// the `Objective: …` description), and the dashboard they link.
fn slo_facts(unit: &RenderedUnit) -> (BTreeMap<String, String>, Option<String>) {
    let mut objectives = BTreeMap::new();
    let mut dashboard = None;
    let rules = unit
        .resources
        .iter()
        .filter(|r| r.kind() == "PrometheusRule");
    for rule in rules.flat_map(|r| r.value["spec"]["groups"].as_array().into_iter().flatten()) {
        for alert in rule["rules"].as_array().into_iter().flatten() {
            let (Some(slo), Some(text)) = (
                alert["labels"]["slo"].as_str(),
                alert["annotations"]["description"].as_str(),
            ) else {
                continue;
            };
            let stated = text.strip_prefix("Objective: ").unwrap_or(text);
            let stated = stated.split(". ").next().unwrap_or(stated);
            objectives
                .entry(slo.to_owned())
                .or_insert_with(|| stated.trim_end_matches('.').to_owned());
            if dashboard.is_none() {
                dashboard = alert["annotations"]["dashboard"]
                    .as_str()
                    .map(str::to_owned);
            }
        }
    }
    (objectives, dashboard)
}

/// Quantities as text, by resource name.
fn quantity_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

/// The tag and digest of an image reference (`repo:tag@sha256:...`).
pub fn image_parts(image: &str) -> (Option<String>, Option<String>) {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_owned())),
        None => (image, None),
    };
    // A tag follows the last `:` after the last `/` (a registry may have a port).
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, tag)| tag.to_owned());
    (tag, digest)
}
