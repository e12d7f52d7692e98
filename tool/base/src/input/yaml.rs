//! YAML in and out.
//!
//! Inputs are parsed with a span-aware event parser (saphyr-parser) into a
//! `serde_json::Value` plus a map from each node's JSON pointer to where it
//! stands in the file, so that any later finding about a field can point at
//! its line and column. Scalars are resolved with the YAML 1.2 core schema
//! (`yes` is a string, `1.20` is a number). Duplicate keys, custom tags and
//! merge keys are refused rather than silently interpreted.
//!
//! Output is written as serde_yaml writes it, which quotes every string that
//! another YAML reader could take for something else; a quick writer
//! ([`emit`]) gives the same bytes for the shapes manifests hold.

pub mod core_schema;
mod emit;
pub mod fast;

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::support::pointer::{field_path, pointer_push, unescape_token};
use core_schema::resolve_plain;

use crate::support::limits::{MAX_BYTES, MAX_DEPTH, MAX_KEY_BYTES, MAX_NODES, MAX_STRING_BYTES};
use crate::support::text::{human_bytes, human_count};

/// Where a node stands in its file: the key that introduced it (for
/// mapping values) and the value itself.
#[derive(Debug, Clone)]
pub struct NodeSpan {
    pub key: Option<Span>,
    pub value: Span,
    /// The byte just past the node's whole text (`value` shows only its
    /// first line): past the closing quote or bracket, or the end of the
    /// last entry of a block collection. What an in-place edit replaces.
    pub end: usize,
}

/// The spans of a node and of everything in it, shaped like the value: a
/// tree, so its size grows with the file, not with the file times its
/// depth (as a map from every pointer would).
#[derive(Debug, Clone)]
struct SpanTree {
    span: NodeSpan,
    children: Children,
}

#[derive(Debug, Clone)]
enum Children {
    /// A scalar, or an alias (whose contents are located at the alias).
    None,
    Items(Vec<SpanTree>),
    Fields(HashMap<String, SpanTree>),
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    spans: Spans,
}

/// Where a document's nodes stand: found while parsing, or (for a text the
/// quick reader read) by the full parser when first asked, which only a
/// finding does.
#[derive(Debug, Clone)]
enum Spans {
    Found(Option<SpanTree>),
    Later {
        /// The whole file's text, shared by its documents.
        text: std::sync::Arc<str>,
        /// Which of its documents this is.
        index: usize,
        tree: std::sync::OnceLock<Option<SpanTree>>,
    },
}

impl Document {
    fn spans(&self) -> Option<&SpanTree> {
        match &self.spans {
            Spans::Found(tree) => tree.as_ref(),
            Spans::Later { text, index, tree } => tree
                .get_or_init(|| {
                    let mut documents = parse("", text, true).ok()?;
                    (*index < documents.len())
                        .then(|| match documents.swap_remove(*index).spans {
                            Spans::Found(tree) => tree,
                            Spans::Later { .. } => None,
                        })
                        .flatten()
                })
                .as_ref(),
        }
    }

    /// The span of the node at `pointer` (a JSON pointer, `""` for the root).
    pub fn node(&self, pointer: &str) -> Option<&NodeSpan> {
        let mut at = self.spans()?;
        if pointer.is_empty() {
            return Some(&at.span);
        }
        for token in pointer.strip_prefix('/')?.split('/') {
            at = match &at.children {
                Children::Fields(fields) => fields.get(unescape_token(token).as_ref())?,
                Children::Items(items) if token.bytes().all(|b| b.is_ascii_digit()) => {
                    items.get(token.parse::<usize>().ok()?)?
                }
                Children::Items(_) | Children::None => return None,
            };
        }
        Some(&at.span)
    }

