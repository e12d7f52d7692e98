//! Editing a YAML file in place: replace a value, insert a key, rename a
//! key or remove one, changing only those bytes. Comments, key order,
//! quoting and layout stay as the author wrote them, because the file is
//! never serialised again: each edit replaces the byte range the parser
//! recorded for the node (`yaml::NodeSpan`), and an inserted key takes the
//! indentation and the flow or block style of its neighbours.

use std::ops::Range;

use serde_json::Value;

use crate::input::yaml::Document;
use crate::support::pointer::unescape_token;

/// Why an edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("`{0}` is not in the file")]
    Missing(String),
    #[error("`{0}` is not a mapping, so no key can be added to it")]
    NotAMapping(String),
    #[error("two edits touch the same text at `{0}`")]
    Overlap(String),
}

/// Edits to one file's text, applied together by [`Editor::finish`].
pub struct Editor<'a> {
    text: &'a str,
    doc: &'a Document,
    edits: Vec<(Range<usize>, String, String)>,
}

impl<'a> Editor<'a> {
    pub fn new(text: &'a str, doc: &'a Document) -> Editor<'a> {
        Editor {
            text,
            doc,
            edits: Vec::new(),
        }
    }

    /// Sets the value at `pointer`: replaces it where it exists (in the
    /// style it was written in), else adds its key to the nearest mapping
    /// that exists (after the key `after`, when given and present there).
    pub fn set(
        &mut self,
        pointer: &str,
        value: &Value,
        after: Option<&str>,
    ) -> Result<(), EditError> {
        if let Some(node) = self.doc.node(pointer) {
            if pointer.is_empty() {
                return Err(EditError::NotAMapping(pointer.into()));
            }
            let range = node.value.bytes.start..node.end.max(node.value.bytes.start);
            let old = &self.text[range.clone()];
            let new = if old.starts_with(['{', '[']) || !value.is_object() && !value.is_array() {
                flow(value, Some(old))
            } else {
                let indent = self.column(range.start);
                block(value, indent, false)
            };
            if old == new {
                return Ok(());
            }
            return self.push(range, new, pointer);
        }
        // Make the missing key, inside the nearest mapping that exists.
        let (parent, key) = split(pointer);
        if self.doc.node(&parent).is_none() {
            let mut wrapped = serde_json::Map::new();
            wrapped.insert(key, value.clone());
            return self.set(&parent, &Value::Object(wrapped), after);
        }
        self.insert(&parent, &key, value, after)
    }

    /// Renames the key at `pointer` to `new_key` and sets its value, in
    /// place: the entry keeps its position and layout.
    pub fn rename(&mut self, pointer: &str, new_key: &str, value: &Value) -> Result<(), EditError> {
        let node = self
            .doc
            .node(pointer)
            .ok_or_else(|| EditError::Missing(pointer.into()))?;
        let key = node
            .key
            .as_ref()
            .ok_or_else(|| EditError::Missing(pointer.into()))?;
        self.push(key.bytes.clone(), scalar_text(new_key, None), pointer)?;
        self.set(pointer, value, None)
    }

    /// Removes the entry at `pointer` from its mapping: its whole line(s)
    /// in block style, the entry and one separator in flow style.
    pub fn remove(&mut self, pointer: &str) -> Result<(), EditError> {
        let node = self
            .doc
            .node(pointer)
            .ok_or_else(|| EditError::Missing(pointer.into()))?;
        let key = node
            .key
            .as_ref()
            .ok_or_else(|| EditError::Missing(pointer.into()))?;
        let bytes = self.text.as_bytes();
        let start = key.bytes.start;
        let end = node.end.max(node.value.bytes.end);
        let line_start = self.text[..start].rfind('\n').map_or(0, |at| at + 1);
        let before = &self.text[line_start..start];
        let range = if before.trim().is_empty() {
            // Block style: the lines the entry fills, and a comment after it.
            let line_end = self.text[end..]
                .find('\n')
                .map_or(self.text.len(), |at| end + at + 1);
            line_start..line_end
        } else {
            // Flow style: the entry and the comma after it, or before it.
            let mut after = end;
            while bytes.get(after).is_some_and(|b| *b == b' ') {
                after += 1;
            }
            if bytes.get(after) == Some(&b',') {
                after += 1;
                while bytes.get(after).is_some_and(|b| *b == b' ') {
                    after += 1;
                }
                start..after
            } else {
                let mut from = start;
                while from > 0 && bytes[from - 1] == b' ' {
                    from -= 1;
                }
                if from > 0 && bytes[from - 1] == b',' {
                    from -= 1;
                }
                from..end
            }
        };
        self.push(range, String::new(), pointer)
    }

    /// The edited text.
    pub fn finish(mut self) -> String {
        // From the end, so earlier offsets stay valid; of insertions at one
        // place, the outer one first, so the inner one ends up before it.
        self.edits.sort_by_key(|(range, _, pointer)| {
            (
                std::cmp::Reverse((range.start, range.end)),
                pointer.matches('/').count(),
            )
        });
        let mut text = self.text.to_owned();
        for (range, replacement, _) in self.edits {
            text.replace_range(range, &replacement);
        }
        text
    }

    /// Whether any edit was made.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    fn push(&mut self, range: Range<usize>, text: String, pointer: &str) -> Result<(), EditError> {
        // Insertions may share a place (a key in an entry, then the next
        // entry); nothing may overlap a replacement.
        let inside = |point: usize, r: &Range<usize>| r.start < point && point < r.end;
        let overlaps = self.edits.iter().any(|(other, ..)| {
            !range.is_empty()
                && !other.is_empty()
                && range.start < other.end
                && other.start < range.end
                || range.is_empty() && inside(range.start, other)
                || other.is_empty() && inside(other.start, &range)
        });
        if overlaps {
            return Err(EditError::Overlap(pointer.into()));
        }
        self.edits.push((range, text, pointer.to_owned()));
        Ok(())
    }

    /// The column (from 0) of byte `at`.
    fn column(&self, at: usize) -> usize {
        let line_start = self.text[..at].rfind('\n').map_or(0, |n| n + 1);
        self.text[line_start..at].chars().count()
    }

    /// Adds `key: value` to the mapping at `parent`.
    fn insert(
        &mut self,
        parent: &str,
        key: &str,
        value: &Value,
        after: Option<&str>,
    ) -> Result<(), EditError> {
        let Some(Value::Object(map)) = self.doc.value.pointer(parent) else {
            return Err(EditError::NotAMapping(parent.into()));
        };
        let node = self
            .doc
            .node(parent)
            .ok_or_else(|| EditError::Missing(parent.into()))?;
        let children: Vec<(&String, &crate::input::yaml::NodeSpan)> = map
            .keys()
            .filter_map(|k| {
                Some((
                    k,
                    self.doc
                        .node(&crate::support::pointer::pointer_push(parent, k))?,
                ))
            })
            .collect();
        let start = node.value.bytes.start;
        let opens_flow = self.text.as_bytes().get(start) == Some(&b'{');
        let pointer = crate::support::pointer::pointer_push(parent, key);
        if opens_flow {
            let entry = format!("{}: {}", scalar_text(key, None), flow(value, None));
            let last_end = children
                .iter()
                .map(|(_, span)| span.end.max(span.value.bytes.end))
                .max();
            return match last_end {
                Some(at) => self.push(at..at, format!(", {entry}"), &pointer),
                None => {
                    let close = node.end.saturating_sub(1);
                    self.push(close..close, entry, &pointer)
                }
            };
        }
        if children.is_empty() {
            return Err(EditError::NotAMapping(parent.into()));
        }
        // Block style: a new line after the chosen (or last) entry, at the
        // entries' indentation, in the style of the entries' values.
        let first_key = children
            .iter()
            .filter_map(|(_, span)| span.key.as_ref())
            .map(|k| k.bytes.start)
            .min()
            .unwrap_or(start);
        let indent = self.column(first_key);
        let anchor = after
            .and_then(|name| children.iter().find(|(k, _)| k.as_str() == name))
            .or_else(|| children.iter().max_by_key(|(_, span)| span.end))
            .map(|(_, span)| span.end.max(span.value.bytes.end))
            .unwrap_or(start);
        let line_end = self.text[anchor..]
            .find('\n')
            .map_or(self.text.len(), |n| anchor + n);
        let siblings_flow = children.iter().any(|(_, span)| {
            self.text
                .as_bytes()
                .get(span.value.bytes.start)
                .is_some_and(|b| *b == b'{' || *b == b'[')
        });
        let step = children
            .iter()
            .filter_map(|(_, span)| {
                let first = span.value.bytes.start;
                let nested = self
                    .text
                    .as_bytes()
                    .get(first)
                    .is_some_and(|b| *b != b'{' && *b != b'[')
                    && span.key.as_ref().is_some_and(|k| k.line < span.value.line);
                nested.then(|| self.column(first).saturating_sub(indent))
            })
            .find(|step| *step > 0)
            .unwrap_or(2);
        let pad = " ".repeat(indent);
        let written = match value {
            Value::Object(m) if !m.is_empty() && !siblings_flow => format!(
                "{}:\n{}{}",
                scalar_text(key, None),
                " ".repeat(indent + step),
                block(value, indent + step, false)
            ),
            Value::Array(a) if !a.is_empty() && !siblings_flow => format!(
                "{}:\n{}{}",
                scalar_text(key, None),
                " ".repeat(indent + step),
                block(value, indent + step, false)
            ),
            _ => format!("{}: {}", scalar_text(key, None), flow(value, None)),
        };
        let _ = step;
        self.push(line_end..line_end, format!("\n{pad}{written}"), &pointer)
    }
}

