//! A quick reader for the YAML templates print: block mappings and
//! sequences laid out by indentation, one entry per line, plain, quoted
//! (JSON-escaped, as `{{ }}` prints) and literal block (`|`, `|-`) scalars,
//! comments and `---` between documents. Anything else, or anything near a
//! limit or an error, answers `None`, and the caller parses the text with
//! the full parser, which gives the same values and says where any problem
//! is. Debug builds (and so every test) check each answer against it.
//!
//! Templates print most of paved's input to the YAML parser, tens of
//! megabytes for a large organisation; this reads it several times faster.

use serde_json::{Map, Value};

use super::core_schema::resolve_plain;
use crate::support::limits::{MAX_KEY_BYTES, MAX_NODES, MAX_STRING_BYTES};

/// Levels of nesting read here; anything deeper goes to the full parser.
const MAX_LEVELS: usize = 64;

/// The documents in `text` (empty ones left out), or `None` if the text is
/// not in the subset read here.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    // A last line of spaces alone, unended, is read by the full parser
    // (which takes it for one more line break of a block scalar).
    let last = text.rsplit('\n').next().unwrap_or_default();
    if text.bytes().any(|byte| byte == b'\t' || byte == b'\r')
        || text.contains('\u{feff}')
        || (!last.is_empty() && last.trim_start_matches(' ').is_empty())
    {
        return None;
    }
    let mut documents = Vec::new();
    let mut nodes = 0;
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        if raw.starts_with("---") || raw.starts_with("...") || raw.starts_with('%') {
            if raw.trim_end_matches(' ') != "---" {
                return None;
            }
            documents.extend(document(std::mem::take(&mut lines), &mut nodes)?);
            continue;
        }
        let content = raw.trim_start_matches(' ');
        lines.push(Line {
            indent: raw.len() - content.len(),
            content,
            raw,
        });
    }
    documents.extend(document(lines, &mut nodes)?);
    Some(documents)
}

#[derive(Clone, Copy)]
struct Line<'t> {
    /// Spaces before the content.
    indent: usize,
    /// The rest of the line.
    content: &'t str,
    /// The whole line, for block scalars.
    raw: &'t str,
}

impl Line<'_> {
    /// Blank or a comment: no node.
    fn is_empty(&self) -> bool {
        self.content.is_empty() || self.content.starts_with('#')
    }
}

/// One document's lines: its value, `Some(None)` if it holds none.
fn document(lines: Vec<Line<'_>>, nodes: &mut usize) -> Option<Option<Value>> {
    let mut reader = Reader {
        lines,
        at: 0,
        nodes: *nodes,
        entries: Vec::new(),
        items: Vec::new(),
    };
    let Some(first) = reader.peek() else {
        return Some(None);
    };
    if first.indent != 0 {
        return None;
    }
    let value = reader.block(0, 0)?;
    if reader.peek().is_some() {
        return None;
    }
    *nodes = reader.nodes;
    Some(Some(value))
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    at: usize,
    /// Values read so far in the text, against [`MAX_NODES`].
    nodes: usize,
    /// The entries of the mappings and the items of the sequences being
    /// read, innermost last: each collection is then made at its exact
    /// size (a render holds every resource at once), without a buffer of
    /// its own.
    entries: Vec<(String, Value)>,
    items: Vec<Value>,
}

