//! Intents and platform files: schema checks, then cross-references
//! (unknown golden path, environment, size or service; duplicate names;
//! names that disagree with their file). Every problem is collected.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::findings::schema_findings;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::load::{RawInputs, SourceFile};
use crate::input::model::{GoldenPath, Platform, Service};
use crate::input::repo::{Entry, GoldenPathEntry, Repo, ServiceEntry};
use crate::input::schema::{InputKind, spec_fields};
use crate::support::pointer::{field_path, pointer_push};
use crate::support::text::{nearest, quote_list};

/// Checks every raw input and builds the typed repository. `None` when the
/// platform file itself is missing or broken: nothing can be checked
/// against it.
pub fn validate(raw: RawInputs) -> (Option<Repo>, Vec<Diagnostic>) {
    let mut checker = Checker::default();
    let repo = checker.repo(raw);
    (repo, checker.diagnostics)
}

/// What one intent says, checked on its own (on any core).
struct Alone {
    /// What it says of itself: its shape and its schema.
    itself: Vec<Diagnostic>,
    /// Its typed value, when it has no errors.
    service: Option<ServiceEntry>,
    /// What it says of the names it refers to.
    refers: Vec<Diagnostic>,
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
    /// Pointers already reported in the file being checked: its schema
    /// findings under them are the same mistake said again.
    reported: Vec<String>,
}

/// The file name without its directory and extension.
fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name)
}

fn located(file: &SourceFile, pointer: &str, at_key: bool) -> Location {
    match file.doc.span_for(pointer, at_key) {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    }
}

