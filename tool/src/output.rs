//! The one output channel. Every command prints through a [`Printer`],
//! which owns the format, the colour and the two streams:
//!
//! - problems are [`Diagnostic`]s: for people on stderr, with the
//!   offending line (codespan-reporting); under `--format json` they go
//!   into the one JSON document the command prints on stdout;
//! - lines for people (progress, summaries) go to stderr in every format;
//! - machine output (JSON, markdown, SARIF, a diff) goes to stdout.
//!
//! Colour follows `--color`, then `NO_COLOR`, `TERM=dumb` and whether the
//! stream is a terminal. A closed pipe (`paved diff | head -1`) ends the
//! process quietly with status 141, as a process killed by SIGPIPE would.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use codespan_reporting::term::termcolor::{Ansi, NoColor, WriteColor};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Location, Severity, Sources};

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything is fine.
    Success,
    /// The command ran and found something (a stale `rendered/`).
    Findings,
    /// Bad input or usage: nothing was done.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Findings => "findings",
            ExitStatus::Error => "error",
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// The exit status of a process whose output pipe was closed.
const CLOSED_PIPE: i32 = 141;

/// What a command prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// A pull-request comment.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether a stream that `is_terminal` gets colour.
    fn resolve(self, is_terminal: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                is_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Where a [`Printer`] writes: the process's own streams, or memory
/// (a command run in-process, as the tests run most commands).
enum Sink {
    Process,
    Memory(Mutex<Captured>),
}

/// One of the two output streams.
#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// What a command run in-process printed.
#[derive(Debug, Default)]
pub struct Captured {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Prints for one command. See the module documentation.
pub struct Printer {
    sink: Sink,
    format: Format,
    stderr_color: bool,
    stdout_color: bool,
    /// Whether long work may show a progress bar (not under `--quiet`).
    progress: bool,
    /// Under `--format json`: what the one document will hold.
    document: Mutex<Document>,
}

#[derive(Default)]
struct Document {
    diagnostics: Vec<Value>,
    result: Map<String, Value>,
}

impl Printer {
    pub fn new(format: Format, color: Color) -> Printer {
        Printer {
            sink: Sink::Process,
            format,
            stderr_color: color.resolve(std::io::stderr().is_terminal()),
            stdout_color: color.resolve(std::io::stdout().is_terminal()),
            progress: false,
            document: Mutex::new(Document::default()),
        }
    }

    /// A printer that keeps what it prints in memory, as if both streams
    /// were pipes: no terminal, so no progress bar and no questions.
    pub fn in_memory(format: Format, color: Color) -> Printer {
        Printer {
            sink: Sink::Memory(Mutex::default()),
            stderr_color: color.resolve(false),
            stdout_color: color.resolve(false),
            ..Printer::new(format, Color::Never)
        }
    }

    /// What an in-memory printer printed (nothing for the process's).
    pub fn into_captured(self) -> Captured {
        match self.sink {
            Sink::Process => Captured::default(),
            Sink::Memory(captured) => captured
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    fn on_terminal(&self, stream: &impl IsTerminal) -> bool {
        matches!(self.sink, Sink::Process) && stream.is_terminal()
    }

    fn write(&self, stream: Stream, bytes: &[u8]) {
        let Sink::Memory(captured) = &self.sink else {
            match stream {
                Stream::Stdout => write_or_exit(&mut std::io::stdout().lock(), bytes),
                Stream::Stderr => write_or_exit(&mut std::io::stderr().lock(), bytes),
            }
            return;
        };
        let mut captured = captured
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match stream {
            Stream::Stdout => captured.stdout.extend_from_slice(bytes),
            Stream::Stderr => captured.stderr.extend_from_slice(bytes),
        }
    }

    /// Allows a progress bar for long work (see [`Printer::progress`]).
    pub fn with_progress(mut self, allowed: bool) -> Printer {
        self.progress = allowed;
        self
    }

    /// A progress bar on stderr for `what` (`rendering`), shown only where
    /// a person watches: allowed (no `--quiet`), output for people, stderr
    /// a terminal, and no `CI` variable (CI logs keep no bars). Cleared
    /// when dropped.
    pub fn progress(&self, what: &str) -> Progress {
        let shown = self.progress
            && self.format == Format::Text
            && self.on_terminal(&std::io::stderr())
            && std::env::var_os("CI").is_none();
        let bar = shown.then(|| {
            // Drawn from the first unit on: loading comes before any count.
            let bar = indicatif::ProgressBar::hidden();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} {wide_bar} {human_pos}/{human_len} units, {eta} left",
                )
                .expect("the progress template parses"),
            );
            bar.set_message(what.to_owned());
            bar
        });
        Progress { bar }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether a person is at the keyboard: standard input and standard
    /// error are terminals, and the output is for people (`paved new`
    /// asks for missing values then).
    pub fn interactive(&self) -> bool {
        self.format == Format::Text
            && self.on_terminal(&std::io::stdin())
            && self.on_terminal(&std::io::stderr())
    }

    /// Whether machine output on stdout may be coloured (a diff).
    pub fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// Reports problems: at once on stderr for people, or into the JSON
    /// document.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic], sources: &Sources) {
        if diagnostics.is_empty() {
            return;
        }
        if self.format == Format::Json {
            let mut document = self.document();
            for diagnostic in diagnostics {
                let json = serde_json::to_value(JsonDiagnostic::from(diagnostic))
                    .expect("diagnostics serialise");
                document.diagnostics.push(json);
            }
            return;
        }
        let mut text = Vec::new();
        if self.stderr_color {
            emit(&mut Ansi::new(&mut text), diagnostics, sources);
        } else {
            emit(&mut NoColor::new(&mut text), diagnostics, sources);
        }
        self.write(Stream::Stderr, &text);
    }

    /// Reports one problem that has no source to show.
    pub fn error(&self, diagnostic: Diagnostic) {
        self.diagnostics(&[diagnostic], &Sources::default());
    }

    /// A line for people, on stderr, in every format.
    pub fn say(&self, line: impl std::fmt::Display) {
        let mut text = line.to_string();
        text.push('\n');
        self.write(Stream::Stderr, text.as_bytes());
    }

    /// Machine output, as is, on stdout.
    pub fn out(&self, text: &str) {
        self.write(Stream::Stdout, text.as_bytes());
    }

    /// Sets a field of the JSON document (`--format json`).
    pub fn result(&self, key: &str, value: impl Serialize) {
        let value = serde_json::to_value(value).expect("results serialise");
        self.document().result.insert(key.to_owned(), value);
    }

    /// Ends the command with `status`. Under `--format json` this prints
    /// the one document: `status`, `exitCode`, `diagnostics` and the
    /// command's own fields.
    pub fn finish(&self, status: ExitStatus) -> ExitStatus {
        if self.format == Format::Json {
            let document = std::mem::take(&mut *self.document());
            let mut out = Map::new();
            out.insert("status".into(), status.name().into());
            out.insert("exitCode".into(), status.code().into());
            out.insert("diagnostics".into(), Value::Array(document.diagnostics));
            out.extend(document.result);
            let mut text =
                serde_json::to_string_pretty(&Value::Object(out)).expect("the document serialises");
            text.push('\n');
            self.out(&text);
        }
        status
    }

    fn document(&self) -> std::sync::MutexGuard<'_, Document> {
        self.document
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Writes all of `bytes`; a closed pipe ends the process quietly.
fn write_or_exit(stream: &mut impl Write, bytes: &[u8]) {
    let written = stream.write_all(bytes).and_then(|()| stream.flush());
    if let Err(error) = written
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(CLOSED_PIPE);
    }
}

/// Longest source line shown whole; longer ones are cut around the span.
const SNIPPET_WIDTH: usize = 160;

/// Prints diagnostics for people.
pub fn emit(out: &mut dyn WriteColor, diagnostics: &[Diagnostic], sources: &Sources) {
    let mut files = SimpleFiles::new();
    let mut ids = BTreeMap::new();
    for (path, text) in sources.iter() {
        ids.insert(path, files.add(path.to_owned(), text.to_string()));
    }
    let config = term::Config::default();
    let styles = term::Styles::default();
    for diagnostic in diagnostics {
        // A span on a very long line (a minified value, a huge string) is
        // told by line and column, with the text around it, not shown.
        let converted = match long_line_excerpt(diagnostic, sources) {
            Some(excerpt) => {
                let mut converted = to_codespan(diagnostic, &BTreeMap::new());
                converted.notes.insert(1, format!("near: {excerpt}"));
                converted
            }
            None => to_codespan(diagnostic, &ids),
        };
        let mut writer = term::StylesWriter::new(&mut *out, &styles);
        if term::emit_to_write_style(&mut writer, &config, &files, &converted).is_err() {
            // The span no longer fits the file: print without the snippet.
            let _ = writeln!(writer, "{}", plain_header(diagnostic));
        }
    }
}

/// The text around a span whose line is too long to show whole.
fn long_line_excerpt(diagnostic: &Diagnostic, sources: &Sources) -> Option<String> {
    let location = diagnostic.location.as_ref()?;
    let span = location.span.as_ref()?;
    let text = sources.get(&location.file)?;
    let start = span.bytes.start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |at| line_start + at);
    if line_end - line_start <= SNIPPET_WIDTH {
        return None;
    }
    let floor = |mut at: usize| {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let from = floor(start.saturating_sub(30).max(line_start));
    let to = floor((from + 80).min(line_end));
    let before = if from > line_start { "…" } else { "" };
    let after = if to < line_end { "…" } else { "" };
    Some(format!("{before}{}{after}", &text[from..to]))
}

fn plain_header(diagnostic: &Diagnostic) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = format!("{severity}: {}", diagnostic.message);
    if let Some(location) = &diagnostic.location {
        let _ = write!(line, " ({})", location.file);
    }
    line
}

