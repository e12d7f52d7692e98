//! Scaffolding: the files `paved new` writes, made in memory. A service
//! intent with its golden path's recommended settings, each field
//! commented from the input schema; a docs stub for the portal; the
//! golden path's application skeleton (`golden-paths/<path>/skeleton/`,
//! Tera templates of a source tree, Dockerfile, CI workflow and README);
//! and a team file. Names are checked here, before anything is written.
//! Pure apart from reading the source.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;
use crate::input::intents::reserved_namespaces;
use crate::input::load::{GOLDEN_PATHS_DIR, TEAMS_DIR};
use crate::input::repo::Repo;
use crate::input::schema::{InputKind, schema_at};
use crate::input::source::{EntryKind, Source, join};
use crate::render::template::{self, Refused};
use crate::support::text::{nearest, quote_list};

/// The directory of a golden path that holds its application skeleton.
pub const SKELETON_DIR: &str = "skeleton";

/// The port a skeleton serves Prometheus metrics on when its golden path
/// names none (the paths' monitors scrape the port named `metrics`).
pub const METRICS_PORT: u16 = 9464;

/// A file to write: where, relative to its base, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: String,
    pub text: String,
}

/// What a new service is.
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    pub name: String,
    pub team: String,
    pub golden_path: String,
    pub description: String,
    pub tag: String,
}

/// What a new team is.
#[derive(Debug, Clone)]
pub struct TeamRequest {
    pub name: String,
    pub description: Option<String>,
    pub owners: Vec<String>,
    pub group: String,
    pub cost_center: String,
    pub github: Vec<String>,
    pub contact: Option<String>,
}

fn name_problem(name: &str, max: usize) -> Option<String> {
    let pattern = regex_lite(name);
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > max {
        return Some(format!(
            "it is {} characters, over the limit of {max}",
            name.len()
        ));
    }
    if !pattern {
        return Some(
            "use lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit"
                .into(),
        );
    }
    None
}

/// Whether `name` matches `input::model::NAME_PATTERN` (`^[a-z]([-a-z0-9]*[a-z0-9])?$`).
fn regex_lite(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.ends_with('-')
}

fn unknown(what: &str, name: &str, known: &[&str], flag: &str) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(format!("unknown {what} `{name}`"));
    if let Some(near) = nearest(name, known.iter().copied()) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    if known.is_empty() {
        diagnostic.help(format!("there are no {what}s yet"))
    } else {
        diagnostic.help(format!("`{flag}` takes one of {}", quote_list(known)))
    }
}

/// Checks a new service's names against the repository: every problem.
pub fn check_service(repo: &Repo, request: &ServiceRequest) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if let Some(problem) = name_problem(&request.name, 40) {
        problems.push(
            Diagnostic::error(format!("`{}` cannot name a service: {problem}", request.name))
                .help("the name is the intent's file name, the Kubernetes name and the Argo CD application: such as `refunds` or `order-api`"),
        );
    }
    if let Some(existing) = repo.service(&request.name) {
        problems.push(
            Diagnostic::error(format!("a service named `{}` already exists", request.name))
                .in_file(&existing.file.path)
                .help("service names are unique across the organisation: choose another"),
        );
    }
    if repo.team(&request.team).is_none() {
        let teams: Vec<&str> = repo.teams.iter().map(|t| t.value.name.as_str()).collect();
        problems.push(
            unknown("team", &request.team, &teams, "--team")
                .help("`paved new team NAME` adds a team"),
        );
    }
    if !repo.golden_paths.contains_key(&request.golden_path) {
        let paths: Vec<&str> = repo.golden_paths.keys().map(String::as_str).collect();
        problems.push(unknown(
            "golden path",
            &request.golden_path,
            &paths,
            "--path",
        ));
    }
    if repo.environments.is_empty() {
        problems.push(Diagnostic::error(
            "there are no environments to run the service in",
        ));
    }
    if request.tag.is_empty()
        || request.tag.len() > 128
        || !request
            .tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        || request.tag.starts_with(['.', '-'])
        || request.tag == "latest"
    {
        problems.push(
            Diagnostic::error(format!(
                "`{}` is not an image tag paved accepts",
                request.tag
            ))
            .help("use letters, digits, `_`, `.` and `-`, such as `0.1.0`; `latest` is refused"),
        );
    }
    problems
}

