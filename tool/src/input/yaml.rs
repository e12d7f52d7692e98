//! YAML in and out.
//!
//! Inputs are parsed with a span-aware event parser (saphyr-parser) into a
//! `serde_json::Value` plus a map from each node's JSON pointer to where it
//! stands in the file, so that any later finding about a field can point at
//! its line and column. Scalars are resolved with the YAML 1.2 core schema
//! (`yes` is a string, `1.20` is a number). Duplicate keys, custom tags and
//! merge keys are refused rather than silently interpreted.
//!
//! Output is written with serde_yaml, which quotes every string that another
//! YAML reader (YAML 1.1 included) could take for something else.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Number, Value};

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::support::pointer::{field_path, pointer_push};

/// Deepest nesting accepted: a guard against stack exhaustion on hostile input.
const MAX_DEPTH: usize = 128;

/// Where a node stands in its file: the key that introduced it (for
/// mapping values) and the value itself.
#[derive(Debug, Clone)]
pub struct NodeSpan {
    pub key: Option<Span>,
    pub value: Span,
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    spans: HashMap<String, NodeSpan>,
}

impl Document {
    /// The span of the node at `pointer` (a JSON pointer, `""` for the root).
    pub fn node(&self, pointer: &str) -> Option<&NodeSpan> {
        self.spans.get(pointer)
    }

    /// The best span to point at for a finding about `pointer`: its key if
    /// `prefer_key` and it has one, else its value; if the node does not
    /// exist (a missing field), the nearest existing parent's key.
    pub fn span_for(&self, pointer: &str, prefer_key: bool) -> Option<Span> {
        if let Some(node) = self.spans.get(pointer) {
            return Some(match (&node.key, prefer_key) {
                (Some(key), true) => key.clone(),
                _ => node.value.clone(),
            });
        }
        let mut parent = pointer;
        while let Some(cut) = parent.rfind('/') {
            parent = &parent[..cut];
            if let Some(node) = self.spans.get(parent) {
                return Some(node.key.clone().unwrap_or_else(|| node.value.clone()));
            }
        }
        None
    }
}

/// Parses every document in `text`. `file` names the file in diagnostics.
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Document>, Diagnostic> {
    parse(file, text, true)
}

/// Parses every document in `text` without recording where each node is:
/// for generated text, where only the values matter.
pub fn parse_values(file: &str, text: &str) -> Result<Vec<Value>, Diagnostic> {
    let documents = parse(file, text, false)?;
    Ok(documents
        .into_iter()
        .map(|document| document.value)
        .collect())
}

