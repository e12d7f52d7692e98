//! Stage 3, resolve: for each service in each environment it runs in, layer
//! the values (golden-path defaults < platform < environment < service <
//! per-environment override) with JSON merge patch (RFC 7386), remember
//! which layer set each value, and derive what the templates need.
//!
//! Pure: no I/O. Values from a later layer replace earlier ones key by key;
//! lists are replaced whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::context::{
    Dependency, Dependent, EnvVar, EnvironmentRef, FileRef, HealthRef, PlatformRef, PortRef,
    Quantities, Resources, RouteRef, SecretRef, ServiceContext, ServiceRef,
};
use super::infra::Infra;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::findings::{SchemaFinding, schema_findings};
use crate::input::load::SourceFile;
use crate::input::model::{Cluster, Environment, Spec};
use crate::input::repo::{Entry, GoldenPathEntry, Repo, ServiceEntry};
use crate::support::pointer::{field_path, pointer_push};

/// The layers, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerKind {
    GoldenPath,
    Platform,
    Environment,
    Service,
    Override,
}

/// Where a value came from: a layer, its file and the pointer in that file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub layer: LayerKind,
    pub file: String,
    pub pointer: String,
}

/// For each node of the merged values that some layer set, the origin.
/// Lookups find the longest prefix, so a map set whole by one layer
/// answers for its children.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    origins: BTreeMap<String, Origin>,
}

impl Provenance {
    /// Records that `patch` (from `layer`, at `base` in `file`) was merged
    /// at `at` in the values.
    fn record(&mut self, at: &str, patch: &Value, layer: LayerKind, file: &str, base: &str) {
        match patch {
            Value::Object(map) if !map.is_empty() => {
                // A map belongs to the first layer that made it; its keys to
                // whichever layer set them last.
                if !at.is_empty() {
                    self.origins.entry(at.to_owned()).or_insert_with(|| Origin {
                        layer,
                        file: file.to_owned(),
                        pointer: base.to_owned(),
                    });
                }
                for (key, value) in map {
                    let child = pointer_push(at, key);
                    let source = pointer_push(base, key);
                    if !value.is_object() {
                        self.forget_below(&child);
                    }
                    self.record(&child, value, layer, file, &source);
                }
            }
            _ => {
                self.origins.insert(
                    at.to_owned(),
                    Origin {
                        layer,
                        file: file.to_owned(),
                        pointer: base.to_owned(),
                    },
                );
            }
        }
    }

    /// Forgets `at` and everything under it. Pointers under `at` all start
    /// with `at/`, so they sit together in the map's order: only they are
    /// visited, which keeps layering linear in the number of keys.
    fn forget_below(&mut self, at: &str) {
        self.origins.remove(at);
        let prefix = format!("{at}/");
        let below: Vec<String> = self
            .origins
            .range(prefix.clone()..)
            .take_while(|(pointer, _)| pointer.starts_with(&prefix))
            .map(|(pointer, _)| pointer.clone())
            .collect();
        for pointer in below {
            self.origins.remove(&pointer);
        }
    }

    /// The origin of the value at `pointer`, with the pointer mapped into
    /// the origin's file.
    pub fn origin(&self, pointer: &str) -> Option<Origin> {
        let mut at = pointer;
        loop {
            if let Some(origin) = self.origins.get(at) {
                let rest = &pointer[at.len()..];
                return Some(Origin {
                    pointer: format!("{}{rest}", origin.pointer),
                    ..origin.clone()
                });
            }
            at = &at[..at.rfind('/')?];
        }
    }

    /// The strongest layer that set the node at `pointer` or anything in it.
    pub fn set_by(&self, pointer: &str) -> Option<LayerKind> {
        let prefix = format!("{pointer}/");
        self.origins
            .range(pointer.to_owned()..)
            .take_while(|(key, _)| *key == pointer || key.starts_with(&prefix))
            .map(|(_, origin)| origin.layer)
            .max()
    }
}

/// The scalar values a unit's layers set, by their text, with where each
/// was set: how a finding in rendered output finds the intent line that
/// produced a value.
#[derive(Debug, Default)]
pub struct ValueIndex {
    by_text: HashMap<String, Setters>,
}

/// Who set values with one text: one place, or several (then a finding
/// about that text needs a hint to say which).
#[derive(Debug)]
enum Setters {
    One(Origin),
    Many(Vec<Origin>),
}

impl ValueIndex {
    fn build(values: &Value, provenance: &Provenance) -> ValueIndex {
        let mut index = ValueIndex::default();
        let mut pending = vec![(String::new(), values)];
        while let Some((pointer, value)) = pending.pop() {
            match value {
                Value::Object(map) => {
                    pending.extend(map.iter().map(|(k, v)| (pointer_push(&pointer, k), v)));
                }
                Value::Array(items) => {
                    pending.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (format!("{pointer}/{i}"), v)),
                    );
                }
                Value::String(text) if text.chars().count() >= 3 => {
                    index.add(text.clone(), provenance, &pointer)
                }
                Value::Number(number) => index.add(number.to_string(), provenance, &pointer),
                _ => {}
            }
        }
        index
    }

    fn add(&mut self, text: String, provenance: &Provenance, pointer: &str) {
        if let Some(origin) = provenance.origin(pointer) {
            use std::collections::hash_map::Entry as Slot;
            match self.by_text.entry(text) {
                Slot::Vacant(slot) => {
                    slot.insert(Setters::One(origin));
                }
                // Appended without a search, so that a map of many equal
                // values stays linear; repeats are harmless.
                Slot::Occupied(mut slot) => match slot.get_mut() {
                    Setters::One(first) if *first == origin => {}
                    Setters::One(first) => {
                        let first = first.clone();
                        slot.insert(Setters::Many(vec![first, origin]));
                    }
                    Setters::Many(origins) => origins.push(origin),
                },
            }
        }
    }

    /// Every place that set a value like `value`.
    pub fn origins(&self, value: &Value) -> &[Origin] {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return &[],
        };
        match self.by_text.get(&text) {
            Some(Setters::One(origin)) => std::slice::from_ref(origin),
            Some(Setters::Many(origins)) => origins,
            None => &[],
        }
    }

    /// Where `value` was set, if exactly one place set a value like it.
    pub fn unique(&self, value: &Value) -> Option<&Origin> {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return None,
        };
        match self.by_text.get(&text) {
            Some(Setters::One(origin)) => Some(origin),
            _ => None,
        }
    }
}

/// One service's values layered for one environment: what the template
/// context is derived from.
#[derive(Debug)]
pub struct Layered<'a> {
    pub service: &'a ServiceEntry,
    pub environment: &'a Entry<Environment>,
    pub golden_path: &'a GoldenPathEntry,
    /// The platform's file, whose defaults are a layer.
    platform: &'a SourceFile,
    /// The merged spec, as JSON (shared with the template context's
    /// `spec`).
    pub values: Arc<Value>,
    /// Which layer set each value: worked out only when something asks
    /// (a finding, `explain`), since most runs never do and it costs a
    /// string or three for every value of every service.
    provenance: OnceLock<Provenance>,
    /// The merged spec, typed.
    pub spec: Spec,
}

