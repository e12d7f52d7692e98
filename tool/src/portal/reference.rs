//! The input reference: every field of every input file, from the same
//! JSON Schemas that check the inputs (so it cannot drift from them).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::html::escape;
use crate::input::schema::InputKind;

/// Where each kind of input file lives, and what it is.
fn about(kind: InputKind) -> (&'static str, &'static str) {
    match kind {
        InputKind::Platform => (
            "platform/platform.yaml",
            "Settings for the whole organisation.",
        ),
        InputKind::Environment => (
            "environments/<name>.yaml",
            "One environment and its clusters.",
        ),
        InputKind::Team => (
            "teams/<team>/team.yaml",
            "A team: owners, group, quotas, grants.",
        ),
        InputKind::Service => (
            "teams/<team>/services/<service>.yaml",
            "A service intent: what a team writes to run a service.",
        ),
        InputKind::GoldenPath => (
            "golden-paths/<path>/path.yaml",
            "A golden path: version, parameters, defaults.",
        ),
        InputKind::PolicyExceptions => (
            "policies/exceptions.yaml",
            "Owned, dated waivers of policy rules.",
        ),
        InputKind::PolicyConfig => ("policies/paved.yaml", "How the Rego policies run."),
        InputKind::ResourceClass => (
            "platform/resources/<class>.yaml",
            "A class of managed resource: options, sizes, how it is provisioned.",
        ),
    }
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> (&'a Value, Option<String>) {
    let mut name = None;
    for _ in 0..16 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                name = reference.rsplit('/').next().map(str::to_owned);
                match reference.strip_prefix('#').and_then(|p| root.pointer(p)) {
                    Some(next) => node = next,
                    None => break,
                }
            }
            None => break,
        }
    }
    (node, name)
}

/// A short type description: `string`, `integer (1–600)`, `one of: a, b`.
fn type_of(root: &Value, node: &Value) -> String {
    let (node, _) = resolve(root, node);
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = options
            .iter()
            .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_owned))
            .collect();
        return format!("one of: {}", names.join(", "));
    }
    if let Some(constant) = node.get("const") {
        return format!(
            "always {}",
            constant
                .as_str()
                .map_or_else(|| constant.to_string(), str::to_owned)
        );
    }
    if let Some(branches) = node
        .get("oneOf")
        .or_else(|| node.get("anyOf"))
        .and_then(Value::as_array)
    {
        let kinds: Vec<String> = branches.iter().map(|b| type_of(root, b)).collect();
        return kinds.join(" or ");
    }
    let kind = match node.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ if node.get("properties").is_some() => "object".into(),
        _ => "any".into(),
    };
    let mut extra = Vec::new();
    if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
        extra.push(format!("pattern `{pattern}`"));
    }
    match (node.get("minimum"), node.get("maximum")) {
        (Some(min), Some(max)) => extra.push(format!("{min} to {max}")),
        (Some(min), None) => extra.push(format!("at least {min}")),
        (None, Some(max)) => extra.push(format!("at most {max}")),
        _ => {}
    }
    if kind == "object"
        && node.get("properties").is_none()
        && let Some(values) = node.get("additionalProperties").filter(|v| v.is_object())
    {
        return format!("map of name to {}", type_of(root, values));
    }
    if kind == "array"
        && let Some(items) = node.get("items")
    {
        return format!("list of {}", type_of(root, items));
    }
    if extra.is_empty() {
        kind
    } else {
        format!("{kind} ({})", extra.join(", "))
    }
}

struct Row {
    field: String,
    kind: String,
    required: bool,
    description: String,
}

/// Walks the fields under `node`, writing a row for each.
fn walk(
    root: &Value,
    node: &Value,
    prefix: &str,
    rows: &mut Vec<Row>,
    expanded: &mut BTreeMap<String, String>,
    depth: usize,
) {
    let (node, name) = resolve(root, node);
    if depth > 8 {
        return;
    }
    if let Some(name) = &name {
        if let Some(first) = expanded.get(name) {
            if let Some(last) = rows.last_mut()
                && !first.is_empty()
            {
                last.description
                    .push_str(&format!(" Holds the same fields as `{first}`."));
            }
            return;
        }
        expanded.insert(name.clone(), prefix.to_owned());
    }
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (key, child) in properties {
            let field = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let (resolved, _) = resolve(root, child);
            let description = child
                .get("description")
                .or_else(|| resolved.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            rows.push(Row {
                field: field.clone(),
                kind: type_of(root, child),
                required: required.contains(&key.as_str()),
                description,
            });
            walk(root, child, &field, rows, expanded, depth + 1);
        }
    }
    if node.get("properties").is_none()
        && let Some(values) = node.get("additionalProperties").filter(|v| v.is_object())
    {
        walk(
            root,
            values,
            &format!("{prefix}.<name>"),
            rows,
            expanded,
            depth + 1,
        );
    }
    if let Some(items) = node.get("items") {
        walk(
            root,
            items,
            &format!("{prefix}[]"),
            rows,
            expanded,
            depth + 1,
        );
    }
}

/// The reference's HTML (a section per input file) and its text for search.
pub fn html() -> (String, String) {
    let mut out = String::new();
    let mut text = String::new();
    out.push_str("<h1>Input reference</h1>\n<p>Every field of every input file, from the JSON Schemas that <code>paved</code> checks the inputs against (also in <code>schemas/</code>, for editors). Fields marked <strong>required</strong> must be set.</p>\n<nav aria-label=\"Input files\"><ul>\n");
    for kind in InputKind::ALL {
        let (path, _) = about(kind);
        let id = kind.file_name().trim_end_matches(".json");
        let _ = writeln!(
            out,
            "<li><a href=\"#{id}\"><code>{}</code></a></li>",
            escape(path)
        );
    }
    out.push_str("</ul></nav>\n");
    for kind in InputKind::ALL {
        let (path, what) = about(kind);
        let id = kind.file_name().trim_end_matches(".json");
        let schema = kind.schema();
        let mut rows = Vec::new();
        walk(schema, schema, "", &mut rows, &mut BTreeMap::new(), 0);
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\"><code>{}</code></h2>\n<p>{}</p>",
            escape(path),
            escape(what)
        );
        let _ = writeln!(text, "{path} {what}");
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                let _ = writeln!(text, "{} {}", row.field, row.description);
                vec![
                    format!(
                        "<code id=\"{id}-{}\">{}</code>",
                        escape(&row.field.replace(['<', '>', '[', ']'], "")),
                        escape(&row.field)
                    ),
                    escape(&row.kind),
                    if row.required {
                        "required".into()
                    } else {
                        "optional".into()
                    },
                    super::html::inline(&row.description),
                ]
            })
            .collect();
        out.push_str(&super::html::table(
            &format!("Fields of {path}"),
            &["Field", "Type", "Required", "Meaning"],
            &cells,
            "reference",
        ));
        out.push_str("</section>\n");
    }
    (out, text)
}
