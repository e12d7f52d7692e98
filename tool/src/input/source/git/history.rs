//! The main line's history, for `paved metrics`: every commit on the
//! first-parent chain of a branch, oldest first, with what it changed.
//! Read straight from the object database, nothing checked out.
//!
//! What a commit changed is found by comparing tree ids with its first
//! parent's, level by level (`rendered/`, a cluster, a namespace, a
//! service directory), so a subtree that did not change costs one
//! comparison whatever its size. Each changed `manifest.yaml` is handed to
//! the caller's `summarise` once per distinct content (a rollback returns
//! to content already seen), in parallel.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository, Sort, Tree};
use rayon::prelude::*;

use super::{GitError, GitRepo, git};
use crate::input::load::{ENVIRONMENTS_DIR, GOLDEN_PATHS_DIR, POLICIES_DIR, TEAMS_DIR};

/// Where paved writes its output, and the one file of each unit (as
/// `render::unit` names them: loading comes before rendering).
const RENDERED_DIR: &str = "rendered";
const MANIFEST: &str = "manifest.yaml";

/// Input directories the platform team owns: a change to a team's files
/// that also changes one of these needed the platform team.
pub const PLATFORM_DIRS: [&str; 4] = ["platform", ENVIRONMENTS_DIR, GOLDEN_PATHS_DIR, POLICIES_DIR];

/// The first-parent history of a branch.
#[derive(Debug)]
pub struct MainLine<S> {
    /// The commit the history ends at.
    pub tip: String,
    /// Oldest first.
    pub commits: Vec<LineCommit<S>>,
}

/// One commit of the main line, and what it changed compared with the
/// commit before it on the main line.
#[derive(Debug)]
pub struct LineCommit<S> {
    pub id: String,
    /// Committer time, in seconds since the epoch: when the commit reached
    /// the main line (for a merge, when it was merged).
    pub time: i64,
    pub author: String,
    pub subject: String,
    /// Earlier main-line commits (by index) this one reverts, as `git
    /// revert` records it ("This reverts commit ..."): the commit itself
    /// when it is on the main line, else the merge that brought it in.
    /// Reverts of reverts (re-applying a change) are not listed.
    pub reverts: Vec<usize>,
    /// Whether it changed a file the platform team owns ([`PLATFORM_DIRS`]).
    pub platform_files: bool,
    /// Teams whose `teams/<team>/` it changed.
    pub teams: Vec<String>,
    /// Services whose intent appears for the first time on the main line.
    pub new_services: Vec<String>,
    /// Service directories under `rendered/` whose content changed.
    pub units: Vec<UnitChange<S>>,
}

/// A rendered service directory that changed.
#[derive(Debug)]
pub struct UnitChange<S> {
    pub cluster: String,
    pub namespace: String,
    pub service: String,
    /// What its `manifest.yaml` now holds, summarised; `None` when the
    /// directory was removed.
    pub manifest: Option<Arc<S>>,
}

/// A commit as first read: the manifests it changed are still blob ids.
struct Walked {
    id: Oid,
    time: i64,
    author: String,
    subject: String,
    reverted: Vec<Oid>,
    platform_files: bool,
    teams: Vec<String>,
    new_services: Vec<String>,
    units: Vec<(String, String, String, Option<Oid>)>,
}

impl GitRepo {
    /// The first of `candidates` that names a commit.
    pub fn first_commit_of(&self, candidates: &[String]) -> Option<String> {
        candidates.iter().find_map(|rev| {
            self.repo
                .revparse_single(rev)
                .and_then(|object| object.peel_to_commit())
                .ok()
                .map(|_| rev.clone())
        })
    }

