//! What this clone's last unfocused `validate` and `policy` concluded,
//! so that a run on inputs nobody touched since answers at once. Kept in
//! `rendered/.paved-verdicts` (local: `.gitignore` it).
//!
//! Such a verdict depends on nothing but the paved, the day and the
//! inputs (`input::load::inputs`: neither `rendered/` nor git is read),
//! so it is recorded beside all three, and beside the stamp of every
//! input file ([`Stamp`]: inodes and change times, which nobody can set).
//! The stamps are the anchor: a record copied from another clone, or
//! committed by a pull request, names other stamps and is not matched, so
//! CI on a fresh clone always works in full. A verdict is recorded only
//! when no input file's stamp moved while it was reached, and recalled
//! only while every input still hashes and stamps as recorded.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::stamps::Stamp;

/// The record's name inside `rendered/` (local: `.gitignore` it).
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
    /// Every input file, to stamp again when a verdict is recorded.
    files: Vec<String>,
    held: Held,
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
    /// `input::load::inputs` reads them under `root`) under `conditions`
    /// (the paved and the day). `None` where an input file has no stamp
    /// (a system without inodes and change times).
    pub fn open(
        root: &Path,
        dir: &Path,
        inputs: &BTreeMap<String, String>,
        conditions: String,
    ) -> Option<Verdicts> {
        let files: Vec<String> = inputs
            .keys()
            .filter(|path| !path.ends_with('/'))
            .cloned()
            .collect();
        let mut hashed = String::with_capacity(inputs.len() * 120);
        for (path, hash) in inputs {
            hashed.push_str(&format!("{path}\0{hash}\n"));
        }
        let anchor = anchor(root, &files)?;
        Some(Verdicts {
            dir: dir.to_owned(),
            root: root.to_owned(),
            files,
            held: Held {
                conditions,
                inputs: crate::support::hash::sha256(hashed.as_bytes()),
                anchor,
            },
        })
    }

    /// The verdict recorded for `key` under the conditions and inputs
    /// this clone holds now, if any.
    pub fn recall<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let mut record = self.read()?;
        if record.held != self.held {
            return None;
        }
        serde_json::from_value(record.verdicts.remove(key)?).ok()
    }

    /// Records `verdict` for `key`, beside the verdicts for other keys
    /// reached under the same inputs, unless an input file was touched
    /// since [`Verdicts::open`] stamped them. Best effort: a record that
    /// cannot be written only means the next run works in full. Never
    /// makes `rendered/`, nor writes through a symlink.
    pub fn record(&self, key: &str, verdict: &impl Serialize) {
        let real_dir = fs::symlink_metadata(&self.dir).is_ok_and(|meta| meta.is_dir());
        if !real_dir || anchor(&self.root, &self.files).as_ref() != Some(&self.held.anchor) {
            return;
        }
        let Ok(verdict) = serde_json::to_value(verdict) else {
            return;
        };
        let mut verdicts = match self.read() {
            Some(record) if record.held == self.held => record.verdicts,
            _ => BTreeMap::new(),
        };
        verdicts.insert(key.to_owned(), verdict);
        let record = Record {
            format: FORMAT.to_owned(),
            held: self.held.clone(),
            verdicts,
        };
        let Ok(text) = serde_json::to_string(&record) else {
            return;
        };
        // Made new, then renamed into place: whatever stood at the
        // temporary name is removed, never written through, and a reader
        // sees the old record or the new one.
        let path = self.dir.join(format!("{VERDICTS}.{}", std::process::id()));
        let _ = fs::remove_file(&path);
        let written =
            fs::File::create_new(&path).and_then(|mut file| file.write_all(text.as_bytes()));
        if written.is_err() || fs::rename(&path, self.dir.join(VERDICTS)).is_err() {
            let _ = fs::remove_file(&path);
        }
    }

    /// The record in `rendered/`, if it is a plain file of this format.
    fn read(&self) -> Option<Record> {
        let path = self.dir.join(VERDICTS);
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_RECORD_BYTES {
            return None;
        }
        let record: Record = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
        (record.format == FORMAT).then_some(record)
    }
}

/// The sha256 of every file's path and stamp (`None` if one has no
/// stamp; a file gone is stamped as gone).
fn anchor(root: &Path, files: &[String]) -> Option<String> {
    use rayon::prelude::*;
    let stamps: Vec<Option<String>> = files
        .par_iter()
        .map(|path| match fs::symlink_metadata(root.join(path)) {
            Ok(meta) => Stamp::of(&meta).map(Stamp::to_text),
            Err(_) => Some("gone".to_owned()),
        })
        .collect();
    let mut text = String::with_capacity(files.len() * 100);
    for (path, stamp) in files.iter().zip(stamps) {
        text.push_str(&format!("{path}\0{}\n", stamp?));
    }
    Some(crate::support::hash::sha256(text.as_bytes()))
}

/// Whether a name in `rendered/` is the record's or one being written
/// (`.paved-verdicts.<process id>`).
pub fn is_record(name: &str) -> bool {
    super::stamps::is_named(name, VERDICTS)
}
