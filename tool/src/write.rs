//! Stage 9, write: make `rendered/` hold exactly the rendered files, and
//! touch nothing else.
//!
//! - Unchanged files are not rewritten; files no longer rendered are
//!   removed, with the directories they leave empty.
//! - Every path written or removed is checked to lie inside `rendered/`;
//!   symlinks are never followed out of it.
//! - The change is staged first: new files go to `rendered/.paved-staging/`,
//!   then a plan naming every rename and removal is written and renamed
//!   into place (the commit point), then applied. A process killed before
//!   the commit point leaves the previous tree as it was (the staging
//!   directory is discarded by the next run); killed after it, the next
//!   run finishes the plan. Either way no mix of old and new survives a
//!   rerun.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// The staging directory inside `rendered/`.
pub const STAGING: &str = ".paved-staging";
const PLAN: &str = "plan";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("`{0}` is a symlink; paved writes only into a real `rendered/` directory")]
    SymlinkedOutput(PathBuf),
    #[error("refusing to write `{0}`: the path would leave `rendered/`")]
    Escape(String),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
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
    /// A render was interrupted and left its staging directory.
    pub interrupted: bool,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && !self.interrupted
    }
}

/// Checks that a relative path has only plain components.
fn checked(relative: &str) -> Result<&Path, WriteError> {
    let path = Path::new(relative);
    let plain = !relative.is_empty()
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    if plain && !relative.starts_with(STAGING) {
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
/// by path relative to `dir`, skipping the staging directory.
fn existing_files(dir: &Path) -> Result<Vec<String>, WriteError> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let absolute = dir.join(&relative);
        let entries = match fs::read_dir(&absolute) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(io_error(&absolute)(error)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error(&absolute))?;
            let name = entry.file_name();
            if relative.as_os_str().is_empty() && name == STAGING {
                continue;
            }
            let child = relative.join(&name);
            let kind = entry.file_type().map_err(io_error(&entry.path()))?;
            if kind.is_dir() {
                pending.push(child);
            } else {
                out.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn same_content(path: &Path, content: &str) -> bool {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == content.len() as u64 => {
            fs::read(path).is_ok_and(|bytes| bytes == content.as_bytes())
        }
        _ => false,
    }
}

/// Compares `dir` with the files it should hold, without writing.
pub fn compare(dir: &Path, files: &BTreeMap<String, String>) -> Result<Drift, WriteError> {
    refuse_symlink(dir)?;
    let mut drift = Drift {
        interrupted: dir.join(STAGING).exists(),
        ..Drift::default()
    };
    let existing = existing_files(dir)?;
    for (relative, content) in files {
        let path = dir.join(checked(relative)?);
        if fs::symlink_metadata(&path).is_err() {
            drift.missing.push(relative.clone());
        } else if !same_content(&path, content) {
            drift.stale.push(relative.clone());
        }
    }
    drift.unexpected = existing
        .into_iter()
        .filter(|relative| !files.contains_key(relative))
        .collect();
    Ok(drift)
}

/// Makes `dir` hold exactly `files`.
pub fn write(dir: &Path, files: &BTreeMap<String, String>) -> Result<Summary, WriteError> {
    refuse_symlink(dir)?;
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    recover(dir)?;

    let mut summary = Summary::default();
    let existing = existing_files(dir)?;
    for (relative, content) in files {
        let path = dir.join(checked(relative)?);
        if same_content(&path, content) {
            summary.unchanged += 1;
        } else {
            summary.written.push(relative.clone());
        }
    }
    summary.removed = existing
        .into_iter()
        .filter(|relative| !files.contains_key(relative))
        .collect();
    if summary.written.is_empty() && summary.removed.is_empty() {
        return Ok(summary);
    }

    // Stage every new file.
    let staging = dir.join(STAGING);
    let staged = staging.join("files");
    for relative in &summary.written {
        let target = staged.join(checked(relative)?);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        fs::write(&target, &files[relative]).map_err(io_error(&target))?;
    }

    // The commit point: the plan, written whole and renamed into place.
    let mut plan = String::new();
    for relative in &summary.written {
        plan.push_str(&format!("write {relative}\n"));
    }
    for relative in &summary.removed {
        plan.push_str(&format!("remove {relative}\n"));
    }
    fs::create_dir_all(&staging).map_err(io_error(&staging))?;
    let pending = staging.join("plan.tmp");
    {
        let mut file = fs::File::create(&pending).map_err(io_error(&pending))?;
        file.write_all(plan.as_bytes())
            .map_err(io_error(&pending))?;
        file.sync_all().map_err(io_error(&pending))?;
    }
    let plan_path = staging.join(PLAN);
    fs::rename(&pending, &plan_path).map_err(io_error(&plan_path))?;

    apply(dir)?;
    Ok(summary)
}

/// Finishes or discards what an interrupted run left behind.
fn recover(dir: &Path) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    if fs::symlink_metadata(&staging).is_err() {
        return Ok(());
    }
    refuse_symlink(&staging)?;
    if staging.join(PLAN).is_file() {
        apply(dir)
    } else {
        fs::remove_dir_all(&staging).map_err(io_error(&staging))
    }
}

/// Carries out the committed plan. Idempotent: safe to rerun after a kill.
fn apply(dir: &Path) -> Result<(), WriteError> {
    let staging = dir.join(STAGING);
    let plan_path = staging.join(PLAN);
    let plan = fs::read_to_string(&plan_path).map_err(io_error(&plan_path))?;
    for line in plan.lines() {
        if let Some(relative) = line.strip_prefix("write ") {
            let relative = checked(relative)?;
            let from = staging.join("files").join(relative);
            let to = dir.join(relative);
            if !from.exists() {
                continue; // moved by an earlier, interrupted run
            }
            if let Some(parent) = to.parent() {
                make_dirs(dir, parent)?;
            }
            if fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
                fs::remove_dir_all(&to).map_err(io_error(&to))?;
            }
            fs::rename(&from, &to).map_err(io_error(&to))?;
        } else if let Some(relative) = line.strip_prefix("remove ") {
            let path = dir.join(checked(relative)?);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue; // a symlink since replaced by a directory we wrote
            }
            match fs::remove_file(&path) {
                Ok(()) => prune(dir, &path),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(&path)(error)),
            }
        }
    }
    fs::remove_dir_all(&staging).map_err(io_error(&staging))
}

