//! The pipeline from a source to the rendered tree, in memory:
//! load, validate intents, resolve, render, patch, post-process. `render`,
//! `check` and (later) `validate`, `policy` and `diff` all start here.
//!
//! Pure apart from reading the source: writing is `write`'s job.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::diagnostic::{self, Diagnostic, Sources};
use crate::load;
use crate::model::Cluster;
use crate::postprocess;
use crate::render::{Engine, Resource};
use crate::repo::{Entry, Repo};
use crate::resolve::{self, Unit, ValueIndex};
use crate::source::Source;
use crate::{patch, validate};

/// The directory everything is rendered into.
pub const RENDERED_DIR: &str = "rendered";
/// Per-cluster directory of platform resources (namespaces, quotas, ...).
pub const PLATFORM_UNIT: &str = "_platform";
/// Name of the one file each unit directory holds.
pub const MANIFEST: &str = "manifest.yaml";

/// Kinds that have no namespace. Service units may not emit them.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "IngressClass",
    "PersistentVolume",
    "ClusterSecretStore",
    "ClusterIssuer",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "APIService",
    "CertificateSigningRequest",
    "CSIDriver",
    "CSINode",
    "Node",
    "RuntimeClass",
    "VolumeAttachment",
    "FlowSchema",
    "PriorityLevelConfiguration",
];

/// Whether resources of `kind` have no namespace. Kinds named `Cluster...`
/// (ClusterRole, ClusterIssuer, ClusterExternalSecret, ...) are
/// cluster-wide by convention, whoever defines them.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
        || kind
            .strip_prefix("Cluster")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Kinds only the platform creates, even inside a team's namespace: the
/// fences themselves. A golden path that renders one is refused, so no
/// service (nor its patches) can widen its own quota, access or network.
const PLATFORM_OWNED: &[&str] = &[
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "AppProject",
    "Application",
];

/// Kinds no service unit may hold, even in its own namespace: they claim
/// hosts, certificates or secret-store access beyond what the tenancy
/// checks see (routes come from `routes:` through an Ingress, certificates
/// from the platform's issuer, secrets from the platform's store).
const NOT_FOR_SERVICES: &[&str] = &[
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "Certificate",
    "Issuer",
    "SecretStore",
    "PushSecret",
];

/// Inputs could not be turned into output: everything that is wrong, and
/// the files needed to show it.
#[derive(Debug)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Per-cluster directory of Argo CD objects.
pub const ARGOCD_DIR: &str = "_argocd";

/// What produced one output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    Service {
        service: String,
        team: String,
        environment: String,
    },
    /// `<cluster>/_platform/`: namespaces, quotas, access, network policy.
    Platform { environment: String },
    /// `_argocd/<cluster>/`: the cluster's AppProjects and Applications.
    ArgoCd { environment: String },
}

/// Which templates rendered a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSet {
    GoldenPath(String),
    Platform,
    ArgoCd,
}

impl TemplateSet {
    pub fn files<'a>(&self, repo: &'a Repo) -> &'a [crate::load::TemplateFile] {
        match self {
            TemplateSet::GoldenPath(path) => repo
                .golden_paths
                .get(path)
                .map_or(&[], |g| g.templates.as_slice()),
            TemplateSet::Platform => &repo.platform_templates,
            TemplateSet::ArgoCd => &repo.argocd_templates,
        }
    }
}

/// One rendered directory: a service (or the platform) in a cluster.
#[derive(Debug, Clone)]
pub struct RenderedUnit {
    pub kind: UnitKind,
    pub cluster: String,
    /// Path of the manifest, relative to `rendered/`.
    pub path: String,
    pub resources: Vec<Resource>,
    /// Input file that produced it, for the header comment.
    pub origin: String,
    /// The templates that rendered it.
    pub templates: TemplateSet,
    /// Where the unit's values came from.
    pub values: Option<Arc<ValueIndex>>,
}

