//! Stages 3 to 6, render, and the pipeline that runs them: from a source
//! to the rendered tree in memory. Load and check the inputs (`input`),
//! resolve each service's values per environment (`resolve`), render the
//! golden path's templates (`template`), apply the service's patches
//! (`patch`), keep it in its namespace (`fence`), post-process
//! (`postprocess`), and check what one team rendered against every other
//! (`tenancy`). `render`, `check`, `validate`, `policy` and `diff` all
//! start here.
//!
//! Pure apart from reading the source: writing is `write`'s job.

pub mod blame;
pub mod cluster;
pub mod context;
pub mod crossplane;
pub mod fence;
pub mod finished;
pub mod focus;
pub mod gatekeeper;
pub mod infra;
pub mod patch;
pub mod postprocess;
pub mod recall;
pub mod rerun;
pub mod resolve;
pub mod summary;
pub mod template;
pub mod tenancy;
pub mod unit;

pub use focus::Focus;
pub use template::Resource;
pub use unit::{Rendered, RenderedUnit, TemplateSet, UnitKind};

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::Value;

use crate::diagnostic::{self, Diagnostic, Sources};
use crate::input::intents;
use crate::input::load;
use crate::input::model::Cluster;
use crate::input::repo::{Entry, Repo};
use crate::input::source::Source;
use crate::support::date::today;
use cluster::{cluster_context, render_cluster_unit};
use postprocess::{attribute_platform_labels, label_value, standard_labels};
use resolve::Unit;
use template::Engine;
use unit::{cluster_unit_path, service_path};

/// Told how a render advances, to show it: how many units there are to
/// render, then once for each unit rendered (from any thread).
pub trait Progress: Sync {
    fn start(&self, units: usize);
    fn advance(&self);
}

/// Passes on every unit rendered, not the counts of each part of a
/// render: the whole was counted once.
struct Advancing<'a>(&'a dyn Progress);

impl Progress for Advancing<'_> {
    fn start(&self, _units: usize) {}
    fn advance(&self) {
        self.0.advance();
    }
}

/// Shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _units: usize) {}
    fn advance(&self) {}
}

/// The sha256 of files, by path.
pub type Hashes = BTreeMap<String, String>;

/// Where a render may take a unit's manifest instead of rendering it: the
/// bytes a trusted index names for a unit whose inputs are unchanged.
/// A render whose tenancy checks find anything in what it took renders
/// every unit again (as callers do for validation: `commands::settings`),
/// so that every finding is located as a full render locates it.
pub trait Reuse: Sync {
    /// The text of the manifest at `path` (under `rendered/`), when the
    /// trusted index says its inputs had `fingerprint` and the file still
    /// holds the bytes the index names.
    fn manifest(&self, path: &str, fingerprint: &str) -> Option<String>;

    /// Whether the trusted index names the unit at `path` as rendered from
    /// inputs with `fingerprint` (its bytes may still be gone): known
    /// without reading anything, to tell how much a render can take.
    fn names(&self, path: &str, fingerprint: &str) -> bool;

    /// Whether [`Reuse::manifest`] answers from the files under
    /// `rendered/` alone (never from a commit where a file no longer holds
    /// the bytes): a unit found in place and then read back is still in
    /// place.
    fn reads_rendered_only(&self) -> bool {
        false
    }

    /// The sha256 the trusted index names for the manifest at `path`
    /// when its inputs had `fingerprint`, when the file under `rendered/`
    /// holds those bytes, known by their hash without reading them (see
    /// `write::hashes`). `None` otherwise.
    fn in_place(&self, _path: &str, _fingerprint: &str) -> Option<String> {
        None
    }

    /// What the trusted index records of every unit (its summary, by
    /// path), when what the checks of a unit
    /// depend on beside its own bytes is still what it was when the index
    /// was written: a unit taken from it unchanged then passes its own
    /// checks again, and those across units find a conflict with it from
    /// its summary (see `summary`). `None` otherwise.
    fn summaries(&self) -> Option<BTreeMap<&str, summary::Recorded<'_>>> {
        None
    }

    /// The sha256 of every input the trusted index read, and of every
    /// input now, by path, when every input but the services' own files
    /// is still what it read (and its secret grants still hold): what it
    /// records of a unit then still holds for a service whose resolution
    /// cannot have changed (`recall`). `None` otherwise.
    fn read_inputs(&self) -> Option<(&Hashes, &Hashes)> {
        None
    }

    /// The fingerprint and the entry in its cluster's context the trusted
    /// index records of the unit at `path` (see `recall`).
    fn recorded(&self, _path: &str) -> Option<(String, String)> {
        None
    }

    /// The text of the input at `path` as the trusted index read it, from
    /// the commit it was read from, when that commit holds those bytes.
    fn earlier(&self, _path: &str) -> Option<String> {
        None
    }
}

/// Inputs could not be turned into output: everything that is wrong, and
/// the files needed to show it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

/// The inputs loaded and checked: the repository when the platform file
/// could be read (even if other files are broken), every problem found,
/// and the files needed to show them.
pub type Loaded = (Option<Repo>, Vec<Diagnostic>, Sources);

/// Loads and checks the inputs from `source`, as a run does first: a
/// caller that knows a run will follow may load them ahead, beside other
/// work, and hand them to it ([`run_preloaded`]).
pub fn load_inputs(source: &dyn Source) -> Loaded {
    let (raw, mut diagnostics) = load::load(source);
    let sources = raw.sources.clone();
    let (repo, more) = intents::validate(raw);
    diagnostics.extend(more);
    if repo.is_none() && diagnostics.is_empty() {
        diagnostics.push(Diagnostic::error("the platform file could not be read"));
    }
    (repo, diagnostics, sources)
}

/// Loads and checks the inputs from `source`; any problem fails.
pub fn load_checked(source: &dyn Source) -> Result<Repo, Failure> {
    let (repo, mut diagnostics, sources) = load_inputs(source);
    diagnostic::normalize(&mut diagnostics);
    match repo {
        Some(repo) if !diagnostic::has_errors(&diagnostics) => Ok(repo),
        _ => Err(Failure {
            diagnostics,
            sources,
        }),
    }
}

/// A command's own checks of rendered units, run on each cluster's units
/// while their resources are in memory: what they find in that part (the
/// command puts the parts together once every cluster's are in).
pub type Checks<'a, T> = &'a (dyn Fn(&Repo, &Rendered) -> T + Sync);