/// Checks a new team's names: every problem.
pub fn check_team(repo: &Repo, request: &TeamRequest) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if let Some(problem) = name_problem(&request.name, 40) {
        problems.push(Diagnostic::error(format!(
            "`{}` cannot name a team: {problem}",
            request.name
        )));
    }
    if let Some(team) = repo.team(&request.name) {
        problems.push(
            Diagnostic::error(format!("a team named `{}` already exists", request.name))
                .in_file(&team.file.path),
        );
    }
    let environments: BTreeSet<String> = repo
        .environments
        .iter()
        .map(|e| e.value.name.clone())
        .collect();
    let reserved = reserved_namespaces(&repo.platform.value, &environments);
    let why = reserved.get(&request.name).cloned().or_else(|| {
        request
            .name
            .starts_with("kube-")
            .then(|| "names starting with `kube-` belong to Kubernetes".to_owned())
    });
    if let Some(why) = why {
        problems.push(
            Diagnostic::error(format!(
                "`{}` is a reserved namespace and cannot be a team's name",
                request.name
            ))
            .help(why)
            .help("a team's name is its namespace in every cluster: choose another"),
        );
    }
    if request.owners.is_empty() {
        problems.push(
            Diagnostic::error("a team needs at least one owner").help("pass `--owner EMAIL`"),
        );
    }
    problems
}

/// The intent's path, relative to the repository root.
pub fn intent_path(request: &ServiceRequest) -> String {
    format!(
        "{TEAMS_DIR}/{}/services/{}.yaml",
        request.team, request.name
    )
}

/// The docs stub's path, relative to the repository root.
pub fn docs_path(request: &ServiceRequest) -> String {
    format!("{TEAMS_DIR}/{}/docs/{}.md", request.team, request.name)
}

/// The first sentence of what the service schema says about `field`.
fn describe(field: &str) -> String {
    let schema = InputKind::Service.schema();
    let text = schema_at(schema, &format!("/{field}"))
        .and_then(|s| s.get("description"))
        .and_then(Value::as_str)
        .or_else(|| schema["properties"][field]["description"].as_str())
        .unwrap_or_default()
        .replace('\n', " ");
    match text.find(". ") {
        Some(at) => text[..=at].to_owned(),
        None => text,
    }
}

/// `# text`, wrapped at 76 columns, indented by `indent`.
fn comment(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && pad.len() + 2 + line.len() + 1 + word.len() > 76 {
            let _ = writeln!(out, "{pad}# {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{pad}# {line}");
    }
}

/// `key: value` as block YAML, as `paved` writes YAML.
fn entry(key: &str, value: &Value) -> String {
    let mut map = serde_json::Map::new();
    map.insert(key.to_owned(), value.clone());
    crate::input::yaml::to_string(&Value::Object(map))
}

/// The image repository a new service pushes to: the platform's first
/// registry, then the team and the service.
pub fn image(repo: &Repo, request: &ServiceRequest) -> String {
    let registry = repo
        .platform
        .value
        .registries
        .first()
        .map_or("registry.example.com", |r| r.trim_end_matches('/'));
    format!("{registry}/{}/{}", request.team, request.name)
}

