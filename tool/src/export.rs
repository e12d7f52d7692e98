//! Writes a generated directory the user asked for (`paved catalog --out`,
//! `paved portal build --out`): the files given, and nothing else.
//!
//! A directory paved writes carries a marker file. paved writes into a
//! directory that is missing, empty or marked, and refuses any other, so
//! `--out .` or `--out teams` can never overwrite or delete a file paved
//! did not make. In a marked directory, files no longer generated are
//! removed, unchanged files are left alone (their modification times too),
//! and every file is written to a temporary name and renamed into place.
//! Symbolic links are never followed: one in the way is replaced.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("`{dir}` is not empty and was not written by paved: nothing was written")]
    NotOurs { dir: String },
    #[error("`{dir}` is not a directory")]
    NotADirectory { dir: String },
    #[error("cannot write `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("`{path}` is not a plain relative path")]
    BadPath { path: String },
}

impl ExportError {
    /// What to do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            ExportError::NotOurs { .. } => {
                Some("name a new or empty directory with `--out`, or remove this one first".into())
            }
            ExportError::NotADirectory { .. } => {
                Some("`--out` names a directory to create or replace".into())
            }
            _ => None,
        }
    }
}

fn io_error(path: &Path, error: &io::Error) -> ExportError {
    ExportError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

/// Makes `dir` hold exactly `files` (relative paths with `/`), plus the
/// marker file `marker` holding `marker_text`.
pub fn write_dir(
    dir: &Path,
    marker: &str,
    marker_text: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Summary, ExportError> {
    for path in files.keys() {
        let plain = !path.is_empty()
            && Path::new(path)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain || path == marker {
            return Err(ExportError::BadPath { path: path.clone() });
        }
    }
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let empty = fs::read_dir(dir)
                .map_err(|e| io_error(dir, &e))?
                .next()
                .is_none();
            let marked = fs::symlink_metadata(dir.join(marker)).is_ok_and(|m| m.is_file());
            if !empty && !marked {
                return Err(ExportError::NotOurs {
                    dir: dir.display().to_string(),
                });
            }
        }
        Ok(_) => {
            return Err(ExportError::NotADirectory {
                dir: dir.display().to_string(),
            });
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
        }
        Err(error) => return Err(io_error(dir, &error)),
    }
    let mut summary = Summary::default();
    put(&dir.join(marker), marker_text.as_bytes(), &mut summary)?;
    summary = Summary::default();
    for (path, bytes) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            make_dirs(dir, parent)?;
        }
        put(&target, bytes, &mut summary)?;
    }
    remove_stale(dir, dir, marker, files, &mut summary)?;
    Ok(summary)
}

/// Creates `parent` under `root`, replacing anything in the way that is
/// not a real directory (a file, a symbolic link).
fn make_dirs(root: &Path, parent: &Path) -> Result<(), ExportError> {
    let relative = parent.strip_prefix(root).unwrap_or(parent);
    let mut at = root.to_path_buf();
    for component in relative.components() {
        at.push(component);
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => fs::remove_file(&at).map_err(|e| io_error(&at, &e))?,
            Err(_) => {}
        }
        fs::create_dir(&at).map_err(|e| io_error(&at, &e))?;
    }
    Ok(())
}

/// Writes `bytes` to `target` unless it already holds them.
fn put(target: &Path, bytes: &[u8], summary: &mut Summary) -> Result<(), ExportError> {
    match fs::symlink_metadata(target) {
        Ok(meta) if meta.is_file() => {
            if fs::read(target).is_ok_and(|old| old == bytes) {
                summary.unchanged += 1;
                return Ok(());
            }
        }
        Ok(meta) if meta.is_dir() => {
            fs::remove_dir_all(target).map_err(|e| io_error(target, &e))?;
        }
        Ok(_) => fs::remove_file(target).map_err(|e| io_error(target, &e))?,
        Err(_) => {}
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary: PathBuf = target.with_file_name(format!(".{name}.paved-tmp"));
    // Made new: whatever stands at that name (a symlink out of the
    // directory, say) is removed, never written through.
    let _ = fs::remove_file(&temporary);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(|e| io_error(&temporary, &e))?;
    io::Write::write_all(&mut file, bytes).map_err(|e| io_error(&temporary, &e))?;
    drop(file);
    fs::rename(&temporary, target).map_err(|e| io_error(target, &e))?;
    summary.written += 1;
    Ok(())
}

/// Removes what is under `dir` but not in `files` (nor the marker), and
/// directories left empty.
fn remove_stale(
    root: &Path,
    dir: &Path,
    marker: &str,
    files: &BTreeMap<String, Vec<u8>>,
    summary: &mut Summary,
) -> Result<(), ExportError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| io_error(dir, &e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        // Named by its components joined with `/`, never rewritten: a file
        // named `a\b.html` is not the generated `a/b.html`.
        let relative = crate::support::text::slashed(path.strip_prefix(root).unwrap_or(&path));
        let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&path, &e))?;
        if meta.is_dir() {
            remove_stale(root, &path, marker, files, summary)?;
            if fs::read_dir(&path)
                .map_err(|e| io_error(&path, &e))?
                .next()
                .is_none()
            {
                fs::remove_dir(&path).map_err(|e| io_error(&path, &e))?;
            }
        } else if relative != marker && !files.contains_key(&relative) {
            fs::remove_file(&path).map_err(|e| io_error(&path, &e))?;
            summary.removed += 1;
        }
    }
    Ok(())
}
