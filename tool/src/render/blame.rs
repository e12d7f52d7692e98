//! Blame: which input line produced a field of a rendered resource. A
//! finding about rendered output is reported where a person can fix it:
//! the patch that wrote the field, else the intent or platform line that
//! set the value, else the template line that printed it.

use super::template::Resource;
use super::unit::RenderedUnit;
use crate::diagnostic::{Diagnostic, Location, Span};
use crate::input::repo::Repo;
use crate::support::pointer::field_path;

/// `Kind namespace/name`, as findings name a resource.
pub fn describe(resource: &Resource) -> String {
    match resource.namespace() {
        Some(namespace) => format!("{} {namespace}/{}", resource.kind(), resource.name()),
        None => format!("{} {}", resource.kind(), resource.name()),
    }
}

/// Where the value at `pointer` of a rendered resource came from. With
/// `blame_value`, a value an input set leads to that input's line.
pub fn source_of(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
    blame_value: bool,
) -> Location {
    // 1. A patch or platform setting that wrote it, or wrote around it.
    for (written, location) in resource.written.iter().rev() {
        let within = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
        if within(pointer, written) || within(written, pointer) {
            return location.clone();
        }
    }
    // 2. An intent (or platform or environment) value it repeats.
    let value = resource.value.pointer(pointer).filter(|_| blame_value);
    if let (Some(values), Some(value)) = (&unit.values, value)
        && let Some(origin) = values.unique(value)
        && let Some(file) = repo.file(&origin.file)
        && let Some(span) = file.doc.span_for(&origin.pointer, false)
    {
        return Location::at(&file.path, span);
    }
    template_line(repo, unit, resource, pointer)
}

/// The template line that prints the field at `pointer` of a rendered
/// resource (found by its keys), else the template file.
pub fn template_line(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
) -> Location {
    let templates = unit.templates.files(repo);
    let own = templates.iter().find(|t| t.path == resource.template);
    let keys: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .filter(|token| !token.is_empty() && !token.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let candidates = own
        .into_iter()
        .chain(templates.iter().filter(|t| t.path != resource.template));
    for template in candidates {
        if let Some(span) = key_line(&template.text, &keys) {
            return Location::at(&template.path, span);
        }
    }
    Location::file(&resource.template)
}

/// The template line that writes the last of `keys`, found by following
/// the keys down the template's indentation (keys the template does not
/// spell out, such as those of an included partial, are skipped).
fn key_line(text: &str, keys: &[String]) -> Option<Span> {
    let (last, parents) = keys.split_last()?;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line))
        })
        .collect();
    let mut from = 0;
    let mut depth = 0;
    for key in parents {
        if let Some((index, indent)) = find_key(&lines, from, depth, key) {
            from = index + 1;
            depth = indent + 1;
        }
    }
    let (index, indent) = find_key(&lines, from, depth, last)?;
    let (offset, line) = lines[index];
    let quoted = line[indent..].starts_with('"');
    let length = last.len() + if quoted { 2 } else { 0 };
    Some(Span {
        line: index + 1,
        column: line[..indent].chars().count() + 1,
        bytes: offset + indent..offset + indent + length,
    })
}

/// The first line from `from` on, indented at least `depth`, that writes
/// `key:`; with its index and the key's indentation.
fn find_key(
    lines: &[(usize, &str)],
    from: usize,
    depth: usize,
    key: &str,
) -> Option<(usize, usize)> {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find_map(|(index, (_, line))| {
            let trimmed = line.trim_start_matches([' ', '-']);
            let indent = line.len() - trimmed.len();
            let plain = trimmed
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'));
            let quoted = trimmed
                .strip_prefix(&format!("\"{key}\""))
                .is_some_and(|rest| rest.starts_with(':'));
            (indent >= depth && (plain || quoted)).then_some((index, indent))
        })
}

/// A located finding about a rendered resource, for the cross checks.
pub fn finding(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
    message: String,
) -> Diagnostic {
    Diagnostic::error(message)
        .at(source_of(repo, unit, resource, pointer, true))
        .field(field_path(pointer))
        .subject(describe(resource))
        .cluster(&unit.cluster)
}

/// A located cause: where, the field as that file spells it, and the
/// pointer in that file when an input set the value.
#[derive(Debug, Clone)]
pub struct Cause {
    pub location: Location,
    pub field: Option<String>,
    pub origin: Option<String>,
}

impl Cause {
    pub fn at(location: Location) -> Cause {
        Cause {
            location,
            field: None,
            origin: None,
        }
    }

    /// `file:line:column`, for a message that names a second place.
    pub fn text(&self) -> String {
        match &self.location.span {
            Some(span) => format!("`{}:{}:{}`", self.location.file, span.line, span.column),
            None => format!("`{}`", self.location.file),
        }
    }
}

/// Where the value at `pointer` of a rendered resource came from: the
/// patch that wrote it; else the one input line that set its value (of
/// several, the one whose field ends in `hint`, such as the variable's
/// name); else the template line that printed it.
pub fn cause_of(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
    hint: Option<&str>,
) -> Cause {
    if let Some(location) = written_at(resource, pointer) {
        return Cause {
            field: Some(field_path(pointer)).filter(|f| !f.is_empty()),
            ..Cause::at(location)
        };
    }
    if let (Some(values), Some(value)) = (&unit.values, resource.value.pointer(pointer)) {
        let origins = values.origins(value);
        let chosen = match (origins, hint) {
            ([only], _) => Some(only),
            (many, Some(hint)) => {
                let token = format!("/{}", crate::support::pointer::escape_token(hint));
                many.iter()
                    .find(|o| o.pointer.ends_with(&token))
                    .or_else(|| {
                        many.iter()
                            .find(|o| o.pointer.contains(&format!("{token}/")))
                    })
            }
            _ => None,
        };
        if let Some(origin) = chosen
            && let Some(file) = repo.file(&origin.file)
            && let Some(span) = file.doc.span_for(&origin.pointer, false)
        {
            return Cause {
                location: Location::at(&file.path, span),
                field: Some(field_path(&origin.pointer)).filter(|f| !f.is_empty()),
                origin: Some(origin.pointer.clone()),
            };
        }
    }
    Cause {
        location: source_of(repo, unit, resource, pointer, true),
        field: Some(field_path(pointer)),
        origin: None,
    }
}

/// The input line of a patch (or platform setting) that wrote `pointer` of
/// a resource, or wrote around it.
pub fn written_at(resource: &Resource, pointer: &str) -> Option<Location> {
    let within = |a: &str, b: &str| b.is_empty() || a == b || a.starts_with(&format!("{b}/"));
    resource
        .written
        .iter()
        .rev()
        .find(|(written, _)| within(pointer, written) || within(written, pointer))
        .map(|(_, location)| location.clone())
}
