//! The rendered tree in memory: one unit per output directory (a service
//! in a cluster, a cluster's `_platform`, its `_argocd`), where each lives
//! under `rendered/`, and the text of its `manifest.yaml`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::resolve::{Unit, ValueIndex};
use super::summary::Summary;
use super::template::Resource;
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;

/// The directory everything is rendered into.
pub const RENDERED_DIR: &str = "rendered";

/// Per-cluster directory of platform resources (namespaces, quotas, ...).
pub const PLATFORM_UNIT: &str = "_platform";

/// Name of the one file each unit directory holds.
pub const MANIFEST: &str = "manifest.yaml";

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
    pub fn files<'a>(&self, repo: &'a Repo) -> &'a [crate::input::load::TemplateFile] {
        match self {
            // `name`, or `name@version` for an older, pinned version.
            TemplateSet::GoldenPath(path) => {
                let (name, version) = path.split_once('@').unwrap_or((path, ""));
                repo.golden_paths
                    .get(name)
                    .and_then(|g| {
                        if version.is_empty() {
                            Some(g)
                        } else {
                            g.versions.get(version)
                        }
                    })
                    .map_or(&[], |g| g.templates.as_slice())
            }
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
    pub resources: Arc<Vec<Resource>>,
    /// Input file that produced it, for the header comment.
    pub origin: String,
    /// The templates that rendered it.
    pub templates: TemplateSet,
    /// Where the unit's values came from.
    pub values: Option<Arc<ValueIndex>>,
    /// The bytes it was read back from (`read_back`), written as they are.
    pub text: Option<Arc<str>>,
    /// For a unit read back without its resources (`resources` is then
    /// empty): the summary the trusted index holds of them. Without `text`
    /// too, `rendered/` holds its bytes already (by their hash): they are
    /// left in place.
    pub summarised: Option<Arc<Summarised>>,
    /// Whether it was rendered and checked, then left with its text and
    /// summary for its resources ([`RenderedUnit::compact`]): not read back.
    pub compacted: bool,
    /// For a unit carried as its summary and read back (some of its
    /// resources are checked again): its file held these very bytes
    /// before they were read, by their hash, so it is left as it is.
    pub placed: bool,
}

/// A unit's summary, how many resources it stands for, and the sha256 of
/// its manifest.
#[derive(Debug)]
pub struct Summarised {
    /// Shared with the index it was read from, and the one written next.
    pub summary: Arc<Summary>,
    pub resources: usize,
    pub sha256: String,
}

impl RenderedUnit {
    /// Whether it is a service's unit (not the platform's).
    pub fn is_service(&self) -> bool {
        matches!(self.kind, UnitKind::Service { .. })
    }

    /// Whether it was read back (as a trusted index names it) rather than
    /// rendered.
    pub fn is_read_back(&self) -> bool {
        !self.compacted && (self.text.is_some() || self.summarised.is_some())
    }

    /// Keeps its summary (and its text, with `text`) instead of its
    /// resources, once every check that reads them has run: what a full
    /// render keeps of a cluster while it renders the next. (Without its
    /// text, the summary names no sha256: a unit kept so is never written.)
    pub fn compact(&mut self, text: bool) {
        if self.text.is_some() || self.summarised.is_some() {
            return;
        }
        let text = text.then(|| manifest_text(self));
        let summarised = Summarised {
            summary: self.summary(),
            resources: self.resources.len(),
            sha256: text
                .as_ref()
                .map(|text| crate::support::hash::sha256(text.as_bytes()))
                .unwrap_or_default(),
        };
        self.text = text.map(Into::into);
        self.summarised = Some(Arc::new(summarised));
        self.resources = Arc::new(Vec::new());
        self.values = None;
        self.compacted = true;
    }

    /// Whether its file under `rendered/` holds its bytes already (see
    /// `summarised`, `placed`): neither written nor compared.
    pub fn is_in_place(&self) -> bool {
        !self.compacted && (self.text.is_none() || self.placed) && self.summarised.is_some()
    }

    /// Whether it was compacted and its text handed over to be written
    /// (`render::Keep::Hashes`): it keeps the sha256 of its bytes.
    pub fn is_handed_over(&self) -> bool {
        self.compacted
            && self.text.is_none()
            && self
                .summarised
                .as_ref()
                .is_some_and(|summarised| !summarised.sha256.is_empty())
    }

    /// How many resources it holds, read back or not.
    pub fn resource_count(&self) -> usize {
        self.summarised
            .as_ref()
            .map_or(self.resources.len(), |s| s.resources)
    }

