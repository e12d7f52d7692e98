//! Stage 1, load: find and parse every input file from a [`Source`].
//!
//! Loading knows the repository layout and YAML, nothing about meaning:
//! checking the files against their schemas and each other is `validate`'s
//! job. Every file that cannot be read or parsed becomes a diagnostic; the
//! rest still load, so one run reports every broken file.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Sources};
use crate::input::source::{Entry, EntryKind, Source, SourceError, join};
use crate::input::yaml::{self, Document};

pub const PLATFORM_FILE: &str = "platform/platform.yaml";
pub const PLATFORM_TEMPLATES: &str = "platform/templates";
pub const CRDS_DIR: &str = "platform/crds";
pub const RESOURCES_DIR: &str = "platform/resources";
pub const ARGOCD_TEMPLATES: &str = "platform/argocd";
pub const ENVIRONMENTS_DIR: &str = "environments";
pub const TEAMS_DIR: &str = "teams";
pub const GOLDEN_PATHS_DIR: &str = "golden-paths";
pub const POLICIES_DIR: &str = "policies";
pub const EXCEPTIONS_FILE: &str = "policies/exceptions.yaml";
pub const POLICY_CONFIG_FILE: &str = "policies/paved.yaml";
/// The folders every input of a render lies in (checked by a test).
pub const INPUT_DIRS: &[&str] = &[
    "platform",
    ENVIRONMENTS_DIR,
    TEAMS_DIR,
    GOLDEN_PATHS_DIR,
    POLICIES_DIR,
];
/// The platform's documentation, published by the portal.
pub const DOCS_DIR: &str = "docs";
pub const DORA_FILE: &str = "platform/dora.yaml";
pub const SCORECARDS_FILE: &str = "platform/scorecards.yaml";

/// A parsed YAML input file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Repository-relative path.
    pub path: String,
    pub doc: Document,
}

/// A file of one or more YAML documents (CRDs come bundled).
#[derive(Debug, Clone)]
pub struct MultiFile {
    pub path: String,
    pub docs: Vec<Document>,
}

/// A template file, not parsed: it is YAML only after rendering.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// Name relative to the `templates/` directory, used by `include`.
    pub name: String,
    /// Repository-relative path.
    pub path: String,
    pub text: Arc<str>,
}

#[derive(Debug)]
pub struct RawTeam {
    /// The directory name under `teams/`.
    pub dir: String,
    pub file: Option<SourceFile>,
    pub services: Vec<SourceFile>,
    /// API definitions beside the intents: every file in `services/` that
    /// an intent there names in `api.definition` (a YAML one is then not
    /// an intent itself).
    pub apis: Vec<TemplateFile>,
}

#[derive(Debug)]
pub struct RawGoldenPath {
    /// The directory name under `golden-paths/`.
    pub dir: String,
    pub file: Option<SourceFile>,
    pub templates: Vec<TemplateFile>,
    /// Older versions kept beside the newest, in
    /// `golden-paths/<path>/versions/<version>/` (each with its own
    /// `path.yaml` and `templates/`), for environments that pin them.
    pub versions: Vec<RawGoldenPathVersion>,
}

/// An older version of a golden path.
#[derive(Debug)]
pub struct RawGoldenPathVersion {
    /// The directory name under `versions/`: the version.
    pub version: String,
    pub file: Option<SourceFile>,
    pub templates: Vec<TemplateFile>,
}

/// Where a golden path keeps its older versions.
pub const VERSIONS_DIR: &str = "versions";

