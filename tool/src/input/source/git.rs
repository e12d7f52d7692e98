//! Inputs as they were at a git commit, read straight from the object
//! database: no checkout, no worktree, nothing written. The only module
//! that calls git2 (with its child `history`, which walks the main line
//! for `paved metrics`).

pub mod history;

use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::{MemoryFile, MemoryTree};
use crate::input::load::TEAMS_DIR;

/// The branch a pull request merges into, as the default base.
pub const DEFAULT_UPSTREAM: &str = "origin/main";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("`{0}` is not inside a git repository")]
    NotARepository(PathBuf),
    #[error("`{rev}` does not name a commit in this repository: {message}")]
    UnknownRevision { rev: String, message: String },
    #[error("no `--base` given, and there is no `{DEFAULT_UPSTREAM}` to compare with")]
    NoDefaultBase,
    #[error("git: {0}")]
    Git(String),
}

fn git(error: git2::Error) -> GitError {
    GitError::Git(error.message().to_owned())
}

/// The versions of one intent in a commit's history.
#[derive(Debug, Clone, Default)]
pub struct IntentHistory {
    /// Its text at the commit itself, if it existed there.
    pub at_rev: Option<String>,
    /// Every distinct text it had, at the commit or before.
    pub versions: Vec<String>,
}

/// A repository, and where the paved root sits inside it.
pub struct GitRepo {
    repo: Repository,
    /// The paved root relative to the repository's top, `/`-separated
    /// (empty when they are the same).
    prefix: String,
}

impl GitRepo {
    /// Opens the repository that holds `root`.
    pub fn open(root: &Path) -> Result<GitRepo, GitError> {
        // Objects are read, never written: like git itself, do not re-hash
        // each object read (SHA-1 with collision detection is a third of
        // reading a long history).
        git2::opts::strict_hash_verification(false);
        let repo =
            Repository::discover(root).map_err(|_| GitError::NotARepository(root.to_owned()))?;
        let top = repo
            .workdir()
            .and_then(|dir| dir.canonicalize().ok())
            .ok_or_else(|| GitError::NotARepository(root.to_owned()))?;
        let root = root
            .canonicalize()
            .map_err(|e| GitError::Git(e.to_string()))?;
        let prefix = root
            .strip_prefix(&top)
            .map_err(|_| GitError::NotARepository(root.clone()))?
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/");
        Ok(GitRepo { repo, prefix })
    }

    /// The merge base of `HEAD` and `origin/main`: what a pull request is
    /// reviewed against.
    pub fn default_base(&self) -> Result<String, GitError> {
        let upstream = self
            .repo
            .revparse_single(DEFAULT_UPSTREAM)
            .and_then(|object| object.peel_to_commit())
            .map_err(|_| GitError::NoDefaultBase)?;
        let head = self
            .repo
            .head()
            .and_then(|head| head.peel_to_commit())
            .map_err(git)?;
        let base = self
            .repo
            .merge_base(head.id(), upstream.id())
            .map_err(git)?;
        Ok(base.to_string())
    }

    /// The short id and subject of the commit `rev` names.
    pub fn describe(&self, rev: &str) -> Result<String, GitError> {
        let commit = self.commit(rev)?;
        let id = commit.id().to_string();
        let subject = commit.summary().unwrap_or_default().to_owned();
        Ok(format!("{} {subject}", &id[..12.min(id.len())]))
    }

