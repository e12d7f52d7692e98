//! The Backstage catalog of the organisation: entities generated from the
//! inputs and the inventory, so the catalog is never edited by hand and
//! never stale.
//!
//! - a `Group` per team (its owners as `User`s, its contact as an
//!   annotation), under one `Group` for the organisation, and one per
//!   golden-path owner that is not a team;
//! - a `System` per team;
//! - a `Component` per service: type from its golden path, lifecycle from
//!   where it runs, `dependsOn` the services and managed resources it
//!   uses, `providesApis` / `consumesApis` where a service declares an API;
//! - a `Resource` per managed resource (`uses`);
//! - an `API` per declared API, with its definition inline;
//! - a scaffolder `Template` per golden path;
//!
//! with the annotations Backstage's plugins read (`argocd/app-selector`,
//! `backstage.io/source-location`, `backstage.io/techdocs-ref`,
//! `github.com/project-slug`), and one `Location` that lists the files.
//! Pure: the caller decides where the files go.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::input::load::TemplateFile;
use crate::input::repo::Repo;
use crate::inventory::{Inventory, ServiceFacts};

/// The file Backstage registers: a `Location` naming the others.
pub const LOCATION_FILE: &str = "catalog-info.yaml";

const API_VERSION: &str = "backstage.io/v1alpha1";
const TEMPLATE_API_VERSION: &str = "scaffolder.backstage.io/v1beta3";

/// Where the repository can be browsed, from `platform.yaml` `repoURL`.
#[derive(Debug, Clone)]
pub struct SourceHost {
    /// `owner/name` on GitHub, for `github.com/project-slug`.
    pub github_slug: Option<String>,
    /// The repository's web address, without `.git`.
    pub web: String,
    /// The branch the platform follows.
    pub revision: String,
}

impl SourceHost {
    pub fn of(repo: &Repo) -> SourceHost {
        let url = repo.platform.value.repo_url.trim_end_matches('/');
        let web = url.strip_suffix(".git").unwrap_or(url).to_owned();
        let github_slug = web
            .strip_prefix("https://github.com/")
            .filter(|rest| rest.split('/').count() == 2)
            .map(str::to_owned);
        SourceHost {
            github_slug,
            web,
            revision: repo.platform.value.target_revision.clone(),
        }
    }

    fn is_gitlab(&self) -> bool {
        self.web.contains("gitlab")
    }

    /// The web address of a directory of the repository.
    pub fn tree(&self, path: &str) -> String {
        let tree = if self.is_gitlab() { "-/tree" } else { "tree" };
        format!("{}/{tree}/{}/{}", self.web, self.revision, path)
    }

    /// The web address of a file of the repository.
    pub fn blob(&self, path: &str) -> String {
        let blob = if self.is_gitlab() { "-/blob" } else { "blob" };
        format!("{}/{blob}/{}/{}", self.web, self.revision, path)
    }
}

/// The lifecycle Backstage shows: `production` when a service runs in a
/// production environment, else `experimental`.
pub fn lifecycle(repo: &Repo, service: &ServiceFacts) -> &'static str {
    let production = service
        .environments
        .iter()
        .any(|env| repo.environment(env).is_some_and(|e| e.value.production));
    if production {
        "production"
    } else {
        "experimental"
    }
}