/// The whole rendered tree, in memory.
#[derive(Debug, Default)]
pub struct Rendered {
    pub units: Vec<RenderedUnit>,
    /// Every file under `rendered/`, by relative path, with its content.
    pub files: BTreeMap<String, String>,
    pub warnings: Vec<Diagnostic>,
}

impl Rendered {
    pub fn service_count(&self) -> usize {
        let mut names: Vec<&str> = self
            .units
            .iter()
            .filter_map(|unit| match &unit.kind {
                UnitKind::Service { service, .. } => Some(service.as_str()),
                UnitKind::Platform { .. } | UnitKind::ArgoCd { .. } => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }

    pub fn cluster_count(&self) -> usize {
        let mut clusters: Vec<&str> = self.units.iter().map(|u| u.cluster.as_str()).collect();
        clusters.sort_unstable();
        clusters.dedup();
        clusters.len()
    }
}

/// Loads and checks the inputs from `source`; any problem fails.
pub fn load_checked(source: &dyn Source) -> Result<Repo, Failure> {
    let (raw, mut diagnostics) = load::load(source);
    let sources = raw.sources.clone();
    let (repo, more) = validate::intents::validate(raw);
    diagnostics.extend(more);
    diagnostic::normalize(&mut diagnostics);
    match repo {
        Some(repo) if !diagnostic::has_errors(&diagnostics) => Ok(repo),
        _ => {
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic::error("the platform file could not be read"));
            }
            Err(Failure {
                diagnostics,
                sources,
            })
        }
    }
}

/// Loads, checks and renders everything from `source`.
///
/// Problems in some files do not stop the rest from being checked: every
/// service whose own inputs are sound is still resolved and rendered, so
/// one run reports every mistake. Any error fails the whole run.
pub fn run(source: &dyn Source) -> Result<(Repo, Rendered), Failure> {
    let (raw, mut diagnostics) = load::load(source);
    let sources = raw.sources.clone();
    let (repo, more) = validate::intents::validate(raw);
    diagnostics.extend(more);
    let Some(repo) = repo else {
        if diagnostics.is_empty() {
            diagnostics.push(Diagnostic::error("the platform file could not be read"));
        }
        diagnostic::normalize(&mut diagnostics);
        return Err(Failure {
            diagnostics,
            sources,
        });
    };
    let broken: BTreeSet<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.location.as_ref().map(|l| l.file.clone()))
        .collect();
    let mut secrets = Vec::new();
    if !broken.contains(&repo.platform.file.path) {
        match render(&repo, &broken) {
            // What one team renders must not take what another owns:
            // checked across the organisation once every input is sound
            // (a broken input would only show here through its
            // consequences).
            Ok(rendered) if !diagnostic::has_errors(&diagnostics) => {
                let tenancy = validate::tenancy::check(&repo, &rendered, &crate::policy::today());
                diagnostics.extend(tenancy.diagnostics);
                secrets = tenancy.secrets;
                if !diagnostic::has_errors(&diagnostics) {
                    return Ok((repo, rendered));
                }
            }
            Ok(_) => {}
            Err(errors) => diagnostics.extend(errors),
        }
    }
    diagnostic::normalize(&mut diagnostics);
    let mut sources = repo.sources;
    for (file, secret) in &secrets {
        sources.redact(file, secret);
    }
    Err(Failure {
        diagnostics,
        sources,
    })
}

/// Resolves and renders every unit of a checked repository, in parallel,
/// leaving out services that depend on a file in `broken` (already
/// reported, and not to be reported again through its consequences).
pub fn render(repo: &Repo, broken: &BTreeSet<String>) -> Result<Rendered, Vec<Diagnostic>> {
    plan(repo, broken)?.render(None)
}

/// A unit's path under `rendered/`, for a service unit.
fn service_path(unit: &Unit<'_>) -> String {
    format!(
        "{}/{}/{}/{MANIFEST}",
        unit.cluster_name,
        unit.namespace(),
        unit.resolved.service.value.name
    )
}

