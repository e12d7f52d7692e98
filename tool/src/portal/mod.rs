//! The developer portal: a static site built from the inputs, the rendered
//! tree (through the inventory) and the policy report. No server, no
//! framework: plain HTML with relative links, so it works from `file://`,
//! GitHub Pages or any static host, and a little plain JavaScript that
//! filters the catalog and searches the site (everything still reads
//! without it). Pure: [`build`] returns the files, byte for byte the same
//! for the same inputs; the caller writes them.

pub mod graph;
pub mod html;
pub mod markdown;
pub mod reference;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rayon::prelude::*;
use serde_json::json;

use crate::catalog::{self, SourceHost};
use crate::diagnostic::{Diagnostic, Severity};
use crate::input::load::TemplateFile;
use crate::input::model::PolicyException;
use crate::input::repo::Repo;
use crate::inventory::{DeploymentFacts, Inventory, ServiceFacts};
use crate::support::text::glob;
use html::{escape, external, link, list_or_dash, page, slug, table};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/search.js");

/// What the portal is built from.
pub struct Inputs<'a> {
    pub repo: &'a Repo,
    pub inventory: &'a Inventory,
    /// Findings of `paved policy`, as it reports them.
    pub findings: &'a [Diagnostic],
    /// Markdown under `docs/` and `teams/<team>/docs/`.
    pub docs: &'a [TemplateFile],
    /// The date exceptions are judged on (`YYYY-MM-DD`).
    pub today: &'a str,
}

/// A page for the site-wide search.
struct Entry {
    title: String,
    url: String,
    kind: &'static str,
    text: String,
}

/// The site, as (path, bytes), sorted by path.
pub fn build(inputs: &Inputs) -> BTreeMap<String, Vec<u8>> {
    let mut site = Site {
        inputs,
        host: SourceHost::of(inputs.repo),
        organization: inputs.repo.platform.value.organization.clone(),
        files: BTreeMap::new(),
        search: Vec::new(),
        docs: BTreeMap::new(),
        by_name: inputs
            .inventory
            .services
            .iter()
            .map(|s| (s.name.as_str(), s))
            .collect(),
        findings_of: findings_by_service(inputs.inventory, inputs.findings),
    };
    site.render_docs();
    site.index();
    // Service pages are independent: built in parallel, kept in order.
    let pages: Vec<(String, String)> = inputs
        .inventory
        .services
        .par_iter()
        .map(|service| site.service(service))
        .collect();
    site.files.extend(
        pages
            .into_iter()
            .map(|(path, html)| (path, html.into_bytes())),
    );
    site.teams();
    site.graph();
    site.golden_paths();
    site.environments();
    site.docs_index();
    site.reference();
    site.search_page();
    site.files
        .insert("assets/style.css".into(), STYLE.as_bytes().to_vec());
    site.files
        .insert("assets/search.js".into(), SCRIPT.as_bytes().to_vec());
    for (name, text) in catalog::files(inputs.repo, inputs.inventory, inputs.docs) {
        site.files
            .insert(format!("catalog/{name}"), text.into_bytes());
    }
    // A Pages site built by Jekyll would hide `_`-prefixed files; there are
    // none, but say so explicitly.
    site.files.insert(".nojekyll".into(), Vec::new());
    site.files
}

struct Site<'a> {
    inputs: &'a Inputs<'a>,
    host: SourceHost,
    organization: String,
    files: BTreeMap<String, Vec<u8>>,
    search: Vec<Entry>,
    /// Rendered docs, by source path: (page path, rendered).
    docs: BTreeMap<String, (String, markdown::Rendered)>,
    /// Services by name.
    by_name: BTreeMap<&'a str, &'a ServiceFacts>,
    /// Each service's policy findings, as indices into `inputs.findings`.
    findings_of: BTreeMap<&'a str, Vec<usize>>,
}

/// Where a service's page is.
fn service_page(name: &str) -> String {
    format!("services/{}.html", slug(name))
}

fn team_page(name: &str) -> String {
    format!("teams/{}.html", slug(name))
}

/// Where a doc's page is: `docs/x/y.md` → `docs/x/y.html`,
/// `teams/t/docs/y.md` → `docs/teams/t/y.html`.
pub fn doc_page(path: &str) -> String {
    let stem = path.strip_suffix(".md").unwrap_or(path);
    let relative = match stem.strip_prefix("teams/") {
        Some(rest) => format!("teams/{}", rest.replacen("/docs/", "/", 1)),
        None => stem.strip_prefix("docs/").unwrap_or(stem).to_owned(),
    };
    let parts: Vec<String> = relative.split('/').map(slug).collect();
    format!("docs/{}.html", parts.join("/"))
}

/// The page the portal makes itself among the docs' pages.
const DOCS_INDEX: &str = "docs/index.html";

/// Docs that would be the same page as an earlier doc (a page is named
/// after its file in lower case, other characters folded to `-`) or as
/// the docs' index the portal makes: each an error at the later file, as
/// one of them would otherwise be dropped without a word.
pub fn doc_collisions(docs: &[TemplateFile]) -> Vec<Diagnostic> {
    let mut pages: BTreeMap<String, &str> = BTreeMap::new();
    let mut found = Vec::new();
    for doc in docs {
        let page = doc_page(&doc.path);
        let taken = match pages.get(page.as_str()) {
            Some(first) => format!("which `{first}` is already"),
            None if page == DOCS_INDEX => {
                "the index of the docs, which the portal makes".to_owned()
            }
            None => {
                pages.insert(page, &doc.path);
                continue;
            }
        };
        found.push(
            Diagnostic::error(format!(
                "`{}` would be the portal page `{page}`, {taken}",
                doc.path
            ))
            .in_file(&doc.path)
            .help("rename the file: a page is named after its file in lower case, with every character but letters, digits, `-`, `_` and `.` folded to `-`"),
        );
    }
    found
}

/// The release running in a deployment: its tag, else its digest.
fn release(deployment: &DeploymentFacts) -> Option<String> {
    deployment.tag.clone().or_else(|| deployment.digest.clone())
}

/// `sha256:0123456789ab…` for a digest, as is for a tag.
fn short(release: &str) -> String {
    match release.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}…", &hex[..hex.len().min(12)]),
        None => release.to_owned(),
    }
}

/// Numeric parts of a version (`v1.2.3` → [1, 2, 3]), if it is one.
fn version(text: &str) -> Option<Vec<u64>> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let core = text.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect()
}

