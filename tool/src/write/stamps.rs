//! What `write::hashes` last found, so that a tree nobody touched is
//! not read again: for each file, its sha256 beside what the file system
//! said of it then (size, modification and change times, inode, device).
//! A file whose stamp is the same is the same file, unchanged: writing it
//! moves its change time, which nobody can set back (as `git status`
//! trusts its index). Kept in `rendered/.paved-hashes`, which this
//! machine alone can use: a copy from another clone, committed or not,
//! names other inodes and times, and is simply not matched.
//!
//! A folder is recorded too, with the stamp it had before its entries
//! were read, once every entry in it is: its times move whenever an
//! entry is made, removed or renamed in it, so a folder that still has
//! that stamp holds the entries the record gives it, which are not read
//! again. (`rendered/` itself, where paved's own files come and go, is
//! always read.)
//!
//! A file's times are trusted only once they are [`SETTLED`] in the past
//! by the file system's own clock: on a file system whose clock ticks
//! coarsely, a file rewritten within the tick it was stamped in would
//! keep its stamp.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The record's name inside `rendered/` (local, git-ignored).
pub const HASHES: &str = ".paved-hashes";
/// The record's first line: a record of another format is not used.
const HEADER: &str = "paved-hashes 2";
/// The largest record read: one line per file, for a tree of a million
/// files.
const MAX_RECORD_BYTES: u64 = 256 << 20;
/// How far in the past both times of a file must lie for its stamp to be
/// recorded: longer than any file system's clock tick (FAT's is 2 s).
pub const SETTLED: Duration = Duration::from_secs(3);