/// Creates `path` and its parents below `dir`, replacing any file or
/// symlink that stands where a directory must be (never following it).
fn make_dirs(dir: &Path, path: &Path) -> Result<(), WriteError> {
    let relative = path
        .strip_prefix(dir)
        .map_err(|_| WriteError::Escape(path.display().to_string()))?;
    let mut at = dir.to_owned();
    for component in relative.components() {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                fs::remove_file(&at).map_err(io_error(&at))?;
                fs::create_dir(&at).map_err(io_error(&at))?;
            }
            Err(_) => fs::create_dir(&at).map_err(io_error(&at))?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn writes_only_what_changed_and_removes_what_is_gone() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("rendered");
        let first = write(&dir, &files(&[("a/x.yaml", "1"), ("b/y.yaml", "2")])).unwrap();
        assert_eq!(first.written.len(), 2);
        let second = write(&dir, &files(&[("a/x.yaml", "1"), ("c/z.yaml", "3")])).unwrap();
        assert_eq!(second.written, ["c/z.yaml"]);
        assert_eq!(second.removed, ["b/y.yaml"]);
        assert_eq!(second.unchanged, 1);
        assert!(!dir.join("b").exists(), "empty directories are pruned");
        assert!(!dir.join(STAGING).exists());
    }

    #[test]
    fn refuses_paths_that_leave_the_directory() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("rendered");
        for bad in ["../x.yaml", "/etc/x", "a/../../x", ".paved-staging/plan"] {
            assert!(
                matches!(
                    write(&dir, &files(&[(bad, "1")])),
                    Err(WriteError::Escape(_))
                ),
                "{bad}"
            );
        }
        assert!(!temp.path().join("x.yaml").exists());
    }

    #[test]
    fn an_uncommitted_staging_directory_is_discarded() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("rendered");
        write(&dir, &files(&[("a.yaml", "old")])).unwrap();
        fs::create_dir_all(dir.join(STAGING).join("files")).unwrap();
        fs::write(dir.join(STAGING).join("files/a.yaml"), "half").unwrap();
        assert!(
            compare(&dir, &files(&[("a.yaml", "old")]))
                .unwrap()
                .interrupted
        );
        write(&dir, &files(&[("a.yaml", "old")])).unwrap();
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "old");
        assert!(!dir.join(STAGING).exists());
    }

    #[test]
    fn a_committed_plan_is_finished_by_the_next_run() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("rendered");
        write(&dir, &files(&[("a.yaml", "old"), ("gone.yaml", "x")])).unwrap();
        let staging = dir.join(STAGING);
        fs::create_dir_all(staging.join("files")).unwrap();
        fs::write(staging.join("files/a.yaml"), "new").unwrap();
        fs::write(staging.join(PLAN), "write a.yaml\nremove gone.yaml\n").unwrap();
        let summary = write(&dir, &files(&[("a.yaml", "new")])).unwrap();
        assert_eq!(summary.unchanged, 1);
        assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "new");
        assert!(!dir.join("gone.yaml").exists());
    }

    #[cfg(unix)]
    #[test]
    fn never_follows_symlinks_out() {
        let temp = tempfile::tempdir().unwrap();
        let outside = temp.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("keep.yaml"), "precious").unwrap();
        let dir = temp.path().join("rendered");
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("a")).unwrap();
        write(&dir, &files(&[("a/keep.yaml", "overwrite?")])).unwrap();
        assert_eq!(
            fs::read_to_string(outside.join("keep.yaml")).unwrap(),
            "precious"
        );
        assert!(fs::symlink_metadata(dir.join("a")).unwrap().is_dir());

        let linked = temp.path().join("linked");
        std::os::unix::fs::symlink(&outside, &linked).unwrap();
        assert!(matches!(
            write(&linked, &files(&[("x.yaml", "1")])),
            Err(WriteError::SymlinkedOutput(_))
        ));
    }
}