/// The intent: required fields, the golden path's recommended settings,
/// the first environment, each with a comment; common optional fields as
/// commented-out examples.
pub fn service_intent(repo: &Repo, request: &ServiceRequest) -> String {
    let path = &repo.golden_paths[&request.golden_path].value;
    let name = &request.name;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../../../schemas/service.json"
    );
    comment(
        &mut out,
        0,
        &format!(
            "Written by `paved new service`. Every field is described in `docs/reference/service.md`; `paved explain {name}` shows where each value comes from."
        ),
    );
    out.push_str("apiVersion: paved.dev/v1\nkind: Service\n");
    comment(&mut out, 0, &describe("name"));
    out.push_str(&entry("name", &json!(name)));
    comment(
        &mut out,
        0,
        "What the service does, shown by `paved show` and in the portal.",
    );
    out.push_str(&entry("description", &json!(request.description)));
    comment(
        &mut out,
        0,
        &format!(
            "The golden path it follows ({} {}): {}",
            path.name, path.version, path.description
        ),
    );
    out.push_str(&entry("goldenPath", &json!(path.name)));
    comment(&mut out, 0, &describe("image"));
    out.push_str(&entry("image", &json!(image(repo, request))));
    if let Value::Object(recommended) = serde_json::to_value(&path.recommended).unwrap_or_default()
    {
        for (key, value) in recommended.iter().filter(|(_, v)| !v.is_null()) {
            if key == "image" {
                continue;
            }
            let mut text = describe(key);
            if key == "params" {
                text.push_str(&format!(" Golden path `{}` takes these.", path.name));
            }
            comment(
                &mut out,
                0,
                &format!("{text} The golden path recommends this."),
            );
            out.push_str(&entry(key, value));
        }
    }
    let defaults = serde_json::to_value(&path.defaults).unwrap_or_default();
    if let Some(health) = defaults.get("health").filter(|h| h.is_object()) {
        comment(
            &mut out,
            0,
            &format!(
                "Probes call {} by default (the golden path's); set `health` to change them.",
                health
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| *k != "port")
                    .map(|(_, v)| format!("`{}`", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
    // Optional fields most services come to, as examples to uncomment.
    out.push('\n');
    comment(&mut out, 0, "Optional: uncomment what the service needs.");
    comment(
        &mut out,
        0,
        "Services it calls, by bare name (`ledger`, never `payments/ledger`); another team's service must accept it in its `callers`:",
    );
    out.push_str("# dependsOn: [other-service]\n");
    comment(&mut out, 0, &describe("secrets"));
    let _ = writeln!(
        out,
        "# secrets:\n#   DB_PASSWORD: {{key: {}/{name}, property: db-password}}",
        request.team
    );
    comment(&mut out, 0, &describe("uses"));
    out.push_str("# uses:\n#   cache: {type: redis}\n");
    comment(&mut out, 0, &describe("env"));
    out.push_str("# env:\n#   FEATURE_FLAG: \"on\"\n");
    if !path.rejects.iter().any(|r| r == "routes") {
        comment(&mut out, 0, &describe("routes"));
        let _ = writeln!(
            out,
            "# routes:\n#   public: {{host: {name}.example.com, path: /}}"
        );
    }
    comment(
        &mut out,
        0,
        "Other teams' services that may call this one (the network opens only for them):",
    );
    out.push_str("# callers: {teams: [other-team]}\n");
    out.push('\n');
    let order = repo.promotion_order();
    let first = order.first().copied().unwrap_or("dev");
    comment(&mut out, 0, &describe("environments"));
    out.push_str("environments:\n");
    let next = order.get(1);
    let hint = match next {
        Some(next) => format!(
            "Starts in `{first}`. `paved promote {name} --to {next}` copies the release on, one environment at a time."
        ),
        None => format!("Runs in `{first}`."),
    };
    comment(&mut out, 2, &hint);
    let _ = writeln!(
        out,
        "  {first}:\n    tag: {}",
        crate::input::edit::scalar_text(&request.tag, None)
    );
    out
}

/// The docs stub for the portal.
pub fn docs_stub(repo: &Repo, request: &ServiceRequest) -> String {
    let team = repo.team(&request.team);
    let owners = team.map(|t| t.value.owners.join(", ")).unwrap_or_default();
    format!(
        "# {name}\n\n{description}\n\n\
         - Team: `{team}` ({owners})\n\
         - Golden path: `{path}`\n\
         - Intent: `{intent}`\n\n\
         ## What it does\n\nTell other teams what this service is for, and what it is not for.\n\n\
         ## How to call it\n\nThe API, its ports and routes. Other teams depend on it with `dependsOn: [{name}]`\n\
         once it accepts them under `callers` in its intent.\n\n\
         ## Running it\n\nDashboards, alerts, and what to do when it fails.\n",
        name = request.name,
        description = request.description,
        team = request.team,
        path = request.golden_path,
        intent = intent_path(request),
    )
}

/// Every file under `dir` in `source`, relative to it, sorted.
fn files_under(source: &dyn Source, dir: &str) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut out = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(relative) = pending.pop() {
        let entries = source
            .list(&join(dir, &relative))
            .map_err(|e| Diagnostic::error(e.to_string()))?;
        for entry in entries {
            let name = join(&relative, &entry.name);
            match entry.kind {
                EntryKind::Dir => pending.push(name),
                EntryKind::File => {
                    let text = source
                        .read(&join(dir, &name))
                        .map_err(|e| Diagnostic::error(e.to_string()))?;
                    out.push((name, text));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The application skeleton of the request's golden path, rendered with
/// Tera: file names as they are, contents with the service's values.
pub fn skeleton(
    repo: &Repo,
    source: &dyn Source,
    request: &ServiceRequest,
) -> Result<Vec<NewFile>, Vec<Diagnostic>> {
    let dir = format!("{GOLDEN_PATHS_DIR}/{}/{SKELETON_DIR}", request.golden_path);
    let files = files_under(source, &dir).map_err(|d| vec![d])?;
    if files.is_empty() {
        return Err(vec![
            Diagnostic::error(format!(
                "golden path `{}` has no application skeleton",
                request.golden_path
            ))
            .help(format!(
                "its owners add one under `{dir}/`; leave out `--app-dir` to write only the intent"
            )),
        ]);
    }
    let path = &repo.golden_paths[&request.golden_path].value;
    let defaults = serde_json::to_value(&path.defaults).unwrap_or_default();
    let recommended = serde_json::to_value(&path.recommended).unwrap_or_default();
    let mut ports = defaults["ports"].as_object().cloned().unwrap_or_default();
    ports.extend(
        recommended["ports"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let mut params = defaults["params"].as_object().cloned().unwrap_or_default();
    params.extend(
        recommended["params"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    let health = &defaults["health"];
    let health_port = health["port"]
        .as_str()
        .and_then(|name| ports.get(name))
        .or_else(|| ports.get("http"))
        .or_else(|| ports.values().next())
        .cloned();
    // Where the path's monitors scrape: its `metrics` port by name.
    let metrics_name = defaults["metrics"]["port"]
        .as_str()
        .unwrap_or("metrics")
        .to_owned();
    let metrics_path = defaults["metrics"]["path"]
        .as_str()
        .unwrap_or("/metrics")
        .to_owned();
    let metrics_port = ports
        .get(&metrics_name)
        .cloned()
        .unwrap_or_else(|| json!(METRICS_PORT));
    let context = json!({
        "service": {
            "name": request.name,
            "team": request.team,
            "description": request.description,
            "image": image(repo, request),
            "registry": image(repo, request).split('/').next(),
            "tag": request.tag,
        },
        "goldenPath": {"name": path.name, "version": path.version, "description": path.description},
        "organization": repo.platform.value.organization,
        "ports": ports,
        "params": params,
        "health": {
            "readiness": health["readiness"],
            "liveness": health["liveness"],
            "port": health_port,
        },
        "metrics": {"port": metrics_port, "path": metrics_path, "name": metrics_name},
        "intent": intent_path(request),
    });
    let context =
        tera::Context::from_value(context).map_err(|e| vec![Diagnostic::error(e.to_string())])?;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (name, text) in files {
        let mut tera = template::sandboxed();
        tera.autoescape_on(Vec::new());
        let rendered = match tera.add_raw_template(&name, &text) {
            Ok(()) => template::render_bounded(&tera, &name, &context),
            Err(error) => Err(Refused::Failed(error)),
        };
        match rendered {
            Ok(text) => out.push(NewFile {
                path: name.strip_suffix(".tera").unwrap_or(&name).to_owned(),
                text,
            }),
            Err(Refused::OverLimit) => problems.push(
                Diagnostic::error(format!(
                    "skeleton template `{name}` printed more than the limit of {}",
                    crate::support::text::human_bytes(crate::support::limits::MAX_BYTES)
                ))
                .in_file(format!("{dir}/{name}"))
                .help("look for a loop that prints more than it should"),
            ),
            Err(Refused::Failed(error)) => {
                let mut chain = vec![error.to_string()];
                let mut cause = std::error::Error::source(&error);
                while let Some(inner) = cause {
                    chain.push(inner.to_string());
                    cause = inner.source();
                }
                problems.push(
                    Diagnostic::error(format!(
                        "skeleton template `{name}` failed: {}",
                        chain.join(": ")
                    ))
                    .in_file(format!("{dir}/{name}")),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The team file.
pub fn team_file(request: &TeamRequest) -> String {
    let mut out = String::from("# yaml-language-server: $schema=../../schemas/team.json\n");
    comment(
        &mut out,
        0,
        "Written by `paved new team`. Every field is described in `docs/reference/team.md`.",
    );
    out.push_str("apiVersion: paved.dev/v1\nkind: Team\n");
    comment(
        &mut out,
        0,
        "Must match the directory name; also the team's namespace in every cluster.",
    );
    out.push_str(&entry("name", &json!(request.name)));
    if let Some(description) = &request.description {
        out.push_str(&entry("description", &json!(description)));
    }
    comment(&mut out, 0, "People accountable for the team's services.");
    out.push_str(&entry("owners", &json!(request.owners)));
    comment(
        &mut out,
        0,
        "The identity-provider group granted edit rights in the team's namespaces.",
    );
    out.push_str(&entry("group", &json!(request.group)));
    if let Some(contact) = &request.contact {
        comment(&mut out, 0, "Where to reach the team.");
        out.push_str(&entry("contact", &json!(contact)));
    }
    comment(
        &mut out,
        0,
        "Cost centre that pays for the team's resources.",
    );
    out.push_str(&entry("costCenter", &json!(request.cost_center)));
    if !request.github.is_empty() {
        comment(
            &mut out,
            0,
            "GitHub owners who review the team's changes (`paved codeowners` writes `.github/CODEOWNERS`).",
        );
        out.push_str(&entry("github", &json!(request.github)));
    }
    out
}

/// The team file's path.
pub fn team_path(request: &TeamRequest) -> String {
    format!("{TEAMS_DIR}/{}/team.yaml", request.name)
}
