//! Stage 9, write: make `rendered/` hold exactly the rendered files, and
//! touch nothing else.
//!
//! - Unchanged files are not rewritten; files no longer rendered are
//!   removed, with the directories they leave empty.
//! - Every path written or removed is checked to lie inside `rendered/`;
//!   symlinks are never followed out of it.
//! - One writer at a time: a render holds an exclusive advisory lock on
//!   `rendered/.paved-lock` (the operating system releases it when the
//!   process ends, however it ends); `check` holds a shared one while it
//!   compares. A second render is refused, never interleaved.
//! - The change is staged first: new files go to `rendered/.paved-staging/`
//!   (flat, numbered: creating a directory costs as much as a file). Then
//!   every directory the change will touch is created or probed (can a
//!   file be made there? is it on the staging directory's file system, so
//!   a rename works?), so that what can be foreseen fails here, before the
//!   commit point, and leaves the previous tree (the staging directory is
//!   removed). A directory the run makes is not probed itself: the probe
//!   of the directory it is made in covers it (making it there proved that
//!   one writable, and it is on that one's file system). Then a plan naming
//!   every rename and removal is written and renamed into place: the
//!   commit point. Then it is applied. A process killed before the commit
//!   point leaves the previous tree (a leftover staging directory is
//!   discarded by the next run); killed after it, the next run finishes
//!   the plan. Either way no mix of old and new survives a rerun.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::support::text::slashed;

mod stamps;
mod verdicts;
pub use stamps::{HASHES, SETTLED};
pub use verdicts::{VERDICTS, Verdicts};

/// The staging directory inside `rendered/`.
pub const STAGING: &str = ".paved-staging";
/// The lock file inside `rendered/`.
pub const LOCK: &str = ".paved-lock";
pub const PLAN: &str = "plan";
/// The first line of a plan whose staged files are numbered
/// (`write <n> <path>`); a plan without it names each by its path.
const NUMBERED: &str = "staged by number";
/// What a probe of a directory's writability is called while it exists.
pub const PROBE: &str = ".paved-probe";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("`{0}` is a symlink; paved writes only into a real `rendered/` directory")]
    SymlinkedOutput(PathBuf),
    #[error("refusing to write `{0}`: the path would leave `rendered/`")]
    Escape(String),
    #[error(
        "`{}` has a name paved cannot write down (not UTF-8, or a control character in it); nothing paved renders is named so: remove it by hand",
        .0.display()
    )]
    Unnamed(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "another `paved` process is using `rendered/` (a render writing it, or a check reading it); wait for it to finish, then run again"
    )]
    Busy(PathBuf),
    #[error(
        "the new tree was committed but could not be put in place: cannot write `{path}`: {source}; fix that, then run `paved render` again to finish"
    )]
    Unfinished {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// Whether `rendered/` may hold a mix of old and new files (the next
    /// render finishes it).
    pub fn is_unfinished(&self) -> bool {
        matches!(self, WriteError::Unfinished { .. })
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Failures after the commit point: the next render finishes the plan.
fn unfinished(error: WriteError) -> WriteError {
    match error {
        WriteError::Io { path, source } => WriteError::Unfinished { path, source },
        other => other,
    }
}

/// The steps that change the file system, each of which a test can make fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    CreateDir,
    Stage,
    Probe,
    Plan,
    Commit,
    Rename,
    Remove,
    Cleanup,
}

/// Runs one change to the file system. Every change goes through here, so
/// that tests can inject a failure at any of them.
fn fs_op<T>(step: Step, path: &Path, run: impl FnOnce() -> io::Result<T>) -> Result<T, WriteError> {
    faults::check(step, path)?;
    run().map_err(io_error(path))
}

/// Test hooks: fail the n-th change, or every change of one step whose
/// path contains a text. Set per thread, so only a test that sets them on
/// its own thread sees a fault; otherwise each change costs a counter.
#[doc(hidden)]
pub mod faults {
    use super::*;
    use std::cell::{Cell, RefCell};

    thread_local! {
        pub static FAIL_AT: Cell<Option<usize>> = const { Cell::new(None) };
        pub static FAIL_ON: RefCell<Option<(Step, String)>> = const { RefCell::new(None) };
        pub static COUNT: Cell<usize> = const { Cell::new(0) };
    }

    pub fn check(step: Step, path: &Path) -> Result<(), WriteError> {
        let count = COUNT.with(|c| {
            c.set(c.get() + 1);
            c.get() - 1
        });
        let at = FAIL_AT.with(Cell::get) == Some(count);
        let on = FAIL_ON.with(|f| {
            f.borrow()
                .as_ref()
                .is_some_and(|(s, text)| *s == step && path.to_string_lossy().contains(text))
        });
        if at || on {
            return Err(WriteError::Io {
                path: path.to_owned(),
                source: io::Error::other(format!("injected fault at {step:?}")),
            });
        }
        Ok(())
    }

    pub fn reset(fail_at: Option<usize>, fail_on: Option<(Step, &str)>) {
        COUNT.with(|c| c.set(0));
        FAIL_AT.with(|f| f.set(fail_at));
        FAIL_ON.with(|f| *f.borrow_mut() = fail_on.map(|(s, t)| (s, t.to_owned())));
    }

    pub fn count() -> usize {
        COUNT.with(Cell::get)
    }
}

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
}

