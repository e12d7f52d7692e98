//! `paved diff`: what the working tree changes, cluster by cluster,
//! compared with a base commit.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::settings::{Committed, Settings, focused};
use crate::cli::DiffArgs;
use crate::diagnostic::{self, Diagnostic};
use crate::diff;
use crate::input::repo::Repo;
use crate::input::source::Source;
use crate::input::source::git::GitRepo;
use crate::output::{ExitStatus, Format};
use crate::render::{self, Failure, Focus};

/// The hidden marker that makes a pull-request comment findable, so CI
/// updates one comment instead of adding one per push.
pub const COMMENT_MARKER: &str = "<!-- paved-diff -->";

pub fn exec(settings: &Settings, args: &DiffArgs) -> ExitStatus {
    let started = Instant::now();
    let focus = args.focus.focus();
    let (report, compared, read_back) = match compute(settings, args.base.as_deref(), &focus) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let printer = &settings.printer;
    match printer.format() {
        Format::Json => printer.result("diff", &report),
        Format::Markdown => printer.out(&diff::to_markdown(&report, COMMENT_MARKER)),
        Format::Text | Format::Sarif => {
            printer.out(&diff::to_text(&report, printer.stdout_color()));
        }
    }
    printer.say(format!(
        "Compared {compared} rendered units whose inputs changed{} in {:.2}s{}",
        focused(&focus),
        started.elapsed().as_secs_f64(),
        if read_back {
            " (the base's as its commit and index hold them)"
        } else {
            ""
        }
    ));
    if args.exit_code && !report.is_empty() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

/// Renders the base commit's inputs and the working tree's (only the units
/// in `focus` whose inputs differ) and compares them. Problems are printed
/// here; the error is the exit status to end with.
pub fn compute(
    settings: &Settings,
    base: Option<&str>,
    focus: &Focus,
) -> Result<(diff::Report, usize, bool), ExitStatus> {
    let printer = &settings.printer;
    let git = match GitRepo::open(&settings.root) {
        Ok(git) => git,
        Err(error) => {
            printer.error(Diagnostic::error(error.to_string()));
            return Err(ExitStatus::Error);
        }
    };
    let base_rev = match base {
        Some(rev) => rev.to_owned(),
        None => match git.default_base() {
            Ok(rev) => rev,
            Err(error) => {
                printer.error(
                    Diagnostic::error(error.to_string())
                        .help("pass `--base <REF>`, such as `--base main` or `--base HEAD~1`"),
                );
                return Err(ExitStatus::Error);
            }
        },
    };
    let (base_tree, described) =
        match git
            .inputs_at(&base_rev)
            .and_then(|tree| Ok((tree, git.describe(&base_rev)?)))
        {
            Ok(found) => found,
            Err(error) => {
                printer.error(Diagnostic::error(error.to_string()).help(
                    "use a branch, tag or commit id, such as `main`, `origin/main` or `HEAD~1`",
                ));
                return Err(ExitStatus::Error);
            }
        };
    let work = settings.work_tree()?;
    // A base from before paved existed renders to nothing: all is new.
    // Both sides load side by side.
    let (base_repo, head_repo) = rayon::join(
        || {
            base_tree
                .exists(crate::input::load::PLATFORM_FILE)
                .then(|| render::load_checked(&base_tree))
        },
        || render::load_checked(&work),
    );
    let base_repo = match base_repo {
        Some(Ok(repo)) => Some(repo),
        Some(Err(failure)) => return Err(base_failure(settings, &failure, &described)),
        None => None,
    };
    let head_repo = match head_repo {
        Ok(repo) => repo,
        Err(failure) => return Err(settings.report_failure(&failure, "nothing was compared")),
    };
    let repos: Vec<&Repo> = base_repo.iter().chain([&head_repo]).collect();
    let unknown = focus.unknown_names(&repos);
    if !unknown.is_empty() {
        let failure = Failure {
            diagnostics: unknown,
            sources: head_repo.sources.clone(),
        };
        return Err(settings.report_failure(&failure, "nothing was compared"));
    }
    let base_failed = |diagnostics, repo: &Repo| {
        let failure = Failure {
            diagnostics,
            sources: repo.sources.clone(),
        };
        base_failure(settings, &failure, &described)
    };
    let head_failed = |diagnostics| {
        let failure = Failure {
            diagnostics,
            sources: head_repo.sources.clone(),
        };
        settings.report_failure(&failure, "nothing was compared")
    };
    // The base's own index, when this paved wrote it, says what each of
    // its units was rendered from and holds: the base need not be
    // rendered (CI checked the index when the base merged).
    let indexed = base_repo
        .as_ref()
        .filter(|_| focus.is_everything())
        .and_then(|_| settings.base_index(&base_rev))
        .filter(names_every_unit);
    let base_plan = match (&base_repo, &indexed) {
        (Some(repo), None) => {
            Some(render::plan(repo, &BTreeSet::new()).map_err(|d| base_failed(d, repo))?)
        }
        _ => None,
    };
    // The head resolves only the services whose resolution may differ
    // from the base's (and those in focus), taking what the base's index
    // recorded of the rest (`render::recall`).
    let mut head_plan = match &indexed {
        Some(index) => render::plan_reusing(&head_repo, index, focus),
        None => render::plan(&head_repo, &BTreeSet::new()),
    }
    .map_err(head_failed)?;
    // Render only the units whose inputs differ: the rest cannot change.
    let (old, new) = rayon::join(
        || match (&base_plan, &indexed) {
            (Some(plan), _) => plan.fingerprints(),
            (None, Some(index)) => fingerprints(index),
            (None, None) => Default::default(),
        },
        || head_plan.fingerprints(),
    );
    let mut changed: BTreeSet<String> = old.keys().chain(new.keys()).cloned().collect();
    // New cost rates re-price every unit: estimate them all (what they
    // render is unchanged, so they add nothing to the diff itself).
    let rates_changed = base_repo
        .as_ref()
        .is_some_and(|base| base.platform.value.cost != head_repo.platform.value.cost);
    if !rates_changed {
        changed.retain(|path| old.get(path) != new.get(path));
    }
    // The context a focused render checks against is not the focus's own
    // change: only the focused units are compared.
    if let Some((head_focus, _)) = head_plan.focused(focus) {
        let base_focus = base_plan.as_ref().and_then(|plan| plan.focused(focus));
        changed.retain(|path| {
            head_focus.contains(path) || base_focus.as_ref().is_some_and(|(f, _)| f.contains(path))
        });
    }
    // Cluster by cluster (a unit's resources are compared with its own
    // cluster's), so that a change to every unit holds one cluster's
    // units at a time. The base's changed units as its commit holds them;
    // rendered from the first cluster where one is not what its index
    // names.
    head_plan.resolve_for(&changed);
    let parts = render::unit::by_cluster(&changed);
    let mut base_plan = base_plan;
    let mut was_read_back = indexed.is_some() && base_repo.is_some();
    let environments = environments(base_repo.as_ref(), &head_repo);
    let settings_diff = &head_repo.platform.value.diff;
    let mut units = BTreeMap::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let (mut base_errors, mut head_errors) = (Vec::new(), Vec::new());
    // Each side holds only the cluster's environment's services when more
    // than a tenth of the units changed (a change to a golden path, or to
    // the platform): resolving each environment again then costs little
    // beside rendering them, and would cost a small change more than it
    // saves.
    let hold = changed.len() * 10 > new.len();
    for (cluster, paths) in &parts {
        if hold {
            head_plan.hold_for(cluster);
            if let Some(plan) = &mut base_plan {
                plan.hold_for(cluster);
            }
        }
        let read_back = match (&indexed, &base_repo) {
            (Some(index), Some(repo)) if base_plan.is_none() => read_back(index, repo, paths),
            _ => None,
        };
        was_read_back &= read_back.is_some();
        if let (None, None, Some(repo)) = (&read_back, &base_plan, &base_repo) {
            let mut plan =
                render::plan(repo, &BTreeSet::new()).map_err(|d| base_failed(d, repo))?;
            if hold {
                plan.hold_for(cluster);
            }
            base_plan = Some(plan);
        }
        let ((base, found), (head, more)) = rayon::join(
            || match (read_back, &base_plan) {
                (Some(rendered), _) => (rendered, Vec::new()),
                (None, Some(plan)) => plan.render_part(Some(paths), &render::NoProgress),
                (None, None) => Default::default(),
            },
            || head_plan.render_part(Some(paths), &render::NoProgress),
        );
        base_errors.extend(found);
        head_errors.extend(more);
        if diagnostic::has_errors(&base_errors) || diagnostic::has_errors(&head_errors) {
            continue;
        }
        units.extend(diff::changes(&base, &head, &environments, settings_diff));
        if let Some(repo) = &base_repo {
            before.extend(crate::inventory::deployed(repo, &base));
        }
        after.extend(crate::inventory::deployed(&head_repo, &head));
    }
    for (errors, base) in [(&mut base_errors, true), (&mut head_errors, false)] {
        diagnostic::normalize(errors);
        if !diagnostic::has_errors(errors) {
            continue;
        }
        let errors = std::mem::take(errors);
        return Err(match (&base_repo, base) {
            (Some(repo), true) => base_failed(errors, repo),
            _ => head_failed(errors),
        });
    }
    let mut report = diff::report(units, &environments);
    report.base = described;
    report.owners = crate::ownership::touched(
        &head_repo,
        base_repo.as_ref().map(|repo| &repo.sources),
        &head_repo.sources,
        &report,
    );
    report.cost = crate::cost::change_of(
        base_repo.as_ref().map(|repo| (repo, before)),
        (&head_repo, after),
    );
    let compared = changed.len();
    render::unit::leave_to_exit((base_plan, head_plan));
    render::unit::leave_to_exit((base_repo, head_repo));
    Ok((report, compared, was_read_back))
}

/// Every environment of either side, head's version first.
fn environments<'a>(
    base: Option<&'a Repo>,
    head: &'a Repo,
) -> Vec<&'a crate::input::model::Environment> {
    let mut out: Vec<&crate::input::model::Environment> =
        head.environments.iter().map(|e| &e.value).collect();
    for env in base.iter().flat_map(|base| &base.environments) {
        if !out.iter().any(|e| e.name == env.value.name) {
            out.push(&env.value);
        }
    }
    out
}

