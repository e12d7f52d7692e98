//! Comparing two rendered trees resource by resource: what a pull request
//! changes in each cluster. Pure: the trees come in, a report goes out.
//!
//! The comparison is semantic: key order never counts, list order does.
//! Values the platform marks sensitive, all Secret data and anything that
//! looks like a secret (`secrets::scan`) are shown as
//! changed, never shown. A ConfigMap whose hash suffix changed is one
//! change with its content diff, not a removal and an addition.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use crate::input::model::{DiffSettings, Environment, PathRule};
use crate::render::Resource;
use crate::render::{Rendered, RenderedUnit, UnitKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Changed,
    Removed,
}

/// One resource that differs.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChange {
    pub change: Change,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// For a ConfigMap whose content hash changed: its previous name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Some values are hidden.
    pub redacted: bool,
    /// Unified diff of the resource's YAML.
    pub diff: String,
}

impl ResourceChange {
    pub fn title(&self) -> String {
        let id = match &self.namespace {
            Some(namespace) => format!("{} {namespace}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        };
        match &self.renamed_from {
            Some(old) => format!("{id} (was {old})"),
            None => id,
        }
    }
}

/// The changes to one unit: a service (or the platform, or Argo CD) in a
/// cluster.
#[derive(Debug, Clone, Serialize)]
pub struct UnitChanges {
    pub environment: String,
    pub cluster: String,
    /// Service name, or `_platform` / `_argocd`.
    pub unit: String,
    pub production: bool,
    pub changes: Vec<ResourceChange>,
}

/// Counts for one cluster.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterSummary {
    pub cluster: String,
    pub environment: String,
    pub production: bool,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// What differs between two rendered trees.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub base: String,
    pub clusters: Vec<ClusterSummary>,
    pub units: Vec<UnitChanges>,
    /// Services with at least one change, anywhere.
    pub services: Vec<String>,
    /// For each owner (a team, or the platform), what the change touches
    /// that it owns: whose approval it needs (`ownership::touched`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerTouch>,
    /// The monthly cost it changes, by environment and team (empty when
    /// the estimate does not move).
    pub cost: crate::cost::Change,
}

/// What a change touches that one owner owns.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerTouch {
    /// A team's name, or `platform`.
    pub owner: String,
    /// Its GitHub owners, who CODEOWNERS asks to review.
    pub github: Vec<String>,
    /// The team's accountable people.
    pub people: Vec<String>,
    /// Input files changed.
    pub files: Vec<String>,
    /// Rendered units changed, as `cluster/unit`.
    pub units: Vec<String>,
}

/// The "who approves" part of a comment: one row per owner.
fn owners_markdown(report: &Report) -> String {
    let mut out = String::new();
    if report.owners.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\n#### Who needs to approve\n\n| owner | reviewers | touches |\n|---|---|---|"
    );
    for touch in &report.owners {
        let reviewers = if touch.github.is_empty() {
            touch.people.join(", ")
        } else {
            touch.github.join(" ")
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            touch.owner,
            if reviewers.is_empty() {
                "(none named)".to_owned()
            } else {
                reviewers
            },
            touch_summary(touch, "`")
        );
    }
    out
}

/// `2 files (`a`, `b`); 3 rendered units (`c`, ...)`.
fn touch_summary(touch: &OwnerTouch, quote: &str) -> String {
    const SHOWN: usize = 5;
    let list = |items: &[String]| {
        let mut shown: Vec<String> = items
            .iter()
            .take(SHOWN)
            .map(|i| format!("{quote}{i}{quote}"))
            .collect();
        if items.len() > SHOWN {
            shown.push(format!("and {} more", items.len() - SHOWN));
        }
        shown.join(", ")
    };
    let mut parts = Vec::new();
    if !touch.files.is_empty() {
        let noun = if touch.files.len() == 1 {
            "file"
        } else {
            "files"
        };
        parts.push(format!(
            "{} {noun} ({})",
            touch.files.len(),
            list(&touch.files)
        ));
    }
    if !touch.units.is_empty() {
        let noun = if touch.units.len() == 1 {
            "rendered unit"
        } else {
            "rendered units"
        };
        parts.push(format!(
            "{} {noun} ({})",
            touch.units.len(),
            list(&touch.units)
        ));
    }
    parts.join("; ")
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn resource_count(&self) -> usize {
        self.units.iter().map(|u| u.changes.len()).sum()
    }

    pub fn production_clusters(&self) -> Vec<&str> {
        self.clusters
            .iter()
            .filter(|c| c.production && c.added + c.changed + c.removed > 0)
            .map(|c| c.cluster.as_str())
            .collect()
    }
}