/// Every input, parsed but not yet checked.
#[derive(Debug, Default)]
pub struct RawInputs {
    pub platform: Option<SourceFile>,
    pub platform_templates: Vec<TemplateFile>,
    /// Templates of each cluster's Argo CD objects.
    pub argocd_templates: Vec<TemplateFile>,
    /// The CustomResourceDefinitions the platform installs.
    pub crds: Vec<MultiFile>,
    /// The resource classes services claim (`platform/resources/`).
    pub resource_classes: Vec<SourceFile>,
    pub environments: Vec<SourceFile>,
    pub teams: Vec<RawTeam>,
    pub golden_paths: Vec<RawGoldenPath>,
    /// Rego policies (`policies/*.rego`), tests included.
    pub policies: Vec<TemplateFile>,
    /// `policies/exceptions.yaml`, when there is one.
    pub exceptions: Option<SourceFile>,
    /// `policies/paved.yaml`, when there is one.
    pub policy_config: Option<SourceFile>,
    /// Other `.yaml`, `.yml` and `.json` files under `policies/`: data the
    /// policy configuration may name.
    pub policy_data: Vec<TemplateFile>,
    /// `platform/dora.yaml`, when there is one.
    pub dora: Option<SourceFile>,
    /// `platform/scorecards.yaml`, when there is one.
    pub scorecards: Option<SourceFile>,
    /// The text of every file read, for showing offending lines.
    pub sources: Sources,
}

/// Reads every input from `source`.
pub fn load(source: &dyn Source) -> (RawInputs, Vec<Diagnostic>) {
    let mut loader = Loader {
        source,
        inputs: RawInputs::default(),
        diagnostics: Vec::new(),
    };
    loader.all();
    (loader.inputs, loader.diagnostics)
}

/// Most entries [`inputs`] lists before it gives up: a directory symlink
/// that leads back up would otherwise make the walk endless.
pub const MAX_INPUT_ENTRIES: usize = 1_000_000;

/// Whether `path` (an input's, or a directory's with or without its
/// trailing `/`) is under a team's `services/`: a service's own file.
pub fn is_service_input(path: &str) -> bool {
    let mut parts = path.split('/');
    parts.next() == Some(TEAMS_DIR) && parts.next().is_some() && parts.next() == Some("services")
}

/// What a render can read, by path, read through `source`: every
/// directory under [`INPUT_DIRS`] (with the value `""`, so that one
/// added or removed shows even with nothing in it) and the sha256 of every
/// file, but what a team's docs hold (`teams/<team>/docs/`, which only the
/// portal reads). A file that cannot be read is named by why: a render
/// that reads it fails, one that does not is not changed by it. Equal
/// maps mean equal inputs. `None` past [`MAX_INPUT_ENTRIES`].
pub fn inputs(source: &dyn Source) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut files = Vec::new();
    let mut pending: Vec<String> = INPUT_DIRS.iter().map(|d| (*d).to_owned()).collect();
    // Listed a few hundred folders at a time on every thread (a team's
    // folders are thousands), the count checked after each batch.
    while !pending.is_empty() {
        let batch: Vec<String> = pending.split_off(pending.len().saturating_sub(256));
        let listed: Vec<(String, Result<Vec<Entry>, SourceError>)> = batch
            .into_par_iter()
            .map(|dir| {
                let team_docs = dir
                    .strip_prefix(TEAMS_DIR)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| rest.ends_with("/docs") && rest.matches('/').count() == 1);
                let entries = match source.list(&dir) {
                    Ok(_) if team_docs => Ok(Vec::new()),
                    listed => listed,
                };
                (dir, entries)
            })
            .collect();
        for (dir, entries) in listed {
            let entries = match entries {
                Ok(entries) => entries,
                Err(error) => {
                    out.insert(format!("{dir}/"), unreadable(&error));
                    continue;
                }
            };
            out.insert(format!("{dir}/"), String::new());
            for entry in entries {
                let path = join(&dir, &entry.name);
                match entry.kind {
                    EntryKind::Dir => pending.push(path),
                    EntryKind::File => files.push(path),
                }
            }
        }
        if out.len() + files.len() > MAX_INPUT_ENTRIES {
            return None;
        }
    }
    let read: Vec<(String, String)> = files
        .into_par_iter()
        .map(|path| {
            let file = match source.read(&path) {
                Ok(text) => crate::support::hash::sha256(text.as_bytes()),
                Err(error) => unreadable(&error),
            };
            (path, file)
        })
        .collect();
    out.extend(read);
    Some(out)
}

