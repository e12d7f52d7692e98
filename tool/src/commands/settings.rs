//! What every command shares: the resolved global options and the printer,
//! and the first steps most commands take (open the working tree, render
//! it, report a failure).

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::input::repo::Repo;
use crate::input::source::WorkTree;
use crate::inventory::Inventory;
use crate::output::{ExitStatus, Printer};
use crate::render::{Failure, Focus, Rendered};
use crate::support::text::plural;

/// What `--base` is, for an error about it.
pub const BASE_HELP: &str =
    "`--base` names the commit a pull request merges into, such as `origin/main`";

/// Global options, resolved, and where output goes.
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    pub printer: Printer,
}

/// The root from `--root`, else the nearest directory upwards from `start`
/// (the current directory when `None`) that holds `platform/platform.yaml`.
pub fn root(given: Option<&Path>, start: Option<&Path>) -> Result<PathBuf, Diagnostic> {
    match given {
        Some(root) if root.is_dir() => Ok(root.to_owned()),
        Some(root) => Err(
            Diagnostic::error(format!("`{}` is not a directory", root.display()))
                .help("`--root` names the repository's top directory, the one holding `platform/`"),
        ),
        None => find_root(start),
    }
}

impl Settings {
    /// The working tree at the root, or the exit status after saying why not.
    pub fn work_tree(&self) -> Result<WorkTree, ExitStatus> {
        WorkTree::new(&self.root).map_err(|error| {
            self.printer.error(Diagnostic::error(format!(
                "cannot open `{}`: {error}",
                self.root.display()
            )));
            ExitStatus::Error
        })
    }

    /// The index of a full render of the working tree into `files`, with
    /// the inputs `probed` read before the render when it did;
    /// `None` when the inputs cannot be listed (past
    /// `input::load::MAX_INPUT_ENTRIES`).
    pub fn index(
        &self,
        repo: &Repo,
        rendered: &Rendered,
        files: &std::collections::BTreeMap<String, impl AsRef<str> + Sync>,
        probed: Option<&Committed>,
    ) -> Option<crate::index::Index> {
        let inputs = match probed {
            Some(committed) => committed.inputs()?.clone(),
            None => crate::input::load::inputs(&WorkTree::new(&self.root).ok()?)?,
        };
        Some(crate::index::Index::new(repo, rendered, inputs, files))
    }

    /// The text of the index committed at `rev`, if the root is in a git
    /// repository and `rev` has one.
    pub fn committed_index(&self, rev: &str) -> Option<String> {
        let path = format!(
            "{}/{}",
            crate::render::unit::RENDERED_DIR,
            crate::index::INDEX
        );
        // The working tree's copy, when it is the committed blob (as after
        // a checkout): read rather than inflated.
        let here = self.rendered_dir().join(crate::index::INDEX);
        let git = crate::input::source::git::GitRepo::open(&self.root).ok()?;
        String::from_utf8(git.file_at_or(rev, &path, Some(&here)).ok()??).ok()
    }

    /// `rendered/` under the root.
    pub fn rendered_dir(&self) -> PathBuf {
        self.root.join(crate::render::unit::RENDERED_DIR)
    }

    /// This clone's verdicts (`write::Verdicts`) for the inputs as the
    /// working tree holds them now, under this paved, today.
    pub fn verdicts(&self) -> Option<crate::write::Verdicts> {
        let inputs = work_tree_inputs(&self.root)?;
        let (paved, today) = (crate::index::tool(), crate::support::date::today());
        crate::write::Verdicts::open(&self.root, &self.rendered_dir(), &inputs, &paved, &today)
    }

    /// Loads, checks and renders the working tree. On failure, prints every
    /// problem and says what was not done (`consequence`), returning the
    /// exit status to end with.
    pub fn render_work_tree(&self, consequence: &str) -> Result<(Repo, Rendered), ExitStatus> {
        self.render_focused(consequence, &Focus::default())
    }