/// (group, kind, namespace, name)
type Key = (String, String, String, String);
/// A resource in one cluster.
type Place = (String, Key);

fn key(resource: &Resource) -> Key {
    let group = resource
        .api_version()
        .rsplit_once('/')
        .map_or("", |(g, _)| g)
        .to_owned();
    (
        group,
        resource.kind().to_owned(),
        resource.namespace().unwrap_or_default().to_owned(),
        resource.name().to_owned(),
    )
}

fn unit_name(unit: &RenderedUnit) -> (String, String) {
    match &unit.kind {
        UnitKind::Service {
            service,
            environment,
            ..
        } => (service.clone(), environment.clone()),
        UnitKind::Platform { environment } => ("_platform".into(), environment.clone()),
        UnitKind::ArgoCd { environment } => ("_argocd".into(), environment.clone()),
    }
}

/// Where each resource of a tree is, by cluster and key.
struct Index<'a> {
    resources: BTreeMap<Place, (&'a RenderedUnit, &'a Resource)>,
}

impl<'a> Index<'a> {
    fn new(rendered: &'a Rendered) -> Self {
        let mut resources = BTreeMap::new();
        for unit in &rendered.units {
            for resource in unit.resources.iter() {
                resources.insert((unit.cluster.clone(), key(resource)), (unit, resource));
            }
        }
        Index { resources }
    }
}

/// A ConfigMap's name without its content-hash suffix.
fn hash_stem(name: &str) -> Option<&str> {
    let (stem, suffix) = name.rsplit_once('-')?;
    (suffix.len() == 10 && suffix.bytes().all(|b| b.is_ascii_hexdigit())).then_some(stem)
}

/// Compares `base` with `head`.
pub fn compare(
    base: &Rendered,
    head: &Rendered,
    environments: &[&Environment],
    settings: &DiffSettings,
) -> Report {
    report(changes(base, head, environments, settings), environments)
}

