//! A long git history over a generated, rendered organisation, for the
//! metrics benchmark: `commits` main-line commits promoting releases
//! service by service (dev, then staging, then both prod clusters), with
//! rollbacks, reverts and merges of branches, half an hour apart and
//! ending on 2026-11-27. Written with `git fast-import` (one pack, in
//! seconds) rather than one `git commit` at a time; [`repack`] stores it
//! as a collected repository would.
//!
//! Its figures are known by construction ([`Expected`]): each service's
//! turn moves its release one environment along, so about every third
//! commit deploys to production; every 40th production deployment is
//! rolled back two commits (an hour) later, every 50th reverted three
//! commits later (reverting the branch commit when it was merged).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// 2026-11-27T12:00:00Z: the last commit's time.
const END: i64 = 1_795_780_800;
const STEP: i64 = 1_800;

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path, relative: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir.join(relative)) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            files(dir, &path, out);
        } else {
            out.insert(path, fs::read(entry.path()).unwrap());
        }
    }
}

/// One service's releases.
struct Service {
    team: String,
    name: String,
    image: String,
    /// The release each environment runs: dev, staging, prod.
    running: [String; 3],
    /// The environment its next turn moves a release into.
    stage: usize,
    next: u32,
}

const CLUSTERS: [(&str, &[&str]); 3] = [
    ("dev", &["dev-eu-west-1"]),
    ("staging", &["staging-eu-west-1"]),
    ("prod", &["prod-eu-west-1", "prod-us-east-1"]),
];

/// Writes commits into a running `git fast-import`.
struct Importer {
    child: std::process::Child,
    input: std::io::BufWriter<std::process::ChildStdin>,
    output: std::io::BufReader<std::process::ChildStdout>,
    mark: usize,
}

impl Importer {
    fn commit(
        &mut self,
        branch: &str,
        at: i64,
        message: &str,
        from: Option<usize>,
        merge: Option<usize>,
        changes: &[(String, Vec<u8>)],
    ) -> usize {
        self.mark += 1;
        let out = &mut self.input;
        let _ = writeln!(out, "commit refs/heads/{branch}\nmark :{}", self.mark);
        let _ = writeln!(out, "committer Bench <bench@example.com> {at} +0000");
        let _ = writeln!(out, "data {}\n{message}", message.len());
        if let Some(from) = from {
            let _ = writeln!(out, "from :{from}");
        }
        if let Some(merge) = merge {
            let _ = writeln!(out, "merge :{merge}");
        }
        for (path, bytes) in changes {
            let _ = writeln!(out, "M 100644 inline {path}\ndata {}", bytes.len());
            let _ = out.write_all(bytes);
            let _ = writeln!(out);
        }
        self.mark
    }

    /// The commit id of a mark.
    fn id(&mut self, mark: usize) -> String {
        use std::io::BufRead as _;
        let _ = writeln!(self.input, "get-mark :{mark}");
        self.input.flush().unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }
}

/// What a generated history holds, for tests to compare with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Services, each deployed to production by the first commit.
    pub services: usize,
    /// Production deployments of a release from staging.
    pub promotions: usize,
    /// Production deployments returning to the release before.
    pub rollbacks: usize,
    /// Reverts of a production deployment (also returning to the release
    /// before), of which reverts of a commit merged from a branch.
    pub reverts: usize,
    pub reverts_of_merged: usize,
}

