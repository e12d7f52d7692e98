//! Where inputs are read from: the working tree, or (for `paved diff`) a
//! git tree. Loading goes through this trait only, so loading a commit is
//! the same code as loading the disk.

use std::io;
use std::path::{Path, PathBuf};

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("`{path}` is a symlink that leads outside the repository")]
    EscapingSymlink { path: String },
    #[error("`{path}` is not valid UTF-8 text")]
    NotUtf8 { path: String },
    #[error("cannot read `{path}`: {message}")]
    Unreadable { path: String, message: String },
}

/// A read-only tree of input files. Paths are relative to the repository
/// root and use `/`.
pub trait Source: Sync {
    /// Entries of a directory, sorted by name. A missing directory is empty.
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError>;
    /// The text of a file.
    fn read(&self, path: &str) -> Result<String, SourceError>;
    /// Whether a file exists.
    fn exists(&self, path: &str) -> bool;
}

/// The repository on disk. Symlinks are followed only while they stay
/// inside the repository.
#[derive(Debug, Clone)]
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    pub fn new(root: &Path) -> io::Result<Self> {
        Ok(WorkTree {
            root: root.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of `path`, refusing symlinks that lead outside.
    fn contained(&self, path: &str) -> Result<Option<PathBuf>, SourceError> {
        let joined = self.root.join(path);
        match joined.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => Ok(Some(real)),
            Ok(_) => Err(SourceError::EscapingSymlink {
                path: path.to_owned(),
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                // A dangling symlink is reported as what it is.
                if joined.symlink_metadata().is_ok() {
                    Err(SourceError::Unreadable {
                        path: path.to_owned(),
                        message: "it is a symlink to nothing".to_owned(),
                    })
                } else {
                    Ok(None)
                }
            }
            Err(error) => Err(unreadable(path, &error)),
        }
    }
}

fn unreadable(path: &str, error: &io::Error) -> SourceError {
    SourceError::Unreadable {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

impl Source for WorkTree {
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let Some(real) = self.contained(dir)? else {
            return Ok(Vec::new());
        };
        if !real.is_dir() {
            return Ok(Vec::new());
        }
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&real).map_err(|e| unreadable(dir, &e))? {
            let entry = entry.map_err(|e| unreadable(dir, &e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Follows symlinks; containment is checked when the entry is used.
            let kind = match std::fs::metadata(entry.path()) {
                Ok(meta) if meta.is_dir() => EntryKind::Dir,
                _ => EntryKind::File,
            };
            entries.push(Entry { name, kind });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        let real = self
            .contained(path)?
            .ok_or_else(|| SourceError::Unreadable {
                path: path.to_owned(),
                message: "no such file".to_owned(),
            })?;
        let bytes = std::fs::read(real).map_err(|e| unreadable(path, &e))?;
        String::from_utf8(bytes).map_err(|_| SourceError::NotUtf8 {
            path: path.to_owned(),
        })
    }

    fn exists(&self, path: &str) -> bool {
        self.root.join(path).exists()
    }
}

/// Joins repository-relative path segments with `/`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}