impl<'a> Layered<'a> {
    /// The layers, weakest first: each one's kind, file and the pointer to
    /// its values in that file.
    fn layers(&self) -> [(LayerKind, &'a SourceFile, String); 5] {
        layers(
            self.platform,
            self.service,
            self.environment,
            self.golden_path,
        )
    }

    /// Whether the service itself (its file, or its override for this
    /// environment) sets the top-level field `key`, as its provenance
    /// would say, without working that out.
    pub fn set_by_service(&self, key: &str) -> bool {
        crate::input::schema::spec_fields()
            .iter()
            .any(|field| field == key)
            && self.layers().iter().any(|(layer, file, base)| {
                *layer >= LayerKind::Service
                    && file
                        .doc
                        .value
                        .pointer(base)
                        .and_then(Value::as_object)
                        .is_some_and(|values| values.contains_key(key))
            })
    }

    /// Which layer set each value.
    pub fn provenance(&self) -> &Provenance {
        self.provenance.get_or_init(|| {
            let mut provenance = Provenance::default();
            for (layer, file, base) in &self.layers() {
                if let Some(patch) = spec_patch(file, base) {
                    provenance.record("", &patch, *layer, &file.path, base);
                }
            }
            provenance
        })
    }
}

/// The layers of `service` in `environment`, weakest first: each one's
/// kind, file and the pointer to its values in that file. The first
/// [`SHARED_LAYERS`] are the same for every service of its golden path
/// there.
fn layers<'a>(
    platform: &'a SourceFile,
    service: &'a ServiceEntry,
    environment: &'a Entry<Environment>,
    golden_path: &'a GoldenPathEntry,
) -> [(LayerKind, &'a SourceFile, String); 5] {
    let override_pointer = pointer_push("/environments", &environment.value.name);
    let [path, platform, environment] = shared_layers(platform, environment, golden_path);
    [
        path,
        platform,
        environment,
        (LayerKind::Service, &service.file, String::new()),
        (LayerKind::Override, &service.file, override_pointer),
    ]
}

/// How many of a service's [`layers`] its golden path's other services
/// share in an environment.
const SHARED_LAYERS: usize = 3;

/// The defaults of a golden path, of the platform and of an environment.
fn shared_layers<'a>(
    platform: &'a SourceFile,
    environment: &'a Entry<Environment>,
    golden_path: &'a GoldenPathEntry,
) -> [(LayerKind, &'a SourceFile, String); SHARED_LAYERS] {
    [
        (LayerKind::GoldenPath, &golden_path.file, "/defaults".into()),
        (LayerKind::Platform, platform, "/defaults".into()),
        (
            LayerKind::Environment,
            &environment.file,
            "/defaults".into(),
        ),
    ]
}

/// `layers` merged into one map of values, onto `values`.
fn merge_layers(values: &mut Value, layers: &[(LayerKind, &SourceFile, String)]) {
    for (_, file, base) in layers {
        if let Some(patch) = spec_patch(file, base) {
            json_patch::merge(values, &patch);
        }
    }
}

/// The spec fields of the map at `base` in `file`, as a merge patch
/// (the service file holds more than the spec); `None` without a map.
fn spec_patch(file: &SourceFile, base: &str) -> Option<Value> {
    let Some(Value::Object(values)) = file.doc.value.pointer(base) else {
        return None;
    };
    let spec_keys = crate::input::schema::spec_fields();
    let patch: Map<String, Value> = values
        .iter()
        .filter(|(key, _)| spec_keys.contains(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Some(Value::Object(patch))
}

/// One service resolved for one environment: its layered values (through
/// `Deref`) and the context its templates see.
#[derive(Debug)]
pub struct Resolved<'a> {
    layered: Layered<'a>,
    /// What templates see, except the per-cluster part.
    pub context: ServiceContext,
    /// Where each scalar value came from, for findings in rendered
    /// output; built on first use.
    index: OnceLock<Arc<ValueIndex>>,
}

impl<'a> std::ops::Deref for Resolved<'a> {
    type Target = Layered<'a>;

    fn deref(&self) -> &Layered<'a> {
        &self.layered
    }
}

impl Resolved<'_> {
    /// Where each scalar value of this service came from.
    pub fn index(&self) -> Arc<ValueIndex> {
        self.index
            .get_or_init(|| {
                let mut index = ValueIndex::build(&self.values, self.provenance());
                // The image reference is made from `image` and `tag` or
                // `digest`: the version is what changes, so point there.
                if let Some(image) = &self.context.image {
                    let version = if self.values.get("digest").is_some() {
                        "/digest"
                    } else {
                        "/tag"
                    };
                    index.add(image.clone(), self.provenance(), version);
                }
                Arc::new(index)
            })
            .clone()
    }
}

/// One directory of output: a service in a cluster.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    pub resolved: &'a Resolved<'a>,
    pub cluster_name: &'a str,
    pub cluster: &'a Cluster,
}

impl Unit<'_> {
    pub fn namespace(&self) -> &str {
        &self.resolved.service.team
    }
}

/// Resolves every service in every environment it runs in, except where
/// a file it depends on is in `broken`.
pub fn resolve<'a>(
    repo: &'a Repo,
    broken: &BTreeSet<String>,
) -> (Vec<Resolved<'a>>, Vec<Diagnostic>) {
    resolve_where(repo, broken, None, None)
}

/// [`resolve`], of the services named in `names` only.
pub fn resolve_some<'a>(
    repo: &'a Repo,
    broken: &BTreeSet<String>,
    names: &BTreeSet<String>,
) -> (Vec<Resolved<'a>>, Vec<Diagnostic>) {
    resolve_where(repo, broken, None, Some(names))
}

/// [`resolve`], in `environment` only: the same services, resolved the
/// same, without what resolving them found (reported by [`resolve`]).
pub fn resolve_in<'a>(
    repo: &'a Repo,
    broken: &BTreeSet<String>,
    environment: &str,
) -> Vec<Resolved<'a>> {
    resolve_where(repo, broken, Some(environment), None).0
}