    /// Renders the working tree as [`Settings::render_work_tree`] does,
    /// for a command that reads it rather than writes or compares it:
    /// `read` runs on each part of the render (a cluster's units, while
    /// their resources are in memory, see `render::run_checked`), and what
    /// it read of each part comes back, not the render. `key` names what
    /// `read` reads (a run kept in this process is reused only for it).
    pub fn read_work_tree<T: Clone + Send + Sync + 'static>(
        &self,
        consequence: &str,
        key: String,
        read: crate::render::Checks<'_, T>,
    ) -> Result<(Repo, Vec<T>), ExitStatus> {
        let reading = crate::render::Checking {
            key,
            checks: read,
            keep: crate::render::Keep::Summaries,
        };
        let (repo, _, parts) = self.render_parts(
            consequence,
            &Focus::default(),
            ReadBack::Nothing,
            Some(&reading),
        )?;
        Ok((repo, parts))
    }

    /// The inventory of the working tree as rendered
    /// ([`Settings::read_work_tree`]).
    pub fn inventory(&self, consequence: &str) -> Result<(Repo, Inventory), ExitStatus> {
        let (repo, parts) = self.read_work_tree(
            consequence,
            "inventory".to_owned(),
            &crate::inventory::deployed,
        )?;
        let inventory = crate::inventory::assemble(&repo, parts.into_iter().flatten(), false);
        Ok((repo, inventory))
    }

    /// [`Settings::render_work_tree`], rendering only the units in `focus`.
    /// A focused render checks its units against their clusters' own
    /// units, which the index committed at `HEAD` may hold unchanged:
    /// read back whole, for checks that look at every resource of a
    /// cluster (policies that combine them).
    pub fn render_focused(
        &self,
        consequence: &str,
        focus: &Focus,
    ) -> Result<(Repo, Rendered), ExitStatus> {
        self.render_reading(consequence, focus, ReadBack::WholeContext)
    }

    /// Renders the units in `focus`, taking those that `read_back` allows
    /// as a trusted index names them rather than rendering them.
    pub fn render_reading(
        &self,
        consequence: &str,
        focus: &Focus,
        read_back: ReadBack<'_>,
    ) -> Result<(Repo, Rendered), ExitStatus> {
        let (repo, rendered, _) = self.render_parts::<()>(consequence, focus, read_back, None)?;
        Ok((repo, rendered))
    }

    /// The committed index `read_back` trusts, and the tree it speaks for.
    pub fn committed(&self, read_back: ReadBack<'_>) -> Option<Committed> {
        self.committed_probing(read_back, true)
    }

    /// The index committed at `base`, for a command that reads the base
    /// rather than holds the working tree against it (`diff`): the
    /// working tree is probed only if asked.
    pub fn base_index(&self, base: &str) -> Option<Committed> {
        self.committed_probing(ReadBack::Base(base), false)
    }

    /// [`Settings::committed`], probing the working tree (its inputs, the
    /// hashes of `rendered/`) while the index is read when `probe` says so.
    fn committed_probing(&self, read_back: ReadBack<'_>, probe: bool) -> Option<Committed> {
        let (rev, base) = match read_back {
            ReadBack::Nothing | ReadBack::From(_) => return None,
            ReadBack::Context | ReadBack::WholeContext | ReadBack::Head => ("HEAD", None),
            ReadBack::Base(base) => (base, Some(base.to_owned())),
        };
        let rendered = self.rendered_dir();
        let locked = matches!(read_back, ReadBack::Head);
        // While one core reads and parses the index, the others hash what
        // it is held against (the inputs, the files under `rendered/`),
        // when `rendered/` has an index to say there is one to read.
        let prefetch = probe
            && std::fs::symlink_metadata(rendered.join(crate::index::INDEX))
                .is_ok_and(|meta| meta.is_file());
        let read_index = || {
            let text = self.committed_index(rev)?;
            let index = crate::index::Index::parse(&text)?;
            Some((index, crate::support::hash::sha256(text.as_bytes())))
        };
        let hash_inputs = || {
            let source = WorkTree::new(&self.root)
                .ok()
                .map(crate::input::source::recorded::Recorded::new);
            let inputs = source
                .as_ref()
                .and_then(|source| crate::input::load::inputs(source));
            (source, inputs)
        };
        // The index and the inputs first, `rendered/` beside them: when the
        // inputs changed since the index, a render follows, and they are
        // loaded while `rendered/` is still being probed.
        let ((read, (source, inputs), preloaded), hashes) = match prefetch {
            true => rayon::join(
                || {
                    let (read, (source, inputs)) = rayon::join(read_index, hash_inputs);
                    let changed =
                        read.as_ref()
                            .zip(inputs.as_ref())
                            .is_some_and(|((index, _), inputs)| {
                                !index.holds_for(inputs, &crate::support::date::today())
                            });
                    let preloaded = source
                        .as_ref()
                        .filter(|_| changed)
                        .map(|source| crate::render::load_inputs(source));
                    (read, (source, inputs), preloaded)
                },
                || {
                    let hashes = rendered_hashes(&rendered, locked);
                    std::sync::OnceLock::from(hashes)
                },
            ),
            false => (
                (read_index(), (None, None), None),
                std::sync::OnceLock::new(),
            ),
        };
        let inputs = match &source {
            Some(_) => std::sync::OnceLock::from(inputs),
            None => std::sync::OnceLock::new(),
        };
        let (index, sha256) = read?;
        Some(Committed {
            index,
            sha256,
            root: self.root.clone(),
            rendered,
            base,
            locked,
            whole: matches!(read_back, ReadBack::WholeContext),
            inputs,
            hashes,
            source,
            preloaded: std::sync::Mutex::new(preloaded),
        })
    }

    /// [`Settings::render_reading`], and the findings of `validation`
    /// (when given) on what it rendered, [`check::finish`]ed. A render of
    /// everything anew validates a cluster at a time, while its resources
    /// are in memory (`render::run_checked`). When units were read back
    /// and the checks found anything, every unit is rendered again and
    /// checked instead: a unit read back leads its findings to its
    /// manifest, a rendered one to its template and intent lines.
    ///
    /// [`check::finish`]: crate::check::finish
    pub fn render_and_validate(
        &self,
        consequence: &str,
        focus: &Focus,
        read_back: ReadBack<'_>,
        validation: Option<crate::check::Options>,
        keep: crate::render::Keep<'_>,
    ) -> Result<(Repo, Rendered, Vec<Diagnostic>), ExitStatus> {
        let (repo, rendered, found) =
            self.render_checking(consequence, focus, read_back, validation, keep)?;
        if !rendered.reads_back() || found.is_empty() {
            return Ok((repo, rendered, found));
        }
        drop((repo, rendered, found));
        self.render_checking(consequence, focus, ReadBack::Nothing, validation, keep)
    }

    fn render_checking(
        &self,
        consequence: &str,
        focus: &Focus,
        read_back: ReadBack<'_>,
        validation: Option<crate::check::Options>,
        keep: crate::render::Keep<'_>,
    ) -> Result<(Repo, Rendered, Vec<Diagnostic>), ExitStatus> {
        let validator = validation.map(crate::check::Validator::new);
        let checks = |repo: &Repo, rendered: &Rendered| match &validator {
            Some(validator) => validator.check(repo, rendered),
            None => Vec::new(),
        };
        // (Checked without a validation too: a render of everything is
        // then still a cluster at a time.)
        let checking = crate::render::Checking {
            key: validator
                .as_ref()
                .map_or_else(|| "not validated".to_owned(), crate::check::Validator::key),
            checks: &checks,
            keep,
        };
        let (repo, rendered, parts) =
            self.render_parts(consequence, focus, read_back, Some(&checking))?;
        let mut found: Vec<Diagnostic> = parts.into_iter().flatten().collect();
        crate::check::finish(&mut found);
        Ok((repo, rendered, found))
    }

    /// Renders the units in `focus` as [`Settings::render_reading`] does,
    /// with `checking` run on what it rendered: what it found in each
    /// part (a cluster's units, while a render of everything anew holds
    /// them; else the whole render).
    pub fn render_evaluating<T: Clone + Send + Sync + 'static>(
        &self,
        consequence: &str,
        focus: &Focus,
        read_back: ReadBack<'_>,
        checking: &crate::render::Checking<'_, T>,
    ) -> Result<(Repo, Rendered, Vec<T>), ExitStatus> {
        self.render_parts(consequence, focus, read_back, Some(checking))
    }

    fn render_parts<T: Clone + Send + Sync + 'static>(
        &self,
        consequence: &str,
        focus: &Focus,
        read_back: ReadBack<'_>,
        checking: Option<&crate::render::Checking<'_, T>>,
    ) -> Result<(Repo, Rendered, Vec<T>), ExitStatus> {
        let owned;
        let committed = match read_back {
            ReadBack::Context | ReadBack::WholeContext if focus.is_everything() => None,
            ReadBack::From(committed) => Some(committed),
            read_back => {
                owned = self.committed(read_back);
                owned.as_ref()
            }
        };
        self.render_with(consequence, focus, committed, checking)
    }

    fn render_with<T: Clone + Send + Sync + 'static>(
        &self,
        consequence: &str,
        focus: &Focus,
        reuse: Option<&Committed>,
        checking: Option<&crate::render::Checking<'_, T>>,
    ) -> Result<(Repo, Rendered, Vec<T>), ExitStatus> {
        let work_tree;
        let source: &dyn crate::input::source::Source =
            match reuse.and_then(|committed| committed.source.as_ref()) {
                Some(kept) => kept,
                None => {
                    work_tree = self.work_tree()?;
                    &work_tree
                }
            };
        let preloaded = reuse.and_then(|committed| {
            committed
                .preloaded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        });
        let progress = self.printer.progress("rendering");
        let reuse = reuse.map(|reuse| reuse as &dyn crate::render::Reuse);
        let rendered =
            crate::render::run_preloaded(source, preloaded, focus, &progress, reuse, checking);
        drop(progress);
        rendered.map_err(|failure| self.report_failure(&failure, consequence))
    }

    /// The Markdown under `docs/` and `teams/<team>/docs/`, for the catalog
    /// and the portal; on failure, prints why and returns the exit status.
    pub fn docs(
        &self,
        consequence: &str,
    ) -> Result<Vec<crate::input::load::TemplateFile>, ExitStatus> {
        let source = self.work_tree()?;
        let (docs, diagnostics) = crate::input::load::docs(&source);
        if diagnostics.is_empty() {
            return Ok(docs);
        }
        let failure = Failure {
            diagnostics,
            sources: crate::diagnostic::Sources::default(),
        };
        Err(self.report_failure(&failure, consequence))
    }

    /// Where a command writes a directory: `--out` as given, else `default`
    /// under the root.
    pub fn out_dir(&self, given: Option<&Path>, default: &str) -> PathBuf {
        given.map_or_else(|| self.root.join(default), Path::to_path_buf)
    }

    /// Reports inputs that could not be used, and returns the exit status.
    pub fn report_failure(&self, failure: &Failure, consequence: &str) -> ExitStatus {
        self.printer
            .diagnostics(&failure.diagnostics, &failure.sources);
        let errors = failure
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let mut files: Vec<&str> = failure
            .diagnostics
            .iter()
            .filter_map(|d| d.location.as_ref().map(|l| l.file.as_str()))
            .collect();
        files.sort_unstable();
        files.dedup();
        // Errors in no file are the command line's (`--service` naming no
        // service) or the platform file's absence.
        let place = if files.is_empty() {
            String::new()
        } else {
            format!(" in {}", plural(files.len(), "file"))
        };
        self.printer.say(format!(
            "paved: {}{place}; {consequence}",
            plural(errors, "error")
        ));
        ExitStatus::Error
    }
}