fn base_failure(settings: &Settings, failure: &Failure, described: &str) -> ExitStatus {
    settings.printer.say(format!(
        "paved: the base commit ({described}) does not render with this version of paved:"
    ));
    settings.report_failure(failure, "nothing was compared")
}

/// Whether this paved wrote the index and it names the fingerprint of
/// every unit (the base then need not be resolved to know them).
fn names_every_unit(base: &Committed) -> bool {
    let index = &base.index;
    index.paved == crate::index::tool()
        && index
            .files
            .iter()
            .all(|(path, file)| file.inputs.is_some() || !path.ends_with(render::unit::MANIFEST))
}

/// Each of the base's units' fingerprints, by path.
fn fingerprints(base: &Committed) -> std::collections::BTreeMap<String, String> {
    let files = base.index.files.iter();
    files
        .filter_map(|(path, file)| Some((path.clone(), file.inputs.clone()?)))
        .collect()
}

/// The base's units among `paths` that its index names, as the base holds
/// them; `None` if one cannot be read back.
fn read_back(base: &Committed, repo: &Repo, paths: &BTreeSet<String>) -> Option<render::Rendered> {
    use crate::render::Reuse;
    use rayon::prelude::*;
    let named: Vec<(&String, &String)> = paths
        .iter()
        .filter_map(|path| Some((path, base.index.files.get(path)?.inputs.as_ref()?)))
        .collect();
    let units: Option<Vec<render::RenderedUnit>> = named
        .into_par_iter()
        .map(|(path, fingerprint)| {
            let text = base.manifest(path, fingerprint)?;
            render::unit::read_back(repo, path, &text, None)
        })
        .collect();
    let mut rendered = render::Rendered::default();
    rendered.units = units?;
    Some(rendered)
}