/// A name Backstage accepts (`[a-zA-Z0-9]` runs joined by `-`, `_`, `.`,
/// at most 63 characters) for any text.
pub fn entity_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with(['-', '.', '_']) {
            out.push(if c == '.' || c == '_' { c } else { '-' });
        }
    }
    out.truncate(63);
    while out.ends_with(['-', '.', '_']) {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

/// A tag Backstage accepts (`[a-z0-9:+#]` runs joined by `-`).
pub fn tag(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ':' | '+' | '#') {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    out.trim_end_matches('-').to_owned()
}

/// The `User` name of an owner: an e-mail address's local part, else the
/// text made a name.
pub fn user_name(owner: &str) -> String {
    entity_name(owner.split_once('@').map_or(owner, |(local, _)| local))
}

/// Each managed resource, by (team, name), and its entity name: the name
/// itself, or `<team>-<name>` where teams use the same name.
fn resource_names(inventory: &Inventory) -> BTreeMap<(String, String), (String, String)> {
    let mut teams_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for service in &inventory.services {
        for used in &service.uses {
            teams_of
                .entry(&used.name)
                .or_default()
                .insert(&service.team);
        }
    }
    let mut out: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for service in &inventory.services {
        for used in &service.uses {
            let shared = teams_of[used.name.as_str()].len() > 1;
            let name = if shared {
                entity_name(&format!("{}-{}", service.team, used.name))
            } else {
                entity_name(&used.name)
            };
            // A use `from` another service has no class of its own: the
            // class comes from the service that claims the resource.
            let entry = out
                .entry((service.team.clone(), used.name.clone()))
                .or_insert((name, String::new()));
            if let (true, Some(kind)) = (entry.1.is_empty(), &used.kind) {
                entry.1.clone_from(kind);
            }
        }
    }
    for (_, kind) in out.values_mut() {
        if kind.is_empty() {
            "managed".clone_into(kind);
        }
    }
    out
}

/// Whether `teams/<team>/docs/` holds Markdown.
fn has_docs(docs: &[TemplateFile], team: &str) -> bool {
    let prefix = format!("teams/{team}/docs/");
    docs.iter().any(|doc| doc.path.starts_with(&prefix))
}

fn entity(kind: &str, metadata: Value, spec: Value) -> Value {
    let api_version = if kind == "Template" {
        TEMPLATE_API_VERSION
    } else {
        API_VERSION
    };
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    })
}

