//! The main line as the metrics read it: which branch, which window of
//! time, and what each changed manifest runs (its release and
//! environment). Also the small arithmetic every metric shares: medians,
//! weeks, durations for people.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::input::source::git::GitRepo;
use crate::input::source::git::history::MainLine;
use crate::support::block_yaml;
use crate::support::date::{date_of_epoch_day, duration_seconds, epoch_day};
use crate::support::kube::pod_template_pointer;
use crate::support::pointer::pointer_push;

pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;

/// What a rendered `manifest.yaml` runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestFacts {
    /// The workload's first container's image, as rendered.
    pub image: Option<String>,
    /// The release: the image's digest when it has one, else its tag.
    pub release: Option<String>,
    /// The `paved.dev/environment` label of the workload.
    pub environment: Option<String>,
}

/// Reads what a unit's manifest runs. Only the workload's document is
/// read: documents are split at `---` lines, and a document's kind is
/// the top-level `kind:` line (paved writes block YAML, where nested keys
/// and block text are always indented). In the plain block style paved
/// writes, its two strings are read without building the document.
pub fn manifest_facts(text: &str) -> ManifestFacts {
    for document in text.split("\n---\n") {
        let kind = document
            .lines()
            .find_map(|line| line.strip_prefix("kind: "))
            .map(|kind| kind.trim().trim_matches('"'));
        let Some(template) = kind.and_then(pod_template_pointer) else {
            continue;
        };
        let image_path: Vec<&str> = template
            .split('/')
            .skip(1)
            .chain(["spec", "containers", "0", "image"])
            .collect();
        let environment_path = ["metadata", "labels", "paved.dev/environment"];
        let (image, environment) =
            match block_yaml::strings(document, &[&image_path, &environment_path]) {
                Some(found) => {
                    let mut found = found.into_iter();
                    (found.next().flatten(), found.next().flatten())
                }
                None => {
                    let Ok(value) = serde_yaml::from_str::<Value>(document) else {
                        continue;
                    };
                    let string = |path: &[&str]| {
                        let pointer = path.iter().fold(String::new(), |p, s| pointer_push(&p, s));
                        value
                            .pointer(&pointer)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    };
                    (string(&image_path), string(&environment_path))
                }
            };
        let release = image.as_deref().and_then(release_of);
        return ManifestFacts {
            image,
            release,
            environment,
        };
    }
    ManifestFacts::default()
}

/// The release an image reference names: its digest, else its tag.
pub fn release_of(image: &str) -> Option<String> {
    if let Some((_, digest)) = image.split_once('@') {
        return Some(digest.to_owned());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, tag)| tag.to_owned())
}

/// The stretch of time a report covers: `since` before the end of `to`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    /// As asked for (`90d`).
    pub since: String,
    /// First and last day, `YYYY-MM-DD`.
    pub from_date: String,
    pub to_date: String,
    /// Seconds since the epoch: the start, and the end (exclusive).
    #[serde(skip)]
    pub from: i64,
    #[serde(skip)]
    pub to: i64,
}

impl Window {
    /// `since` (`90d`, `12w`) before the end of `today`.
    pub fn new(since: &str, today: &str) -> Result<Window, Diagnostic> {
        let length = duration_seconds(since)
            .filter(|s| *s >= DAY)
            .ok_or_else(|| {
                Diagnostic::error(format!(
                    "`--since {since}` is not a length of time paved reads"
                ))
                .help("write a whole number of days or weeks, such as `90d` or `12w`")
            })?;
        let day = epoch_day(today).ok_or_else(|| {
            Diagnostic::error(format!("today's date `{today}` is not a calendar date"))
                .help("`PAVED_TODAY` must be written `YYYY-MM-DD`")
        })?;
        let to = (day + 1) * DAY;
        let from = to - length;
        Ok(Window {
            since: since.to_owned(),
            from_date: date_of_epoch_day(from.div_euclid(DAY)),
            to_date: today.to_owned(),
            from,
            to,
        })
    }

    pub fn contains(&self, time: i64) -> bool {
        (self.from..self.to).contains(&time)
    }

    pub fn days(&self) -> f64 {
        (self.to - self.from) as f64 / DAY as f64
    }

    /// The weeks (Monday to Sunday, UTC) the window touches: the start of
    /// each, and its Monday's date.
    pub fn weeks(&self) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        let mut start = self.first_monday();
        while start < self.to {
            out.push((start, date_of_epoch_day(start / DAY)));
            start += WEEK;
        }
        out
    }

    /// The index in [`Window::weeks`] of the week holding `time`.
    pub fn week_of(&self, time: i64) -> usize {
        usize::try_from((time - self.first_monday()).div_euclid(WEEK)).unwrap_or(0)
    }

    /// The start of the Monday on or before the window's first day.
    fn first_monday(&self) -> i64 {
        // 1970-01-01 was a Thursday: Mondays are 4 days after a multiple of 7.
        let first_day = self.from.div_euclid(DAY);
        (first_day - (first_day - 4).rem_euclid(7)) * DAY
    }
}

/// The branch history is read from: `rev` when given, else the branch
/// Argo CD follows (`platform.yaml` `targetRevision`), locally or as
/// `origin`'s.
pub fn open(root: &Path, repo: &Repo, rev: Option<&str>) -> Result<(GitRepo, String), Diagnostic> {
    let git = GitRepo::open(root).map_err(|error| {
        Diagnostic::error(error.to_string())
            .help("metrics are read from git history: run paved in a clone of the repository")
    })?;
    let rev = match rev {
        Some(rev) => rev.to_owned(),
        None => {
            let branch = &repo.platform.value.target_revision;
            let candidates = [branch.clone(), format!("origin/{branch}")];
            git.first_commit_of(&candidates).ok_or_else(|| {
                Diagnostic::error(format!(
                    "there is no branch `{branch}` or `origin/{branch}` to read the history of"
                ))
                .help("history is read from the branch Argo CD follows (`platform.yaml` `targetRevision`); pass `--rev REF` to read another, such as `--rev HEAD`")
            })?
        }
    };
    Ok((git, rev))
}

/// Reads the main line ending at `rev`, with what each changed manifest runs.
pub fn read(git: &GitRepo, rev: &str) -> Result<MainLine<ManifestFacts>, Diagnostic> {
    git.main_line(rev, manifest_facts).map_err(|error| {
        Diagnostic::error(error.to_string())
            .help("use a branch, tag or commit id, such as `main` or `HEAD`")
    })
}

/// A time for people and machines: `2026-11-27T14:05:00Z`.
pub fn timestamp(seconds: i64) -> String {
    let day = seconds.div_euclid(DAY);
    let rest = seconds.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of_epoch_day(day),
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] as f64 + sorted[middle] as f64) / 2.0
    } else {
        sorted[middle] as f64
    })
}

/// Rounds to two decimals, so reports do not carry float noise.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A duration for people: `40m`, `5.5h`, `3.2d`.
pub fn human_duration(seconds: f64) -> String {
    if seconds < 3_600.0 {
        format!("{:.0}m", seconds / 60.0)
    } else if seconds < 2.0 * DAY as f64 {
        format!("{:.1}h", seconds / 3_600.0)
    } else {
        format!("{:.1}d", seconds / DAY as f64)
    }
}