/// A sequence entry: `-` alone or followed by a space.
fn is_entry(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

impl<'t> Reader<'t> {
    /// The next line holding a node, past blank lines and comments.
    fn peek(&mut self) -> Option<Line<'t>> {
        while let Some(line) = self.lines.get(self.at) {
            if !line.is_empty() {
                return Some(*line);
            }
            self.at += 1;
        }
        None
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        // Well short of the limit: the full parser counts a little differently.
        (self.nodes < MAX_NODES / 2).then_some(())
    }

    /// The collection starting at the next line, indented at least `min`.
    fn block(&mut self, min: usize, level: usize) -> Option<Value> {
        let line = self.peek()?;
        if line.indent < min || level > MAX_LEVELS {
            return None;
        }
        if is_entry(line.content) {
            self.sequence(line.indent, level)
        } else {
            self.mapping(line.indent, level)
        }
    }

    fn mapping(&mut self, indent: usize, level: usize) -> Option<Value> {
        let start = self.entries.len();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_entry(line.content) {
                return None;
            }
            self.at += 1;
            let (key, rest) = split_key(line.content)?;
            if key.len() > MAX_KEY_BYTES || key == "<<" {
                return None;
            }
            let rest = rest.trim_start_matches(' ');
            let value = if rest.is_empty() || rest.starts_with('#') {
                if !rest.is_empty() {
                    return None;
                }
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(indent + 1, level + 1)?,
                    // A mapping's value may be a sequence at its own indentation.
                    Some(next) if next.indent == indent && is_entry(next.content) => {
                        self.sequence(indent, level + 1)?
                    }
                    _ => Value::Null,
                }
            } else {
                self.inline(rest, indent)?
            };
            self.count()?;
            self.entries.push((key, value));
        }
        exact_map(self.entries.drain(start..)).map(Value::Object)
    }

    fn sequence(&mut self, indent: usize, level: usize) -> Option<Value> {
        let start = self.items.len();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !is_entry(line.content)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let rest = line.content[1..].trim_start_matches(' ');
            let item = if rest.is_empty() {
                self.at += 1;
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(indent + 1, level + 1)?,
                    _ => Value::Null,
                }
            } else if is_entry(rest) || rest.starts_with('#') {
                return None;
            } else if split_key(rest).is_some() {
                // `- key: value`: a mapping whose keys line up with this one.
                let column = line.indent + (line.content.len() - rest.len());
                self.lines[self.at] = Line {
                    indent: column,
                    content: rest,
                    raw: line.raw,
                };
                self.mapping(column, level + 1)?
            } else {
                self.at += 1;
                self.inline(rest, indent)?
            };
            self.count()?;
            self.items.push(item);
        }
        Some(Value::Array(self.items.drain(start..).collect()))
    }

    /// A scalar written after its key or dash, in a collection indented at
    /// `indent`; the lines of a block scalar are read too.
    fn inline(&mut self, text: &str, indent: usize) -> Option<Value> {
        let value = match text.as_bytes()[0] {
            b'"' | b'\'' => {
                let (value, after) = quoted(text)?;
                only_comment(after)?;
                Value::String(value)
            }
            b'|' => Value::String(self.literal(text, indent)?),
            b'[' | b'{' => {
                let mut flow = Flow {
                    text,
                    at: 0,
                    nodes: 0,
                };
                let value = flow.node(0)?;
                only_comment(&text[flow.at..])?;
                self.nodes += flow.nodes;
                value
            }
            _ => plain(text)?,
        };
        // A deeper line would continue the scalar (or be a mistake): the
        // full parser decides.
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(value),
        }
    }

    /// A literal block scalar (`|` or `|-`) under a collection indented at
    /// `indent`, its header `header`.
    fn literal(&mut self, header: &str, indent: usize) -> Option<String> {
        let keep_last_break = match header.trim_end_matches(' ') {
            "|" => true,
            "|-" => false,
            _ => return None,
        };
        let blank = |line: &Line<'_>| line.content.is_empty();
        let first = self.lines[self.at..].iter().find(|line| !blank(line))?;
        let column = first.indent;
        if column <= indent {
            return None;
        }
        let mut text = String::new();
        // Blank lines read since the last line of text: breaks in the text
        // if more text follows, dropped (chomped) if not.
        let mut blanks = 0;
        let mut started = false;
        while let Some(line) = self.lines.get(self.at) {
            if blank(line) {
                // Spaces past the indentation would be text.
                if line.raw.len() > column {
                    return None;
                }
                blanks += 1;
            } else if line.indent >= column {
                for _ in 0..blanks + usize::from(started) {
                    text.push('\n');
                }
                blanks = 0;
                started = true;
                text.push_str(&line.raw[column..]);
            } else {
                break;
            }
            self.at += 1;
        }
        if text.is_empty() || text.len() > MAX_STRING_BYTES {
            return None;
        }
        if keep_last_break {
            text.push('\n');
        }
        Some(text)
    }
}

/// Where a key ends: `key: rest`, `"key": rest`, `key:` at the end.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, after) = match content.as_bytes()[0] {
        b'"' | b'\'' => quoted(content)?,
        first if starts_specially(first) => return None,
        _ => {
            let end = content
                .find(": ")
                .or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
            let key = &content[..end];
            if key.ends_with(' ') || key.contains(" #") {
                return None;
            }
            (key.to_owned(), &content[end..])
        }
    };
    let rest = after.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest))
}

/// A YAML indicator that gives a plain scalar starting with it another
/// meaning (or none).
fn starts_specially(first: u8) -> bool {
    b"-?:,[]{}#&*!|>'\"%@`".contains(&first)
}

/// A plain scalar on one line, resolved as the full parser resolves it.
fn plain(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    // `-5` is a number; every other indicator is read by the full parser.
    let negative = bytes[0] == b'-' && bytes.len() > 1 && bytes[1] != b' ';
    if starts_specially(bytes[0]) && !negative {
        return None;
    }
    let text = match text.find(" #") {
        Some(comment) => &text[..comment],
        None => text,
    }
    .trim_end_matches(' ');
    if text.contains(": ") || text.ends_with(':') || text.len() > MAX_STRING_BYTES {
        return None;
    }
    resolve_plain(text)
}

