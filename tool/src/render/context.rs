//! The template context: what golden-path templates
//! (`golden-paths/<path>/templates/`) and the platform's cluster templates
//! (`platform/templates/`, `platform/argocd/`) see. This is the platform's
//! most important API, defined here once: templates are written against
//! these fields, `paved golden-path test` renders them, and
//! `docs/golden-path-authoring.md` is generated from these types and their
//! documentation (their JSON Schema), so every field has one definition.
//!
//! Field names are as templates spell them (camelCase). Pure data: built by
//! `resolve` (service units) and `cluster` (cluster units).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::infra::Infra;
use crate::input::model::{
    Autoscaling, Environment, IngressSettings, Platform, Port, SecretStore, SyncPolicy, Team,
};
use crate::input::schema::generate;

/// What a service unit's templates see: one service in one environment,
/// rendered for one cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnitContext<'a> {
    #[serde(flatten)]
    pub service: &'a ServiceContext,
    /// The cluster this unit is rendered for.
    pub cluster: ClusterRef,
}

/// What a service's templates see in one environment, whatever the
/// cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceContext {
    /// The service itself.
    pub service: ServiceRef,
    /// The team that owns the service, as its `teams/<team>/team.yaml`
    /// says.
    pub team: Option<Team>,
    /// The environment being rendered.
    pub environment: EnvironmentRef,
    /// The platform settings templates may use.
    pub platform: PlatformRef,
    /// The service's spec after layering (platform defaults, golden-path
    /// defaults, environment defaults, the service, its environment
    /// overrides): every field of `schemas/service.json`'s spec, as set.
    #[schemars(with = "BTreeMap<String, Value>")]
    pub spec: std::sync::Arc<Value>,
    /// The golden path's `params`, checked against the path's params
    /// schema (`{}` when none are set).
    #[schemars(with = "BTreeMap<String, Value>")]
    pub params: Value,
    /// The image to run: `repository:tag`, or `repository@sha256:…` when a
    /// digest is pinned.
    pub image: Option<String>,
    /// The version label: the tag, or `sha256-` and the digest's first 12
    /// hexadecimal digits.
    pub version: Option<String>,
    /// Requests and limits, from the size preset and explicit `resources`.
    pub resources: Resources,
    /// Fixed replicas; unset when the service autoscales.
    pub replicas: Option<u32>,
    /// The autoscaling range, when the service autoscales.
    pub autoscaling: Option<Autoscaling>,
    /// Every port, in name order.
    pub ports: Vec<PortRef>,
    /// Port numbers by name (`portNumbers.http`).
    pub port_numbers: BTreeMap<String, u16>,
    /// The distinct hosts of the service's routes, sorted.
    pub route_hosts: BTreeSet<String>,
    /// The port routes and probes use when they name none: `http`, else
    /// the only port besides the one metrics are served on.
    pub port: Option<String>,
    /// Every route, in name order.
    pub routes: Vec<RouteRef>,
    /// Readiness and liveness probes, when the service has them.
    pub health: Option<HealthRef>,
    /// Plain environment variables (they go to a ConfigMap), in name order.
    pub env: Vec<EnvVar>,
    /// Environment variables read from the secret store (they go to an
    /// ExternalSecret), in name order.
    pub secrets: Vec<SecretRef>,
    /// Files mounted into the container, in name order.
    pub files: Vec<FileRef>,
    /// The container's command, when set.
    pub command: Option<Vec<String>>,
    /// The container's arguments, when set.
    pub args: Option<Vec<String>>,
    /// Whether the pod mounts a service-account token.
    pub service_account_token: bool,
    /// The services this one calls (`dependsOn`) that run in this
    /// environment, with the ports they listen on.
    pub dependencies: Vec<Dependency>,
    /// The services in this environment that call this one.
    pub dependents: Vec<Dependent>,
    /// The pod labels that select the service's pods.
    pub selector: BTreeMap<String, String>,
    /// Managed resources, metrics, objectives and the dashboard.
    #[serde(flatten)]
    pub infra: Infra,
}

