//! `paved schema`: write (or check) the JSON Schemas in `schemas/`.

use std::collections::BTreeMap;

use super::settings::Settings;
use crate::cli::SchemaArgs;
use crate::diagnostic::Diagnostic;
use crate::input::schema::InputKind;
use crate::output::ExitStatus;
use serde_json::{Value, json};

/// The directory schemas are written to.
pub const SCHEMAS_DIR: &str = "schemas";

/// Every schema file, by name, with its text. The service schema also
/// knows the repository's golden paths: `goldenPath` completes to their
/// names, and `params` to the chosen path's parameters.
pub fn schema_files(golden_paths: &[(String, String, Value)]) -> BTreeMap<String, String> {
    InputKind::ALL
        .iter()
        .map(|kind| {
            let mut schema = kind.schema().clone();
            if *kind == InputKind::Service && !golden_paths.is_empty() {
                with_golden_paths(&mut schema, golden_paths);
            }
            let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialise");
            text.push('\n');
            (kind.file_name().to_owned(), text)
        })
        .collect()
}

fn with_golden_paths(schema: &mut Value, golden_paths: &[(String, String, Value)]) {
    let names: Vec<Value> = golden_paths.iter().map(|(name, ..)| json!(name)).collect();
    let descriptions: Vec<String> = golden_paths
        .iter()
        .map(|(name, description, _)| format!("`{name}`: {description}"))
        .collect();
    schema["properties"]["goldenPath"]["enum"] = Value::Array(names);
    schema["properties"]["goldenPath"]["description"] = json!(format!(
        "The golden path this service follows. {}",
        descriptions.join(" ")
    ));
    let branches: Vec<Value> = golden_paths
        .iter()
        .map(|(name, _, params)| {
            // Parameters may come from several layers: in an editor, show
            // what each means without insisting on any one file.
            let mut params = params.clone();
            if let Some(object) = params.as_object_mut() {
                object.remove("required");
            }
            json!({
                "if": {"properties": {"goldenPath": {"const": name}}, "required": ["goldenPath"]},
                "then": {"properties": {"params": params}},
            })
        })
        .collect();
    schema["allOf"] = Value::Array(branches);
}

/// The golden paths that load, as (name, description, params schema).
fn golden_paths(settings: &Settings) -> Vec<(String, String, Value)> {
    let Ok(source) = settings.work_tree() else {
        return Vec::new();
    };
    let (raw, _) = crate::input::load::load(&source);
    let mut out: Vec<(String, String, Value)> = raw
        .golden_paths
        .iter()
        .filter_map(|path| {
            let doc = &path.file.as_ref()?.doc.value;
            let description = doc["description"].as_str().unwrap_or_default().to_owned();
            let params = doc
                .get("params")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            Some((path.dir.clone(), description, params))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The reference Markdown (`docs/reference/`), with examples from the
/// repository's files, by path relative to the root.
fn reference_files(settings: &Settings) -> BTreeMap<String, String> {
    let Ok(source) = settings.work_tree() else {
        return BTreeMap::new();
    };
    let (raw, _) = crate::input::load::load(&source);
    crate::reference::files(&raw)
}

pub fn exec(settings: &Settings, args: &SchemaArgs) -> ExitStatus {
    let printer = &settings.printer;
    let dir = settings.root.join(SCHEMAS_DIR);
    let mut files: BTreeMap<String, String> = schema_files(&golden_paths(settings))
        .into_iter()
        .map(|(name, text)| (format!("{SCHEMAS_DIR}/{name}"), text))
        .collect();
    files.extend(reference_files(settings));
    files.insert(
        crate::render::context::AUTHORING_DOC.to_owned(),
        crate::render::context::authoring_markdown(),
    );
    let dir = {
        let _ = dir;
        settings.root.clone()
    };
    if args.check {
        let stale: Vec<String> = files
            .iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(*text)
            })
            .map(|(name, _)| name.clone())
            .collect();
        printer.result("stale", &stale);
        if stale.is_empty() {
            printer.say(format!("{} are up to date", generated()));
            return ExitStatus::Success;
        }
        for name in &stale {
            printer.say(format!("stale: {name}"));
        }
        printer.say(format!(
            "{} are out of date: run `paved schema` and commit the result",
            generated()
        ));
        return ExitStatus::Findings;
    }
    let mut written = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent()
            && let Err(error) = std::fs::create_dir_all(parent)
        {
            printer.error(Diagnostic::error(format!(
                "cannot create `{}`: {error}",
                parent.display()
            )));
            return ExitStatus::Error;
        }
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Err(error) = std::fs::write(&path, text) {
            printer.error(Diagnostic::error(format!(
                "cannot write `{}`: {error}",
                path.display()
            )));
            return ExitStatus::Error;
        }
        written.push(name.clone());
    }
    printer.result("written", &written);
    printer.say(format!(
        "Wrote {} of {} files: {}",
        written.len(),
        files.len(),
        generated()
    ));
    ExitStatus::Success
}

/// What `paved schema` writes, in words.
fn generated() -> String {
    format!(
        "`{SCHEMAS_DIR}/`, `{}/` and `{}`",
        crate::reference::REFERENCE_DIR,
        crate::render::context::AUTHORING_DOC
    )
}
