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

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository, Sort, Tree};
use rayon::prelude::*;

use super::{GitError, GitRepo, git};
use crate::input::load::{ENVIRONMENTS_DIR, GOLDEN_PATHS_DIR, POLICIES_DIR, TEAMS_DIR};

/// Where paved writes its output, and the one file of each unit (as
/// `render::unit` names them: loading comes before rendering).
pub const RENDERED_DIR: &str = "rendered";
pub const MANIFEST: &str = "manifest.yaml";

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

        // Consecutive commits compared in parallel, a stretch per worker,
        // each with its own handle on the repository; then, in order, the
        // services each commit is the first to hold.
        let path = self.repo.path().to_owned();
        let prefix = self.prefix.as_str();
        let chunk = ids
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(256);
        let stretches: Vec<Vec<Walked>> = ids
            .par_chunks(chunk)
            .enumerate()
            .map(|(stretch, stretch_ids)| {
                let repo = Repository::open(&path).map_err(git)?;
                let reader = Reader {
                    repo: &repo,
                    prefix,
                    trees: RefCell::default(),
                };
                let start = stretch * chunk;
                let mut previous = match start.checked_sub(1) {
                    Some(before) => reader.root_of(ids[before])?,
                    None => None,
                };
                let mut out = Vec::with_capacity(stretch_ids.len());
                for id in stretch_ids {
                    reader.next_commit();
                    let commit = repo.find_commit(*id).map_err(git)?;
                    let root = reader.root_of(*id)?;
                    let changes = reader.changes(previous.as_ref(), root.as_ref())?;
                    out.push(Walked {
                        id: *id,
                        time: commit.committer().when().seconds(),
                        author: commit.author().email().unwrap_or_default().to_owned(),
                        subject: commit.summary().unwrap_or_default().to_owned(),
                        reverted: reverted_ids(&repo, commit.message().unwrap_or_default()),
                        platform_files: changes.platform_files,
                        teams: changes.teams,
                        new_services: changes.services,
                        units: changes.units,
                    });
                    previous = root;
                }
                Ok(out)
            })
            .collect::<Result<_, GitError>>()?;
        let mut walked: Vec<Walked> = stretches.into_iter().flatten().collect();
        let mut seen_services: HashSet<String> = HashSet::new();
        for commit in &mut walked {
            commit
                .new_services
                .retain(|service| seen_services.insert(service.clone()));
        }

        let summaries = self.summarise_blobs(&walked, &summarise)?;
        let index: HashMap<Oid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut merged: Option<HashMap<Oid, usize>> = None;
        let mut commits = Vec::with_capacity(walked.len());
        for (at, commit) in walked.into_iter().enumerate() {
            let mut reverts: Vec<usize> = Vec::new();
            for target in &commit.reverted {
                let found = match index.get(target) {
                    Some(&found) => Some(found),
                    // Not on the main line: the merge that brought it in.
                    None => merged
                        .get_or_insert_with(|| self.merged_by(&ids))
                        .get(target)
                        .copied(),
                };
                // Re-applying a reverted change restores nothing.
                if let Some(found) = found.filter(|found| *found < at)
                    && self
                        .repo
                        .find_commit(ids[found])
                        .map(|c| {
                            reverted_ids(&self.repo, c.message().unwrap_or_default()).is_empty()
                        })
                        .unwrap_or(true)
                {
                    reverts.push(found);
                }
            }
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

    /// For every commit off the main line, the index of the main-line
    /// merge that brought it in: what each merge's second parents hold
    /// that its first parent does not.
    fn merged_by(&self, ids: &[Oid]) -> HashMap<Oid, usize> {
        let mut out = HashMap::new();
        for (at, id) in ids.iter().enumerate() {
            let Ok(commit) = self.repo.find_commit(*id) else {
                continue;
            };
            if commit.parent_count() < 2 {
                continue;
            }
            let Ok(mut walk) = self.repo.revwalk() else {
                continue;
            };
            for parent in commit.parent_ids().skip(1) {
                let _ = walk.push(parent);
            }
            let _ = walk.hide(commit.parent_id(0).expect("a merge has a first parent"));
            for found in walk.flatten() {
                out.entry(found).or_insert(at);
            }
        }
        out
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
        // Each unit's versions together, newest first: git stores older
        // versions as deltas on newer ones, so reading a chain in that
        // order finds each delta's base in the pack cache.
        let mut by_unit: HashMap<(&str, &str, &str), Vec<Oid>> = HashMap::new();
        for commit in walked.iter().rev() {
            for (cluster, namespace, service, blob) in &commit.units {
                if let Some(blob) = blob {
                    by_unit
                        .entry((cluster, namespace, service))
                        .or_default()
                        .push(*blob);
                }
            }
        }
        let mut units: Vec<_> = by_unit.into_iter().collect();
        units.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut seen = HashSet::new();
        let blobs: Vec<Oid> = units
            .into_iter()
            .flat_map(|(_, blobs)| blobs)
            .filter(|blob| seen.insert(*blob))
            .collect();
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

/// Reads trees through one handle on the repository.
struct Reader<'r> {
    repo: &'r Repository,
    /// The paved root within the repository (`""` at its top).
    prefix: &'r str,
    /// Trees read for the commit being compared, and for the one before:
    /// what one commit has after is what the next has before.
    trees: RefCell<[HashMap<Oid, Tree<'r>>; 2]>,
}

impl<'r> Reader<'r> {
    /// The paved root's tree at a commit (`None` before paved existed
    /// there).
    fn root_of(&self, commit: Oid) -> Result<Option<Tree<'r>>, GitError> {
        let top = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(git)?;
        if self.prefix.is_empty() {
            return Ok(Some(top));
        }
        subtree(self.repo, &top, self.prefix)
    }

    /// What changed between two paved roots.
    fn changes(
        &self,
        before: Option<&Tree<'r>>,
        after: Option<&Tree<'r>>,
    ) -> Result<Changes, GitError> {
        let mut out = Changes::default();
        let Some(after) = after else {
            return Ok(out);
        };
        out.platform_files = PLATFORM_DIRS
            .iter()
            .any(|dir| entry_id(before, dir) != entry_id(Some(after), dir));
        // An unchanged directory costs one comparison, not two reads.
        if entry_id(before, TEAMS_DIR) != entry_id(Some(after), TEAMS_DIR) {
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
                    // `checkout.openapi.yaml` beside an intent is its API.
                    if could_name_a_service(stem) {
                        out.services.push(stem.to_owned());
                    }
                }
            }
        }
        if entry_id(before, RENDERED_DIR) != entry_id(Some(after), RENDERED_DIR) {
            let rendered_before = self.child(before, RENDERED_DIR)?;
            let rendered_after = self.child(Some(after), RENDERED_DIR)?;
            for (cluster, old, new) in
                changed_entries(rendered_before.as_ref(), rendered_after.as_ref())
            {
                if cluster.starts_with('_') || cluster.starts_with('.') {
                    // `_argocd`: Argo CD's own objects; `.paved-index.json`
                    // and `.gitattributes`: paved's (never read: the index
                    // is large and changes whenever an input does).
                    continue;
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
        }
        Ok(out)
    }

    fn tree(&self, id: Oid) -> Result<Option<Tree<'r>>, GitError> {
        let mut trees = self.trees.borrow_mut();
        let [now, before] = &mut *trees;
        if let Some(tree) = now.get(&id).or_else(|| before.get(&id)) {
            let tree = tree.clone();
            now.insert(id, tree.clone());
            return Ok(Some(tree));
        }
        match self.repo.find_object(id, None) {
            Ok(object) => {
                let tree = object.into_tree().ok();
                if let Some(tree) = &tree {
                    now.insert(id, tree.clone());
                }
                Ok(tree)
            }
            Err(error) => Err(git(error)),
        }
    }

    /// The next commit: the trees of this one are kept, older ones let go.
    fn next_commit(&self) {
        let mut trees = self.trees.borrow_mut();
        trees.swap(0, 1);
        trees[0].clear();
    }

    fn tree_of(&self, id: Option<Oid>) -> Result<Option<Tree<'r>>, GitError> {
        match id {
            Some(id) => self.tree(id),
            None => Ok(None),
        }
    }

    fn child_of(&self, tree: &Tree<'r>, name: &str) -> Result<Option<Tree<'r>>, GitError> {
        match tree.get_name(name) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => self.tree(entry.id()),
            _ => Ok(None),
        }
    }

    fn child(&self, tree: Option<&Tree<'r>>, name: &str) -> Result<Option<Tree<'r>>, GitError> {
        match tree {
            Some(tree) => self.child_of(tree, name),
            None => Ok(None),
        }
    }
}

