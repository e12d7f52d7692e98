//! The input model: what platform engineers and product teams write.
//!
//! Every file carries `apiVersion: paved.dev/v1` and a `kind`, so the
//! format can evolve. Types are strict: an unknown field is an error, found
//! by the JSON Schema generated from these types (see `schema`), which is
//! also what editors use through `schemas/`.
//!
//! Fields that layer (golden-path defaults < platform < environment <
//! service < per-environment override) live in [`Spec`]; maps keyed by name
//! are preferred over lists so that layers merge per key.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Pattern of a Kubernetes DNS-1035 label: the strictest name rule, safe for
/// Services, namespaces, file names and label values alike.
pub const NAME_PATTERN: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
/// Pattern of a Kubernetes port name (IANA service name).
pub const PORT_NAME_PATTERN: &str = "^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$";
/// Pattern of an environment variable name (C identifier).
pub const ENV_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// Pattern of a Kubernetes resource quantity (`100m`, `1.5Gi`, `2`).
pub const QUANTITY_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$";
/// Pattern of an image digest.
pub const DIGEST_PATTERN: &str = "^sha256:[a-f0-9]{64}$";
/// Pattern of an image tag (OCI distribution spec).
pub const TAG_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$";
/// Pattern of a URL path.
pub const PATH_PATTERN: &str = "^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$";
/// Pattern of a GitHub owner in CODEOWNERS: `@user`, `@org/team` or an
/// e-mail address.
pub const GITHUB_OWNER_PATTERN: &str =
    "^(@[A-Za-z0-9](-?[A-Za-z0-9])*(/[A-Za-z0-9._-]+)?|[^@\\s]+@[^@\\s]+)$";
/// Pattern of a DNS host name (RFC 1123 subdomain, lower case).
pub const HOST_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// The format version every input file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "paved.dev/v1")]
    V1,
}

macro_rules! kind {
    ($name:ident, $text:literal) => {
        #[doc = concat!("Always `", $text, "`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            #[serde(rename = $text)]
            Kind,
        }
    };
}

kind!(PlatformKind, "Platform");
kind!(EnvironmentKind, "Environment");
kind!(TeamKind, "Team");
kind!(ServiceKind, "Service");
kind!(GoldenPathKind, "GoldenPath");
kind!(PolicyExceptionsKind, "PolicyExceptions");
kind!(ResourceClassKind, "ResourceClass");

// ---------------------------------------------------------------- platform

/// `platform/platform.yaml`: settings that hold for the whole organisation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved Platform")]
pub struct Platform {
    pub api_version: ApiVersion,
    pub kind: PlatformKind,
    /// Organisation name, used in labels and the catalog.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 63))]
    pub organization: String,
    /// The git repository Argo CD syncs `rendered/` from.
    #[serde(rename = "repoURL")]
    #[schemars(length(min = 1))]
    pub repo_url: String,
    /// The branch Argo CD follows.
    #[serde(default = "default_revision")]
    pub target_revision: String,
    /// Kubernetes minor version the clusters run, such as `"1.34"`, unless
    /// a cluster says otherwise. Manifests are validated against it.
    #[schemars(regex(pattern = "^1\\.[0-9]+$"))]
    pub kubernetes_version: String,
    /// Image registries workloads may pull from (prefixes, such as
    /// `registry.example.com/` or `ghcr.io/acme/`).
    #[schemars(length(min = 1))]
    pub registries: Vec<String>,
    /// The external-secrets store every ExternalSecret reads from.
    pub secret_store: SecretStore,
    /// How routes reach services.
    pub ingress: IngressSettings,
    /// What compute costs, for `paved cost` and the cost change in `paved
    /// diff`. Without it, GKE Autopilot's list prices (see
    /// `docs/insights.md`).
    #[serde(default)]
    pub cost: CostRates,
    /// Labels added to every rendered resource.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Size presets services choose from with `size`.
    #[schemars(length(min = 1), extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub sizes: BTreeMap<String, SizePreset>,
    /// Platform-wide defaults for every service (the second layer, after
    /// the golden path's own).
    #[serde(default)]
    pub defaults: Spec,
    /// How Argo CD runs in each cluster.
    #[serde(default)]
    pub argocd: ArgoCdSettings,
    /// Cluster-wide components every cluster runs (ingress controller,
    /// external-secrets, cert-manager, ...), as Helm charts at pinned
    /// versions, by name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": 40 }))]
    pub components: BTreeMap<String, Component>,
    /// How `paved diff` shows changes.
    #[serde(default)]
    pub diff: DiffSettings,
    /// Namespaces no team may be named after, besides those always
    /// reserved: `default`, `kube-*`, Argo CD's, the ingress controller's
    /// and every component's namespace.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": NAME_PATTERN }))]
    pub reserved_namespaces: Vec<String>,
    /// GitHub users or teams (`@org/platform-team`) who own the platform's
    /// files: `platform/`, `golden-paths/`, `policies/`, `environments/`
    /// and each cluster's `_platform` and `_argocd` output. Written to
    /// `.github/CODEOWNERS` by `paved codeowners`.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": GITHUB_OWNER_PATTERN }))]
    pub github: Vec<String>,
}

/// What `paved diff` hides. Secret `data` and `stringData` values are
/// always hidden.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiffSettings {
    /// Values shown only as "changed", never shown.
    #[serde(default)]
    pub sensitive: Vec<PathRule>,
    /// Fields whose changes are noise and not shown at all.
    #[serde(default)]
    pub ignore: Vec<PathRule>,
}

/// Fields of rendered resources: a JSON pointer whose segments may be `*`,
/// optionally only in resources of one kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathRule {
    /// Only resources of this kind (all kinds when omitted).
    pub kind: Option<String>,
    /// JSON pointer, such as `/data/*` or `/metadata/annotations/example.com~1build`.
    #[schemars(regex(pattern = "^/"))]
    pub path: String,
}

/// Argo CD, which runs in every cluster and syncs that cluster's part of
/// `rendered/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCdSettings {
    /// Namespace Argo CD runs in; Applications and AppProjects live there.
    #[serde(default = "default_argocd_namespace")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub namespace: String,
    /// The address of each cluster's Argo CD web interface, with
    /// `{cluster}` standing for the cluster's name
    /// (`https://argocd.{cluster}.example.com`). The portal links each
    /// service to its Applications there.
    #[schemars(regex(pattern = "^https?://"))]
    pub url: Option<String>,
}