/// What a command checks of what it renders ([`run_checked`]).
pub struct Checking<'a, T> {
    /// What names the checks: a run kept in this process with their
    /// findings is theirs only.
    pub key: String,
    pub checks: Checks<'a, T>,
    /// What a render a cluster at a time keeps of each unit once checked.
    pub keep: Keep<'a>,
}

/// What a render a cluster at a time keeps of each unit once its cluster
/// is checked ([`RenderedUnit::compact`]): never its resources.
#[derive(Clone, Copy)]
pub enum Keep<'a> {
    /// Its summary and resource count: nothing to write or compare.
    Summaries,
    /// Its text too, to be written or compared.
    Texts,
    /// The sha256 of its text, the cluster's texts handed to the given
    /// function first, if any (`render` stages them; `check` compares the
    /// files by their hashes): [`RenderedUnit::is_handed_over`].
    Hashes(Option<Hand<'a>>),
}

impl Keep<'_> {
    /// Whether each unit's text is made when it is compacted.
    fn texts(self) -> bool {
        !matches!(self, Keep::Summaries)
    }

    /// What names it among kept runs, which one that hands its texts
    /// over is not: the function would not see a copy's.
    fn kept_as(self) -> Option<&'static str> {
        match self {
            Keep::Summaries => Some("summaries"),
            Keep::Texts => Some("texts"),
            Keep::Hashes(None) => Some("hashes"),
            Keep::Hashes(Some(_)) => None,
        }
    }
}

/// Takes a cluster's files (paths under `rendered/`, and texts) over
/// ([`Keep::Hashes`]).
pub type Hand<'a> = &'a (dyn Fn(&[(&str, &str)]) + Sync);

/// What a render checked cluster by cluster found: tenancy's report, and
/// what a command's own [`Checks`] found in each cluster.
type Checked<T> = (tenancy::Report, Vec<T>);

/// Loads, checks and renders everything from `source`.
///
/// Problems in some files do not stop the rest from being checked: every
/// service whose own inputs are sound is still resolved and rendered, so
/// one run reports every mistake. Any error fails the whole run.
pub fn run(source: &dyn Source) -> Result<(Repo, Rendered), Failure> {
    run_focused(source, &Focus::default(), &NoProgress, None)
}

/// [`run`], rendering only the units in `focus`. Every input is still
/// loaded and checked; what one team renders is checked against the other
/// units in focus only (a full render checks it against all).
/// `progress` is told of every unit rendered. The units rendered only as
/// context for the focus are taken from `reuse` where it has them.
pub fn run_focused(
    source: &dyn Source,
    focus: &Focus,
    progress: &dyn Progress,
    reuse: Option<&dyn Reuse>,
) -> Result<(Repo, Rendered), Failure> {
    run_checked::<()>(source, focus, progress, reuse, None)
        .map(|(repo, rendered, _)| (repo, rendered))
}

/// [`run_focused`], with a command's own checks (`checking`) run on what
/// it rendered: what they found comes back beside it, part by part (one
/// part for a whole render). Rendering everything, without `reuse` or
/// with one that holds too little to spare rendering more than a
/// cluster's units, one cluster is rendered, checked and kept as its
/// units' summaries (and texts, when asked) at a time
/// ([`RenderedUnit::compact`]): the rest of a render's work holds no more
/// than one cluster's resources in memory.
pub fn run_checked<T: Clone + Send + Sync + 'static>(
    source: &dyn Source,
    focus: &Focus,
    progress: &dyn Progress,
    reuse: Option<&dyn Reuse>,
    checking: Option<&Checking<'_, T>>,
) -> Result<(Repo, Rendered, Vec<T>), Failure> {
    run_preloaded(source, None, focus, progress, reuse, checking)
}

/// [`run_checked`], with the inputs of `source` loaded ahead
/// ([`load_inputs`]) when `preloaded` has them: only with `reuse`,
/// whose run is never kept (a kept run is recognised by what its source
/// answered while it loaded).
pub fn run_preloaded<T: Clone + Send + Sync + 'static>(
    source: &dyn Source,
    preloaded: Option<Loaded>,
    focus: &Focus,
    progress: &dyn Progress,
    reuse: Option<&dyn Reuse>,
    checking: Option<&Checking<'_, T>>,
) -> Result<(Repo, Rendered, Vec<T>), Failure> {
    let preloaded = preloaded.filter(|_| reuse.is_some());
    // A run that reads units back depends on more than the source, and
    // one that hands its files over keeps no texts: neither is kept.
    let kept_as = checking.map(|checking| checking.keep.kept_as());
    if rerun::keeps_runs() && reuse.is_none() && kept_as != Some(None) {
        let key = checking.map(|checking| (&checking.key, checking.keep.kept_as()));
        return rerun::run_or_copy(source, format!("{focus:?} {key:?}"), |source| {
            run_anew(source, None, focus, progress, reuse, checking)
        });
    }
    run_anew(source, preloaded, focus, progress, reuse, checking)
}