/// Every entity, grouped by the file it goes to (`components.yaml`, ...),
/// in a fixed order.
pub fn entities(
    repo: &Repo,
    inventory: &Inventory,
    docs: &[TemplateFile],
) -> BTreeMap<&'static str, Vec<Value>> {
    let host = SourceHost::of(repo);
    let organization = &repo.platform.value.organization;
    let source_annotations = |path: &str| -> Map<String, Value> {
        let mut annotations = Map::new();
        annotations.insert(
            "backstage.io/source-location".into(),
            format!("url:{}/", host.tree(path)).into(),
        );
        if let Some(slug) = &host.github_slug {
            annotations.insert("github.com/project-slug".into(), slug.clone().into());
        }
        annotations
    };
    let mut files: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();

    // The organisation, its teams and their owners.
    let team_names: BTreeSet<&str> = inventory.teams.iter().map(|t| t.name.as_str()).collect();
    let path_owners: BTreeSet<&str> = inventory
        .golden_paths
        .iter()
        .map(|p| p.owner.as_str())
        .filter(|owner| !team_names.contains(owner))
        .collect();
    let mut children: Vec<String> = team_names
        .iter()
        .map(|t| format!("group:default/{}", entity_name(t)))
        .collect();
    children.extend(
        path_owners
            .iter()
            .map(|o| format!("group:default/{}", entity_name(o))),
    );
    children.sort();
    let org_name = entity_name(organization);
    let mut groups = vec![entity(
        "Group",
        json!({
            "name": org_name,
            "description": format!("The {organization} organisation, as described in its platform repository."),
            "annotations": source_annotations(""),
        }),
        json!({"type": "organization", "profile": {"displayName": organization}, "children": children}),
    )];
    let mut users: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for team in &inventory.teams {
        let name = entity_name(&team.name);
        let mut annotations = source_annotations(&format!("teams/{}", team.name));
        annotations.insert("paved.dev/identity-group".into(), team.group.clone().into());
        annotations.insert(
            "paved.dev/cost-center".into(),
            team.cost_center.clone().into(),
        );
        if let Some(contact) = &team.contact {
            annotations.insert("paved.dev/contact".into(), contact.clone().into());
        }
        let mut metadata = json!({"name": name, "annotations": annotations});
        if let Some(description) = &team.description {
            metadata["description"] = description.clone().into();
        }
        let mut members = BTreeSet::new();
        for owner in &team.owners {
            let user = user_name(owner);
            members.insert(format!("user:default/{user}"));
            users
                .entry(user)
                .or_insert_with(|| (owner.clone(), BTreeSet::new()))
                .1
                .insert(format!("group:default/{name}"));
        }
        let mut profile = json!({"displayName": team.name});
        if let Some(email) = team
            .contact
            .as_ref()
            .filter(|c| c.contains('@') && !c.contains(' '))
        {
            profile["email"] = email.clone().into();
        }
        groups.push(entity(
            "Group",
            metadata,
            json!({
                "type": "team",
                "profile": profile,
                "parent": format!("group:default/{org_name}"),
                "children": [],
                "members": members,
            }),
        ));
    }
    for owner in &path_owners {
        groups.push(entity(
            "Group",
            json!({
                "name": entity_name(owner),
                "description": format!("Owns golden paths of {organization}."),
                "annotations": source_annotations("golden-paths"),
            }),
            json!({"type": "team", "parent": format!("group:default/{org_name}"), "children": []}),
        ));
    }
    files.insert("groups.yaml", groups);
    files.insert(
        "users.yaml",
        users
            .into_iter()
            .map(|(name, (owner, member_of))| {
                let mut profile = json!({"displayName": owner});
                if owner.contains('@') {
                    profile["email"] = owner.clone().into();
                }
                entity(
                    "User",
                    json!({"name": name}),
                    json!({"profile": profile, "memberOf": member_of}),
                )
            })
            .collect(),
    );

    // A system per team.
    files.insert(
        "systems.yaml",
        inventory
            .teams
            .iter()
            .map(|team| {
                let mut metadata = json!({
                    "name": entity_name(&team.name),
                    "annotations": source_annotations(&format!("teams/{}", team.name)),
                });
                metadata["description"] = team
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("The services of team {}.", team.name))
                    .into();
                entity(
                    "System",
                    metadata,
                    json!({"owner": format!("group:default/{}", entity_name(&team.name))}),
                )
            })
            .collect(),
    );

    // Services, their APIs and the resources they use.
    let resources = resource_names(inventory);
    let provides: BTreeSet<&str> = repo.api_definitions.keys().map(String::as_str).collect();
    let mut components = Vec::new();
    let mut apis = Vec::new();
    for service in &inventory.services {
        let name = entity_name(&service.name);
        let owner = format!("group:default/{}", entity_name(&service.team));
        let system = format!("system:default/{}", entity_name(&service.team));
        let lifecycle = lifecycle(repo, service);
        let dir = format!("teams/{}", service.team);
        let mut annotations = source_annotations(&format!("{dir}/services"));
        annotations.insert(
            "backstage.io/view-url".into(),
            host.blob(&service.file).into(),
        );
        annotations.insert(
            "argocd/app-selector".into(),
            format!(
                "app.kubernetes.io/name={},paved.dev/team={}",
                service.name, service.team
            )
            .into(),
        );
        if has_docs(docs, &service.team) {
            annotations.insert(
                "backstage.io/techdocs-ref".into(),
                format!("url:{}", host.tree(&dir)).into(),
            );
        }
        annotations.insert(
            "paved.dev/golden-path".into(),
            format!("{}@{}", service.golden_path, service.golden_path_version).into(),
        );
        annotations.insert("paved.dev/intent".into(), service.file.clone().into());
        let mut metadata = json!({
            "name": name,
            "annotations": annotations,
            "tags": [tag(&service.golden_path), tag(&service.team)],
        });
        if let Some(description) = &service.description {
            metadata["description"] = description.clone().into();
        }
        let mut depends_on: Vec<String> = service
            .depends_on
            .iter()
            .map(|d| format!("component:default/{}", entity_name(d)))
            .collect();
        depends_on.extend(service.uses.iter().filter_map(|used| {
            resources
                .get(&(service.team.clone(), used.name.clone()))
                .map(|(entity, _)| format!("resource:default/{entity}"))
        }));
        let mut spec = json!({
            "type": service.golden_path,
            "lifecycle": lifecycle,
            "owner": owner,
            "system": system,
            "dependsOn": depends_on,
        });
        if provides.contains(service.name.as_str()) {
            spec["providesApis"] = json!([format!("api:default/{name}")]);
        }
        let consumes: Vec<String> = service
            .depends_on
            .iter()
            .filter(|d| provides.contains(d.as_str()))
            .map(|d| format!("api:default/{}", entity_name(d)))
            .collect();
        if !consumes.is_empty() {
            spec["consumesApis"] = consumes.into();
        }
        components.push(entity("Component", metadata, spec));

        if let (Some(definition), Some(declared)) = (
            repo.api_definitions.get(&service.name),
            repo.service(&service.name)
                .and_then(|s| s.value.api.as_ref()),
        ) {
            let mut annotations = source_annotations(&format!("{dir}/services"));
            annotations.insert(
                "backstage.io/view-url".into(),
                host.blob(&definition.path).into(),
            );
            let description = declared
                .description
                .clone()
                .or_else(|| service.description.clone())
                .unwrap_or_else(|| format!("The API of {}.", service.name));
            apis.push(entity(
                "API",
                json!({
                    "name": name,
                    "description": description,
                    "annotations": annotations,
                    "tags": [tag(declared.kind.as_str())],
                }),
                json!({
                    "type": declared.kind.as_str(),
                    "lifecycle": lifecycle,
                    "owner": owner,
                    "system": system,
                    "definition": definition.text.to_string(),
                }),
            ));
        }
    }
    files.insert("components.yaml", components);
    files.insert("apis.yaml", apis);
    let mut users_of: BTreeMap<&(String, String), Vec<String>> = BTreeMap::new();
    // Resources provisioned outside the platform, and their secret-store key.
    let mut external: BTreeMap<&(String, String), &str> = BTreeMap::new();
    for service in &inventory.services {
        for used in &service.uses {
            if let Some((key, _)) =
                resources.get_key_value(&(service.team.clone(), used.name.clone()))
            {
                users_of.entry(key).or_default().push(service.name.clone());
                if let Some(secret_key) = &used.external {
                    external.entry(key).or_insert(secret_key);
                }
            }
        }
    }
    files.insert(
        "resources.yaml",
        resources
            .iter()
            .map(|(key, (name, kind))| {
                let (team, used) = key;
                let users = users_of.get(key).cloned().unwrap_or_default();
                let (description, tags) = match external.get(key) {
                    Some(secret_key) => (
                        format!(
                            "{kind} `{used}` of team {team}, provisioned outside the platform \
                             (secret-store key `{secret_key}`), used by {}.",
                            users.join(", ")
                        ),
                        json!([tag(kind), "external"]),
                    ),
                    None => (
                        format!(
                            "Managed {kind} `{used}` of team {team}, used by {}.",
                            users.join(", ")
                        ),
                        json!([tag(kind)]),
                    ),
                };
                entity(
                    "Resource",
                    json!({
                        "name": name,
                        "description": description,
                        "annotations": source_annotations(&format!("teams/{team}/services")),
                        "tags": tags,
                    }),
                    json!({
                        "type": kind,
                        "owner": format!("group:default/{}", entity_name(team)),
                        "system": format!("system:default/{}", entity_name(team)),
                    }),
                )
            })
            .collect(),
    );

    // A scaffolder template per golden path.
    let team_list: Vec<&str> = team_names.iter().copied().collect();
    files.insert(
        "templates.yaml",
        inventory
            .golden_paths
            .iter()
            .map(|path| template(repo, &host, path, &team_list))
            .collect(),
    );
    files
}