impl Default for ArgoCdSettings {
    fn default() -> Self {
        ArgoCdSettings {
            namespace: default_argocd_namespace(),
            url: None,
        }
    }
}

fn default_argocd_namespace() -> String {
    "argocd".to_owned()
}

/// A cluster-wide component: an upstream Helm chart at a pinned version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Component {
    /// The Helm repository.
    #[serde(rename = "repoURL")]
    #[schemars(regex(pattern = "^(https|oci)://"))]
    pub repo_url: String,
    /// The chart's name in that repository.
    #[schemars(length(min = 1))]
    pub chart: String,
    /// The chart version, pinned exactly.
    #[schemars(regex(pattern = "^v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$"))]
    pub version: String,
    /// Namespace it is installed in (created if missing).
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub namespace: String,
    /// Helm values.
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
}

fn default_revision() -> String {
    "main".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStore {
    /// Name of the store.
    #[schemars(length(min = 1))]
    pub name: String,
    /// `ClusterSecretStore` (shared) or `SecretStore` (per namespace).
    #[serde(default)]
    pub kind: SecretStoreKind,
    /// How often ExternalSecrets refresh, as a Go duration (`1h`).
    #[serde(default = "default_refresh")]
    #[schemars(regex(pattern = "^([0-9]+(s|m|h))+$"))]
    pub refresh_interval: String,
}

fn default_refresh() -> String {
    "1h".to_owned()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    #[default]
    ClusterSecretStore,
    SecretStore,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSettings {
    /// The IngressClass routes use.
    #[schemars(length(min = 1))]
    pub class_name: String,
    /// The cert-manager ClusterIssuer that signs route certificates.
    pub cluster_issuer: Option<String>,
    /// Namespace the ingress controller runs in, allowed through network
    /// policies to services that have routes.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub controller_namespace: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CostRates {
    /// ISO 4217 currency code.
    #[schemars(regex(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    /// Price of one CPU core requested for a month.
    #[schemars(range(min = 0))]
    pub cpu_core_month: f64,
    /// Price of one GiB of memory requested for a month.
    #[schemars(range(min = 0))]
    pub memory_gib_month: f64,
    /// Where the prices come from (a contract, a price list and its date).
    pub source: Option<String>,
}

impl Default for CostRates {
    /// Google Kubernetes Engine Autopilot's list prices for general-purpose
    /// Pods in us-central1, which bill exactly what pods request: USD
    /// 0.0445 per vCPU-hour and 0.0049225 per GiB-hour, times 730 hours.
    fn default() -> Self {
        CostRates {
            currency: "USD".to_owned(),
            cpu_core_month: 32.49,
            memory_gib_month: 3.59,
            source: Some(
                "GKE Autopilot list prices, general-purpose Pods, us-central1 (cloud.google.com/kubernetes-engine/pricing)"
                    .to_owned(),
            ),
        }
    }
}

/// A size preset: requests and limits for one container.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SizePreset {
    /// CPU request.
    pub cpu: Quantity,
    /// Memory request, also the memory limit.
    pub memory: Quantity,
    /// CPU limit.
    pub cpu_limit: Quantity,
    /// Scratch space (`/tmp`) request, also its limit.
    pub ephemeral_storage: Quantity,
}

// ------------------------------------------------------------- environment

/// `environments/<name>.yaml`: one environment and its clusters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved Environment")]
pub struct Environment {
    pub api_version: ApiVersion,
    pub kind: EnvironmentKind,
    /// Must match the file name.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 20))]
    pub name: String,
    /// What the environment is for.
    pub description: Option<String>,
    /// The environment whose versions are promoted into this one.
    pub promotes_from: Option<String>,
    /// What happens when a pull request brings a release here that never
    /// ran in `promotesFrom` (checked by `paved check --base`): `error`,
    /// `warning` or `off`. An exception in `policies/exceptions.yaml`
    /// (`promotions`) lets a hotfix through.
    #[serde(default = "promotion_default")]
    pub promotion_order: RuleSeverity,
    /// The clusters of this environment, by name.
    #[schemars(length(min = 1), extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": 22 }))]
    pub clusters: BTreeMap<String, Cluster>,
    /// Run at least two replicas of everything, with a disruption budget
    /// and spread across zones.
    #[serde(default)]
    pub high_availability: bool,
    /// Customers depend on it: `paved diff` flags changes here.
    #[serde(default)]
    pub production: bool,
    /// Whether Argo CD applies merged changes by itself.
    #[serde(default)]
    pub sync: SyncPolicy,
    /// How strictly policy findings block a change here.
    #[serde(default)]
    pub policy: EnvironmentPolicy,
    /// Each team's quota here, unless the team sets its own.
    pub team_quota: Quota,
    /// Defaults for every service in this environment (the third layer).
    #[serde(default)]
    pub defaults: Spec,
    /// Golden-path versions this environment stays on, by path, such as
    /// `{web-service: 1.0.0}`: an older version kept in
    /// `golden-paths/<path>/versions/<version>/`. Paths not named here
    /// follow the newest version. Remove the pin to promote the newest.
    #[serde(default)]
    #[schemars(extend("additionalProperties" = { "type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$" }))]
    pub golden_paths: BTreeMap<String, String>,
}

fn promotion_default() -> RuleSeverity {
    RuleSeverity::Warning
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// The API server URL Argo CD deploys to.
    #[schemars(regex(pattern = "^https://"))]
    pub server: String,
    /// Cloud region, such as `eu-west-1`.
    #[schemars(length(min = 1))]
    pub region: String,
    /// Kubernetes minor version this cluster runs, when it differs from the
    /// platform's `kubernetesVersion` (during an upgrade, say). Its
    /// manifests are validated against that version.
    #[schemars(regex(pattern = "^1\\.[0-9]+$"))]
    pub kubernetes_version: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SyncPolicy {
    /// Argo CD syncs, prunes and self-heals on its own.
    #[default]
    Automated,
    /// A person presses sync.
    Manual,
}

/// Policy in one environment: a general strictness, and the severity of
/// particular rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentPolicy {
    /// `relaxed` turns errors into warnings, `strict` warnings into errors.
    #[serde(default)]
    pub level: PolicyLevel,
    /// The severity of a rule here, by rule ID, whatever the level: such as
    /// `workload/image-digest: error` to require digests in prod.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSeverity>,
}

/// How a rule's findings count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// Fails `paved policy`.
    Error,
    /// Reported, does not fail.
    Warning,
    /// Not checked.
    Off,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PolicyLevel {
    /// Findings are warnings.
    Relaxed,
    /// Findings keep their default severity.
    #[default]
    Standard,
    /// Warnings become errors.
    Strict,
}

/// Resource quota for a team's namespace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quota {
    /// Total CPU requests.
    pub cpu: Quantity,
    /// Total memory requests (and limits).
    pub memory: Quantity,
    /// Most pods at once.
    #[schemars(range(min = 1))]
    pub pods: u32,
}