    /// The summary of its resources: the one it was read back with, else
    /// made from them.
    pub fn summary(&self) -> Arc<Summary> {
        match &self.summarised {
            Some(summarised) => Arc::clone(&summarised.summary),
            None => Arc::new(Summary::of(&self.resources, self.is_service())),
        }
    }
}

/// A file's text for `rendered/`: a unit's own, shared, or made for the
/// write (the index's tens of megabytes are not copied again).
#[derive(Debug, Clone)]
pub enum FileText {
    Shared(Arc<str>),
    Owned(String),
}

impl std::ops::Deref for FileText {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            FileText::Shared(text) => text,
            FileText::Owned(text) => text,
        }
    }
}

impl AsRef<str> for FileText {
    fn as_ref(&self) -> &str {
        self
    }
}

impl PartialEq for FileText {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for FileText {}

/// Namespaces by cluster (`""` for what is cluster-scoped).
pub type Changed = BTreeMap<String, BTreeSet<String>>;

/// The whole rendered tree, in memory.
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub units: Vec<RenderedUnit>,
    pub warnings: Vec<Diagnostic>,
    /// Paths of units rendered only for the others to be checked against
    /// (a command focused on some services renders the platform's own
    /// units of their clusters too): neither reported on nor written.
    pub context: BTreeSet<String>,
    /// For a full render, each unit's fingerprint by path: a hash of
    /// everything its output depends on (`Plan::fingerprints`), which the
    /// index records so that a later run can tell which units changed.
    pub fingerprints: BTreeMap<String, String>,
    /// For a full render, each service unit's entry in its cluster's
    /// context, hashed (`cluster::service_in_cluster`), by path: recorded
    /// by the index beside the fingerprints (`render::recall`).
    pub entries: BTreeMap<String, String>,
    /// For a run that carries units as their summaries: the namespaces,
    /// by cluster, where anything changed since the index they came
    /// from. Resources elsewhere passed every check then, and nothing they
    /// are checked against changed: the checks pass them by.
    pub changed: Option<Changed>,
    /// The paths of units the same render holds elsewhere: when it is
    /// checked a cluster at a time, every unit's, since the other
    /// clusters' exist too (an Argo CD Application may name any
    /// directory).
    pub elsewhere: Arc<BTreeSet<String>>,
}

/// Whether a dropped render is left for the process's end: see
/// [`leave_renders_to_exit`].
static LEFT_TO_EXIT: AtomicBool = AtomicBool::new(false);

/// Says whether the process ends after its command (`paved` itself, one
/// command per process): a render dropped then is left to the operating
/// system, since freeing its millions of values one by one only delays the
/// exit (a fifth of a second at 1,000 services). Off by default, so a
/// process that renders again and again (`portal serve`, the benchmarks,
/// a library user) frees every render.
pub fn leave_renders_to_exit(leave: bool) {
    LEFT_TO_EXIT.store(leave, Ordering::Relaxed);
}

