//! Diagnostics: every problem paved reports about its inputs, located at a
//! file, line, column and field (`output` prints them with the offending
//! line, or as JSON).
//!
//! Stages return `(T, Vec<Diagnostic>)` rather than stopping at the first
//! problem, so one run shows all of a pull request's mistakes.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file. Lines and columns count from 1; columns
/// count characters, as editors do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    /// Byte range in the file's text.
    pub bytes: Range<usize>,
}

impl Span {
    /// The span from `line` and `column` (counting from 1) to the end of
    /// that line in `text`.
    pub fn at_line(text: &str, line: usize, column: usize) -> Option<Span> {
        let mut offset = 0;
        for (index, content) in text.split_inclusive('\n').enumerate() {
            if index + 1 == line {
                let start = offset
                    + content
                        .char_indices()
                        .nth(column.saturating_sub(1))
                        .map_or(content.len(), |(byte, _)| byte);
                let end = offset + content.trim_end().len().max(start - offset);
                return Some(Span {
                    line,
                    column,
                    bytes: start..end.max(start),
                });
            }
            offset += content.len();
        }
        None
    }
}

impl Ord for Span {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.line, self.column, self.bytes.start, self.bytes.end).cmp(&(
            other.line,
            other.column,
            other.bytes.start,
            other.bytes.end,
        ))
    }
}

impl PartialOrd for Span {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a diagnostic points: a repository-relative path and, when known, a
/// span in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub span: Option<Span>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            span: None,
        }
    }

    pub fn at(file: impl Into<String>, span: Span) -> Self {
        Location {
            file: file.into(),
            span: Some(span),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    pub location: Option<Location>,
    pub severity: Severity,
    pub message: String,
    /// The field the problem is about, as a dotted path (`environments.prod.replicas`).
    pub field: Option<String>,
    /// A short text shown under the offending span.
    pub label: Option<String>,
    /// What would be accepted, or how to fix it.
    pub help: Vec<String>,
    /// The rendered resource the problem is in (`Deployment shop/web`).
    pub subject: Option<String>,
    /// The clusters where the problem shows (merged across clusters).
    pub clusters: Vec<String>,
    /// The rule broken, for policy findings (`pss/privileged`).
    pub code: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            location: None,
            severity: Severity::Error,
            message: message.into(),
            field: None,
            label: None,
            help: Vec::new(),
            subject: None,
            clusters: Vec::new(),
            code: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn in_file(self, file: impl Into<String>) -> Self {
        self.at(Location::file(file))
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if !field.is_empty() {
            self.field = Some(field);
        }
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// What makes two reports the same problem: all but the help and the
    /// clusters.
    #[allow(clippy::type_complexity)]
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        &Option<Location>,
        Severity,
        &str,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &Option<String>,
    ) {
        (
            &self.location,
            self.severity,
            &self.message,
            &self.field,
            &self.label,
            &self.subject,
            &self.code,
        )
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.clusters.push(cluster.into());
        self
    }
}

/// Sorts diagnostics by file and position and drops exact repeats (the same
/// mistake seen from several clusters is reported once).
pub fn normalize(diagnostics: &mut Vec<Diagnostic>) {
    // Stable: of several reports of one problem, the first (in unit order) stays.
    diagnostics.sort_by(|a, b| a.key().cmp(&b.key()));
    let mut merged: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    let mut repeats = 0;
    for diagnostic in diagnostics.drain(..) {
        match merged.last_mut() {
            Some(last) if last.key() == diagnostic.key() => {
                // Another cluster's report of it is named in `clusters`;
                // anything else is another place with the same problem.
                let new_cluster = diagnostic
                    .clusters
                    .iter()
                    .any(|c| !last.clusters.contains(c));
                if last.help != diagnostic.help && !new_cluster {
                    repeats += 1;
                }
                for cluster in diagnostic.clusters {
                    if !last.clusters.contains(&cluster) {
                        last.clusters.push(cluster);
                    }
                }
            }
            _ => {
                close_repeats(&mut merged, repeats);
                repeats = 0;
                merged.push(diagnostic);
            }
        }
    }
    close_repeats(&mut merged, repeats);
    for diagnostic in &mut merged {
        diagnostic.clusters.sort();
    }
    *diagnostics = merged;
}

fn close_repeats(merged: &mut [Diagnostic], repeats: usize) {
    if let (Some(last), 1..) = (merged.last_mut(), repeats) {
        let places = if repeats == 1 { "place" } else { "places" };
        last.help.push(format!(
            "the same problem appears in {repeats} more {places}"
        ));
    }
}

pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// The text of every file a diagnostic may point into, so that the
/// offending line can be shown.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Sources {
    files: BTreeMap<String, Arc<str>>,
}