// -------------------------------------------------------------------- team

/// `teams/<team>/team.yaml`: who owns a set of services.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved Team")]
pub struct Team {
    pub api_version: ApiVersion,
    pub kind: TeamKind,
    /// Must match the directory name; also the team's namespace.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 40))]
    pub name: String,
    /// What the team does.
    pub description: Option<String>,
    /// People accountable for the team's services.
    #[schemars(length(min = 1))]
    pub owners: Vec<String>,
    /// The identity-provider group granted edit rights in the team's namespaces.
    #[schemars(length(min = 1))]
    pub group: String,
    /// Where to reach the team, such as a chat channel.
    pub contact: Option<String>,
    /// Cost centre that pays for the team's resources.
    #[schemars(length(min = 1))]
    pub cost_center: String,
    /// Quota per environment, where the environment's `teamQuota` is not enough.
    #[serde(default)]
    pub quotas: BTreeMap<String, Quota>,
    /// Keys of this team's part of the secret store (`<team>/...`) that
    /// services of other teams may read: each grant owned, explained and
    /// temporary. Without one, a service reads only its own team's keys.
    #[serde(default)]
    pub secret_grants: Vec<SecretGrant>,
    /// GitHub users or teams (`@org/team`) who review changes to the
    /// team's files and its services' rendered output: written to
    /// `.github/CODEOWNERS` by `paved codeowners`.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": GITHUB_OWNER_PATTERN }))]
    pub github: Vec<String>,
    /// The most the team's services may cost a month, in the currency of
    /// `platform.yaml` `cost`, over every environment (the estimate at
    /// minimum replicas). `paved cost` warns when the estimate is above it.
    #[schemars(range(min = 0))]
    pub monthly_budget: Option<f64>,
}

/// Access to some of a team's secret-store keys, granted by that team to
/// services of other teams.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretGrant {
    /// The key granted (`payments/psp`), or every key under a prefix
    /// (`payments/shared/*`); always in this team's part of the store.
    #[schemars(length(min = 1))]
    pub key: String,
    /// The services (of other teams) that may read it, by name.
    #[schemars(length(min = 1))]
    pub services: Vec<String>,
    /// Who in this team answers for the grant.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// Why the other service needs the key.
    #[schemars(length(min = 10))]
    pub reason: String,
    /// The last day the grant applies (`YYYY-MM-DD`).
    #[schemars(regex(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: String,
}

// ----------------------------------------------------------------- service

/// `teams/<team>/services/<service>.yaml`: a service intent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields, title = "paved Service")]
pub struct Service {
    pub api_version: ApiVersion,
    pub kind: ServiceKind,
    /// Must match the file name; unique across the organisation.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 40))]
    pub name: String,
    /// What the service does, shown in the catalog and the portal.
    pub description: Option<String>,
    /// The golden path this service follows (a directory of `golden-paths/`).
    pub golden_path: String,
    /// Everything that may also be set per environment.
    #[serde(flatten)]
    pub spec: Spec,
    /// The environments this service runs in, each with its overrides of
    /// any field above (usually at least `tag` or `digest`).
    #[schemars(length(min = 1))]
    pub environments: BTreeMap<String, Spec>,
    /// Escape hatches: JSON patches (RFC 6902) applied to rendered resources.
    #[serde(default)]
    pub patches: Vec<Patch>,
    /// Services of other teams that may call this one (`dependsOn` it):
    /// the network path from another team opens only with this consent.
    /// Services of the same team always may.
    pub callers: Option<Callers>,
    /// The API this service offers, described by a file beside the intent.
    /// The catalog publishes it, and services that depend on this one
    /// consume it.
    pub api: Option<ApiSpec>,
}

/// Who, beyond the service's own team, may call a service.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Callers {
    /// Every service in the organisation may call it.
    #[serde(default)]
    pub any: bool,
    /// Every service of these teams may call it.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": NAME_PATTERN }))]
    pub teams: Vec<String>,
    /// These services (of any team) may call it, by name.
    #[serde(default)]
    #[schemars(extend("items" = { "type": "string", "pattern": NAME_PATTERN }))]
    pub services: Vec<String>,
}

impl Callers {
    /// Whether `service` of `team` may call.
    pub fn accepts(&self, service: &str, team: &str) -> bool {
        self.any
            || self.teams.iter().any(|t| t == team)
            || self.services.iter().any(|s| s == service)
    }
}

/// An API a service offers: its kind and the file that defines it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiSpec {
    /// How the API is described.
    #[serde(rename = "type")]
    pub kind: ApiKind,
    /// The definition's file name, in the same directory as the intent
    /// (`checkout.openapi.yaml`, `ledger.proto`).
    #[schemars(regex(pattern = "^[A-Za-z0-9_][A-Za-z0-9._-]*$"), length(max = 100))]
    pub definition: String,
    /// What the API offers, for the catalog (the service's description
    /// when omitted).
    pub description: Option<String>,
}

/// The kinds of API definition Backstage knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApiKind {
    /// An OpenAPI (or Swagger) document, YAML or JSON.
    Openapi,
    /// Protocol buffers (`.proto`) describing a gRPC service.
    Grpc,
    /// An AsyncAPI document, YAML or JSON.
    Asyncapi,
    /// A GraphQL schema.
    Graphql,
}

impl ApiKind {
    /// The name Backstage's API entities use.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKind::Openapi => "openapi",
            ApiKind::Grpc => "grpc",
            ApiKind::Asyncapi => "asyncapi",
            ApiKind::Graphql => "graphql",
        }
    }
}