/// What changed between `base` and `head`, unit by unit (by cluster and
/// unit name): [`compare`] of a part of two renders (a cluster's units,
/// whose resources are compared only with their own cluster's), for
/// [`report`] to put together with the other parts'.
pub fn changes(
    base: &Rendered,
    head: &Rendered,
    environments: &[&Environment],
    settings: &DiffSettings,
) -> BTreeMap<(String, String), UnitChanges> {
    let old = Index::new(base);
    let new = Index::new(head);
    let production: BTreeSet<&str> = environments
        .iter()
        .filter(|env| env.production)
        .map(|env| env.name.as_str())
        .collect();

    let mut removed: Vec<&Place> = old
        .resources
        .keys()
        .filter(|k| !new.resources.contains_key(*k))
        .collect();
    let mut added: Vec<&Place> = new
        .resources
        .keys()
        .filter(|k| !old.resources.contains_key(*k))
        .collect();

    // Pair ConfigMaps renamed by their content hash.
    let mut candidates: BTreeMap<(&str, &str, &str, &str), Vec<&Place>> = BTreeMap::new();
    for place in &removed {
        let (cluster, (group, kind, namespace, name)) = place;
        if let Some(stem) = hash_stem(name).filter(|_| kind == "ConfigMap") {
            candidates
                .entry((cluster, group, namespace, stem))
                .or_default()
                .push(place);
        }
    }
    let mut renames: Vec<(&Place, &Place)> = Vec::new();
    added.retain(|new_key| {
        let (cluster, (group, kind, namespace, name)) = new_key;
        let Some(stem) = hash_stem(name).filter(|_| kind == "ConfigMap") else {
            return true;
        };
        match candidates
            .get_mut(&(cluster.as_str(), group.as_str(), namespace.as_str(), stem))
            .and_then(Vec::pop)
        {
            Some(old) => {
                renames.push((old, new_key));
                false
            }
            None => true,
        }
    });
    let paired: BTreeSet<&Place> = renames.iter().map(|(old, _)| *old).collect();
    removed.retain(|place| !paired.contains(place));

    let mut units: BTreeMap<(String, String), UnitChanges> = BTreeMap::new();
    let mut record = |unit: &RenderedUnit, change: ResourceChange| {
        let (name, environment) = unit_name(unit);
        units
            .entry((unit.cluster.clone(), name.clone()))
            .or_insert_with(|| UnitChanges {
                production: production.contains(environment.as_str()),
                environment,
                cluster: unit.cluster.clone(),
                unit: name,
                changes: Vec::new(),
            })
            .changes
            .push(change);
    };

    for key in removed {
        let (unit, resource) = old.resources[key];
        record(
            unit,
            describe(Change::Removed, Some(resource), None, settings),
        );
    }
    for key in added {
        let (unit, resource) = new.resources[key];
        record(
            unit,
            describe(Change::Added, None, Some(resource), settings),
        );
    }
    for (old_key, new_key) in renames {
        let (_, before) = old.resources[old_key];
        let (unit, after) = new.resources[new_key];
        let mut change = describe(Change::Changed, Some(before), Some(after), settings);
        change.renamed_from = Some(before.name().to_owned());
        record(unit, change);
    }
    for (key, (unit, after)) in &new.resources {
        let Some((_, before)) = old.resources.get(key) else {
            continue;
        };
        let (left, right) = (
            prepare(&before.value, before.kind(), settings),
            prepare(&after.value, after.kind(), settings),
        );
        if left != right {
            record(
                unit,
                describe(Change::Changed, Some(before), Some(after), settings),
            );
        }
    }

    units
}

/// The report of every unit's changes ([`changes`] of every part), with
/// each cluster's counts.
pub fn report(
    units: BTreeMap<(String, String), UnitChanges>,
    environments: &[&Environment],
) -> Report {
    let mut report = Report::default();
    let mut services = BTreeSet::new();
    let mut clusters: BTreeMap<String, ClusterSummary> = BTreeMap::new();
    for env in environments {
        for cluster in env.clusters.keys() {
            clusters
                .entry(cluster.clone())
                .or_insert_with(|| ClusterSummary {
                    cluster: cluster.clone(),
                    production: env.production,
                    environment: env.name.clone(),
                    ..ClusterSummary::default()
                });
        }
    }
    for (_, mut unit) in units {
        unit.changes
            .sort_by(|a, b| (a.change, &a.kind, &a.name).cmp(&(b.change, &b.kind, &b.name)));
        let summary = clusters
            .entry(unit.cluster.clone())
            .or_insert_with(|| ClusterSummary {
                cluster: unit.cluster.clone(),
                environment: unit.environment.clone(),
                production: unit.production,
                ..ClusterSummary::default()
            });
        for change in &unit.changes {
            match change.change {
                Change::Added => summary.added += 1,
                Change::Changed => summary.changed += 1,
                Change::Removed => summary.removed += 1,
            }
        }
        if !unit.unit.starts_with('_') {
            services.insert(unit.unit.clone());
        }
        report.units.push(unit);
    }
    // Production clusters first, then by environment and name.
    let mut clusters: Vec<ClusterSummary> = clusters.into_values().collect();
    clusters.sort_by(|a, b| {
        (!a.production, &a.environment, &a.cluster).cmp(&(
            !b.production,
            &b.environment,
            &b.cluster,
        ))
    });
    report.clusters = clusters;
    report.services = services.into_iter().collect();
    report
}