/// The service being rendered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRef {
    /// Its name, unique in the organisation.
    pub name: String,
    /// What it does, as its intent says.
    pub description: Option<String>,
    /// The team that owns it.
    pub team: String,
    /// The namespace it runs in: its team's.
    pub namespace: String,
    /// The golden path it follows.
    pub golden_path: String,
    /// The version of that golden path.
    pub golden_path_version: String,
    /// Its intent, relative to the repository root.
    pub file: String,
}

/// The environment being rendered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRef {
    /// Its name (`dev`, `prod`).
    pub name: String,
    /// Whether services must keep at least two replicas here.
    pub high_availability: bool,
    /// How Argo CD syncs it.
    pub sync: SyncPolicy,
}

impl EnvironmentRef {
    pub fn of(environment: &Environment) -> Self {
        EnvironmentRef {
            name: environment.name.clone(),
            high_availability: environment.high_availability,
            sync: environment.sync,
        }
    }
}

/// The platform settings a service's templates may use.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformRef {
    /// The organisation's name.
    pub organization: String,
    /// The External Secrets store services read secrets from.
    pub secret_store: SecretStore,
    /// The ingress controller and its settings.
    pub ingress: IngressSettings,
}

/// The cluster a unit is rendered for.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRef {
    /// Its name (`prod-eu-west-1`).
    pub name: String,
    /// Its region.
    pub region: String,
    /// Its API server's address.
    pub server: String,
}

/// Requests and limits of the main container; each quantity as written
/// (`250m`, `512Mi`).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: Quantities,
    /// The most the container may use; memory's defaults to the request.
    pub limits: Quantities,
}

/// CPU, memory and ephemeral storage, each when known.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Quantities {
    /// CPU (`250m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory (`512Mi`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Ephemeral storage, from the size preset.
    #[serde(rename = "ephemeral-storage", skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<String>,
}

/// A named port.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PortRef {
    /// Its name (`http`, `grpc`, `metrics`).
    pub name: String,
    /// Its number.
    pub port: u16,
}

impl PortRef {
    /// Every port of a service, in name order.
    pub fn all(ports: &BTreeMap<String, Port>) -> Vec<PortRef> {
        ports
            .iter()
            .map(|(name, port)| PortRef {
                name: name.clone(),
                port: port.0,
            })
            .collect()
    }
}

/// A route from outside the cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RouteRef {
    /// The route's name, as the intent keys it.
    pub name: String,
    /// The host name.
    pub host: String,
    /// The path prefix.
    pub path: String,
    /// The port it reaches; unset only when the service has no default
    /// port (an error is reported then).
    pub port: Option<String>,
}

/// Readiness and liveness probes over HTTP.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HealthRef {
    /// The readiness probe's path.
    pub readiness: Option<String>,
    /// The liveness probe's path.
    pub liveness: Option<String>,
    /// The port both probes use.
    pub port: Option<String>,
}

/// A plain environment variable.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// Its value, as text.
    pub value: String,
}

/// An environment variable read from the secret store.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SecretRef {
    /// The variable's name.
    pub name: String,
    /// The secret store's key (under the team's prefix).
    pub key: String,
    /// The property of that key, when the key holds several.
    pub property: Option<String>,
}

/// A file mounted into the container.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FileRef {
    /// The file's name in the mounted directory.
    pub name: String,
    /// Its content.
    pub content: String,
}

/// A service this one calls.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Dependency {
    /// Its name.
    pub name: String,
    /// Its namespace (its team's).
    pub namespace: String,
    /// The ports it listens on in this environment.
    pub ports: Vec<PortRef>,
}

/// A service that calls this one.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Dependent {
    /// Its name.
    pub name: String,
    /// Its namespace (its team's).
    pub namespace: String,
}

