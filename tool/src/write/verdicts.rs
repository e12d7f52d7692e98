//! What this clone's last unfocused `validate` and `policy` concluded,
//! and what its last `check` without a base found the inputs render, so
//! that a run on inputs nobody touched since answers at once. Kept in
//! `rendered/.paved-verdicts` (local: `rendered/.gitignore` names it).
//!
//! Such a verdict depends on nothing but the paved, the day and the
//! inputs (`input::load::inputs`: neither `rendered/` nor git is read),
//! so it is recorded beside all three, and beside the stamp of every
//! input file ([`Stamp`]: inodes and change times, which nobody can set).
//! The stamps are the anchor: a record copied from another clone, or
//! committed by a pull request, names other stamps and is not matched, so
//! CI on a fresh clone always works in full. Every input folder is
//! stamped too (a file added or removed moves its folder's times), and
//! a symlinked input both as the link and as what it points to. A
//! verdict is recorded only when every stamp was settled when the run
//! began (`write::SETTLED` in the past by the file system's clock, so
//! that no edit during the run can keep a stamp on a coarse clock), no
//! stamp moved while the verdict was reached, and the day did not
//! change; it is recalled only while every input still hashes and stamps
//! as recorded.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::stamps::Stamp;

/// The record's name inside `rendered/` (local, git-ignored).
pub const VERDICTS: &str = ".paved-verdicts";
/// The record's format: a record of another is not used.
const FORMAT: &str = "paved-verdicts 1";
/// The largest record read.
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The conditions a verdict is reached under, as this clone holds them
/// now, and where its record lives.
#[derive(Debug)]
pub struct Verdicts {
    /// `rendered/`.
    dir: PathBuf,
    /// The repository's root, which input paths are relative to.
    root: PathBuf,
    /// Every input, to stamp again when a verdict is recorded.
    paths: Vec<String>,
    /// The day the verdicts are reached on.
    today: String,
    held: Held,
    /// Where a verdict reached in this run is written before it is
    /// renamed into place, made before the inputs were stamped; `None`
    /// when no verdict may be recorded (no real `rendered/`, or a stamp
    /// not settled then).
    pending: Option<Pending>,
}

/// `.paved-verdicts.<process id>`, made new in `rendered/`: its change
/// time is "now" by the file system's own clock. Removed unless renamed
/// into place.
#[derive(Debug)]
struct Pending {
    path: PathBuf,
    file: fs::File,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// What a record holds its verdicts under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Held {
    /// The paved and the day, as the caller names them.
    conditions: String,
    /// The sha256 of every input's path and hash.
    inputs: String,
    /// The sha256 of every input file's path and stamp.
    anchor: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    format: String,
    #[serde(flatten)]
    held: Held,
    /// Each command's verdict, by what it was asked (`validate`,
    /// `policy`, with its options).
    verdicts: BTreeMap<String, serde_json::Value>,
}

impl Verdicts {
    /// The verdicts in `dir` that hold for `inputs` (path to hash, as
    /// `input::load::inputs` reads them under `root`), for the `paved`
    /// that reaches them, `today`. `None` where an input has no stamp (a
    /// system without inodes and change times).
    pub fn open(
        root: &Path,
        dir: &Path,
        inputs: &BTreeMap<String, String>,
        paved: &str,
        today: &str,
    ) -> Option<Verdicts> {
        let paths: Vec<String> = inputs.keys().cloned().collect();
        let mut hashed = String::with_capacity(inputs.len() * 120);
        for (path, hash) in inputs {
            hashed.push_str(path);
            hashed.push('\0');
            hashed.push_str(hash);
            hashed.push('\n');
        }
        let pending = Pending::start(dir);
        let (anchor, settled_by) = anchor(root, &paths)?;
        let now = pending.as_ref().and_then(Pending::now);
        let settled = now.is_some_and(|now| settled_by <= now);
        Some(Verdicts {
            dir: dir.to_owned(),
            root: root.to_owned(),
            paths,
            today: today.to_owned(),
            held: Held {
                conditions: format!("{paved} {today}"),
                inputs: crate::support::hash::sha256(hashed.as_bytes()),
                anchor,
            },
            pending: pending.filter(|_| settled),
        })
    }