/// A scaffolder template that adds a service on `path` by pull request.
fn template(
    repo: &Repo,
    host: &SourceHost,
    path: &crate::inventory::GoldenPathFacts,
    teams: &[&str],
) -> Value {
    let params = repo
        .golden_paths
        .get(&path.name)
        .map(|p| p.value.params.clone())
        .unwrap_or_else(|| json!({}));
    let mut golden = json!({
        "title": format!("{} parameters", path.name),
        "type": "object",
        "properties": params.get("properties").cloned().unwrap_or_else(|| json!({})),
    });
    if let Some(required) = params.get("required") {
        golden["required"] = required.clone();
    }
    let mut annotations = Map::new();
    annotations.insert(
        "backstage.io/source-location".into(),
        format!("url:{}/", host.tree(&format!("golden-paths/{}", path.name))).into(),
    );
    if let Some(slug) = &host.github_slug {
        annotations.insert("github.com/project-slug".into(), slug.clone().into());
    }
    let mut publish = json!({
        "id": "publish",
        "name": "Open a pull request",
        "action": "publish:github:pull-request",
        "input": {
            "branchName": "new-service-${{ parameters.name }}",
            "title": "New service ${{ parameters.name }} on the " ,
            "description": "Adds the intent of ${{ parameters.name }}, owned by ${{ parameters.team }}.",
            "targetPath": "teams/${{ parameters.team }}/services",
        }
    });
    publish["input"]["title"] =
        format!("New service ${{{{ parameters.name }}}} on {}", path.name).into();
    if let Some(slug) = &host.github_slug {
        let (owner, name) = slug.split_once('/').unwrap_or((slug, ""));
        publish["input"]["repoUrl"] = format!("github.com?owner={owner}&repo={name}").into();
    } else {
        publish["action"] = "publish:gitlab:merge-request".into();
        publish["input"]["repoUrl"] = host.web.trim_start_matches("https://").to_owned().into();
    }
    entity(
        "Template",
        json!({
            "name": entity_name(&path.name),
            "title": format!("New service on {} {}", path.name, path.version),
            "description": path.description,
            "tags": [tag(&path.name), "paved"],
            "annotations": annotations,
        }),
        json!({
            "owner": format!("group:default/{}", entity_name(&path.owner)),
            "type": "service",
            "parameters": [
                {
                    "title": "The service",
                    "required": ["name", "team", "description"],
                    "properties": {
                        "name": {
                            "title": "Name",
                            "type": "string",
                            "description": "Unique across the organisation; also the intent's file name.",
                            "pattern": crate::input::model::NAME_PATTERN,
                            "maxLength": 40,
                        },
                        "team": {
                            "title": "Team",
                            "type": "string",
                            "description": "The team that owns it (a directory of `teams/`).",
                            "enum": teams,
                        },
                        "description": {"title": "Description", "type": "string"},
                    }
                },
                golden,
            ],
            "steps": [
                {
                    "id": "fetch",
                    "name": "Write the intent",
                    "action": "fetch:template",
                    "input": {
                        "url": host.tree(&format!("golden-paths/{}/skeleton", path.name)),
                        "values": {
                            "name": "${{ parameters.name }}",
                            "team": "${{ parameters.team }}",
                            "description": "${{ parameters.description }}",
                            "goldenPath": path.name,
                            "params": "${{ parameters | dump }}",
                        }
                    }
                },
                publish,
            ],
            "output": {
                "links": [{"title": "Pull request", "url": "${{ steps.publish.output.remoteUrl }}"}]
            }
        }),
    )
}