fn split(pointer: &str) -> (String, String) {
    match pointer.rfind('/') {
        Some(at) => (
            pointer[..at].to_owned(),
            unescape_token(&pointer[at + 1..]).into_owned(),
        ),
        None => (String::new(), pointer.to_owned()),
    }
}

/// A value in flow style (`{a: 1, b: [x, y]}`), scalars written as
/// `old` was (quoted alike) when given.
pub fn flow(value: &Value, old: Option<&str>) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar_text(k, None), flow(v, None)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| flow(v, None)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(text) => scalar_text(text, old),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A collection in block style, its first line unindented (it goes where
/// the old value started), the others at `indent`.
fn block(value: &Value, indent: usize, _nested: bool) -> String {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let key = scalar_text(key, None);
                match child {
                    Value::Object(m) if !m.is_empty() => {
                        lines.push(format!("{key}:\n{pad}  {}", block(child, indent + 2, true)))
                    }
                    Value::Array(a) if !a.is_empty() => {
                        lines.push(format!("{key}:\n{pad}  {}", block(child, indent + 2, true)))
                    }
                    _ => lines.push(format!("{key}: {}", flow(child, None))),
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        lines.push(format!("- {}", block(item, indent + 2, true)))
                    }
                    _ => lines.push(format!("- {}", flow(item, None))),
                }
            }
        }
        other => return flow(other, None),
    }
    lines.join(&format!("\n{pad}"))
}