/// The fields that layer: set by the golden path, the platform, the
/// environment, the service and the service's per-environment override,
/// later layers winning key by key.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// Parameters of the golden path, checked against its schema.
    pub params: Option<serde_json::Map<String, Value>>,
    /// Image repository, without tag or digest.
    #[schemars(length(min = 1))]
    pub image: Option<String>,
    /// Image tag to run.
    #[schemars(regex(pattern = TAG_PATTERN))]
    pub tag: Option<String>,
    /// Image digest to run (wins over `tag`).
    #[schemars(regex(pattern = DIGEST_PATTERN))]
    pub digest: Option<String>,
    /// Overrides the image's entrypoint.
    pub command: Option<Vec<String>>,
    /// Arguments to the entrypoint.
    pub args: Option<Vec<String>>,
    /// Ports the container listens on, by name.
    #[schemars(extend("propertyNames" = { "pattern": PORT_NAME_PATTERN }))]
    pub ports: Option<BTreeMap<String, Port>>,
    /// Plain environment variables. Never put secrets here: use `secrets`.
    #[schemars(extend("propertyNames" = { "pattern": ENV_NAME_PATTERN }))]
    pub env: Option<BTreeMap<String, EnvValue>>,
    /// Environment variables read from the secret store, by variable name.
    #[schemars(extend("propertyNames" = { "pattern": ENV_NAME_PATTERN }))]
    pub secrets: Option<BTreeMap<String, SecretRef>>,
    /// Files mounted read-only under `/etc/<service>/`, by file name.
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z0-9._-]+$" }))]
    pub files: Option<BTreeMap<String, String>>,
    /// A size preset from the platform (`platform.yaml` `sizes`).
    pub size: Option<String>,
    /// Explicit requests and limits, instead of or on top of `size`.
    pub resources: Option<Resources>,
    /// Fixed number of replicas (ignored when `autoscaling` is set).
    #[schemars(range(min = 0, max = 1000))]
    pub replicas: Option<u32>,
    /// Scale on CPU use between a minimum and a maximum.
    pub autoscaling: Option<Autoscaling>,
    /// HTTP routes from outside the cluster, by name.
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub routes: Option<BTreeMap<String, Route>>,
    /// Health-check endpoints for the probes.
    pub health: Option<Health>,
    /// Services this one calls: the network lets exactly these through.
    pub depends_on: Option<Vec<String>>,
    /// Managed resources this service uses (databases, caches, queues), by
    /// name: claimed from the platform's resource classes, their
    /// connection details passed in as environment variables.
    #[schemars(extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub uses: Option<BTreeMap<String, ManagedResource>>,
    /// Mount a Kubernetes API token into the pods (off unless asked).
    pub service_account_token: Option<bool>,
    /// Where Prometheus scrapes the service's metrics.
    pub metrics: Option<Metrics>,
    /// Service-level objectives, turned into recording rules and
    /// burn-rate alerts for the owning team.
    pub slo: Option<Slo>,
}

/// A container port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Port(#[schemars(range(min = 1, max = 65535))] pub u16);

/// An environment variable's value: text, or a number or boolean written
/// without quotes (passed on as text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl EnvValue {
    pub fn as_text(&self) -> String {
        match self {
            EnvValue::Text(text) => text.clone(),
            EnvValue::Number(number) => number.to_string(),
            EnvValue::Bool(value) => value.to_string(),
        }
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Text, or a number or boolean passed on as text.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// A Kubernetes quantity, written as text (`100m`, `512Mi`) or a plain number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Text(String),
    Number(serde_json::Number),
}

impl Quantity {
    pub fn as_text(&self) -> String {
        match self {
            Quantity::Text(text) => text.clone(),
            Quantity::Number(number) => number.to_string(),
        }
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity such as `250m`, `1.5`, `512Mi` or `2Gi`.",
            "type": ["string", "number"],
            "pattern": QUANTITY_PATTERN,
            "minimum": 0
        })
    }
}

/// A value in the secret store.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// The key in the secret store.
    #[schemars(length(min = 1))]
    pub key: String,
    /// A property of that key, for stores that hold JSON objects.
    pub property: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// CPU request.
    pub cpu: Option<Quantity>,
    /// Memory request, also the memory limit unless `memoryLimit` is set.
    pub memory: Option<Quantity>,
    /// CPU limit.
    pub cpu_limit: Option<Quantity>,
    /// Memory limit.
    pub memory_limit: Option<Quantity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscaling {
    /// The fewest replicas.
    #[schemars(range(min = 1, max = 1000))]
    pub min_replicas: u32,
    /// The most replicas.
    #[schemars(range(min = 1, max = 1000))]
    pub max_replicas: u32,
    /// Target average CPU use, in percent of the request.
    #[serde(default = "default_cpu_target")]
    #[schemars(range(min = 1, max = 100))]
    pub cpu_utilization: u32,
}

fn default_cpu_target() -> u32 {
    75
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    /// Host name the route answers on.
    #[schemars(regex(pattern = HOST_PATTERN), length(max = 253))]
    pub host: String,
    /// Path prefix.
    #[serde(default = "default_path")]
    #[schemars(regex(pattern = PATH_PATTERN))]
    pub path: String,
    /// The port (by name) traffic goes to; the first port when omitted.
    pub port: Option<String>,
}

fn default_path() -> String {
    "/".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Health {
    /// HTTP path that answers 200 when the service can take traffic.
    #[schemars(regex(pattern = PATH_PATTERN))]
    pub readiness: Option<String>,
    /// HTTP path that answers 200 while the process is healthy.
    #[schemars(regex(pattern = PATH_PATTERN))]
    pub liveness: Option<String>,
    /// The port (by name) the probes call; the first port when omitted.
    pub port: Option<String>,
}

/// A managed resource a service uses: claimed from one of the platform's
/// resource classes (`platform/resources/<class>.yaml`), shared from
/// another service of the team that claims it, or provisioned elsewhere
/// with its credentials in the secret store.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedResource {
    /// The resource class (`postgres`, `redis`, ...): a file of
    /// `platform/resources/`. Needed unless `from` is set.
    #[serde(rename = "type")]
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub kind: Option<String>,
    /// One of the class's sizes; the class's default when omitted.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub size: Option<String>,
    /// Options the class offers (`version: "16"`), checked against it.
    pub options: Option<serde_json::Map<String, Value>>,
    /// Use the resource of the same name that this service of the same
    /// team claims, instead of claiming one.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub from: Option<String>,
    /// Provisioned outside the platform: no claim, only its credentials,
    /// read from the secret store.
    pub external: Option<ExternalResource>,
}