    /// The bytes of the file at `path` (relative to the paved root) in the
    /// commit `rev`, `None` when it has none there.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        self.file_at_or(rev, path, None)
    }

    /// [`GitRepo::file_at`], answered with the bytes of the file `here`
    /// (the working tree's copy, say) when they are the very bytes
    /// committed: a blob's id is the SHA-1 of its bytes, which hashes in a
    /// fraction of the time the object takes to inflate. (Only a regular
    /// file of the blob's size is read.)
    pub fn file_at_or(
        &self,
        rev: &str,
        path: &str,
        here: Option<&Path>,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self.commit(rev)?.tree().map_err(git)?;
        let full = if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.prefix)
        };
        let Ok(entry) = tree.get_path(Path::new(&full)) else {
            return Ok(None);
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let size = || Some(self.repo.odb().ok()?.read_header(entry.id()).ok()?.0);
        let here = here
            .zip(size())
            .filter(|(here, size)| {
                std::fs::symlink_metadata(here)
                    .is_ok_and(|meta| meta.is_file() && meta.len() == *size as u64)
            })
            .and_then(|(here, _)| std::fs::read(here).ok());
        if let Some(here) = here.filter(|here| blob_id(here) == Some(entry.id())) {
            return Ok(Some(here));
        }
        let blob = self.repo.find_blob(entry.id()).map_err(git)?;
        Ok(Some(blob.content().to_vec()))
    }

    fn commit(&self, rev: &str) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .revparse_single(rev)
            .and_then(|object| object.peel_to_commit())
            .map_err(|error| GitError::UnknownRevision {
                rev: rev.to_owned(),
                message: error.message().to_owned(),
            })
    }

    /// Every input file (platform, environments, teams, golden paths,
    /// policies: admission rules render into `_platform`) as it was at
    /// `rev`, keyed by path relative to the paved root.
    pub fn inputs_at(&self, rev: &str) -> Result<MemoryTree, GitError> {
        let commit = self.commit(rev)?;
        let top = commit.tree().map_err(git)?;
        let root = if self.prefix.is_empty() {
            top.clone()
        } else {
            match top.get_path(Path::new(&self.prefix)) {
                Ok(entry) => entry
                    .to_object(&self.repo)
                    .and_then(|o| o.peel_to_tree())
                    .map_err(git)?,
                Err(_) => return Ok(MemoryTree::default()), // paved did not exist yet
            }
        };
        let mut tree = MemoryTree::default();
        for dir in crate::input::load::INPUT_DIRS {
            let Ok(entry) = root.get_path(Path::new(dir)) else {
                continue;
            };
            let Ok(subtree) = entry.to_object(&self.repo).and_then(|o| o.peel_to_tree()) else {
                continue;
            };
            let mut found = Vec::new();
            subtree
                .walk(TreeWalkMode::PreOrder, |parent, entry| {
                    if entry.kind() == Some(ObjectType::Blob) {
                        let path = format!("{dir}/{parent}{}", entry.name().unwrap_or_default());
                        found.push((path, entry.id(), entry.filemode()));
                    }
                    TreeWalkResult::Ok
                })
                .map_err(git)?;
            let odb = self.repo.odb().map_err(git)?;
            for (path, id, mode) in found {
                let (size, _) = odb.read_header(id).map_err(git)?;
                if size > super::MAX_FILE_BYTES {
                    tree.insert(path, MemoryFile::TooLarge(size));
                    continue;
                }
                let blob = self.repo.find_blob(id).map_err(git)?;
                let file = if mode == i32::from(git2::FileMode::Link) {
                    self.follow_link(&root, &path, blob.content())
                } else {
                    text(blob.content())
                };
                tree.insert(path, file);
            }
        }
        Ok(tree)
    }

    /// Every version of the intents of `names` (`teams/*/services/<name>.yaml`)
    /// in the commits reachable from `rev`: the one at `rev` itself, and
    /// each distinct earlier text. Blobs are read once each, so a long
    /// history costs a walk of trees, not a parse per commit.
    pub fn intent_history(
        &self,
        rev: &str,
        names: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeMap<String, IntentHistory>, GitError> {
        use std::collections::{BTreeMap, HashSet};
        let start = self.commit(rev)?;
        let mut walk = self.repo.revwalk().map_err(git)?;
        walk.push(start.id()).map_err(git)?;
        let mut out: BTreeMap<String, IntentHistory> = BTreeMap::new();
        let mut seen: HashSet<git2::Oid> = HashSet::new();
        for (index, id) in walk.enumerate() {
            let commit = self.repo.find_commit(id.map_err(git)?).map_err(git)?;
            let top = commit.tree().map_err(git)?;
            let teams_path = if self.prefix.is_empty() {
                TEAMS_DIR.to_owned()
            } else {
                format!("{}/{TEAMS_DIR}", self.prefix)
            };
            let Ok(teams) = top
                .get_path(Path::new(&teams_path))
                .and_then(|entry| entry.to_object(&self.repo))
                .and_then(|object| object.peel_to_tree())
            else {
                continue;
            };
            for team in teams.iter() {
                let Ok(services) = team
                    .to_object(&self.repo)
                    .and_then(|object| object.peel_to_tree())
                    .and_then(|tree| {
                        tree.get_path(Path::new("services"))
                            .and_then(|entry| entry.to_object(&self.repo))
                            .and_then(|object| object.peel_to_tree())
                    })
                else {
                    continue;
                };
                for entry in services.iter() {
                    let Some(file) = entry.name() else { continue };
                    let stem = file
                        .strip_suffix(".yaml")
                        .or_else(|| file.strip_suffix(".yml"));
                    let Some(name) = stem.filter(|stem| names.contains(*stem)) else {
                        continue;
                    };
                    let history = out.entry(name.to_owned()).or_default();
                    if index == 0 && history.at_rev.is_none() {
                        history.at_rev = self.blob_text(entry.id());
                    }
                    if seen.insert(entry.id())
                        && let Some(text) = self.blob_text(entry.id())
                    {
                        history.versions.push(text);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The text of a blob within the size limit.
    fn blob_text(&self, id: git2::Oid) -> Option<String> {
        let blob = self.repo.find_blob(id).ok()?;
        if blob.size() > super::MAX_FILE_BYTES {
            return None;
        }
        std::str::from_utf8(blob.content()).ok().map(str::to_owned)
    }

    /// A symlink in the commit: its target's text when the target stays
    /// inside the paved root.
    fn follow_link(&self, root: &git2::Tree<'_>, path: &str, target: &[u8]) -> MemoryFile {
        let target = String::from_utf8_lossy(target);
        let mut parts: Vec<&str> = path.split('/').collect();
        parts.pop();
        if target.starts_with('/') {
            return MemoryFile::EscapingSymlink;
        }
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return MemoryFile::EscapingSymlink;
                    }
                }
                name => parts.push(name),
            }
        }
        let resolved = parts.join("/");
        match root.get_path(Path::new(&resolved)) {
            Ok(entry) => match entry
                .to_object(&self.repo)
                .ok()
                .and_then(|o| o.into_blob().ok())
            {
                Some(blob) if blob.size() > super::MAX_FILE_BYTES => {
                    MemoryFile::TooLarge(blob.size())
                }
                Some(blob) => text(blob.content()),
                None => MemoryFile::Unreadable("it is a symlink to a directory".to_owned()),
            },
            Err(_) => MemoryFile::Unreadable("it is a symlink to nothing".to_owned()),
        }
    }
}

fn text(bytes: &[u8]) -> MemoryFile {
    match std::str::from_utf8(bytes) {
        Ok(text) => MemoryFile::Text(text.to_owned()),
        Err(_) => MemoryFile::Unreadable("it is not valid UTF-8 text".to_owned()),
    }
}

/// The id git gives a blob of `bytes` (SHA-1 of its header and bytes), in
/// a repository whose ids are SHA-1's. (Without git's collision
/// detection: a file taken for a committed blob would have to collide
/// with bytes paved itself wrote, which CI holds to a render; a second
/// preimage is out of reach.)
fn blob_id(bytes: &[u8]) -> Option<git2::Oid> {
    use sha1::Digest;
    let mut hash = sha1::Sha1::new();
    hash.update(format!("blob {}\0", bytes.len()).as_bytes());
    hash.update(bytes);
    git2::Oid::from_bytes(&hash.finalize()).ok()
}