fn run_anew<T: Send>(
    source: &dyn Source,
    preloaded: Option<Loaded>,
    focus: &Focus,
    progress: &dyn Progress,
    reuse: Option<&dyn Reuse>,
    checking: Option<&Checking<'_, T>>,
) -> Result<(Repo, Rendered, Vec<T>), Failure> {
    let (repo, mut diagnostics, sources) = preloaded.unwrap_or_else(|| load_inputs(source));
    let unknown = repo.as_ref().map(|repo| focus.unknown_names(&[repo]));
    let unknown = unknown.filter(|names| !names.is_empty());
    let (Some(repo), None) = (repo, &unknown) else {
        diagnostics.extend(unknown.into_iter().flatten());
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
        // What one team renders must not take what another owns: checked
        // across the organisation once every input is sound (a broken
        // input would only show here through its consequences).
        let sound = !diagnostic::has_errors(&diagnostics);
        // (The plan is freed before the checks: held to the exit, it would
        // add its resolved services to the peak of every command.)
        // A render from sound inputs resolves only the services in focus
        // (none for everything) and those whose resolution may have
        // changed since the index it reuses (`recall`).
        let recalling = reuse.filter(|_| sound);
        let rendered = plan_recalling(&repo, &broken, recalling, focus).and_then(|mut plan| {
            let (every, entries) = match focus.is_everything() {
                true => {
                    let (every, entries) = plan.fingerprinted();
                    (Some(every), entries)
                }
                false => (None, BTreeMap::new()),
            };
            let streamed = checking.filter(|_| {
                every.as_ref().is_some_and(|every| {
                    reuse.is_none_or(|reuse| renders_more_than_a_cluster(every, reuse))
                })
            });
            let rendered = match (streamed, every) {
                (Some(checking), Some(every)) => plan.render_streamed(
                    every,
                    progress,
                    sound.then_some(checking.checks),
                    checking.keep,
                ),
                (_, every) => plan
                    .render_focus(focus, every, reuse, progress)
                    .map(|rendered| (rendered, None)),
            };
            rendered.map(|(mut rendered, found)| {
                rendered.entries = entries;
                (rendered, found)
            })
        });
        match rendered {
            Ok((rendered, streamed)) if sound => {
                let reused = rendered.reads_back();
                let (mut tenancy, found) = match streamed {
                    Some((tenancy, found)) => (tenancy, Some(found)),
                    None => (tenancy::check(&repo, &rendered, &today()), None),
                };
                // Focused, what is found of the context alone is not
                // reported (a conflict shows on the focused side).
                focus::drop_context_findings(&rendered, &mut tenancy.diagnostics);
                // What tenancy finds may lead to a unit read back: findings
                // are located by a render of every unit. (Units read back
                // had no warnings when their index was written, and have
                // none now: their inputs are the same.) A conflict with a
                // unit carried as its summary is found but not located.
                if reused && (!tenancy.diagnostics.is_empty() || tenancy.unlocated) {
                    drop(rendered);
                    return run_anew(source, None, focus, progress, None, checking);
                }
                diagnostics.extend(tenancy.diagnostics);
                secrets = tenancy.secrets;
                if !diagnostic::has_errors(&diagnostics) {
                    let found = match (found, checking) {
                        (Some(found), _) => found,
                        (None, Some(checking)) => vec![(checking.checks)(&repo, &rendered)],
                        (None, None) => Vec::new(),
                    };
                    return Ok((repo, rendered, found));
                }
            }
            Ok(_) => {}
            // (What fails to render is a unit that was rendered, never one
            // read back: located at its templates and intent lines.)
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

/// Whether a render taking what it can from `reuse` would still render
/// more of the units (`every` one's fingerprint, by path) than the largest
/// cluster holds, the most a render a cluster at a time holds at once (a
/// render that reuses units holds every unit it renders together). Then
/// everything is rendered a cluster at a time instead: after a change to
/// the platform, or to paved itself, as when nothing was rendered before.
fn renders_more_than_a_cluster(every: &BTreeMap<String, String>, reuse: &dyn Reuse) -> bool {
    let largest = unit::by_cluster(every.keys())
        .into_values()
        .map(|paths| paths.len())
        .max();
    let anew = every
        .par_iter()
        .filter(|(path, fingerprint)| !reuse.names(path, fingerprint))
        .count();
    anew > largest.unwrap_or_default()
}

/// Every version of every golden path: the newest, then the older ones
/// kept in `versions/`.
fn all_versions(repo: &Repo) -> impl Iterator<Item = &crate::input::repo::GoldenPathEntry> {
    repo.golden_paths
        .values()
        .flat_map(|path| std::iter::once(path).chain(path.versions.values()))
}

/// How a golden-path version is named among templates: the path's name
/// for its newest version, `name@version` for an older one.
pub fn path_key(repo: &Repo, path: &crate::input::repo::GoldenPathEntry) -> String {
    let name = &path.value.name;
    let newest = repo
        .golden_paths
        .get(name)
        .is_none_or(|newest| newest.value.version == path.value.version);
    if newest {
        name.clone()
    } else {
        format!("{name}@{}", path.value.version)
    }
}

/// The (cluster, namespace) pairs of everything whose bytes are not what
/// `recorded` holds, before and after: the units `rendered` whose bytes
/// differ (focused, every unit in focus), and those recorded that went or
/// were rendered anew but were not `kept` (unless focused: a focus says
/// nothing of what went).
fn changed_namespaces(
    rendered: &Rendered,
    recorded: &BTreeMap<&str, summary::Recorded<'_>>,
    kept: &BTreeSet<&str>,
    focus: Option<&BTreeSet<String>>,
) -> unit::Changed {
    let mut changed = unit::Changed::new();
    let mut mark = |path: &str, summary: &summary::Summary| {
        let cluster = unit::cluster_of(path).unwrap_or_default();
        let namespaces = changed.entry(cluster.to_owned()).or_default();
        for namespace in summary.namespaces() {
            namespaces.insert(namespace.to_owned());
        }
    };
    let same: BTreeSet<&str> = rendered
        .units
        .par_iter()
        .filter(|unit| {
            focus.is_none()
                && recorded.get(unit.path.as_str()).is_some_and(|was| {
                    was.sha256 == crate::support::hash::sha256(unit::manifest_text(unit).as_bytes())
                })
        })
        .map(|unit| unit.path.as_str())
        .collect();
    for unit in rendered
        .units
        .iter()
        .filter(|unit| !same.contains(unit.path.as_str()))
    {
        mark(&unit.path, &unit.summary());
    }
    for (path, was) in recorded.iter().filter(|_| focus.is_none()) {
        if !kept.contains(path) && !same.contains(path) {
            mark(path, was.summary);
        }
    }
    changed
}

/// What a service's units are rendered from, as their headers name it.
fn service_origin(resolved: &resolve::Resolved<'_>) -> String {
    unit::service_origin(&resolved.service.file.path, resolved.golden_path)
}

/// A hash of the platform file as written: every unit's output may
/// depend on it (labels, sizes, settings), so any change to it renders
/// every unit again rather than trusting that it did not.
fn platform_hash(repo: &Repo) -> String {
    let file = &repo.platform.file;
    let mut hash = crate::support::hash::Fingerprint::default();
    hash.add_text(&file.path)
        .add_text(repo.sources.get(&file.path).map_or("", |text| text));
    hash.finish()
}

/// A hash of a template set's files, names and texts.
fn templates_hash(files: &[crate::input::load::TemplateFile]) -> String {
    let mut hash = crate::support::hash::Fingerprint::default();
    for template in files {
        hash.add_text(&template.name).add_text(&template.text);
    }
    hash.finish()
}

/// A service unit's template context: its service's, and the cluster.
fn with_cluster(unit: &Unit<'_>) -> Value {
    let context = context::UnitContext {
        service: &unit.resolved.context,
        cluster: context::ClusterRef {
            name: unit.cluster_name.to_owned(),
            region: unit.cluster.region.clone(),
            server: unit.cluster.server.clone(),
        },
    };
    serde_json::to_value(context).expect("the template context serialises")
}

/// Everything needed to render, prepared once: compiled templates and every
/// service resolved for every environment it runs in.
pub struct Plan<'a> {
    repo: &'a Repo,
    /// By golden-path key ([`path_key`]): every version's templates.
    engines: BTreeMap<String, Engine>,
    cluster_engines: Vec<(TemplateSet, Engine)>,
    resolved: Vec<resolve::Resolved<'a>>,
    /// What a trusted index recorded of the units of the services not
    /// resolved, by path ([`plan_recalling`]): empty when every service
    /// is.
    recalled: BTreeMap<String, recall::RecalledUnit>,
    /// The files left out of resolving (see [`plan`]).
    broken: BTreeSet<String>,
}

/// Compiles every template and resolves every service, reporting every
/// problem of both, leaving out services that depend on a file in
/// `broken` (already reported, and not to be reported again through its
/// consequences).
pub fn plan<'a>(repo: &'a Repo, broken: &BTreeSet<String>) -> Result<Plan<'a>, Vec<Diagnostic>> {
    plan_recalling(repo, broken, None, &Focus::default())
}