/// An input that cannot be read, by why (never by its path or content).
fn unreadable(error: &SourceError) -> String {
    match error {
        SourceError::EscapingSymlink { .. } => "unreadable: a symlink out of the repository",
        SourceError::NotUtf8 { .. } => "unreadable: not UTF-8",
        SourceError::Unreadable { .. } => "unreadable",
        SourceError::TooLarge { .. } => "unreadable: too large",
    }
    .to_owned()
}

/// The Markdown the portal publishes: every `.md` file under `docs/` and
/// under each `teams/<team>/docs/`, sorted by path. Not inputs of a render:
/// only the portal and the catalog read them.
pub fn docs(source: &dyn Source) -> (Vec<TemplateFile>, Vec<Diagnostic>) {
    let mut loader = Loader {
        source,
        inputs: RawInputs::default(),
        diagnostics: Vec::new(),
    };
    let mut out = Vec::new();
    // A directory that is not there lists as empty.
    out.extend(loader.templates(DOCS_DIR));
    for team in loader.list(TEAMS_DIR) {
        let dir = join(&join(TEAMS_DIR, &team.name), "docs");
        if team.kind == EntryKind::Dir && !team.name.starts_with('.') {
            out.extend(loader.templates(&dir));
        }
    }
    out.retain(|file| file.name.ends_with(".md"));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    (out, loader.diagnostics)
}

struct Loader<'a> {
    source: &'a dyn Source,
    inputs: RawInputs,
    diagnostics: Vec<Diagnostic>,
}