/// A resource ready to compare and show: ignored fields dropped, sensitive
/// values replaced by a marker; and whether anything was hidden.
fn prepare(value: &Value, kind: &str, settings: &DiffSettings) -> (Value, Vec<(String, String)>) {
    let mut value = value.clone();
    for rule in settings.ignore.iter().filter(|r| applies(r, kind)) {
        for pointer in matching(&value, &rule.path) {
            remove(&mut value, &pointer);
        }
    }
    let mut hidden = Vec::new();
    let mut sensitive: Vec<String> = settings
        .sensitive
        .iter()
        .filter(|r| applies(r, kind))
        .flat_map(|r| matching(&value, &r.path))
        .collect();
    if kind == "Secret" {
        sensitive.extend(matching(&value, "/data/*"));
        sensitive.extend(matching(&value, "/stringData/*"));
    }
    // Whatever looks like a secret elsewhere (a password in a ConfigMap, a
    // token in an argument) is never shown either, whatever let it through.
    sensitive.extend(
        crate::support::secrets::scan(&value)
            .into_iter()
            .map(|hit| hit.pointer),
    );
    for pointer in sensitive {
        if let Some(slot) = value.pointer_mut(&pointer) {
            // Keep a fingerprint of the value to tell changed from unchanged,
            // but only in memory: never printed.
            hidden.push((pointer.clone(), crate::support::hash::content_hash(slot)));
            *slot = Value::String("(hidden)".into());
        }
    }
    (value, hidden)
}

fn applies(rule: &PathRule, kind: &str) -> bool {
    rule.kind.as_deref().is_none_or(|k| k == kind)
}

/// The pointers in `value` that `pattern` (with `*` segments) matches.
fn matching(value: &Value, pattern: &str) -> Vec<String> {
    let mut found = vec![(String::new(), value)];
    for token in pattern.split('/').skip(1) {
        let mut next = Vec::new();
        for (pointer, node) in found {
            match (token, node) {
                ("*", Value::Object(map)) => {
                    next.extend(
                        map.iter()
                            .map(|(k, v)| (crate::support::pointer::pointer_push(&pointer, k), v)),
                    );
                }
                ("*", Value::Array(items)) => {
                    next.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (format!("{pointer}/{i}"), v)),
                    );
                }
                (token, node) => {
                    let unescaped = token.replace("~1", "/").replace("~0", "~");
                    let child = match node {
                        Value::Object(map) => map.get(&unescaped),
                        Value::Array(items) => {
                            unescaped.parse::<usize>().ok().and_then(|i| items.get(i))
                        }
                        _ => None,
                    };
                    if let Some(child) = child {
                        next.push((format!("{pointer}/{token}"), child));
                    }
                }
            }
        }
        found = next;
    }
    found.into_iter().map(|(pointer, _)| pointer).collect()
}

