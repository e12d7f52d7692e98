//! Tenancy across the organisation, checked on the rendered tree before
//! anything is written, validated or compared. Teams share clusters, so
//! what one team renders must not take what another owns:
//!
//! - every route (host and path) has one owning service per cluster, and a
//!   service's Ingress claims no catch-all, wildcard or regex route, no
//!   host it does not serve, and no controller snippet;
//! - every resource, and every Secret any resource writes (Secrets,
//!   ExternalSecret targets, cert-manager certificates), has one owner per
//!   cluster: two claimants are named, each at its file and line;
//! - a service's ExternalSecrets read the platform's store only, and only
//!   its own team's keys (`<team>/...`, `<env>/<team>/...`) unless the
//!   owning team granted it a key in its `team.yaml`, until a date;
//! - a service's monitors scrape only its namespace, its alerts page only
//!   its team, and its claims bind no existing composite resource;
//! - no value in rendered output looks like a plaintext secret (by name or
//!   shape), unless `policies/exceptions.yaml` records a review saying it
//!   is not one.
//!
//! Findings here are input errors: every command refuses to go on. The
//! text of any secret found is returned so that the caller can mask it in
//! every snippet it prints; messages never hold it.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::blame::{Cause, cause_of, describe, source_of, written_at};
use super::summary::{Summary, conflict, group, routes as routes_of, rules, written_secrets};
use super::template::Resource;
use super::unit::{Rendered, RenderedUnit, UnitKind};
use crate::diagnostic::{Diagnostic, Location};
use crate::input::repo::Repo;
use crate::support::pointer::{field_path, pointer_push};

/// What the tenancy checks found.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Secret values found, with the files they may be shown from: to be
    /// masked in every snippet printed. Never printed themselves.
    pub secrets: Vec<(String, String)>,
    /// A conflict with a unit carried as its summary (`RenderedUnit::
    /// summarised`), which only a render of every unit can locate.
    pub unlocated: bool,
}

/// Runs every tenancy check over the rendered tree. `today` decides which
/// secret grants still apply.
pub fn check(repo: &Repo, rendered: &Rendered, today: &str) -> Report {
    let mut report = findings(repo, rendered, today);
    finish(&mut report);
    report
}

/// Orders what [`findings`] found in every part of a render, and merges
/// the findings of one cause.
pub fn finish(report: &mut Report) {
    crate::diagnostic::normalize(&mut report.diagnostics);
    crate::diagnostic::merge_common_causes(&mut report.diagnostics);
}

/// [`check`] of a part of a render (a cluster's units, or all), not yet
/// [`finish`]ed.
pub fn findings(repo: &Repo, rendered: &Rendered, today: &str) -> Report {
    let mut report = Report::default();
    let clusters = rendered.by_cluster();
    let environments: BTreeSet<String> = repo
        .environments
        .iter()
        .map(|env| env.value.name.clone())
        .collect();
    let checker = |cluster| Checker {
        repo,
        cluster,
        environments: &environments,
        today,
    };
    // What units claim, cluster by cluster; then each unit's own
    // resources, unit by unit (most of the work: a cluster holds hundreds).
    let per_cluster: Vec<Report> = clusters
        .par_iter()
        .map(|(cluster, units)| {
            let mut report = Report::default();
            // A unit carried as its summary (read back unchanged) has no
            // resources to name: a conflict is found from the summaries,
            // and located by rendering every unit.
            if units.iter().any(|unit| unit.summarised.is_some()) {
                let made: Vec<std::sync::Arc<Summary>> = units
                    .iter()
                    .filter(|unit| unit.summarised.is_none())
                    .map(|unit| unit.summary())
                    .collect();
                let carried = units
                    .iter()
                    .filter_map(|unit| unit.summarised.as_ref().map(|s| &*s.summary));
                report.unlocated = conflict(carried, &made);
                return report;
            }
            let checker = checker(cluster);
            checker.ownership(units, &mut report.diagnostics);
            checker.routes(units, &mut report.diagnostics);
            report
        })
        .collect();
    let units: Vec<(&str, &RenderedUnit)> = clusters
        .iter()
        .flat_map(|(cluster, units)| units.iter().map(move |unit| (*cluster, *unit)))
        .collect();
    let per_unit: Vec<Report> = units
        .par_iter()
        .map(|(cluster, unit)| {
            let mut report = Report::default();
            let UnitKind::Service { service, team, .. } = &unit.kind else {
                return report;
            };
            let checker = checker(cluster);
            for resource in unit.resources.iter() {
                match resource.kind() {
                    "ExternalSecret" => {
                        checker.store_access(unit, resource, service, team, &mut report.diagnostics)
                    }
                    "Ingress" => checker.ingress_shape(unit, resource, &mut report.diagnostics),
                    _ => {}
                }
                checker.reach(unit, resource, team, &mut report.diagnostics);
                checker.plaintext(unit, resource, service, &mut report);
            }
            report
        })
        .collect();
    for found in per_cluster.into_iter().chain(per_unit) {
        report.unlocated |= found.unlocated;
        report.diagnostics.extend(found.diagnostics);
        report.secrets.extend(found.secrets);
    }
    report
}