    /// The verdict recorded for `key` under the conditions and inputs
    /// this clone holds now, if any.
    pub fn recall<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let mut record = read(&self.dir)?;
        if record.held != self.held {
            return None;
        }
        serde_json::from_value(record.verdicts.remove(key)?).ok()
    }

    /// Records `verdict` for `key`, beside the verdicts for other keys
    /// reached under the same inputs, unless an input was touched since
    /// [`Verdicts::open`] stamped them (or the day changed). Best effort:
    /// a record that cannot be written only means the next run works in
    /// full. Never makes `rendered/`, nor writes through a symlink.
    pub fn record(self, key: &str, verdict: &impl Serialize) {
        let Some(mut pending) = self.pending else {
            return;
        };
        let same =
            anchor(&self.root, &self.paths).is_some_and(|(anchor, _)| anchor == self.held.anchor);
        if !same || crate::support::date::today() != self.today {
            return;
        }
        let Ok(verdict) = serde_json::to_value(verdict) else {
            return;
        };
        let mut verdicts = match read(&self.dir) {
            Some(record) if record.held == self.held => record.verdicts,
            _ => BTreeMap::new(),
        };
        verdicts.insert(key.to_owned(), verdict);
        let record = Record {
            format: FORMAT.to_owned(),
            held: self.held,
            verdicts,
        };
        // (One too large to be read back is not written.)
        let text = serde_json::to_string(&record).ok();
        let Some(text) = text.filter(|text| text.len() as u64 <= MAX_RECORD_BYTES) else {
            return;
        };
        // Renamed into place once written: a reader sees the old record or
        // the new one.
        if pending.file.write_all(text.as_bytes()).is_ok() {
            let _ = fs::rename(&pending.path, self.dir.join(VERDICTS));
        }
    }
}

/// The record in `dir`, if it is a plain file of this format.
fn read(dir: &Path) -> Option<Record> {
    let path = dir.join(VERDICTS);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_RECORD_BYTES {
        return None;
    }
    let record: Record = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    (record.format == FORMAT).then_some(record)
}

impl Pending {
    /// Made new in `dir` (whatever stood at its name is removed, never
    /// written through); `None` unless `dir` is a real directory.
    fn start(dir: &Path) -> Option<Pending> {
        if !fs::symlink_metadata(dir).is_ok_and(|meta| meta.is_dir()) {
            return None;
        }
        let path = dir.join(format!("{VERDICTS}.{}", std::process::id()));
        let _ = fs::remove_file(&path);
        let file = fs::File::create_new(&path).ok()?;
        Some(Pending { path, file })
    }

    /// "Now" by the file system's clock: the file's change time.
    fn now(&self) -> Option<i128> {
        Some(Stamp::of(&self.file.metadata().ok()?)?.changed())
    }
}

/// The sha256 of every input's path and stamps (a folder's as the folder,
/// `teams/` for `teams/`; a symlink's as the link and as what it points
/// to; an input gone as gone), and the time by which every stamp is
/// settled ([`Stamp::settled_by`]). `None` if an input has no stamp.
fn anchor(root: &Path, paths: &[String]) -> Option<(String, i128)> {
    use rayon::prelude::*;
    let stamps: Vec<Option<(String, i128)>> = paths
        .par_iter()
        .map(|path| {
            let path = root.join(path.trim_end_matches('/'));
            let Ok(meta) = fs::symlink_metadata(&path) else {
                return Some(("gone".to_owned(), i128::MIN));
            };
            let link = Stamp::of(&meta)?;
            let mut text = link.to_text();
            let mut settled_by = link.settled_by();
            if meta.file_type().is_symlink() {
                match fs::metadata(&path).ok().map(|meta| Stamp::of(&meta)) {
                    Some(target) => {
                        let target = target?;
                        text.push_str(&format!(" -> {}", target.to_text()));
                        settled_by = settled_by.max(target.settled_by());
                    }
                    None => text.push_str(" -> gone"),
                }
            }
            Some((text, settled_by))
        })
        .collect();
    let mut text = String::with_capacity(paths.len() * 100);
    let mut settled_by = i128::MIN;
    for (path, stamp) in paths.iter().zip(stamps) {
        let (stamp, by) = stamp?;
        settled_by = settled_by.max(by);
        text.push_str(path);
        text.push('\0');
        text.push_str(&stamp);
        text.push('\n');
    }
    Some((crate::support::hash::sha256(text.as_bytes()), settled_by))
}

/// Whether a name in `rendered/` is the record's or one being written
/// (`.paved-verdicts.<process id>`).
pub fn is_record(name: &str) -> bool {
    super::stamps::is_named(name, VERDICTS)
}