/// A string as YAML: in the quoting `old` used, else plain when it reads
/// back as the same string, else double-quoted.
pub fn scalar_text(text: &str, old: Option<&str>) -> String {
    match old.and_then(|o| o.chars().next()) {
        Some('"') => return serde_json::to_string(text).expect("strings serialise"),
        Some('\'') => return format!("'{}'", text.replace('\'', "''")),
        _ => {}
    }
    if plain_safe(text) {
        text.to_owned()
    } else {
        serde_json::to_string(text).expect("strings serialise")
    }
}

/// Whether `text` written plain reads back as the same string.
fn plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@` ".contains(first) || text.ends_with([' ', ':']) {
        return text.starts_with('-')
            && text.len() > 1
            && !text.starts_with("- ")
            && plain_rest(text)
            && reads_back(text);
    }
    plain_rest(text) && reads_back(text)
}

fn plain_rest(text: &str) -> bool {
    !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(['\n', '\t', ',', '[', ']', '{', '}'])
        && text.chars().all(|c| !c.is_control())
}

fn reads_back(text: &str) -> bool {
    matches!(
        crate::input::yaml::parse_values("value", &format!("v: {text}\n")).as_deref(),
        Ok([Value::Object(map)]) if map.get("v") == Some(&Value::String(text.to_owned()))
    )
}