    /// The best span to point at for a finding about `pointer`: its key if
    /// `prefer_key` and it has one, else its value; if the node does not
    /// exist (a missing field), the nearest existing parent's key.
    pub fn span_for(&self, pointer: &str, prefer_key: bool) -> Option<Span> {
        if let Some(node) = self.node(pointer) {
            return Some(match (&node.key, prefer_key) {
                (Some(key), true) => key.clone(),
                _ => node.value.clone(),
            });
        }
        let mut parent = pointer;
        while let Some(cut) = parent.rfind('/') {
            parent = &parent[..cut];
            if let Some(node) = self.node(parent) {
                return Some(node.key.clone().unwrap_or_else(|| node.value.clone()));
            }
        }
        None
    }
}

/// Parses every document in `text`. `file` names the file in diagnostics.
/// Text in the quick reader's subset ([`fast`]) is read by it, and where
/// its nodes stand is found by the full parser only when asked; the rest,
/// and every problem, by the full parser.
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Document>, Diagnostic> {
    let Some(values) = quick_values(file, text) else {
        return parse(file, text, true);
    };
    let text: std::sync::Arc<str> = text.into();
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| Document {
            value,
            spans: Spans::Later {
                text: text.clone(),
                index,
                tree: std::sync::OnceLock::new(),
            },
        })
        .collect())
}

std::thread_local! {
    /// Whether every quick read on this thread is compared with the full
    /// parser.
    static CROSS_CHECK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// From now on, on this thread, every text the quick reader reads is read
/// by the full parser too, and a disagreement panics with the text: for
/// tests that render whole organisations (and the fuzz target), run on
/// threads of their own so that every shape golden paths print is checked
/// without slowing each render.
pub fn cross_check_quick_reader() {
    CROSS_CHECK.set(true);
}

/// Whether this thread compares quick reads with the full parser (a run
/// kept from earlier is then not reused: it would skip the comparison).
pub fn cross_checks_quick_reader() -> bool {
    CROSS_CHECK.get()
}

/// Parses every document in `text` without recording where each node is:
/// for generated text, where only the values matter. Text in the subset
/// templates print is read by a quicker reader ([`fast`]); the rest, and
/// every problem, by the full parser.
pub fn parse_values(file: &str, text: &str) -> Result<Vec<Value>, Diagnostic> {
    match quick_values(file, text) {
        Some(values) => Ok(values),
        None => parse_full_values(file, text),
    }
}

/// The documents in `text` as the quick reader reads them, or `None` for
/// text outside its subset (checked against the full parser on threads
/// that ask, [`cross_check_quick_reader`]).
fn quick_values(file: &str, text: &str) -> Option<Vec<Value>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let values = fast::parse(text)?;
    if CROSS_CHECK.get() {
        let full = parse_full_values(file, text).map(|v| serde_json::to_string(&v).ok());
        assert!(
            matches!(&full, Ok(Some(full)) if *full == serde_json::to_string(&values).unwrap_or_default()),
            "the quick YAML reader disagrees with the parser on `{file}`:\n{text}"
        );
    }
    Some(values)
}

/// [`parse_values`] with the full parser.
pub fn parse_full_values(file: &str, text: &str) -> Result<Vec<Value>, Diagnostic> {
    let documents = parse(file, text, false)?;
    Ok(documents
        .into_iter()
        .map(|document| document.value)
        .collect())
}

fn parse(file: &str, text: &str, track_spans: bool) -> Result<Vec<Document>, Diagnostic> {
    if text.len() > MAX_BYTES {
        return Err(too_large(file, text.len()));
    }
    let mut builder = Builder {
        file,
        positions: Positions::new(text),
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
        aliases: 0,
        track_spans,
    };
    builder.documents()
}

/// YAML text over [`MAX_BYTES`]. Input files are refused before
/// they are read (`source`); this catches generated text.
fn too_large(file: &str, bytes: usize) -> Diagnostic {
    Diagnostic::error(format!(
        "the YAML is {}, over the limit of {} per file",
        human_bytes(bytes),
        human_bytes(MAX_BYTES)
    ))
    .in_file(file)
}