/// The `Location` Backstage registers, naming every other file.
pub fn location(repo: &Repo, files: &[&str]) -> Value {
    let organization = &repo.platform.value.organization;
    entity(
        "Location",
        json!({
            "name": entity_name(&format!("{organization}-platform")),
            "description": format!("Every entity of {organization}, generated by `paved catalog` from the platform repository."),
        }),
        json!({
            "type": "url",
            "targets": files.iter().map(|f| format!("./{f}")).collect::<Vec<_>>(),
        }),
    )
}

/// The catalog's files: one YAML stream per kind and the `Location`, by
/// file name, byte for byte what `paved catalog` writes.
pub fn files(
    repo: &Repo,
    inventory: &Inventory,
    docs: &[TemplateFile],
) -> BTreeMap<String, String> {
    let entities = entities(repo, inventory, docs);
    let mut out = BTreeMap::new();
    let header = "# Generated by `paved catalog` from the platform repository. Do not edit:\n# change the intents and team files instead.\n";
    let mut names = Vec::new();
    for (file, list) in &entities {
        if list.is_empty() {
            continue;
        }
        let mut text = header.to_owned();
        for value in list {
            text.push_str("---\n");
            text.push_str(&serde_yaml::to_string(value).expect("entities serialise"));
        }
        out.insert((*file).to_owned(), text);
        names.push(*file);
    }
    let mut text = header.to_owned();
    text.push_str(
        &serde_yaml::to_string(&location(repo, &names)).expect("the location serialises"),
    );
    out.insert(LOCATION_FILE.to_owned(), text);
    out
}