/// How the tree on disk differs from what it should hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Present with different content.
    pub stale: Vec<String>,
    /// Should exist, does not.
    pub missing: Vec<String>,
    /// Exists, should not.
    pub unexpected: Vec<String>,
    /// A render committed its change and was interrupted before it was in
    /// place: the tree may mix old and new files.
    pub interrupted: bool,
    /// A render was interrupted before its commit point and left its
    /// staging directory; the tree is as it was.
    pub leftover: bool,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && !self.interrupted
    }
}

/// An advisory lock on `rendered/`, held until dropped or the process ends.
#[derive(Debug)]
pub struct Lock {
    dir: PathBuf,
    _file: fs::File,
}

impl Lock {
    /// The exclusive lock a render holds, creating `dir` if it is missing.
    pub fn exclusive(dir: &Path) -> Result<Lock, WriteError> {
        refuse_symlink(dir)?;
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let file = open_lock_file(dir, true)?.ok_or_else(|| WriteError::Io {
            path: dir.join(LOCK),
            source: io::Error::other("the lock file cannot be created"),
        })?;
        take(&file, dir, false)?;
        Ok(Lock {
            dir: dir.to_owned(),
            _file: file,
        })
    }

    /// The exclusive lock if `dir` exists; `None` if there is nothing to
    /// protect yet (nothing is created).
    pub fn exclusive_if_present(dir: &Path) -> Result<Option<Lock>, WriteError> {
        refuse_symlink(dir)?;
        if dir.is_dir() {
            Lock::exclusive(dir).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The shared lock `check` holds while it reads. `None` when `dir` is
    /// missing, or read-only (then no render can be writing it either).
    pub fn shared(dir: &Path) -> Result<Option<Lock>, WriteError> {
        refuse_symlink(dir)?;
        if !dir.is_dir() {
            return Ok(None);
        }
        let Some(file) = open_lock_file(dir, false)? else {
            return Ok(None);
        };
        take(&file, dir, true)?;
        Ok(Some(Lock {
            dir: dir.to_owned(),
            _file: file,
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Opens `dir/.paved-lock`, creating it (never through a symlink). When
/// `must` is false, a lock file that cannot be created is `None`.
fn open_lock_file(dir: &Path, must: bool) -> Result<Option<fs::File>, WriteError> {
    let path = dir.join(LOCK);
    // Whatever stands there that is not a plain file is ours to replace:
    // a symlink must not lead the lock file (created if missing) outside.
    if let Ok(meta) = fs::symlink_metadata(&path)
        && !meta.is_file()
    {
        let removed = if meta.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(io_error(&path))?;
    }
    let opened = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path);
    match opened {
        Ok(file) => Ok(Some(file)),
        Err(_) if !must => Ok(fs::File::open(&path).ok()),
        Err(error) => Err(io_error(&path)(error)),
    }
}

fn take(file: &fs::File, dir: &Path, shared: bool) -> Result<(), WriteError> {
    let taken = if shared {
        file.try_lock_shared()
    } else {
        file.try_lock()
    };
    match taken {
        Ok(()) => Ok(()),
        Err(fs::TryLockError::WouldBlock) => Err(WriteError::Busy(dir.to_owned())),
        Err(fs::TryLockError::Error(error)) => Err(io_error(&dir.join(LOCK))(error)),
    }
}

/// Checks that a relative path has only plain components and is none of
/// paved's own files.
fn checked(relative: &str) -> Result<&Path, WriteError> {
    let path = Path::new(relative);
    let plain = !relative.is_empty()
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    if plain && !relative.starts_with(STAGING) && relative != LOCK {
        Ok(path)
    } else {
        Err(WriteError::Escape(relative.to_owned()))
    }
}

fn refuse_symlink(dir: &Path) -> Result<(), WriteError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(WriteError::SymlinkedOutput(dir.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Every file under `dir` (symlinks count as files and are not followed),
/// by path relative to `dir`, skipping paved's own staging, lock and
/// local records.
pub fn existing_files(dir: &Path) -> Result<Vec<String>, WriteError> {
    Ok(listing(dir, &stamps::Record::default())?.files)
}

/// What [`existing_files`] finds under a directory, and the stamp of each
/// folder below it as it was before its entries were read.
struct Listing {
    files: Vec<String>,
    folders: Vec<(String, Option<stamps::Stamp>)>,
}

/// [`existing_files`], taking a folder's entries from `record` where it
/// still has the stamp the record gives it: a folder's times move with
/// every entry made, removed or renamed in it (`stamps`).
fn listing(dir: &Path, record: &stamps::Record) -> Result<Listing, WriteError> {
    use rayon::prelude::*;
    let mut found = Listing {
        files: Vec::new(),
        folders: Vec::new(),
    };
    // A level of folders at a time, the folders of a level side by side
    // (`rendered/` holds a folder per unit).
    let mut level = vec![PathBuf::new()];
    while !level.is_empty() {
        let listed: Vec<(Option<stamps::Stamp>, Vec<PathBuf>, Vec<String>)> = level
            .par_iter()
            .map(|relative| {
                // (`dir` itself is never recorded: paved's own files come
                // and go in it.)
                if relative.as_os_str().is_empty() {
                    let (folders, files) = listed(dir, relative)?;
                    return Ok((None, folders, files));
                }
                // The stamp before the entries: an entry made meanwhile
                // shows in the next stamp.
                let stamp = fs::symlink_metadata(dir.join(relative))
                    .ok()
                    .and_then(|meta| stamps::Stamp::of(&meta));
                let recorded =
                    stamp.and_then(|stamp| record.entries_of(&slashed(relative), &stamp));
                let (folders, files) = match recorded {
                    Some(entries) => entries,
                    None => listed(dir, relative)?,
                };
                Ok((stamp, folders, files))
            })
            .collect::<Result<_, WriteError>>()?;
        let parents = std::mem::take(&mut level);
        for (relative, (stamp, folders, files)) in parents.iter().zip(listed) {
            if !relative.as_os_str().is_empty() {
                found.folders.push((slashed(relative), stamp));
            }
            level.extend(folders);
            found.files.extend(files);
        }
    }
    found.files.sort();
    Ok(found)
}

/// The folders and files in the folder `relative` under `dir`, as
/// [`existing_files`] counts them.
fn listed(dir: &Path, relative: &Path) -> Result<(Vec<PathBuf>, Vec<String>), WriteError> {
    let (mut folders, mut files) = (Vec::new(), Vec::new());
    let absolute = dir.join(relative);
    let entries = match fs::read_dir(&absolute) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((folders, files)),
        Err(error) => return Err(io_error(&absolute)(error)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(&absolute))?;
        let name = entry.file_name();
        // A name that is not text, or has a line break in it, could not be
        // reported, planned (a plan is a line per file) or removed as
        // itself: the listing stops there.
        let nameable = name
            .to_str()
            .is_some_and(|name| !name.chars().any(char::is_control));
        if !nameable {
            return Err(WriteError::Unnamed(entry.path()));
        }
        let kind = entry.file_type().map_err(io_error(&entry.path()))?;
        // paved's own files, by their exact names; a folder under the
        // lock's or the record's name holds files like any other.
        let own = name == STAGING
            || (!kind.is_dir() && (name == LOCK || is_record(&name.to_string_lossy())));
        if relative.as_os_str().is_empty() && own {
            continue;
        }
        let child = relative.join(&name);
        if kind.is_dir() {
            folders.push(child);
        } else {
            files.push(slashed(&child));
        }
    }
    Ok((folders, files))
}

/// Whether a name in `rendered/` is one of the local records paved keeps
/// there (`stamps`, `verdicts`), or one being written.
fn is_record(name: &str) -> bool {
    stamps::is_record(name) || verdicts::is_record(name)
}

/// Removes the file `relative` from the locked directory, if it is there
/// (a render focused on some services removes the index, which no longer
/// speaks for the whole tree).
pub fn remove(lock: &Lock, relative: &str) -> Result<(), WriteError> {
    let path = lock.dir().join(checked(relative)?);
    match fs::remove_file(&path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error(&path)(error)),
        _ => Ok(()),
    }
}

/// The text of the regular file `relative` under `dir`, if there is one.
pub fn read(dir: &Path, relative: &str) -> Option<String> {
    let path = dir.join(checked(relative).ok()?);
    let meta = fs::symlink_metadata(&path).ok()?;
    if meta.is_file() {
        fs::read_to_string(path).ok()
    } else {
        None
    }
}

/// The sha256 of every file under `dir` (skipping paved's lock), by
/// relative path; `None` when the tree is not one paved finished writing:
/// a staging directory is there, or an entry is not a regular file (a
/// symlinked `dir` is an error, as for a write). A file whose stamp is
/// what the last call recorded is not read again (`stamps`). The caller
/// holds the lock.
pub fn hashes(dir: &Path) -> Result<Option<BTreeMap<String, String>>, WriteError> {
    use rayon::prelude::*;
    refuse_symlink(dir)?;
    if fs::symlink_metadata(dir.join(STAGING)).is_ok() {
        return Ok(None);
    }
    let pending = stamps::Pending::start(dir);
    let record = stamps::Record::read(dir);
    let listing = listing(dir, &record)?;
    let found: Option<Vec<(String, Option<stamps::Stamp>, String)>> = listing
        .files
        .into_par_iter()
        .map(|relative| {
            let path = dir.join(&relative);
            // The stamp before the bytes: a change while they are read
            // shows in the next stamp. (Gone since it was listed: the
            // tree is being written.)
            let meta = match fs::symlink_metadata(&path) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                meta => meta.map_err(io_error(&path))?,
            };
            if !meta.is_file() {
                return Ok(None);
            }
            let stamp = stamps::Stamp::of(&meta);
            let recorded = stamp.and_then(|stamp| record.hash(&relative, &stamp));
            let hash = match recorded {
                Some(hash) => hash.to_owned(),
                None => {
                    let bytes = fs::read(&path).map_err(io_error(&path))?;
                    crate::support::hash::sha256(&bytes)
                }
            };
            Ok(Some((relative, stamp, hash)))
        })
        .collect::<Result<_, WriteError>>()?;
    let Some(found) = found else {
        return Ok(None);
    };
    let stamped: Vec<(&str, stamps::Stamp, &str)> = found
        .iter()
        .filter_map(|(relative, stamp, hash)| Some((relative.as_str(), (*stamp)?, hash.as_str())))
        .collect();
    let folders: Vec<(&str, Option<stamps::Stamp>)> = listing
        .folders
        .iter()
        .map(|(relative, stamp)| (relative.as_str(), *stamp))
        .collect();
    record.update(dir, &stamped, &folders, pending);
    Ok(Some(
        found
            .into_iter()
            .map(|(relative, _, hash)| (relative, hash))
            .collect(),
    ))
}

/// Removes the record of hashes [`hashes`] keeps in `dir`: the next call
/// reads every file. The caller holds the lock.
pub fn forget_hashes(dir: &Path) {
    let _ = fs::remove_file(dir.join(HASHES));
}

/// Whether each of `files` (relative path under `dir`, text) holds its
/// text already, as itself: a file reached through a symlinked folder is
/// not there (the folder's link is an entry of its own, which goes).
/// Every path is checked first.
fn already_there(dir: &Path, files: &[(&str, &str)]) -> Result<Vec<bool>, WriteError> {
    use rayon::prelude::*;
    for (relative, _) in files {
        checked(relative)?;
    }
    // Each folder looked at once, however many files it holds.
    let folders: BTreeSet<&str> = files
        .iter()
        .flat_map(|(relative, _)| folders_above(relative))
        .collect();
    let real: HashSet<&str> = folders
        .into_par_iter()
        .filter(|folder| fs::symlink_metadata(dir.join(folder)).is_ok_and(|meta| meta.is_dir()))
        .collect();
    Ok(files
        .par_iter()
        .map(|(relative, content)| {
            folders_above(relative).all(|folder| real.contains(folder))
                && same_content(&dir.join(relative), content)
        })
        .collect())
}

/// The folders `relative` is under, by relative path (`a`, `a/b` for
/// `a/b/c`).
fn folders_above(relative: &str) -> impl Iterator<Item = &str> {
    relative.match_indices('/').map(|(at, _)| &relative[..at])
}

fn same_content(path: &Path, content: &str) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == content.len() as u64 => {
            fs::read(path).is_ok_and(|bytes| bytes == content.as_bytes())
        }
        _ => false,
    }
}

/// Compares `dir` with the files it should hold, without writing, while
/// holding the shared lock (so never halfway through a render): `files`,
/// and `in_place`, which the caller found to hold what they should.
pub fn compare<T: AsRef<str> + Sync>(
    dir: &Path,
    files: &BTreeMap<String, T>,
    in_place: &BTreeSet<String>,
) -> Result<Drift, WriteError> {
    compare_hashed(dir, files, in_place, &BTreeMap::new())
}

/// [`compare`], and the files in `hashed` by their sha256 (files a render
/// kept only the hash of, see `render::Keep::Hashes`): not read when the
/// record of hashes ([`hashes`]) has the file's stamp.
pub fn compare_hashed<T: AsRef<str> + Sync>(
    dir: &Path,
    files: &BTreeMap<String, T>,
    in_place: &BTreeSet<String>,
    hashed: &BTreeMap<String, String>,
) -> Result<Drift, WriteError> {
    use rayon::prelude::*;
    refuse_symlink(dir)?;
    let _lock = Lock::shared(dir)?;
    let staging = dir.join(STAGING);
    let committed = staging.join(PLAN).is_file();
    let mut drift = Drift {
        interrupted: committed,
        leftover: !committed && fs::symlink_metadata(&staging).is_ok(),
        ..Drift::default()
    };
    let record = stamps::Record::read(dir);
    let existing = listing(dir, &record)?.files;
    let holds = |path: &Path, relative: &str, sha256: &str| {
        let meta = fs::symlink_metadata(path).ok();
        let stamp = meta
            .filter(fs::Metadata::is_file)
            .and_then(|meta| stamps::Stamp::of(&meta));
        match stamp.and_then(|stamp| record.hash(relative, &stamp)) {
            Some(recorded) => recorded == sha256,
            None => {
                fs::read(path).is_ok_and(|bytes| crate::support::hash::sha256(&bytes) == sha256)
            }
        }
    };
    // Missing, or what it holds: the text, or its hash.
    let found: Vec<(&String, bool, bool)> = files
        .par_iter()
        .map(|(relative, content)| (relative, Some(content.as_ref()), None))
        .chain(
            hashed
                .par_iter()
                .map(|(relative, sha256)| (relative, None, Some(sha256))),
        )
        .map(|(relative, content, sha256)| {
            let path = dir.join(checked(relative)?);
            let missing = fs::symlink_metadata(&path).is_err();
            let same = match (content, sha256) {
                (Some(content), _) => same_content(&path, content),
                (None, Some(sha256)) => holds(&path, relative, sha256),
                (None, None) => false,
            };
            Ok((relative, missing, !missing && !same))
        })
        .collect::<Result<_, WriteError>>()?;
    for (relative, missing, stale) in found {
        if missing {
            drift.missing.push(relative.clone());
        } else if stale {
            drift.stale.push(relative.clone());
        }
    }
    drift.missing.sort();
    drift.stale.sort();
    // (A probe left by a render killed before its commit point is a file
    // the render does not write, like any other: the next render removes
    // it.)
    drift.unexpected = existing
        .into_iter()
        .filter(|relative| {
            !files.contains_key(relative)
                && !in_place.contains(relative)
                && !hashed.contains_key(relative)
        })
        .collect();
    Ok(drift)
}

/// How much of the directory a write speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All of it: a file not given is removed.
    Tree,
    /// Only the files given: every other file stays as it is (a render
    /// focused on some services).
    Files,
}

/// [`write_locked`], taking the lock for the time it takes.
pub fn write<T: AsRef<str> + Sync>(
    dir: &Path,
    files: &BTreeMap<String, T>,
    scope: Scope,
) -> Result<Summary, WriteError> {
    let lock = Lock::exclusive(dir)?;
    write_locked(&lock, files, &Found::default(), scope)
}

/// A `rendered/` a command made to write in: removed again, with what
/// the command left in it (its lock, its record of hashes, an unfinished
/// staging), when the command ends without having written it
/// ([`Made::keep`]). Declared before the lock, so that it is dropped
/// after it.
#[derive(Debug, Default)]
pub struct Made {
    dir: Option<PathBuf>,
}

impl Made {
    /// Makes `dir` and takes its exclusive lock.
    pub fn lock(&mut self, dir: &Path) -> Result<Lock, WriteError> {
        let lock = Lock::exclusive(dir)?;
        self.dir = Some(dir.to_owned());
        Ok(lock)
    }

    /// The command wrote the directory: it stays.
    pub fn keep(&mut self) {
        self.dir = None;
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = fs::remove_dir_all(dir.join(STAGING));
            for file in [LOCK, HASHES] {
                let _ = fs::remove_file(dir.join(file));
            }
            // Only when nothing else is there.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// What the caller found in the locked directory, under this lock.
#[derive(Debug, Default)]
pub struct Found<'a> {
    /// Files that hold what they should already (found by their hashes):
    /// they stay as they are.
    pub in_place: BTreeSet<String>,
    /// Every file there, when listed ([`hashes`]' keys): not listed again.
    pub listed: Option<&'a BTreeMap<String, String>>,
    /// Files staged ahead under this lock ([`Staging`]): committed with
    /// the rest.
    pub staged: Option<&'a Staged>,
}

/// Files staged ahead of the commit: a render of everything stages each
/// cluster's files as soon as they pass its checks ([`Staging::stage`]),
/// so that it never holds every file's text at once. [`write_locked`]
/// commits them with the rest ([`Found::staged`]); a `Staging` dropped
/// before its files were [`Staging::finish`]ed removes them, and the tree
/// is as it was.
pub struct Staging<'l> {
    lock: &'l Lock,
    state: std::sync::Mutex<Staged>,
}

/// What a [`Staging`] staged.
#[derive(Debug, Default)]
pub struct Staged {
    /// The files staged, each by its place here (its number).
    written: Vec<String>,
    /// The files found holding their bytes already: left as they are.
    same: BTreeSet<String>,
    /// What stopped the staging: reported by [`Staging::finish`].
    error: Option<WriteError>,
    /// Whether the staging directory was made.
    started: bool,
}

impl<'l> Staging<'l> {
    pub fn new(lock: &'l Lock) -> Staging<'l> {
        Staging {
            lock,
            state: std::sync::Mutex::default(),
        }
    }

    /// Stages those of `files` (paths under the locked directory, and
    /// texts) that it does not hold already. The first failure stops the
    /// staging; [`Staging::finish`] reports it.
    pub fn stage(&self, files: &[(&str, &str)]) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.error.is_none()
            && let Err(error) = self.stage_locked(&mut state, files)
        {
            state.error = Some(error);
        }
    }

    fn stage_locked(&self, state: &mut Staged, files: &[(&str, &str)]) -> Result<(), WriteError> {
        use rayon::prelude::*;
        let dir = self.lock.dir();
        let staged = dir.join(STAGING).join("files");
        if !state.started {
            refuse_symlink(dir)?;
            recover(dir)?;
            state.started = true;
            fs_op(Step::CreateDir, &staged, || fs::create_dir_all(&staged))?;
        }
        let same = already_there(dir, files)?;
        let mut fresh = Vec::new();
        for (&(relative, content), same) in files.iter().zip(same) {
            if same {
                state.same.insert(relative.to_owned());
            } else {
                fresh.push((state.written.len(), content));
                state.written.push(relative.to_owned());
            }
        }
        fresh.par_iter().try_for_each(|(number, content)| {
            let target = staged.join(number.to_string());
            fs_op(Step::Stage, &target, || fs::write(&target, content))
        })
    }

    /// What was staged, to commit with the rest; the error that stopped
    /// it, its files removed.
    pub fn finish(self) -> Result<Staged, WriteError> {
        let mut state = std::mem::take(
            &mut *self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        match state.error.take() {
            None => Ok(state),
            Some(error) => {
                discard(&self.lock.dir().join(STAGING), &[]);
                Err(error)
            }
        }
    }
}

impl Drop for Staging<'_> {
    /// Removes what was staged and not finished (a render that failed
    /// after some of its clusters were staged).
    fn drop(&mut self) {
        let state = self
            .state
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.started {
            discard(&self.lock.dir().join(STAGING), &[]);
        }
    }
}

/// Makes the locked directory hold `files`: exactly these for
/// [`Scope::Tree`], these among others for [`Scope::Files`], leaving
/// what the caller `found` in place as it is.
pub fn write_locked<T: AsRef<str> + Sync>(
    lock: &Lock,
    files: &BTreeMap<String, T>,
    found: &Found<'_>,
    scope: Scope,
) -> Result<Summary, WriteError> {
    let in_place = &found.in_place;
    let dir = lock.dir();
    refuse_symlink(dir)?;
    let staged = found.staged.filter(|staged| staged.started);
    // (A staging recovered what was left before it began.)
    if staged.is_none() {
        recover(dir)?;
    }
    let (first, same) = staged.map_or((0, 0), |staged| (staged.written.len(), staged.same.len()));

    let mut summary = Summary {
        unchanged: in_place.len() + same,
        ..Summary::default()
    };
    let texts: Vec<(&str, &str)> = files
        .iter()
        .map(|(relative, content)| (relative.as_str(), content.as_ref()))
        .collect();
    let same = already_there(dir, &texts)?;
    for ((relative, _), same) in files.iter().zip(same) {
        if same {
            summary.unchanged += 1;
        } else {
            summary.written.push(relative.clone());
        }
    }
    // Staged ahead: numbered first.
    let ahead: &[String] = staged.map_or(&[], |staged| &staged.written);
    let kept = |relative: &String| {
        files.contains_key(relative)
            || in_place.contains(relative)
            || staged.is_some_and(|staged| staged.same.contains(relative))
    };
    if scope == Scope::Tree {
        let existing = match found.listed {
            Some(listed) => listed.keys().cloned().collect(),
            None => existing_files(dir)?,
        };
        let ahead: BTreeSet<&String> = ahead.iter().collect();
        summary.removed = existing
            .into_iter()
            .filter(|relative| !kept(relative) && !ahead.contains(relative))
            .collect();
    }
    let staging = dir.join(STAGING);
    if summary.written.is_empty() && summary.removed.is_empty() && ahead.is_empty() {
        if staged.is_some() {
            discard(&staging, &[]);
        }
        return Ok(summary);
    }

    // Before the commit point: a failure leaves the previous tree.
    let writes: Vec<(usize, &str)> = ahead
        .iter()
        .chain(&summary.written)
        .enumerate()
        .map(|(number, relative)| (number, relative.as_str()))
        .collect();
    let mut created = Vec::new();
    if let Err(error) = prepare(dir, files, (&writes, first), &summary.removed, &mut created)
        .and_then(|()| commit(dir, &writes, &summary.removed))
    {
        discard(&staging, &created);
        return Err(error);
    }
    apply(dir).map_err(unfinished)?;
    summary.written.extend(ahead.iter().cloned());
    summary.written.sort();
    Ok(summary)
}

/// Stages the new files (each numbered file `writes` names from the
/// `first`, from `files`; those before were staged ahead) and makes sure
/// the commit can move them in place: creates the directories they go to
/// and probes every directory the commit will change.
fn prepare<T: AsRef<str>>(
    dir: &Path,
    files: &BTreeMap<String, T>,
    (writes, first): (&[(usize, &str)], usize),
    removed: &[String],
    created: &mut Vec<PathBuf>,
) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    let staged = staging.join("files");
    fs_op(Step::CreateDir, &staged, || fs::create_dir_all(&staged))?;
    for &(number, relative) in &writes[first..] {
        checked(relative)?;
        let target = staged.join(number.to_string());
        fs_op(Step::Stage, &target, || {
            fs::write(&target, files[relative].as_ref())
        })?;
    }
    let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
    let mut known = HashMap::new();
    for &(_, relative) in writes {
        if let Some(parent) = dir.join(checked(relative)?).parent() {
            changed.insert(make_missing_dirs(dir, parent, created, &mut known)?);
        }
    }
    for relative in removed {
        if let Some(parent) = dir.join(checked(relative)?).parent()
            && fs::symlink_metadata(parent).is_ok_and(|meta| meta.is_dir())
        {
            changed.insert(parent.to_owned());
        }
    }
    let device = device(&staging)?;
    for directory in &changed {
        probe(directory, device)?;
    }
    Ok(())
}

/// Creates the missing directories of `path` below `dir`, stopping at
/// anything else in the way (the commit replaces it). Returns the deepest
/// directory that was there before this run: the one to probe. `known`
/// holds the directories seen so far, each with whether this run made it.
fn make_missing_dirs(
    dir: &Path,
    path: &Path,
    created: &mut Vec<PathBuf>,
    known: &mut HashMap<PathBuf, bool>,
) -> Result<PathBuf, WriteError> {
    let relative = path
        .strip_prefix(dir)
        .map_err(|_| WriteError::Escape(path.display().to_string()))?;
    let mut at = dir.to_owned();
    let mut existing = dir.to_owned();
    for component in relative.components() {
        let next = at.join(component);
        let made = match known.get(&next) {
            Some(&made) => made,
            None => {
                let made = match fs::symlink_metadata(&next) {
                    Ok(meta) if meta.is_dir() => false,
                    Ok(_) => return Ok(existing),
                    Err(_) => {
                        fs_op(Step::CreateDir, &next, || fs::create_dir(&next))?;
                        created.push(next.clone());
                        true
                    }
                };
                known.insert(next.clone(), made);
                made
            }
        };
        if !made {
            existing.clone_from(&next);
        }
        at = next;
    }
    Ok(existing)
}

/// The file system `path` is on (renames work only within one).
#[cfg(unix)]
fn device(path: &Path) -> Result<Option<u64>, WriteError> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).map_err(io_error(path))?;
    Ok(Some(meta.dev()))
}