    /// The first-parent history ending at `rev`, oldest first. Each changed
    /// manifest's text goes through `summarise` once per distinct content.
    pub fn main_line<S, F>(&self, rev: &str, summarise: F) -> Result<MainLine<S>, GitError>
    where
        S: Send + Sync,
        F: Fn(&str) -> S + Sync,
    {
        let tip = self.commit(rev)?;
        let mut walk = self.repo.revwalk().map_err(git)?;
        walk.simplify_first_parent().map_err(git)?;
        walk.set_sorting(Sort::NONE).map_err(git)?;
        walk.push(tip.id()).map_err(git)?;
        let mut ids: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(git)?;
        ids.reverse();

        let mut walked = Vec::with_capacity(ids.len());
        let mut seen_services: HashSet<String> = HashSet::new();
        let mut previous: Option<Tree<'_>> = None;
        for id in &ids {
            let commit = self.repo.find_commit(*id).map_err(git)?;
            let root = self.paved_root(&commit.tree().map_err(git)?)?;
            let changes = self.changes(previous.as_ref(), root.as_ref(), &mut seen_services)?;
            walked.push(Walked {
                id: *id,
                time: commit.committer().when().seconds(),
                author: commit.author().email().unwrap_or_default().to_owned(),
                subject: commit.summary().unwrap_or_default().to_owned(),
                reverted: reverted_ids(&self.repo, commit.message().unwrap_or_default()),
                platform_files: changes.platform_files,
                teams: changes.teams,
                new_services: changes.new_services,
                units: changes.units,
            });
            previous = root;
        }

        let summaries = self.summarise_blobs(&walked, &summarise)?;
        let index: HashMap<Oid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut commits = Vec::with_capacity(walked.len());
        for (at, commit) in walked.into_iter().enumerate() {
            let mut reverts: Vec<usize> = commit
                .reverted
                .iter()
                .filter_map(|target| self.on_main_line(*target, &ids, &index, at))
                // Re-applying a reverted change restores nothing.
                .filter(|target| {
                    self.repo
                        .find_commit(ids[*target])
                        .map(|c| {
                            reverted_ids(&self.repo, c.message().unwrap_or_default()).is_empty()
                        })
                        .unwrap_or(true)
                })
                .collect();
            reverts.sort_unstable();
            reverts.dedup();
            commits.push(LineCommit {
                id: commit.id.to_string(),
                time: commit.time,
                author: commit.author,
                subject: commit.subject,
                reverts,
                platform_files: commit.platform_files,
                teams: commit.teams,
                new_services: commit.new_services,
                units: commit
                    .units
                    .into_iter()
                    .map(|(cluster, namespace, service, blob)| UnitChange {
                        cluster,
                        namespace,
                        service,
                        manifest: blob.and_then(|blob| summaries.get(&blob).cloned()),
                    })
                    .collect(),
            });
        }
        Ok(MainLine {
            tip: tip.id().to_string(),
            commits,
        })
    }

    /// The paved root's tree in a commit's tree (`None` before paved
    /// existed there).
    fn paved_root<'r>(&'r self, top: &Tree<'r>) -> Result<Option<Tree<'r>>, GitError> {
        if self.prefix.is_empty() {
            return Ok(Some(top.clone()));
        }
        subtree(&self.repo, top, &self.prefix)
    }

    /// The index of the earliest main-line commit before `before` that
    /// holds `target`: itself, or the merge that brought it in.
    fn on_main_line(
        &self,
        target: Oid,
        ids: &[Oid],
        index: &HashMap<Oid, usize>,
        before: usize,
    ) -> Option<usize> {
        if let Some(&at) = index.get(&target) {
            return (at < before).then_some(at);
        }
        // Each main-line commit holds everything its predecessors hold: the
        // first one that holds `target` is found by bisection.
        let holds = |at: usize| {
            self.repo
                .graph_descendant_of(ids[at], target)
                .unwrap_or(false)
        };
        let (mut low, mut high) = (0, before);
        while low < high {
            let middle = low + (high - low) / 2;
            if holds(middle) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        (low < before).then_some(low)
    }

    /// What changed between two paved roots.
    fn changes(
        &self,
        before: Option<&Tree<'_>>,
        after: Option<&Tree<'_>>,
        seen_services: &mut HashSet<String>,
    ) -> Result<Changes, GitError> {
        let mut out = Changes::default();
        let Some(after) = after else {
            return Ok(out);
        };
        out.platform_files = PLATFORM_DIRS
            .iter()
            .any(|dir| entry_id(before, dir) != entry_id(Some(after), dir));
        let teams_before = self.child(before, TEAMS_DIR)?;
        let teams_after = self.child(Some(after), TEAMS_DIR)?;
        for (team, _, now) in changed_entries(teams_before.as_ref(), teams_after.as_ref()) {
            out.teams.push(team.clone());
            let Some(now) = now else { continue };
            let Some(services) = self
                .tree(now)?
                .and_then(|t| self.child_of(&t, "services").ok().flatten())
            else {
                continue;
            };
            for entry in services.iter() {
                let Some(name) = entry.name() else { continue };
                let Some(stem) = name
                    .strip_suffix(".yaml")
                    .or_else(|| name.strip_suffix(".yml"))
                else {
                    continue;
                };
                if !stem.starts_with('.') && seen_services.insert(stem.to_owned()) {
                    out.new_services.push(stem.to_owned());
                }
            }
        }
        let rendered_before = self.child(before, RENDERED_DIR)?;
        let rendered_after = self.child(Some(after), RENDERED_DIR)?;
        for (cluster, old, new) in
            changed_entries(rendered_before.as_ref(), rendered_after.as_ref())
        {
            if cluster.starts_with('_') {
                continue; // `_argocd`: Argo CD's own objects
            }
            let (old, new) = (self.tree_of(old)?, self.tree_of(new)?);
            for (namespace, old, new) in changed_entries(old.as_ref(), new.as_ref()) {
                if namespace.starts_with('_') {
                    continue; // `_platform`: namespaces, quotas, access
                }
                let (old, new) = (self.tree_of(old)?, self.tree_of(new)?);
                for (service, _, now) in changed_entries(old.as_ref(), new.as_ref()) {
                    let manifest = match self.tree_of(now)? {
                        Some(dir) => dir
                            .get_name(MANIFEST)
                            .filter(|e| e.kind() == Some(ObjectType::Blob))
                            .map(|e| e.id()),
                        None => None,
                    };
                    out.units
                        .push((cluster.clone(), namespace.clone(), service, manifest));
                }
            }
        }
        Ok(out)
    }

    fn tree(&self, id: Oid) -> Result<Option<Tree<'_>>, GitError> {
        match self.repo.find_object(id, None) {
            Ok(object) => Ok(object.into_tree().ok()),
            Err(error) => Err(git(error)),
        }
    }