/// Makes `dir` (a generated organisation, already rendered) a git
/// repository whose `main` has `commits` commits.
pub fn history(dir: &Path, commits: usize) -> Expected {
    let mut all = BTreeMap::new();
    files(dir, "", &mut all);
    let mut services: Vec<Service> = Vec::new();
    for path in all.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        if let ["teams", team, "services", file] = parts.as_slice() {
            let name = file.trim_end_matches(".yaml").to_owned();
            services.push(Service {
                image: format!("registry.northwind.dev/{team}/{name}"),
                team: (*team).to_owned(),
                name,
                running: ["1.0.0".into(), "1.0.0".into(), "0.9.0".into()],
                stage: 0,
                next: 1,
            });
        }
    }
    let status = Command::new("git")
        .args(["init", "-q", "-b", "main"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut git = Importer {
        input: std::io::BufWriter::new(child.stdin.take().unwrap()),
        output: std::io::BufReader::new(child.stdout.take().unwrap()),
        child,
        mark: 0,
    };
    let start = END - STEP * (commits as i64 - 1);
    let base: Vec<(String, Vec<u8>)> = all.iter().map(|(p, b)| (p.clone(), b.clone())).collect();
    let mut head = git.commit("main", start, "the organisation", None, None, &base);
    let mut manifests: BTreeMap<String, String> = all
        .iter()
        .filter(|(p, _)| p.starts_with("rendered/") && p.ends_with("/manifest.yaml"))
        .map(|(p, b)| (p.clone(), String::from_utf8(b.clone()).unwrap()))
        .collect();

    let mut prod_deploys = 0usize;
    let mut expected = Expected {
        services: services.len(),
        ..Expected::default()
    };
    // Commit number -> (service, release to return to, commit to revert
    // and whether it was merged from a branch).
    type Undo = (usize, String, Option<(usize, bool)>);
    let mut pending: BTreeMap<usize, Undo> = BTreeMap::new();
    let mut order = 0usize;
    for at in 1..commits {
        let time = start + STEP * at as i64;
        if let Some((service, release, reverted)) = pending.remove(&at) {
            let s = &mut services[service];
            let changes = set_release(&mut manifests, s, 2, &release);
            match reverted {
                Some((_, merged)) => {
                    expected.reverts += 1;
                    expected.reverts_of_merged += usize::from(merged);
                }
                None => expected.rollbacks += 1,
            }
            let message = match reverted {
                Some((mark, _)) => format!(
                    "Revert \"{} to prod\"\n\nThis reverts commit {}.\n",
                    s.name,
                    git.id(mark)
                ),
                None => format!("roll {} back to {release}\n", s.name),
            };
            head = git.commit("main", time, &message, None, None, &changes);
            continue;
        }
        // Services take turns in a scattered order; each turn moves one
        // service's release one environment along.
        let service = (order * 7919) % services.len();
        order += 1;
        let s = &mut services[service];
        let stage = s.stage;
        s.stage = (stage + 1) % 3;
        let release = if stage == 0 {
            s.next += 1;
            format!("1.{}.0", s.next)
        } else {
            s.running[stage - 1].clone()
        };
        let previous = s.running[stage].clone();
        let mut changes = set_release(&mut manifests, s, stage, &release);
        let intent = format!("teams/{}/services/{}.yaml", s.team, s.name);
        let mut text = all[&intent].clone();
        text.extend_from_slice(
            format!(
                "# dev {}, staging {}, prod {}\n",
                s.running[0], s.running[1], s.running[2]
            )
            .as_bytes(),
        );
        changes.push((intent, text));
        let message = format!("{} {release} to {}\n", s.name, CLUSTERS[stage].0);
        // Every fifth change lands as a pull request does: a commit on a
        // branch, merged.
        let merged = at % 5 == 0;
        let deployed = if merged {
            let work = git.commit("work", time - 60, &message, Some(head), None, &changes);
            head = git.commit(
                "main",
                time,
                &format!("Merge {message}"),
                Some(head),
                Some(work),
                &changes,
            );
            work
        } else {
            head = git.commit("main", time, &message, None, None, &changes);
            head
        };
        if stage == 2 && previous != release {
            expected.promotions += 1;
            prod_deploys += 1;
            if prod_deploys.is_multiple_of(40) && at + 2 < commits {
                pending.entry(at + 2).or_insert((service, previous, None));
            } else if prod_deploys.is_multiple_of(50) && at + 3 < commits {
                pending
                    .entry(at + 3)
                    .or_insert((service, previous, Some((deployed, merged))));
            }
        }
    }
    git.input.flush().unwrap();
    drop(git.input);
    assert!(git.child.wait().unwrap().success());
    expected
}

/// Repacks the repository at `dir`. fast-import's pack is a quick first
/// draft (each version a delta of the one before); git's own advice is to
/// repack it. Then objects are stored as any cloned or collected
/// repository stores them, recent versions whole, older ones as deltas,
/// as a benchmark should read them (the tests read fast-import's pack:
/// the same objects, a second sooner).
pub fn repack(dir: &Path) {
    let status = Command::new("git")
        .args(["repack", "-a", "-d", "-f", "-q"])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Points `service`'s manifests in `stage` at `release`; the changed files.
fn set_release(
    manifests: &mut BTreeMap<String, String>,
    service: &mut Service,
    stage: usize,
    release: &str,
) -> Vec<(String, Vec<u8>)> {
    let old = format!("{}:{}", service.image, service.running[stage]);
    let new = format!("{}:{release}", service.image);
    service.running[stage] = release.to_owned();
    let mut out = Vec::new();
    for cluster in CLUSTERS[stage].1 {
        let path = format!(
            "rendered/{cluster}/{}/{}/manifest.yaml",
            service.team, service.name
        );
        if let Some(text) = manifests.get_mut(&path) {
            *text = text.replace(&old, &new);
            out.push((path, text.clone().into_bytes()));
        }
    }
    out
}
