//! Helpers: a scratch copy of the example organisation, and running
//! `paved` in it: in this process as the binary would run (`paved::run_in`:
//! the same arguments, exit code and printed text, without the cost of a
//! process: starting it, and compiling the schemas and templates it uses,
//! which the test binary does once), or as the binary itself where a test
//! needs a process (kills, signals, pipes, terminals).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (the example organisation lives there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Directories that make up the example organisation's inputs.
pub const INPUT_DIRS: &[&str] = &[
    "platform",
    "environments",
    "teams",
    "golden-paths",
    "policies",
];

/// Waits until every file touched so far is settled by the file system's
/// clock (`write::SETTLED` in the past), with a margin: a file's times
/// may be fine-grained while a new file's (the "now" a stamp is held
/// against) are the clock's last coarse tick, a few milliseconds behind
/// (multigrain timestamps, Linux 6.13 and later).
pub fn settle() {
    std::thread::sleep(paved::write::SETTLED + std::time::Duration::from_millis(250));
}

/// A temporary directory, in memory where the system keeps one
/// (`/dev/shm`): the tests create and delete tens of thousands of files,
/// and on a disk the file system's bookkeeping costs seconds.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("paved-test-")
        .tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

/// A temporary copy of the example organisation's inputs.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    /// The example organisation, without `rendered/`.
    pub fn example() -> Scratch {
        Scratch::example_in(tempdir())
    }

    /// The example organisation under `target/tmp`, for a fixture held in
    /// a static: statics are never dropped, so it outlives the tests (until
    /// `cargo clean`) and must not take memory.
    pub fn example_kept() -> Scratch {
        Scratch::example_in(tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap())
    }

    fn example_in(dir: tempfile::TempDir) -> Scratch {
        for input in INPUT_DIRS {
            copy_dir(&repo_root().join(input), &dir.path().join(input));
        }
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path().join(relative)).unwrap()
    }

    /// Replaces every `from` in the file `relative` with `to`; `from`
    /// must be there, so that a test never edits nothing and passes.
    pub fn replace(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not hold {from:?}");
        self.write(relative, &text.replace(from, to));
    }

    pub fn remove(&self, relative: &str) {
        fs::remove_file(self.path().join(relative)).unwrap();
    }

    /// Makes `checkout` (team payments) read identity's `identity/auth`
    /// key: refused until identity grants it.
    pub fn read_auth_key_from_checkout(&self) {
        let checkout = "teams/payments/services/checkout.yaml";
        self.replace(
            checkout,
            "secrets:\n",
            "secrets:\n  SESSION_PUBLIC_KEY: {key: identity/auth, property: jwt-public-key}\n",
        );
    }

    /// Team identity grants `checkout` its `identity/auth` key until
    /// `expires`.
    pub fn grant_auth_key_to_checkout(&self, expires: &str) {
        let team = self.read("teams/identity/team.yaml");
        self.write(
            "teams/identity/team.yaml",
            &format!(
                "{team}secretGrants:\n  - key: identity/auth\n    services: [checkout]\n    owner: sara.haddad@northwind.dev\n    reason: checkout verifies session tokens\n    expires: \"{expires}\"\n"
            ),
        );
    }

    /// Runs `paved` with `args` in this repository.
    pub fn paved(&self, args: &[&str]) -> Outcome {
        paved_in(self.path(), args)
    }

    /// Every file under `dir` (relative), with its bytes; but for the
    /// record of hashes paved keeps in `rendered/`, whose stamps are this
    /// machine's and its clock's.
    pub fn tree(&self, dir: &str) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let root = self.path().join(dir);
        collect(&root, &root, &mut out, &[]);
        out.remove(paved::write::HASHES);
        out
    }

    /// The files a render writes under `rendered/`, and none of paved's
    /// bookkeeping: the lock, the staging directory (which a render that
    /// has finished may still be removing) and the record of hashes.
    pub fn rendered_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let root = self.path().join("rendered");
        let skip = [paved::write::STAGING, paved::write::LOCK];
        collect(&root, &root, &mut out, &skip);
        out.remove(paved::write::HASHES);
        out
    }
}

/// Every file under `dir`, by its path relative to `root`, but for the
/// entries named in `skip`.
fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>, skip: &[&str]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        if skip.iter().any(|name| entry.file_name() == *name) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out, skip);
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(relative, fs::read(&path).unwrap());
        }
    }
}

pub use synthetic::copy_dir;

/// What a run of `paved` did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Exit code and stderr, for snapshots, with the timing made stable.
    pub fn report(&self) -> String {
        format!("exit code: {}\n{}", self.code, stable(&self.stderr))
    }
}

/// Replaces timings (`in 0.12s`) so output can be snapshotted.
pub fn stable(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let end = line.find("s:");
        let start = end.and_then(|end| line[..end].rfind(" in "));
        let line = match start.zip(end) {
            Some((start, end)) if line[start + 4..end].parse::<f64>().is_ok() => {
                format!("{} in [time]{}", &line[..start], &line[end + 1..])
            }
            _ => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn paved_in(dir: &Path, args: &[&str]) -> Outcome {
    // Policy exceptions and secret grants expire: fix today's date so
    // outcomes do not drift.
    paved_in_on(dir, args, "2026-11-27")
}

/// Runs `paved` as if today were `today` (`YYYY-MM-DD`): in this process
/// (as the binary would, with both streams piped), or as the binary itself
/// when the arguments name a path, which a process reads from its own
/// directory.
pub fn paved_in_on(dir: &Path, args: &[&str], today: &str) -> Outcome {
    let names_a_path = args
        .iter()
        .any(|arg| ["--out", "--app-dir", "--root"].contains(arg));
    if names_a_path {
        return paved_process(dir, args, today);
    }
    // The tests already run two at a time, one per core: a command's own
    // worker threads would only contend with the other test's (and spin
    // waiting for work), unless the test asks for them.
    let threads: &[&str] = if args.contains(&"--jobs") {
        &[]
    } else {
        &["--jobs", "1"]
    };
    let args = ["paved"]
        .iter()
        .chain(threads)
        .chain(args)
        .chain(&["--color=never"]);
    let (status, printed) = paved::run_in(args, dir, today);
    Outcome {
        code: i32::from(status.code()),
        stdout: String::from_utf8(printed.stdout).unwrap(),
        stderr: String::from_utf8(printed.stderr).unwrap(),
    }
}

/// Runs the `paved` binary in `dir` as if today were `today`.
pub fn paved_process(dir: &Path, args: &[&str], today: &str) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_paved"))
        .args(args)
        .arg("--color=never")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PAVED_TODAY", today)
        .output()
        .expect("paved runs");
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs `work` on threads of its own where every text the quick YAML
/// reader reads is compared with the full parser's reading (a
/// disagreement panics): renders on other threads skip that cost.
pub fn cross_checking<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .start_handler(|_| paved::input::yaml::cross_check_quick_reader())
        .build()
        .expect("worker threads start")
        .install(work)
}

/// Generated organisations of any size (shared with the benchmarks).
#[path = "../benches/synthetic/mod.rs"]
pub mod synthetic;
