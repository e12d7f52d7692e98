//! Where inputs are read from: the working tree, or (for `paved diff`) a
//! git tree. Loading goes through this trait only, so loading a commit is
//! the same code as loading the disk.

pub mod git;
pub mod recorded;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("`{path}` is a symlink that leads outside the repository")]
    EscapingSymlink { path: String },
    #[error("`{path}` is not valid UTF-8 text")]
    NotUtf8 { path: String },
    #[error("cannot read `{path}`: {message}")]
    Unreadable { path: String, message: String },
    #[error("`{path}` is {}, over the limit of {} per file", crate::support::text::human_bytes(*.bytes), crate::support::text::human_bytes(MAX_FILE_BYTES))]
    TooLarge { path: String, bytes: usize },
}

/// Largest input file paved reads: anything larger is refused before it
/// is read, so no file can exhaust memory.
pub const MAX_FILE_BYTES: usize = crate::support::limits::MAX_BYTES;

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

/// A source borrowed is a source.
impl<T: Source + ?Sized> Source for &T {
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        (**self).list(dir)
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        (**self).read(path)
    }

    fn exists(&self, path: &str) -> bool {
        (**self).exists(path)
    }
}

/// The repository on disk. Symlinks are followed only while they stay
/// inside the repository.
#[derive(Debug, Clone)]
pub struct WorkTree {
    root: PathBuf,
    /// Folders found inside the repository, by relative path, with their
    /// real path: an entry of one is inside too unless it is a symlink,
    /// which one `lstat` tells (resolving the whole path again would ask
    /// the kernel about every folder above it, for each of thousands of
    /// intents). A file read is held to the repository again once open
    /// (`opened_inside`), so a folder replaced meanwhile leads nowhere.
    folders: Arc<Mutex<HashMap<String, PathBuf>>>,
}

impl WorkTree {
    pub fn new(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        let folders = HashMap::from([(String::new(), root.clone())]);
        Ok(WorkTree {
            root,
            folders: Arc::new(Mutex::new(folders)),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of `path`, refusing symlinks that lead outside.
    fn contained(&self, path: &str) -> Result<Option<PathBuf>, SourceError> {
        let plain =
            !path.is_empty() && path.split('/').all(|part| !matches!(part, "" | "." | ".."));
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        let known = plain.then(|| self.folders().get(folder).cloned()).flatten();
        if let Some(candidate) = known.map(|folder| folder.join(name)) {
            match candidate.symlink_metadata() {
                Ok(meta) if !meta.file_type().is_symlink() => {
                    if meta.is_dir() {
                        self.folders().insert(path.to_owned(), candidate.clone());
                    }
                    return Ok(Some(candidate));
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                // A symlink, or unreadable: resolved whole, below.
                _ => {}
            }
        }
        let joined = self.root.join(path);
        match joined.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => {
                if plain && real.is_dir() {
                    self.folders().insert(path.to_owned(), real.clone());
                }
                Ok(Some(real))
            }
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

    /// Whether `file`, opened at `real`, is inside the repository: its
    /// path as the kernel names the open file (`/proc/self/fd`), or, where
    /// there is no such name, `real` resolved again.
    fn opened_inside(&self, file: &std::fs::File, real: &Path) -> bool {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let named = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()));
            if let Ok(named) = named {
                return named.starts_with(&self.root);
            }
        }
        let _ = file;
        real.canonicalize()
            .is_ok_and(|real| real.starts_with(&self.root))
    }

    fn folders(&self) -> std::sync::MutexGuard<'_, HashMap<String, PathBuf>> {
        self.folders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
            // Follows symlinks; containment is checked when the entry is
            // used. A link to a folder that holds it (itself, a parent)
            // would make every walk endless: it lists as a file, which
            // cannot be read.
            let looped = || {
                entry.file_type().is_ok_and(|kind| kind.is_symlink())
                    && entry
                        .path()
                        .canonicalize()
                        .is_ok_and(|target| real.starts_with(target))
            };
            // The entry's own type comes with the listing; only a symlink
            // is looked at again, for what it leads to.
            let is_dir = match entry.file_type() {
                Ok(kind) if !kind.is_symlink() => kind.is_dir(),
                _ => std::fs::metadata(entry.path()).is_ok_and(|meta| meta.is_dir()),
            };
            let kind = match is_dir && !looped() {
                true => EntryKind::Dir,
                false => EntryKind::File,
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
        let too_large = |bytes: usize| SourceError::TooLarge {
            path: path.to_owned(),
            bytes,
        };
        let file = std::fs::File::open(&real).map_err(|e| unreadable(path, &e))?;
        // What was opened, by the kernel's own account: a folder swapped
        // for a symlink since it was found inside is caught here, whenever
        // that happened.
        if !self.opened_inside(&file, &real) {
            return Err(SourceError::EscapingSymlink {
                path: path.to_owned(),
            });
        }
        let size = file.metadata().map_err(|e| unreadable(path, &e))?.len();
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > MAX_FILE_BYTES {
            return Err(too_large(size));
        }
        // Read one byte past the limit: a file that grows while it is read
        // is still caught.
        let mut bytes = Vec::with_capacity(size);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_FILE_BYTES as u64 + 1),
            &mut bytes,
        )
        .map_err(|e| unreadable(path, &e))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(too_large(bytes.len()));
        }
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
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (false, true) => dir.to_owned(),
        (false, false) => format!("{dir}/{name}"),
    }
}