#[cfg(not(unix))]
fn device(_: &Path) -> Result<Option<u64>, WriteError> {
    Ok(None)
}

/// Makes sure files can be created, renamed into and removed from
/// `directory`: creates and removes a probe file there.
fn probe(directory: &Path, staging_device: Option<u64>) -> Result<(), WriteError> {
    if let Some(expected) = staging_device
        && device(directory)? != Some(expected)
    {
        return Err(WriteError::Io {
            path: directory.to_owned(),
            source: io::Error::other(
                "it is on another file system than `rendered/`, so files cannot be renamed into it",
            ),
        });
    }
    let path = directory.join(PROBE);
    let create = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
    };
    fs_op(Step::Probe, directory, || {
        match create() {
            // A run killed while probing leaves its probe behind.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                fs::remove_file(&path)?;
                create()?;
            }
            created => {
                created?;
            }
        }
        fs::remove_file(&path)
    })
}

/// The commit point: the plan, written whole and renamed into place.
fn commit(dir: &Path, writes: &[(usize, &str)], removed: &[String]) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    let mut plan = format!("{NUMBERED}\n");
    for (number, relative) in writes {
        plan.push_str(&format!("write {number} {relative}\n"));
    }
    for relative in removed {
        plan.push_str(&format!("remove {relative}\n"));
    }
    let pending = staging.join("plan.tmp");
    fs_op(Step::Plan, &pending, || {
        let mut file = fs::File::create(&pending)?;
        file.write_all(plan.as_bytes())?;
        file.sync_all()
    })?;
    let plan_path = staging.join(PLAN);
    fs_op(Step::Commit, &plan_path, || {
        fs::rename(&pending, &plan_path)
    })
}