/// Where an externally provisioned resource's credentials are.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalResource {
    /// The secret-store key holding the connection details (every property
    /// becomes a variable), in the team's part of the store
    /// (`<team>/...`).
    #[schemars(length(min = 1))]
    pub secret_key: String,
}

/// Where Prometheus scrapes a service's metrics.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metrics {
    /// The port (by name) that serves metrics.
    #[schemars(regex(pattern = PORT_NAME_PATTERN))]
    pub port: Option<String>,
    /// HTTP path of the metrics.
    #[schemars(regex(pattern = PATH_PATTERN))]
    pub path: Option<String>,
}

/// A service's service-level objectives, over 30 days.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Slo {
    /// Percent of requests (or messages) handled without a server error,
    /// such as `99.9`.
    #[schemars(range(min = 50, max = 99.999))]
    pub availability: Option<f64>,
    /// Percent of requests (or messages) handled within a time.
    pub latency: Option<LatencySlo>,
    /// For scheduled jobs: the longest time since the last successful
    /// run, such as `26h` (by default one period of the schedule plus the
    /// run's timeout).
    #[schemars(regex(pattern = SLO_DURATION_PATTERN))]
    pub freshness: Option<String>,
}

/// Pattern of an SLO duration: whole minutes, hours or days.
pub const SLO_DURATION_PATTERN: &str = "^[1-9][0-9]{0,4}(m|h|d)$";

/// A latency objective: `objective` percent within `threshold`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LatencySlo {
    /// Percent of requests that must be faster than `threshold`.
    #[schemars(range(min = 50, max = 99.999))]
    pub objective: f64,
    /// The time, such as `300ms` or `2s`: a bucket boundary of the path's
    /// latency histogram.
    #[schemars(regex(pattern = "^[0-9]+(\\.[0-9]+)?(ms|s)$"))]
    pub threshold: String,
}

/// The objectives a golden path measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum SloName {
    Availability,
    Latency,
    Freshness,
}

/// A JSON patch applied to one rendered resource.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    /// The resource to patch.
    pub target: PatchTarget,
    /// Only in these environments (all when omitted).
    pub environments: Option<Vec<String>>,
    /// RFC 6902 operations.
    #[schemars(length(min = 1))]
    pub operations: Vec<PatchOperation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchTarget {
    /// Kind of the resource, such as `Deployment`.
    #[schemars(length(min = 1))]
    pub kind: String,
    /// Name of the resource as the golden path names it; every resource of
    /// the kind when omitted.
    pub name: Option<String>,
}

/// One RFC 6902 operation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOperation {
    pub op: PatchOp,
    /// JSON pointer to the target location.
    #[schemars(regex(pattern = "^(/.*)?$"))]
    pub path: String,
    /// Source location, for `move` and `copy`.
    pub from: Option<String>,
    /// The value, for `add`, `replace` and `test`.
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

// ------------------------------------------------------------- golden path

/// `golden-paths/<path>/path.yaml`: an opinionated, versioned way to run a
/// kind of service, with its templates under `templates/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved GoldenPath")]
pub struct GoldenPath {
    pub api_version: ApiVersion,
    pub kind: GoldenPathKind,
    /// Must match the directory name.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 63))]
    pub name: String,
    /// What the path is for, shown in the catalog and by `paved new`.
    #[schemars(length(min = 1))]
    pub description: String,
    /// Semantic version of the path.
    #[schemars(regex(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+$"))]
    pub version: String,
    /// The team that owns the path.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// JSON Schema of the path's `params`.
    #[serde(default = "empty_params_schema")]
    pub params: Value,
    /// Spec fields every service on this path must end up with, after layering.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Spec fields this path has no use for: setting them is an error
    /// rather than silently ignored (a worker has no `routes`).
    #[serde(default)]
    pub rejects: Vec<String>,
    /// Whether services on this path run continuously and so keep at least
    /// two replicas where the environment asks for high availability.
    #[serde(default = "yes")]
    pub high_availability: bool,
    /// The first layer of every service on this path.
    #[serde(default)]
    pub defaults: Spec,
    /// Settings `paved new` writes into a new service's intent, as a start
    /// the team then adjusts (a port, a size, a parameter).
    #[serde(default)]
    pub recommended: Spec,
    /// The service-level objectives this path's templates measure; a
    /// service may set only these under `slo`.
    #[serde(default)]
    pub slos: Vec<SloName>,
}

fn yes() -> bool {
    true
}

fn empty_params_schema() -> Value {
    serde_json::json!({ "type": "object", "additionalProperties": false })
}

// ---------------------------------------------------------- resource class

/// `platform/resources/<class>.yaml`: a kind of managed resource services
/// claim with `uses` (a database, a cache, a topic, a bucket). paved
/// renders its Crossplane CompositeResourceDefinition and the Compositions
/// each environment uses into every cluster's `_platform`, and each
/// service's claim into the service's directory.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved ResourceClass")]
pub struct ResourceClass {
    pub api_version: ApiVersion,
    pub kind: ResourceClassKind,
    /// Must match the file name: what `uses` entries name as `type`.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 40))]
    pub name: String,
    /// What it is, shown in the catalog.
    #[schemars(length(min = 1))]
    pub description: String,
    /// The claim services create: its API group, version and kind. The
    /// composite kind is the claim kind prefixed with `X`.
    pub claim: ClaimNames,
    /// Sizes services choose from, each with what it means.
    #[schemars(length(min = 1), extend("propertyNames" = { "pattern": NAME_PATTERN }))]
    pub sizes: BTreeMap<String, String>,
    /// The size of a claim that names none.
    pub default_size: String,
    /// Further options services may set, by name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][A-Za-z0-9]{0,62}$" }))]
    pub options: BTreeMap<String, ClassOption>,
    /// Keys of the connection secret a claim's resource writes; each
    /// reaches the workload as `<USES_NAME>_<KEY>` (`LEDGER_DB_HOST`).
    #[schemars(length(min = 1), extend("items" = { "type": "string", "pattern": "^[a-z][a-z0-9-]{0,62}$" }))]
    pub connection_keys: Vec<String>,
    /// Ways of providing the resource, by name: Crossplane Compositions.
    #[schemars(length(min = 1), extend("propertyNames" = { "pattern": NAME_PATTERN, "maxLength": 40 }))]
    pub compositions: BTreeMap<String, ClassComposition>,
    /// The composition of environments `environments` does not name.
    pub composition: String,
    /// Per-environment choices, by environment name: a small in-cluster
    /// instance in dev, a managed cloud one in prod.
    #[serde(default)]
    pub environments: BTreeMap<String, ClassEnvironment>,
}