struct Checker<'a> {
    repo: &'a Repo,
    cluster: &'a str,
    environments: &'a BTreeSet<String>,
    today: &'a str,
}

/// Who claims something: a service, a team, or the platform itself.
struct Claimant<'a> {
    resource: &'a Resource,
    /// `service `web-shop` (team `storefront`)`, `team `payments``, `the platform`.
    who: String,
    /// A team's input (a service or team file), rather than the platform's.
    tenant: bool,
    cause: Cause,
}

impl Checker<'_> {
    fn error(&self, message: String, cause: &Cause, subject: String) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(message)
            .at(cause.location.clone())
            .subject(subject)
            .cluster(self.cluster);
        diagnostic.field = cause.field.clone();
        diagnostic
    }

    /// Where a service's input causes a resource to exist under its name:
    /// the patch that renamed it, the `uses` entry it is named after, or
    /// the service's name.
    fn service_cause(&self, unit: &RenderedUnit, resource: &Resource, service: &str) -> Cause {
        if let Some(location) = written_at(resource, "/metadata/name") {
            return Cause {
                field: Some("metadata.name".into()),
                ..Cause::at(location)
            };
        }
        let Some(entry) = self.repo.service(service) else {
            return Cause::at(Location::file(&resource.template));
        };
        let file = &entry.file;
        let environment = match &unit.kind {
            UnitKind::Service { environment, .. } => environment.as_str(),
            _ => "",
        };
        let mut candidates = Vec::new();
        if let Some(suffix) = resource
            .name()
            .strip_prefix(service)
            .and_then(|rest| rest.strip_prefix('-'))
        {
            let env_base = pointer_push("/environments", environment);
            for base in [env_base.as_str(), ""] {
                candidates.push(pointer_push(&format!("{base}/uses"), suffix));
            }
        }
        // The golden paths name what `secrets` and `routes` produce after
        // the service itself.
        let field = match resource.kind() {
            "ExternalSecret" => Some("secrets"),
            "Ingress" => Some("routes"),
            _ => None,
        };
        if let Some(field) = field.filter(|_| resource.name() == service) {
            let env_base = pointer_push("/environments", environment);
            for base in [env_base.as_str(), ""] {
                candidates.push(format!("{base}/{field}"));
            }
        }
        candidates.push("/name".to_owned());
        for pointer in candidates {
            if file.doc.node(&pointer).is_some()
                && let Some(span) = file.doc.span_for(&pointer, pointer != "/name")
            {
                return Cause {
                    location: Location::at(&file.path, span),
                    field: Some(field_path(&pointer)),
                    origin: None,
                };
            }
        }
        Cause::at(Location::file(&file.path))
    }

    /// Who a resource belongs to: the service of a service unit; in the
    /// platform's units, the service or team it was rendered for (by its
    /// `paved.dev/team` and `app.kubernetes.io/name` labels), else the
    /// platform.
    fn claimant<'a>(&self, unit: &'a RenderedUnit, resource: &'a Resource) -> Claimant<'a> {
        if let UnitKind::Service { service, team, .. } = &unit.kind {
            return Claimant {
                resource,
                who: format!("service `{service}` (team `{team}`)"),
                tenant: true,
                cause: self.service_cause(unit, resource, service),
            };
        }
        let labels = &resource.value["metadata"]["labels"];
        let team = labels["paved.dev/team"].as_str();
        let service = labels["app.kubernetes.io/name"]
            .as_str()
            .and_then(|name| self.repo.service(name))
            .filter(|entry| Some(entry.team.as_str()) == team);
        let at_name = |file: &crate::input::load::SourceFile| Cause {
            location: match file.doc.span_for("/name", false) {
                Some(span) => Location::at(&file.path, span),
                None => Location::file(&file.path),
            },
            field: Some("name".into()),
            origin: None,
        };
        if let Some(entry) = service {
            return Claimant {
                resource,
                who: format!("service `{}` (team `{}`)", entry.value.name, entry.team),
                tenant: true,
                cause: at_name(&entry.file),
            };
        }
        if let Some(entry) = team.and_then(|team| self.repo.team(team)) {
            return Claimant {
                resource,
                who: format!("team `{}`", entry.value.name),
                tenant: true,
                cause: at_name(&entry.file),
            };
        }
        Claimant {
            resource,
            who: "the platform".into(),
            tenant: false,
            cause: Cause::at(source_of(
                self.repo,
                unit,
                resource,
                "/metadata/name",
                false,
            )),
        }
    }

    /// One owner per (kind, namespace, name) in a cluster, and one writer
    /// per Secret, whoever renders them.
    fn ownership(&self, units: &[&RenderedUnit], out: &mut Vec<Diagnostic>) {
        type Found<'a> = (&'a RenderedUnit, &'a Resource);
        let mut resources: BTreeMap<(&str, &str, &str, &str), Vec<Found<'_>>> = BTreeMap::new();
        let mut secrets: BTreeMap<(&str, &str), Vec<(String, Found<'_>)>> = BTreeMap::new();
        for unit in units {
            for resource in unit.resources.iter() {
                let namespace = resource.namespace().unwrap_or_default();
                resources
                    .entry((group(resource), resource.kind(), namespace, resource.name()))
                    .or_default()
                    .push((unit, resource));
                for (secret, how) in written_secrets(resource) {
                    secrets
                        .entry((namespace, secret))
                        .or_default()
                        .push((how, (unit, resource)));
                }
            }
        }
        for ((_, kind, namespace, name), found) in &resources {
            if found.len() < 2 {
                continue;
            }
            let claimants: Vec<Claimant<'_>> = found
                .iter()
                .map(|(unit, resource)| self.claimant(unit, resource))
                .collect();
            let (first, second) = pair(&claimants);
            let what = if namespace.is_empty() {
                format!("{kind} {name}")
            } else {
                format!("{kind} {namespace}/{name}")
            };
            let message = if first.who == second.who {
                format!("`{what}` is defined twice by {}", first.who)
            } else {
                format!(
                    "`{what}` is defined by both {} and {}",
                    first.who, second.who
                )
            };
            for (here, there) in sides(first, second) {
                let mut diagnostic = self
                    .error(message.clone(), &here.cause, describe(here.resource))
                    .help(format!(
                        "the other definition comes from {}",
                        there.cause.text()
                    ));
                // The message names the resource already.
                diagnostic.subject = None;
                diagnostic = if there.tenant {
                    diagnostic.help("every resource has one owner, or Argo CD would fight over it: rename one of them")
                } else {
                    diagnostic.help(format!(
                        "the platform owns the name `{name}` here: choose another name"
                    ))
                };
                out.push(diagnostic);
            }
        }
        for ((namespace, secret), writers) in &secrets {
            // A resource may write a Secret of its own name: only writers
            // in different resources conflict.
            // Resources that are themselves defined twice are reported
            // once, above.
            let mut distinct: Vec<&(String, Found<'_>)> = Vec::new();
            for writer in writers {
                let same = |seen: &&(String, Found<'_>)| {
                    let (a, b) = (seen.1.1, writer.1.1);
                    std::ptr::eq(a, b) || (a.kind() == b.kind() && a.name() == b.name())
                };
                if !distinct.iter().any(same) {
                    distinct.push(writer);
                }
            }
            if distinct.len() < 2 {
                continue;
            }
            // A certificate's Secret follows the golden path's naming; the
            // other writer's name is what to change: report there.
            distinct.sort_by_key(|(_, (_, resource))| {
                !matches!(resource.kind(), "Ingress" | "Certificate")
            });
            let claimants: Vec<Claimant<'_>> = distinct
                .iter()
                .map(|(_, (unit, resource))| self.claimant(unit, resource))
                .collect();
            let (first, second) = pair(&claimants);
            let how = |claimant: &Claimant<'_>| {
                distinct
                    .iter()
                    .find(|(_, (_, resource))| std::ptr::eq(*resource, claimant.resource))
                    .map(|(how, _)| how.clone())
                    .unwrap_or_default()
            };
            let message = if first.who == second.who {
                format!(
                    "Secret `{namespace}/{secret}` is written twice by {}: by {} and by {}",
                    first.who,
                    how(first),
                    how(second)
                )
            } else {
                format!(
                    "Secret `{namespace}/{secret}` is written by both {} of {} and {} of {}",
                    how(first),
                    first.who,
                    how(second),
                    second.who
                )
            };
            for (here, there) in sides(first, second) {
                out.push(
                    self.error(message.clone(), &here.cause, describe(here.resource))
                        .help(format!("the other writer comes from {}", there.cause.text()))
                        .help("each Secret has one writer, or they overwrite each other: rename the `uses` entry, the service or the patched name"),
                );
            }
        }
    }

    /// One service per host and path in a cluster, across every team.
    fn routes(&self, units: &[&RenderedUnit], out: &mut Vec<Diagnostic>) {
        struct Claim<'a> {
            unit: &'a RenderedUnit,
            resource: &'a Resource,
            route: super::summary::Route<'a>,
        }
        let mut routes: BTreeMap<(String, String), Vec<Claim<'_>>> = BTreeMap::new();
        for unit in units {
            if !matches!(unit.kind, UnitKind::Service { .. }) {
                continue;
            }
            for resource in unit.resources.iter().filter(|r| r.kind() == "Ingress") {
                for route in routes_of(resource) {
                    routes.entry(route.key.clone()).or_default().push(Claim {
                        unit,
                        resource,
                        route,
                    });
                }
            }
        }
        for ((host, _), claims) in &routes {
            if claims.len() < 2 {
                continue;
            }
            let claimants: Vec<Claimant<'_>> = claims
                .iter()
                .map(|claim| {
                    let mut claimant = self.claimant(claim.unit, claim.resource);
                    let route = &claim.route;
                    claimant.cause =
                        self.route_cause(claim.unit, claim.resource, &route.pointer, route.rule);
                    claimant
                })
                .collect();
            let shown = |claim: &Claim<'_>| {
                format!("`{host}{}` ({})", claim.route.path, claim.route.path_type)
            };
            let differ = claims.iter().any(|c| {
                c.route.path != claims[0].route.path
                    || c.route.path_type != claims[0].route.path_type
            });
            // Reported at each claimant, naming the others: whichever file
            // a pull request touched shows the problem. One service that
            // claims a route twice is told once.
            let mut reported: Vec<&str> = Vec::new();
            for (index, (here, claimant)) in claims.iter().zip(&claimants).enumerate().rev() {
                if reported.contains(&claimant.who.as_str()) {
                    continue;
                }
                reported.push(&claimant.who);
                let others: Vec<usize> = (0..claims.len()).filter(|&i| i != index).collect();
                let mut names: Vec<String> = others
                    .iter()
                    .map(|&i| claimants[i].who.clone())
                    .filter(|who| who != &claimant.who)
                    .collect();
                names.dedup();
                let message = match names.as_slice() {
                    [] => format!("{} claims the route {} twice", claimant.who, shown(here)),
                    [other] => format!(
                        "route {} is claimed by both {} and {other}",
                        shown(here),
                        claimant.who
                    ),
                    [rest @ .., last] => format!(
                        "route {} is claimed by {}, {} and {last}",
                        shown(here),
                        claimant.who,
                        rest.join(", ")
                    ),
                };
                let mut diagnostic = self.error(message, &claimant.cause, describe(here.resource));
                for &i in &others {
                    diagnostic = diagnostic.help(format!(
                        "{} claims {} at {}",
                        claimants[i].who,
                        shown(&claims[i]),
                        claimants[i].cause.text()
                    ));
                }
                if differ {
                    diagnostic = diagnostic.help("paths that differ only in a trailing `/` or in `pathType` reach the same requests: the ingress controller would pick one silently");
                }
                out.push(diagnostic.help(
                    "every host and path belongs to one service: choose another path or host, or let one service route to the other",
                ));
            }
        }
    }

    /// A route claim at the path, else the host, of an Ingress rule.
    fn route_cause(
        &self,
        unit: &RenderedUnit,
        resource: &Resource,
        path: &str,
        rule: usize,
    ) -> Cause {
        let host = format!("/spec/rules/{rule}/host");
        let at_path = cause_of(self.repo, unit, resource, path, None);
        if written_at(resource, path).is_some()
            || !at_path
                .location
                .file
                .starts_with(crate::input::load::GOLDEN_PATHS_DIR)
        {
            return at_path;
        }
        cause_of(self.repo, unit, resource, &host, None)
    }

    /// What a service's Ingress may not do: route every host (no host, a
    /// wildcard, a default backend), match by regex, serve a certificate
    /// for a host it does not route, or inject controller configuration.
    fn ingress_shape(&self, unit: &RenderedUnit, resource: &Resource, out: &mut Vec<Diagnostic>) {
        let subject = describe(resource);
        let mut refuse = |pointer: &str, message: String, help: &str| {
            let cause = cause_of(self.repo, unit, resource, pointer, None);
            out.push(self.error(message, &cause, subject.clone()).help(help));
        };
        if resource.value["spec"].get("defaultBackend").is_some() {
            refuse(
                "/spec/defaultBackend",
                "the Ingress has a default backend, which takes every request no other route matches".into(),
                "route named hosts and paths only; the platform owns the fallback",
            );
        }
        let mut hosts = BTreeSet::new();
        for (r, rule) in rules(resource) {
            match rule["host"].as_str() {
                None | Some("") => refuse(
                    &format!("/spec/rules/{r}"),
                    "an Ingress rule without a host takes the path on every host".into(),
                    "set `host` on every rule",
                ),
                Some(host) if host.contains('*') => refuse(
                    &format!("/spec/rules/{r}/host"),
                    format!("the wildcard host `{host}` claims every host under it"),
                    "route the hosts the service serves, one by one",
                ),
                Some(host) => {
                    hosts.insert(host.to_ascii_lowercase());
                }
            }
            for (p, path) in rule["http"]["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                if path["pathType"] == "ImplementationSpecific" {
                    refuse(
                        &format!("/spec/rules/{r}/http/paths/{p}/pathType"),
                        "`pathType: ImplementationSpecific` lets the controller match by pattern, across other services' paths".into(),
                        "use `Prefix` or `Exact`",
                    );
                }
            }
        }
        for (t, tls) in resource.value["spec"]["tls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (h, host) in tls["hosts"].as_array().into_iter().flatten().enumerate() {
                let Some(host) = host.as_str() else { continue };
                if !hosts.contains(&host.to_ascii_lowercase()) {
                    refuse(
                        &format!("/spec/tls/{t}/hosts/{h}"),
                        format!(
                            "the Ingress asks for a certificate for `{host}`, which it does not route"
                        ),
                        "list in `tls.hosts` only the hosts of the Ingress's own rules",
                    );
                }
            }
        }
        for key in resource.value["metadata"]["annotations"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, _)| key)
        {
            let name = key.rsplit('/').next().unwrap_or(key);
            let controller = key.contains("ingress.kubernetes.io/");
            if controller
                && (name.ends_with("snippet") || name == "server-alias" || name == "use-regex")
            {
                refuse(
                    &pointer_push("/metadata/annotations", key),
                    format!(
                        "the annotation `{key}` changes routing beyond the service's own hosts and paths"
                    ),
                    "snippets, server aliases and regex paths are shared by every service behind the controller; ask the platform team for what you need",
                );
            }
        }
    }

    /// A service's ExternalSecret reads the platform's store, names its
    /// keys one by one, and reads only keys of its own team or granted to
    /// it.
    fn store_access(
        &self,
        unit: &RenderedUnit,
        resource: &Resource,
        service: &str,
        team: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        let subject = describe(resource);
        let store = &self.repo.platform.value.secret_store;
        let store_kind = match store.kind {
            crate::input::model::SecretStoreKind::ClusterSecretStore => "ClusterSecretStore",
            crate::input::model::SecretStoreKind::SecretStore => "SecretStore",
        };
        let spec = &resource.value["spec"];
        let reference = &spec["secretStoreRef"];
        // A kind that is no store kind at all is the schema's to report.
        let known_kind = matches!(
            reference["kind"].as_str(),
            Some("ClusterSecretStore" | "SecretStore") | None
        );
        if reference["name"] != store.name.as_str()
            || (known_kind && reference["kind"] != store_kind)
        {
            let cause = cause_of(self.repo, unit, resource, "/spec/secretStoreRef", None);
            out.push(
                self.error(
                    format!(
                        "the ExternalSecret reads from `{}` `{}`, not the platform's secret store",
                        reference["kind"].as_str().unwrap_or("SecretStore"),
                        reference["name"].as_str().unwrap_or_default()
                    ),
                    &cause,
                    subject.clone(),
                )
                .help(format!(
                    "every ExternalSecret reads from `{store_kind}` `{}` (`platform/platform.yaml` `secretStore`)",
                    store.name
                )),
            );
        }
        let mut keys = Vec::new();
        for (list, field) in [("data", "remoteRef"), ("dataFrom", "extract")] {
            for (i, item) in spec[list].as_array().into_iter().flatten().enumerate() {
                let base = format!("/spec/{list}/{i}");
                for (refused, why) in [
                    ("sourceRef", "reads from another store or a generator"),
                    ("find", "reads every key matching a pattern"),
                ] {
                    if item.get(refused).is_some() {
                        let cause = cause_of(
                            self.repo,
                            unit,
                            resource,
                            &format!("{base}/{refused}"),
                            None,
                        );
                        out.push(
                            self.error(
                                format!("`{list}[{i}].{refused}` {why}"),
                                &cause,
                                subject.clone(),
                            )
                            .help("name each key of the platform's store under `secrets:` in the intent"),
                        );
                    }
                }
                if let Some(key) = item[field]["key"].as_str() {
                    let hint = item["secretKey"].as_str().map(str::to_owned);
                    keys.push((format!("{base}/{field}/key"), key, hint));
                }
            }
        }
        for (pointer, key, hint) in keys {
            let problem = match crate::input::intents::key_problem(key) {
                Some(problem) => Some((
                    format!("`{key}` is not a valid secret-store key: {problem}"),
                    None,
                )),
                None => self.key_denied(key, service, team),
            };
            if let Some((message, help)) = problem {
                let cause = cause_of(self.repo, unit, resource, &pointer, hint.as_deref());
                let mut diagnostic = self.error(message, &cause, subject.clone()).help(format!(
                    "a service reads its own team's keys: `{team}/...` (or `<environment>/{team}/...`)"
                ));
                if let Some(help) = help {
                    diagnostic = diagnostic.help(help);
                }
                out.push(diagnostic);
            }
        }
    }

    /// Why `service` (of `team`) may not read `key`, if it may not: the
    /// message, and how to get access.
    fn key_denied(&self, key: &str, service: &str, team: &str) -> Option<(String, Option<String>)> {
        let Some(owner) = crate::input::intents::key_owner(key, self.environments) else {
            return Some((
                format!("`{key}` is not in any team's part of the secret store"),
                Some(format!("write the key as `{team}/<name>`")),
            ));
        };
        if owner == team {
            return None;
        }
        let owning_team = self.repo.team(owner);
        let grant = owning_team.and_then(|entry| {
            entry
                .value
                .secret_grants
                .iter()
                .enumerate()
                .find(|(_, grant)| {
                    grant_covers(&grant.key, key) && grant.services.iter().any(|s| s == service)
                })
        });
        match (owning_team, grant) {
            (Some(entry), Some((index, grant)))
                if grant.expires.as_str() < self.today
                    || crate::support::date::date_problem(&grant.expires).is_some() =>
            {
                let at = entry
                    .file
                    .doc
                    .span_for(&format!("/secretGrants/{index}/expires"), false)
                    .map(|span| format!("`{}:{}:{}`", entry.file.path, span.line, span.column))
                    .unwrap_or_else(|| format!("`{}`", entry.file.path));
                Some((
                    format!(
                        "team `{owner}`'s grant of `{}` to `{service}` expired on {}",
                        grant.key, grant.expires
                    ),
                    Some(format!(
                        "the grant is at {at}; {} answers for it: renew it there, or stop reading the key",
                        grant.owner
                    )),
                ))
            }
            (_, Some(_)) => None,
            (Some(entry), None) => Some((
                format!(
                    "`{key}` belongs to team `{owner}`; `{service}` (team `{team}`) may not read it"
                ),
                Some(format!(
                    "if `{owner}` agrees, it grants access in `{}` under `secretGrants` (key, services, owner, reason, expires)",
                    entry.file.path
                )),
            )),
            (None, None) => Some((
                format!(
                    "`{key}` belongs to `{owner}`, which is not team `{team}`; `{service}` may not read it"
                ),
                Some(format!("write the key as `{team}/<name>`")),
            )),
        }
    }

    /// What a service's monitors, alerts and claims reach: monitors scrape
    /// only its own namespace, alerts page only its own team, and a claim
    /// binds only a composite resource of its own.
    fn reach(
        &self,
        unit: &RenderedUnit,
        resource: &Resource,
        team: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        let spec = &resource.value["spec"];
        let subject = describe(resource);
        if matches!(resource.kind(), "ServiceMonitor" | "PodMonitor" | "Probe")
            && let Some(selector) = spec.get("namespaceSelector")
        {
            let names = selector["matchNames"].as_array();
            let own = names.is_none_or(|names| names.iter().all(|n| n == team));
            if selector["any"] == true || !own {
                let cause = cause_of(self.repo, unit, resource, "/spec/namespaceSelector", None);
                out.push(
                    self.error(
                        format!("the {} scrapes namespaces other than `{team}`", resource.kind()),
                        &cause,
                        subject.clone(),
                    )
                    .help("a service's monitors see only its team's namespace: remove `namespaceSelector`"),
                );
            }
        }
        if resource.kind() == "PrometheusRule" {
            for (g, group) in spec["groups"].as_array().into_iter().flatten().enumerate() {
                for (r, rule) in group["rules"].as_array().into_iter().flatten().enumerate() {
                    let Some(label) = rule["labels"].get("team") else {
                        continue;
                    };
                    if label != team {
                        let pointer = format!("/spec/groups/{g}/rules/{r}/labels/team");
                        let cause = cause_of(self.repo, unit, resource, &pointer, None);
                        out.push(
                            self.error(
                                format!(
                                    "alert `{}` is labelled for team {}, not `{team}`",
                                    rule["alert"].as_str().unwrap_or("?"),
                                    label.as_str().map_or_else(|| label.to_string(), |t| format!("`{t}`"))
                                ),
                                &cause,
                                subject.clone(),
                            )
                            .help("alerts route by their `team` label: a service's alerts page its own team"),
                        );
                    }
                }
            }
        }
        let claim = self
            .repo
            .resource_classes
            .values()
            .any(|class| class.value.claim.kind == resource.kind());
        if claim && spec.get("resourceRef").is_some() {
            let cause = cause_of(self.repo, unit, resource, "/spec/resourceRef", None);
            out.push(
                self.error(
                    "the claim binds an existing composite resource (`spec.resourceRef`), which may be another team's".into(),
                    &cause,
                    subject,
                )
                .help("a claim gets a resource of its own: remove `resourceRef`"),
            );
        }
    }

    /// Plaintext secrets in what a service renders.
    fn plaintext(
        &self,
        unit: &RenderedUnit,
        resource: &Resource,
        service: &str,
        report: &mut Report,
    ) {
        let reviewed = self
            .repo
            .exceptions
            .iter()
            .flat_map(|entry| &entry.value.not_secrets)
            .filter(|reviewed| reviewed.service == service)
            .map(|reviewed| reviewed.key.as_str())
            .collect::<Vec<_>>();
        for hit in crate::support::secrets::scan(&resource.value) {
            if reviewed.contains(&hit.name.as_str()) {
                continue;
            }
            let cause = cause_of(self.repo, unit, resource, &hit.pointer, Some(&hit.name));
            let own_file = self
                .repo
                .service(service)
                .map(|entry| entry.file.path.clone());
            for file in [Some(cause.location.file.clone()), own_file]
                .into_iter()
                .flatten()
            {
                report.secrets.push((file, hit.secret.clone()));
            }
            report.diagnostics.push(
                self.error(
                    format!(
                        "`{}` holds what looks like a plaintext secret: {}",
                        hit.name,
                        hit.reason.describe()
                    ),
                    &cause,
                    describe(resource),
                )
                .code("secrets/plaintext")
                .help("keep secrets in the secret store and reference them under `secrets:` in the intent (`NAME: {key: <team>/<path>, property: <field>}`); rendered files and pull-request comments are readable by everyone")
                .help(format!(
                    "if a reviewer finds it is not a secret, record that under `notSecrets` in `policies/exceptions.yaml` (service `{service}`, key `{}`, owner, reason)",
                    hit.name
                )),
            );
        }
    }
}