    fn tree_of(&self, id: Option<Oid>) -> Result<Option<Tree<'_>>, GitError> {
        match id {
            Some(id) => self.tree(id),
            None => Ok(None),
        }
    }

    fn child_of<'r>(&'r self, tree: &Tree<'r>, name: &str) -> Result<Option<Tree<'r>>, GitError> {
        match tree.get_name(name) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => self.tree(entry.id()),
            _ => Ok(None),
        }
    }

    fn child<'r>(
        &'r self,
        tree: Option<&Tree<'r>>,
        name: &str,
    ) -> Result<Option<Tree<'r>>, GitError> {
        match tree {
            Some(tree) => self.child_of(tree, name),
            None => Ok(None),
        }
    }

    /// Reads and summarises every distinct manifest the walk met, in
    /// parallel: each worker opens its own handle on the repository.
    fn summarise_blobs<S, F>(
        &self,
        walked: &[Walked],
        summarise: &F,
    ) -> Result<HashMap<Oid, Arc<S>>, GitError>
    where
        S: Send + Sync,
        F: Fn(&str) -> S + Sync,
    {
        let mut blobs: Vec<Oid> = walked
            .iter()
            .flat_map(|c| c.units.iter().filter_map(|u| u.3))
            .collect();
        blobs.sort_unstable();
        blobs.dedup();
        let path = self.repo.path().to_owned();
        let chunk = blobs
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(64);
        let summaries: Vec<Vec<(Oid, Arc<S>)>> = blobs
            .par_chunks(chunk)
            .map(|ids| {
                let repo = Repository::open(Path::new(&path)).map_err(git)?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let blob = repo.find_blob(*id).map_err(git)?;
                    // Not paved's output (or not text): nothing to read from it.
                    let text = if blob.size() > crate::input::source::MAX_FILE_BYTES {
                        ""
                    } else {
                        std::str::from_utf8(blob.content()).unwrap_or_default()
                    };
                    out.push((*id, Arc::new(summarise(text))));
                }
                Ok(out)
            })
            .collect::<Result<_, GitError>>()?;
        Ok(summaries.into_iter().flatten().collect())
    }
}

#[derive(Default)]
struct Changes {
    platform_files: bool,
    teams: Vec<String>,
    new_services: Vec<String>,
    units: Vec<(String, String, String, Option<Oid>)>,
}

/// The id of `name` in `tree`, if it is there.
fn entry_id(tree: Option<&Tree<'_>>, name: &str) -> Option<Oid> {
    tree.and_then(|t| t.get_name(name)).map(|e| e.id())
}

/// The tree at a `/`-separated path under `top`.
fn subtree<'r>(
    repo: &'r Repository,
    top: &Tree<'r>,
    path: &str,
) -> Result<Option<Tree<'r>>, GitError> {
    match top.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Ok(Some(repo.find_tree(entry.id()).map_err(git)?))
        }
        _ => Ok(None),
    }
}

/// Entries of two trees whose ids differ, by name: (name, before, after).
fn changed_entries(
    before: Option<&Tree<'_>>,
    after: Option<&Tree<'_>>,
) -> Vec<(String, Option<Oid>, Option<Oid>)> {
    let mut out = Vec::new();
    if let Some(after) = after {
        for entry in after.iter() {
            let Some(name) = entry.name() else { continue };
            let old = before.and_then(|b| b.get_name(name)).map(|e| e.id());
            if old != Some(entry.id()) {
                out.push((name.to_owned(), old, Some(entry.id())));
            }
        }
    }
    if let Some(before) = before {
        for entry in before.iter() {
            let Some(name) = entry.name() else { continue };
            if after.and_then(|a| a.get_name(name)).is_none() {
                out.push((name.to_owned(), Some(entry.id()), None));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Commits a message says it reverts (`This reverts commit <id>`).
fn reverted_ids(repo: &Repository, message: &str) -> Vec<Oid> {
    const MARK: &str = "This reverts commit ";
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(at) = rest.find(MARK) {
        rest = &rest[at + MARK.len()..];
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        let id = if hex.len() == 40 {
            Oid::from_str(&hex).ok()
        } else if hex.len() >= 7 {
            repo.revparse_single(&hex).ok().map(|o| o.id())
        } else {
            None
        };
        out.extend(id);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_output_layout_is_the_one_render_writes() {
        assert_eq!(super::RENDERED_DIR, crate::render::unit::RENDERED_DIR);
        assert_eq!(super::MANIFEST, crate::render::unit::MANIFEST);
    }
}