/// A flow collection closed on its line: `[a, b]`, `{key: value}`, and
/// so JSON, as `{{ value | yaml }}` prints it. Its scalars are plain or
/// quoted, resolved as in a block.
struct Flow<'t> {
    text: &'t str,
    at: usize,
    /// Values read.
    nodes: usize,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        while self.text.as_bytes().get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn next_is(&mut self, byte: u8) -> bool {
        self.skip_spaces();
        let found = self.text.as_bytes().get(self.at) == Some(&byte);
        if found {
            self.at += 1;
        }
        found
    }

    /// The entries of the collection opening here, separated by commas,
    /// up to `close`: `entry` reads each.
    fn entries(&mut self, close: u8, mut entry: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.at += 1;
        if self.next_is(close) {
            return Some(());
        }
        loop {
            entry(self)?;
            if self.next_is(close) {
                return Some(());
            }
            if !self.next_is(b',') {
                return None;
            }
        }
    }

    fn node(&mut self, level: usize) -> Option<Value> {
        self.skip_spaces();
        self.nodes += 1;
        if level > MAX_LEVELS || self.nodes > MAX_NODES / 2 {
            return None;
        }
        match *self.text.as_bytes().get(self.at)? {
            b'[' => {
                let mut items = Vec::new();
                self.entries(b']', |flow| {
                    items.push(flow.node(level + 1)?);
                    Some(())
                })?;
                items.shrink_to_fit();
                Some(Value::Array(items))
            }
            b'{' => {
                let mut entries = Vec::new();
                self.entries(b'}', |flow| {
                    flow.skip_spaces();
                    let key = match flow.node(level + 1)? {
                        Value::String(key) => key,
                        _ => return None,
                    };
                    if key.len() > MAX_KEY_BYTES || key == "<<" {
                        return None;
                    }
                    if !flow.next_is(b':') {
                        return None;
                    }
                    let value = flow.node(level + 1)?;
                    entries.push((key, value));
                    Some(())
                })?;
                exact_map(entries.into_iter()).map(Value::Object)
            }
            b'"' | b'\'' => {
                let rest = &self.text[self.at..];
                let (value, after) = quoted(rest)?;
                self.at = self.text.len() - after.len();
                Some(Value::String(value))
            }
            _ => {
                // A plain scalar in a flow collection: words, names, paths
                // and numbers (`ALL`, `networking.k8s.io`, `/api`, `-1.5`) up to a flow
                // indicator or the `:` of a key. Anything else in one is
                // left to the full parser. Keys come back as strings, like
                // any scalar in a key's place.
                let rest = &self.text[self.at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || " -._/+".contains(c)))
                    .unwrap_or(rest.len());
                let text = rest[..end].trim_end_matches(' ');
                self.at += end;
                if text.len() > MAX_STRING_BYTES {
                    return None;
                }
                let bytes = text.as_bytes();
                let negative = bytes.first() == Some(&b'-')
                    && bytes.get(1).is_some_and(u8::is_ascii_alphanumeric);
                // (`/`, as in a route's `path: /`, is no indicator.)
                let first = bytes.first()?;
                if !(first.is_ascii_alphanumeric() || *first == b'/' || negative) {
                    return None;
                }
                // What may follow: the end of an entry, or a key's `: `.
                match (
                    self.text.as_bytes().get(self.at),
                    self.text.as_bytes().get(self.at + 1),
                ) {
                    (None | Some(b',' | b']' | b'}'), _) => {}
                    (Some(b':'), None | Some(b' ' | b',' | b']' | b'}')) => {}
                    _ => return None,
                }
                if self.text.as_bytes().get(self.at) == Some(&b':') {
                    return Some(Value::String(text.to_owned()));
                }
                resolve_plain(text)
            }
        }
    }
}

/// After a quoted scalar: nothing, or a comment.
fn only_comment(after: &str) -> Option<()> {
    let rest = after.trim_start_matches(' ');
    (rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len())).then_some(())
}

/// A quoted scalar closed on its line: double-quoted with JSON's escapes,
/// or single-quoted (`''` is a quote). Its text, and the rest of the line.
fn quoted(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    let quote = bytes[0];
    let mut out = String::new();
    let mut run = 1;
    let mut at = 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => {
                out.push_str(&text[run..=at]);
                at += 2;
                run = at;
            }
            byte if byte == quote => {
                out.push_str(&text[run..at]);
                return (out.len() <= MAX_STRING_BYTES).then(|| (out, &text[at + 1..]));
            }
            b'\\' if quote == b'"' => {
                out.push_str(&text[run..at]);
                let escaped = match *bytes.get(at + 1)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hex = text.get(at + 2..at + 6)?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return None;
                        }
                        at += 4;
                        char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                    }
                    _ => return None,
                };
                out.push(escaped);
                at += 2;
                run = at;
            }
            byte if byte < 0x20 || byte == 0x7f => return None,
            _ => at += 1,
        }
    }
    None
}

/// A mapping of `entries` with no room to spare (a render holds every
/// resource at once); `None` if a key repeats, for the full parser to
/// report.
fn exact_map(
    entries: impl ExactSizeIterator<Item = (String, Value)>,
) -> Option<Map<String, Value>> {
    let mut map = Map::with_capacity(entries.len());
    for (key, value) in entries {
        if map.insert(key, value).is_some() {
            return None;
        }
    }
    Some(map)
}
