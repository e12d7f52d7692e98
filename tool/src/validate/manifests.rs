//! Stage 7, validate manifests: every rendered resource of every cluster
//! against its kind's strict schema, then the checks across resources
//! (`cross`) and what the API server refuses beyond schemas
//! (`apiserver`). Each finding leads back to its cause: the patch that wrote
//! the field, else the intent line that set the value, else the template
//! line that printed it.

use rayon::prelude::*;

use super::catalog::Catalog;
use super::{cross, kubernetes, quote_list, schema_findings};
use crate::diagnostic::{self, Diagnostic, Location, Severity, Span};
use crate::pipeline::{Rendered, RenderedUnit};
use crate::render::Resource;
use crate::repo::Repo;
use crate::resolve::repo_file;
use crate::yaml::field_path;

/// How strict to be.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Report kinds with no schema as warnings instead of errors.
    pub allow_unknown_kinds: bool,
}

/// What `validate` found, and how much it looked at.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub resources: usize,
}

/// Validates everything rendered.
pub fn validate(repo: &Repo, rendered: &Rendered, options: Options) -> Report {
    let (catalog, mut diagnostics) = Catalog::new(repo);
    let per_unit: Vec<Vec<Diagnostic>> = rendered
        .units
        .par_iter()
        .map(|unit| {
            unit.resources
                .iter()
                .flat_map(|resource| check_resource(repo, &catalog, unit, resource, options))
                .collect()
        })
        .collect();
    diagnostics.extend(per_unit.into_iter().flatten());
    diagnostics.extend(cross::check(repo, &catalog, rendered));
    diagnostics.extend(super::apiserver::check(repo, rendered));
    diagnostic::normalize(&mut diagnostics);
    merge_common_causes(&mut diagnostics);
    Report {
        diagnostics,
        resources: rendered.units.iter().map(|u| u.resources.len()).sum(),
    }
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

/// `Kind namespace/name`, as findings name a resource.
pub fn describe(resource: &Resource) -> String {
    match resource.namespace() {
        Some(namespace) => format!("{} {namespace}/{}", resource.kind(), resource.name()),
        None => format!("{} {}", resource.kind(), resource.name()),
    }
}

fn check_resource(
    repo: &Repo,
    catalog: &Catalog,
    unit: &RenderedUnit,
    resource: &Resource,
    options: Options,
) -> Vec<Diagnostic> {
    let subject = describe(resource);
    let kubernetes = catalog.kubernetes(&unit.cluster);
    let retired = kubernetes::retired(kubernetes.version, resource.api_version(), resource.kind());
    if let Some(retired) = retired.filter(|r| r.removed_in.is_some()) {
        let removed = retired.removed_in.unwrap_or_default();
        return vec![
            Diagnostic::error(format!(
                "Kubernetes {} does not serve `{}` in `{}`: 1.{removed} removed it",
                kubernetes.version,
                resource.kind(),
                resource.api_version()
            ))
            .at(source_of(repo, unit, resource, "/apiVersion", false))
            .field("apiVersion")
            .subject(subject)
            .cluster(&unit.cluster)
            .help(format!("use `{}`", retired.replacement)),
        ];
    }
    let mut out = Vec::new();
    if let Some(retired) = retired {
        out.push(
            Diagnostic::warning(format!(
                "`{}` in `{}` is deprecated since Kubernetes 1.{}",
                resource.kind(),
                resource.api_version(),
                retired.deprecated_in
            ))
            .at(source_of(repo, unit, resource, "/apiVersion", false))
            .field("apiVersion")
            .subject(subject.clone())
            .cluster(&unit.cluster)
            .help(format!(
                "use `{}` before it is removed",
                retired.replacement
            )),
        );
    }
    let Some(info) = catalog.get(&unit.cluster, resource.api_version(), resource.kind()) else {
        let known = catalog.versions_of(&unit.cluster, resource.kind());
        let mut diagnostic = Diagnostic::error(format!(
            "no schema for `{}` in `{}`",
            resource.kind(),
            resource.api_version()
        ))
        .at(source_of(repo, unit, resource, "/apiVersion", false))
        .subject(subject)
        .cluster(&unit.cluster);
        diagnostic = if known.is_empty() {
            diagnostic.help("declare its CustomResourceDefinition under `platform/crds/`, or pass `--allow-unknown-kinds` to only warn")
        } else {
            diagnostic.help(format!(
                "paved knows `{}` in {}",
                resource.kind(),
                quote_list(&known)
            ))
        };
        if options.allow_unknown_kinds {
            diagnostic.severity = Severity::Warning;
        }
        out.push(diagnostic);
        return out;
    };
    match (info.namespaced, resource.namespace()) {
        (false, Some(namespace)) => out.push(
            Diagnostic::error(format!(
                "`{}` is cluster-scoped but is given namespace `{namespace}`",
                resource.kind()
            ))
            .at(source_of(repo, unit, resource, "/metadata/namespace", true))
            .field("metadata.namespace")
            .subject(subject.clone())
            .cluster(&unit.cluster),
        ),
        (true, None) => out.push(
            Diagnostic::error(format!(
                "`{}` is namespaced but has no namespace",
                resource.kind()
            ))
            .at(source_of(repo, unit, resource, "/metadata", false))
            .field("metadata.namespace")
            .subject(subject.clone())
            .cluster(&unit.cluster),
        ),
        _ => {}
    }
    let validator = match info.validator {
        Ok(validator) => validator,
        Err(error) => {
            out.push(
                Diagnostic::error(format!(
                    "the schema of `{}` does not compile: {error}",
                    resource.kind()
                ))
                .subject(subject)
                .cluster(&unit.cluster),
            );
            return out;
        }
    };
    for finding in schema_findings(validator, info.schema, &resource.value, "") {
        // An unknown or missing field is the template's doing; a bad value
        // may come from an input.
        let blame_value = !finding.at_key;
        let location = source_of(repo, unit, resource, &finding.pointer, blame_value);
        let mut diagnostic = finding.located(location);
        diagnostic.subject = Some(subject.clone());
        diagnostic.clusters.push(unit.cluster.clone());
        out.push(diagnostic);
    }
    out
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
        && let Some(file) = repo_file(repo, &origin.file)
        && let Some(span) = file.doc.span_for(&origin.pointer, false)
    {
        return Location::at(&file.path, span);
    }
    // 3. The template line that prints the field.
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
                let token = format!("/{}", crate::yaml::escape_token(hint));
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
            && let Some(file) = repo_file(repo, &origin.file)
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