fn remove(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

/// YAML with keys in a fixed order, so that only real changes show.
fn canonical_yaml(value: &Value) -> String {
    let sorted: Value = serde_json::from_str(&crate::support::hash::canonical(value))
        .expect("canonical JSON parses");
    crate::input::yaml::to_string(&sorted)
}

fn describe(
    change: Change,
    before: Option<&Resource>,
    after: Option<&Resource>,
    settings: &DiffSettings,
) -> ResourceChange {
    let subject = after.or(before).expect("a change has a resource");
    let kind = subject.kind();
    let old = before.map(|r| prepare(&r.value, r.kind(), settings));
    let new = after.map(|r| prepare(&r.value, r.kind(), settings));
    // Mark hidden values that differ, so the diff shows them as changed.
    let mut old_value = old.as_ref().map(|(v, _)| v.clone());
    let mut new_value = new.as_ref().map(|(v, _)| v.clone());
    let mut redacted = false;
    if let (Some((_, old_hidden)), Some((_, new_hidden))) = (&old, &new) {
        for (pointer, hash) in new_hidden {
            let before = old_hidden
                .iter()
                .find(|(p, _)| p == pointer)
                .map(|(_, h)| h);
            if before.is_some_and(|h| h != hash)
                && let Some(slot) = new_value.as_mut().and_then(|v| v.pointer_mut(pointer))
            {
                *slot = Value::String("(hidden, changed)".into());
            }
        }
    }
    for (_, hidden) in old.iter().chain(new.iter()) {
        redacted |= !hidden.is_empty();
    }
    let old_text = old_value
        .as_mut()
        .map(|v| canonical_yaml(v))
        .unwrap_or_default();
    let new_text = new_value
        .as_mut()
        .map(|v| canonical_yaml(v))
        .unwrap_or_default();
    let diff = TextDiff::from_lines(&old_text, &new_text)
        .unified_diff()
        .context_radius(3)
        .to_string();
    ResourceChange {
        change,
        api_version: subject.api_version().to_owned(),
        kind: kind.to_owned(),
        namespace: subject.namespace().map(str::to_owned),
        name: subject.name().to_owned(),
        renamed_from: None,
        redacted,
        diff,
    }
}

// ------------------------------------------------------------------ output

/// GitHub refuses comments longer than this; stay well under it.
pub const COMMENT_LIMIT: usize = 65_536;
const BUDGET: usize = 60_000;

fn blast_radius(report: &Report) -> String {
    let clusters = report
        .clusters
        .iter()
        .filter(|c| c.added + c.changed + c.removed > 0)
        .count();
    let mut text = format!(
        "{} {} in {} {}, touching {} {}",
        report.resource_count(),
        if report.resource_count() == 1 {
            "resource changes"
        } else {
            "resources change"
        },
        clusters,
        if clusters == 1 { "cluster" } else { "clusters" },
        report.services.len(),
        if report.services.len() == 1 {
            "service"
        } else {
            "services"
        },
    );
    let production = report.production_clusters();
    if !production.is_empty() {
        let _ = write!(text, ", including production ({})", production.join(", "));
    }
    text
}

/// Plain or coloured text for a terminal.
pub fn to_text(report: &Report, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    if report.is_empty() {
        let _ = writeln!(out, "No changes compared with {}.", report.base);
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            "1",
            &format!("Compared with {}: {}.", report.base, blast_radius(report))
        )
    );
    for cluster in &report.clusters {
        if cluster.added + cluster.changed + cluster.removed == 0 {
            continue;
        }
        let flag = if cluster.production {
            " [production]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<24} {:<10} +{} ~{} -{}{flag}",
            cluster.cluster, cluster.environment, cluster.added, cluster.changed, cluster.removed
        );
    }
    for touch in &report.owners {
        let reviewers = if touch.github.is_empty() {
            String::new()
        } else {
            format!(" ({})", touch.github.join(" "))
        };
        let _ = writeln!(
            out,
            "  owner {}{reviewers}: {}",
            touch.owner,
            touch_summary(touch, "")
        );
    }
    out.push_str(&crate::cost::change_text(&report.cost));
    for unit in &report.units {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            paint(
                "1;4",
                &format!("{} / {} ({})", unit.cluster, unit.unit, unit.environment)
            )
        );
        for change in &unit.changes {
            let sign = match change.change {
                Change::Added => paint("32", "+ added"),
                Change::Changed => paint("33", "~ changed"),
                Change::Removed => paint("31", "- removed"),
            };
            let _ = writeln!(out, "{sign} {}", change.title());
            for line in change.diff.lines() {
                let styled = match line.as_bytes().first() {
                    Some(b'+') => paint("32", line),
                    Some(b'-') => paint("31", line),
                    Some(b'@') => paint("36", line),
                    _ => line.to_owned(),
                };
                let _ = writeln!(out, "    {styled}");
            }
        }
    }
    out
}