fn resolve_where<'a>(
    repo: &'a Repo,
    broken: &BTreeSet<String>,
    only: Option<&str>,
    names: Option<&BTreeSet<String>>,
) -> (Vec<Resolved<'a>>, Vec<Diagnostic>) {
    let deployed = deployments(repo);
    let per_service: Vec<(Vec<Resolved<'a>>, Vec<Diagnostic>)> = repo
        .services
        .par_iter()
        .filter(|service| names.is_none_or(|names| names.contains(&service.value.name)))
        .map(|service| resolve_service(repo, service, broken, &deployed, only))
        .collect();
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    for (resolved, found) in per_service {
        out.extend(resolved);
        diagnostics.extend(found);
    }
    (out, diagnostics)
}

/// One service in every environment it runs in (or in `only`).
fn resolve_service<'a>(
    repo: &'a Repo,
    service: &'a ServiceEntry,
    broken: &BTreeSet<String>,
    deployed: &Deployments<'a>,
    only: Option<&str>,
) -> (Vec<Resolved<'a>>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let Some(newest) = repo.golden_paths.get(&service.value.golden_path) else {
        return (out, Vec::new());
    };
    let team_sound = repo
        .team(&service.team)
        .is_some_and(|team| !broken.contains(&team.file.path));
    if !team_sound || broken.contains(&service.file.path) || broken.contains(&newest.file.path) {
        return (out, Vec::new());
    }
    let mut per_environment = Vec::new();
    let environments = service.value.environments.keys();
    for env_name in environments.filter(|name| only.is_none_or(|only| only == name.as_str())) {
        let Some(environment) = repo.environment(env_name) else {
            continue;
        };
        if broken.contains(&environment.file.path) {
            continue;
        }
        // The version the environment pins, else the newest.
        let Some(golden_path) = repo.golden_path_for(&service.value.golden_path, env_name) else {
            continue;
        };
        let mut found = Vec::new();
        if let Some(resolved) = resolve_one(
            repo,
            service,
            environment,
            golden_path,
            deployed,
            &mut found,
        ) {
            out.push(resolved);
        }
        per_environment.extend(found.into_iter().map(|d| (env_name.as_str(), d)));
    }
    (out, merge_environments(per_environment))
}

/// One service's problems, each seen in one environment: the same problem
/// in several environments becomes one message naming them all.
fn merge_environments(found: Vec<(&str, Diagnostic)>) -> Vec<Diagnostic> {
    let mut groups: Vec<(Diagnostic, Vec<&str>)> = Vec::new();
    // Each group's index by what makes two problems the same: one lookup
    // per problem, however many a service has.
    let mut index: HashMap<(String, Option<Location>, Option<String>), usize> = HashMap::new();
    for (env, diagnostic) in found {
        let marker = format!("`{env}`");
        let general = Diagnostic {
            message: diagnostic.message.replacen(&marker, "`{}`", 1),
            ..diagnostic
        };
        let key = (
            general.message.clone(),
            general.location.clone(),
            general.field.clone(),
        );
        match index.get(&key) {
            Some(&at) => groups[at].1.push(env),
            None => {
                index.insert(key, groups.len());
                groups.push((general, vec![env]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(diagnostic, envs)| {
            let names: Vec<String> = envs.iter().map(|env| format!("`{env}`")).collect();
            let joined = match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            };
            Diagnostic {
                message: diagnostic.message.replacen("`{}`", &joined, 1),
                ..diagnostic
            }
        })
        .collect()
}

/// The units of every resolved service: one per cluster of its environment.
pub fn units<'a>(resolved: &'a [Resolved<'a>]) -> Vec<Unit<'a>> {
    resolved
        .iter()
        .flat_map(|resolved| {
            resolved
                .environment
                .value
                .clusters
                .iter()
                .map(move |(name, cluster)| Unit {
                    resolved,
                    cluster_name: name,
                    cluster,
                })
        })
        .collect()
}

/// Who runs where and who calls whom, built once so that resolving stays
/// linear in the number of services.
struct Deployments<'a> {
    /// For each environment, the services that run there.
    running: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// For each (environment, service), the services there that depend on
    /// it, as (name, team).
    dependents: BTreeMap<(&'a str, &'a str), Vec<(&'a str, &'a str)>>,
    /// The layers every service of a golden-path version shares in an
    /// environment (the path's, the platform's and the environment's
    /// defaults), merged: by (golden-path file, environment).
    defaults: HashMap<(&'a str, &'a str), Value>,
}

fn deployments(repo: &Repo) -> Deployments<'_> {
    let mut running: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut dependents: BTreeMap<(&str, &str), Vec<(&str, &str)>> = BTreeMap::new();
    for service in &repo.services {
        let name = service.value.name.as_str();
        for (env, overrides) in &service.value.environments {
            running.entry(env.as_str()).or_default().insert(name);
            let depends_on = overrides.depends_on.as_ref().or(service
                .value
                .spec
                .depends_on
                .as_ref());
            for target in depends_on.into_iter().flatten() {
                dependents
                    .entry((env.as_str(), target.as_str()))
                    .or_default()
                    .push((name, service.team.as_str()));
            }
        }
    }
    let platform = &repo.platform.file;
    let defaults = repo
        .golden_paths
        .values()
        .flat_map(|path| std::iter::once(path).chain(path.versions.values()))
        .flat_map(|path| repo.environments.iter().map(move |env| (path, env)))
        .map(|(path, env)| {
            let key = (path.file.path.as_str(), env.value.name.as_str());
            (key, shared_defaults(platform, env, path))
        })
        .collect();
    Deployments {
        running,
        dependents,
        defaults,
    }
}

/// The [`shared_layers`] merged: what every service of `golden_path` in
/// `environment` starts from.
fn shared_defaults(
    platform: &SourceFile,
    environment: &Entry<Environment>,
    golden_path: &GoldenPathEntry,
) -> Value {
    let mut values = Value::Object(Map::new());
    merge_layers(
        &mut values,
        &shared_layers(platform, environment, golden_path),
    );
    values
}

/// Locates a finding about `pointer` in the merged values: at the layer
/// that set it, or (for a value nobody set, or something `missing` inside
/// it) where the service would say it. Also returns the field as that file
/// spells it (`environments.prod.replicas`).
pub fn locate(
    repo: &Repo,
    resolved: &Layered<'_>,
    pointer: &str,
    at_key: bool,
    missing: bool,
) -> (Location, String) {
    let origin = resolved
        .provenance()
        .origin(pointer)
        .filter(|origin| !missing || origin.layer >= LayerKind::Service);
    if let Some(origin) = origin
        && let Some(file) = repo.file(&origin.file)
        && let Some(span) = file.doc.span_for(&origin.pointer, at_key)
    {
        return (Location::at(&file.path, span), field_path(&origin.pointer));
    }
    // Nobody set it: point at the nearest thing the service wrote about it,
    // else at its entry for this environment.
    let file = &resolved.service.file;
    let mut parent = pointer;
    let mut span = file
        .doc
        .node(pointer)
        .filter(|_| missing)
        .map(|node| node.key.clone().unwrap_or_else(|| node.value.clone()));
    while let Some(cut) = parent.rfind('/').filter(|&cut| cut > 0 && span.is_none()) {
        parent = &parent[..cut];
        if let Some(node) = file.doc.node(parent) {
            span = Some(node.key.clone().unwrap_or_else(|| node.value.clone()));
            break;
        }
    }
    let env_pointer = pointer_push("/environments", &resolved.environment.value.name);
    let span = span
        .or_else(|| file.doc.span_for(&env_pointer, true))
        .or_else(|| file.doc.span_for("/name", false));
    let location = match span {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    };
    (location, field_path(pointer))
}

fn resolve_one<'a>(
    repo: &'a Repo,
    service: &'a ServiceEntry,
    environment: &'a Entry<Environment>,
    golden_path: &'a GoldenPathEntry,
    deployed: &Deployments<'a>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Resolved<'a>> {
    let env_name = environment.value.name.as_str();
    let platform = &repo.platform.file;
    let mut values = match deployed
        .defaults
        .get(&(golden_path.file.path.as_str(), env_name))
    {
        Some(defaults) => defaults.clone(),
        None => shared_defaults(platform, environment, golden_path),
    };
    let layers = layers(platform, service, environment, golden_path);
    merge_layers(&mut values, &layers[SHARED_LAYERS..]);

    let spec: Spec = match serde::Deserialize::deserialize(&values) {
        Ok(spec) => spec,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "the layered values of `{}` in `{env_name}` do not form a valid service: {error}",
                    service.value.name
                ))
                .at(match service.file.doc.span_for(&pointer_push("/environments", env_name), true) {
                    Some(span) => Location::at(&service.file.path, span),
                    None => Location::file(&service.file.path),
                })
                .field(field_path(&pointer_push("/environments", env_name))),
            );
            return None;
        }
    };
    let layered = Layered {
        service,
        environment,
        golden_path,
        platform,
        values: Arc::new(values),
        provenance: OnceLock::new(),
        spec,
    };
    let before = diagnostics.len();
    let mut derive = Derive {
        repo,
        resolved: &layered,
        deployed,
        diagnostics,
    };
    let mut context = derive.context();
    context.infra = derive.infra();
    if diagnostics.len() > before {
        return None;
    }
    Some(Resolved {
        layered,
        context,
        index: OnceLock::new(),
    })
}

