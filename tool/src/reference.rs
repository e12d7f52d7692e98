//! The reference for the input format: every field of every input file,
//! read from the same JSON Schemas that check the files (description,
//! type, default, allowed values), with an example taken from the
//! repository's own files where one uses the field. As data
//! ([`KindDoc`], for the portal and other readers) and as Markdown
//! (`docs/reference/`, written by `paved schema` and checked fresh in CI).
//! Pure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::input::load::RawInputs;
use crate::input::schema::InputKind;

/// Where the reference is written, relative to the repository root.
pub const REFERENCE_DIR: &str = "docs/reference";

/// One field of an input file.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDoc {
    /// As people write it: `environments.<name>.tag`, `patches[].target`.
    pub path: String,
    pub description: String,
    /// In words: `text`, `whole number from 1 to 65535`, `list of text`.
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub default: Option<Value>,
    /// A value from the repository's own files, and the file.
    pub example: Option<(Value, String)>,
}

/// One kind of input file.
#[derive(Debug, Clone, Serialize)]
pub struct KindDoc {
    pub kind: String,
    /// Where such files live.
    pub location: String,
    /// The file name under `docs/reference/` and `schemas/`.
    pub slug: String,
    pub description: String,
    pub fields: Vec<FieldDoc>,
}

/// Where files of `kind` live.
pub fn location(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Platform => "platform/platform.yaml",
        InputKind::Environment => "environments/<environment>.yaml",
        InputKind::Team => "teams/<team>/team.yaml",
        InputKind::Service => "teams/<team>/services/<service>.yaml",
        InputKind::GoldenPath => "golden-paths/<path>/path.yaml",
        InputKind::PolicyExceptions => "policies/exceptions.yaml",
        InputKind::PolicyConfig => "policies/paved.yaml",
        InputKind::ResourceClass => "platform/resources/<class>.yaml",
        InputKind::Dora => "platform/dora.yaml",
        InputKind::Scorecards => "platform/scorecards.yaml",
    }
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|r| root.pointer(r))
        {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}

fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.rsplit('/').next()
}