/// What the cluster templates (`platform/templates/`, `platform/argocd/`)
/// see: one cluster, every team, and what each team runs there.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterContext<'a> {
    /// The whole of `platform/platform.yaml`.
    pub platform: &'a Platform,
    /// The cluster's environment.
    pub environment: EnvironmentRef,
    /// The cluster.
    pub cluster: ClusterInfo,
    /// Every team, in name order, whether or not it runs anything here.
    pub teams: Vec<TeamInCluster<'a>>,
}

/// The cluster, with where its units are rendered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    #[serde(flatten)]
    pub cluster: ClusterRef,
    /// The `_platform` unit's directory (`rendered/<cluster>/_platform`).
    pub platform_path: String,
    /// The `_argocd` unit's directory (`rendered/_argocd/<cluster>`).
    pub argocd_path: String,
}

/// A team, its quota in this environment and the services it runs in the
/// cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamInCluster<'a> {
    /// Its name.
    pub name: String,
    /// Its namespace (its name).
    pub namespace: String,
    /// What it does, as its team file says.
    pub description: Option<String>,
    /// The identity-provider group that gets `edit` in the namespace.
    pub group: String,
    /// The people who own it.
    pub owners: Vec<String>,
    /// Its cost centre.
    pub cost_center: String,
    /// Its resource quota in this environment.
    pub quota: QuotaRef,
    /// The services it runs in this cluster, in name order.
    pub services: Vec<ServiceInCluster<'a>>,
}

/// A team's quota, each quantity as written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QuotaRef {
    /// Total CPU requests.
    pub cpu: String,
    /// Total memory requests (and limits).
    pub memory: String,
    /// Most pods at once.
    pub pods: u32,
}

/// One service a team runs in the cluster.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInCluster<'a> {
    /// Its name.
    pub name: String,
    /// The golden path it follows.
    pub golden_path: String,
    /// Its unit's directory (`rendered/<cluster>/<team>/<service>`).
    pub path: String,
    /// As in its own context.
    pub selector: &'a BTreeMap<String, String>,
    /// Its ports, as in its own context.
    pub ports: &'a [PortRef],
    /// Its routes, as in its own context.
    pub routes: &'a [RouteRef],
    /// Only the callers the service accepts (`callers`).
    pub dependents: Vec<&'a Dependent>,
    /// Where Prometheus scrapes it, as in its own context.
    pub metrics: &'a Option<super::infra::MetricsEndpoint>,
}

/// Where the golden-path authors' reference is written, relative to the
/// repository root (by `paved schema`, checked fresh in CI).
pub const AUTHORING_DOC: &str = "docs/golden-path-authoring.md";

/// The golden-path authors' reference: how a path is laid out, what
/// templates may print, and every value they see, from these types.
pub fn authoring_markdown() -> String {
    let mut out = String::from(include_str!("authoring.md"));
    table(&mut out, &generate::<UnitContext<'static>>());
    out.push_str(
        "\n## The context of the platform's cluster templates\n\n\
         `platform/templates/` (each cluster's `_platform` unit) and \
         `platform/argocd/` (its `_argocd` unit) are rendered once per \
         cluster with these values.\n\n",
    );
    table(&mut out, &generate::<ClusterContext<'static>>());
    out
}

fn table(out: &mut String, schema: &Value) {
    use std::fmt::Write as _;
    out.push_str("| value | type | what it is |\n|---|---|---|\n");
    for field in crate::reference::fields_of(schema) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            field.path,
            cell(&field.kind),
            cell(&field.description)
        );
    }
}

/// Text for a table cell in `docs/`: pipes escaped, links to the input
/// reference's pages (`service.md`) pointed into `docs/reference/`.
pub fn cell(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let target = &rest[at + 2..];
        let page = target.find(')').map(|end| &target[..end]);
        out.push_str(&rest[..at + 2]);
        if page.is_some_and(|page| page.ends_with(".md") && !page.contains('/')) {
            out.push_str("reference/");
        }
        rest = target;
    }
    out.push_str(rest);
    out.replace('|', "\\|")
}