/// Parses a file that must hold exactly one YAML document.
pub fn parse_document(file: &str, text: &str) -> Result<Document, Diagnostic> {
    let mut documents = parse_documents(file, text)?;
    match documents.len() {
        1 => Ok(documents.remove(0)),
        0 => Err(Diagnostic::error("the file is empty")
            .in_file(file)
            .help("write the YAML document this file should hold")),
        n => {
            let second = &documents[1];
            let span = second.node("").map(|node| node.value.clone());
            let location = match span {
                Some(span) => Location::at(file, span),
                None => Location::file(file),
            };
            Err(
                Diagnostic::error(format!("expected one YAML document, found {n}"))
                    .at(location)
                    .label("a second document starts here")
                    .help("split the documents into separate files"),
            )
        }
    }
}

/// Serialises one value as a YAML document (no leading `---`), as
/// serde_yaml does: by the quick writer ([`emit`]) where it can, else by
/// serde_yaml.
pub fn to_string(value: &Value) -> String {
    emit::to_string(value).unwrap_or_else(|| {
        serde_yaml::to_string(value).expect("a JSON value always serialises to YAML")
    })
}

/// Converts the parser's character positions into our spans.
struct Positions<'a> {
    text: &'a str,
    /// Byte offset of each character, when the text is not ASCII.
    char_bytes: Option<Vec<usize>>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        let char_bytes = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(byte, _)| byte)
                .chain([text.len()])
                .collect()
        });
        Positions { text, char_bytes }
    }

    fn byte(&self, marker: &Marker) -> usize {
        let index = marker.index();
        match &self.char_bytes {
            None => index.min(self.text.len()),
            Some(bytes) => bytes[index.min(bytes.len() - 1)],
        }
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let from = self.byte(start);
        let mut to = self.byte(end).max(from);
        if to == from {
            // Collections and empty values carry no width: show the rest of the line.
            let rest = &self.text[from..];
            to = from + rest.find('\n').unwrap_or(rest.len());
            to = from + self.text[from..to].trim_end().len();
        }
        // Multi-line values are shown by their first line only.
        if let Some(newline) = self.text[from..to].find('\n') {
            to = from + newline;
        }
        Span {
            line: start.line(),
            column: start.col() + 1,
            bytes: from..to,
        }
    }

    fn point(&self, marker: &Marker) -> Span {
        self.span(marker, marker)
    }
}

struct Builder<'a> {
    file: &'a str,
    track_spans: bool,
    positions: Positions<'a>,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Anchor>,
    /// Values built or copied so far in this file.
    nodes: usize,
    /// Aliases expanded so far.
    aliases: usize,
}

/// An anchored value, kept for its aliases.
struct Anchor {
    value: Value,
    /// How many values it holds (what each alias to it costs).
    nodes: usize,
    /// How many levels it adds below where it is used.
    height: usize,
}

/// A node as built: its value, where it and its contents stand, and how
/// many levels deep it goes.
struct Built {
    value: Value,
    spans: Option<SpanTree>,
    height: usize,
    /// The byte just past its text.
    end: usize,
}

/// A collection being built. The builder keeps a stack of these instead
/// of recursing, so no nesting can exhaust the stack.
struct Open {
    /// Where it starts, and the key that introduced it.
    here: Mark,
    key: Option<Mark>,
    anchor: usize,
    /// Nodes counted and aliases expanded when it started.
    before: (usize, usize),
    /// The height of its tallest child so far.
    height: usize,
    /// Where its last child's text ends.
    end: usize,
    contents: Contents,
}

enum Contents {
    Items(Vec<Value>, Vec<SpanTree>),
    Fields {
        map: Map<String, Value>,
        spans: HashMap<String, SpanTree>,
        /// The key read, whose value comes next.
        key: Option<(String, Mark)>,
    },
}

impl Open {
    /// A mapping whose next event is a key (or its end).
    fn wants_key(&self) -> bool {
        matches!(&self.contents, Contents::Fields { key: None, .. })
    }