/// How a service's release in an environment compares with the one in the
/// environment it is promoted from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promotion {
    /// The same release.
    Current,
    /// A newer release waits in the source environment.
    Waiting { from: String, release: String },
    /// Different, and not comparable (a digest against a tag).
    Differs { from: String, release: String },
    /// The target runs a newer release than its source.
    Ahead,
}

/// Compares `target`'s release with `source`'s.
pub fn promotion(source: &str, target: &str, from: &str) -> Promotion {
    if source == target {
        return Promotion::Current;
    }
    match (version(source), version(target)) {
        (Some(a), Some(b)) if a > b => Promotion::Waiting {
            from: from.to_owned(),
            release: source.to_owned(),
        },
        (Some(_), Some(_)) => Promotion::Ahead,
        _ => Promotion::Differs {
            from: from.to_owned(),
            release: source.to_owned(),
        },
    }
}

/// The releases a service runs in each environment (one per environment
/// unless clusters differ), in promotion order.
fn releases(service: &ServiceFacts) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for deployment in &service.deployments {
        if let Some(release) = release(deployment) {
            out.entry(deployment.environment.clone())
                .or_default()
                .insert(release);
        }
    }
    out
}

/// What waits to be promoted into each environment of a service.
fn promotions(inventory: &Inventory, service: &ServiceFacts) -> BTreeMap<String, Promotion> {
    let releases = releases(service);
    let mut out = BTreeMap::new();
    for env in &inventory.environments {
        let Some(from) = &env.promotes_from else {
            continue;
        };
        let (Some(target), Some(source)) = (releases.get(&env.name), releases.get(from)) else {
            continue;
        };
        let (Some(target), Some(source)) = (target.iter().next_back(), source.iter().next_back())
        else {
            continue;
        };
        out.insert(env.name.clone(), promotion(source, target, from));
    }
    out
}

/// Services that stop working, directly or through others, when `name` is
/// down: its dependents, transitively, nearest first.
fn blast_radius(by_name: &BTreeMap<&str, &ServiceFacts>, name: &str) -> Vec<(String, usize)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut frontier = vec![name.to_owned()];
    let mut distance = 0;
    while !frontier.is_empty() {
        distance += 1;
        let mut next = Vec::new();
        for current in frontier {
            if let Some(service) = by_name.get(current.as_str()) {
                for dependent in &service.dependents {
                    if dependent != name && !seen.contains_key(dependent) {
                        seen.insert(dependent.clone(), distance);
                        next.push(dependent.clone());
                    }
                }
            }
        }
        next.sort();
        frontier = next;
    }
    let mut out: Vec<(String, usize)> = seen.into_iter().collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Each service's findings (indices), found through the intent a finding
/// points at, else the resource it names.
fn findings_by_service<'a>(
    inventory: &'a Inventory,
    findings: &[Diagnostic],
) -> BTreeMap<&'a str, Vec<usize>> {
    let by_file: BTreeMap<&str, &ServiceFacts> = inventory
        .services
        .iter()
        .map(|s| (s.file.as_str(), s))
        .collect();
    let mut by_team: BTreeMap<&str, Vec<&ServiceFacts>> = BTreeMap::new();
    for service in &inventory.services {
        by_team
            .entry(service.team.as_str())
            .or_default()
            .push(service);
    }
    let mut out: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, finding) in findings.iter().enumerate() {
        let file = finding.location.as_ref().map(|l| l.file.as_str());
        if let Some(service) = file.and_then(|f| by_file.get(f)) {
            out.entry(service.name.as_str()).or_default().push(index);
            continue;
        }
        let namespace = finding
            .subject
            .as_deref()
            .and_then(|s| s.split_once(' '))
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(namespace, _)| namespace);
        for service in namespace.and_then(|n| by_team.get(n)).into_iter().flatten() {
            if finding_is_about(finding, service) {
                out.entry(service.name.as_str()).or_default().push(index);
            }
        }
    }
    out
}

/// Whether a policy finding is about `service`: reported at its intent,
/// or about a resource of its namespace that it renders.
fn finding_is_about(finding: &Diagnostic, service: &ServiceFacts) -> bool {
    if finding
        .location
        .as_ref()
        .is_some_and(|l| l.file == service.file)
    {
        return true;
    }
    let Some((kind, rest)) = finding.subject.as_deref().and_then(|s| s.split_once(' ')) else {
        return false;
    };
    let Some((namespace, name)) = rest.split_once('/') else {
        return false;
    };
    let resource = format!("{kind}/{name}");
    namespace == service.team
        && service.deployments.iter().any(|d| {
            (finding.clusters.is_empty() || finding.clusters.contains(&d.cluster))
                && d.resources.contains(&resource)
        })
}

/// Whether an exception covers some resource of `service`.
fn exception_covers(exception: &PolicyException, service: &ServiceFacts) -> bool {
    let covers = |patterns: &Option<Vec<String>>, value: &str| {
        patterns
            .as_ref()
            .is_none_or(|patterns| patterns.iter().any(|p| glob(p, value)))
    };
    // One naming no namespace or name waives across the organisation: it is
    // shown on the policy of every service only when it names this one.
    if exception.namespaces.is_none() && exception.names.is_none() {
        return false;
    }
    service.deployments.iter().any(|d| {
        covers(&exception.clusters, &d.cluster)
            && covers(&exception.namespaces, &service.team)
            && d.resources.iter().any(|r| {
                let name = r.split_once('/').map_or(r.as_str(), |(_, n)| n);
                covers(&exception.names, name)
            })
    })
}

/// Owners as HTML: e-mail addresses as `mailto:` links.
fn owner_links(owners: &[String]) -> Vec<String> {
    owners
        .iter()
        .map(|o| {
            if o.contains('@') {
                external(&format!("mailto:{o}"), o)
            } else {
                escape(o)
            }
        })
        .collect()
}