/// The type of `node` in words.
fn type_words(root: &Value, node: &Value) -> String {
    if ref_name(node) == Some("Spec") {
        return "mapping of service fields".into();
    }
    let node = resolve(root, node);
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        if options.len() == 1 {
            return format!("always `{}`", options[0].as_str().unwrap_or_default());
        }
        let names: Vec<String> = options
            .iter()
            .map(|o| {
                format!(
                    "`{}`",
                    o.as_str().map_or_else(|| o.to_string(), str::to_owned)
                )
            })
            .collect();
        return format!("one of {}", names.join(", "));
    }
    if let Some(constant) = node.get("const") {
        return format!("always `{}`", constant.as_str().unwrap_or_default());
    }
    if let Some(branches) = node
        .get("oneOf")
        .or(node.get("anyOf"))
        .and_then(Value::as_array)
    {
        let words: Vec<String> = branches.iter().map(|b| type_words(root, b)).collect();
        return words.join(", or ");
    }
    let kinds: Vec<&str> = match node.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut words: Vec<String> = kinds
        .iter()
        .map(|kind| match *kind {
            "string" => "text".to_owned(),
            "integer" => "whole number".to_owned(),
            "number" => "number".to_owned(),
            "boolean" => "`true` or `false`".to_owned(),
            "array" => match node.get("items") {
                Some(items) => format!("list of {}", type_words(root, items)),
                None => "list".to_owned(),
            },
            "object" => match node.get("additionalProperties").filter(|a| a.is_object()) {
                Some(values) => format!("mapping of names to {}", type_words(root, values)),
                None if node.get("properties").is_some() => "mapping (fields below)".to_owned(),
                None => "mapping".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect();
    if words.is_empty() {
        words.push("any value".into());
    }
    let mut text = words.join(" or ");
    let bound = |key: &str| node.get(key).and_then(Value::as_f64);
    match (bound("minimum"), bound("maximum")) {
        (Some(min), Some(max)) => {
            let _ = write!(text, " from {min} to {max}");
        }
        (Some(min), None) => {
            let _ = write!(text, ", at least {min}");
        }
        _ => {}
    }
    if let Some(pattern) = node.get("pattern").and_then(Value::as_str) {
        let _ = write!(text, ", matching `{pattern}`");
    }
    if let Some(max) = node.get("maxLength").and_then(Value::as_u64) {
        let _ = write!(text, ", at most {max} characters");
    }
    text
}

/// The fields of one kind, from its schema.
pub fn fields(kind: InputKind) -> Vec<FieldDoc> {
    fields_of(kind.schema())
}

/// The fields a schema describes, at any depth, as the reference lists
/// them.
pub fn fields_of(root: &Value) -> Vec<FieldDoc> {
    let mut out = Vec::new();
    walk(root, root, "", &mut out, 0);
    out
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

fn walk(root: &Value, node: &Value, base: &str, out: &mut Vec<FieldDoc>, depth: usize) {
    if depth > 8 {
        return;
    }
    let node = resolve(root, node);
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let path = join(base, name);
        let target = resolve(root, property);
        let mut description = property
            .get("description")
            .or_else(|| target.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('\n', " ");
        // The layered fields are documented once, with the service.
        let spec = |n: &Value| ref_name(n) == Some("Spec");
        let values = target.get("additionalProperties").filter(|a| a.is_object());
        if spec(property) {
            description
                .push_str(" Takes the fields a service sets (see [service.md](service.md)).");
        }
        if values.is_some_and(spec) {
            description.push_str(
                " Each takes the fields a service sets above (see [service.md](service.md)).",
            );
        }
        out.push(FieldDoc {
            path: path.clone(),
            description,
            kind: type_words(root, property),
            required: required.contains(&name.as_str()),
            default: property.get("default").cloned(),
            example: None,
        });
        if spec(property) {
            continue;
        }
        walk(root, property, &path, out, depth + 1);
        if let Some(values) = values.filter(|v| !spec(v)) {
            walk(root, values, &format!("{path}.<name>"), out, depth + 1);
        }
        if let Some(items) = target.get("items") {
            walk(root, items, &format!("{path}[]"), out, depth + 1);
        }
    }
}

/// The first value each field path takes in `value` (a file of `kind`),
/// keyed as [`FieldDoc::path`] spells them.
fn examples_in(
    root: &Value,
    node: &Value,
    value: &Value,
    base: &str,
    out: &mut BTreeMap<String, Value>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    let node = resolve(root, node);
    let Some(map) = value.as_object() else { return };
    let properties = node.get("properties").and_then(Value::as_object);
    let values = node.get("additionalProperties").filter(|a| a.is_object());
    for (key, child) in map {
        let (path, schema) = match (properties.and_then(|p| p.get(key)), values) {
            (Some(schema), _) => (join(base, key), schema),
            (None, Some(schema)) => (join(base, "<name>"), schema),
            _ => continue,
        };
        if ref_name(schema) == Some("Spec") && !base.is_empty() {
            out.entry(path).or_insert_with(|| child.clone());
            // A service's per-environment entry: examples of its own fields.
            if root["title"] == "paved Service" {
                examples_in(root, root, child, "", out, depth + 1);
            }
            continue;
        }
        out.entry(path.clone()).or_insert_with(|| child.clone());
        examples_in(root, schema, child, &path, out, depth + 1);
        if let (Some(items), Some(list)) = (resolve(root, schema).get("items"), child.as_array()) {
            for item in list {
                examples_in(root, items, item, &format!("{path}[]"), out, depth + 1);
            }
        }
    }
}

/// Every kind's reference, with examples from `inputs` (the repository's
/// own files, as loaded).
pub fn documents(inputs: &RawInputs) -> Vec<KindDoc> {
    let mut files: BTreeMap<InputKind, Vec<(&str, &Value)>> = BTreeMap::new();
    fn push<'a>(
        files: &mut BTreeMap<InputKind, Vec<(&'a str, &'a Value)>>,
        kind: InputKind,
        file: &'a crate::input::load::SourceFile,
    ) {
        files
            .entry(kind)
            .or_default()
            .push((file.path.as_str(), &file.doc.value));
    }
    if let Some(file) = &inputs.platform {
        push(&mut files, InputKind::Platform, file);
    }
    for file in &inputs.environments {
        push(&mut files, InputKind::Environment, file);
    }
    for team in &inputs.teams {
        if let Some(file) = &team.file {
            push(&mut files, InputKind::Team, file);
        }
        for file in &team.services {
            push(&mut files, InputKind::Service, file);
        }
    }
    for path in &inputs.golden_paths {
        if let Some(file) = &path.file {
            push(&mut files, InputKind::GoldenPath, file);
        }
    }
    if let Some(file) = &inputs.exceptions {
        push(&mut files, InputKind::PolicyExceptions, file);
    }
    if let Some(file) = &inputs.policy_config {
        push(&mut files, InputKind::PolicyConfig, file);
    }
    InputKind::ALL
        .iter()
        .map(|kind| {
            let root = kind.schema();
            let mut fields = fields(*kind);
            let mut found: BTreeMap<String, (Value, String)> = BTreeMap::new();
            let mut sorted = files.get(kind).cloned().unwrap_or_default();
            sorted.sort_by_key(|(path, _)| *path);
            for (path, value) in sorted {
                let mut here = BTreeMap::new();
                examples_in(root, root, value, "", &mut here, 0);
                for (field, example) in here {
                    found.entry(field).or_insert((example, path.to_owned()));
                }
            }
            for field in &mut fields {
                field.example = found.get(&field.path).cloned();
            }
            let slug = kind.file_name().trim_end_matches(".json").to_owned();
            KindDoc {
                kind: root["title"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("paved ")
                    .to_owned(),
                location: location(*kind).to_owned(),
                slug,
                description: root["description"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', " "),
                fields,
            }
        })
        .collect()
}

/// A value as a short YAML flow text.
fn flow(value: &Value) -> String {
    let text = crate::input::edit::flow(value, None);
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(117).collect::<String>())
    } else {
        text
    }
}

/// One kind's reference as Markdown.
pub fn markdown(doc: &KindDoc) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} (`{}`)\n", doc.kind, doc.location);
    let _ = writeln!(
        out,
        "<!-- Generated by `paved schema` from `schemas/{}.json`. Do not edit. -->\n",
        doc.slug
    );
    if !doc.description.is_empty() {
        let _ = writeln!(out, "{}\n", doc.description);
    }
    let _ = writeln!(
        out,
        "Editors check these files against `schemas/{0}.json` through the `# yaml-language-server: $schema=...` line at their top.\n",
        doc.slug
    );
    let _ = writeln!(out, "| field | type | required |\n|---|---|---|");
    for field in &doc.fields {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            field.path,
            anchor(&field.path),
            field.kind.replace('|', "\\|"),
            if field.required { "yes" } else { "" }
        );
    }
    for field in &doc.fields {
        let _ = writeln!(out, "\n## `{}`\n", field.path);
        if !field.description.is_empty() {
            let _ = writeln!(out, "{}\n", field.description);
        }
        let _ = writeln!(out, "- Type: {}", field.kind);
        let _ = writeln!(
            out,
            "- Required: {}",
            if field.required { "yes" } else { "no" }
        );
        if let Some(default) = &field.default {
            let _ = writeln!(out, "- Default: `{}`", flow(default));
        }
        if let Some((example, file)) = &field.example {
            let _ = writeln!(out, "- Example (from `{file}`): `{}`", flow(example));
        }
    }
    out
}