/// Checks the layered values and derives the template context.
struct Derive<'r, 'a> {
    repo: &'a Repo,
    resolved: &'r Layered<'a>,
    deployed: &'r Deployments<'a>,
    diagnostics: &'r mut Vec<Diagnostic>,
}

impl Derive<'_, '_> {
    fn error(&mut self, pointer: &str, at_key: bool, message: String, help: Vec<String>) {
        let missing = self.resolved.values.pointer(pointer).is_none();
        let (location, field) = locate(self.repo, self.resolved, pointer, at_key, missing);
        let mut diagnostic = Diagnostic::error(message).at(location).field(field);
        diagnostic.help = help;
        self.diagnostics.push(diagnostic);
    }

    fn env(&self) -> &str {
        &self.resolved.environment.value.name
    }

    /// When the environment pins an older version of the golden path than
    /// the newest, a line saying so: what an older version cannot take, the
    /// newest may.
    fn pin_help(&self) -> Option<String> {
        let path = &self.resolved.golden_path.value;
        let newest = &self.repo.golden_paths.get(&path.name)?.value;
        (newest.version != path.version).then(|| {
            format!(
                "`{env}` pins golden path `{name}` {old} (`goldenPaths` in `environments/{env}.yaml`), older than the newest, {new}: move `{env}` to {new} before a service asks for this there",
                env = self.env(),
                name = path.name,
                old = path.version,
                new = newest.version,
            )
        })
    }

    fn context(&mut self) -> ServiceContext {
        let resolved = self.resolved;
        let spec = &resolved.spec;
        let repo = self.repo;
        let service = &resolved.service.value;
        let golden_path = &resolved.golden_path.value;
        let env = &resolved.environment.value;

        for required in &golden_path.requires {
            if resolved.values.get(required).is_none() {
                let message = format!(
                    "`{}` needs `{required}` in `{}`: golden path `{}` requires it",
                    service.name,
                    self.env(),
                    golden_path.name
                );
                let mut help = vec![format!(
                    "set `{required}` in the service, or under `environments.{}`",
                    self.env()
                )];
                help.extend(self.pin_help());
                self.error(&format!("/{required}"), true, message, help);
            }
        }

        for rejected in &golden_path.rejects {
            // Defaults from the platform or environment do not count: only
            // what the service itself says.
            let set_by_service = resolved.set_by_service(rejected);
            if set_by_service {
                let message = format!(
                    "golden path `{}` {} does not take `{rejected}`",
                    golden_path.name, golden_path.version
                );
                let mut help = vec![format!(
                    "remove `{rejected}` ({}: {})",
                    golden_path.name, golden_path.description
                )];
                help.extend(self.pin_help());
                self.error(&format!("/{rejected}"), true, message, help);
            }
        }

        // Params, checked against the golden path's schema.
        let params = resolved
            .values
            .get("params")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let findings = schema_findings(
            &resolved.golden_path.params,
            &golden_path.params,
            &params,
            "/params",
        );
        for finding in findings {
            let (location, field) = locate(
                self.repo,
                resolved,
                &finding.pointer,
                finding.at_key,
                finding.missing,
            );
            let message = format!(
                "{} in `{}` (golden path `{}` params)",
                finding.message,
                self.env(),
                golden_path.name
            );
            let mut diagnostic = SchemaFinding { message, ..finding }.located(location);
            diagnostic.field = Some(field).filter(|f| !f.is_empty());
            self.diagnostics.push(diagnostic);
        }

        let image = self.image();
        let resources = self.resources();
        let ports = spec.ports.clone().unwrap_or_default();
        let default_port = self.default_port(&ports);
        let replicas = self.replicas();

        let port_ref = |this: &mut Self, pointer: &str, name: Option<&String>| -> Option<String> {
            match name {
                Some(name) if ports.contains_key(name) => Some(name.clone()),
                Some(name) => {
                    let known: Vec<&String> = ports.keys().collect();
                    this.error(
                        pointer,
                        false,
                        format!("unknown port `{name}`"),
                        vec![format!(
                            "ports of this service: {}",
                            crate::support::text::quote_list(&known)
                        )],
                    );
                    None
                }
                None => default_port.clone(),
            }
        };

        let mut routes = Vec::new();
        for (name, route) in spec.routes.iter().flatten() {
            let pointer = format!("/routes/{name}/port");
            let port = port_ref(self, &pointer, route.port.as_ref());
            if port.is_none() && route.port.is_none() {
                self.error(
                    &format!("/routes/{name}"),
                    true,
                    format!("route `{name}` does not say which port it reaches"),
                    vec!["add `port: <name>`, or name one of the ports `http`".into()],
                );
            }
            routes.push(RouteRef {
                name: name.clone(),
                host: route.host.clone(),
                path: route.path.clone(),
                port,
            });
        }

        let health = spec.health.as_ref().map(|health| HealthRef {
            readiness: health.readiness.clone(),
            liveness: health.liveness.clone(),
            port: port_ref(self, "/health/port", health.port.as_ref()),
        });

        let env_vars = spec
            .env
            .iter()
            .flatten()
            .map(|(name, value)| EnvVar {
                name: name.clone(),
                value: value.as_text(),
            })
            .collect();
        let secrets = spec
            .secrets
            .iter()
            .flatten()
            .map(|(name, secret)| SecretRef {
                name: name.clone(),
                key: secret.key.clone(),
                property: secret.property.clone(),
            })
            .collect();
        let files = spec
            .files
            .iter()
            .flatten()
            .map(|(name, content)| FileRef {
                name: name.clone(),
                content: content.clone(),
            })
            .collect();
        let dependencies = self.dependencies();
        let dependents = self.dependents();

        let team = repo
            .team(&resolved.service.team)
            .map(|team| team.value.clone());
        let platform = &repo.platform.value;
        ServiceContext {
            service: ServiceRef {
                name: service.name.clone(),
                description: service.description.clone(),
                team: resolved.service.team.clone(),
                namespace: resolved.service.team.clone(),
                golden_path: golden_path.name.clone(),
                golden_path_version: golden_path.version.clone(),
                file: resolved.service.file.path.clone(),
            },
            team,
            environment: EnvironmentRef::of(env),
            platform: PlatformRef {
                organization: platform.organization.clone(),
                secret_store: platform.secret_store.clone(),
                ingress: platform.ingress.clone(),
            },
            spec: Arc::clone(&resolved.values),
            params,
            image: image.0,
            version: image.1,
            resources,
            replicas,
            autoscaling: spec.autoscaling.clone(),
            port_numbers: ports
                .iter()
                .map(|(name, port)| (name.clone(), port.0))
                .collect(),
            ports: PortRef::all(&ports),
            route_hosts: routes.iter().map(|route| route.host.clone()).collect(),
            port: default_port,
            routes,
            health,
            env: env_vars,
            secrets,
            files,
            command: spec.command.clone(),
            args: spec.args.clone(),
            service_account_token: spec.service_account_token.unwrap_or(false),
            dependencies,
            dependents,
            selector: BTreeMap::from([("app.kubernetes.io/name".to_owned(), service.name.clone())]),
            infra: Infra::default(),
        }
    }