/// The API names of a class's claim.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimNames {
    /// API group, such as `platform.example.com`.
    #[schemars(
        regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$"),
        length(max = 200)
    )]
    pub group: String,
    /// API version.
    #[serde(default = "default_claim_version")]
    #[schemars(regex(pattern = "^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$"))]
    pub version: String,
    /// The claim's kind, such as `PostgreSQLInstance`.
    #[schemars(regex(pattern = "^[A-Z][A-Za-z0-9]{0,62}$"))]
    pub kind: String,
}

fn default_claim_version() -> String {
    "v1alpha1".to_owned()
}

/// One option of a resource class, in the OpenAPI terms the
/// CompositeResourceDefinition's schema uses.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassOption {
    /// What it does.
    #[schemars(length(min = 1))]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: OptionType,
    /// The values accepted, when they are few.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<Value>>,
    /// The value of a claim that does not set it.
    pub default: Option<Value>,
    /// Smallest value (integers).
    pub minimum: Option<i64>,
    /// Largest value (integers).
    pub maximum: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OptionType {
    String,
    Integer,
    Boolean,
}

/// One way of providing a class: the function pipeline of a Crossplane
/// Composition (`mode: Pipeline`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassComposition {
    /// What it provisions, and where.
    #[schemars(length(min = 1))]
    pub description: String,
    /// The Composition's `pipeline`: steps, each a function and its input.
    #[schemars(length(min = 1))]
    pub pipeline: Vec<Value>,
}

/// What a class provides in one environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassEnvironment {
    /// The composition claims use there.
    pub composition: String,
}

// -------------------------------------------------------------- exceptions

/// `policies/exceptions.yaml`: waivers of policy rules, each owned,
/// explained and temporary. They live where the platform team reviews
/// them; nothing in an intent can exempt a service.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved PolicyExceptions")]
pub struct PolicyExceptions {
    pub api_version: ApiVersion,
    pub kind: PolicyExceptionsKind,
    #[serde(default)]
    pub exceptions: Vec<PolicyException>,
    /// Values paved took for secrets that a reviewer found are not: each
    /// names the service and the key that holds the value, who reviewed it
    /// and why.
    #[serde(default)]
    pub not_secrets: Vec<NotSecret>,
    /// Releases allowed into an environment although they never ran in
    /// the environment it promotes from (a hotfix): each owned, explained
    /// and temporary.
    #[serde(default)]
    pub promotions: Vec<PromotionException>,
}

/// A release that may skip the environment before its own.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromotionException {
    /// The service.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub service: String,
    /// The environment the release goes to (`prod`).
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub environment: String,
    /// The release: the image tag or digest as the intent writes it.
    #[schemars(length(min = 1))]
    pub release: String,
    /// Who answers for it.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// Why it cannot wait for the usual order (the incident, the fix).
    #[schemars(length(min = 10))]
    pub reason: String,
    /// The last day it applies (`YYYY-MM-DD`).
    #[schemars(regex(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: String,
}

/// A reviewed false positive of secret detection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotSecret {
    /// The service whose value it is.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub service: String,
    /// What holds the value, as the finding names it: an environment
    /// variable, a file name, `args[1]`, an annotation.
    #[schemars(length(min = 1))]
    pub key: String,
    /// Who reviewed it and answers for it.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// Why the value is not a secret.
    #[schemars(length(min = 10))]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyException {
    /// The rule waived, by ID (`workload/image-digest`, `main.deny_latest`).
    #[schemars(length(min = 1))]
    pub rule: String,
    /// Clusters it covers (`*` matches any text); all when omitted.
    pub clusters: Option<Vec<String>>,
    /// Namespaces it covers; all when omitted.
    pub namespaces: Option<Vec<String>>,
    /// Resource names it covers; all when omitted.
    pub names: Option<Vec<String>>,
    /// Who answers for it.
    #[schemars(length(min = 1))]
    pub owner: String,
    /// Why the rule does not apply, and what will end the exception.
    #[schemars(length(min = 10))]
    pub reason: String,
    /// The last day it applies (`YYYY-MM-DD`).
    #[schemars(regex(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub expires: String,
}

// ------------------------------------------------------------ policy config

kind!(PolicyConfigKind, "PolicyConfig");

/// `policies/paved.yaml`: how `paved policy` runs the Rego policies beside
/// it, in conftest's terms. Owned by the platform team. Every field is
/// optional: without the file, `package main` is checked on each resource,
/// as `conftest test` does.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved PolicyConfig")]
pub struct PolicyConfig {
    pub api_version: ApiVersion,
    pub kind: PolicyConfigKind,
    /// Packages whose `deny`, `violation` and `warn` rules are checked on
    /// each rendered resource (conftest's `--namespace`). Default: `[main]`.
    pub namespaces: Option<Vec<String>>,
    /// Check every package that declares such rules (conftest's
    /// `--all-namespaces`), except the `combine` ones.
    #[serde(default)]
    pub all_namespaces: bool,
    /// Packages checked once per unit or per cluster, with every resource
    /// of it as the input (conftest's `--combine`).
    #[serde(default)]
    pub combine: Combine,
    /// Data files (`.yaml`, `.yml`, `.json`) or directories under
    /// `policies/`, merged into `data` (conftest's `--data`).
    #[serde(default)]
    pub data: Vec<String>,
    /// Limits on evaluating Rego.
    #[serde(default)]
    pub limits: RegoLimits,
    /// Rules also enforced at admission by OPA Gatekeeper in every cluster
    /// (rendered into `rendered/<cluster>/_platform/`).
    #[serde(default)]
    pub admission: Vec<AdmissionRule>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            api_version: ApiVersion::V1,
            kind: PolicyConfigKind::Kind,
            namespaces: None,
            all_namespaces: false,
            combine: Combine::default(),
            data: Vec::new(),
            limits: RegoLimits::default(),
            admission: Vec::new(),
        }
    }
}