/// The nearest directory, from `start` (the current one when `None`)
/// upwards, that holds `platform/platform.yaml`; `start` if none does.
fn find_root(start: Option<&Path>) -> Result<PathBuf, Diagnostic> {
    let current = match start {
        Some(start) => start.to_owned(),
        None => std::env::current_dir().map_err(|error| {
            Diagnostic::error(format!("cannot read the current directory: {error}"))
        })?,
    };
    let found = current
        .ancestors()
        .find(|dir| dir.join(crate::input::load::PLATFORM_FILE).is_file())
        .map(Path::to_path_buf);
    Ok(found.unwrap_or(current))
}

/// For a command's summary: ` (focused on `--service web`; the rest of
/// the organisation was not rendered)`, or nothing.
pub fn focused(focus: &Focus) -> String {
    if focus.is_everything() {
        String::new()
    } else {
        format!(
            " (focused on {}; the rest of the organisation was not rendered)",
            focus.describe()
        )
    }
}

/// Which units a render may take as a committed index names them, when
/// their inputs are unchanged, rather than render them.
#[derive(Debug, Clone, Copy)]
pub enum ReadBack<'a> {
    Nothing,
    /// A focused render's context (its clusters' own units), as the index
    /// committed at `HEAD` names them.
    Context,
    /// [`ReadBack::Context`], read back whole: for `policy`, whose rules
    /// may combine every resource of a cluster.
    WholeContext,
    /// Every unit, as the index committed at `HEAD` names them and
    /// `rendered/` holds them: for what `render` writes, which CI checks
    /// against the base it trusts.
    Head,
    /// Every unit, as the index committed at this base names them and the
    /// base holds them (from `rendered/` when the bytes are still those,
    /// else from the base commit): for what a pull request is checked
    /// against.
    Base(&'a str),
    /// As this committed index (of `HEAD` or a base) allows.
    From(&'a Committed),
}

/// A committed index, and the tree it speaks for: a unit whose inputs and
/// bytes are still what it names renders those bytes again.
#[derive(Debug)]
pub struct Committed {
    pub index: crate::index::Index,
    /// The sha256 of the index's text.
    sha256: String,
    /// The repository's root, whose inputs are rendered.
    root: PathBuf,
    rendered: PathBuf,
    /// Whether the caller holds the lock on `rendered/` (`render` does).
    locked: bool,
    /// Whether every unit taken is read back whole, never carried as its
    /// summary (`ReadBack::WholeContext`).
    whole: bool,
    /// The working tree's inputs (`input::load::inputs`), read when first
    /// asked for.
    inputs: std::sync::OnceLock<Option<std::collections::BTreeMap<String, String>>>,
    /// The sha256 of every file under `rendered/` (`write::hashes`), read
    /// when first asked for.
    hashes: std::sync::OnceLock<Option<std::collections::BTreeMap<String, String>>>,
    /// The working tree as the probe read it, its answers kept, when it
    /// did: the inputs hashed are then the inputs loaded, read once.
    source: Option<crate::input::source::recorded::Recorded<WorkTree>>,
    /// Those inputs loaded, when the probe found them changed since the
    /// index (a render follows): loaded while `rendered/` was probed.
    preloaded: std::sync::Mutex<Option<crate::render::Loaded>>,
    /// The commit the index is from, when a unit's bytes are read from it
    /// where `rendered/` no longer holds them (a base's).
    base: Option<String>,
}

impl Committed {
    /// Whether the working tree is still what the index names: every
    /// input, and every file under `rendered/`, the index too. Then a
    /// render would write the same bytes and pass the same checks.
    pub fn holds(&self) -> bool {
        let (inputs, found) = rayon::join(|| self.inputs(), || self.hashes());
        let (Some(inputs), Some(found)) = (inputs, found) else {
            return false;
        };
        if !self.index.holds_for(inputs, &crate::support::date::today()) {
            return false;
        }
        let same = found
            .iter()
            .filter(|(path, _)| path.as_str() != crate::index::INDEX)
            .eq(self
                .index
                .files
                .iter()
                .map(|(path, file)| (path, &file.sha256)));
        if !same {
            // Whatever differs is read in full next time: a hash recorded
            // wrongly (by hand, say) must not keep the tree from matching.
            crate::write::forget_hashes(&self.rendered);
        }
        same && found.get(crate::index::INDEX) == Some(&self.sha256)
    }

    /// Every file under `rendered/` with its sha256, when this command
    /// holds the lock and has listed them already: what a write under that
    /// lock need not list again.
    pub fn listed(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        self.hashes.get()?.as_ref().filter(|_| self.locked)
    }

    /// The working tree's inputs.
    fn inputs(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        let inputs = self.inputs.get_or_init(|| work_tree_inputs(&self.root));
        inputs.as_ref()
    }

    /// The sha256 of every file under `rendered/` (`write::hashes`), read
    /// under the shared lock unless the caller holds the lock.
    fn hashes(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        let hashes = self
            .hashes
            .get_or_init(|| rendered_hashes(&self.rendered, self.locked));
        hashes.as_ref()
    }
}

/// The text of the file at `path` in commit `rev` of the repository at
/// `root`, if it has one.
fn text_at(root: &Path, rev: &str, path: &str) -> Option<String> {
    let git = crate::input::source::git::GitRepo::open(root).ok()?;
    String::from_utf8(git.file_at(rev, path).ok()??).ok()
}

/// The inputs of the working tree at `root` (`input::load::inputs`).
fn work_tree_inputs(root: &Path) -> Option<std::collections::BTreeMap<String, String>> {
    let source = WorkTree::new(root).ok()?;
    crate::input::load::inputs(&source)
}

/// The sha256 of every file under `rendered` (`write::hashes`), read under
/// the shared lock unless the caller holds the lock (`locked`).
fn rendered_hashes(
    rendered: &Path,
    locked: bool,
) -> Option<std::collections::BTreeMap<String, String>> {
    let _lock = match locked {
        true => None,
        false => crate::write::Lock::shared(rendered).ok()?,
    };
    crate::write::hashes(rendered).ok().flatten()
}

impl crate::render::Reuse for Committed {
    fn manifest(&self, path: &str, fingerprint: &str) -> Option<String> {
        if let Some(text) = self.index.manifest(&self.rendered, path, fingerprint) {
            return Some(text);
        }
        // (Rare: a unit the index names whose file was edited or removed.
        // The repository is opened here, on the thread that asks.)
        let rev = self.base.as_ref()?;
        if !self.index.names(path, fingerprint) {
            return None;
        }
        let full = format!("{}/{path}", crate::render::unit::RENDERED_DIR);
        let text = text_at(&self.root, rev, &full)?;
        self.index
            .vouches_for(path, fingerprint, &text)
            .then_some(text)
    }

    fn reads_rendered_only(&self) -> bool {
        self.base.is_none()
    }

    fn names(&self, path: &str, fingerprint: &str) -> bool {
        // (Bytes gone from `rendered/` are read from the base, if any.)
        self.index.names(path, fingerprint)
            && (self.base.is_some() || self.hashes().is_some_and(|found| found.contains_key(path)))
    }

    fn in_place(&self, path: &str, fingerprint: &str) -> Option<String> {
        let named = &self.index.files.get(path)?.sha256;
        let holds = self.index.names(path, fingerprint) && self.hashes()?.get(path) == Some(named);
        holds.then(|| named.clone())
    }

    fn read_inputs(&self) -> Option<(&crate::render::Hashes, &crate::render::Hashes)> {
        let now = self.inputs()?;
        let today = crate::support::date::today();
        self.index
            .shared_inputs_hold(now, &today)
            .then_some((&self.index.inputs, now))
    }

    fn recorded(&self, path: &str) -> Option<(String, String)> {
        let file = self.index.files.get(path)?;
        Some((file.inputs.clone()?, file.entry.clone()?))
    }

    fn earlier(&self, path: &str) -> Option<String> {
        let rev = self.base.as_deref().unwrap_or("HEAD");
        let text = text_at(&self.root, rev, path)?;
        let read = self.index.inputs.get(path)?;
        (*read == crate::support::hash::sha256(text.as_bytes())).then_some(text)
    }

    fn summaries(
        &self,
    ) -> Option<std::collections::BTreeMap<&str, crate::render::summary::Recorded<'_>>> {
        if self.whole {
            return None;
        }
        self.index
            .summaries(self.inputs()?, &crate::support::date::today())
    }
}