    /// The image reference and the version label.
    fn image(&mut self) -> (Option<String>, Option<String>) {
        let spec = &self.resolved.spec;
        let Some(repository) = &spec.image else {
            let help = vec![
                "set `image` to the image repository, such as `registry.example.com/team/service`"
                    .into(),
            ];
            self.error(
                "/image",
                true,
                format!(
                    "no image for `{}` in `{}`",
                    self.resolved.service.value.name,
                    self.env()
                ),
                help,
            );
            return (None, None);
        };
        match (&spec.digest, &spec.tag) {
            (Some(digest), _) => {
                let short = digest
                    .trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>();
                (
                    Some(format!("{repository}@{digest}")),
                    Some(format!("sha256-{short}")),
                )
            }
            (None, Some(tag)) if tag == "latest" => {
                self.error(
                    "/tag",
                    false,
                    "the tag `latest` is not allowed".into(),
                    vec!["pin a version, so every render deploys the same image".into()],
                );
                (None, None)
            }
            (None, Some(tag)) => (Some(format!("{repository}:{tag}")), Some(tag.clone())),
            (None, None) => {
                let env = self.env().to_owned();
                let help = vec![format!(
                    "add `tag:` (or `digest:`) under `environments.{env}`"
                )];
                self.error(
                    "/tag",
                    true,
                    format!(
                        "no image tag or digest for `{}` in `{env}`",
                        self.resolved.service.value.name
                    ),
                    help,
                );
                (None, None)
            }
        }
    }

    /// Requests and limits from the size preset and explicit resources.
    fn resources(&mut self) -> Resources {
        let spec = &self.resolved.spec;
        let platform = &self.repo.platform.value;
        let preset = spec.size.as_ref().and_then(|size| platform.sizes.get(size));
        let explicit = spec.resources.as_ref();
        let pick = |explicit: Option<&crate::input::model::Quantity>,
                    preset: Option<&crate::input::model::Quantity>| {
            explicit
                .or(preset)
                .map(crate::input::model::Quantity::as_text)
        };
        let cpu = pick(
            explicit.and_then(|r| r.cpu.as_ref()),
            preset.map(|p| &p.cpu),
        );
        let memory = pick(
            explicit.and_then(|r| r.memory.as_ref()),
            preset.map(|p| &p.memory),
        );
        let cpu_limit = pick(
            explicit.and_then(|r| r.cpu_limit.as_ref()),
            preset.map(|p| &p.cpu_limit),
        );
        let memory_limit =
            pick(explicit.and_then(|r| r.memory_limit.as_ref()), None).or_else(|| memory.clone());
        let storage = preset.map(|p| p.ephemeral_storage.as_text());
        if cpu.is_none() || memory.is_none() {
            let sizes: Vec<&String> = platform.sizes.keys().collect();
            self.error(
                "/size",
                true,
                format!(
                    "no CPU or memory request for `{}` in `{}`",
                    self.resolved.service.value.name,
                    self.env()
                ),
                vec![format!(
                    "set `size` to one of {}, or set `resources.cpu` and `resources.memory`",
                    crate::support::text::quote_list(&sizes)
                )],
            );
        }
        Resources {
            requests: Quantities {
                cpu,
                memory,
                ephemeral_storage: storage.clone(),
            },
            limits: Quantities {
                cpu: cpu_limit,
                memory: memory_limit,
                ephemeral_storage: storage,
            },
        }
    }

    /// The port routes and probes use when they do not name one: `http`,
    /// else the only port besides the one that serves metrics.
    fn default_port(&self, ports: &BTreeMap<String, crate::input::model::Port>) -> Option<String> {
        let metrics = self
            .resolved
            .spec
            .metrics
            .as_ref()
            .and_then(|m| m.port.as_ref());
        let mut others = ports.keys().filter(|name| Some(*name) != metrics);
        if ports.contains_key("http") {
            Some("http".into())
        } else if let (Some(only), None) = (others.next(), others.next()) {
            Some(only.clone())
        } else {
            None
        }
    }

    /// Fixed replicas (`None` when autoscaling), checked against high
    /// availability.
    fn replicas(&mut self) -> Option<u32> {
        let spec = &self.resolved.spec;
        let ha = self.resolved.environment.value.high_availability;
        let env = self.env().to_owned();
        if let Some(scaling) = &spec.autoscaling {
            if scaling.min_replicas > scaling.max_replicas {
                self.error(
                    "/autoscaling/minReplicas",
                    false,
                    format!(
                        "`minReplicas` ({}) is above `maxReplicas` ({})",
                        scaling.min_replicas, scaling.max_replicas
                    ),
                    Vec::new(),
                );
            }
            if ha && scaling.min_replicas < 2 {
                self.error(
                    "/autoscaling/minReplicas",
                    false,
                    format!("`{env}` requires high availability: `minReplicas` must be at least 2, found {}", scaling.min_replicas),
                    vec![format!("set `autoscaling.minReplicas: 2` or more under `environments.{env}`")],
                );
            }
            return None;
        }
        let replicas = spec.replicas.unwrap_or(1);
        if ha && replicas < 2 && self.resolved.golden_path.value.high_availability {
            self.error(
                "/replicas",
                false,
                format!("`{env}` requires high availability: `replicas` must be at least 2, found {replicas}"),
                vec![format!("set `replicas: 2` or more under `environments.{env}`")],
            );
        }
        Some(replicas)
    }