/// [`plan`] for a render or a comparison of the units in `focus` that
/// takes what `reuse`'s index recorded of the services it need not
/// resolve ([`plan_recalling`]): such a plan renders only the units of
/// the services it resolved until [`Plan::resolve_for`] says otherwise.
pub fn plan_reusing<'a>(
    repo: &'a Repo,
    reuse: &dyn Reuse,
    focus: &Focus,
) -> Result<Plan<'a>, Vec<Diagnostic>> {
    plan_recalling(repo, &BTreeSet::new(), Some(reuse), focus)
}

/// [`plan`], resolving only the services whose resolution may have
/// changed since the index `reuse` trusts was written and those with a
/// unit in `focus` (unless it is everything), and taking what the index
/// recorded of the others' units ([`recall::recall`]): when nothing is
/// broken and it can speak for them. (What resolving the others would
/// find it found then: an index is written only by a render with nothing
/// to report.)
fn plan_recalling<'a>(
    repo: &'a Repo,
    broken: &BTreeSet<String>,
    reuse: Option<&dyn Reuse>,
    focus: &Focus,
) -> Result<Plan<'a>, Vec<Diagnostic>> {
    let in_focus = |service: &crate::input::repo::ServiceEntry| {
        !focus.is_everything()
            && (service.value.environments.keys())
                .filter_map(|env| repo.environment(env))
                .flat_map(|env| env.value.clusters.keys())
                .any(|cluster| focus.has_service_unit(&service.value.name, &service.team, cluster))
    };
    let recalled = reuse.filter(|_| broken.is_empty()).and_then(|reuse| {
        let (inputs, now) = reuse.read_inputs()?;
        let record = recall::Record {
            inputs,
            now,
            unit: &|path| reuse.recorded(path),
            earlier: &|path| reuse.earlier(path),
        };
        recall::recall(repo, &record, &in_focus)
    });
    // Every template set compiles on its own, while the services resolve.
    let sets: Vec<(TemplateSet, &[crate::input::load::TemplateFile])> = all_versions(repo)
        .map(|path| {
            let set = TemplateSet::GoldenPath(path_key(repo, path));
            (set, path.templates.as_slice())
        })
        .chain([
            (TemplateSet::Platform, repo.platform_templates.as_slice()),
            (TemplateSet::ArgoCd, repo.argocd_templates.as_slice()),
        ])
        .collect();
    let (compiled, (resolved, resolve_errors)) = rayon::join(
        || {
            sets.into_par_iter()
                .map(|(set, templates)| (set, Engine::compile(templates)))
                .collect::<Vec<_>>()
        },
        || match &recalled {
            Some((stale, _)) => resolve::resolve_some(repo, broken, stale),
            None => resolve::resolve(repo, broken),
        },
    );
    let mut diagnostics = Vec::new();
    let mut engines = BTreeMap::new();
    let mut cluster_engines = Vec::new();
    for (set, engine) in compiled {
        match (engine, set) {
            (Ok(engine), TemplateSet::GoldenPath(key)) => {
                engines.insert(key, engine);
            }
            (Ok(engine), set) => cluster_engines.push((set, engine)),
            (Err(errors), _) => diagnostics.extend(errors),
        }
    }
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
        recalled: recalled.map(|(_, units)| units).unwrap_or_default(),
        broken: broken.clone(),
    })
}

impl Drop for Plan<'_> {
    /// Frees the resolved services on every thread, as a render's units
    /// are (at 10,000 services, about a fifth of a second of one core).
    fn drop(&mut self) {
        std::mem::take(&mut self.resolved)
            .into_par_iter()
            .for_each(drop);
    }
}