/// Drops `value`, or leaves it to the process's end when renders are
/// ([`leave_renders_to_exit`]): what a command builds once and holds to
/// its end (repositories, plans) is as costly to free as a render.
pub fn leave_to_exit<T>(value: T) {
    if LEFT_TO_EXIT.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

impl Drop for Rendered {
    fn drop(&mut self) {
        let units = std::mem::take(&mut self.units);
        if LEFT_TO_EXIT.load(Ordering::Relaxed) {
            std::mem::forget(units);
        } else {
            units.into_par_iter().for_each(drop);
        }
    }
}

/// The files under `rendered/` that are no unit's: GitHub collapses the
/// units in pull requests, and git ignores what paved keeps there for
/// this clone alone (`write`: its lock, an interrupted render's staging,
/// its records of the files' hashes and of the last verdicts), in any
/// repository, whatever its own `.gitignore` says.
const OWN_FILES: [(&str, &str); 2] = [
    (
        ".gitattributes",
        "# Generated by paved. Reviewers read `paved diff`; GitHub collapses these files.\n* linguist-generated=true\n",
    ),
    (
        ".gitignore",
        "# Generated by paved: what it keeps here for this clone alone, never committed.\n/.paved-lock\n/.paved-staging\n/.paved-hashes*\n/.paved-verdicts*\n",
    ),
];

impl Rendered {
    /// Whether the checks look at a resource in `namespace` of `cluster`
    /// (see `changed`): every one of a cluster where a cluster-scoped
    /// resource changed (a namespace or a Composition, which resources
    /// anywhere in it name).
    pub fn checks(&self, cluster: &str, namespace: &str) -> bool {
        self.changed.as_ref().is_none_or(|changed| {
            changed
                .get(cluster)
                .is_some_and(|namespaces| namespaces.contains(namespace) || namespaces.contains(""))
        })
    }

    /// Whether `unit` is only context for the others (see `context`).
    pub fn is_context(&self, unit: &RenderedUnit) -> bool {
        self.context.contains(&unit.path)
    }

    /// The units a command reports on and writes: all but the context.
    pub fn in_focus(&self) -> impl Iterator<Item = &RenderedUnit> {
        self.units.iter().filter(|unit| !self.is_context(unit))
    }

    /// Every file under `rendered/`, by relative path, with its content,
    /// but those already in place ([`Rendered::in_place`]): written out
    /// only for the commands that write or compare files.
    pub fn files(&self) -> BTreeMap<String, FileText> {
        let mut files: BTreeMap<String, FileText> = self
            .units
            .par_iter()
            .filter(|unit| !self.is_context(unit) && !unit.is_in_place() && !unit.is_handed_over())
            .map(|unit| {
                // A unit's own text is shared, not copied.
                let text = match &unit.text {
                    Some(text) => FileText::Shared(text.clone()),
                    None => FileText::Owned(manifest_text(unit)),
                };
                (unit.path.clone(), text)
            })
            .collect();
        files.extend(OWN_FILES.map(|(path, text)| (path.into(), FileText::Owned(text.into()))));
        files
    }

    /// The paths of the files under `rendered/` that hold their units'
    /// bytes already (found by their hash, not read): left as they are.
    pub fn in_place(&self) -> BTreeSet<String> {
        self.in_focus()
            .filter(|unit| unit.is_in_place())
            .map(|unit| unit.path.clone())
            .collect()
    }

    /// The files of the units whose texts were handed over
    /// ([`RenderedUnit::is_handed_over`]), each with its sha256.
    pub fn handed_over(&self) -> BTreeMap<String, String> {
        self.units
            .iter()
            .filter(|unit| unit.is_handed_over())
            .filter_map(|unit| Some((unit.path.clone(), unit.summarised.as_ref()?.sha256.clone())))
            .collect()
    }

    /// Every unit [`RenderedUnit::compact`]ed, on every thread. The
    /// platform's and Argo CD's units, thousands of resources each, go
    /// first, one at a time, each written on every core
    /// ([`manifest_text`]): left among the rest, one of them was the only
    /// task still running at the end of its cluster.
    pub fn compact(&mut self, texts: bool) {
        let (large, rest): (Vec<&mut RenderedUnit>, Vec<&mut RenderedUnit>) = self
            .units
            .iter_mut()
            .partition(|unit| unit.resources.len() > RESOURCES_PER_TASK);
        for unit in large {
            unit.compact(texts);
        }
        rest.into_par_iter().for_each(|unit| unit.compact(texts));
    }

    /// Whether some unit was read back rather than rendered: its resources
    /// lead back to its manifest, not to templates and intents.
    pub fn reads_back(&self) -> bool {
        self.units.iter().any(RenderedUnit::is_read_back)
    }

    /// Every file's path under `rendered/`.
    pub fn paths(&self) -> BTreeSet<String> {
        let units = self.units.iter().map(|unit| unit.path.clone());
        let elsewhere = self.elsewhere.iter().cloned();
        units
            .chain(elsewhere)
            .chain(OWN_FILES.map(|(path, _)| path.to_owned()))
            .collect()
    }

    /// The units of each cluster, by cluster name.
    pub fn by_cluster(&self) -> BTreeMap<&str, Vec<&RenderedUnit>> {
        let mut clusters: BTreeMap<&str, Vec<&RenderedUnit>> = BTreeMap::new();
        for unit in &self.units {
            clusters
                .entry(unit.cluster.as_str())
                .or_default()
                .push(unit);
        }
        clusters
    }

    pub fn service_count(&self) -> usize {
        let mut names: Vec<&str> = self
            .in_focus()
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
        // (A handful of names among tens of thousands of units.)
        let clusters: BTreeSet<&str> = self.units.iter().map(|u| u.cluster.as_str()).collect();
        clusters.len()
    }
}

/// A unit's path under `rendered/`, for a service unit.
pub fn service_path(unit: &Unit<'_>) -> String {
    service_unit_path(
        unit.cluster_name,
        unit.namespace(),
        &unit.resolved.service.value.name,
    )
}

/// What a service's unit is rendered from, as its header names it:
/// `<intent> (golden path <name> <version>)`.
pub fn service_origin(intent: &str, golden_path: &crate::input::repo::GoldenPathEntry) -> String {
    let path = &golden_path.value;
    format!("{intent} (golden path {} {})", path.name, path.version)
}

/// The path of the unit of `service` of `team` in `cluster`.
pub fn service_unit_path(cluster: &str, team: &str, service: &str) -> String {
    format!("{cluster}/{team}/{service}/{MANIFEST}")
}

pub fn cluster_unit_path(set: &TemplateSet, cluster_name: &str) -> String {
    match set {
        TemplateSet::ArgoCd => format!("{ARGOCD_DIR}/{cluster_name}/{MANIFEST}"),
        _ => format!("{cluster_name}/{PLATFORM_UNIT}/{MANIFEST}"),
    }
}

/// The unit at `path` (under `rendered/`) of an organisation whose inputs
/// are `repo`, read back from `text`, the bytes a render of those inputs
/// wrote there (as a trusted index names them): `None` for anything else.
/// Its resources lead back to the manifest, not to templates and intent
/// lines, so a finding about them is located by rendering the unit.
/// With `summarised`, the unit carries the summary, and only the resources
/// in the namespaces `within` keeps are parsed (see `render::summary`).
pub fn read_back(
    repo: &Repo,
    path: &str,
    text: &str,
    summarised: Option<(Summarised, Within<'_>)>,
) -> Option<RenderedUnit> {
    let origin = text
        .strip_prefix("# Generated by paved from ")?
        .split_once(".\n")?
        .0;
    let template = format!("{RENDERED_DIR}/{path}");
    // The quick reader reads what paved writes but for a few plain
    // scalars (`?x`); the full parser reads the rest.
    let parse = |text: &str| {
        crate::input::yaml::fast::parse(text)
            .or_else(|| crate::input::yaml::parse_values(path, text).ok())
    };
    let values = match &summarised {
        None => parse(text)?,
        Some((_, within)) => {
            let mut values = Vec::new();
            for (document, namespace) in documents(text)? {
                if namespace.is_none_or(within) {
                    values.extend(parse(document)?);
                }
            }
            values
        }
    };
    let resources = values
        .into_iter()
        .map(|value| Resource {
            value,
            template: template.clone(),
            written: Vec::new(),
        })
        .collect();
    let mut unit = taken(
        repo,
        path,
        origin,
        summarised.map(|(summarised, _)| summarised),
    )?;
    unit.resources = Arc::new(resources);
    unit.text = Some(text.into());
    Some(unit)
}

/// Which namespaces' resources a unit carried as its summary reads back.
pub type Within<'a> = &'a dyn Fn(&str) -> bool;

/// The documents of a manifest as paved writes them (a header of
/// comments, then `---` before each), each with the namespace its
/// `metadata` names (`""` for none) when its lines say so plainly;
/// `None` for text laid out otherwise.
fn documents(text: &str) -> Option<Vec<(&str, Option<&str>)>> {
    // Each line that starts with `---` opens a document: found by
    // searching the text for them (a `_platform` unit holds megabytes),
    // not line by line.
    let first = match text.starts_with("---") {
        true => 0,
        false => text.find("\n---").map_or(text.len(), |at| at + 1),
    };
    if !text[..first]
        .split_inclusive('\n')
        .all(|line| line.starts_with('#'))
    {
        return None;
    }
    let openings = (first < text.len()).then_some(first).into_iter().chain(
        text[first..]
            .match_indices("\n---")
            .map(|(at, _)| first + at + 1),
    );
    let starts: Vec<(usize, usize)> = openings
        .map(|opening| {
            let end = text[opening..]
                .find('\n')
                .map_or(text.len(), |at| opening + at + 1);
            (opening, end)
        })
        .collect();
    let ends = starts
        .iter()
        .skip(1)
        .map(|(end, _)| *end)
        .chain([text.len()]);
    let documents = starts
        .iter()
        .zip(ends)
        .map(|((_, start), end)| {
            let document = &text[*start..end];
            (document, metadata_namespace(document))
        })
        .collect();
    Some(documents)
}

/// The namespace a document's top-level `metadata` names, read off its
/// lines as paved writes them (`""` when it names none); `None` when the
/// lines do not say it plainly.
fn metadata_namespace(document: &str) -> Option<&str> {
    let mut lines = document.split('\n');
    lines.find(|line| *line == "metadata:")?;
    for line in lines.take_while(|line| line.is_empty() || line.starts_with(' ')) {
        let Some(value) = line.strip_prefix("  namespace: ") else {
            continue;
        };
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        return (!value.is_empty() && value.chars().all(plain)).then_some(value);
    }
    Some("")
}

/// The unit at `path`, rendered from `origin` (as its header names it),
/// whose file under `rendered/` holds its bytes already: carried as its
/// summary, neither read nor written.
pub fn in_place(
    repo: &Repo,
    path: &str,
    origin: &str,
    summarised: Summarised,
) -> Option<RenderedUnit> {
    taken(repo, path, origin, Some(summarised))
}

/// A unit taken as a trusted index names it, without resources or text:
/// what it is, from its path and `origin`.
fn taken(
    repo: &Repo,
    path: &str,
    origin: &str,
    summarised: Option<Summarised>,
) -> Option<RenderedUnit> {
    let parts: Vec<&str> = path.split('/').collect();
    let environment_of = |cluster: &str| {
        repo.environments
            .iter()
            .find(|env| env.value.clusters.contains_key(cluster))
            .map(|env| env.value.name.clone())
    };
    let (kind, cluster, templates) = match parts.as_slice() {
        [ARGOCD_DIR, cluster, MANIFEST] => {
            let environment = environment_of(cluster)?;
            (
                UnitKind::ArgoCd { environment },
                cluster,
                TemplateSet::ArgoCd,
            )
        }
        [cluster, PLATFORM_UNIT, MANIFEST] => {
            let environment = environment_of(cluster)?;
            let kind = UnitKind::Platform { environment };
            (kind, cluster, TemplateSet::Platform)
        }
        [cluster, team, service, MANIFEST] => {
            let environment = environment_of(cluster)?;
            // `<intent> (golden path <name> <version>)`
            let (_, path) = origin.rsplit_once(" (golden path ")?;
            let (name, version) = path.strip_suffix(')')?.split_once(' ')?;
            let newest = repo.golden_paths.get(name)?;
            let key = if newest.value.version == version {
                name.to_owned()
            } else {
                format!("{name}@{version}")
            };
            let kind = UnitKind::Service {
                service: (*service).to_owned(),
                team: (*team).to_owned(),
                environment,
            };
            (kind, cluster, TemplateSet::GoldenPath(key))
        }
        _ => return None,
    };
    Some(RenderedUnit {
        kind,
        cluster: (*cluster).to_owned(),
        path: path.to_owned(),
        resources: Arc::new(Vec::new()),
        origin: origin.to_owned(),
        templates,
        values: None,
        text: None,
        summarised: summarised.map(Arc::new),
        compacted: false,
        placed: false,
    })
}

/// The cluster of the unit at `path` (under `rendered/`).
pub fn cluster_of(path: &str) -> Option<&str> {
    match path.split_once('/')? {
        (ARGOCD_DIR, rest) => Some(rest.split_once('/')?.0),
        (cluster, _) => Some(cluster),
    }
}

/// The units at `paths`, by the cluster each is in: the parts of a render
/// a cluster at a time.
pub fn by_cluster<'p>(
    paths: impl IntoIterator<Item = &'p String>,
) -> BTreeMap<&'p str, BTreeSet<String>> {
    let mut clusters: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for path in paths {
        let cluster = cluster_of(path).unwrap_or_default();
        clusters.entry(cluster).or_default().insert(path.clone());
    }
    clusters
}