/// Undoes an uncommitted change: the staging directory and the (empty)
/// directories made for it. Best effort: what is left is discarded by the
/// next run, and `check` does not count it.
fn discard(staging: &Path, created: &[PathBuf]) {
    let _ = fs_op(Step::Cleanup, staging, || fs::remove_dir_all(staging));
    for directory in created.iter().rev() {
        let _ = fs_op(Step::Cleanup, directory, || fs::remove_dir(directory));
    }
}

/// Finishes or discards what an interrupted run left behind.
fn recover(dir: &Path) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    let Ok(meta) = fs::symlink_metadata(&staging) else {
        return Ok(());
    };
    if !meta.is_dir() {
        // Not ours to follow: a symlink or a file is removed, not read.
        return fs_op(Step::Cleanup, &staging, || fs::remove_file(&staging));
    }
    if staging.join(PLAN).is_file() {
        apply(dir).map_err(unfinished)
    } else {
        fs_op(Step::Cleanup, &staging, || fs::remove_dir_all(&staging))
    }
}

/// Carries out the committed plan. Idempotent: safe to rerun after a kill.
fn apply(dir: &Path) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    let plan_path = staging.join(PLAN);
    let plan = fs::read_to_string(&plan_path).map_err(io_error(&plan_path))?;
    let staged = staging.join("files");
    let mut lines = plan.lines().peekable();
    // A plan left by an older paved says `write <path>`, staged at its path.
    let numbered = lines.next_if_eq(&NUMBERED).is_some();
    let mut known = HashSet::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("write ") {
            let (from, relative) = if numbered {
                let (index, relative) = rest
                    .split_once(' ')
                    .ok_or_else(|| WriteError::Escape(rest.to_owned()))?;
                (staged.join(checked(index)?), relative)
            } else {
                (staged.join(checked(rest)?), rest)
            };
            let to = dir.join(checked(relative)?);
            if let Some(parent) = to.parent() {
                make_dirs(dir, parent, &mut known)?;
            }
            match fs_op(Step::Rename, &to, || fs::rename(&from, &to)) {
                Ok(()) => {}
                // Moved by an earlier, interrupted run.
                Err(WriteError::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound
                        && fs::symlink_metadata(&from).is_err() => {}
                // A directory stands where the file goes.
                Err(WriteError::Io { .. })
                    if fs::symlink_metadata(&to).is_ok_and(|meta| meta.is_dir()) =>
                {
                    fs_op(Step::Remove, &to, || fs::remove_dir_all(&to))?;
                    fs_op(Step::Rename, &to, || fs::rename(&from, &to))?;
                }
                Err(error) => return Err(error),
            }
        } else if let Some(relative) = line.strip_prefix("remove ") {
            let path = dir.join(checked(relative)?);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue; // a symlink since replaced by a directory we wrote
            }
            match fs_op(Step::Remove, &path, || fs::remove_file(&path)) {
                Ok(()) => prune(dir, &path),
                // Gone already, or a file now stands where its directory was.
                Err(WriteError::Io { source, .. })
                    if matches!(
                        source.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) => {}
                Err(error) => return Err(error),
            }
        }
    }
    // Done: the plan goes first, so that a kill while the rest is removed
    // leaves only an uncommitted leftover.
    fs_op(Step::Cleanup, &plan_path, || fs::remove_file(&plan_path))?;
    fs_op(Step::Cleanup, &staging, || fs::remove_dir_all(&staging))
}

/// Creates `path` and its parents below `dir`, replacing any file or
/// symlink that stands where a directory must be (never following it).
/// `known` holds the directories already made sure of.
fn make_dirs(dir: &Path, path: &Path, known: &mut HashSet<PathBuf>) -> Result<(), WriteError> {
    let relative = path
        .strip_prefix(dir)
        .map_err(|_| WriteError::Escape(path.display().to_string()))?;
    let mut at = dir.to_owned();
    for component in relative.components() {
        at.push(component);
        if !known.insert(at.clone()) {
            continue;
        }
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                fs_op(Step::Remove, &at, || fs::remove_file(&at))?;
                fs_op(Step::CreateDir, &at, || fs::create_dir(&at))?;
            }
            Err(_) => fs_op(Step::CreateDir, &at, || fs::create_dir(&at))?,
        }
    }
    Ok(())
}

/// Removes the directories between `removed` and `dir` that are now empty.
fn prune(dir: &Path, removed: &Path) {
    let mut at = removed.parent();
    while let Some(parent) = at {
        if parent == dir || !parent.starts_with(dir) || fs::remove_dir(parent).is_err() {
            break;
        }
        at = parent.parent();
    }
}