impl Plan<'_> {
    /// For every unit, a hash of everything its output depends on (its
    /// template context, its templates, its patches, the platform file, the
    /// file it is rendered from),
    /// computed without rendering: two units with the same fingerprint render
    /// the same bytes. `paved diff` renders only units whose fingerprints
    /// differ between base and head.
    pub fn fingerprints(&self) -> BTreeMap<String, String> {
        self.fingerprinted().0
    }

    /// [`Plan::fingerprints`], and every service unit's entry in its
    /// cluster's context, hashed ([`Plan::entries`]).
    fn fingerprinted(&self) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let entries = self.entries();
        let (mut out, clusters) = rayon::join(
            || self.service_fingerprints(&|_| true),
            || self.cluster_fingerprints(&|_| true, &entries),
        );
        out.extend(clusters);
        (out, entries)
    }

    /// Each service unit's entry in its cluster's context
    /// ([`cluster::service_in_cluster`]), hashed, by path: what the
    /// fingerprints of the cluster's own units are made of.
    fn entries(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = resolve::units(&self.resolved)
            .par_iter()
            .map(|unit| {
                let mut hash = crate::support::hash::Fingerprint::default();
                hash.add(&cluster::service_in_cluster(
                    unit.resolved,
                    unit.cluster_name,
                ));
                (service_path(unit), hash.finish())
            })
            .collect();
        out.extend(
            self.recalled
                .iter()
                .map(|(path, unit)| (path.clone(), unit.entry.clone())),
        );
        out
    }

    /// Resolves every service when some of `paths` are units this plan
    /// cannot render from the services it resolved: a recalled service's,
    /// or a cluster's own (whose context sees every service).
    pub fn resolve_for(&mut self, paths: &BTreeSet<String>) {
        if !self.renders(paths) {
            self.complete();
        }
    }

    /// Whether every unit of `paths` is one of the services this plan
    /// resolved, or it resolved every service.
    fn renders(&self, paths: &BTreeSet<String>) -> bool {
        if self.recalled.is_empty() {
            return true;
        }
        let held: BTreeSet<String> = resolve::units(&self.resolved)
            .iter()
            .map(service_path)
            .collect();
        paths.is_subset(&held)
    }

    /// Resolves every service, when some were recalled instead: whether
    /// any was.
    fn complete(&mut self) -> bool {
        if self.recalled.is_empty() {
            return false;
        }
        self.recalled.clear();
        let (resolved, _) = resolve::resolve(self.repo, &self.broken);
        std::mem::replace(&mut self.resolved, resolved)
            .into_par_iter()
            .for_each(drop);
        true
    }

    /// The fingerprints of the service units whose paths are `wanted`.
    fn service_fingerprints(
        &self,
        wanted: &(dyn Fn(&str) -> bool + Sync),
    ) -> BTreeMap<String, String> {
        use crate::support::hash::Fingerprint;
        let (repo, resolved) = (self.repo, &self.resolved);
        let golden: BTreeMap<String, String> = all_versions(repo)
            .map(|path| {
                (
                    path_key(repo, path),
                    templates_hash(&path.templates) + &path.value.version,
                )
            })
            .collect();
        let platform = platform_hash(repo);
        // Everything but the cluster is shared by a service's units in one
        // environment: hash it once, for a service with a unit wanted.
        let per_service: Vec<Vec<(String, String)>> = resolved
            .par_iter()
            .map(|r| {
                let units: Vec<(String, &str, _)> = r
                    .environment
                    .value
                    .clusters
                    .iter()
                    .map(|(cluster_name, cluster)| {
                        let unit = Unit {
                            resolved: r,
                            cluster_name,
                            cluster,
                        };
                        (service_path(&unit), cluster_name.as_str(), cluster)
                    })
                    .filter(|(path, _, _)| wanted(path))
                    .collect();
                if units.is_empty() {
                    return Vec::new();
                }
                let mut hash = Fingerprint::default();
                hash.add(&r.context)
                    .add(&golden[&path_key(repo, r.golden_path)])
                    .add(&r.service.value.patches)
                    .add_text(&platform)
                    .add_text(&r.service.file.path);
                let service_hash = hash.finish();
                units
                    .into_iter()
                    .map(|(path, cluster_name, cluster)| {
                        let mut hash = Fingerprint::default();
                        hash.add(&service_hash).add(cluster_name).add(cluster);
                        (path, hash.finish())
                    })
                    .collect()
            })
            .collect();
        let mut out: BTreeMap<String, String> = per_service.into_iter().flatten().collect();
        out.extend(
            self.recalled
                .iter()
                .filter(|(path, _)| wanted(path))
                .map(|(path, unit)| (path.clone(), unit.fingerprint.clone())),
        );
        out
    }

    /// The fingerprints of the cluster-level units whose paths are
    /// `wanted`, from the service units' `entries` ([`Plan::entries`]).
    pub fn cluster_fingerprints(
        &self,
        wanted: &(dyn Fn(&str) -> bool + Sync),
        entries: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        use crate::support::hash::Fingerprint;
        let repo = self.repo;
        let platform = platform_hash(repo);
        let sets = [
            (
                TemplateSet::Platform,
                templates_hash(&repo.platform_templates)
                    + &crate::render::gatekeeper::fingerprint(repo)
                    + &crate::render::crossplane::fingerprint(repo),
            ),
            (TemplateSet::ArgoCd, templates_hash(&repo.argocd_templates)),
        ];
        let clusters: Vec<_> = repo
            .environments
            .iter()
            .flat_map(|env| env.value.clusters.iter().map(move |(n, c)| (env, n, c)))
            .filter(|(_, name, _)| {
                sets.iter()
                    .any(|(set, _)| wanted(&cluster_unit_path(set, name)))
            })
            .collect();
        // Each cluster's context is hashed once for both of its units, the
        // clusters side by side.
        clusters
            .into_par_iter()
            .flat_map_iter(|(env, name, cluster)| {
                let mut by_team: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
                for service in &repo.services {
                    let path = unit::service_unit_path(name, &service.team, &service.value.name);
                    if let Some(entry) = entries.get(&path) {
                        by_team.entry(&service.team).or_default().push(entry);
                    }
                }
                let context = cluster::context_hash(repo, env, name, cluster, &by_team);
                let platform = &platform;
                sets.iter()
                    .filter(|(set, _)| wanted(&cluster_unit_path(set, name)))
                    .map(move |(set, templates)| {
                        let mut hash = Fingerprint::default();
                        hash.add_text(&context)
                            .add_text(templates)
                            .add_text(platform)
                            .add_text(&env.file.path);
                        (cluster_unit_path(set, name), hash.finish())
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Every unit (`fingerprints` names them all), one cluster at a time:
    /// each cluster's units rendered, checked (by tenancy and `checks`,
    /// when given: not when the inputs already failed) and compacted
    /// before the next cluster's are rendered (keeping what `keep` says).
    /// The render, with what tenancy and `checks` found when they ran. Every cluster is rendered even when one fails, so that
    /// one run reports every mistake. Only the services of the cluster's
    /// environment are held ([`Plan::hold_for`]).
    fn render_streamed<T: Send>(
        mut self,
        fingerprints: BTreeMap<String, String>,
        progress: &dyn Progress,
        checks: Option<Checks<'_, T>>,
        keep: Keep<'_>,
    ) -> Result<(Rendered, Option<Checked<T>>), Vec<Diagnostic>> {
        // (A cluster's render holds its environment's services: all of them.)
        self.complete();
        let mut clusters = unit::by_cluster(fingerprints.keys());
        // Without a cluster, the checks still look once (at nothing): what
        // they find of the inputs alone is reported as from a whole render.
        if clusters.is_empty() {
            clusters.insert("", BTreeSet::new());
        }
        progress.start(fingerprints.len());
        let progress = Advancing(progress);
        let (mut all, mut diagnostics) = (Rendered::default(), Vec::new());
        let mut checked = checks.map(|_| (tenancy::Report::default(), Vec::new()));
        let every: std::sync::Arc<BTreeSet<String>> =
            std::sync::Arc::new(fingerprints.keys().cloned().collect());
        for (cluster, paths) in &clusters {
            self.hold_for(cluster);
            let (mut rendered, found) = self.render_part(Some(paths), &progress);
            rendered.elsewhere = every.clone();
            diagnostics.extend(found);
            // A failed render reports what rendering found, nothing else.
            if diagnostic::has_errors(&diagnostics) {
                continue;
            }
            if let (Some(checks), Some((tenancy, found))) = (checks, &mut checked) {
                // Side by side: each has parts that look at a cluster as
                // a whole, on one thread.
                let (report, more) = rayon::join(
                    || tenancy::findings(self.repo, &rendered, &today()),
                    || checks(self.repo, &rendered),
                );
                tenancy.diagnostics.extend(report.diagnostics);
                tenancy.secrets.extend(report.secrets);
                found.push(more);
            }
            rendered.compact(keep.texts());
            if let Keep::Hashes(hand) = keep {
                if let Some(hand) = hand {
                    let files: Vec<(&str, &str)> = rendered
                        .units
                        .iter()
                        .filter_map(|unit| Some((unit.path.as_str(), unit.text.as_deref()?)))
                        .collect();
                    hand(&files);
                }
                for unit in &mut rendered.units {
                    unit.text = None;
                }
            }
            all.units.append(&mut rendered.units);
        }
        diagnostic::normalize(&mut diagnostics);
        if diagnostic::has_errors(&diagnostics) {
            return Err(diagnostics);
        }
        if let Some((tenancy, _)) = &mut checked {
            tenancy::finish(tenancy);
        }
        all.warnings = diagnostics;
        all.units.sort_by(|a, b| a.path.cmp(&b.path));
        all.fingerprints = fingerprints;
        Ok((all, checked))
    }

    /// Holds the resolved services of `cluster`'s environment only, all a
    /// render of that cluster's units needs: frees every other
    /// environment's (on every thread), and resolves its own again when
    /// they were freed. A render a cluster at a time holds no more of the
    /// plan than that.
    pub fn hold_for(&mut self, cluster: &str) {
        let environment = self
            .repo
            .environments
            .iter()
            .find(|env| env.value.clusters.contains_key(cluster))
            .map(|env| env.value.name.as_str());
        let (kept, freed): (Vec<_>, Vec<_>) = std::mem::take(&mut self.resolved)
            .into_iter()
            .partition(|resolved| Some(resolved.environment.value.name.as_str()) == environment);
        freed.into_par_iter().for_each(drop);
        self.resolved = match environment {
            Some(environment) if kept.is_empty() => {
                resolve::resolve_in(self.repo, &self.broken, environment)
            }
            _ => kept,
        };
    }

    /// The units in `focus` and their context (see [`Plan::focused`]),
    /// taken from `reuse` where it holds them unchanged, the rest
    /// rendered. `every` is every unit's fingerprint, when `focus` is
    /// everything.
    fn render_focus(
        &mut self,
        focus: &Focus,
        every: Option<BTreeMap<String, String>>,
        reuse: Option<&dyn Reuse>,
        progress: &dyn Progress,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        match self.focused(focus) {
            None => {
                let fingerprints = every.unwrap_or_else(|| self.fingerprints());
                let reusing = match reuse {
                    Some(reuse) => self.render_reusing(&fingerprints, reuse, progress, None)?,
                    None => None,
                };
                // What the plan did not resolve is needed: resolved, the
                // render takes what it can again.
                let reusing = match (reusing, reuse) {
                    (None, Some(reuse)) if self.complete() => {
                        self.render_reusing(&fingerprints, reuse, progress, None)?
                    }
                    (reusing, _) => reusing,
                };
                let mut rendered = match reusing {
                    Some(rendered) => rendered,
                    None => self.render_with(None, progress)?,
                };
                rendered.fingerprints = fingerprints;
                Ok(rendered)
            }
            Some((units, context)) => {
                let reusing = match reuse {
                    Some(reuse) => {
                        let entries = self.entries();
                        let wanted = |path: &str| context.contains(path);
                        let mut fingerprints = self.cluster_fingerprints(&wanted, &entries);
                        fingerprints.extend(self.service_fingerprints(&wanted));
                        self.render_reusing(&fingerprints, reuse, progress, Some(&units))?
                    }
                    None => None,
                };
                let mut rendered = match reusing {
                    Some(rendered) => rendered,
                    None => {
                        // (The context's own units see every service.)
                        self.complete();
                        let only = units.union(&context).cloned().collect();
                        self.render_with(Some(&only), progress)?
                    }
                };
                rendered.context = context;
                Ok(rendered)
            }
        }
    }

    /// Every unit among `fingerprints` (by path): rendered, or taken from
    /// `reuse` where it holds the unit's bytes for its fingerprint. A unit
    /// taken is read back without its resources, carrying its summary
    /// instead, when `reuse` has summaries that hold and nothing rendered
    /// (nor anything `reuse` held that is no longer the same) has a
    /// resource in any of its namespaces of its cluster: the checks across
    /// units look within a namespace, and across a cluster at the
    /// summaries. A cluster-scoped resource among what changed reads its
    /// cluster's units in full; a unit that comes or goes, its cluster's
    /// Argo CD unit (whose Applications name every directory).
    ///
    /// Focused (`focus` names the units in focus, `fingerprints` their
    /// context), the units in focus are rendered and count as changed: the
    /// context is read back within their namespaces.
    ///
    /// `None` when it would render a unit of a service the plan recalled
    /// rather than resolved, or when bytes the index names do not read
    /// back: every unit must then be rendered.
    fn render_reusing(
        &self,
        fingerprints: &BTreeMap<String, String>,
        reuse: &dyn Reuse,
        progress: &dyn Progress,
        focus: Option<&BTreeSet<String>>,
    ) -> Result<Option<Rendered>, Vec<Diagnostic>> {
        // What `rendered/` holds already, known by its hash; else the
        // bytes `reuse` has.
        let found: Vec<(&String, Result<String, String>)> = fingerprints
            .par_iter()
            .filter_map(|(path, fingerprint)| {
                let found = match reuse.in_place(path, fingerprint) {
                    Some(sha256) => Ok(sha256),
                    None => Err(reuse.manifest(path, fingerprint)?),
                };
                Some((path, found))
            })
            .collect();
        let kept: BTreeSet<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
        let rest: BTreeSet<String> = fingerprints
            .keys()
            .filter(|path| !kept.contains(path.as_str()))
            .chain(focus.into_iter().flatten())
            .cloned()
            .collect();
        if !self.renders(&rest) {
            return Ok(None);
        }
        let mut rendered = self.render_with(Some(&rest), progress)?;
        let recorded = reuse
            .summaries()
            .filter(|_| !kept.is_empty())
            .unwrap_or_default();
        let changed =
            (!recorded.is_empty()).then(|| changed_namespaces(&rendered, &recorded, &kept, focus));
        let in_changed = |cluster: &str, namespace: &str| {
            changed.as_ref().is_some_and(|changed| {
                changed
                    .get(cluster)
                    .is_some_and(|namespaces| namespaces.contains(namespace))
            })
        };
        // Clusters where a unit comes or goes: their Argo CD units, whose
        // Applications sync every unit's directory, are read in full. (A
        // unit in focus that came renders its cluster's Argo CD unit anew.)
        let now: BTreeSet<&str> = fingerprints.keys().map(String::as_str).collect();
        let was: BTreeSet<&str> = recorded.keys().copied().collect();
        let reshaped: BTreeSet<&str> = now
            .symmetric_difference(&was)
            .filter(|_| focus.is_none())
            .filter_map(|path| unit::cluster_of(path))
            .collect();
        // A unit is carried as its summary, its resources in namespaces
        // that changed read back beside it; or read back in full.
        let summarised = |path: &str, sha256: String| -> Option<(unit::Summarised, bool)> {
            // (Only when what changed is known.)
            changed.as_ref()?;
            let was = recorded.get(path)?;
            let cluster = unit::cluster_of(path)?;
            let touches = |namespace: &str| in_changed(cluster, namespace);
            if (path.starts_with(unit::ARGOCD_DIR) && reshaped.contains(cluster)) || touches("") {
                return None;
            }
            let summarised = unit::Summarised {
                summary: was.summary.clone(),
                resources: was.resources,
                sha256,
            };
            Some((
                summarised,
                was.summary.namespaces().into_iter().any(touches),
            ))
        };
        let origins = self.origins();
        let taken: Vec<Option<RenderedUnit>> = found
            .into_par_iter()
            .map(|(path, found)| {
                // Found in place by its hash (its bytes, if read back, are
                // those: `Reuse::manifest` holds them to the same hash).
                let placed = found.is_ok() && reuse.reads_rendered_only();
                let (text, sha256) = match found {
                    Ok(sha256) => (None, sha256),
                    Err(text) => {
                        let sha256 = crate::support::hash::sha256(text.as_bytes());
                        (Some(text), sha256)
                    }
                };
                let cluster = unit::cluster_of(path).unwrap_or_default();
                let within = |namespace: &str| in_changed(cluster, namespace);
                match (summarised(path, sha256), text) {
                    // In place: neither read nor written.
                    (Some((summarised, false)), None) => {
                        unit::in_place(self.repo, path, origins.get(path.as_str())?, summarised)
                    }
                    (summarised, text) => {
                        let text = match text {
                            Some(text) => text,
                            None => reuse.manifest(path, &fingerprints[path])?,
                        };
                        let carried = summarised.is_some();
                        let summarised = summarised
                            .map(|(summarised, _)| (summarised, &within as &dyn Fn(&str) -> bool));
                        let mut unit = unit::read_back(self.repo, path, &text, summarised)?;
                        unit.placed = placed && carried;
                        Some(unit)
                    }
                }
            })
            .collect();
        if taken.iter().any(Option::is_none) {
            // Bytes a trusted index names that do not read back (never
            // written by a paved), or changed meanwhile.
            return Ok(None);
        }
        rendered.units.extend(taken.into_iter().flatten());
        rendered.units.sort_by(|a, b| a.path.cmp(&b.path));
        rendered.changed = changed;
        Ok(Some(rendered))
    }

    /// What every unit is rendered from, by path, as its header names it.
    fn origins(&self) -> BTreeMap<Cow<'_, str>, Cow<'_, str>> {
        let mut origins: BTreeMap<Cow<'_, str>, Cow<'_, str>> = resolve::units(&self.resolved)
            .par_iter()
            .map(|unit| {
                let origin = service_origin(unit.resolved);
                (Cow::Owned(service_path(unit)), Cow::Owned(origin))
            })
            .collect();
        // (Borrowed: tens of thousands of recalled units.)
        origins.extend(self.recalled.iter().map(|(path, unit)| {
            (
                Cow::Borrowed(path.as_str()),
                Cow::Borrowed(unit.origin.as_str()),
            )
        }));
        for env in &self.repo.environments {
            for name in env.value.clusters.keys() {
                for (set, _) in &self.cluster_engines {
                    let origin = cluster::cluster_origin(set, env);
                    origins.insert(Cow::Owned(cluster_unit_path(set, name)), Cow::Owned(origin));
                }
            }
        }
        origins
    }

    /// The paths of the units in `focus`, `None` when it is everything,
    /// and of their context, which their resources are checked against:
    /// the platform's own units of every cluster a focused service runs
    /// in, and the units of the services whose resources a focused
    /// service uses (`uses.<name>.from`) in those clusters.
    pub fn focused(&self, focus: &Focus) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
        if focus.is_everything() {
            return None;
        }
        let mut hosts: BTreeSet<&str> = BTreeSet::new();
        let mut owners: BTreeSet<String> = BTreeSet::new();
        let mut units: BTreeSet<String> = resolve::units(&self.resolved)
            .into_iter()
            .filter(|unit| {
                let service = unit.resolved.service;
                focus.has_service_unit(&service.value.name, &service.team, unit.cluster_name)
            })
            .map(|unit| {
                hosts.insert(unit.cluster_name);
                // (As resolved for the environment, overrides and all.)
                let team = &unit.resolved.service.team;
                let uses = &unit.resolved.context.infra.uses;
                owners.extend(uses.iter().filter_map(|used| {
                    let owner = used.from.as_deref()?;
                    Some(unit::service_unit_path(unit.cluster_name, team, owner))
                }));
                service_path(&unit)
            })
            .collect();
        // (An owner that does not run in the cluster has no unit there.)
        let held: BTreeSet<String> = resolve::units(&self.resolved)
            .iter()
            .map(service_path)
            .filter(|path| owners.contains(path))
            .collect();
        let mut context: BTreeSet<String> = owners
            .into_iter()
            .filter(|path| held.contains(path) || self.recalled.contains_key(path))
            .filter(|path| !units.contains(path))
            .collect();
        for env in &self.repo.environments {
            for name in env.value.clusters.keys() {
                let paths = self
                    .cluster_engines
                    .iter()
                    .map(|(set, _)| cluster_unit_path(set, name));
                if focus.has_cluster_unit(name) {
                    units.extend(paths);
                } else if hosts.contains(name.as_str()) {
                    context.extend(paths);
                }
            }
        }
        Some((units, context))
    }

    /// Renders the units whose paths are in `only` (every unit when `None`).
    pub fn render(&self, only: Option<&BTreeSet<String>>) -> Result<Rendered, Vec<Diagnostic>> {
        self.render_with(only, &NoProgress)
    }

    /// [`Plan::render`], telling `progress` of every unit rendered.
    pub fn render_with(
        &self,
        only: Option<&BTreeSet<String>>,
        progress: &dyn Progress,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        let (mut rendered, mut diagnostics) = self.render_part(only, progress);
        diagnostic::normalize(&mut diagnostics);
        if diagnostic::has_errors(&diagnostics) {
            return Err(diagnostics);
        }
        rendered.warnings = diagnostics;
        Ok(rendered)
    }

    /// The units `only` names (every unit without), and what rendering
    /// them found, not yet normalised: the units of a failed render too.
    pub fn render_part(
        &self,
        only: Option<&BTreeSet<String>>,
        progress: &dyn Progress,
    ) -> (Rendered, Vec<Diagnostic>) {
        let wanted = |path: &str| only.is_none_or(|only| only.contains(path));
        let (repo, resolved) = (self.repo, &self.resolved);
        let (engines, cluster_engines) = (&self.engines, &self.cluster_engines);
        let mut diagnostics = Vec::new();
        let mut units = resolve::units(resolved);
        units.retain(|unit| wanted(&service_path(unit)));
        let render_services = || -> Vec<(Option<RenderedUnit>, Vec<Diagnostic>)> {
            units
                .par_iter()
                .map(|unit| {
                    let done = render_service(
                        repo,
                        &engines[&path_key(repo, unit.resolved.golden_path)],
                        unit,
                    );
                    progress.advance();
                    done
                })
                .collect()
        };
        let clusters: Vec<(&Entry<crate::input::model::Environment>, &String, &Cluster)> = repo
            .environments
            .iter()
            .flat_map(|env| {
                env.value
                    .clusters
                    .iter()
                    .map(move |(name, c)| (env, name, c))
            })
            .collect();
        let render_clusters = || -> Vec<(Option<RenderedUnit>, Vec<Diagnostic>)> {
            clusters
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
                            let done =
                                render_cluster_unit(repo, set, engine, env, name, context.clone());
                            progress.advance();
                            done
                        })
                })
                .collect()
        };
        let cluster_units = clusters
            .iter()
            .flat_map(|(_, name, _)| {
                cluster_engines
                    .iter()
                    .map(|(set, _)| cluster_unit_path(set, name))
            })
            .filter(|path| wanted(path))
            .count();
        progress.start(units.len() + cluster_units);
        // Cluster units need only the inputs, not the services' output: they
        // render alongside the services, started first because each is as
        // large as hundreds of service units.
        let (cluster_results, service_results) = rayon::join(render_clusters, render_services);

        let mut rendered = Rendered::default();
        for (unit, unit_diagnostics) in cluster_results.into_iter().chain(service_results) {
            diagnostics.extend(unit_diagnostics);
            rendered.units.extend(unit);
        }
        rendered.units.sort_by(|a, b| a.path.cmp(&b.path));
        (rendered, diagnostics)
    }
}

