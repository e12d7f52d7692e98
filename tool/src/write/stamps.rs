//! What `write::hashes` last found, so that a tree nobody touched is
//! not read again: for each file, its sha256 beside what the file system
//! said of it then (size, modification and change times, inode, device).
//! A file whose stamp is the same is the same file, unchanged: writing it
//! moves its change time, which nobody can set back (as `git status`
//! trusts its index). Kept in `rendered/.paved-hashes`, which this
//! machine alone can use: a copy from another clone, committed or not,
//! names other inodes and times, and is simply not matched.
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
const HEADER: &str = "paved-hashes 1";
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
        format!(
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

/// The record read from `rendered/`: each file's stamp and hash.
#[derive(Debug, Default)]
pub struct Record {
    entries: HashMap<String, (Stamp, String)>,
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
        let entries = lines.map(parse_line).collect::<Option<HashMap<_, _>>>();
        Record {
            entries: entries.unwrap_or_default(),
        }
    }

    /// The hash recorded for the file `relative` if it still has `stamp`.
    pub fn hash(&self, relative: &str, stamp: &Stamp) -> Option<&str> {
        match self.entries.get(relative) {
            Some((recorded, hash)) if recorded == stamp => Some(hash),
            _ => None,
        }
    }

    /// Whether the record already says exactly what `found` does.
    fn says(&self, found: &[(&str, Stamp, &str)]) -> bool {
        self.entries.len() == found.len()
            && found
                .iter()
                .all(|(relative, stamp, hash)| self.hash(relative, stamp) == Some(hash))
    }

    /// Records `found` (path, stamp, hash) in `dir` through `pending`,
    /// leaving out files whose times were not settled when it was made,
    /// unless the record says so already. Best effort: a record that
    /// cannot be written only means the next run reads the files again.
    pub fn update(&self, dir: &Path, found: &[(&str, Stamp, &str)], pending: Option<Pending>) {
        let Some(mut pending) = pending else {
            return;
        };
        // A name with a line break would read back as two lines.
        let kept: Vec<(&str, Stamp, &str)> = found
            .iter()
            .filter(|(relative, stamp, _)| {
                stamp.settled(pending.now) && !relative.contains(['\n', '\r'])
            })
            .copied()
            .collect();
        if self.says(&kept) {
            return;
        }
        let mut text = String::with_capacity(kept.len() * 160);
        text.push_str(HEADER);
        text.push('\n');
        for (relative, stamp, hash) in &kept {
            text.push_str(&format!("{hash} {} {relative}\n", stamp.to_text()));
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

fn parse_line(line: &str) -> Option<(String, (Stamp, String))> {
    let mut fields = line.splitn(7, ' ');
    let hash = fields.next()?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let stamp = Stamp {
        size: fields.next()?.parse().ok()?,
        modified: fields.next()?.parse().ok()?,
        changed: fields.next()?.parse().ok()?,
        inode: fields.next()?.parse().ok()?,
        device: fields.next()?.parse().ok()?,
    };
    let relative = fields.next()?;
    Some((relative.to_owned(), (stamp, hash.to_owned())))
}