    fn dependencies(&mut self) -> Vec<Dependency> {
        let resolved = self.resolved;
        let env = self.env().to_owned();
        let running = self.deployed.running.get(env.as_str());
        let mut out = Vec::new();
        for (index, name) in resolved.spec.depends_on.iter().flatten().enumerate() {
            let Some(target) = self.repo.service(name) else {
                continue;
            };
            if !running.is_some_and(|names| names.contains(name.as_str())) {
                self.error(
                    &format!("/dependsOn/{index}"),
                    false,
                    format!("`{}` depends on `{name}`, which does not run in `{env}`", resolved.service.value.name),
                    vec![format!("deploy `{name}` to `{env}` first, or remove the dependency under `environments.{env}`")],
                );
                continue;
            }
            out.push(Dependency {
                name: name.clone(),
                namespace: target.team.clone(),
                ports: target_ports(target, &env),
            });
        }
        out
    }

    /// Services in the same environment that depend on this one.
    fn dependents(&self) -> Vec<Dependent> {
        let key = (self.env(), self.resolved.service.value.name.as_str());
        self.deployed
            .dependents
            .get(&key)
            .into_iter()
            .flatten()
            .map(|(name, team)| Dependent {
                name: name.to_string(),
                namespace: team.to_string(),
            })
            .collect()
    }
}