fn parse(file: &str, text: &str, track_spans: bool) -> Result<Vec<Document>, Diagnostic> {
    let mut builder = Builder {
        file,
        positions: Positions::new(text),
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        spans: HashMap::new(),
        track_spans,
    };
    builder.documents()
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

/// Serialises one value as a YAML document (no leading `---`).
pub fn to_string(value: &Value) -> String {
    serde_yaml::to_string(value).expect("a JSON value always serialises to YAML")
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
    anchors: HashMap<usize, Value>,
    spans: HashMap<String, NodeSpan>,
}

type Next<'a> = (Event<'a>, saphyr_parser::Span);

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
        Diagnostic::error(format!("malformed YAML: {}", error.info()))
            .at(Location::at(self.file, span))
            .label("the YAML parser stopped here")
            .help("check indentation, quoting and the `key: value` shape of this line and the one above")
    }

    fn error_at(&self, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::error(message).at(Location::at(self.file, span))
    }

    fn documents(&mut self) -> Result<Vec<Document>, Diagnostic> {
        let mut documents = Vec::new();
        loop {
            let (event, _) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(documents),
                Event::DocumentStart(_) => {
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, String::new(), None, 0)?;
                    let spans = std::mem::take(&mut self.spans);
                    self.anchors.clear();
                    // An empty document (`---` alone) holds nothing.
                    if !value.is_null() {
                        documents.push(Document { value, spans });
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

    fn node(
        &mut self,
        event: Event<'a>,
        span: saphyr_parser::Span,
        pointer: String,
        key: Option<Span>,
        depth: usize,
    ) -> Result<Value, Diagnostic> {
        let here = self.positions.span(&span.start, &span.end);
        if depth > MAX_DEPTH {
            return Err(self.error_at(
                format!("YAML nested more than {MAX_DEPTH} levels deep"),
                here,
            ));
        }
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                (self.scalar(&text, style, tag.as_deref(), &here)?, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_collection_tag(tag.as_deref(), "seq", &here)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let child = format!("{pointer}/{}", items.len());
                    items.push(self.node(event, span, child, None, depth + 1)?);
                }
                (Value::Array(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                self.check_collection_tag(tag.as_deref(), "map", &here)?;
                let mut map = Map::new();
                loop {
                    let (event, span) = self.next()?;
                    let key_span = self.positions.span(&span.start, &span.end);
                    let name = match event {
                        Event::MappingEnd => break,
                        Event::Scalar(text, ..) => text.into_owned(),
                        _ => {
                            return Err(self
                                .error_at("only plain text keys are supported here", key_span)
                                .label("complex key")
                                .help("write the key as plain text: `name: value`"));
                        }
                    };
                    if name == "<<" {
                        return Err(self
                            .error_at("YAML merge keys (`<<`) are not supported", key_span)
                            .help("write the fields out, or use a per-environment override"));
                    }
                    let child = pointer_push(&pointer, &name);
                    if map.contains_key(&name) {
                        let first_line = self
                            .spans
                            .get(&child)
                            .and_then(|first| first.key.as_ref())
                            .map_or(0, |span| span.line);
                        return Err(self
                            .error_at(format!("duplicate key `{name}`"), key_span)
                            .field(field_path(&child))
                            .label(format!("`{name}` was already set on line {first_line}"))
                            .help("remove one of the two; YAML does not merge repeated keys"));
                    }
                    let (event, span) = self.next()?;
                    let value = self.node(event, span, child, Some(key_span), depth + 1)?;
                    map.insert(name, value);
                }
                (Value::Object(map), anchor)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(value) => (value.clone(), 0),
                None => return Err(self.error_at("alias to an unknown anchor", here)),
            },
            other => {
                return Err(self.error_at(format!("malformed YAML: unexpected {other:?}"), here));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        if self.track_spans {
            self.spans.insert(pointer, NodeSpan { key, value: here });
        }
        Ok(value)
    }

    fn check_collection_tag(
        &self,
        tag: Option<&Tag>,
        expected: &str,
        here: &Span,
    ) -> Result<(), Diagnostic> {
        match tag {
            None => Ok(()),
            Some(tag) if tag.is_yaml_core_schema() && tag.suffix == expected => Ok(()),
            Some(tag) => Err(self.unsupported_tag(tag, here)),
        }
    }

    fn unsupported_tag(&self, tag: &Tag, here: &Span) -> Diagnostic {
        self.error_at(format!("unsupported YAML tag `{tag}`"), here.clone())
            .help("remove the tag; only the core tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!seq` and `!!map` are understood")
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        here: &Span,
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
        let invalid =
            |what: &str| self.error_at(format!("`{text}` is not a valid {what}"), here.clone());
        match kind {
            None => resolve_plain(text).ok_or_else(|| {
                self.error_at(
                    format!("`{text}` is not a number JSON can represent"),
                    here.clone(),
                )
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

/// Resolves a plain scalar with the YAML 1.2 core schema. `None` for the
/// non-finite floats JSON cannot hold.
fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(number) = resolve_int(text) {
        return Some(Value::Number(number));
    }
    if is_core_float(text) {
        let lower = text.to_ascii_lowercase();
        if lower.ends_with(".inf") || lower == ".nan" {
            return None;
        }
        return text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    Some(Value::String(text.to_owned()))
}

fn resolve_int(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(octal) = text.strip_prefix("0o") {
        (8, octal)
    } else if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && text.starts_with(['-', '+']) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok();
    match (negative, magnitude) {
        (false, Some(value)) => Some(Number::from(value)),
        (true, Some(value)) if value <= i64::MAX as u64 + 1 => {
            Some(Number::from((value as i128).wrapping_neg() as i64))
        }
        // Too large for 64 bits: keep it as a float, as JSON readers would.
        _ => text.parse::<f64>().ok().and_then(Number::from_f64),
    }
}

fn is_core_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            whole.chars().all(|c| c.is_ascii_digit())
                && fraction.chars().all(|c| c.is_ascii_digit())
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|exp| {
        let digits = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_core_schema_scalars() {
        let doc = parse_document(
            "t.yaml",
            "a: yes\nb: 1.20\nc: 0x1f\nd: ~\ne: '3'\nf: -7\ng: on\nh: 1e3\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": "yes", "b": 1.2, "c": 31, "d": null, "e": "3", "f": -7, "g": "on", "h": 1000.0})
        );
    }

    #[test]
    fn records_key_and_value_positions() {
        let doc = parse_document("t.yaml", "top:\n  inner: [1, 2]\n  name: \"x\"\n").unwrap();
        let inner = doc.node("/top/inner").unwrap();
        assert_eq!(inner.key.as_ref().unwrap().line, 2);
        assert_eq!(inner.key.as_ref().unwrap().column, 3);
        let item = doc.node("/top/inner/1").unwrap();
        assert_eq!((item.value.line, item.value.column), (2, 14));
        let name = doc.node("/top/name").unwrap();
        assert_eq!(name.value.column, 9);
    }

    #[test]
    fn refuses_duplicate_keys() {
        let error = parse_document("t.yaml", "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(error.message, "duplicate key `a`");
        assert_eq!(error.location.unwrap().span.unwrap().line, 3);
    }

    #[test]
    fn field_paths_read_like_code() {
        assert_eq!(
            field_path("/environments/prod/ports/0"),
            "environments.prod.ports[0]"
        );
        assert_eq!(field_path("/a~1b/c~0d"), "a/b.c~d");
        assert_eq!(field_path(""), "");
    }

    #[test]
    fn non_ascii_positions_are_bytes() {
        let doc = parse_document("t.yaml", "é: ü\nnext: 1\n").unwrap();
        let next = doc.node("/next").unwrap();
        let key = next.key.as_ref().unwrap();
        assert_eq!(&"é: ü\nnext: 1\n"[key.bytes.clone()], "next");
    }
}
