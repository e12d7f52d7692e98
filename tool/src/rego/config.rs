//! The policy configuration (`policies/paved.yaml`), resolved: settings for
//! the Rego engine and the data files merged into `data`.

use crate::diagnostic::{Diagnostic, Location};
use crate::input::repo::Repo;
use crate::rego;

/// The policy configuration, resolved: settings for the Rego engine and
/// the data files merged into `data`.
pub struct Setup {
    pub settings: rego::Settings,
    pub data: Option<serde_json::Value>,
}

/// Where `pointer` is in `policies/paved.yaml`.
pub fn config_location(repo: &Repo, pointer: &str) -> Location {
    match &repo.policy_config {
        Some(entry) => match entry.file.doc.span_for(pointer, false) {
            Some(span) => Location::at(&entry.file.path, span),
            None => Location::file(&entry.file.path),
        },
        None => Location::file(crate::input::load::POLICY_CONFIG_FILE),
    }
}

/// Reads `policies/paved.yaml` (defaults when absent) and the data files it
/// names.
pub fn setup(repo: &Repo) -> Result<Setup, Vec<Diagnostic>> {
    let default = crate::input::model::PolicyConfig::default();
    let config = repo.policy_config.as_ref().map_or(&default, |e| &e.value);
    setup_from(config, &repo.policy_data, &|pointer| {
        config_location(repo, pointer)
    })
}

/// The same from a configuration and the data files under `policies/`;
/// `locate` says where a field of the configuration is.
pub fn setup_from(
    config: &crate::input::model::PolicyConfig,
    policy_data: &[crate::input::load::TemplateFile],
    locate: &dyn Fn(&str) -> Location,
) -> Result<Setup, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let time = rego::parse_duration(&config.limits.time).unwrap_or_else(|| {
        diagnostics.push(
            Diagnostic::error(format!("`{}` is not a duration", config.limits.time))
                .at(locate("/limits/time"))
                .help("write milliseconds or seconds: `500ms`, `2s`"),
        );
        std::time::Duration::from_secs(2)
    });
    let settings = rego::Settings {
        namespaces: if config.all_namespaces {
            None
        } else {
            Some(
                config
                    .namespaces
                    .clone()
                    .unwrap_or_else(|| vec!["main".to_owned()]),
            )
        },
        unit: config.combine.unit.clone(),
        cluster: config.combine.cluster.clone(),
        time,
        depth: config.limits.depth,
    };

    // Data files: each one's top-level keys merged into `data`.
    let mut data = serde_json::Map::new();
    for (index, entry) in config.data.iter().enumerate() {
        let at = || locate(&format!("/data/{index}"));
        let relative = entry.trim_end_matches('/');
        if relative.is_empty()
            || relative.starts_with('/')
            || relative
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty())
        {
            diagnostics.push(
                Diagnostic::error(format!("data path `{entry}` must stay inside `policies/`"))
                    .at(at())
                    .field(format!("data[{index}]"))
                    .help("name a file or directory relative to `policies/`, such as `data/` or `data/registries.yaml`"),
            );
            continue;
        }
        let path = format!("{}/{relative}", crate::input::load::POLICIES_DIR);
        let files: Vec<&crate::input::load::TemplateFile> = policy_data
            .iter()
            .filter(|f| f.path == path || f.path.starts_with(&format!("{path}/")))
            .collect();
        if files.is_empty() {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{path}` holds no `.yaml`, `.yml` or `.json` data file"
                ))
                .at(at())
                .field(format!("data[{index}]"))
                .help("data files are YAML or JSON objects; their keys appear under `data.`"),
            );
        }
        for file in files {
            match read_data(file) {
                Ok(value) => {
                    if let Err(key) = merge_data(&mut data, value) {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`{}` sets `data.{key}`, which another data file already sets",
                                file.path
                            ))
                            .in_file(&file.path)
                            .help(
                                "each data key may come from one file only, as conftest requires",
                            ),
                        );
                    }
                }
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Setup {
        settings,
        data: (!data.is_empty()).then_some(serde_json::Value::Object(data)),
    })
}

fn read_data(
    file: &crate::input::load::TemplateFile,
) -> Result<serde_json::Map<String, serde_json::Value>, Diagnostic> {
    let value = if file.path.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(&file.text).map_err(|error| {
            let location =
                match crate::diagnostic::Span::at_line(&file.text, error.line(), error.column()) {
                    Some(span) => Location::at(&file.path, span),
                    None => Location::file(&file.path),
                };
            Diagnostic::error(format!("invalid JSON: {error}")).at(location)
        })?
    } else {
        crate::input::yaml::parse_document(&file.path, &file.text)?.value
    };
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Diagnostic::error(format!(
            "data file `{}` must hold an object: its keys appear under `data.`",
            file.path
        ))
        .in_file(&file.path)),
    }
}

/// Deep-merges `from` into `into`; a key set twice to non-objects is a
/// conflict, named in the error.
fn merge_data(
    into: &mut serde_json::Map<String, serde_json::Value>,
    from: serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (None, value) => {
                into.insert(key, value);
            }
            (Some(serde_json::Value::Object(existing)), serde_json::Value::Object(more)) => {
                merge_data(existing, more).map_err(|inner| format!("{key}.{inner}"))?;
            }
            _ => return Err(key),
        }
    }
    Ok(())
}