/// Markdown for a pull-request comment: a summary table, then one
/// collapsible section per cluster and unit. Detail is cut first, and
/// said so, to stay under GitHub's comment limit; the summary never is.
pub fn to_markdown(report: &Report, marker: &str) -> String {
    let mut head = String::new();
    let _ = writeln!(head, "{marker}");
    if report.is_empty() {
        let _ = writeln!(
            head,
            "### paved diff: no changes\n\nNothing changes in any cluster compared with `{}`.",
            report.base
        );
        return head;
    }
    let production = report.production_clusters();
    let _ = writeln!(head, "### paved diff: {}\n", blast_radius(report));
    if !production.is_empty() {
        let _ = writeln!(
            head,
            "> [!WARNING]\n> This changes **production**: {}.\n",
            production
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(head, "Compared with `{}`.\n", report.base);
    let _ = writeln!(
        head,
        "| cluster | environment | added | changed | removed |\n|---|---|---:|---:|---:|"
    );
    for cluster in &report.clusters {
        let flag = if cluster.production { " ⚠️" } else { "" };
        let _ = writeln!(
            head,
            "| `{}`{flag} | {} | {} | {} | {} |",
            cluster.cluster, cluster.environment, cluster.added, cluster.changed, cluster.removed
        );
    }
    if !report.services.is_empty() {
        const SHOWN: usize = 40;
        let mut services: Vec<String> = report
            .services
            .iter()
            .take(SHOWN)
            .map(|s| format!("`{s}`"))
            .collect();
        if report.services.len() > SHOWN {
            services.push(format!("and {} more", report.services.len() - SHOWN));
        }
        let _ = writeln!(head, "\nServices: {}", services.join(", "));
    }
    head.push_str(&owners_markdown(report));
    head.push_str(&crate::cost::change_markdown(&report.cost));
    // Full detail if it fits; else shorter diffs; else titles only.
    for max_lines in [usize::MAX, 60, 20, 0] {
        let (body, cut) = sections(report, max_lines, BUDGET.saturating_sub(head.len()));
        if cut == 0 || max_lines == 0 {
            let mut out = head.clone();
            out.push_str(&body);
            if max_lines != usize::MAX || cut > 0 {
                let _ = writeln!(
                    out,
                    "\n_Detail was shortened to fit a comment{}. Run `paved diff --base {}` for all of it._",
                    if cut > 0 {
                        format!("; {cut} sections are not shown")
                    } else {
                        String::new()
                    },
                    report.base.split_whitespace().next().unwrap_or_default()
                );
            }
            return out;
        }
    }
    unreachable!("the last attempt always returns")
}

/// The per-unit sections, each diff cut to `max_lines`; stops before
/// `budget` characters and says how many sections it left out.
fn sections(report: &Report, max_lines: usize, budget: usize) -> (String, usize) {
    let mut out = String::new();
    let mut cut = 0;
    for unit in &report.units {
        let mut section = String::new();
        let counts = |c: Change| unit.changes.iter().filter(|x| x.change == c).count();
        let _ = writeln!(
            section,
            "\n<details><summary><code>{}</code> / <b>{}</b>: {} added, {} changed, {} removed</summary>\n",
            unit.cluster,
            unit.unit,
            counts(Change::Added),
            counts(Change::Changed),
            counts(Change::Removed)
        );
        for change in &unit.changes {
            let sign = match change.change {
                Change::Added => "➕",
                Change::Changed => "✏️",
                Change::Removed => "➖",
            };
            let _ = writeln!(
                section,
                "{sign} **{}**{}",
                change.title(),
                if change.redacted {
                    " (sensitive values hidden)"
                } else {
                    ""
                }
            );
            if max_lines > 0 {
                let lines: Vec<&str> = change.diff.lines().collect();
                let shown = lines.len().min(max_lines);
                let _ = writeln!(section, "\n```diff");
                for line in &lines[..shown] {
                    let _ = writeln!(section, "{}", line.replace("```", "`\u{200b}``"));
                }
                if shown < lines.len() {
                    let _ = writeln!(section, "… {} more lines", lines.len() - shown);
                }
                let _ = writeln!(section, "```\n");
            }
        }
        let _ = writeln!(section, "</details>");
        if out.len() + section.len() > budget {
            cut += 1;
            continue;
        }
        out.push_str(&section);
    }
    (out, cut)
}