/// One file of a [`MemoryTree`]: its text, or why it cannot be read.
#[derive(Debug, Clone)]
pub enum MemoryFile {
    Text(String),
    Unreadable(String),
    EscapingSymlink,
    /// Over [`MAX_FILE_BYTES`]: its size in bytes.
    TooLarge(usize),
}

/// A tree of files held in memory: what a git commit's inputs load into.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    files: std::collections::BTreeMap<String, MemoryFile>,
}

impl MemoryTree {
    pub fn insert(&mut self, path: impl Into<String>, file: MemoryFile) {
        self.files.insert(path.into(), file);
    }
}

impl Source for MemoryTree {
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let dir = dir.trim_end_matches('/');
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: Vec<Entry> = Vec::new();
        for path in self.files.range(prefix.clone()..).map(|(path, _)| path) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            let entry = match rest.split_once('/') {
                Some((name, _)) => Entry {
                    name: name.to_owned(),
                    kind: EntryKind::Dir,
                },
                None => Entry {
                    name: rest.to_owned(),
                    kind: EntryKind::File,
                },
            };
            if entries.last() != Some(&entry) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        match self.files.get(path) {
            Some(MemoryFile::Text(text)) => Ok(text.clone()),
            Some(MemoryFile::EscapingSymlink) => Err(SourceError::EscapingSymlink {
                path: path.to_owned(),
            }),
            Some(MemoryFile::TooLarge(bytes)) => Err(SourceError::TooLarge {
                path: path.to_owned(),
                bytes: *bytes,
            }),
            Some(MemoryFile::Unreadable(message)) => Err(SourceError::Unreadable {
                path: path.to_owned(),
                message: message.clone(),
            }),
            None => Err(SourceError::Unreadable {
                path: path.to_owned(),
                message: "no such file".to_owned(),
            }),
        }
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

/// Another source with some directories hidden and some files added: how
/// a golden path's samples are rendered with the repository's platform,
/// environments and golden paths, but none of its teams.
pub struct Overlay<'a> {
    base: &'a dyn Source,
    hidden: Vec<String>,
    added: MemoryTree,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn Source) -> Overlay<'a> {
        Overlay {
            base,
            hidden: Vec::new(),
            added: MemoryTree::default(),
        }
    }

    /// Hides everything the base has under `dir`.
    pub fn hide(mut self, dir: &str) -> Self {
        self.hidden.push(dir.trim_end_matches('/').to_owned());
        self
    }

    /// Adds (or replaces) a file.
    pub fn add(mut self, path: &str, text: String) -> Self {
        self.added.insert(path, MemoryFile::Text(text));
        self
    }

    fn is_hidden(&self, path: &str) -> bool {
        self.hidden
            .iter()
            .any(|dir| path == dir || path.starts_with(&format!("{dir}/")))
    }
}

impl Source for Overlay<'_> {
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let mut entries: Vec<Entry> = if self.is_hidden(dir) {
            Vec::new()
        } else {
            self.base
                .list(dir)?
                .into_iter()
                .filter(|entry| !self.is_hidden(&join(dir, &entry.name)))
                .collect()
        };
        for entry in self.added.list(dir)? {
            if !entries.iter().any(|e| e.name == entry.name) {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn read(&self, path: &str) -> Result<String, SourceError> {
        if self.added.exists(path) || self.is_hidden(path) {
            return self.added.read(path);
        }
        self.base.read(path)
    }

    fn exists(&self, path: &str) -> bool {
        self.added.exists(path) || (!self.is_hidden(path) && self.base.exists(path))
    }
}