#[derive(Default)]
struct Changes {
    platform_files: bool,
    teams: Vec<String>,
    /// The services of the teams that changed.
    services: Vec<String>,
    units: Vec<(String, String, String, Option<Oid>)>,
}

/// Whether a file name's stem can be a service's name (an intent's name
/// is its file's, in the shape `input::model::NAME_PATTERN` allows).
pub fn could_name_a_service(stem: &str) -> bool {
    stem.starts_with(|c: char| c.is_ascii_lowercase())
        && !stem.ends_with('-')
        && stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
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
/// One pass over both in name order; a name that is not UTF-8 is not one
/// paved writes, and is passed over.
fn changed_entries(
    before: Option<&Tree<'_>>,
    after: Option<&Tree<'_>>,
) -> Vec<(String, Option<Oid>, Option<Oid>)> {
    use std::cmp::Ordering;
    fn entries<'t>(tree: Option<&'t Tree<'_>>) -> Vec<git2::TreeEntry<'t>> {
        let mut out: Vec<_> = tree.into_iter().flat_map(|tree| tree.iter()).collect();
        // Git orders a directory as if its name ended in `/`; compare by
        // the name alone, the same way for both trees.
        out.sort_unstable_by(|a, b| a.name_bytes().cmp(b.name_bytes()));
        out
    }
    let (before, after) = (entries(before), entries(after));
    let (mut old, mut new) = (before.into_iter().peekable(), after.into_iter().peekable());
    let mut out = Vec::new();
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.name_bytes().cmp(b.name_bytes()),
        };
        let (was, now) = match order {
            Ordering::Less => (old.next(), None),
            Ordering::Greater => (None, new.next()),
            Ordering::Equal => (old.next(), new.next()),
        };
        let (was, now) = (was.map(|e| (e.id(), e)), now.map(|e| (e.id(), e)));
        if was.as_ref().map(|e| e.0) == now.as_ref().map(|e| e.0) {
            continue;
        }
        let entry = &now.as_ref().or(was.as_ref()).expect("one side has it").1;
        if let Some(name) = entry.name() {
            out.push((name.to_owned(), was.map(|e| e.0), now.map(|e| e.0)));
        }
    }
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
