//! A quick writer for the block YAML serde_yaml writes, byte for byte.
//!
//! serde_yaml (libyaml underneath) decides each string's style by trying
//! to read it as a number, a boolean and null, then by scanning it for
//! indicators, and writes every event through a general emitter: a quarter
//! of a render. Here the layout (indentation two, sequences under a key not
//! indented, empty collections as `{}` and `[]`, no line width) is written
//! directly, and so is every string of printable ASCII: plain, single-
//! quoted or as a literal block, by serde_yaml's and libyaml's own rules
//! restated. Any other scalar (floats, other characters) is written by
//! serde_yaml alone and put in place; a shape that cannot be put in place
//! (a key libyaml would write as a `? ` complex key, a line separator in a
//! quoted string) answers `None`, and the caller has serde_yaml write the
//! whole value. `fuzz::yaml_writer_writes_what_serde_yaml_writes` compares
//! both writers.

use serde_json::{Map, Value};

/// The longest key libyaml writes as a simple `key: value` (in bytes).
const MAX_SIMPLE_KEY: usize = 128;

/// `value` as one YAML document, or `None` where only serde_yaml can say.
pub(super) fn to_string(value: &Value) -> Option<String> {
    let mut out = String::with_capacity(256);
    match value {
        Value::Object(map) if !map.is_empty() => mapping(map, 0, &mut out)?,
        Value::Array(items) if !items.is_empty() => sequence(items, 0, &mut out)?,
        other => leaf(other, 0, &mut out)?,
    }
    Some(out)
}

/// Entries at `indent`, the first one where the cursor stands (the line
/// start, or just after a sequence item's `- `).
fn mapping(map: &Map<String, Value>, indent: usize, out: &mut String) -> Option<()> {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 {
            pad(indent, out);
        }
        self::key(key, out)?;
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                pad(indent + 2, out);
                mapping(inner, indent + 2, out)?;
            }
            // A sequence under a key is not indented.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                pad(indent, out);
                sequence(items, indent, out)?;
            }
            other => {
                out.push(' ');
                leaf(other, indent, out)?;
            }
        }
    }
    Some(())
}

/// Items at `indent`, the first one where the cursor stands.
fn sequence(items: &[Value], indent: usize, out: &mut String) -> Option<()> {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            pad(indent, out);
        }
        out.push_str("- ");
        match item {
            Value::Object(inner) if !inner.is_empty() => mapping(inner, indent + 2, out)?,
            Value::Array(inner) if !inner.is_empty() => sequence(inner, indent + 2, out)?,
            other => leaf(other, indent, out)?,
        }
    }
    Some(())
}

/// A scalar or an empty collection where the cursor stands, to the end of
/// its last line; `indent` is that of the collection holding it.
fn leaf(value: &Value, indent: usize, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) if !number.is_f64() => out.push_str(&number.to_string()),
        // serde_yaml prints floats its own way (`1e300`, not `1e+300`).
        Value::Number(_) => return alone(value, indent, out),
        Value::String(text) => match style(text) {
            Some(style) => write(text, style, out),
            None if literal(text, indent, out) => return Some(()),
            // libyaml breaks a single-quoted string at these, indenting
            // the next line by the depth it is written at.
            None if text.contains('\u{2028}') || text.contains('\u{2029}') => return None,
            None => return alone(value, indent, out),
        },
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
    out.push('\n');
    Some(())
}

/// A key, written as libyaml writes a simple key (`None` where it would
/// write a `? ` complex key or break the line).
fn key(text: &str, out: &mut String) -> Option<()> {
    if text.len() > MAX_SIMPLE_KEY {
        return None;
    }
    if let Some(style) = style(text) {
        write(text, style, out);
        return Some(());
    }
    // A line break of any kind makes a key complex; without one, serde_yaml
    // writes the key on one line, which is put in place without its end.
    if text.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return None;
    }
    alone(&Value::String(text.to_owned()), 0, out)?;
    out.pop();
    Some(())
}

/// A string on several lines as a literal block scalar (`|`), its lines
/// indented two past `indent`, if libyaml writes it so: printable ASCII
/// and line breaks, no space before a break or at the end (`false`
/// writes nothing).
fn literal(text: &str, indent: usize, out: &mut String) -> bool {
    if !text.contains('\n')
        || text.ends_with(' ')
        || text.contains(" \n")
        || !text
            .bytes()
            .all(|byte| byte == b'\n' || (b' '..=b'~').contains(&byte))
    {
        return false;
    }
    out.push('|');
    // Lines that start blank need the indentation said.
    if text.starts_with([' ', '\n']) {
        out.push('2');
    }
    if !text.ends_with('\n') {
        out.push('-');
    } else if text == "\n" || text.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');
    for line in text.split_inclusive('\n') {
        if line != "\n" {
            pad(indent + 2, out);
        }
        out.push_str(line);
    }
    if !text.ends_with('\n') {
        out.push('\n');
    }
    true
}