/// Packages whose input is a whole unit or cluster.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Combine {
    /// Checked once per unit (a service in a cluster, or a cluster's
    /// `_platform`): the input is every resource of the unit, as
    /// `[{"path": ..., "contents": resource}]`.
    #[serde(default)]
    pub unit: Vec<String>,
    /// Checked once per cluster: the input is every resource rendered for
    /// the cluster, in the same shape.
    #[serde(default)]
    pub cluster: Vec<String>,
}

/// How far a policy may go before it is cut off with an error.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegoLimits {
    /// Wall-clock time one input may take through all the policies, such as
    /// `2s` or `500ms`.
    #[serde(default = "default_rego_time")]
    #[schemars(regex(pattern = "^[1-9][0-9]*(ms|s)$"))]
    pub time: String,
    /// How deep rules may call rules (and functions functions).
    #[serde(default = "default_rego_depth")]
    #[schemars(range(min = 1, max = 200))]
    pub depth: usize,
}

impl Default for RegoLimits {
    fn default() -> Self {
        RegoLimits {
            time: default_rego_time(),
            depth: default_rego_depth(),
        }
    }
}

fn default_rego_time() -> String {
    "2s".into()
}

fn default_rego_depth() -> usize {
    100
}

/// A Rego rule enforced at admission as a Gatekeeper ConstraintTemplate
/// and Constraint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionRule {
    /// The rule, as `<package>.<rule>` (`main.deny_loadbalancer`).
    #[schemars(regex(pattern = "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$"))]
    pub rule: String,
    /// Kinds the constraint matches; every kind when omitted.
    pub kinds: Option<Vec<AdmissionKinds>>,
}

/// Kinds of one API group, as Gatekeeper's `match.kinds` lists them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmissionKinds {
    /// API groups (`""` for the core group, `apps`).
    pub api_groups: Vec<String>,
    /// Kinds (`Service`, `Deployment`).
    #[schemars(length(min = 1))]
    pub kinds: Vec<String>,
}

impl EnvironmentPolicy {
    /// The severity of `rule` here: the rule's own setting, else its
    /// default moved by the level.
    pub fn severity(&self, rule: &str, default: RuleSeverity) -> RuleSeverity {
        if let Some(set) = self.rules.get(rule) {
            return *set;
        }
        match (self.level, default) {
            (_, RuleSeverity::Off) => RuleSeverity::Off,
            (PolicyLevel::Strict, _) => RuleSeverity::Error,
            (PolicyLevel::Relaxed, _) => RuleSeverity::Warning,
            (PolicyLevel::Standard, severity) => severity,
        }
    }
}

// ---------------------------------------------------------------- insights

/// Pattern of a duration: a whole number of minutes, hours, days or weeks.
pub const DURATION_PATTERN: &str = "^[0-9]+(m|h|d|w)$";
/// Pattern of a rate: how many times per day, week, month or year.
pub const RATE_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?/(day|week|month|year)$";

kind!(DoraKind, "Dora");

/// `platform/dora.yaml`: how `paved metrics dora` judges the four keys.
/// DORA re-baselines its performance bands with each State of DevOps
/// report, so they are configuration, versioned with the platform; paved's
/// built-in defaults are the 2023 report's.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved Dora")]
pub struct Dora {
    pub api_version: ApiVersion,
    pub kind: DoraKind,
    /// Where the bands come from (report and year).
    #[schemars(length(min = 1))]
    pub source: String,
    /// The band names, best first (`elite`, `high`, `medium`, `low`).
    #[schemars(length(min = 2), extend("items" = { "type": "string", "pattern": NAME_PATTERN }))]
    pub bands: Vec<String>,
    /// How soon after a production deployment a rollback or a revert
    /// still counts as undoing it (a failed deployment), such as `7d`.
    #[serde(default = "default_failure_window")]
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub failure_window: String,
    /// Deployments to production: each band with the least rate that
    /// reaches it (`1/day`, `1/week`), best first; the last has none.
    #[schemars(length(min = 2))]
    pub deployment_frequency: Vec<RateBand>,
    /// Median time from a release's first environment to production: each
    /// band with the most it may take (`1d`), best first; the last has none.
    #[schemars(length(min = 2))]
    pub lead_time: Vec<DurationBand>,
    /// Share of production deployments undone by a rollback or a revert:
    /// each band with the most it may be, in percent; the last has none.
    #[schemars(length(min = 2))]
    pub change_failure_rate: Vec<PercentBand>,
    /// Median time from a failed deployment to the one that restored
    /// service: each band with the most it may take; the last has none.
    #[schemars(length(min = 2))]
    pub time_to_restore: Vec<DurationBand>,
}

fn default_failure_window() -> String {
    "7d".to_owned()
}

/// A band reached by a rate of at least `atLeast`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateBand {
    /// One of `bands`.
    pub band: String,
    /// The least rate that reaches the band, such as `1/day` or `2/week`.
    #[schemars(regex(pattern = RATE_PATTERN))]
    pub at_least: Option<String>,
}

/// A band reached by a duration of at most `atMost`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DurationBand {
    /// One of `bands`.
    pub band: String,
    /// The longest duration that reaches the band, such as `1h` or `7d`.
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub at_most: Option<String>,
}

/// A band reached by a percentage of at most `atMost`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PercentBand {
    /// One of `bands`.
    pub band: String,
    /// The highest percentage that reaches the band.
    #[schemars(range(min = 0, max = 100))]
    pub at_most: Option<f64>,
}

kind!(ScorecardsKind, "Scorecards");

/// `platform/scorecards.yaml`: the levels a service can reach and the
/// rules of each, over facts paved knows (`paved scorecard`). A service
/// reaches a level when every rule of that level and of every level below
/// passes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "paved Scorecards")]
pub struct Scorecards {
    pub api_version: ApiVersion,
    pub kind: ScorecardsKind,
    /// Levels, lowest first (`bronze`, `silver`, `gold`).
    #[schemars(length(min = 1))]
    pub levels: Vec<ScorecardLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScorecardLevel {
    /// The level's name.
    #[schemars(regex(pattern = NAME_PATTERN), length(max = 40))]
    pub name: String,
    /// What reaching it means.
    pub description: Option<String>,
    /// Every rule must pass for a service to reach the level.
    #[schemars(length(min = 1))]
    pub rules: Vec<ScorecardRule>,
}

/// A rule: a fact about a service, and what it must be.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScorecardRule {
    /// The fact checked, by name (see `docs/insights.md`): a yes-or-no
    /// fact passes when true; a number needs `atLeast` or `atMost`; a
    /// DORA band needs `atLeast` naming a band of `platform/dora.yaml`.
    #[schemars(length(min = 1))]
    pub fact: String,
    /// The least value that passes: a number, or a DORA band.
    pub at_least: Option<BandOrNumber>,
    /// The greatest number that passes.
    pub at_most: Option<f64>,
    /// What the rule asks for, in words, shown when it fails.
    pub description: Option<String>,
}