fn cluster_unit_path(set: &TemplateSet, cluster_name: &str) -> String {
    match set {
        TemplateSet::ArgoCd => format!("{ARGOCD_DIR}/{cluster_name}/{MANIFEST}"),
        _ => format!("{cluster_name}/{PLATFORM_UNIT}/{MANIFEST}"),
    }
}

/// The per-cluster part of a service unit's template context.
fn with_cluster(unit: &Unit<'_>) -> Value {
    let mut context = unit.resolved.context.clone();
    context["cluster"] = json!({
        "name": unit.cluster_name,
        "region": unit.cluster.region,
        "server": unit.cluster.server,
    });
    context
}

/// Everything needed to render, prepared once: compiled templates and every
/// service resolved for every environment it runs in.
pub struct Plan<'a> {
    repo: &'a Repo,
    engines: BTreeMap<&'a str, Engine>,
    cluster_engines: Vec<(TemplateSet, Engine)>,
    resolved: Vec<resolve::Resolved<'a>>,
}

/// Compiles every template and resolves every service, reporting every
/// problem of both, leaving out services that depend on a file in
/// `broken` (already reported, and not to be reported again through its
/// consequences).
pub fn plan<'a>(repo: &'a Repo, broken: &BTreeSet<String>) -> Result<Plan<'a>, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut engines = BTreeMap::new();
    for (name, path) in &repo.golden_paths {
        match Engine::compile(&path.templates) {
            Ok(engine) => {
                engines.insert(name.as_str(), engine);
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    let mut cluster_engines = Vec::new();
    for (set, templates) in [
        (TemplateSet::Platform, &repo.platform_templates),
        (TemplateSet::ArgoCd, &repo.argocd_templates),
    ] {
        match Engine::compile(templates) {
            Ok(engine) => cluster_engines.push((set, engine)),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    let (resolved, resolve_errors) = resolve::resolve(repo, broken);
    diagnostics.extend(resolve_errors);
    if diagnostic::has_errors(&diagnostics) {
        diagnostic::normalize(&mut diagnostics);
        return Err(diagnostics);
    }
    Ok(Plan {
        repo,
        engines,
        cluster_engines,
        resolved,
    })
}

impl Plan<'_> {
    /// For every unit, a hash of everything its output depends on (its
    /// template context, its templates, its patches, the platform's labels),
    /// computed without rendering: two units with the same fingerprint render
    /// the same bytes. `paved diff` renders only units whose fingerprints
    /// differ between base and head.
    pub fn fingerprints(&self) -> BTreeMap<String, String> {
        use crate::postprocess::Fingerprint;
        let (repo, resolved) = (self.repo, &self.resolved);
        let templates_hash = |files: &[crate::load::TemplateFile]| -> String {
            let mut hash = Fingerprint::default();
            for template in files {
                hash.add(&template.name).add(&*template.text);
            }
            hash.finish()
        };
        let golden: BTreeMap<&str, String> = repo
            .golden_paths
            .iter()
            .map(|(name, path)| {
                (
                    name.as_str(),
                    templates_hash(&path.templates) + &path.value.version,
                )
            })
            .collect();
        let labels = &repo.platform.value.labels;
        // Everything but the cluster is shared by a service's units in one
        // environment: hash it once.
        let per_service: Vec<String> = resolved
            .par_iter()
            .map(|r| {
                let mut hash = Fingerprint::default();
                hash.add(&r.context)
                    .add(&golden[r.golden_path.value.name.as_str()])
                    .add(&r.service.value.patches)
                    .add(labels);
                hash.finish()
            })
            .collect();
        let mut out = BTreeMap::new();
        for (resolved, service_hash) in resolved.iter().zip(&per_service) {
            for (cluster_name, cluster) in &resolved.environment.value.clusters {
                let unit = Unit {
                    resolved,
                    cluster_name,
                    cluster,
                };
                let mut hash = Fingerprint::default();
                hash.add(service_hash).add(cluster_name).add(cluster);
                out.insert(service_path(&unit), hash.finish());
            }
        }
        let sets = [
            (
                TemplateSet::Platform,
                templates_hash(&repo.platform_templates)
                    + &crate::policy::gatekeeper::fingerprint(repo),
            ),
            (TemplateSet::ArgoCd, templates_hash(&repo.argocd_templates)),
        ];
        for env in &repo.environments {
            for (name, cluster) in &env.value.clusters {
                let context = cluster_context(repo, resolved, env, name, cluster);
                for (set, templates) in &sets {
                    let mut hash = Fingerprint::default();
                    hash.add(&context)
                        .add(templates)
                        .add(labels)
                        .add(&env.value.name);
                    out.insert(cluster_unit_path(set, name), hash.finish());
                }
            }
        }
        out
    }

    /// Renders the units whose paths are in `only` (every unit when `None`).
    pub fn render(&self, only: Option<&BTreeSet<String>>) -> Result<Rendered, Vec<Diagnostic>> {
        let wanted = |path: &str| only.is_none_or(|only| only.contains(path));
        let (repo, resolved) = (self.repo, &self.resolved);
        let (engines, cluster_engines) = (&self.engines, &self.cluster_engines);
        let mut diagnostics = Vec::new();
        let mut units = resolve::units(resolved);
        units.retain(|unit| wanted(&service_path(unit)));
        let service_results: Vec<(Option<RenderedUnit>, Vec<Diagnostic>)> = units
            .par_iter()
            .map(|unit| {
                render_service(
                    repo,
                    &engines[unit.resolved.golden_path.value.name.as_str()],
                    unit,
                )
            })
            .collect();

        let clusters: Vec<(&Entry<crate::model::Environment>, &String, &Cluster)> = repo
            .environments
            .iter()
            .flat_map(|env| {
                env.value
                    .clusters
                    .iter()
                    .map(move |(name, c)| (env, name, c))
            })
            .collect();
        let cluster_results: Vec<(Option<RenderedUnit>, Vec<Diagnostic>)> = clusters
            .par_iter()
            .flat_map_iter(|(env, name, cluster)| {
                let needed = cluster_engines
                    .iter()
                    .any(|(set, _)| wanted(&cluster_unit_path(set, name)));
                let context = if needed {
                    cluster_context(repo, resolved, env, name, cluster)
                } else {
                    Value::Null
                };
                cluster_engines
                    .iter()
                    .filter(|(set, _)| wanted(&cluster_unit_path(set, name)))
                    .map(move |(set, engine)| {
                        render_cluster_unit(repo, set, engine, env, name, context.clone())
                    })
            })
            .collect();

        let mut rendered = Rendered::default();
        for (unit, unit_diagnostics) in cluster_results.into_iter().chain(service_results) {
            diagnostics.extend(unit_diagnostics);
            rendered.units.extend(unit);
        }
        diagnostic::normalize(&mut diagnostics);
        if diagnostic::has_errors(&diagnostics) {
            return Err(diagnostics);
        }
        rendered.warnings = diagnostics;
        rendered.units.sort_by(|a, b| a.path.cmp(&b.path));
        rendered.files = rendered
            .units
            .par_iter()
            .map(|unit| (unit.path.clone(), manifest_text(unit)))
            .collect();
        rendered.files.insert(
        ".gitattributes".into(),
        "# Generated by paved. Reviewers read `paved diff`; GitHub collapses these files.\n* linguist-generated=true\n".into(),
    );
        Ok(rendered)
    }
}

/// A label value Kubernetes accepts: at most 63 characters, starting and
/// ending with a letter or digit.
fn label_value(text: &str) -> String {
    let cut: String = text.chars().take(63).collect();
    cut.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// Records that the platform's labels on every resource come from
/// `platform.yaml`, so findings about them point there.
fn attribute_platform_labels(repo: &Repo, resources: &mut [Resource]) {
    let file = &repo.platform.file;
    for key in repo.platform.value.labels.keys() {
        let source = crate::yaml::pointer_push("/labels", key);
        let Some(span) = file.doc.span_for(&source, false) else {
            continue;
        };
        let location = crate::diagnostic::Location::at(&file.path, span);
        let escaped = crate::yaml::escape_token(key);
        for resource in resources.iter_mut() {
            for base in [
                "/metadata/labels",
                "/spec/template/metadata/labels",
                "/spec/jobTemplate/spec/template/metadata/labels",
            ] {
                resource
                    .written
                    .push((format!("{base}/{escaped}"), location.clone()));
            }
        }
    }
}

fn standard_labels(repo: &Repo, environment: &str) -> BTreeMap<String, String> {
    let mut labels = repo.platform.value.labels.clone();
    labels.insert("app.kubernetes.io/managed-by".into(), "paved".into());
    labels.insert("paved.dev/environment".into(), environment.into());
    labels
}

fn render_service(
    repo: &Repo,
    engine: &Engine,
    unit: &Unit<'_>,
) -> (Option<RenderedUnit>, Vec<Diagnostic>) {
    let resolved = unit.resolved;
    let service = resolved.service;
    let env = &resolved.environment.value.name;
    let what = format!(
        "`{}` for cluster `{}`",
        service.value.name, unit.cluster_name
    );
    let context = with_cluster(unit);
    let version = context["version"].as_str().map(label_value);
    let (mut resources, mut diagnostics) = engine.render(context, &what);
    diagnostics.extend(patch::apply(service, env, &mut resources));
    let templates = &resolved.golden_path.templates;
    diagnostics.extend(fence(&mut resources, unit.namespace(), &what, templates));
    if diagnostic::has_errors(&diagnostics) {
        return (None, diagnostics);
    }
    let mut labels = standard_labels(repo, env);
    labels.insert("app.kubernetes.io/name".into(), service.value.name.clone());
    labels.insert(
        "app.kubernetes.io/component".into(),
        resolved.golden_path.value.name.clone(),
    );
    labels.insert("paved.dev/team".into(), service.team.clone());
    let mut workload_labels = BTreeMap::new();
    if let Some(version) = version {
        workload_labels.insert("app.kubernetes.io/version".into(), version);
    }
    postprocess::finish(&mut resources, &labels, &workload_labels);
    attribute_platform_labels(repo, &mut resources);
    let path = service_path(unit);
    let unit = RenderedUnit {
        kind: UnitKind::Service {
            service: service.value.name.clone(),
            team: service.team.clone(),
            environment: env.clone(),
        },
        cluster: unit.cluster_name.to_owned(),
        path,
        resources,
        origin: format!(
            "{} (golden path {} {})",
            service.file.path, resolved.golden_path.value.name, resolved.golden_path.value.version
        ),
        templates: TemplateSet::GoldenPath(resolved.golden_path.value.name.clone()),
        values: Some(resolved.index()),
    };
    (Some(unit), diagnostics)
}

/// Keeps a service's resources inside its team's namespace: sets the
/// namespace where a template left it out, refuses any other namespace,
/// any cluster-scoped kind, the platform's fences and plain Secrets
/// (secrets come only from the store, through ExternalSecrets). A refusal
/// caused by a service's patch points at the patch line.
fn fence(
    resources: &mut [Resource],
    namespace: &str,
    what: &str,
    templates: &[load::TemplateFile],
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for resource in resources.iter_mut() {
        let description = format!("{}/{}", resource.kind(), resource.name());
        let blame = |pointer: &str, field: &str, diagnostic: Diagnostic| {
            match validate::manifests::written_at(resource, pointer) {
                Some(location) => diagnostic
                    .at(location)
                    .label(format!("this patch sets `{field}`"))
                    .help(format!("seen rendering {what}")),
                None => diagnostic
                    .at(template_line(
                        templates,
                        &resource.template,
                        resource.kind(),
                        field,
                    ))
                    .help(format!("seen rendering {what}")),
            }
        };
        if PLATFORM_OWNED.contains(&resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a {} and only the platform creates those", resource.kind())))
                    .help("quotas, access and network policy come from `platform/templates/`; Argo CD objects from `platform/argocd/`"),
            );
            continue;
        }
        if is_cluster_scoped(resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is cluster-scoped; a service may only create resources in its team's namespace")))
                    .help("cluster-wide resources belong in `platform/`"),
            );
            continue;
        }
        if NOT_FOR_SERVICES.contains(&resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a {}, which a service may not create", resource.kind())))
                    .help("routes come from `routes:` (an Ingress), certificates from the platform's issuer, secrets from the platform's store through `secrets:`"),
            );
            continue;
        }
        if resource.kind() == "Secret" {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a plain Secret; a service's secrets come only from the secret store")))
                    .help("reference the value under `secrets:` in the intent (`NAME: {key: <team>/<path>}`): paved renders an ExternalSecret, and the value never enters this repository"),
            );
            continue;
        }
        match resource.namespace() {
            None => {
                resource.value["metadata"]["namespace"] = Value::String(namespace.to_owned());
            }
            Some(ns) if ns == namespace => {}
            Some(ns) => {
                let diagnostic = Diagnostic::error(format!(
                    "`{description}` is in namespace `{ns}`, outside the team's namespace `{namespace}`"
                ));
                diagnostics.push(
                    blame("/metadata/namespace", "metadata.namespace", diagnostic)
                        .help("a service's resources always live in its team's namespace"),
                );
            }
        }
    }
    diagnostics
}