    /// The span of the key the next value belongs to.
    fn next_key(&self) -> Option<Mark> {
        match &self.contents {
            Contents::Fields { key, .. } => key.as_ref().map(|(_, mark)| *mark),
            Contents::Items(..) => None,
        }
    }

    fn push(&mut self, built: Built) {
        self.height = self.height.max(built.height);
        self.end = self.end.max(built.end);
        match &mut self.contents {
            Contents::Items(values, spans) => {
                values.push(built.value);
                spans.extend(built.spans);
            }
            Contents::Fields { map, spans, key } => {
                let name = key.take().map(|(name, _)| name).unwrap_or_default();
                if let Some(tree) = built.spans {
                    spans.insert(name.clone(), tree);
                }
                map.insert(name, built.value);
            }
        }
    }
}

/// The field where the next node of `stack` goes, as people read it.
fn field_of(stack: &[Open]) -> String {
    let mut pointer = String::new();
    for open in stack {
        match &open.contents {
            Contents::Items(values, _) => pointer.push_str(&format!("/{}", values.len())),
            Contents::Fields {
                key: Some((name, _)),
                ..
            } => pointer = pointer_push(&pointer, name),
            Contents::Fields { key: None, .. } => {}
        }
    }
    field_path(&pointer)
}

/// Where an event stands, as the parser gives it. Made into a [`Span`]
/// (line, column, bytes) only where one is kept or reported: most events
/// of generated text need neither.
type Mark = saphyr_parser::Span;