fn render_service(
    repo: &Repo,
    engine: &Engine,
    unit: &Unit<'_>,
) -> (Option<RenderedUnit>, Vec<Diagnostic>) {
    let resolved = unit.resolved;
    let service = resolved.service;
    let env = &resolved.environment.value.name;
    let context = with_cluster(unit);
    let key = finished::key(repo, engine, unit, &context);
    let (resources, diagnostics) = match key.as_deref().and_then(finished::get) {
        Some(resources) => (resources, Vec::new()),
        None => {
            let (resources, diagnostics) = finish_service(repo, engine, unit, context);
            let Some(resources) = resources else {
                return (None, diagnostics);
            };
            let resources = std::sync::Arc::new(resources);
            if let Some(key) = key.filter(|_| diagnostics.is_empty()) {
                finished::keep(key, &resources);
            }
            (resources, diagnostics)
        }
    };
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
        origin: service_origin(resolved),
        templates: TemplateSet::GoldenPath(path_key(repo, resolved.golden_path)),
        values: Some(resolved.index()),
        text: None,
        summarised: None,
        compacted: false,
        placed: false,
    };
    (Some(unit), diagnostics)
}

/// A service's resources in one cluster: its templates rendered with
/// `context`, its patches applied, fenced into its namespace, labelled
/// and ordered. `None` after an error.
fn finish_service(
    repo: &Repo,
    engine: &Engine,
    unit: &Unit<'_>,
    context: Value,
) -> (Option<Vec<Resource>>, Vec<Diagnostic>) {
    let resolved = unit.resolved;
    let service = resolved.service;
    let env = &resolved.environment.value.name;
    let what = format!(
        "`{}` for cluster `{}`",
        service.value.name, unit.cluster_name
    );
    let version = context["version"].as_str().map(label_value);
    let (mut resources, mut diagnostics) = engine.render(context, &what);
    // The clusters a patch fails in are named once, however many fail.
    diagnostics.extend(
        patch::apply(service, env, &mut resources)
            .into_iter()
            .map(|diagnostic| diagnostic.cluster(unit.cluster_name)),
    );
    let templates = &resolved.golden_path.templates;
    diagnostics.extend(fence::fence(
        &mut resources,
        unit.namespace(),
        &what,
        templates,
    ));
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
    (Some(resources), diagnostics)
}