/// A number, or a band's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BandOrNumber {
    Number(f64),
    Band(String),
}

/// Whether a scorecard fact is yes-or-no, a number or a DORA band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactType {
    Bool,
    Number,
    Band,
}

/// The facts a scorecard rule may name: what paved knows about a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fact {
    OwnerContact,
    Docs,
    NewestGoldenPath,
    Probes,
    ProdReplicas,
    ProdDisruptionBudget,
    ProdDigest,
    NoActiveExceptions,
    NoExpiredExceptions,
    DependenciesDeclared,
    Patches,
    WithinBudget,
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    TimeToRestore,
}

impl Fact {
    pub const ALL: [Fact; 16] = [
        Fact::OwnerContact,
        Fact::Docs,
        Fact::NewestGoldenPath,
        Fact::Probes,
        Fact::ProdReplicas,
        Fact::ProdDisruptionBudget,
        Fact::ProdDigest,
        Fact::NoActiveExceptions,
        Fact::NoExpiredExceptions,
        Fact::DependenciesDeclared,
        Fact::Patches,
        Fact::WithinBudget,
        Fact::DeploymentFrequency,
        Fact::LeadTime,
        Fact::ChangeFailureRate,
        Fact::TimeToRestore,
    ];

    /// The name rules use.
    pub fn name(self) -> &'static str {
        match self {
            Fact::OwnerContact => "ownerContact",
            Fact::Docs => "docs",
            Fact::NewestGoldenPath => "newestGoldenPath",
            Fact::Probes => "probes",
            Fact::ProdReplicas => "prodReplicas",
            Fact::ProdDisruptionBudget => "prodDisruptionBudget",
            Fact::ProdDigest => "prodDigest",
            Fact::NoActiveExceptions => "noActiveExceptions",
            Fact::NoExpiredExceptions => "noExpiredExceptions",
            Fact::DependenciesDeclared => "dependenciesDeclared",
            Fact::Patches => "patches",
            Fact::WithinBudget => "withinBudget",
            Fact::DeploymentFrequency => "deploymentFrequency",
            Fact::LeadTime => "leadTime",
            Fact::ChangeFailureRate => "changeFailureRate",
            Fact::TimeToRestore => "timeToRestore",
        }
    }

    pub fn from_name(name: &str) -> Option<Fact> {
        Fact::ALL.into_iter().find(|fact| fact.name() == name)
    }

    pub fn kind(self) -> FactType {
        match self {
            Fact::ProdReplicas | Fact::Patches => FactType::Number,
            Fact::DeploymentFrequency
            | Fact::LeadTime
            | Fact::ChangeFailureRate
            | Fact::TimeToRestore => FactType::Band,
            _ => FactType::Bool,
        }
    }

    /// What the fact says, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Fact::OwnerContact => "the owning team has owners and a contact",
            Fact::Docs => "`teams/<team>/docs/<service>.md` exists",
            Fact::NewestGoldenPath => "it follows the newest version of its golden path",
            Fact::Probes => "its workload has readiness and liveness probes in every cluster",
            Fact::ProdReplicas => "the fewest replicas it runs in a production cluster",
            Fact::ProdDisruptionBudget => {
                "it has a PodDisruptionBudget in every production cluster"
            }
            Fact::ProdDigest => "its image is pinned by digest in every production cluster",
            Fact::NoActiveExceptions => "no policy exception covers it",
            Fact::NoExpiredExceptions => "no expired policy exception covers it",
            Fact::DependenciesDeclared => {
                "its intent declares `dependsOn` (an empty list says it calls nothing)"
            }
            Fact::Patches => "how many patches (escape hatches) its intent carries",
            Fact::WithinBudget => "its team has a monthly budget and stays within it",
            Fact::DeploymentFrequency => "its DORA band for deployment frequency",
            Fact::LeadTime => "its DORA band for lead time for changes",
            Fact::ChangeFailureRate => "its DORA band for change failure rate",
            Fact::TimeToRestore => "its DORA band for time to restore",
        }
    }
}

impl Dora {
    /// The bands paved uses without `platform/dora.yaml`: the software
    /// delivery performance clusters of DORA's 2023 Accelerate State of
    /// DevOps Report.
    pub fn builtin() -> Dora {
        let rate = |band: &str, at_least: Option<&str>| RateBand {
            band: band.to_owned(),
            at_least: at_least.map(str::to_owned),
        };
        let duration = |band: &str, at_most: Option<&str>| DurationBand {
            band: band.to_owned(),
            at_most: at_most.map(str::to_owned),
        };
        let percent = |band: &str, at_most: Option<f64>| PercentBand {
            band: band.to_owned(),
            at_most,
        };
        Dora {
            api_version: ApiVersion::V1,
            kind: DoraKind::Kind,
            source: "DORA, Accelerate State of DevOps Report 2023".to_owned(),
            bands: ["elite", "high", "medium", "low"]
                .map(str::to_owned)
                .to_vec(),
            failure_window: default_failure_window(),
            deployment_frequency: vec![
                rate("elite", Some("1/day")),
                rate("high", Some("1/week")),
                rate("medium", Some("1/month")),
                rate("low", None),
            ],
            lead_time: vec![
                duration("elite", Some("1d")),
                duration("high", Some("7d")),
                duration("medium", Some("30d")),
                duration("low", None),
            ],
            change_failure_rate: vec![
                percent("elite", Some(5.0)),
                percent("high", Some(10.0)),
                percent("medium", Some(15.0)),
                percent("low", None),
            ],
            time_to_restore: vec![
                duration("elite", Some("1h")),
                duration("high", Some("1d")),
                duration("medium", Some("7d")),
                duration("low", None),
            ],
        }
    }
}