type Next<'a> = (Event<'a>, Mark);

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<Next<'a>, Diagnostic> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(self.scan_error(&error)),
            None => Err(Diagnostic::error("unexpected end of YAML").in_file(self.file)),
        }
    }

    fn scan_error(&self, error: &ScanError) -> Diagnostic {
        let span = self.positions.point(error.marker());
        // YAML reads a key written inline only if it is short: a longer one
        // makes the scanner report a confusing error at its end.
        let line_start = self.positions.text[..span.bytes.start]
            .rfind('\n')
            .map_or(0, |at| at + 1);
        let before = self.positions.text[line_start..span.bytes.start].trim_start();
        if before.len() > MAX_KEY_BYTES && !before.contains(": ") {
            let start = span.bytes.start - before.len();
            let key = Span {
                line: span.line,
                column: self.positions.text[line_start..start].chars().count() + 1,
                bytes: start..span.bytes.start,
            };
            return Diagnostic::error(format!(
                "this key is {}, over the limit of {}",
                human_bytes(before.len()),
                human_bytes(MAX_KEY_BYTES)
            ))
            .at(Location::at(self.file, key))
            .help("keys name fields, variables and files: keep them short");
        }
        Diagnostic::error(format!("malformed YAML: {}", error.info()))
            .at(Location::at(self.file, span))
            .label("the YAML parser stopped here")
            .help("check indentation, quoting and the `key: value` shape of this line and the one above")
    }

    fn span(&self, mark: &Mark) -> Span {
        self.positions.span(&mark.start, &mark.end)
    }

    fn error_at(&self, message: impl Into<String>, at: &Mark) -> Diagnostic {
        Diagnostic::error(message).at(Location::at(self.file, self.span(at)))
    }

    /// Counts `count` more values against [`MAX_NODES`].
    fn charge(
        &mut self,
        count: usize,
        here: &Mark,
        repeats: bool,
        stack: &[Open],
    ) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(count);
        if self.nodes <= MAX_NODES {
            return Ok(());
        }
        let limit = human_count(MAX_NODES);
        let (message, label) = if repeats {
            (
                format!("aliases in this file expand past the limit of {limit} values per file"),
                "expanded here",
            )
        } else {
            (
                format!("this file holds more than the limit of {limit} values"),
                "the limit is crossed here",
            )
        };
        Err(self
            .error_at(message, here)
            .field(field_of(stack))
            .label(label)
            .help("an alias (`*name`) counts as a copy of everything its anchor holds; write the values out once, or split the file"))
    }

    fn too_deep(&self, message: String, here: &Mark, stack: &[Open]) -> Diagnostic {
        let mut field = field_of(stack);
        if field.chars().count() > 80 {
            field = field.chars().take(80).collect::<String>() + "...";
        }
        self.error_at(message, here)
            .field(field)
            .help("flatten the structure; no input needs this many levels")
    }

    fn documents(&mut self) -> Result<Vec<Document>, Diagnostic> {
        let mut documents = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(documents),
                Event::DocumentStart(_) => {
                    self.charge(1, &span, false, &[])?;
                    let built = self.document()?;
                    self.anchors.clear();
                    // An empty document (`---` alone) holds nothing.
                    if !built.value.is_null() {
                        documents.push(Document {
                            value: built.value,
                            spans: Spans::Found(built.spans),
                        });
                    }
                }
                other => {
                    return Err(
                        Diagnostic::error(format!("malformed YAML: unexpected {other:?}"))
                            .in_file(self.file),
                    );
                }
            }
        }
    }

    /// Builds the root node of one document from the events after its
    /// start, with a stack of open collections rather than recursion.
    fn document(&mut self) -> Result<Built, Diagnostic> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let (event, here) = self.next()?;
            // In a mapping waiting for a key, this event is the key (or the end).
            if stack.last().is_some_and(Open::wants_key) {
                match event {
                    Event::MappingEnd => {}
                    Event::Scalar(text, ..) => {
                        let name = text.into_owned();
                        self.check_key(&name, &here, &stack)?;
                        if let Some(Open {
                            contents: Contents::Fields { key, .. },
                            ..
                        }) = stack.last_mut()
                        {
                            *key = Some((name, here));
                        }
                        continue;
                    }
                    _ => {
                        return Err(self
                            .error_at("only plain text keys are supported here", &here)
                            .label("complex key")
                            .help("write the key as plain text: `name: value`"));
                    }
                }
            }
            let key = stack.last().and_then(Open::next_key);
            let before = (self.nodes, self.aliases);
            let depth = stack.len();
            let start = self.positions.byte(&here.start);
            let open = |anchor, contents| Open {
                here,
                key,
                anchor,
                before,
                height: 0,
                end: start,
                contents,
            };
            let text_end = self.positions.byte(&here.end);
            let built = match event {
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(open) = stack.pop() else {
                        return Err(self.error_at("malformed YAML: unexpected end", &here));
                    };
                    let (value, children) = match open.contents {
                        Contents::Items(values, spans) => {
                            (Value::Array(values), Children::Items(spans))
                        }
                        Contents::Fields { map, spans, .. } => {
                            (Value::Object(map), Children::Fields(spans))
                        }
                    };
                    let node = (value, children, open.height + 1);
                    // A flow collection ends past its bracket; a block one
                    // with its last entry.
                    let text = self.positions.text;
                    let flow = matches!(
                        text.as_bytes().get(self.positions.byte(&open.here.start)),
                        Some(b'{' | b'[')
                    );
                    let end = if flow {
                        match text.as_bytes().get(start) {
                            Some(b'}' | b']') => start + 1,
                            _ => text_end.max(open.end),
                        }
                    } else {
                        open.end
                    };
                    let at = (open.here, open.key, end);
                    self.finish(node, open.anchor, at, open.before, &stack)?
                }
                Event::SequenceStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "seq", &here)?;
                    let items = Contents::Items(Vec::new(), Vec::new());
                    self.start(&mut stack, open(anchor, items))?;
                    continue;
                }
                Event::MappingStart(anchor, tag) => {
                    self.check_collection_tag(tag.as_deref(), "map", &here)?;
                    let fields = Contents::Fields {
                        map: Map::new(),
                        spans: HashMap::new(),
                        key: None,
                    };
                    self.start(&mut stack, open(anchor, fields))?;
                    continue;
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.check_depth(depth, &here, &stack)?;
                    self.charge(1, &here, false, &stack)?;
                    if text.len() > MAX_STRING_BYTES {
                        return Err(self
                            .error_at(
                                format!(
                                    "this value is {}, over the limit of {} per string",
                                    human_bytes(text.len()),
                                    human_bytes(MAX_STRING_BYTES)
                                ),
                                &here,
                            )
                            .field(field_of(&stack))
                            .help("a ConfigMap or Secret holds at most 1 MiB in all: ship large files in the image or a volume"));
                    }
                    let value = self.scalar(&text, style, tag.as_deref(), &here)?;
                    // The parser's end of a double-quoted scalar can run on
                    // past the quote: find the closing quote itself.
                    let text_end = if style == ScalarStyle::DoubleQuoted {
                        closing_quote(self.positions.text, start).unwrap_or(text_end)
                    } else {
                        text_end
                    };
                    let node = (value, Children::None, 0);
                    self.finish(node, anchor, (here, key, text_end), before, &stack)?
                }
                Event::Alias(id) => {
                    let Some(anchor) = self.anchors.get(&id) else {
                        return Err(self.error_at("alias to an unknown anchor", &here));
                    };
                    let (nodes, height) = (anchor.nodes, anchor.height);
                    if depth + height > MAX_DEPTH {
                        return Err(self.too_deep(
                            format!("this alias nests what it repeats past the limit of {MAX_DEPTH} levels"),
                            &here,
                            &stack,
                        ));
                    }
                    // What the copy costs is charged before it is made.
                    self.aliases += 1;
                    self.charge(nodes, &here, true, &stack)?;
                    let value = self
                        .anchors
                        .get(&id)
                        .map_or(Value::Null, |anchor| anchor.value.clone());
                    let spans = self.track_spans.then(|| SpanTree {
                        span: self.node_span(&here, key.as_ref(), text_end),
                        children: Children::None,
                    });
                    Built {
                        value,
                        spans,
                        height,
                        end: text_end,
                    }
                }
                other => {
                    return Err(
                        self.error_at(format!("malformed YAML: unexpected {other:?}"), &here)
                    );
                }
            };
            match stack.last_mut() {
                Some(parent) => parent.push(built),
                None => return Ok(built),
            }
        }
    }

    /// Opens a collection, within the limits.
    fn start(&mut self, stack: &mut Vec<Open>, open: Open) -> Result<(), Diagnostic> {
        self.check_depth(stack.len(), &open.here, stack)?;
        self.charge(1, &open.here, false, stack)?;
        stack.push(open);
        Ok(())
    }

    fn check_depth(&self, depth: usize, here: &Mark, stack: &[Open]) -> Result<(), Diagnostic> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(
                format!("YAML nested more than the limit of {MAX_DEPTH} levels"),
                here,
                stack,
            ));
        }
        Ok(())
    }

    /// A key about to be read into the mapping on top of `stack`.
    fn check_key(&self, name: &str, here: &Mark, stack: &[Open]) -> Result<(), Diagnostic> {
        if name.len() > MAX_KEY_BYTES {
            return Err(self
                .error_at(
                    format!(
                        "this key is {}, over the limit of {}",
                        human_bytes(name.len()),
                        human_bytes(MAX_KEY_BYTES)
                    ),
                    here,
                )
                .field(field_of(stack))
                .help("keys name fields, variables and files: keep them short"));
        }
        if name == "<<" {
            return Err(self
                .error_at("YAML merge keys (`<<`) are not supported", here)
                .help("write the fields out, or use a per-environment override"));
        }
        let Some(Open {
            contents: Contents::Fields { map, spans, .. },
            ..
        }) = stack.last()
        else {
            return Ok(());
        };
        if !map.contains_key(name) {
            return Ok(());
        }
        let label = match spans.get(name).and_then(|tree| tree.span.key.as_ref()) {
            Some(first) => format!("`{name}` was already set on line {}", first.line),
            None => format!("`{name}` was already set above"),
        };
        let field = field_of(stack);
        let field = if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        };
        Err(self
            .error_at(format!("duplicate key `{name}`"), here)
            .field(field)
            .label(label)
            .help("remove one of the two; YAML does not merge repeated keys"))
    }

    /// Records a finished node, which starts at `here`, was introduced by
    /// `key` and ends at byte `end`: keeps a copy for its aliases if it is
    /// anchored, and its spans if they are tracked.
    fn finish(
        &mut self,
        (value, children, height): (Value, Children, usize),
        anchor: usize,
        (here, key, end): (Mark, Option<Mark>, usize),
        (nodes_before, aliases_before): (usize, usize),
        stack: &[Open],
    ) -> Result<Built, Diagnostic> {
        if anchor != 0 {
            // Keeping a copy for the aliases costs as much as the value.
            let nodes = self.nodes - nodes_before;
            let repeats = self.aliases > aliases_before;
            self.charge(nodes, &here, repeats, stack)?;
            self.anchors.insert(
                anchor,
                Anchor {
                    value: value.clone(),
                    nodes,
                    height,
                },
            );
        }
        let spans = self.track_spans.then(|| SpanTree {
            span: self.node_span(&here, key.as_ref(), end),
            children,
        });
        Ok(Built {
            value,
            spans,
            height,
            end,
        })
    }

    /// Where a kept node stands.
    fn node_span(&self, here: &Mark, key: Option<&Mark>, end: usize) -> NodeSpan {
        NodeSpan {
            key: key.map(|key| self.span(key)),
            value: self.span(here),
            end,
        }
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        here: &Mark,
    ) -> Result<(), Diagnostic> {
        match tag {
            None => Ok(()),
            Some(tag) if tag.is_yaml_core_schema() && tag.suffix == expected => Ok(()),
            Some(tag) => Err(self.unsupported_tag(tag, here)),
        }
    }

    fn unsupported_tag(&self, tag: &Tag, here: &Mark) -> Diagnostic {
        self.error_at(format!("unsupported YAML tag `{tag}`"), here)
            .help("remove the tag; only the core tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq` and `!!map` are understood")
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        here: &Mark,
    ) -> Result<Value, Diagnostic> {
        let kind = match tag {
            None if style == ScalarStyle::Plain => None,
            None => return Ok(Value::String(text.to_owned())),
            Some(tag) if tag.is_yaml_core_schema() => Some(tag.suffix.as_str()),
            Some(tag) if tag.handle == "!" && tag.suffix.is_empty() => {
                // The non-specific tag `!` forces a string.
                return Ok(Value::String(text.to_owned()));
            }
            Some(tag) => return Err(self.unsupported_tag(tag, here)),
        };
        let invalid = |what: &str| self.error_at(format!("`{text}` is not a valid {what}"), here);
        match kind {
            None => resolve_plain(text).ok_or_else(|| {
                self.error_at(format!("`{text}` is not a number JSON can represent"), here)
                    .help("quote it to make it a string")
            }),
            Some("str") => Ok(Value::String(text.to_owned())),
            Some("null") => Ok(Value::Null),
            Some("bool") => match resolve_plain(text) {
                Some(value @ Value::Bool(_)) => Ok(value),
                _ => Err(invalid("boolean")),
            },
            Some("int") => match resolve_plain(text) {
                Some(value @ Value::Number(_)) if value.is_i64() || value.is_u64() => Ok(value),
                _ => Err(invalid("integer")),
            },
            Some("float") => match resolve_plain(text) {
                Some(Value::Number(number)) => Ok(Value::Number(number)),
                _ => Err(invalid("float")),
            },
            Some(_) => Err(self.unsupported_tag(tag.expect("a kind comes from a tag"), here)),
        }
    }
}

/// The byte past the `"` that closes the double-quoted scalar opening at
/// `start`.
fn closing_quote(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}