/// The text of a unit's `manifest.yaml`.
pub fn manifest_text(unit: &RenderedUnit) -> String {
    if let Some(text) = &unit.text {
        return text.to_string();
    }
    let mut text = format!(
        "# Generated by paved from {}.\n# Do not edit: change the inputs and run `paved render`.\n",
        unit.origin
    );
    if unit.resources.len() <= RESOURCES_PER_TASK {
        push_resources(&mut text, &unit.resources);
        return text;
    }
    // The platform's and Argo CD's units hold thousands of resources:
    // written a run of them per task, on every core.
    let runs: Vec<String> = unit
        .resources
        .par_chunks(RESOURCES_PER_TASK)
        .map(|resources| {
            let mut run = String::new();
            push_resources(&mut run, resources);
            run
        })
        .collect();
    text.reserve(runs.iter().map(String::len).sum());
    for run in runs {
        text.push_str(&run);
    }
    text
}

/// Appends each of `resources` to `text` as a YAML document.
fn push_resources(text: &mut String, resources: &[Resource]) {
    for resource in resources {
        text.push_str("---\n");
        text.push_str(&crate::input::yaml::to_string(&resource.value));
    }
}

/// How many of a unit's resources one task writes ([`manifest_text`]).
const RESOURCES_PER_TASK: usize = 256;
