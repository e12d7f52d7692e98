//! Scalars read out of a YAML document without a YAML parser, when the
//! document keeps to the plain block style paved writes: mappings and
//! sequences laid out by indentation, one entry per line, plain or simply
//! quoted scalars. Anything else (comments, flow collections, anchors,
//! tags, block text, escapes, repeated keys, uneven indentation) answers
//! `None`, and the caller parses the document with `serde_yaml` instead,
//! so the answer is always the one a full parse gives.
//!
//! `paved metrics` reads one workload per manifest version over the whole
//! history; this is several times faster than building the document.

/// One step of a path: a mapping key, or a sequence index (`"0"`).
type Path<'p> = &'p [&'p str];

/// The string at each of `paths` in `document` (`None` where it is absent
/// or not a string), or `None` when the document is outside the subset.
pub fn strings(document: &str, paths: &[Path<'_>]) -> Option<Vec<Option<String>>> {
    let mut lines = Vec::new();
    for line in document.lines() {
        let content = line.trim_start_matches(' ');
        lines.push((line.len() - content.len(), content));
    }
    while lines.last().is_some_and(|(_, content)| content.is_empty()) {
        lines.pop();
    }
    let mut reader = Reader {
        lines,
        at: 0,
        path: Vec::new(),
        paths,
        found: vec![None; paths.len()],
    };
    reader.node(None, false)?;
    (reader.at == reader.lines.len()).then_some(reader.found)
}

struct Reader<'d, 'p> {
    /// Each line's indentation and the rest of it.
    lines: Vec<(usize, &'d str)>,
    at: usize,
    /// Where the line being read sits.
    path: Vec<Step<'d>>,
    paths: &'p [Path<'p>],
    found: Vec<Option<String>>,
}

#[derive(Clone, Copy)]
enum Step<'d> {
    Key(&'d str),
    Item(usize),
}

impl<'d> Reader<'d, '_> {
    /// The block under an entry at column `parent` (`None`: the document),
    /// if any: deeper lines, or for a key's value (`under_key`) a sequence
    /// at the key's own column.
    fn node(&mut self, parent: Option<usize>, under_key: bool) -> Option<()> {
        let Some(&(column, content)) = self.lines.get(self.at) else {
            return Some(());
        };
        let item = content == "-" || content.starts_with("- ");
        let deeper = parent.is_none_or(|parent| column > parent);
        if item && (deeper || (under_key && Some(column) == parent)) {
            self.sequence(column)
        } else if deeper {
            self.mapping(column)
        } else {
            Some(()) // an empty value
        }
    }

    fn mapping(&mut self, column: usize) -> Option<()> {
        let mut keys: Vec<&str> = Vec::new();
        while let Some(&(at_column, content)) = self.lines.get(self.at) {
            if at_column < column {
                break;
            }
            if at_column > column || content.starts_with('-') {
                return None;
            }
            let (key, value) = entry(content)?;
            if keys.contains(&key) {
                return None;
            }
            keys.push(key);
            self.path.push(Step::Key(key));
            self.at += 1;
            match value {
                Some(value) => self.scalar(value)?,
                None => self.node(Some(column), true)?,
            }
            self.path.pop();
        }
        Some(())
    }

    fn sequence(&mut self, column: usize) -> Option<()> {
        let mut index = 0;
        while let Some(&(at_column, content)) = self.lines.get(self.at) {
            if at_column < column || !(content == "-" || content.starts_with("- ")) {
                break;
            }
            if at_column > column {
                return None;
            }
            let rest = content[1..].trim_start_matches(' ');
            if rest.is_empty() || rest == "-" || rest.starts_with("- ") {
                return None; // an item on the next lines, or a nested sequence
            }
            self.path.push(Step::Item(index));
            if entry(rest).is_some() {
                // A mapping starting on the item's line, at the column
                // after the dash.
                self.lines[self.at] = (column + content.len() - rest.len(), rest);
                self.mapping(column + content.len() - rest.len())?;
            } else {
                self.at += 1;
                self.scalar(rest)?;
            }
            self.path.pop();
            index += 1;
        }
        Some(())
    }

    /// A scalar at the current path: checked, and kept when asked for.
    fn scalar(&mut self, text: &'d str) -> Option<()> {
        let value = scalar(text)?;
        for (index, wanted) in self.paths.iter().enumerate() {
            if self.at_path(wanted) {
                self.found[index] = value.string();
            }
        }
        Some(())
    }

    fn at_path(&self, wanted: Path<'_>) -> bool {
        wanted.len() == self.path.len()
            && wanted
                .iter()
                .zip(&self.path)
                .all(|(want, step)| match step {
                    Step::Key(key) => want == key,
                    Step::Item(index) => want.parse() == Ok(*index),
                })
    }
}

/// `key: value` or `key:`, with a key that is plainly a string.
fn entry(content: &str) -> Option<(&str, Option<&str>)> {
    let (key, value) = match content.split_once(": ") {
        Some((key, value)) => (key, Some(value)),
        None => (content.strip_suffix(':')?, None),
    };
    let plain_key = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
    let resolves_otherwise = matches!(
        key.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    (plain_key && !resolves_otherwise).then_some((key, value))
}

enum Scalar<'d> {
    /// Quoted: a string whatever it reads as.
    Quoted(String),
    /// Plain: a string unless YAML reads it as a number, boolean or null.
    Plain(&'d str),
    /// `{}` or `[]`.
    Empty,
}

impl Scalar<'_> {
    fn string(&self) -> Option<String> {
        match self {
            Scalar::Quoted(text) => Some(text.clone()),
            // What the value resolves to is YAML's schema: ask the parser
            // about this one scalar, as a mapping's value as it was found.
            Scalar::Plain(text) => {
                let entry: serde_json::Value = serde_yaml::from_str(&format!("k: {text}")).ok()?;
                entry.get("k")?.as_str().map(str::to_owned)
            }
            Scalar::Empty => None,
        }
    }
}

fn scalar(text: &str) -> Option<Scalar<'_>> {
    if text.chars().any(char::is_control) {
        return None;
    }
    if text == "{}" || text == "[]" {
        return Some(Scalar::Empty);
    }
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        // `''` is a quote; a lone one would end the scalar early.
        return (!inner.replace("''", "").contains('\''))
            .then(|| Scalar::Quoted(inner.replace("''", "'")));
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return (!inner.contains(['"', '\\'])).then(|| Scalar::Quoted(inner.to_owned()));
    }
    let mut chars = text.chars();
    let first = chars.next()?;
    // `-`, `?` and `:` begin a plain scalar only when something follows.
    let indicator = match first {
        '-' | '?' | ':' => chars.next().is_none_or(|c| c == ' '),
        _ => "&*!|>{}[]%@`#,'\"".contains(first),
    };
    let plain =
        !indicator && !text.contains(": ") && !text.contains(" #") && !text.ends_with([':', ' ']);
    plain.then_some(Scalar::Plain(text))
}