/// Two of the claimants of something claimed more than once: the one the
/// report names, and the one it is located at. When the platform is one
/// of them, the report is located at the tenant's input.
fn pair<'a, 'b>(claimants: &'b [Claimant<'a>]) -> (&'b Claimant<'a>, &'b Claimant<'a>) {
    let platform = claimants.iter().find(|c| !c.tenant);
    let tenant = claimants.iter().find(|c| c.tenant);
    match (platform, tenant) {
        (Some(platform), Some(tenant)) => (platform, tenant),
        _ => (&claimants[0], &claimants[1]),
    }
}

/// Where to report a conflict between two claimants, each with the other
/// to name: at both when they are different tenants (whichever file a
/// pull request touched shows the problem), else once, at the second (a
/// tenant's, when the platform is the first).
fn sides<'a, 'b>(
    first: &'b Claimant<'a>,
    second: &'b Claimant<'a>,
) -> Vec<(&'b Claimant<'a>, &'b Claimant<'a>)> {
    if first.tenant
        && second.tenant
        && first.who != second.who
        && first.cause.location != second.cause.location
    {
        vec![(second, first), (first, second)]
    } else {
        vec![(second, first)]
    }
}

/// Whether a grant of `granted` (a key, or `prefix/*`) covers `key`.
pub fn grant_covers(granted: &str, key: &str) -> bool {
    match granted.strip_suffix("/*") {
        Some(prefix) => key
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/')),
        None => granted == key,
    }
}