impl Sources {
    pub fn insert(&mut self, path: impl Into<String>, text: Arc<str>) {
        self.files.insert(path.into(), text);
    }

    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        self.files.get(path)
    }

    /// Every file, by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<str>)> {
        self.files.iter().map(|(path, text)| (path.as_str(), text))
    }

    pub fn extend(&mut self, other: Sources) {
        self.files.extend(other.files);
    }

    /// Only the files `diagnostics` point into: all they need to be shown.
    pub fn pointed_at(&self, diagnostics: &[Diagnostic]) -> Sources {
        let files = diagnostics
            .iter()
            .filter_map(|diagnostic| diagnostic.location.as_ref())
            .filter_map(|location| {
                let text = self.files.get(&location.file)?;
                Some((location.file.clone(), text.clone()))
            })
            .collect();
        Sources { files }
    }

    /// Masks `secret` wherever it appears in `path`'s text, so that no
    /// snippet shows it. Each byte becomes `*`: spans stay where they were.
    /// A multi-line secret is masked line by line; a very short one only
    /// where it stands alone as a value.
    pub fn redact(&mut self, path: &str, secret: &str) {
        let Some(text) = self.files.get(path) else {
            return;
        };
        let mut bytes = text.as_bytes().to_vec();
        let mut changed = false;
        for part in secret.lines().map(str::trim).filter(|p| !p.is_empty()) {
            let mut from = 0;
            while let Some(at) = find(&bytes[from..], part.as_bytes()) {
                let start = from + at;
                let end = start + part.len();
                let alone = part.len() >= 4 || {
                    let before = start.checked_sub(1).map(|i| bytes[i]);
                    let after = bytes.get(end).copied();
                    before.is_none_or(|b| b" :=\"'-[,".contains(&b))
                        && after.is_none_or(|b| b"\r\n\"' ,]}#".contains(&b))
                };
                if alone {
                    bytes[start..end].fill(b'*');
                    changed = true;
                }
                from = end;
            }
        }
        if changed {
            let masked = String::from_utf8(bytes).expect("only whole characters are masked");
            self.files.insert(path.to_owned(), masked.into());
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One input line that breaks many resources (a bad platform label, a
/// template typo) is reported once, naming how many resources it breaks.
pub fn merge_common_causes(diagnostics: &mut Vec<Diagnostic>) {
    let mut merged: Vec<(Diagnostic, usize)> = Vec::new();
    let mut seen: std::collections::HashMap<(Location, Severity, String, Option<String>), usize> =
        std::collections::HashMap::new();
    for diagnostic in diagnostics.drain(..) {
        let key = diagnostic
            .location
            .clone()
            .filter(|l| l.span.is_some())
            .map(|location| {
                (
                    location,
                    diagnostic.severity,
                    diagnostic.message.clone(),
                    diagnostic.code.clone(),
                )
            });
        match key.as_ref().and_then(|key| seen.get(key)) {
            Some(&index) => {
                let (first, count) = &mut merged[index];
                *count += 1;
                for cluster in diagnostic.clusters {
                    if !first.clusters.contains(&cluster) {
                        first.clusters.push(cluster);
                    }
                }
            }
            None => {
                if let Some(key) = key {
                    seen.insert(key, merged.len());
                }
                merged.push((diagnostic, 0));
            }
        }
    }
    *diagnostics = merged
        .into_iter()
        .map(|(mut diagnostic, more)| {
            if more > 0 {
                if let Some(subject) = &mut diagnostic.subject {
                    let noun = if more == 1 { "resource" } else { "resources" };
                    subject.push_str(&format!(" (and {more} more {noun})"));
                }
                diagnostic.clusters.sort();
            }
            diagnostic
        })
        .collect();
}
