//! Explain: why a service's value is what it is in one cluster. Each
//! resolved value with the layer that set it (golden-path default,
//! platform, environment, service, per-environment override) and the
//! file, line and field there (`resolve::Provenance`); each field of a
//! rendered resource with the template line that printed it, the patch
//! that wrote it and the input that set its value (`render::blame`).
//! Pure: built from the rendered tree in memory.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location};
use crate::input::repo::Repo;
use crate::render::blame;
use crate::render::resolve::{self, LayerKind};
use crate::render::{Rendered, RenderedUnit, Resource, UnitKind};
use crate::support::pointer::{field_path, pointer_push};
use crate::support::text::quote_list;

/// A place in a file, as `file:line:column`.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The field there, as that file spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Place {
    fn of(location: &Location, field: Option<String>) -> Place {
        Place {
            file: location.file.clone(),
            line: location.span.as_ref().map(|s| s.line),
            column: location.span.as_ref().map(|s| s.column),
            field,
        }
    }

    pub fn text(&self) -> String {
        let mut text = match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.file),
            _ => self.file.clone(),
        };
        if let Some(field) = &self.field {
            let _ = write!(text, " ({field})");
        }
        text
    }
}

/// One resolved value and where it was set.
#[derive(Debug, Clone, Serialize)]
pub struct ValueSource {
    /// The field, as a service writes it (`autoscaling.minReplicas`).
    pub field: String,
    pub value: Value,
    pub layer: Option<LayerKind>,
    pub set_at: Option<Place>,
}

/// One field of a rendered resource and what produced it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedSource {
    /// `Kind/name`.
    pub resource: String,
    pub field: String,
    pub value: Value,
    /// The template line that printed it.
    pub template: Place,
    /// The patch (or platform setting) that wrote it after the template.
    pub written_by: Option<Place>,
    /// The input that set its value, when one value of the service's
    /// layers reads the same.
    pub value_from: Option<ValueSource>,
}

/// Everything `paved explain` says about one service in one cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub service: String,
    pub team: String,
    pub environment: String,
    pub cluster: String,
    pub golden_path: String,
    pub golden_path_version: String,
    pub values: Vec<ValueSource>,
    pub rendered: Vec<RenderedSource>,
    /// Remarks on what the values mean (an ignored field, say).
    pub notes: Vec<String>,
}