impl Site<'_> {
    fn add(&mut self, path: String, title: &str, section: &str, body: &str, scripts: &[&str]) {
        let text = page(&path, title, &self.organization, section, body, scripts);
        self.files.insert(path, text.into_bytes());
    }

    fn render_docs(&mut self) {
        for doc in self.inputs.docs {
            let rendered = markdown::render(&doc.text, 0, "");
            self.docs
                .insert(doc.path.clone(), (doc_page(&doc.path), rendered));
        }
        let docs: Vec<(String, String, markdown::Rendered)> = self
            .docs
            .iter()
            .map(|(source, (page, rendered))| (source.clone(), page.clone(), rendered.clone()))
            .collect();
        for (source, path, rendered) in docs {
            let title = rendered
                .title
                .clone()
                .unwrap_or_else(|| source.rsplit('/').next().unwrap_or(&source).to_owned());
            let mut body = String::new();
            if rendered.title.is_none() {
                let _ = writeln!(body, "<h1>{}</h1>", escape(&title));
            }
            body.push_str("<article class=\"doc\">\n");
            body.push_str(&rendered.html);
            let _ = writeln!(
                body,
                "</article>\n<p class=\"source\">Source: {}</p>",
                external(&self.host.blob(&source), &source)
            );
            self.search.push(Entry {
                title: title.clone(),
                url: path.clone(),
                kind: "doc",
                text: rendered.text.clone(),
            });
            self.add(path, &title, "docs/index.html", &body, &[]);
        }
    }

    fn index(&mut self) {
        let inventory = self.inputs.inventory;
        let path = "index.html";
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<h1>Services of {}</h1>\n<p>{} services of {} teams on {} golden paths, in {} environments. Each service's page says who owns it, what runs in each cluster, what depends on it and what waits to be promoted.</p>",
            escape(&self.organization),
            inventory.services.len(),
            inventory.teams.len(),
            inventory.golden_paths.len(),
            inventory.environments.len()
        );
        // Filters: work with the script; without it, every row shows.
        let teams: Vec<&str> = inventory.teams.iter().map(|t| t.name.as_str()).collect();
        let paths: Vec<&str> = inventory
            .golden_paths
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let envs: Vec<&str> = inventory
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let select = |id: &str, label: &str, options: &[&str]| {
            let mut out = format!(
                "<div class=\"field\"><label for=\"{id}\">{label}</label><select id=\"{id}\" data-filter=\"{id}\"><option value=\"\">any</option>"
            );
            for option in options {
                let _ = write!(out, "<option>{}</option>", escape(option));
            }
            out.push_str("</select></div>");
            out
        };
        let _ = writeln!(
            body,
            "<form class=\"filters\" role=\"search\" aria-label=\"Filter services\" data-catalog>\n<div class=\"field\"><label for=\"q\">Search services</label><input id=\"q\" type=\"search\" data-filter=\"q\" placeholder=\"name, team, path, version…\" autocomplete=\"off\"></div>\n{}\n{}\n{}\n{}\n<p id=\"count\" role=\"status\" aria-live=\"polite\">{} services</p>\n</form>",
            select("team", "Team", &teams),
            select("path", "Golden path", &paths),
            select("env", "Environment", &envs),
            select("lifecycle", "Lifecycle", &["production", "experimental"]),
            inventory.services.len()
        );
        body.push_str("<div class=\"table-wrap\"><table id=\"catalog\" class=\"catalog\">\n<caption>Every service, by name</caption>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Team</th><th scope=\"col\">Golden path</th><th scope=\"col\">Environments</th><th scope=\"col\">Lifecycle</th><th scope=\"col\">Description</th></tr></thead>\n<tbody>\n");
        for service in &inventory.services {
            let lifecycle = catalog::lifecycle(self.inputs.repo, service);
            let search = format!(
                "{} {} {} {} {} {} {}",
                service.name,
                service.team,
                service.golden_path,
                service.golden_path_version,
                service.environments.join(" "),
                lifecycle,
                service.description.as_deref().unwrap_or_default()
            )
            .to_lowercase();
            let _ = writeln!(
                body,
                "<tr data-search=\"{}\" data-team=\"{}\" data-path=\"{}\" data-env=\" {} \" data-lifecycle=\"{lifecycle}\"><th scope=\"row\">{}</th><td>{}</td><td>{} {}</td><td>{}</td><td>{lifecycle}</td><td>{}</td></tr>",
                escape(&search),
                escape(&service.team),
                escape(&service.golden_path),
                escape(&service.environments.join(" ")),
                link(path, &service_page(&service.name), &service.name),
                link(path, &team_page(&service.team), &service.team),
                link(
                    path,
                    &format!("golden-paths.html#{}", slug(&service.golden_path)),
                    &service.golden_path
                ),
                escape(&service.golden_path_version),
                escape(&service.environments.join(", ")),
                escape(service.description.as_deref().unwrap_or("")),
            );
            self.search.push(Entry {
                title: service.name.clone(),
                url: service_page(&service.name),
                kind: "service",
                text: search,
            });
        }
        body.push_str("</tbody>\n</table></div>\n");
        self.add(
            path.into(),
            "Services",
            "index.html",
            &body,
            &["assets/search.js"],
        );
    }

    /// A service's page: (path, HTML).
    fn service(&self, service: &ServiceFacts) -> (String, String) {
        let inputs = self.inputs;
        let inventory = inputs.inventory;
        let repo = inputs.repo;
        let path = service_page(&service.name);
        let p = path.as_str();
        let mut body = String::new();
        let lifecycle = catalog::lifecycle(repo, service);
        let _ = writeln!(body, "<h1>{}</h1>", escape(&service.name));
        if let Some(description) = &service.description {
            let _ = writeln!(body, "<p class=\"lead\">{}</p>", escape(description));
        }
        // Who owns it.
        let owners = owner_links(&service.owners);
        let api = repo
            .service(&service.name)
            .and_then(|s| s.value.api.as_ref());
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"owner\">\n<h2 id=\"owner\">Owner</h2>\n<dl class=\"facts\">\n<dt>Team</dt><dd>{}</dd>\n<dt>Owners</dt><dd>{}</dd>\n<dt>Contact</dt><dd>{}</dd>\n<dt>Identity group</dt><dd><code>{}</code></dd>\n<dt>Cost centre</dt><dd>{}</dd>\n<dt>Golden path</dt><dd>{} {}</dd>\n<dt>Lifecycle</dt><dd>{lifecycle}</dd>\n<dt>Intent</dt><dd>{}</dd>\n<dt>API</dt><dd>{}</dd>\n</dl>\n</section>",
            link(p, &team_page(&service.team), &service.team),
            list_or_dash(&owners),
            escape(service.contact.as_deref().unwrap_or("—")),
            escape(&service.group),
            escape(&service.cost_center),
            link(
                p,
                &format!("golden-paths.html#{}", slug(&service.golden_path)),
                &service.golden_path
            ),
            escape(&service.golden_path_version),
            external(&self.host.blob(&service.file), &service.file),
            match (api, repo.api_definitions.get(&service.name)) {
                (Some(api), Some(file)) => format!(
                    "{} ({})",
                    external(&self.host.blob(&file.path), &file.path),
                    escape(api.kind.as_str())
                ),
                _ => "none declared".into(),
            },
        );

        // What runs where.
        let argocd_url = repo.platform.value.argocd.url.clone();
        let argocd_namespace = &repo.platform.value.argocd.namespace;
        let promotions = promotions(inventory, service);
        let rows: Vec<Vec<String>> = service
            .deployments
            .iter()
            .map(|d| {
                let release = match (&d.tag, &d.digest) {
                    (Some(tag), Some(digest)) => format!("<code>{}</code> @ <code title=\"{}\">{}</code>", escape(tag), escape(digest), escape(&short(digest))),
                    (Some(tag), None) => format!("<code>{}</code>", escape(tag)),
                    (None, Some(digest)) => format!("<code title=\"{}\">{}</code>", escape(digest), escape(&short(digest))),
                    (None, None) => "—".into(),
                };
                let waiting = match promotions.get(&d.environment) {
                    Some(Promotion::Waiting { from, release }) => format!("<br><span class=\"badge waiting\">waiting: {} from {}</span>", escape(&short(release)), escape(from)),
                    Some(Promotion::Differs { from, release }) => format!("<br><span class=\"badge differs\">differs from {} ({}): compare by hand</span>", escape(from), escape(&short(release))),
                    _ => String::new(),
                };
                let scale = match (d.replicas, d.min_replicas, d.max_replicas, &d.schedule) {
                    (_, Some(min), Some(max), _) => format!("autoscaled {min}–{max}"),
                    (Some(n), _, _, _) => crate::support::text::plural(n as usize, "replica"),
                    (_, _, _, Some(schedule)) => format!("scheduled <code>{}</code>", escape(schedule)),
                    _ => "—".into(),
                };
                let quantities = |map: &BTreeMap<String, String>| {
                    let parts: Vec<String> = map.iter().filter(|(k, _)| *k == "cpu" || *k == "memory").map(|(k, v)| format!("{k} {}", escape(v))).collect();
                    list_or_dash(&parts)
                };
                let routes: Vec<String> = d.routes.iter().map(|r| external(&format!("https://{r}"), r)).collect();
                let mut argo = match &argocd_url {
                    Some(url) => external(
                        &format!("{}/applications/{}/{}", url.replace("{cluster}", &d.cluster).trim_end_matches('/'), argocd_namespace, d.argocd_app),
                        &format!("Argo CD: {}", d.argocd_app),
                    ),
                    None => format!("Argo CD app <code>{}</code>", escape(&d.argocd_app)),
                };
                let _ = write!(argo, "<br>{}", external(&self.host.tree(&d.path), "manifests"));
                vec![
                    format!("{} <span class=\"muted\">{}</span>", escape(&d.cluster), escape(&d.environment)),
                    format!("{release}{waiting}"),
                    scale,
                    format!("requests: {}<br>limits: {}", quantities(&d.requests), quantities(&d.limits)),
                    list_or_dash(&routes),
                    argo,
                ]
            })
            .collect();
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"runs\">\n<h2 id=\"runs\">What runs where</h2>"
        );
        if rows.is_empty() {
            body.push_str("<p>Runs nowhere yet.</p>\n");
        } else {
            body.push_str(&table(
                &format!("{} in each cluster", service.name),
                &[
                    "Cluster",
                    "Release",
                    "Scale",
                    "Resources",
                    "Routes",
                    "Links",
                ],
                &rows,
                "runs",
            ));
        }
        body.push_str("</section>\n");

        // Dependencies.
        let service_links = |names: &[String]| -> Vec<String> {
            names.iter().map(|n| link(p, &service_page(n), n)).collect()
        };
        let radius = blast_radius(&self.by_name, &service.name);
        let indirect: Vec<String> = radius
            .iter()
            .filter(|(_, d)| *d > 1)
            .map(|(n, _)| link(p, &service_page(n), n))
            .collect();
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"deps\">\n<h2 id=\"deps\">Dependencies</h2>\n<dl class=\"facts\">\n<dt>Calls</dt><dd>{}</dd>\n<dt>Called by</dt><dd>{}</dd>\n<dt>Would break if it went down</dt><dd>{}</dd>\n</dl>",
            list_or_dash(&service_links(&service.depends_on)),
            list_or_dash(&service_links(&service.dependents)),
            if radius.is_empty() {
                "nothing: no service depends on it".to_owned()
            } else {
                format!(
                    "{} {}{}",
                    radius.len(),
                    if radius.len() == 1 {
                        "service"
                    } else {
                        "services"
                    },
                    if indirect.is_empty() {
                        format!(": {}", list_or_dash(&service_links(&service.dependents)))
                    } else {
                        format!(
                            ": {} directly; through them, {}",
                            list_or_dash(&service_links(&service.dependents)),
                            indirect.join(", ")
                        )
                    }
                )
            }
        );
        body.push_str(&self.neighbourhood(service, p));
        body.push_str("</section>\n");

        // Managed resources and secrets.
        let uses: Vec<Vec<String>> = service
            .uses
            .iter()
            .map(|u| {
                let what = match (&u.kind, &u.from, &u.external) {
                    (Some(kind), _, Some(key)) => {
                        format!(
                            "{} outside the platform (secret-store key <code>{}</code>)",
                            escape(kind),
                            escape(key)
                        )
                    }
                    (Some(kind), _, None) => escape(kind),
                    (None, Some(from), _) => format!(
                        "shared from <a href=\"{}\">{}</a>",
                        escape(&format!("{}.html", html::slug(from))),
                        escape(from)
                    ),
                    (None, None, _) => "managed".into(),
                };
                vec![format!("<code>{}</code>", escape(&u.name)), what]
            })
            .collect();
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"resources\">\n<h2 id=\"resources\">Managed resources</h2>"
        );
        if uses.is_empty() {
            body.push_str("<p>None.</p>\n");
        } else {
            body.push_str(&table(
                "Managed resources it uses",
                &["Name", "Type"],
                &uses,
                "uses",
            ));
        }
        let secrets: Vec<String> = service
            .secrets
            .iter()
            .map(|s| format!("<code>{}</code>", escape(s)))
            .collect();
        let _ = writeln!(
            body,
            "<p>Secrets from the secret store (names only): {}</p>\n</section>",
            list_or_dash(&secrets)
        );

        // Objectives and dashboards, per environment.
        let mut seen = BTreeSet::new();
        let watched: Vec<Vec<String>> = service
            .deployments
            .iter()
            .filter(|d| !d.objectives.is_empty() || d.dashboard.is_some())
            .filter(|d| seen.insert(d.environment.as_str()))
            .map(|d| {
                let objectives: Vec<String> = d
                    .objectives
                    .iter()
                    .map(|(name, stated)| {
                        format!("<strong>{}</strong>: {}", escape(name), escape(stated))
                    })
                    .collect();
                vec![
                    escape(&d.environment),
                    objectives.join("<br>"),
                    d.dashboard.as_ref().map_or("—".into(), |path| {
                        format!("Grafana <code>{}</code>", escape(path))
                    }),
                ]
            })
            .collect();
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"objectives\">\n<h2 id=\"objectives\">Objectives and dashboards</h2>"
        );
        if watched.is_empty() {
            body.push_str("<p>None: its golden path monitors nothing.</p>\n");
        } else {
            body.push_str(&table(
                "Service-level objectives and dashboards by environment",
                &["Environment", "Objectives", "Dashboard"],
                &watched,
                "objectives",
            ));
        }
        body.push_str("</section>\n");

        // Policy.
        body.push_str(&self.policy(service, p));

        // Docs.
        let _ = writeln!(
            body,
            "<section aria-labelledby=\"docs\">\n<h2 id=\"docs\">Docs</h2>"
        );
        let own = format!("teams/{}/docs/{}.md", service.team, service.name);
        // The team's `<service>.md`, inside the page (its headings below the page's).
        if let Some(doc) = inputs.docs.iter().find(|d| d.path == own) {
            body.push_str("<article class=\"doc\">\n");
            body.push_str(&markdown::render(&doc.text, 2, "doc-").html);
            body.push_str("</article>\n");
        }
        let team_docs: Vec<String> = self
            .docs
            .iter()
            .filter(|(source, _)| source.starts_with(&format!("teams/{}/docs/", service.team)))
            .map(|(source, (page, rendered))| {
                link(p, page, rendered.title.as_deref().unwrap_or(source))
            })
            .collect();
        let _ = writeln!(
            body,
            "<p>Team {} docs: {}</p>\n</section>",
            escape(&service.team),
            if team_docs.is_empty() {
                format!(
                    "none yet (add Markdown to <code>teams/{}/docs/</code>)",
                    escape(&service.team)
                )
            } else {
                team_docs.join(", ")
            }
        );
        let html = page(
            &path,
            &service.name,
            &self.organization,
            "index.html",
            &body,
            &[],
        );
        (path, html)
    }

    /// The service, what it calls and what calls it, as a small graph.
    fn neighbourhood(&self, service: &ServiceFacts, from: &str) -> String {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        names.insert(&service.name);
        names.extend(service.depends_on.iter().map(String::as_str));
        names.extend(service.dependents.iter().map(String::as_str));
        let names: Vec<&str> = names.into_iter().collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let nodes: Vec<graph::Node> = names
            .iter()
            .map(|name| graph::Node {
                id: (*name).to_owned(),
                label: (*name).to_owned(),
                group: self
                    .by_name
                    .get(name)
                    .map(|s| s.team.clone())
                    .unwrap_or_default(),
                href: (*name != service.name)
                    .then(|| format!("{}{}", html::root_of(from), service_page(name))),
                focus: *name == service.name,
            })
            .collect();
        let mut edges = Vec::new();
        for target in &service.depends_on {
            edges.push((index[service.name.as_str()], index[target.as_str()]));
        }
        for caller in &service.dependents {
            edges.push((index[caller.as_str()], index[service.name.as_str()]));
        }
        if edges.is_empty() {
            return "<p>It neither calls nor is called by another service.</p>\n".into();
        }
        format!(
            "<figure class=\"graph\">\n{}<figcaption>Neighbourhood of {}: callers on the left, what it calls on the right. Each box links to its service.</figcaption>\n</figure>\n",
            graph::svg(
                &nodes,
                &edges,
                &format!("Dependencies of {}", service.name),
                &format!(
                    "{} calls {}; called by {}.",
                    service.name,
                    if service.depends_on.is_empty() {
                        "nothing".into()
                    } else {
                        service.depends_on.join(", ")
                    },
                    if service.dependents.is_empty() {
                        "nothing".into()
                    } else {
                        service.dependents.join(", ")
                    }
                )
            ),
            escape(&service.name)
        )
    }

    fn policy(&self, service: &ServiceFacts, from: &str) -> String {
        let inputs = self.inputs;
        let mut out =
            String::from("<section aria-labelledby=\"policy\">\n<h2 id=\"policy\">Policy</h2>\n");
        let findings: Vec<&Diagnostic> = self
            .findings_of
            .get(service.name.as_str())
            .into_iter()
            .flatten()
            .map(|i| &inputs.findings[*i])
            .collect();
        if findings.is_empty() {
            out.push_str("<p>No policy findings.</p>\n");
        } else {
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    let severity = match f.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    };
                    let at = f.location.as_ref().map_or_else(String::new, |l| {
                        let line = l
                            .span
                            .as_ref()
                            .map_or(String::new(), |s| format!(":{}", s.line));
                        let anchor = l
                            .span
                            .as_ref()
                            .map_or(String::new(), |s| format!("#L{}", s.line));
                        external(
                            &format!("{}{anchor}", self.host.blob(&l.file)),
                            &format!("{}{line}", l.file),
                        )
                    });
                    vec![
                        format!("<code>{}</code>", escape(f.code.as_deref().unwrap_or("—"))),
                        format!("<span class=\"badge {severity}\">{severity}</span>"),
                        escape(&f.message),
                        escape(&f.clusters.join(", ")),
                        at,
                    ]
                })
                .collect();
            out.push_str(&table(
                &format!("Policy findings of {}", service.name),
                &["Rule", "Severity", "Finding", "Clusters", "Where"],
                &rows,
                "findings",
            ));
        }
        let exceptions: Vec<Vec<String>> = inputs
            .repo
            .exceptions
            .iter()
            .flat_map(|e| e.value.exceptions.iter())
            .filter(|e| exception_covers(e, service))
            .map(|e| {
                let status = if e.expires.as_str() < inputs.today {
                    format!(
                        "<span class=\"badge error\">expired {}</span>",
                        escape(&e.expires)
                    )
                } else {
                    format!("until {}", escape(&e.expires))
                };
                vec![
                    format!("<code>{}</code>", escape(&e.rule)),
                    status,
                    escape(&e.clusters.as_ref().map_or("all".into(), |c| c.join(", "))),
                    escape(&e.owner),
                    escape(&e.reason),
                ]
            })
            .collect();
        if exceptions.is_empty() {
            out.push_str("<p>No policy exceptions.</p>\n");
        } else {
            out.push_str(&table(
                &format!("Policy exceptions covering {}", service.name),
                &["Rule", "Expires", "Clusters", "Owner", "Reason"],
                &exceptions,
                "exceptions",
            ));
        }
        let _ = from;
        out.push_str("</section>\n");
        out
    }

    fn teams(&mut self) {
        let inventory = self.inputs.inventory;
        let index = "teams/index.html";
        let rows: Vec<Vec<String>> = inventory
            .teams
            .iter()
            .map(|t| {
                vec![
                    link(index, &team_page(&t.name), &t.name),
                    escape(t.description.as_deref().unwrap_or("")),
                    t.services.len().to_string(),
                    escape(&t.owners.join(", ")),
                    escape(t.contact.as_deref().unwrap_or("—")),
                ]
            })
            .collect();
        let mut body = String::from("<h1>Teams</h1>\n");
        body.push_str(&table(
            "Every team",
            &["Team", "About", "Services", "Owners", "Contact"],
            &rows,
            "teams",
        ));
        self.add(index.into(), "Teams", "teams/index.html", &body, &[]);

        for team in &inventory.teams {
            let path = team_page(&team.name);
            let p = path.as_str();
            let mut body = format!("<h1>Team {}</h1>\n", escape(&team.name));
            if let Some(description) = &team.description {
                let _ = writeln!(body, "<p class=\"lead\">{}</p>", escape(description));
            }
            let owners = owner_links(&team.owners);
            let _ = writeln!(
                body,
                "<dl class=\"facts\">\n<dt>Owners</dt><dd>{}</dd>\n<dt>Contact</dt><dd>{}</dd>\n<dt>Identity group</dt><dd><code>{}</code></dd>\n<dt>Cost centre</dt><dd>{}</dd>\n<dt>Namespace</dt><dd><code>{}</code> in every cluster</dd>\n<dt>Team file</dt><dd>{}</dd>\n</dl>",
                list_or_dash(&owners),
                escape(team.contact.as_deref().unwrap_or("—")),
                escape(&team.group),
                escape(&team.cost_center),
                escape(&team.name),
                external(
                    &self.host.blob(&format!("teams/{}/team.yaml", team.name)),
                    &format!("teams/{}/team.yaml", team.name)
                ),
            );
            let rows: Vec<Vec<String>> = team
                .services
                .iter()
                .filter_map(|name| self.by_name.get(name.as_str()).copied())
                .map(|s| {
                    vec![
                        link(p, &service_page(&s.name), &s.name),
                        escape(&format!("{} {}", s.golden_path, s.golden_path_version)),
                        escape(&s.environments.join(", ")),
                        escape(s.description.as_deref().unwrap_or("")),
                    ]
                })
                .collect();
            let _ = writeln!(body, "<h2>Services</h2>");
            body.push_str(&table(
                &format!("Services of {}", team.name),
                &["Service", "Golden path", "Environments", "Description"],
                &rows,
                "services",
            ));
            let quotas: Vec<Vec<String>> = inventory
                .environments
                .iter()
                .filter_map(|env| team.quotas.get(&env.name).map(|q| (env, q)))
                .map(|(env, q)| {
                    vec![
                        escape(&env.name),
                        escape(&q.cpu),
                        escape(&q.memory),
                        q.pods.to_string(),
                    ]
                })
                .collect();
            let _ = writeln!(body, "<h2>Quotas</h2>");
            body.push_str(&table(
                &format!("Quota of {} in each environment (per cluster)", team.name),
                &["Environment", "CPU", "Memory", "Pods"],
                &quotas,
                "quotas",
            ));
            let docs: Vec<String> = self
                .docs
                .iter()
                .filter(|(source, _)| source.starts_with(&format!("teams/{}/docs/", team.name)))
                .map(|(source, (page, rendered))| {
                    format!(
                        "<li>{}</li>",
                        link(p, page, rendered.title.as_deref().unwrap_or(source))
                    )
                })
                .collect();
            let _ = writeln!(body, "<h2>Docs</h2>");
            if docs.is_empty() {
                let _ = writeln!(
                    body,
                    "<p>None yet: Markdown in <code>teams/{}/docs/</code> appears here.</p>",
                    escape(&team.name)
                );
            } else {
                let _ = writeln!(body, "<ul>{}</ul>", docs.join(""));
            }
            self.search.push(Entry {
                title: format!("Team {}", team.name),
                url: path.clone(),
                kind: "team",
                text: format!(
                    "{} {} {}",
                    team.name,
                    team.description.as_deref().unwrap_or(""),
                    team.owners.join(" ")
                ),
            });
            self.add(
                path,
                &format!("Team {}", team.name),
                "teams/index.html",
                &body,
                &[],
            );
        }
    }

    fn graph(&mut self) {
        let inventory = self.inputs.inventory;
        let path = "graph.html";
        let index: BTreeMap<&str, usize> = inventory
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let nodes: Vec<graph::Node> = inventory
            .services
            .iter()
            .map(|s| graph::Node {
                id: s.name.clone(),
                label: s.name.clone(),
                group: s.team.clone(),
                href: Some(service_page(&s.name)),
                focus: false,
            })
            .collect();
        let edges: Vec<(usize, usize)> = inventory
            .services
            .iter()
            .flat_map(|s| {
                let from = index[s.name.as_str()];
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).map(|to| (from, *to)))
                    .collect::<Vec<_>>()
            })
            .collect();
        let svg = graph::svg(
            &nodes,
            &edges,
            &format!("Dependencies between the services of {}", self.organization),
            &format!(
                "{} services, {} dependencies. An arrow points from a service to one it calls.",
                nodes.len(),
                edges.len()
            ),
        );
        self.files
            .insert("graph.svg".into(), svg.clone().into_bytes());
        let legend: Vec<String> = inventory
            .teams
            .iter()
            .map(|t| {
                format!(
                    "<li><svg width=\"14\" height=\"14\" aria-hidden=\"true\"><rect width=\"14\" height=\"14\" rx=\"3\" fill=\"{}\" stroke=\"#444\"/></svg> {}</li>",
                    graph::colour(&t.name),
                    link(path, &team_page(&t.name), &t.name)
                )
            })
            .collect();
        let mut body = format!(
            "<h1>Dependencies</h1>\n<p>Every service, with an arrow to each service it calls (<code>dependsOn</code>); groups of services that call each other are laid out together, callers to the left. Boxes are coloured by team and link to the service. Also as an image: <a href=\"graph.svg\">graph.svg</a>.</p>\n<figure class=\"graph wide\">\n{svg}<figcaption>{} services, {} dependencies</figcaption>\n</figure>\n<h2>Teams</h2>\n<ul class=\"legend\">{}</ul>\n",
            nodes.len(),
            edges.len(),
            legend.join("")
        );
        // The same as text, for people who cannot see the drawing.
        let rows: Vec<Vec<String>> = inventory
            .services
            .iter()
            .filter(|s| !s.depends_on.is_empty() || !s.dependents.is_empty())
            .map(|s| {
                vec![
                    link(path, &service_page(&s.name), &s.name),
                    list_or_dash(
                        &s.depends_on
                            .iter()
                            .map(|d| link(path, &service_page(d), d))
                            .collect::<Vec<_>>(),
                    ),
                    list_or_dash(
                        &s.dependents
                            .iter()
                            .map(|d| link(path, &service_page(d), d))
                            .collect::<Vec<_>>(),
                    ),
                ]
            })
            .collect();
        body.push_str("<h2>As a table</h2>\n");
        body.push_str(&table(
            "Who calls whom",
            &["Service", "Calls", "Called by"],
            &rows,
            "edges",
        ));
        self.add(path.into(), "Dependencies", "graph.html", &body, &[]);
    }

    fn golden_paths(&mut self) {
        let inputs = self.inputs;
        let inventory = inputs.inventory;
        let path = "golden-paths.html";
        let total = inventory.services.len().max(1);
        let mut body = String::from(
            "<h1>Golden paths</h1>\n<p>Which one to use: each path below says what it is for, what it renders, and which parameters it takes. A new service names one in <code>goldenPath</code>.</p>\n",
        );
        let summary: Vec<Vec<String>> = inventory
            .golden_paths
            .iter()
            .map(|g| {
                vec![
                    format!("<a href=\"#{}\">{}</a>", slug(&g.name), escape(&g.name)),
                    escape(&g.description),
                    escape(&g.version),
                    format!("{} ({}%)", g.services.len(), g.services.len() * 100 / total),
                ]
            })
            .collect();
        body.push_str(&table(
            "Golden paths and their adoption",
            &["Path", "For", "Version", "Services"],
            &summary,
            "paths",
        ));
        for golden in &inventory.golden_paths {
            let Some(entry) = inputs.repo.golden_paths.get(&golden.name) else {
                continue;
            };
            let schema = &entry.value.params;
            let required: Vec<&str> = schema
                .get("required")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let defaults = entry.value.defaults.params.clone().unwrap_or_default();
            let params: Vec<Vec<String>> = schema
                .get("properties")
                .and_then(|p| p.as_object())
                .into_iter()
                .flatten()
                .map(|(name, property)| {
                    let kind = property
                        .get("enum")
                        .map(|e| {
                            format!(
                                "one of {}",
                                e.as_array()
                                    .map(|a| a
                                        .iter()
                                        .map(|v| v
                                            .as_str()
                                            .map_or_else(|| v.to_string(), str::to_owned))
                                        .collect::<Vec<_>>()
                                        .join(", "))
                                    .unwrap_or_default()
                            )
                        })
                        .or_else(|| {
                            property
                                .get("type")
                                .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
                        })
                        .unwrap_or_else(|| "any".into());
                    vec![
                        format!("<code>{}</code>", escape(name)),
                        escape(&kind),
                        if required.contains(&name.as_str()) {
                            "required".into()
                        } else {
                            "optional".into()
                        },
                        defaults.get(name).map_or("—".into(), |v| {
                            format!("<code>{}</code>", escape(&v.to_string()))
                        }),
                        html::inline(
                            property
                                .get("description")
                                .and_then(|d| d.as_str())
                                .unwrap_or(""),
                        ),
                    ]
                })
                .collect();
            let id = slug(&golden.name);
            let _ = writeln!(
                body,
                "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{} <span class=\"muted\">{}</span></h2>\n<p>{}</p>\n<dl class=\"facts\">\n<dt>Owner</dt><dd>{}</dd>\n<dt>Must set</dt><dd>{}</dd>\n<dt>Cannot set</dt><dd>{}</dd>\n<dt>Adoption</dt><dd>{} of {} services</dd>\n<dt>Source</dt><dd>{}</dd>\n</dl>",
                escape(&golden.name),
                escape(&golden.version),
                escape(&golden.description),
                escape(&golden.owner),
                list_or_dash(
                    &entry
                        .value
                        .requires
                        .iter()
                        .map(|r| format!("<code>{}</code>", escape(r)))
                        .collect::<Vec<_>>()
                ),
                list_or_dash(
                    &entry
                        .value
                        .rejects
                        .iter()
                        .map(|r| format!("<code>{}</code>", escape(r)))
                        .collect::<Vec<_>>()
                ),
                golden.services.len(),
                inventory.services.len(),
                external(
                    &self.host.tree(&format!("golden-paths/{}", golden.name)),
                    &format!("golden-paths/{}", golden.name)
                ),
            );
            if params.is_empty() {
                body.push_str("<p>No parameters.</p>\n");
            } else {
                body.push_str(&table(
                    &format!("Parameters of {}", golden.name),
                    &["Parameter", "Type", "Required", "Default", "Meaning"],
                    &params,
                    "params",
                ));
            }
            let users: Vec<String> = golden
                .services
                .iter()
                .map(|s| link(path, &service_page(s), s))
                .collect();
            let _ = writeln!(
                body,
                "<p>Services on it: {}</p>\n</section>",
                list_or_dash(&users)
            );
            self.search.push(Entry {
                title: format!("Golden path {}", golden.name),
                url: format!("{path}#{id}"),
                kind: "golden path",
                text: format!("{} {} {}", golden.name, golden.description, golden.version),
            });
        }
        self.add(path.into(), "Golden paths", "golden-paths.html", &body, &[]);
    }

    fn environments(&mut self) {
        let inventory = self.inputs.inventory;
        let path = "environments.html";
        let mut body = String::from("<h1>Environments</h1>\n");
        let envs: Vec<Vec<String>> = inventory
            .environments
            .iter()
            .map(|e| {
                vec![
                    escape(&e.name),
                    escape(e.promotes_from.as_deref().unwrap_or("—")),
                    if e.production {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    escape(&e.clusters.join(", ")),
                ]
            })
            .collect();
        body.push_str(&table(
            "Environments in promotion order",
            &["Environment", "Promoted from", "Production", "Clusters"],
            &envs,
            "envs",
        ));
        let mut waiting_total = 0;
        let mut rows = Vec::new();
        for service in &inventory.services {
            let releases = releases(service);
            let promotions = promotions(inventory, service);
            let mut row = vec![link(path, &service_page(&service.name), &service.name)];
            for env in &inventory.environments {
                let cell = match releases.get(&env.name) {
                    None => "<span class=\"muted\">not deployed</span>".to_owned(),
                    Some(set) => {
                        let text: Vec<String> = set
                            .iter()
                            .map(|r| format!("<code>{}</code>", escape(&short(r))))
                            .collect();
                        let mut cell = text.join(" ");
                        match promotions.get(&env.name) {
                            Some(Promotion::Waiting { from, release }) => {
                                waiting_total += 1;
                                let _ = write!(
                                    cell,
                                    "<br><span class=\"badge waiting\">⇧ waiting: {} from {}</span>",
                                    escape(&short(release)),
                                    escape(from)
                                );
                            }
                            Some(Promotion::Differs { from, .. }) => {
                                let _ = write!(
                                    cell,
                                    "<br><span class=\"badge differs\">≠ differs from {}</span>",
                                    escape(from)
                                );
                            }
                            Some(Promotion::Ahead) => {
                                cell.push_str(
                                    "<br><span class=\"badge\">ahead of its source</span>",
                                );
                            }
                            _ => {}
                        }
                        cell
                    }
                };
                row.push(cell);
            }
            rows.push(row);
        }
        let _ = writeln!(
            body,
            "<h2>What runs where</h2>\n<p>The release (image tag, or digest) of each service in each environment. <strong>{waiting_total}</strong> {} waiting to be promoted: a newer release runs in the environment it is promoted from. “Differs” marks a digest that cannot be compared with a tag.</p>",
            if waiting_total == 1 {
                "release is"
            } else {
                "releases are"
            }
        );
        let mut headers = vec!["Service"];
        headers.extend(inventory.environments.iter().map(|e| e.name.as_str()));
        body.push_str(&table(
            "Release of each service in each environment",
            &headers,
            &rows,
            "matrix",
        ));
        self.add(path.into(), "Environments", "environments.html", &body, &[]);
    }

    fn docs_index(&mut self) {
        let path = DOCS_INDEX;
        // The docs under one directory, as a section of the page.
        let section = |body: &mut String, heading: &str, under: &str, none: &str| {
            let items: Vec<String> = self
                .docs
                .iter()
                .filter(|(source, _)| source.starts_with(under))
                .map(|(source, (page, rendered))| {
                    format!(
                        "<li>{} <span class=\"muted\">{}</span></li>",
                        link(path, page, rendered.title.as_deref().unwrap_or(source)),
                        escape(source)
                    )
                })
                .collect();
            let _ = writeln!(body, "<h2>{heading}</h2>");
            if items.is_empty() {
                let _ = writeln!(
                    body,
                    "<p>None: Markdown under <code>{none}</code> appears here.</p>"
                );
            } else {
                let _ = writeln!(body, "<ul>{}</ul>", items.join("\n"));
            }
        };
        let mut body = String::from("<h1>Docs</h1>\n");
        section(&mut body, "The platform", "docs/", "docs/");
        let _ = writeln!(
            body,
            "<p>Every field of every input file: {}.</p>",
            link(path, "reference.html", "input reference")
        );
        section(&mut body, "Teams", "teams/", "teams/&lt;team&gt;/docs/");
        self.add(path.into(), "Docs", "docs/index.html", &body, &[]);
    }

    fn reference(&mut self) {
        let (body, text) = reference::html();
        self.search.push(Entry {
            title: "Input reference".into(),
            url: "reference.html".into(),
            kind: "reference",
            text,
        });
        self.add(
            "reference.html".into(),
            "Input reference",
            "reference.html",
            &body,
            &[],
        );
    }

    fn search_page(&mut self) {
        let path = "search.html";
        let body = "<h1>Search</h1>\n<form role=\"search\" aria-label=\"Search the portal\" data-site-search>\n<div class=\"field\"><label for=\"site-q\">Search services, teams, golden paths, docs and the input reference</label><input id=\"site-q\" type=\"search\" autocomplete=\"off\"></div>\n</form>\n<p id=\"site-count\" role=\"status\" aria-live=\"polite\"></p>\n<ol id=\"site-results\" class=\"results\"></ol>\n<noscript><p>Search needs JavaScript; every page is also reachable from the navigation above.</p></noscript>\n";
        let index: Vec<serde_json::Value> = self
            .search
            .iter()
            .map(|e| {
                let mut text: String = e.text.split_whitespace().collect::<Vec<_>>().join(" ");
                if text.len() > 4000 {
                    let mut end = 4000;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.truncate(end);
                }
                json!({"t": e.title, "u": e.url, "k": e.kind, "x": text})
            })
            .collect();
        // A script, not JSON fetched at run time: `fetch` does not work from `file://`.
        let script = format!(
            "window.PAVED_SEARCH = {};\n",
            serde_json::to_string(&index).expect("the index serialises")
        );
        self.files
            .insert("assets/search-index.js".into(), script.into_bytes());
        self.add(
            path.into(),
            "Search",
            "search.html",
            body,
            &["assets/search-index.js", "assets/search.js"],
        );
    }
}