impl Checker {
    fn error(
        &mut self,
        file: &SourceFile,
        pointer: &str,
        at_key: bool,
        message: String,
    ) -> &mut Diagnostic {
        self.diagnostics.push(
            Diagnostic::error(message)
                .at(located(file, pointer, at_key))
                .field(field_path(pointer)),
        );
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Schema check, then typed deserialisation.
    fn typed<T: DeserializeOwned>(
        &mut self,
        kind: InputKind,
        file: SourceFile,
    ) -> Option<Entry<T>> {
        let mut findings = schema_findings(kind.validator(), kind.schema(), &file.doc.value, "");
        let reported = std::mem::take(&mut self.reported);
        findings.retain(|finding| {
            !reported
                .iter()
                .any(|at| finding.pointer == *at || finding.pointer.starts_with(&format!("{at}/")))
        });
        if !findings.is_empty() {
            self.diagnostics
                .extend(findings.into_iter().map(|f| f.at(&file.path, &file.doc)));
            return None;
        }
        match T::deserialize(&file.doc.value) {
            Ok(value) => Some(Entry { value, file }),
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("cannot read this file: {error}"))
                        .in_file(&file.path),
                );
                None
            }
        }
    }

    fn name_matches(&mut self, file: &SourceFile, name: &str, expected: &str, what: &str) {
        if name != expected {
            self.error(
                file,
                "/name",
                false,
                format!(
                    "{what} name `{name}` does not match its {}",
                    if what == "team" || what == "golden path" {
                        "directory"
                    } else {
                        "file name"
                    }
                ),
            )
            .help = vec![format!(
                "rename it to `{expected}`, or rename the file to match"
            )];
        }
    }

    /// Reports a Kubernetes version paved has no schemas for.
    fn kubernetes_version(&mut self, file: &SourceFile, pointer: &str, version: &str) {
        if crate::support::kube::KUBERNETES_VERSIONS.contains(&version) {
            return;
        }
        let supported = crate::support::kube::KUBERNETES_VERSIONS;
        self.error(
            file,
            pointer,
            false,
            format!("paved has no Kubernetes {version} schemas to check manifests against"),
        )
        .help = vec![format!(
            "supported versions: {}; newer ones come with paved's `tool/data/kubernetes/`",
            quote_list(supported)
        )];
    }

    /// Reports a reference to an unknown name, with the nearest known one.
    fn unknown(
        &mut self,
        file: &SourceFile,
        pointer: &str,
        at_key: bool,
        what: &str,
        name: &str,
        known: &BTreeSet<String>,
    ) {
        let mut help = Vec::new();
        if let Some(near) = nearest(name, known.iter().map(String::as_str)) {
            help.push(format!("did you mean `{near}`?"));
        }
        let known: Vec<&String> = known.iter().collect();
        if known.is_empty() {
            help.push(format!("there are no {what}s yet"));
        } else {
            help.push(format!("known {what}s: {}", quote_list(&known)));
        }
        self.error(file, pointer, at_key, format!("unknown {what} `{name}`"))
            .help = help;
    }

    fn repo(&mut self, raw: RawInputs) -> Option<Repo> {
        let platform = self.typed::<Platform>(InputKind::Platform, raw.platform?)?;
        // Names of everything present, even if broken, so a broken file is
        // reported once rather than again by everything that refers to it.
        let env_names: BTreeSet<String> = raw
            .environments
            .iter()
            .map(|f| stem(&f.path).to_owned())
            .collect();
        let path_names: BTreeSet<String> = raw.golden_paths.iter().map(|p| p.dir.clone()).collect();
        let service_names: BTreeSet<String> = raw
            .teams
            .iter()
            .flat_map(|team| team.services.iter().map(|f| stem(&f.path).to_owned()))
            .collect();
        let service_teams: BTreeMap<String, String> = raw
            .teams
            .iter()
            .flat_map(|team| {
                team.services
                    .iter()
                    .map(|f| (stem(&f.path).to_owned(), team.dir.clone()))
            })
            .collect();
        let reserved = reserved_namespaces(&platform.value, &env_names);
        let team_names: BTreeSet<String> = raw.teams.iter().map(|t| t.dir.clone()).collect();

        self.spec_layer(&platform.file, "/defaults", &platform.value);
        self.kubernetes_version(
            &platform.file,
            "/kubernetesVersion",
            &platform.value.kubernetes_version,
        );

        let mut environments = Vec::new();
        for file in raw.environments {
            let Some(env) =
                self.typed::<crate::input::model::Environment>(InputKind::Environment, file)
            else {
                continue;
            };
            self.name_matches(
                &env.file,
                &env.value.name,
                stem(&env.file.path),
                "environment",
            );
            if let Some(from) = &env.value.promotes_from {
                if from == &env.value.name {
                    self.error(
                        &env.file,
                        "/promotesFrom",
                        false,
                        "an environment cannot promote from itself".into(),
                    );
                } else if !env_names.contains(from) {
                    self.unknown(
                        &env.file,
                        "/promotesFrom",
                        false,
                        "environment",
                        from,
                        &env_names,
                    );
                }
            }
            for (name, cluster) in &env.value.clusters {
                if let Some(version) = &cluster.kubernetes_version {
                    let pointer = format!("{}/kubernetesVersion", pointer_push("/clusters", name));
                    self.kubernetes_version(&env.file, &pointer, version);
                }
            }
            self.spec_layer(&env.file, "/defaults", &platform.value);
            environments.push(env);
        }
        environments.sort_by(|a, b| a.value.name.cmp(&b.value.name));
        self.promotion_cycles(&environments);
        self.cluster_names(&environments);

        let mut golden_paths = BTreeMap::new();
        for raw_path in raw.golden_paths {
            let Some(file) = raw_path.file else { continue };
            let dir = raw_path.dir.clone();
            let Some(mut newest) = self.golden_path(
                file,
                raw_path.templates,
                &dir,
                &format!("golden-paths/{dir}"),
                &platform.value,
            ) else {
                continue;
            };
            for raw_version in raw_path.versions {
                let Some(file) = raw_version.file else {
                    continue;
                };
                let at = format!("golden-paths/{dir}/versions/{}", raw_version.version);
                let Some(older) =
                    self.golden_path(file, raw_version.templates, &dir, &at, &platform.value)
                else {
                    continue;
                };
                let version = &older.value.version;
                if *version != raw_version.version {
                    self.error(
                        &older.file,
                        "/version",
                        false,
                        format!("version `{version}` does not match its directory `{at}`"),
                    )
                    .help = vec![format!(
                        "an older version lives in `golden-paths/{dir}/versions/<its version>/`"
                    )];
                } else if semver(version) >= semver(&newest.value.version) {
                    self.error(
                        &older.file,
                        "/version",
                        false,
                        format!(
                            "`{at}` is not older than the newest version, `{}`",
                            newest.value.version
                        ),
                    )
                    .help = vec![format!(
                        "the newest version is `golden-paths/{dir}/` itself; `versions/` keeps older ones, for environments that pin them"
                    )];
                } else {
                    newest.versions.insert(version.clone(), older);
                }
            }
            golden_paths.insert(raw_path.dir, newest);
        }
        for env in &environments {
            for (path, version) in &env.value.golden_paths {
                let pointer = pointer_push("/goldenPaths", path);
                match golden_paths.get(path) {
                    None => {
                        let known = golden_paths.keys().cloned().collect();
                        self.unknown(&env.file, &pointer, true, "golden path", path, &known);
                    }
                    Some(entry)
                        if entry.value.version != *version
                            && !entry.versions.contains_key(version) =>
                    {
                        let mut known: Vec<&String> = entry.versions.keys().collect();
                        known.push(&entry.value.version);
                        self.error(
                            &env.file,
                            &pointer,
                            false,
                            format!("golden path `{path}` has no version `{version}`"),
                        )
                        .help = vec![
                            format!(
                                "versions: {} (the newest is `{}`)",
                                quote_list(&known),
                                entry.value.version
                            ),
                            format!(
                                "older versions live in `golden-paths/{path}/versions/<version>/`"
                            ),
                        ];
                    }
                    Some(_) => {}
                }
            }
        }

        let mut teams = Vec::new();
        let mut services = Vec::new();
        let mut api_definitions = BTreeMap::new();
        let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
        // What each intent says of itself alone (its environments' names,
        // its schema, the names it refers to) is read on every core, and
        // reported in order below.
        let mut raw_teams = raw.teams;
        let typed: Vec<Vec<Alone>> = raw_teams
            .par_iter_mut()
            .map(|team| {
                std::mem::take(&mut team.services)
                    .into_par_iter()
                    .map(|file| {
                        // Environments are checked before the schema, so
                        // that one run reports unknown environments and
                        // unknown fields alike.
                        let mut alone = Checker::default();
                        alone.environment_names(&file, &env_names);
                        let entry = alone.typed::<Service>(InputKind::Service, file);
                        let service = entry.map(|entry| ServiceEntry {
                            value: entry.value,
                            file: entry.file,
                            team: team.dir.clone(),
                        });
                        // What it says of the names it refers to: reported
                        // after what it says of itself, unless it is a
                        // duplicate.
                        let itself = alone.diagnostics.len();
                        if let Some(service) = &service {
                            alone.service(
                                service,
                                &platform.value,
                                &env_names,
                                &path_names,
                                &service_names,
                            );
                            alone.diagnostics.extend(super::consent::check_callers(
                                service,
                                &team_names,
                                &service_names,
                            ));
                        }
                        let refers = alone.diagnostics.split_off(itself);
                        Alone {
                            itself: alone.diagnostics,
                            service,
                            refers,
                        }
                    })
                    .collect()
            })
            .collect();
        for (raw_team, typed) in raw_teams.into_iter().zip(typed) {
            if let Some(file) = raw_team.file
                && let Some(team) = self.typed::<crate::input::model::Team>(InputKind::Team, file)
            {
                self.name_matches(&team.file, &team.value.name, &raw_team.dir, "team");
                self.reserved_name(&team.file, &team.value.name, &raw_team.dir, &reserved);
                self.grants(&team, &env_names, &service_teams);
                for env in team.value.quotas.keys() {
                    if !env_names.contains(env) {
                        self.unknown(
                            &team.file,
                            &pointer_push("/quotas", env),
                            true,
                            "environment",
                            env,
                            &env_names,
                        );
                    }
                }
                teams.push(team);
            }
            let mut named_apis = BTreeSet::new();
            for alone in typed {
                self.diagnostics.extend(alone.itself);
                let Some(service) = alone.service else {
                    continue;
                };
                let name = &service.value.name;
                self.name_matches(&service.file, name, stem(&service.file.path), "service");
                match first_seen.get(name) {
                    Some(first) => {
                        self.error(
                            &service.file,
                            "/name",
                            false,
                            format!("duplicate service `{name}`"),
                        )
                        .help = vec![format!(
                            "`{first}` already defines a service with this name; service names are unique across the organisation"
                        )];
                        continue;
                    }
                    None => {
                        first_seen.insert(name.clone(), service.file.path.clone());
                    }
                }
                self.diagnostics.extend(alone.refers);
                if let Some(definition) = self.api_definition(&service, &raw_team.apis) {
                    api_definitions.insert(name.clone(), definition);
                }
                named_apis.extend(service.value.api.as_ref().map(|api| api.definition.clone()));
                services.push(service);
            }
            for api in &raw_team.apis {
                if !named_apis.contains(&api.name) {
                    self.diagnostics.push(
                        Diagnostic::error(format!(
                            "`{}` is an API definition that no intent names",
                            api.path
                        ))
                        .in_file(&api.path)
                        .help(format!(
                            "name it in the intent of the service that offers it: `api: {{type: openapi, definition: {}}}`",
                            api.name
                        ))
                        .help("every other YAML file in `services/` is read as a service intent"),
                    );
                }
            }
        }
        teams.sort_by(|a, b| a.value.name.cmp(&b.value.name));
        services.sort_by(|a, b| a.value.name.cmp(&b.value.name));
        self.diagnostics
            .extend(super::consent::check(&services, &teams));

        if environments.is_empty() && env_names.is_empty() {
            self.diagnostics.push(
                Diagnostic::error("there are no environments").help(
                    "add `environments/<name>.yaml` describing an environment and its clusters",
                ),
            );
        }

        let exceptions = raw.exceptions.and_then(|file| {
            self.typed::<crate::input::model::PolicyExceptions>(InputKind::PolicyExceptions, file)
        });
        let policy_config = raw.policy_config.and_then(|file| {
            self.typed::<crate::input::model::PolicyConfig>(InputKind::PolicyConfig, file)
        });
        if let Some(entry) = &exceptions {
            self.exceptions(entry, &service_names);
            self.promotion_exceptions(entry, &service_names, &env_names);
        }
        let dora = raw
            .dora
            .and_then(|file| self.typed::<crate::input::model::Dora>(InputKind::Dora, file));
        if let Some(entry) = &dora {
            self.dora(entry);
        }
        let scorecards = raw.scorecards.and_then(|file| {
            self.typed::<crate::input::model::Scorecards>(InputKind::Scorecards, file)
        });
        if let Some(entry) = &scorecards {
            let bands = dora.as_ref().map_or_else(
                || crate::input::model::Dora::builtin().bands,
                |dora| dora.value.bands.clone(),
            );
            self.scorecards(entry, &bands);
        }
        let resource_class_files = raw
            .resource_classes
            .iter()
            .map(|file| stem(&file.path).to_owned())
            .collect();
        let (resource_classes, class_problems) =
            super::classes::check(raw.resource_classes, &env_names);
        self.diagnostics.extend(class_problems);
        Some(Repo {
            platform,
            platform_templates: raw.platform_templates,
            argocd_templates: raw.argocd_templates,
            crds: raw.crds,
            environments,
            teams,
            services,
            golden_paths,
            resource_classes,
            resource_class_files,
            policies: raw.policies,
            exceptions,
            policy_config,
            policy_data: raw.policy_data,
            api_definitions,
            dora,
            scorecards,
            sources: raw.sources,
        })
    }

    /// One version of a golden path: checked, and compiled params schema.
    fn golden_path(
        &mut self,
        file: SourceFile,
        templates: Vec<crate::input::load::TemplateFile>,
        dir: &str,
        at: &str,
        platform: &Platform,
    ) -> Option<GoldenPathEntry> {
        let entry = self.typed::<GoldenPath>(InputKind::GoldenPath, file)?;
        self.name_matches(&entry.file, &entry.value.name, dir, "golden path");
        self.spec_layer(&entry.file, "/defaults", platform);
        let fields = spec_fields();
        for (list, names) in [
            ("requires", &entry.value.requires),
            ("rejects", &entry.value.rejects),
        ] {
            for (index, field) in names.iter().enumerate() {
                if !fields.contains(field) {
                    let known = fields.iter().cloned().collect();
                    self.unknown(
                        &entry.file,
                        &format!("/{list}/{index}"),
                        false,
                        "service field",
                        field,
                        &known,
                    );
                }
            }
        }
        if !templates.iter().any(|t| !is_partial(&t.name)) {
            self.diagnostics.push(
                Diagnostic::error(format!("golden path `{dir}` has no templates"))
                    .at(located(&entry.file, "/name", false))
                    .help(format!(
                        "add Tera templates of Kubernetes YAML under `{at}/templates/`"
                    )),
            );
        }
        let params = match crate::input::schema::validator_options().build(&entry.value.params) {
            Ok(validator) => validator,
            Err(error) => {
                self.error(
                    &entry.file,
                    "/params",
                    true,
                    format!("`params` is not a valid JSON Schema: {error}"),
                );
                return None;
            }
        };
        Some(GoldenPathEntry {
            value: entry.value,
            file: entry.file,
            templates,
            params,
            versions: BTreeMap::new(),
        })
    }

    /// The file a service's `api.definition` names, beside the intent, if
    /// it is there and looks like what `api.type` says.
    fn api_definition(
        &mut self,
        service: &ServiceEntry,
        apis: &[crate::input::load::TemplateFile],
    ) -> Option<crate::input::load::TemplateFile> {
        use crate::input::model::ApiKind;
        let api = service.value.api.as_ref()?;
        let file = &service.file;
        let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        let Some(found) = apis.iter().find(|f| f.name == api.definition) else {
            let beside: Vec<&str> = apis.iter().map(|f| f.name.as_str()).collect();
            let mut help = vec![format!(
                "put the definition in `{dir}/`, beside the intent, and name it here by its file name"
            )];
            if let Some(near) = nearest(&api.definition, beside.iter().copied()) {
                help.insert(0, format!("did you mean `{near}`?"));
            }
            self.error(
                file,
                "/api/definition",
                false,
                format!("`{dir}/{}` does not exist", api.definition),
            )
            .help = help;
            return None;
        };
        if found.path == file.path {
            self.error(
                file,
                "/api/definition",
                false,
                "an intent cannot be its own API definition".into(),
            )
            .help = vec![
                "name the file that describes the API, such as `checkout.openapi.yaml`".into(),
            ];
            return None;
        }
        let text = found.text.trim_start();
        let problem = match api.kind {
            ApiKind::Openapi | ApiKind::Asyncapi => {
                let key = if api.kind == ApiKind::Openapi {
                    "openapi"
                } else {
                    "asyncapi"
                };
                let parsed: Option<Value> = serde_yaml::from_str(&found.text).ok();
                let has = |k: &str| parsed.as_ref().is_some_and(|v| v.get(k).is_some());
                (!(has(key) || (key == "openapi" && has("swagger")))).then(|| {
                    format!(
                        "`{}` is not an {} document: it has no top-level `{key}` field",
                        found.path,
                        if key == "openapi" {
                            "OpenAPI"
                        } else {
                            "AsyncAPI"
                        }
                    )
                })
            }
            ApiKind::Grpc => {
                (!text.contains("service ") && !text.contains("message ")).then(|| {
                    format!(
                        "`{}` declares no protobuf `service` or `message`",
                        found.path
                    )
                })
            }
            ApiKind::Graphql => text
                .is_empty()
                .then(|| format!("`{}` is empty", found.path)),
        };
        match problem {
            Some(message) => {
                self.error(file, "/api/definition", false, message).help = vec![format!(
                    "`type: {}` expects {}",
                    api.kind.as_str(),
                    match api.kind {
                        ApiKind::Openapi => "an OpenAPI 3 (or Swagger 2) document, in YAML or JSON",
                        ApiKind::Asyncapi => "an AsyncAPI document, in YAML or JSON",
                        ApiKind::Grpc => "a `.proto` file",
                        ApiKind::Graphql => "a GraphQL schema",
                    }
                )];
                None
            }
            None => Some(found.clone()),
        }
    }

    fn service(
        &mut self,
        service: &ServiceEntry,
        platform: &Platform,
        env_names: &BTreeSet<String>,
        path_names: &BTreeSet<String>,
        service_names: &BTreeSet<String>,
    ) {
        let file = &service.file;
        let intent = &service.value;
        if !path_names.contains(&intent.golden_path) {
            self.unknown(
                file,
                "/goldenPath",
                false,
                "golden path",
                &intent.golden_path,
                path_names,
            );
        }
        self.spec_layer(file, "", platform);
        self.dependencies(file, "", &intent.name, service_names);
        for env in intent.environments.keys() {
            let pointer = pointer_push("/environments", env);
            self.spec_layer(file, &pointer, platform);
            self.dependencies(file, &pointer, &intent.name, service_names);
        }
        for (index, patch) in intent.patches.iter().enumerate() {
            for (at, env) in patch.environments.iter().flatten().enumerate() {
                if !env_names.contains(env) {
                    let pointer = format!("/patches/{index}/environments/{at}");
                    self.unknown(file, &pointer, false, "environment", env, env_names);
                } else if !intent.environments.contains_key(env) {
                    let pointer = format!("/patches/{index}/environments/{at}");
                    self.error(
                        file,
                        &pointer,
                        false,
                        format!("this patch targets `{env}`, where the service does not run"),
                    )
                    .help = vec![format!(
                        "add `{env}` under `environments`, or remove it here"
                    )];
                }
            }
        }
    }

    fn dependencies(&mut self, file: &SourceFile, base: &str, own: &str, known: &BTreeSet<String>) {
        let Some(Value::Array(items)) = file.doc.value.pointer(&format!("{base}/dependsOn")) else {
            return;
        };
        for (index, item) in items.iter().enumerate() {
            let Some(name) = item.as_str() else { continue };
            let pointer = format!("{base}/dependsOn/{index}");
            if name == own {
                self.error(
                    file,
                    &pointer,
                    false,
                    "a service cannot depend on itself".into(),
                );
            } else if let Some((team, bare)) = name.split_once('/') {
                // `team/service`: services are named alone, being unique
                // across the organisation.
                let mut help = vec![format!(
                    "name the service alone: `{bare}`; service names are unique across the organisation, so no team is needed"
                )];
                if !known.contains(bare) {
                    help.push(format!(
                        "there is no service `{bare}` (in team `{team}` or any other)"
                    ));
                }
                self.error(
                    file,
                    &pointer,
                    false,
                    format!("`dependsOn` takes a service's bare name, not `{name}`"),
                )
                .help = help;
            } else if !known.contains(name) {
                self.unknown(file, &pointer, false, "service", name, known);
            }
        }
    }

    /// Environments a service names that do not exist, read from the
    /// file as written (before its schema check).
    fn environment_names(&mut self, file: &SourceFile, env_names: &BTreeSet<String>) {
        let Some(Value::Object(envs)) = file.doc.value.get("environments") else {
            return;
        };
        for env in envs.keys() {
            if env_names.contains(env) {
                continue;
            }
            let pointer = pointer_push("/environments", env);
            self.reported.push(pointer.clone());
            if spec_fields().iter().any(|field| field == env) {
                // A field that slipped out of its environment's block.
                self.error(
                    file,
                    &pointer,
                    true,
                    format!("`{env}` is a field, not an environment: check its indentation"),
                )
                .help = vec![
                    format!(
                        "indent it under the environment it belongs to (such as `{}:`), or move it to the top level to apply everywhere",
                        envs.keys()
                            .find(|name| env_names.contains(*name))
                            .or(env_names.first())
                            .map_or("dev", String::as_str)
                    ),
                    format!(
                        "environments: {}",
                        quote_list(&env_names.iter().collect::<Vec<_>>())
                    ),
                ];
            } else {
                self.unknown(file, &pointer, true, "environment", env, env_names);
            }
        }
    }

    /// Promotion exceptions: services and environments that exist, real dates.
    fn promotion_exceptions(
        &mut self,
        entry: &Entry<crate::input::model::PolicyExceptions>,
        service_names: &BTreeSet<String>,
        env_names: &BTreeSet<String>,
    ) {
        for (index, exception) in entry.value.promotions.iter().enumerate() {
            let base = format!("/promotions/{index}");
            if !service_names.contains(&exception.service) {
                let pointer = format!("{base}/service");
                self.unknown(
                    &entry.file,
                    &pointer,
                    false,
                    "service",
                    &exception.service,
                    service_names,
                );
            }
            if !env_names.contains(&exception.environment) {
                let pointer = format!("{base}/environment");
                self.unknown(
                    &entry.file,
                    &pointer,
                    false,
                    "environment",
                    &exception.environment,
                    env_names,
                );
            }
            self.date(
                &entry.file,
                &format!("{base}/expires"),
                &exception.expires,
                "exception",
            );
        }
    }

    /// Checks one layer of `Spec` fields at `pointer` in `file`: a known
    /// size, an image from an allowed registry, written without a tag.
    fn spec_layer(&mut self, file: &SourceFile, pointer: &str, platform: &Platform) {
        let Some(spec) = file.doc.value.pointer(pointer) else {
            return;
        };
        if let Some(size) = spec.get("size").and_then(Value::as_str)
            && !platform.sizes.contains_key(size)
        {
            let known = platform.sizes.keys().cloned().collect();
            self.unknown(
                file,
                &format!("{pointer}/size"),
                false,
                "size",
                size,
                &known,
            );
        }
        if let Some(image) = spec.get("image").and_then(Value::as_str) {
            let image_pointer = format!("{pointer}/image");
            let last = image.rsplit('/').next().unwrap_or(image);
            if image.contains('@') || last.contains(':') {
                self.error(file, &image_pointer, false, format!("image `{image}` includes a tag or digest"))
                    .help = vec!["write the repository in `image` and the version in `tag` or `digest`, usually per environment".into()];
            } else if !allowed_registry(image, &platform.registries) {
                self.error(
                    file,
                    &image_pointer,
                    false,
                    format!("image `{image}` is not from an allowed registry"),
                )
                .help = vec![format!(
                    "allowed registries (platform/platform.yaml `registries`): {}",
                    quote_list(&platform.registries)
                )];
            }
        }
    }

    /// A team's name is its namespace in every cluster: it may not be one
    /// the platform or Kubernetes owns.
    fn reserved_name(
        &mut self,
        file: &SourceFile,
        name: &str,
        dir: &str,
        reserved: &BTreeMap<String, String>,
    ) {
        for candidate in [name, dir] {
            let why = reserved.get(candidate).cloned().or_else(|| {
                candidate
                    .starts_with("kube-")
                    .then(|| "names starting with `kube-` belong to Kubernetes".to_owned())
            });
            if let Some(why) = why {
                self.error(
                    file,
                    "/name",
                    false,
                    format!("`{candidate}` is a reserved namespace and cannot be a team's name"),
                )
                .help = vec![
                    why,
                    "a team's name is its namespace in every cluster: choose another name (and rename `teams/<name>/` to match)".into(),
                ];
                return;
            }
        }
    }

    /// A team's grants of its secret-store keys to other teams' services:
    /// only its own keys, to services that exist, until a real date.
    fn grants(
        &mut self,
        team: &Entry<crate::input::model::Team>,
        env_names: &BTreeSet<String>,
        service_teams: &BTreeMap<String, String>,
    ) {
        let name = &team.value.name;
        // Made only for a grant to a service that does not exist: every
        // team's grants are checked, and there may be thousands of each.
        let known = || -> BTreeSet<String> { service_teams.keys().cloned().collect() };
        for (index, grant) in team.value.secret_grants.iter().enumerate() {
            let base = format!("/secretGrants/{index}");
            let key = grant.key.strip_suffix("/*").unwrap_or(&grant.key);
            if let Some(problem) = key_problem(key) {
                self.error(
                    &team.file,
                    &format!("{base}/key"),
                    false,
                    format!("`{}` is not a valid secret-store key: {problem}", grant.key),
                )
                .help = vec!["write a key such as `payments/psp`, or `payments/shared/*` for every key under a prefix".into()];
            } else if key_owner(key, env_names) != Some(name.as_str()) {
                self.error(
                    &team.file,
                    &format!("{base}/key"),
                    false,
                    format!(
                        "team `{name}` cannot grant `{}`: it is not in the team's part of the secret store",
                        grant.key
                    ),
                )
                .help = vec![format!(
                    "a team grants only its own keys, under `{name}/`; the team that owns the key grants access to it"
                )];
            }
            for (at, service) in grant.services.iter().enumerate() {
                let pointer = format!("{base}/services/{at}");
                match service_teams.get(service) {
                    None => self.unknown(&team.file, &pointer, false, "service", service, &known()),
                    Some(owner) if owner == name => {
                        self.diagnostics.push(
                            Diagnostic::warning(format!(
                                "`{service}` is a service of team `{name}`: it reads the team's keys without a grant"
                            ))
                            .at(located(&team.file, &pointer, false))
                            .field(field_path(&pointer)),
                        );
                    }
                    Some(_) => {}
                }
            }
            self.date(
                &team.file,
                &format!("{base}/expires"),
                &grant.expires,
                "grant",
            );
        }
    }

    /// Refuses a date that is not on the calendar: it would compare as text
    /// and waive or grant for ever.
    fn date(&mut self, file: &SourceFile, pointer: &str, date: &str, what: &str) {
        if let Some(problem) = crate::support::date::date_problem(date) {
            self.error(
                file,
                pointer,
                false,
                format!("`{date}` is not a valid date: {problem}"),
            )
            .help = vec![format!(
                "write the last day the {what} applies as `YYYY-MM-DD`, such as `2027-02-28`"
            )];
        }
    }

    /// `policies/exceptions.yaml`: real expiry dates; reviewed false
    /// positives of secret detection that name existing services.
    fn exceptions(
        &mut self,
        entry: &Entry<crate::input::model::PolicyExceptions>,
        service_names: &BTreeSet<String>,
    ) {
        for (index, exception) in entry.value.exceptions.iter().enumerate() {
            let pointer = format!("/exceptions/{index}/expires");
            self.date(&entry.file, &pointer, &exception.expires, "exception");
        }
        for (index, reviewed) in entry.value.not_secrets.iter().enumerate() {
            if !service_names.contains(&reviewed.service) {
                let pointer = format!("/notSecrets/{index}/service");
                self.unknown(
                    &entry.file,
                    &pointer,
                    false,
                    "service",
                    &reviewed.service,
                    service_names,
                );
            }
        }
    }

    /// `platform/dora.yaml`: each metric lists known bands, best first,
    /// every one but the last with a threshold, each looser than the one
    /// before.
    fn dora(&mut self, entry: &Entry<crate::input::model::Dora>) {
        use crate::support::date::{duration_seconds, per_day};
        let dora = &entry.value;
        let file = &entry.file;
        let mut seen = BTreeSet::new();
        for (index, band) in dora.bands.iter().enumerate() {
            if !seen.insert(band.clone()) {
                self.error(
                    file,
                    &format!("/bands/{index}"),
                    false,
                    format!("band `{band}` is listed twice"),
                );
            }
        }
        let known: BTreeSet<String> = dora.bands.iter().cloned().collect();
        // (band, threshold as a number where larger is looser, written?)
        type Thresholds<'a> = Vec<(&'a String, Option<f64>)>;
        let metrics: [(&str, Thresholds, &str); 4] = [
            (
                "deploymentFrequency",
                dora.deployment_frequency
                    .iter()
                    .map(|b| (&b.band, b.at_least.as_deref().and_then(per_day).map(|r| -r)))
                    .collect(),
                "atLeast",
            ),
            (
                "leadTime",
                dora.lead_time
                    .iter()
                    .map(|b| {
                        (
                            &b.band,
                            b.at_most
                                .as_deref()
                                .and_then(duration_seconds)
                                .map(|s| s as f64),
                        )
                    })
                    .collect(),
                "atMost",
            ),
            (
                "changeFailureRate",
                dora.change_failure_rate
                    .iter()
                    .map(|b| (&b.band, b.at_most))
                    .collect(),
                "atMost",
            ),
            (
                "timeToRestore",
                dora.time_to_restore
                    .iter()
                    .map(|b| {
                        (
                            &b.band,
                            b.at_most
                                .as_deref()
                                .and_then(duration_seconds)
                                .map(|s| s as f64),
                        )
                    })
                    .collect(),
                "atMost",
            ),
        ];
        for (metric, entries, field) in metrics {
            let mut previous_rank: Option<usize> = None;
            let mut previous_threshold: Option<f64> = None;
            let last = entries.len().saturating_sub(1);
            for (index, (band, threshold)) in entries.iter().enumerate() {
                let pointer = format!("/{metric}/{index}");
                let Some(rank) = dora.bands.iter().position(|b| b == *band) else {
                    self.unknown(
                        file,
                        &format!("{pointer}/band"),
                        false,
                        "band",
                        band,
                        &known,
                    );
                    continue;
                };
                if previous_rank.is_some_and(|before| rank <= before) {
                    self.error(
                        file,
                        &format!("{pointer}/band"),
                        false,
                        format!("band `{band}` comes after a band that is not better than it"),
                    )
                    .help = vec![format!(
                        "list the bands best first, in the order of `bands`: {}",
                        quote_list(&dora.bands)
                    )];
                }
                previous_rank = Some(rank);
                match (index == last, threshold) {
                    (true, Some(_)) => {
                        self.error(
                            file,
                            &format!("{pointer}/{field}"),
                            false,
                            format!("the last band of `{metric}` takes whatever is left, so it has no `{field}`"),
                        )
                        .help = vec![format!("remove `{field}` here, or add a band after it")];
                    }
                    (false, None) => {
                        self.error(
                            file,
                            &pointer,
                            false,
                            format!("band `{band}` of `{metric}` needs `{field}`"),
                        )
                        .help = vec![
                            "only the last band, which takes whatever is left, has no threshold"
                                .into(),
                        ];
                    }
                    (false, Some(value)) => {
                        if previous_threshold.is_some_and(|before| *value <= before) {
                            self.error(
                                file,
                                &format!("{pointer}/{field}"),
                                false,
                                format!("the threshold of band `{band}` is not looser than the band before it"),
                            )
                            .help = vec![format!(
                                "each band of `{metric}` must accept more than the one before: {}",
                                if field == "atLeast" { "a lower rate" } else { "a higher value" }
                            )];
                        }
                        previous_threshold = Some(*value);
                    }
                    (true, None) => {}
                }
            }
        }
    }

    /// `platform/scorecards.yaml`: level names once each, every rule
    /// naming a fact paved knows and comparing it as its type allows.
    fn scorecards(&mut self, entry: &Entry<crate::input::model::Scorecards>, bands: &[String]) {
        use crate::input::model::{BandOrNumber, Fact, FactType};
        let file = &entry.file;
        let facts: BTreeSet<String> = Fact::ALL.iter().map(|f| f.name().to_owned()).collect();
        let known_bands: BTreeSet<String> = bands.iter().cloned().collect();
        let mut levels = BTreeSet::new();
        for (index, level) in entry.value.levels.iter().enumerate() {
            if !levels.insert(level.name.clone()) {
                self.error(
                    file,
                    &format!("/levels/{index}/name"),
                    false,
                    format!("level `{}` is defined twice", level.name),
                );
            }
            for (at, rule) in level.rules.iter().enumerate() {
                let pointer = format!("/levels/{index}/rules/{at}");
                let Some(fact) = Fact::from_name(&rule.fact) else {
                    self.unknown(
                        file,
                        &format!("{pointer}/fact"),
                        false,
                        "fact",
                        &rule.fact,
                        &facts,
                    );
                    continue;
                };
                let name = fact.name();
                match (fact.kind(), &rule.at_least, rule.at_most) {
                    (FactType::Bool, None, None) => {}
                    (FactType::Bool, ..) => {
                        let field = if rule.at_least.is_some() {
                            "atLeast"
                        } else {
                            "atMost"
                        };
                        self.error(
                            file,
                            &format!("{pointer}/{field}"),
                            false,
                            format!("`{name}` is yes or no: it takes no `{field}`"),
                        )
                        .help = vec![format!(
                            "remove `{field}`: the rule passes when {}",
                            fact.describe()
                        )];
                    }
                    (FactType::Number, None, None) => {
                        self.error(
                            file,
                            &pointer,
                            false,
                            format!(
                                "`{name}` is a number: say what passes with `atLeast` or `atMost`"
                            ),
                        )
                        .help = vec![format!("such as `{{fact: {name}, atLeast: 2}}`")];
                    }
                    (FactType::Number, Some(BandOrNumber::Band(text)), _) => {
                        self.error(
                            file,
                            &format!("{pointer}/atLeast"),
                            false,
                            format!("`{name}` is a number, so `atLeast` must be a number, found `{text}`"),
                        );
                    }
                    (FactType::Number, ..) => {}
                    (FactType::Band, Some(BandOrNumber::Band(band)), None) => {
                        if !known_bands.contains(band) {
                            self.unknown(
                                file,
                                &format!("{pointer}/atLeast"),
                                false,
                                "band",
                                band,
                                &known_bands,
                            );
                        }
                    }
                    (FactType::Band, _, Some(_)) => {
                        self.error(
                            file,
                            &format!("{pointer}/atMost"),
                            false,
                            format!("`{name}` is a DORA band: say the least band that passes with `atLeast`"),
                        )
                        .help = vec![format!("bands, best first: {}", quote_list(bands))];
                    }
                    (FactType::Band, ..) => {
                        let at = if rule.at_least.is_some() {
                            format!("{pointer}/atLeast")
                        } else {
                            pointer.clone()
                        };
                        self.error(
                            file,
                            &at,
                            false,
                            format!("`{name}` is a DORA band: `atLeast` must name the least band that passes"),
                        )
                        .help = vec![format!("bands, best first: {}", quote_list(bands))];
                    }
                }
            }
        }
    }

    fn promotion_cycles(&mut self, environments: &[Entry<crate::input::model::Environment>]) {
        let from: BTreeMap<&str, &str> = environments
            .iter()
            .filter_map(|env| Some((env.value.name.as_str(), env.value.promotes_from.as_deref()?)))
            .collect();
        for env in environments {
            let mut seen = vec![env.value.name.as_str()];
            let mut at = env.value.name.as_str();
            while let Some(&next) = from.get(at) {
                if next == env.value.name {
                    seen.push(next);
                    self.error(
                        &env.file,
                        "/promotesFrom",
                        false,
                        format!("promotion order has a cycle: {}", seen.join(" <- ")),
                    );
                    break;
                }
                if seen.contains(&next) {
                    break;
                }
                seen.push(next);
                at = next;
            }
        }
    }

    fn cluster_names(&mut self, environments: &[Entry<crate::input::model::Environment>]) {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for env in environments {
            for cluster in env.value.clusters.keys() {
                match owner.get(cluster.as_str()) {
                    Some(first) => {
                        let message = format!(
                            "cluster `{cluster}` is also declared by environment `{first}`"
                        );
                        self.error(
                            &env.file,
                            &pointer_push("/clusters", cluster),
                            true,
                            message,
                        )
                        .help = vec!["cluster names are unique across environments".into()];
                    }
                    None => {
                        owner.insert(cluster, &env.value.name);
                    }
                }
            }
        }
    }
}

