//! `paved schema`: write (or check) the JSON Schemas in `schemas/`.

use std::collections::BTreeMap;

use super::Settings;
use crate::ExitStatus;
use crate::cli::SchemaArgs;
use crate::schema::InputKind;

/// The directory schemas are written to.
pub const SCHEMAS_DIR: &str = "schemas";

/// Every schema file, by name, with its text.
pub fn schema_files() -> BTreeMap<String, String> {
    InputKind::ALL
        .iter()
        .map(|kind| {
            let mut text = serde_json::to_string_pretty(kind.schema()).expect("schemas serialise");
            text.push('\n');
            (kind.file_name().to_owned(), text)
        })
        .collect()
}

pub fn exec(settings: &Settings, args: &SchemaArgs) -> ExitStatus {
    let dir = settings.root.join(SCHEMAS_DIR);
    let files = schema_files();
    if args.check {
        let stale: Vec<&String> = files
            .iter()
            .filter(|(name, text)| {
                std::fs::read_to_string(dir.join(name)).ok().as_ref() != Some(*text)
            })
            .map(|(name, _)| name)
            .collect();
        if stale.is_empty() {
            eprintln!("`{SCHEMAS_DIR}/` is up to date");
            return ExitStatus::Success;
        }
        for name in stale {
            eprintln!("stale: {SCHEMAS_DIR}/{name}");
        }
        eprintln!("`{SCHEMAS_DIR}/` is out of date: run `paved schema` and commit the result");
        return ExitStatus::Findings;
    }
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("error: cannot create `{}`: {error}", dir.display());
        return ExitStatus::Error;
    }
    let mut written = 0;
    for (name, text) in &files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return ExitStatus::Error;
        }
        written += 1;
    }
    eprintln!(
        "Wrote {written} of {} schemas to `{SCHEMAS_DIR}/`",
        files.len()
    );
    ExitStatus::Success
}