/// Explains `service` in `cluster` (its first cluster, in promotion order,
/// when `None`), limited to `field` when given: a value path
/// (`env.LOG_LEVEL`) or a rendered field (`Deployment.spec.replicas`,
/// `Ingress/checkout.metadata.annotations`).
pub fn explain(
    repo: &Repo,
    rendered: &Rendered,
    service: &str,
    cluster: Option<&str>,
    field: Option<&str>,
) -> Result<Explanation, Diagnostic> {
    let Some(entry) = repo.service(service) else {
        let mut diagnostic = Diagnostic::error(format!("unknown service `{service}`"));
        let names = repo.services.iter().map(|s| s.value.name.as_str());
        if let Some(near) = crate::support::text::nearest(service, names) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        return Err(diagnostic.help("`paved list` shows every service"));
    };
    let units: Vec<&RenderedUnit> = rendered
        .units
        .iter()
        .filter(|u| matches!(&u.kind, UnitKind::Service { service: s, .. } if s == service))
        .collect();
    let order = repo.promotion_order();
    let mut ordered = units.clone();
    ordered.sort_by_key(|u| {
        let env = environment_of(u);
        (order.iter().position(|e| *e == env), u.cluster.clone())
    });
    let unit = match cluster {
        Some(cluster) => units
            .iter()
            .find(|u| u.cluster == cluster)
            .copied()
            .ok_or_else(|| {
                let clusters: Vec<&str> = ordered.iter().map(|u| u.cluster.as_str()).collect();
                Diagnostic::error(format!("`{service}` does not run in cluster `{cluster}`"))
                    .help(format!("it runs in {}", quote_list(&clusters)))
            })?,
        None => ordered.first().copied().ok_or_else(|| {
            Diagnostic::error(format!("`{service}` runs in no cluster"))
                .help("add an environment under `environments` in its intent")
        })?,
    };
    let environment = environment_of(unit).to_owned();
    let (resolved, _) = resolve::resolve(repo, &BTreeSet::new());
    let resolved = resolved
        .iter()
        .find(|r| r.service.value.name == service && r.environment.value.name == environment)
        .ok_or_else(|| {
            Diagnostic::error(format!("`{service}` did not resolve in `{environment}`"))
        })?;

    let mut explanation = Explanation {
        service: service.to_owned(),
        team: entry.team.clone(),
        environment: environment.clone(),
        cluster: unit.cluster.clone(),
        golden_path: resolved.golden_path.value.name.clone(),
        golden_path_version: resolved.golden_path.value.version.clone(),
        values: Vec::new(),
        rendered: Vec::new(),
        notes: Vec::new(),
    };
    let value_of = |pointer: &str, value: &Value| -> ValueSource {
        let origin = resolved.provenance().origin(pointer);
        let set_at = origin.as_ref().map(|origin| {
            let location = repo
                .file(&origin.file)
                .and_then(|file| file.doc.span_for(&origin.pointer, false))
                .map_or_else(
                    || Location::file(&origin.file),
                    |span| Location::at(&origin.file, span),
                );
            Place::of(
                &location,
                Some(field_path(&origin.pointer)).filter(|f| !f.is_empty()),
            )
        });
        ValueSource {
            field: field_path(pointer),
            value: value.clone(),
            layer: origin.map(|o| o.layer),
            set_at,
        }
    };

    let rendered_field = field.filter(|f| f.starts_with(|c: char| c.is_ascii_uppercase()));
    match (field, rendered_field) {
        (_, Some(path)) => {
            let (selector, rest) = match path.split_once('.') {
                Some((selector, rest)) => (selector, Some(rest)),
                None => (path, None),
            };
            let (kind, name) = match selector.split_once('/') {
                Some((kind, name)) => (kind, Some(name)),
                None => (selector, None),
            };
            let resources: Vec<&Resource> = unit
                .resources
                .iter()
                .filter(|r| r.kind() == kind && name.is_none_or(|n| r.name() == n))
                .collect();
            if resources.is_empty() {
                let present: Vec<String> = unit
                    .resources
                    .iter()
                    .map(|r| format!("{}/{}", r.kind(), r.name()))
                    .collect();
                return Err(Diagnostic::error(format!(
                    "`{service}` renders no `{selector}` in `{}`",
                    unit.cluster
                ))
                .help(format!("it renders {}", quote_list(&present))));
            }
            for resource in resources {
                let pointer = match rest {
                    Some(rest) => find_pointer(&resource.value, rest).ok_or_else(|| {
                        Diagnostic::error(format!(
                            "`{}/{}` has no field `{rest}`",
                            resource.kind(),
                            resource.name()
                        ))
                        .help(format!(
                            "its top-level fields: {}",
                            quote_list(
                                &resource
                                    .value
                                    .as_object()
                                    .map(|o| o.keys().collect::<Vec<_>>())
                                    .unwrap_or_default()
                            )
                        ))
                    })?,
                    None => String::new(),
                };
                for (leaf, value) in leaves(&resource.value, &pointer) {
                    explanation.rendered.push(rendered_source(
                        repo, unit, resource, &leaf, value, &value_of,
                    ));
                }
            }
        }
        (Some(path), None) => {
            let pointer = find_pointer(&resolved.values, path).ok_or_else(|| {
                let fields: Vec<&String> = resolved
                    .values
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                Diagnostic::error(format!("`{service}` has no value `{path}` in `{environment}`"))
                    .help(format!("its values: {}", quote_list(&fields)))
                    .help("for a field of a rendered resource, start with its kind: `Deployment.spec.replicas`")
            })?;
            for (leaf, value) in leaves(&resolved.values, &pointer) {
                explanation.values.push(value_of(&leaf, value));
            }
        }
        (None, _) => {
            for (leaf, value) in leaves(&resolved.values, "") {
                explanation.values.push(value_of(&leaf, value));
            }
        }
    }
    let touches = |name: &str| {
        explanation
            .values
            .iter()
            .any(|v| v.field == name || v.field.starts_with(&format!("{name}.")))
    };
    if resolved.values.get("autoscaling").is_some() && touches("replicas") {
        explanation.notes.push(
            "`replicas` is not used here: `autoscaling` is set, so the autoscaler decides between `minReplicas` and `maxReplicas`".into(),
        );
    }
    if resolved.values.get("digest").is_some() && touches("tag") {
        explanation
            .notes
            .push("`tag` is not used here: `digest` is set and wins".into());
    }
    Ok(explanation)
}

fn rendered_source(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
    value: &Value,
    value_of: &dyn Fn(&str, &Value) -> ValueSource,
) -> RenderedSource {
    let template = Place::of(&blame::template_line(repo, unit, resource, pointer), None);
    let written_by =
        blame::written_at(resource, pointer).map(|location| Place::of(&location, None));
    let hint = pointer
        .rsplit('/')
        .next()
        .map(crate::support::pointer::unescape_token);
    let cause = blame::cause_of(repo, unit, resource, pointer, hint.as_deref());
    let value_from = match (&written_by, &cause.origin) {
        (None, Some(origin)) => unit.values.as_ref().and_then(|values| {
            values
                .origins(value)
                .iter()
                .find(|o| &o.pointer == origin)
                .map(|o| ValueSource {
                    field: field_path(&o.pointer),
                    value: value.clone(),
                    layer: Some(o.layer),
                    set_at: Some(Place::of(&cause.location, cause.field.clone())),
                })
        }),
        _ => None,
    };
    let _ = value_of;
    RenderedSource {
        resource: format!("{}/{}", resource.kind(), resource.name()),
        field: field_path(pointer),
        value: value.clone(),
        template,
        written_by,
        value_from,
    }
}