/// Namespaces no team may be named after, each with the reason: those
/// Kubernetes creates, Argo CD's, the ingress controller's, every
/// component's, the platform's own list (`reservedNamespaces`), and the
/// environments' names (managed-resource credentials live under
/// `<environment>/<team>/` in the secret store). Names starting with
/// `kube-` are reserved too.
pub fn reserved_namespaces(
    platform: &Platform,
    environments: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut reserved = BTreeMap::new();
    let mut add = |name: &str, why: String| {
        reserved.entry(name.to_owned()).or_insert(why);
    };
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        add(
            name,
            format!("`{name}` is created and used by Kubernetes itself"),
        );
    }
    add(
        &platform.argocd.namespace,
        "it is Argo CD's namespace (`platform/platform.yaml` `argocd.namespace`)".into(),
    );
    add(
        &platform.ingress.controller_namespace,
        "it is the ingress controller's namespace (`platform/platform.yaml` `ingress.controllerNamespace`)".into(),
    );
    for (name, component) in &platform.components {
        add(
            &component.namespace,
            format!(
                "it is the namespace of the platform component `{name}` (`platform/platform.yaml` `components.{name}.namespace`)"
            ),
        );
    }
    for name in &platform.reserved_namespaces {
        add(
            name,
            "the platform reserves it (`platform/platform.yaml` `reservedNamespaces`)".into(),
        );
    }
    for name in environments {
        add(
            name,
            format!(
                "`{name}` is an environment: its managed-resource credentials live under `{name}/<team>/` in the secret store, so a team named `{name}` could read every team's"
            ),
        );
    }
    reserved
}