/// What the file system says of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    /// Nanoseconds since the epoch.
    modified: i128,
    changed: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    /// The stamp of a file's metadata (`None` where the system has no
    /// change times and inodes to go by).
    #[cfg(unix)]
    pub fn of(meta: &fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let nanos =
            |seconds: i64, nanos: i64| i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        Some(Stamp {
            size: meta.size(),
            modified: nanos(meta.mtime(), meta.mtime_nsec()),
            changed: nanos(meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
            device: meta.dev(),
        })
    }

    #[cfg(not(unix))]
    pub fn of(_: &fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Whether both times lie [`SETTLED`] before `now` (nanoseconds since
    /// the epoch).
    fn settled(&self, now: i128) -> bool {
        self.settled_by() <= now
    }

    /// When both times lie [`SETTLED`] in the past (nanoseconds since the
    /// epoch).
    pub(super) fn settled_by(&self) -> i128 {
        self.modified.max(self.changed) + SETTLED.as_nanos() as i128
    }

    /// The change time (nanoseconds since the epoch).
    pub(super) fn changed(&self) -> i128 {
        self.changed
    }

    pub(super) fn to_text(self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.size, self.modified, self.changed, self.inode, self.device
        )
    }
}

/// A record about to be written, made before any file is looked at: its
/// change time is then "now" by the clock of the file system itself (a
/// network file system's server's, which may differ from this
/// machine's), which the files' times are compared with. Removed unless
/// it is put in place.
pub struct Pending {
    file: fs::File,
    path: PathBuf,
    now: i128,
}

impl Pending {
    /// Makes `.paved-hashes.<process id>` in `dir`, new: whatever stood at
    /// that name (a symlink out of `rendered/`, say) is removed, never
    /// written through. `None` where no record can be made or stamped.
    pub fn start(dir: &Path) -> Option<Pending> {
        let path = dir.join(format!("{HASHES}.{}", std::process::id()));
        let _ = fs::remove_file(&path);
        let file = fs::File::create_new(&path).ok()?;
        let stamp = file.metadata().ok().and_then(|meta| Stamp::of(&meta));
        let mut pending = Pending { file, path, now: 0 };
        // Without a stamp, dropped here: the file is removed.
        pending.now = stamp?.changed;
        Some(pending)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The record read from `rendered/`: each file's stamp and hash, each
/// folder's stamp and what it held.
#[derive(Debug, Default)]
pub struct Record {
    entries: HashMap<String, (Stamp, String)>,
    folders: HashMap<String, Folder>,
}

/// A folder in the record: its stamp, and its folders and files (by path
/// relative to `rendered/`).
#[derive(Debug)]
struct Folder {
    stamp: Stamp,
    folders: Vec<PathBuf>,
    files: Vec<String>,
}

/// A line of the record.
enum Line {
    File(String, Stamp, String),
    Folder(String, Stamp),
}

impl Record {
    /// The record in `dir`; empty when there is none, or it is not one
    /// this paved wrote.
    pub fn read(dir: &Path) -> Record {
        // Only a plain file (a symlink, say committed by a pull request,
        // is not followed), and only of a size paved could have written.
        let path = dir.join(HASHES);
        let plain = fs::symlink_metadata(&path)
            .is_ok_and(|meta| meta.is_file() && meta.len() <= MAX_RECORD_BYTES);
        let text = plain.then(|| fs::read_to_string(&path).ok()).flatten();
        let Some(text) = text else {
            return Record::default();
        };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Record::default();
        }
        // Parsed on every thread: tens of thousands of lines.
        let lines: Vec<&str> = lines.collect();
        let parsed = {
            use rayon::prelude::*;
            lines.par_iter().map(|line| parse_line(line)).collect()
        };
        let Some(lines): Option<Vec<Line>> = parsed else {
            return Record::default();
        };
        let files = lines
            .iter()
            .filter(|line| matches!(line, Line::File(..)))
            .count();
        let mut record = Record {
            entries: HashMap::with_capacity(files),
            folders: HashMap::with_capacity(lines.len() - files),
        };
        for line in lines {
            match line {
                Line::File(relative, stamp, hash) => {
                    record.entries.insert(relative, (stamp, hash));
                }
                Line::Folder(relative, stamp) => {
                    let folder = Folder {
                        stamp,
                        folders: Vec::new(),
                        files: Vec::new(),
                    };
                    record.folders.insert(relative, folder);
                }
            }
        }
        // Each entry under the folder it is in, where that is recorded.
        let folders: Vec<String> = record.folders.keys().cloned().collect();
        for relative in folders {
            if let Some(folder) = parent(&relative).and_then(|it| record.folders.get_mut(it)) {
                folder.folders.push(PathBuf::from(relative));
            }
        }
        for relative in record.entries.keys() {
            if let Some(folder) = parent(relative).and_then(|it| record.folders.get_mut(it)) {
                folder.files.push(relative.clone());
            }
        }
        record
    }

    /// The folders and files the folder `relative` held when it was
    /// recorded, if it still has `stamp`.
    pub fn entries_of(&self, relative: &str, stamp: &Stamp) -> Option<(Vec<PathBuf>, Vec<String>)> {
        let folder = self.folders.get(relative)?;
        (folder.stamp == *stamp).then(|| (folder.folders.clone(), folder.files.clone()))
    }

    /// The hash recorded for the file `relative` if it still has `stamp`.
    pub fn hash(&self, relative: &str, stamp: &Stamp) -> Option<&str> {
        match self.entries.get(relative) {
            Some((recorded, hash)) if recorded == stamp => Some(hash),
            _ => None,
        }
    }

    /// Whether the record already says exactly what `found` and `folders`
    /// do.
    fn says(&self, found: &[(&str, Stamp, &str)], folders: &[(&str, Stamp)]) -> bool {
        self.entries.len() == found.len()
            && self.folders.len() == folders.len()
            && found
                .iter()
                .all(|(relative, stamp, hash)| self.hash(relative, stamp) == Some(hash))
            && folders.iter().all(|(relative, stamp)| {
                self.folders
                    .get(*relative)
                    .is_some_and(|folder| folder.stamp == *stamp)
            })
    }

    /// Records `found` (path, stamp, hash) and `folders` (every folder
    /// below `dir`, with its stamp if it could be taken) in `dir` through
    /// `pending`, leaving out what was not settled when it was made, and a
    /// folder holding anything left out, unless the record says so
    /// already. Best effort: a record that cannot be written only means
    /// the next run reads the files again.
    pub fn update(
        &self,
        dir: &Path,
        found: &[(&str, Stamp, &str)],
        folders: &[(&str, Option<Stamp>)],
        pending: Option<Pending>,
    ) {
        let Some(mut pending) = pending else {
            return;
        };
        // A name with a line break would read back as two lines.
        let keeps = |relative: &str, stamp: &Stamp| {
            stamp.settled(pending.now) && !relative.contains(['\n', '\r'])
        };
        let kept: Vec<(&str, Stamp, &str)> = found
            .iter()
            .filter(|(relative, stamp, _)| keeps(relative, stamp))
            .copied()
            .collect();
        // A folder is recorded when every entry in it is: the deepest
        // first, each counting what is left out of it.
        let mut left_out: HashMap<&str, usize> = HashMap::new();
        for (relative, stamp, _) in found {
            if !keeps(relative, stamp) {
                *left_out
                    .entry(parent(relative).unwrap_or_default())
                    .or_default() += 1;
            }
        }
        let mut deepest_first: Vec<&(&str, Option<Stamp>)> = folders.iter().collect();
        deepest_first
            .sort_by_cached_key(|(relative, _)| std::cmp::Reverse(relative.matches('/').count()));
        let mut kept_folders = Vec::new();
        for (relative, stamp) in deepest_first {
            match stamp {
                Some(stamp) if keeps(relative, stamp) && !left_out.contains_key(relative) => {
                    kept_folders.push((*relative, *stamp));
                }
                _ => {
                    *left_out
                        .entry(parent(relative).unwrap_or_default())
                        .or_default() += 1
                }
            }
        }
        kept_folders.sort_by_key(|(relative, _)| *relative);
        if self.says(&kept, &kept_folders) {
            return;
        }
        let mut text = String::with_capacity((kept.len() + kept_folders.len()) * 160);
        text.push_str(HEADER);
        text.push('\n');
        // Written straight into the text: tens of thousands of lines.
        use std::fmt::Write as _;
        for (relative, stamp) in &kept_folders {
            let _ = writeln!(text, "- {stamp} {relative}");
        }
        for (relative, stamp, hash) in &kept {
            let _ = writeln!(text, "{hash} {stamp} {relative}");
        }
        // Renamed into place once written: a reader sees the old record or
        // the new one, never half of one.
        if pending.file.write_all(text.as_bytes()).is_ok() {
            let _ = fs::rename(&pending.path, dir.join(HASHES));
        }
    }
}

/// Whether a name in `rendered/` is the record's or one being written
/// (`.paved-hashes.<process id>`), exactly: any other name is a file
/// like the others, which `check` reports.
pub fn is_record(name: &str) -> bool {
    is_named(name, HASHES)
}

/// Whether `name` is `record` or `record.<process id>`, exactly.
pub(super) fn is_named(name: &str, record: &str) -> bool {
    name == record
        || name
            .strip_prefix(record)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The folder `relative` is in (`""` for the top), or `None` for the top
/// itself.
fn parent(relative: &str) -> Option<&str> {
    match relative {
        "" => None,
        _ => Some(relative.rsplit_once('/').map_or("", |(parent, _)| parent)),
    }
}

/// A file's line (`<sha256> <stamp> <path>`) or a folder's (`- <stamp>
/// <path>`).
fn parse_line(line: &str) -> Option<Line> {
    let mut fields = line.splitn(7, ' ');
    let hash = fields.next()?;
    let folder = hash == "-";
    if !folder && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit())) {
        return None;
    }
    let stamp = Stamp {
        size: fields.next()?.parse().ok()?,
        modified: fields.next()?.parse().ok()?,
        changed: fields.next()?.parse().ok()?,
        inode: fields.next()?.parse().ok()?,
        device: fields.next()?.parse().ok()?,
    };
    let relative = fields.next()?.to_owned();
    Some(match folder {
        true => Line::Folder(relative, stamp),
        false => Line::File(relative, stamp, hash.to_owned()),
    })
}