/// The line of a template that writes `field` (`kind`,
/// `metadata.namespace`) of a resource of `kind`: in the document that
/// declares that kind when the template holds several.
fn template_line(
    templates: &[load::TemplateFile],
    path: &str,
    kind: &str,
    field: &str,
) -> crate::diagnostic::Location {
    let key = format!("{}:", field.rsplit('.').next().unwrap_or(field));
    let found = templates
        .iter()
        .find(|t| t.path == path)
        .and_then(|template| {
            let lines: Vec<(usize, &str)> = template
                .text
                .split_inclusive('\n')
                .scan(0, |offset, line| {
                    let start = *offset;
                    *offset += line.len();
                    Some((start, line))
                })
                .collect();
            let declares = |line: &str| {
                let rest = line.trim_start().strip_prefix("kind:").map(str::trim);
                rest.is_some_and(|value| value.trim_matches('"') == kind)
            };
            let document = lines.iter().position(|(_, line)| declares(line));
            let from = document.map_or(0, |at| {
                lines[..=at]
                    .iter()
                    .rposition(|(_, line)| line.starts_with("---"))
                    .unwrap_or(0)
            });
            let (index, (offset, line)) = lines
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, (_, line))| line.trim_start().starts_with(&key))?;
            let indent = line.len() - line.trim_start().len();
            let start = offset + indent;
            Some(crate::diagnostic::Span {
                line: index + 1,
                column: indent + 1,
                bytes: start..start + key.len() - 1,
            })
        });
    match found {
        Some(span) => crate::diagnostic::Location::at(path, span),
        None => crate::diagnostic::Location::file(path),
    }
}

/// What cluster-level templates (`platform/templates/`, `platform/argocd/`)
/// see: the platform, the environment and cluster, every team with its
/// quota here and the services it runs here (with their routes, ports and
/// the services that call them).
fn cluster_context(
    repo: &Repo,
    resolved: &[resolve::Resolved<'_>],
    env: &Entry<crate::model::Environment>,
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
fn render_cluster_unit(
    repo: &Repo,
    set: &TemplateSet,
    engine: &Engine,
    env: &Entry<crate::model::Environment>,
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
        match crate::policy::gatekeeper::platform_resources(repo, &env.value, cluster_name) {
            Ok(admission) => resources.extend(admission),
            Err(errors) => return (None, errors),
        }
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

/// The text of a unit's `manifest.yaml`.
pub fn manifest_text(unit: &RenderedUnit) -> String {
    let mut text = format!(
        "# Generated by paved from {}.\n# Do not edit: change the inputs and run `paved render`.\n",
        unit.origin
    );
    for resource in &unit.resources {
        text.push_str("---\n");
        text.push_str(&crate::yaml::to_string(&resource.value));
    }
    text
}