fn is_yaml(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

impl Loader<'_> {
    fn all(&mut self) {
        if self.source.exists(PLATFORM_FILE) {
            self.inputs.platform = self.yaml_file(PLATFORM_FILE);
        } else {
            self.diagnostics.push(
                Diagnostic::error(format!("`{PLATFORM_FILE}` is missing"))
                    .help("run paved from the repository root, or pass `--root`; the platform file names the organisation, registries and secret store"),
            );
        }
        self.inputs.platform_templates = self.templates(PLATFORM_TEMPLATES);
        self.inputs.argocd_templates = self.templates(ARGOCD_TEMPLATES);
        for entry in self.list(CRDS_DIR) {
            if entry.kind == EntryKind::File && is_yaml(&entry.name) {
                let path = join(CRDS_DIR, &entry.name);
                let Some(text) = self.read(&path) else {
                    continue;
                };
                match yaml::parse_documents(&path, &text) {
                    Ok(docs) => self.inputs.crds.push(MultiFile { path, docs }),
                    Err(diagnostic) => self.diagnostics.push(diagnostic),
                }
            }
        }
        for entry in self.list(RESOURCES_DIR) {
            if entry.kind == EntryKind::File
                && is_yaml(&entry.name)
                && let Some(file) = self.yaml_file(&join(RESOURCES_DIR, &entry.name))
            {
                self.inputs.resource_classes.push(file);
            }
        }

        for entry in self.list(ENVIRONMENTS_DIR) {
            if entry.kind == EntryKind::File
                && is_yaml(&entry.name)
                && let Some(file) = self.yaml_file(&join(ENVIRONMENTS_DIR, &entry.name))
            {
                self.inputs.environments.push(file);
            }
        }

        // List first, then read and parse every team and service file in
        // parallel: at thousands of services, parsing dominates loading.
        let mut teams: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
        for entry in self.list(TEAMS_DIR) {
            if entry.kind != EntryKind::Dir || entry.name.starts_with('.') {
                continue;
            }
            let dir = join(TEAMS_DIR, &entry.name);
            let team_file = join(&dir, "team.yaml");
            let team_file = if self.source.exists(&team_file) {
                Some(team_file)
            } else {
                self.diagnostics.push(
                    Diagnostic::error(format!("team directory `{dir}` has no `team.yaml`"))
                        .in_file(&dir)
                        .help("add `team.yaml` with the team's owners, group and cost centre"),
                );
                None
            };
            let services_dir = join(&dir, "services");
            let services = self
                .list(&services_dir)
                .into_iter()
                .filter(|service| service.kind == EntryKind::File && is_yaml(&service.name))
                .map(|service| join(&services_dir, &service.name))
                .collect();
            teams.push((entry.name, team_file, services));
        }
        let paths: Vec<&String> = teams
            .iter()
            .flat_map(|(_, team, services)| team.iter().chain(services))
            .collect();
        let source = self.source;
        let parsed: Vec<(String, Result<Arc<str>, SourceError>)> = paths
            .par_iter()
            .map(|path| ((*path).clone(), source.read(path).map(Arc::from)))
            .collect();
        let mut parsed: std::collections::HashMap<String, Option<SourceFile>> = parsed
            .into_par_iter()
            .map(|(path, text)| {
                (
                    path.clone(),
                    text.map(|text| (text.clone(), yaml::parse_document(&path, &text))),
                )
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(path, outcome)| {
                let file = match outcome {
                    Ok((text, parsed)) => {
                        self.inputs.sources.insert(path.clone(), text);
                        match parsed {
                            Ok(doc) => Some(SourceFile {
                                path: path.clone(),
                                doc,
                            }),
                            Err(diagnostic) => {
                                self.diagnostics.push(diagnostic);
                                None
                            }
                        }
                    }
                    Err(error) => {
                        self.source_error(error);
                        None
                    }
                };
                (path, file)
            })
            .collect();
        for (dir, team, services) in teams {
            let services_dir = join(&join(TEAMS_DIR, &dir), "services");
            let apis = self.api_definitions(&services_dir, &services, &parsed);
            self.inputs.teams.push(RawTeam {
                dir,
                file: team.and_then(|path| parsed.remove(&path).flatten()),
                services: services
                    .iter()
                    .filter(|path| !apis.iter().any(|api| &api.path == *path))
                    .filter_map(|path| parsed.remove(path).flatten())
                    .collect(),
                apis,
            });
        }

        for entry in self.list(GOLDEN_PATHS_DIR) {
            if entry.kind != EntryKind::Dir || entry.name.starts_with('.') {
                continue;
            }
            let dir = join(GOLDEN_PATHS_DIR, &entry.name);
            let path_file = join(&dir, "path.yaml");
            let file = if self.source.exists(&path_file) {
                self.yaml_file(&path_file)
            } else {
                self.diagnostics.push(
                    Diagnostic::error(format!("golden path directory `{dir}` has no `path.yaml`"))
                        .in_file(&dir)
                        .help("add `path.yaml` with the path's description, version, owner and params schema"),
                );
                None
            };
            let templates = self.templates(&join(&dir, "templates"));
            let mut versions = Vec::new();
            let versions_dir = join(&dir, VERSIONS_DIR);
            for version in self.list(&versions_dir) {
                if version.kind != EntryKind::Dir || version.name.starts_with('.') {
                    continue;
                }
                let at = join(&versions_dir, &version.name);
                let path_file = join(&at, "path.yaml");
                let file = if self.source.exists(&path_file) {
                    self.yaml_file(&path_file)
                } else {
                    self.diagnostics.push(
                        Diagnostic::error(format!("golden path version directory `{at}` has no `path.yaml`"))
                            .in_file(&at)
                            .help("an older version keeps its own `path.yaml` and `templates/`, as they were when it was the newest"),
                    );
                    None
                };
                versions.push(RawGoldenPathVersion {
                    version: version.name,
                    file,
                    templates: self.templates(&join(&at, "templates")),
                });
            }
            self.inputs.golden_paths.push(RawGoldenPath {
                dir: entry.name,
                file,
                templates,
                versions,
            });
        }
        // Policies may be grouped in directories, as conftest reads them.
        for file in self.templates(POLICIES_DIR) {
            if file.name.ends_with(".rego") {
                self.inputs.policies.push(file);
            } else if file.path != EXCEPTIONS_FILE
                && file.path != POLICY_CONFIG_FILE
                && (is_yaml(&file.name) || file.name.ends_with(".json"))
            {
                self.inputs.policy_data.push(file);
            }
        }
        if self.source.exists(EXCEPTIONS_FILE) {
            self.inputs.exceptions = self.yaml_file(EXCEPTIONS_FILE);
        }
        if self.source.exists(POLICY_CONFIG_FILE) {
            self.inputs.policy_config = self.yaml_file(POLICY_CONFIG_FILE);
        }
        if self.source.exists(DORA_FILE) {
            self.inputs.dora = self.yaml_file(DORA_FILE);
        }
        if self.source.exists(SCORECARDS_FILE) {
            self.inputs.scorecards = self.yaml_file(SCORECARDS_FILE);
        }
    }

    /// The API definitions the intents of one `services/` directory name
    /// (`api.definition`), read as text. A name that is not a plain file
    /// there is left for validation to report.
    fn api_definitions(
        &mut self,
        services_dir: &str,
        services: &[String],
        parsed: &std::collections::HashMap<String, Option<SourceFile>>,
    ) -> Vec<TemplateFile> {
        let mut names: Vec<&str> = services
            .iter()
            .filter_map(|path| parsed.get(path)?.as_ref())
            .filter_map(|file| file.doc.value.pointer("/api/definition")?.as_str())
            .filter(|name| {
                !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.')
            })
            .collect();
        // A YAML document that is plainly an API definition is one even
        // when no intent names it (validation then says so), rather than
        // an intent with a dozen unknown fields.
        for path in services {
            let Some(Some(file)) = parsed.get(path) else {
                continue;
            };
            let value = &file.doc.value;
            if value.get("kind").is_none()
                && ["openapi", "swagger", "asyncapi"]
                    .iter()
                    .any(|key| value.get(key).is_some())
                && let Some(name) = path.rsplit('/').next()
            {
                names.push(name);
            }
        }
        names.sort_unstable();
        names.dedup();
        let mut apis = Vec::new();
        for name in names {
            let path = join(services_dir, name);
            // A YAML definition was read with the intents; others now.
            let text = match self.inputs.sources.get(&path) {
                Some(text) => Some(text.clone()),
                None if self.source.exists(&path) => self.read(&path),
                None => None,
            };
            if let Some(text) = text {
                apis.push(TemplateFile {
                    name: name.to_owned(),
                    path,
                    text,
                });
            }
        }
        apis
    }

    fn list(&mut self, dir: &str) -> Vec<crate::input::source::Entry> {
        match self.source.list(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.source_error(error);
                Vec::new()
            }
        }
    }

    fn source_error(&mut self, error: SourceError) {
        let (path, help) = match &error {
            SourceError::EscapingSymlink { path } => (
                path.clone(),
                "inputs must live inside the repository: copy the file in instead of linking to it",
            ),
            SourceError::NotUtf8 { path } => (path.clone(), "save the file as UTF-8"),
            SourceError::Unreadable { path, .. } => {
                (path.clone(), "check the file exists and is readable")
            }
            SourceError::TooLarge { path, .. } => (
                path.clone(),
                "split it into smaller files; no input needs to be this large",
            ),
        };
        self.diagnostics.push(
            Diagnostic::error(error.to_string())
                .in_file(path)
                .help(help),
        );
    }

    fn read(&mut self, path: &str) -> Option<Arc<str>> {
        match self.source.read(path) {
            Ok(text) => {
                let text: Arc<str> = text.into();
                self.inputs.sources.insert(path, text.clone());
                Some(text)
            }
            Err(error) => {
                self.source_error(error);
                None
            }
        }
    }

    fn yaml_file(&mut self, path: &str) -> Option<SourceFile> {
        let text = self.read(path)?;
        match yaml::parse_document(path, &text) {
            Ok(doc) => Some(SourceFile {
                path: path.to_owned(),
                doc,
            }),
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Every file under `dir`, recursively, sorted by name.
    fn templates(&mut self, dir: &str) -> Vec<TemplateFile> {
        let mut out = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(relative) = pending.pop() {
            for entry in self.list(&join(dir, &relative)) {
                if entry.name.starts_with('.') {
                    continue;
                }
                let name = join(&relative, &entry.name);
                match entry.kind {
                    EntryKind::Dir => pending.push(name),
                    EntryKind::File => {
                        let path = join(dir, &name);
                        if let Some(text) = self.read(&path) {
                            out.push(TemplateFile { name, path, text });
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}