/// Why `key` is not a well-formed secret-store key, if it is not: keys are
/// `/`-separated paths of letters, digits and `_.-+=@`, with no empty, `.`
/// or `..` segment, so that each names exactly one place in the store
/// (no escapes such as `%2e` for a store to decode).
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("it is empty");
    }
    if key.starts_with('/') || key.ends_with('/') {
        return Some("it starts or ends with `/`");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/_.-+=@".contains(c))
    {
        return Some("it holds a character other than letters, digits and `/_.-+=@`");
    }
    if key.split('/').any(|segment| segment.is_empty()) {
        return Some("it has an empty segment (`//`)");
    }
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Some("it has a `.` or `..` segment");
    }
    None
}

/// The team a secret-store key belongs to: its first segment, or its
/// second after an environment name (`prod/payments/ledger-db`, where
/// paved keeps managed-resource credentials).
pub fn key_owner<'a>(key: &'a str, environments: &BTreeSet<String>) -> Option<&'a str> {
    let mut segments = key.split('/');
    let first = segments.next()?;
    let second = segments.next()?;
    if environments.contains(first) {
        segments.next()?;
        Some(second)
    } else {
        Some(first)
    }
}

/// Whether `image` starts with one of the allowed registry prefixes.
pub fn allowed_registry(image: &str, registries: &[String]) -> bool {
    registries.iter().any(|registry| {
        let prefix = registry.trim_end_matches('/');
        image
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Template files whose name starts with `_` are partials: included by
/// others, never rendered on their own.
pub fn is_partial(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|file| file.starts_with('_'))
}

/// A `x.y.z` version as numbers, for ordering.
fn semver(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}