fn environment_of(unit: &RenderedUnit) -> &str {
    match &unit.kind {
        UnitKind::Service { environment, .. }
        | UnitKind::Platform { environment }
        | UnitKind::ArgoCd { environment } => environment,
    }
}

/// The JSON pointer a dotted path (`env.LOG_LEVEL`, `containers[0].image`,
/// `annotations.nginx.ingress.kubernetes.io/limit-rps`) names in `value`:
/// keys that hold dots are matched whole.
pub fn find_pointer(value: &Value, path: &str) -> Option<String> {
    let mut segments: Vec<String> = Vec::new();
    for part in path.split('.') {
        // `name[0][1]` is a key and indexes.
        let mut rest = part;
        let key_end = rest.find('[').unwrap_or(rest.len());
        segments.push(rest[..key_end].to_owned());
        rest = &rest[key_end..];
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            segments.push(format!("[{}", &inner[..close]));
            rest = &inner[close + 1..];
        }
    }
    walk(value, &segments, String::new())
}

fn walk(value: &Value, segments: &[String], at: String) -> Option<String> {
    let Some(first) = segments.first() else {
        return Some(at);
    };
    if let Some(index) = first.strip_prefix('[') {
        let index: usize = index.parse().ok()?;
        let item = value.as_array()?.get(index)?;
        return walk(item, &segments[1..], format!("{at}/{index}"));
    }
    let map = value.as_object()?;
    // The longest run of segments that names a key.
    for take in (1..=segments.len()).rev() {
        if segments[..take].iter().any(|s| s.starts_with('[')) {
            continue;
        }
        let key = segments[..take].join(".");
        if let Some(child) = map.get(&key)
            && let Some(found) = walk(child, &segments[take..], pointer_push(&at, &key))
        {
            return Some(found);
        }
    }
    None
}

/// Every scalar (and empty collection) at or under `pointer`.
fn leaves<'v>(value: &'v Value, pointer: &str) -> Vec<(String, &'v Value)> {
    let mut out = Vec::new();
    let Some(start) = value.pointer(pointer) else {
        return out;
    };
    let mut pending = vec![(pointer.to_owned(), start)];
    while let Some((at, node)) = pending.pop() {
        match node {
            Value::Object(map) if !map.is_empty() => {
                for (key, child) in map.iter().rev() {
                    pending.push((pointer_push(&at, key), child));
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, child) in items.iter().enumerate().rev() {
                    pending.push((format!("{at}/{index}"), child));
                }
            }
            _ => out.push((at, node)),
        }
    }
    out
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 48 {
        format!("{}…", text.chars().take(47).collect::<String>())
    } else {
        text
    }
}

fn layer_name(layer: Option<LayerKind>) -> &'static str {
    match layer {
        Some(LayerKind::GoldenPath) => "golden path",
        Some(LayerKind::Platform) => "platform",
        Some(LayerKind::Environment) => "environment",
        Some(LayerKind::Service) => "service",
        Some(LayerKind::Override) => "override",
        None => "-",
    }
}

/// The explanation for people.
pub fn to_text(explanation: &Explanation) -> String {
    let mut out = format!(
        "{} in {} (environment {}, team {}, golden path {} {})\n",
        explanation.service,
        explanation.cluster,
        explanation.environment,
        explanation.team,
        explanation.golden_path,
        explanation.golden_path_version
    );
    if !explanation.values.is_empty() {
        out.push_str("\nValues, each from the last layer that set it (golden path < platform < environment < service < override):\n");
        let rows: Vec<[String; 4]> = explanation
            .values
            .iter()
            .map(|v| {
                [
                    v.field.clone(),
                    short(&v.value),
                    layer_name(v.layer).to_owned(),
                    v.set_at
                        .as_ref()
                        .map_or_else(|| "(derived)".into(), Place::text),
                ]
            })
            .collect();
        let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for row in &rows {
            let _ = writeln!(
                out,
                "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
                row[0], row[1], row[2], row[3]
            );
        }
    }
    for source in &explanation.rendered {
        let _ = writeln!(
            out,
            "\n{} {} = {}",
            source.resource,
            source.field,
            short(&source.value)
        );
        let _ = writeln!(out, "  printed by  {}", source.template.text());
        if let Some(written) = &source.written_by {
            let _ = writeln!(
                out,
                "  written by  {} (a patch or platform setting, after the template)",
                written.text()
            );
        }
        if let Some(from) = &source.value_from {
            let _ = writeln!(
                out,
                "  value from  {} ({} layer)",
                from.set_at.as_ref().map_or_else(String::new, Place::text),
                layer_name(from.layer)
            );
        }
    }
    for note in &explanation.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}