/// The scalar as serde_yaml writes it on its own (at the top level, where
/// a block scalar's lines are indented by two), laid out at `indent`, with
/// its last line ended.
fn alone(value: &Value, indent: usize, out: &mut String) -> Option<()> {
    let text = serde_yaml::to_string(value).ok()?;
    let (first, rest) = text.split_once('\n')?;
    if rest.is_empty() {
        out.push_str(&text);
        return Some(());
    }
    if !first.starts_with('|') {
        return None;
    }
    out.push_str(first);
    out.push('\n');
    for line in rest.split_inclusive('\n') {
        if line != "\n" {
            pad(indent + 2, out);
            out.push_str(line.strip_prefix("  ")?);
        } else {
            out.push('\n');
        }
    }
    Some(())
}

fn write(text: &str, style: Style, out: &mut String) {
    match style {
        Style::Plain => out.push_str(text),
        Style::SingleQuoted => {
            out.push('\'');
            out.push_str(&text.replace('\'', "''"));
            out.push('\'');
        }
    }
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// How a string is written, where this module can say.
enum Style {
    Plain,
    SingleQuoted,
}

/// How serde_yaml and libyaml write `text` when it is printable ASCII on
/// one line (`None` for any other string). serde_yaml asks for single
/// quotes where a reader could take the text for null, a boolean or a
/// number; libyaml writes plain where nothing in the text reads as YAML
/// syntax, else single-quoted, which such text always allows.
fn style(text: &str) -> Option<Style> {
    let bytes = text.as_bytes();
    if !bytes.iter().all(|byte| (b' '..=b'~').contains(byte)) {
        return None;
    }
    Some(if read_as_other(text) || !plain_allowed(bytes) {
        Style::SingleQuoted
    } else {
        Style::Plain
    })
}

/// Whether serde_yaml reads `text`, plain, as null, a boolean or a number
/// (or as digits with a leading zero, which it quotes too): its own rules,
/// restated.
fn read_as_other(text: &str) -> bool {
    if matches!(
        text,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) {
        return true;
    }
    // Numbers hold no other characters (the letters are hex digits, radix
    // prefixes and those of `.inf` and `.nan`).
    let numeric = text.bytes().all(|byte| {
        matches!(byte, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'o' | b'i' | b'n' | b'I' | b'N' | b'+' | b'-' | b'.')
    });
    numeric
        && (leading_zero_digits(text)
            || unsigned_integer(text)
            || negative_integer(text)
            || float(text))
}

/// `0123`, `-0123`: digits a YAML 1.2 reader takes for a string.
fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

fn unsigned_integer(text: &str) -> bool {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unsigned.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return false;
            }
            if u128::from_str_radix(rest, radix).is_ok() {
                return true;
            }
        }
    }
    !unsigned.starts_with(['+', '-'])
        && !leading_zero_digits(text)
        && unsigned.parse::<u128>().is_ok()
}

fn negative_integer(text: &str) -> bool {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = text.strip_prefix(prefix)
            && i128::from_str_radix(&format!("-{rest}"), radix).is_ok()
        {
            return true;
        }
    }
    !leading_zero_digits(text) && text.parse::<i128>().is_ok()
}

fn float(text: &str) -> bool {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return false,
        Some(rest) => rest,
        None => text,
    };
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(text, "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN")
        || unsigned.parse::<f64>().is_ok_and(f64::is_finite)
}

/// libyaml's test for a plain scalar in block context, for printable ASCII
/// on one line: no space at either end, no indicator first, `---` or
/// `...` first, no `: ` or `:` at the end, no ` #`.
fn plain_allowed(bytes: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let blank_after = |at: usize| bytes.get(at + 1).is_none_or(|&next| next == b' ');
    if first == b' '
        || last == b' '
        || bytes.starts_with(b"---")
        || bytes.starts_with(b"...")
        || b"#,[]{}&*!|>'\"%@`".contains(&first)
        || (matches!(first, b'?' | b':' | b'-') && blank_after(0))
    {
        return false;
    }
    (1..bytes.len()).all(|at| match bytes[at] {
        b':' => !blank_after(at),
        b'#' => bytes[at - 1] != b' ',
        _ => true,
    })
}