/// The heading anchor GitHub (and most Markdown renderers) give a
/// heading's text: lower case, letters, digits, `-` and `_` kept, spaces
/// made `-`, everything else dropped (``## `secretStore.name` `` →
/// `secretstorename`).
pub fn anchor(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            ' ' => vec!['-'],
            '-' | '_' => vec![c],
            c if c.is_alphanumeric() => c.to_lowercase().collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Every file of `docs/reference/`, by path relative to the repository
/// root: one per kind and an index.
pub fn files(inputs: &RawInputs) -> BTreeMap<String, String> {
    let docs = documents(inputs);
    let mut out = BTreeMap::new();
    let mut index = String::from(
        "# Input reference\n\n<!-- Generated by `paved schema`. Do not edit. -->\n\n\
         Every field of every file paved reads, generated from the JSON Schemas that\n\
         check them (`schemas/`), with examples from this repository's own files.\n\n\
         | file | where |\n|---|---|\n",
    );
    for doc in &docs {
        let _ = writeln!(
            index,
            "| [{}]({}.md) | `{}` |",
            doc.kind, doc.slug, doc.location
        );
        out.insert(format!("{REFERENCE_DIR}/{}.md", doc.slug), markdown(doc));
    }
    out.insert(format!("{REFERENCE_DIR}/README.md"), index);
    out
}