/// The codespan form of a diagnostic; `ids` maps the files it may show to
/// their ids.
fn to_codespan(diagnostic: &Diagnostic, ids: &BTreeMap<&str, usize>) -> cs::Diagnostic<usize> {
    let mut out = match diagnostic.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    if let Some(code) = &diagnostic.code {
        out = out.with_code(code);
    }
    out = match &diagnostic.subject {
        Some(subject) => out.with_message(format!("{subject}: {}", diagnostic.message)),
        None => out.with_message(&diagnostic.message),
    };
    let mut notes = Vec::new();
    let field_text = diagnostic
        .field
        .as_ref()
        .map(|field| format!("field `{field}`"));
    let label_text = match (&diagnostic.label, &field_text) {
        (Some(label), Some(field)) => format!("{label} ({field})"),
        (Some(label), None) => label.clone(),
        (None, Some(field)) => field.clone(),
        (None, None) => String::new(),
    };
    match &diagnostic.location {
        Some(Location {
            file,
            span: Some(span),
        }) if ids.contains_key(file.as_str()) => {
            out = out.with_labels(vec![
                cs::Label::primary(ids[file.as_str()], span.bytes.clone()).with_message(label_text),
            ]);
        }
        Some(location) => {
            let mut at = match &location.span {
                Some(span) => format!("at {}:{}:{}", location.file, span.line, span.column),
                None => format!("in `{}`", location.file),
            };
            if !label_text.is_empty() {
                let _ = write!(at, ": {label_text}");
            }
            notes.push(at);
        }
        None if !label_text.is_empty() => notes.push(label_text),
        None => {}
    }
    if !diagnostic.clusters.is_empty() {
        let clusters: Vec<String> = diagnostic
            .clusters
            .iter()
            .map(|c| format!("`{c}`"))
            .collect();
        let noun = if clusters.len() == 1 {
            "cluster"
        } else {
            "clusters"
        };
        notes.push(format!("in {noun} {}", clusters.join(", ")));
    }
    notes.extend(diagnostic.help.iter().map(|help| format!("help: {help}")));
    out.with_notes(notes)
}

/// Machine-readable form of a diagnostic (`--format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub severity: Severity,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub field: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub clusters: &'a [String],
    pub rule: Option<&'a str>,
    pub help: &'a [String],
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(diagnostic: &'a Diagnostic) -> Self {
        let span = diagnostic
            .location
            .as_ref()
            .and_then(|location| location.span.as_ref());
        JsonDiagnostic {
            severity: diagnostic.severity,
            message: &diagnostic.message,
            file: diagnostic.location.as_ref().map(|l| l.file.as_str()),
            line: span.map(|s| s.line),
            column: span.map(|s| s.column),
            field: diagnostic.field.as_deref(),
            resource: diagnostic.subject.as_deref(),
            clusters: &diagnostic.clusters,
            rule: diagnostic.code.as_deref(),
            help: &diagnostic.help,
        }
    }
}

/// A render's progress on stderr, or nothing (see [`Printer::progress`]).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl crate::render::Progress for Progress {
    fn start(&self, units: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(units as u64);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