/// The ports another service listens on in `env` (service and override layers).
fn target_ports(target: &ServiceEntry, env: &str) -> Vec<PortRef> {
    let ports = target
        .value
        .environments
        .get(env)
        .and_then(|o| o.ports.as_ref())
        .or(target.value.spec.ports.as_ref());
    ports.map(PortRef::all).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Managed resources and observability: what a service uses besides its
// workload and what watches it, checked and resolved into `Infra` (see
// `render::infra`), which templates see as `uses`, `metrics`, `slo` and
// `dashboard`.

impl Derive<'_, '_> {
    fn infra(&mut self) -> Infra {
        use super::infra::Dashboard;
        let uses = self.managed_resources();
        let metrics = self.metrics_endpoint();
        let slo = self.slos(metrics.as_ref());
        let service = &self.resolved.service.value.name;
        let team = &self.resolved.service.team;
        Infra {
            uses,
            metrics,
            slo,
            dashboard: Dashboard {
                uid: service.clone(),
                title: format!("{team} / {service}"),
                config_map: format!("{service}-dashboard"),
                path: format!("/d/{service}"),
            },
        }
    }

    /// Each `uses` entry: a claim of one of the platform's classes, a
    /// resource another service of the team claims, or an external one.
    fn managed_resources(&mut self) -> Vec<super::infra::UsedResource> {
        use super::infra::{Claim, EnvKey, UseMode, UsedResource};
        use crate::support::text::{nearest, quote_list};
        let resolved = self.resolved;
        let repo = self.repo;
        let service = resolved.service.value.name.clone();
        let env = self.env().to_owned();
        let spec = &resolved.spec;
        let mut taken: BTreeSet<String> =
            spec.env.iter().flatten().map(|(k, _)| k.clone()).collect();
        taken.extend(spec.secrets.iter().flatten().map(|(k, _)| k.clone()));
        let classes = &repo.resource_classes;
        let class_list = || {
            let names: Vec<&String> = classes.keys().collect();
            if names.is_empty() {
                "the platform has no resource classes yet: they are files of `platform/resources/`"
                    .to_owned()
            } else {
                format!(
                    "the platform's resource classes (`platform/resources/`): {}",
                    quote_list(&names)
                )
            }
        };
        let mut out = Vec::new();
        for (name, entry) in spec.uses.iter().flatten() {
            let base = pointer_push("/uses", name);
            let env_prefix = format!("{}_", name.to_uppercase().replace('-', "_"));
            let class = match &entry.kind {
                Some(kind) => match classes.get(kind) {
                    Some(class) => Some(class),
                    // Its file is broken, and reported as such.
                    None if repo.resource_class_files.contains(kind) => continue,
                    None => {
                        let mut help = Vec::new();
                        if let Some(near) = nearest(kind, classes.keys().map(String::as_str)) {
                            help.push(format!("did you mean `{near}`?"));
                        }
                        help.push(class_list());
                        self.error(
                            &format!("{base}/type"),
                            false,
                            format!("unknown resource class `{kind}`"),
                            help,
                        );
                        continue;
                    }
                },
                None => None,
            };
            let needless = |this: &mut Self, fields: &[(&str, bool)], why: &str, help: &str| {
                for (field, set) in fields {
                    if *set {
                        this.error(
                            &format!("{base}/{field}"),
                            true,
                            format!("`uses.{name}` {why}, so it takes no `{field}`"),
                            vec![help.replace("{field}", field)],
                        );
                    }
                }
            };
            if let Some(external) = &entry.external {
                needless(
                    self,
                    &[
                        ("size", entry.size.is_some()),
                        ("options", entry.options.is_some()),
                        ("from", entry.from.is_some()),
                    ],
                    "is provisioned outside the platform",
                    "remove `{field}`, or remove `external` to claim the resource from the platform",
                );
                out.push(UsedResource {
                    name: name.clone(),
                    class: entry.kind.clone(),
                    mode: UseMode::External,
                    size: None,
                    options: Map::new(),
                    composition: None,
                    from: None,
                    secret_key: Some(external.secret_key.clone()),
                    secret_name: format!("{service}-{name}"),
                    env_prefix,
                    env: Vec::new(),
                    claim: None,
                });
                continue;
            }
            if let Some(from) = &entry.from {
                needless(
                    self,
                    &[
                        ("size", entry.size.is_some()),
                        ("options", entry.options.is_some()),
                    ],
                    &format!("is claimed by `{from}`"),
                    "set `{field}` where the resource is claimed",
                );
                let Some(owner_class) = self.shared_class(name, from, &base) else {
                    continue;
                };
                if let Some(kind) = &entry.kind
                    && *kind != owner_class
                {
                    self.error(
                        &format!("{base}/type"),
                        false,
                        format!("`{from}` claims `{name}` as a `{owner_class}`, not a `{kind}`"),
                        vec![format!("write `type: {owner_class}`, or leave `type` out")],
                    );
                    continue;
                }
                let Some(class) = classes.get(&owner_class) else {
                    continue;
                };
                let env_keys =
                    self.env_keys(&base, &env_prefix, &class.value.connection_keys, &mut taken);
                out.push(UsedResource {
                    name: name.clone(),
                    class: Some(owner_class),
                    mode: UseMode::Shared,
                    size: None,
                    options: Map::new(),
                    composition: None,
                    from: Some(from.clone()),
                    secret_key: None,
                    secret_name: format!("{from}-{name}"),
                    env_prefix,
                    env: env_keys
                        .into_iter()
                        .map(|(name, key)| EnvKey { name, key })
                        .collect(),
                    claim: None,
                });
                continue;
            }
            let Some(class) = class else {
                self.error(
                    &base,
                    true,
                    format!("`uses.{name}` needs a `type`"),
                    vec![format!("set `type` to a resource class; {}", class_list()), "or `from: <service>` to use a resource another service of the team claims, or `external: {secretKey: ...}` for one provisioned elsewhere".into()],
                );
                continue;
            };
            let size = entry
                .size
                .clone()
                .unwrap_or_else(|| class.value.default_size.clone());
            if !class.value.sizes.contains_key(&size) {
                let sizes: Vec<String> = class
                    .value
                    .sizes
                    .iter()
                    .map(|(size, what)| format!("`{size}` ({what})"))
                    .collect();
                let mut help = Vec::new();
                if let Some(near) = nearest(&size, class.value.sizes.keys().map(String::as_str)) {
                    help.push(format!("did you mean `{near}`?"));
                }
                help.push(format!(
                    "sizes of `{}`: {}",
                    class.value.name,
                    sizes.join(", ")
                ));
                self.error(
                    &format!("{base}/size"),
                    false,
                    format!("resource class `{}` has no size `{size}`", class.value.name),
                    help,
                );
            }
            let size_known = class.value.sizes.contains_key(&size);
            let options = entry.options.clone().unwrap_or_default();
            let findings = schema_findings(
                &class.options,
                &class.options_schema,
                &Value::Object(options.clone()),
                &format!("{base}/options"),
            );
            if !findings.is_empty() {
                for finding in findings {
                    let (location, field) = locate(
                        repo,
                        resolved,
                        &finding.pointer,
                        finding.at_key,
                        finding.missing,
                    );
                    let offered: Vec<&String> = class.value.options.keys().collect();
                    let mut help = finding.help.clone();
                    if finding.message.starts_with("unknown field") {
                        help.retain(|h| h.starts_with("did you mean"));
                        help.push(if offered.is_empty() {
                            format!("resource class `{}` offers no options", class.value.name)
                        } else {
                            format!(
                                "options of resource class `{}`: {}",
                                class.value.name,
                                quote_list(&offered)
                            )
                        });
                    }
                    let message = format!(
                        "{} (resource class `{}`, in `{env}`)",
                        finding.message.replace("unknown field", "unknown option"),
                        class.value.name
                    );
                    let mut diagnostic = SchemaFinding {
                        message,
                        help,
                        ..finding
                    }
                    .located(location);
                    diagnostic.field = Some(field).filter(|f| !f.is_empty());
                    self.diagnostics.push(diagnostic);
                }
                continue;
            }
            if !size_known {
                continue;
            }
            let env_keys =
                self.env_keys(&base, &env_prefix, &class.value.connection_keys, &mut taken);
            let mut parameters = Map::new();
            parameters.insert("size".into(), Value::String(size.clone()));
            parameters.extend(options.clone());
            let composition =
                crate::input::classes::composition_name(&class.value, class.composition_for(&env));
            let claim = &class.value.claim;
            out.push(UsedResource {
                name: name.clone(),
                class: Some(class.value.name.clone()),
                mode: UseMode::Claim,
                size: Some(size),
                options,
                composition: Some(composition),
                from: None,
                secret_key: None,
                secret_name: format!("{service}-{name}"),
                env_prefix,
                env: env_keys
                    .into_iter()
                    .map(|(name, key)| EnvKey { name, key })
                    .collect(),
                claim: Some(Claim {
                    api_version: format!("{}/{}", claim.group, claim.version),
                    kind: claim.kind.clone(),
                    name: format!("{service}-{name}"),
                    parameters,
                }),
            });
        }
        out
    }

    /// The variables a resource's connection keys become, each checked
    /// against the names the service already uses.
    fn env_keys(
        &mut self,
        base: &str,
        prefix: &str,
        keys: &[String],
        taken: &mut BTreeSet<String>,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for key in keys {
            let variable = format!("{prefix}{}", key.to_uppercase().replace('-', "_"));
            if !taken.insert(variable.clone()) {
                self.error(
                    base,
                    true,
                    format!("`{variable}`, which this resource sets, is also set under `env`, `secrets` or another `uses` entry"),
                    vec!["rename the `uses` entry or the other variable".into()],
                );
            }
            out.push((variable, key.clone()));
        }
        out
    }

    /// The class of the resource `name` that service `from` claims, after
    /// checking it may be shared: same team, running here, claiming it.
    fn shared_class(&mut self, name: &str, from: &str, base: &str) -> Option<String> {
        let resolved = self.resolved;
        let env = self.env().to_owned();
        let pointer = format!("{base}/from");
        let Some(owner) = self.repo.service(from) else {
            // A service of the team whose intent is broken is reported at
            // its own file, not again here.
            let intent = format!("teams/{}/services/{from}.yaml", resolved.service.team);
            if self.repo.sources.get(&intent).is_some() {
                return None;
            }
            let known: Vec<&str> = self
                .repo
                .services
                .iter()
                .filter(|s| s.team == resolved.service.team)
                .map(|s| s.value.name.as_str())
                .collect();
            let mut help = Vec::new();
            if let Some(near) = crate::support::text::nearest(from, known.iter().copied()) {
                help.push(format!("did you mean `{near}`?"));
            }
            help.push(format!(
                "services of team `{}`: {}",
                resolved.service.team,
                crate::support::text::quote_list(&known)
            ));
            self.error(&pointer, false, format!("unknown service `{from}`"), help);
            return None;
        };
        if owner.team != resolved.service.team {
            self.error(
                &pointer,
                false,
                format!("`{from}` belongs to team `{}`: a resource is shared only within its team", owner.team),
                vec!["its connection secret lives in that team's namespace; claim a resource of your own".into()],
            );
            return None;
        }
        // The owner's entry as layered for this environment: its
        // override, then its base.
        let here = owner
            .value
            .environments
            .get(&env)
            .and_then(|o| o.uses.as_ref())
            .and_then(|uses| uses.get(name));
        let base = owner
            .value
            .spec
            .uses
            .as_ref()
            .and_then(|uses| uses.get(name));
        let pick = |field: fn(&crate::input::model::ManagedResource) -> bool| {
            here.is_some_and(field) || base.is_some_and(field)
        };
        let kind = here
            .and_then(|entry| entry.kind.clone())
            .or_else(|| base.and_then(|entry| entry.kind.clone()));
        let runs_here = owner.value.environments.contains_key(&env);
        let claims = (here.is_some() || base.is_some())
            && !pick(|entry| entry.from.is_some())
            && !pick(|entry| entry.external.is_some());
        match kind {
            Some(kind) if runs_here && claims => Some(kind),
            _ => {
                self.error(
                    &pointer,
                    false,
                    format!("`{from}` does not claim `{name}` in `{env}`"),
                    vec![format!("`from` names the service whose `uses.{name}` claims the resource (with a `type`), in the same environment")],
                );
                None
            }
        }
    }

    /// The port metrics are scraped from.
    fn metrics_endpoint(&mut self) -> Option<super::infra::MetricsEndpoint> {
        let spec = &self.resolved.spec;
        let metrics = spec.metrics.as_ref()?;
        let port = metrics.port.clone().unwrap_or_else(|| "metrics".into());
        let ports = spec.ports.clone().unwrap_or_default();
        let Some(number) = ports.get(&port) else {
            let known: Vec<&String> = ports.keys().collect();
            self.error(
                "/metrics/port",
                false,
                format!("unknown port `{port}`"),
                vec![format!(
                    "the metrics port is one of the service's ports: {}",
                    crate::support::text::quote_list(&known)
                )],
            );
            return None;
        };
        Some(super::infra::MetricsEndpoint {
            port,
            number: number.0,
            path: metrics.path.clone().unwrap_or_else(|| "/metrics".into()),
            selector: format!(
                "namespace=\"{}\", job=\"{}\"",
                self.resolved.service.team, self.resolved.service.value.name
            ),
        })
    }

    /// The service's objectives, with their thresholds computed exactly.
    fn slos(&mut self, metrics: Option<&super::infra::MetricsEndpoint>) -> super::infra::Slos {
        use super::infra::{self as infra, Objective, Slos};
        use crate::input::model::SloName;
        let resolved = self.resolved;
        let golden_path = &resolved.golden_path.value;
        let env = self.env().to_owned();
        let production = resolved.environment.value.production;
        let page_severity = if production { "critical" } else { "warning" };
        let mut slos = Slos {
            window: infra::WINDOW.into(),
            windows: infra::WINDOWS.iter().map(|w| (*w).to_owned()).collect(),
            objectives: Vec::new(),
            page_severity: page_severity.into(),
        };
        let slo = resolved
            .spec
            .slo
            .clone()
            .unwrap_or(crate::input::model::Slo {
                availability: None,
                latency: None,
                freshness: None,
            });
        let measured = &golden_path.slos;
        for (name, set) in [
            (SloName::Availability, slo.availability.is_some()),
            (SloName::Latency, slo.latency.is_some()),
            (SloName::Freshness, slo.freshness.is_some()),
        ] {
            if set && !measured.contains(&name) {
                let field = serde_json::to_value(name)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let known: Vec<String> = measured
                    .iter()
                    .filter_map(|m| serde_json::to_value(m).ok()?.as_str().map(str::to_owned))
                    .collect();
                self.error(
                    &format!("/slo/{field}"),
                    true,
                    format!(
                        "golden path `{}` {} measures no `{field}` objective",
                        golden_path.name, golden_path.version
                    ),
                    [if known.is_empty() {
                        "it measures no objectives".into()
                    } else {
                        format!("it measures {}", crate::support::text::quote_list(&known))
                    }]
                    .into_iter()
                    .chain(self.pin_help())
                    .collect(),
                );
            }
        }
        let team = &resolved.service.team;
        let service = &resolved.service.value.name;
        let selector =
            |slo: &str| format!("namespace=\"{team}\", service=\"{service}\", slo=\"{slo}\"");
        let ratio = |this: &mut Self, pointer: &str, percent: f64| -> Option<(u64, String)> {
            match infra::budget_nanos(percent) {
                Some(budget) => Some((budget, infra::percent_text(percent))),
                None => {
                    this.error(
                        pointer,
                        false,
                        format!("an objective of {percent}% is not accepted in `{env}`"),
                        vec![format!(
                            "write a percentage below 100 with at most {} decimals, such as `99.9`",
                            infra::OBJECTIVE_DECIMALS
                        )],
                    );
                    None
                }
            }
        };
        if metrics.is_none() && (slo.availability.is_some() || slo.latency.is_some()) {
            self.error(
                "/slo",
                true,
                format!("`{service}` has objectives but no metrics to measure them in `{env}`"),
                vec!["set `metrics.port` to the port that serves Prometheus metrics".into()],
            );
        }
        if let Some(percent) = slo
            .availability
            .filter(|_| measured.contains(&SloName::Availability))
            && let Some((budget, text)) = ratio(self, "/slo/availability", percent)
        {
            slos.objectives.push(Objective {
                name: SloName::Availability,
                description: format!("{text}% succeed over {}", infra::WINDOW),
                percent: Some(text),
                target: Some(infra::decimal(1_000_000_000 - u128::from(budget), 9)),
                budget: Some(infra::decimal(u128::from(budget), 9)),
                threshold: None,
                threshold_seconds: None,
                le: None,
                freshness: None,
                freshness_seconds: None,
                alerts: infra::burn_alerts(budget, &selector("availability"), page_severity),
            });
        }
        if let Some(latency) = slo.latency.filter(|_| measured.contains(&SloName::Latency))
            && let Some((budget, text)) = ratio(self, "/slo/latency/objective", latency.objective)
        {
            match infra::threshold_micros(&latency.threshold) {
                Some(micros) => {
                    let seconds = infra::decimal(u128::from(micros), 6);
                    slos.objectives.push(Objective {
                        name: SloName::Latency,
                        description: format!(
                            "{text}% take at most {} over {}",
                            latency.threshold,
                            infra::WINDOW
                        ),
                        percent: Some(text),
                        target: Some(infra::decimal(1_000_000_000 - u128::from(budget), 9)),
                        budget: Some(infra::decimal(u128::from(budget), 9)),
                        threshold: Some(latency.threshold.clone()),
                        le: Some(infra::le_matcher(&seconds)),
                        threshold_seconds: Some(seconds),
                        freshness: None,
                        freshness_seconds: None,
                        alerts: infra::burn_alerts(budget, &selector("latency"), page_severity),
                    });
                }
                None => self.error(
                    "/slo/latency/threshold",
                    false,
                    format!("`{}` is not a latency threshold", latency.threshold),
                    vec!["write a time above zero in `ms` or `s`, to the microsecond at most, such as `300ms` or `2.5s`".into()],
                ),
            }
        }
        // Without a schedule (already reported by the params schema) there
        // is no default to derive.
        let scheduled = resolved.values.pointer("/params/schedule").is_some();
        if measured.contains(&SloName::Freshness) && (scheduled || slo.freshness.is_some()) {
            let freshness = match &slo.freshness {
                Some(text) => infra::duration_seconds(text).map(|seconds| (text.clone(), seconds)),
                None => self.default_freshness(),
            };
            match freshness {
                Some((text, seconds)) => slos.objectives.push(Objective {
                    name: SloName::Freshness,
                    description: format!("a run succeeds at least every {text}"),
                    percent: None,
                    target: None,
                    budget: None,
                    threshold: None,
                    threshold_seconds: None,
                    le: None,
                    freshness: Some(text),
                    freshness_seconds: Some(seconds),
                    alerts: Vec::new(),
                }),
                None => self.error(
                    "/slo/freshness",
                    true,
                    format!("`{service}` needs `slo.freshness` in `{env}`: its schedule gives no period to derive it from"),
                    vec!["set `slo.freshness` to the longest time allowed since the last successful run, such as `26h`".into()],
                ),
            }
        }
        slos
    }

    /// One period of `params.schedule` plus `params.timeoutSeconds`: by
    /// then a run should have succeeded.
    fn default_freshness(&self) -> Option<(String, u64)> {
        let params = self.resolved.values.get("params")?;
        let period = super::infra::schedule_period(params.get("schedule")?.as_str()?)?;
        let timeout = params
            .get("timeoutSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let seconds = (period + timeout).div_ceil(60) * 60;
        Some((super::infra::duration_text(seconds), seconds))
    }
}
