//! A command narrowed to some services, teams or clusters (`--service`,
//! `--team`, `--cluster`): a developer editing one intent renders, checks
//! and compares only its units, however large the organisation.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::render::blame::describe;
use crate::render::unit::Rendered;
use crate::support::text::nearest;

/// Which units a command works on. Empty sets do not narrow: the default
/// focus is everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focus {
    pub services: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    pub clusters: BTreeSet<String>,
}

impl Focus {
    /// Whether nothing is narrowed.
    pub fn is_everything(&self) -> bool {
        self.services.is_empty() && self.teams.is_empty() && self.clusters.is_empty()
    }

    /// Whether the unit of `service` (of `team`) in `cluster` is in focus.
    pub fn has_service_unit(&self, service: &str, team: &str, cluster: &str) -> bool {
        (self.services.is_empty() || self.services.contains(service))
            && (self.teams.is_empty() || self.teams.contains(team))
            && self.has_cluster(cluster)
    }

    /// Whether a cluster's own units (the platform's, Argo CD's) are: they
    /// belong to no service or team, so only a focus on clusters keeps them.
    pub fn has_cluster_unit(&self, cluster: &str) -> bool {
        self.services.is_empty() && self.teams.is_empty() && self.has_cluster(cluster)
    }

    fn has_cluster(&self, cluster: &str) -> bool {
        self.clusters.is_empty() || self.clusters.contains(cluster)
    }

    /// A phrase for messages: "`--service web --cluster prod-eu`".
    pub fn describe(&self) -> String {
        let flags: Vec<String> = [
            ("--service", &self.services),
            ("--team", &self.teams),
            ("--cluster", &self.clusters),
        ]
        .into_iter()
        .flat_map(|(flag, names)| names.iter().map(move |name| format!("{flag} {name}")))
        .collect();
        format!("`{}`", flags.join(" "))
    }

    /// A diagnostic for each name that names nothing in any of `repos` (a
    /// diff knows the base's names too), with the nearest name that does.
    pub fn unknown_names(&self, repos: &[&Repo]) -> Vec<Diagnostic> {
        let services: Vec<&str> = repos
            .iter()
            .flat_map(|repo| &repo.services)
            .map(|s| s.value.name.as_str())
            .collect();
        let teams: Vec<&str> = repos
            .iter()
            .flat_map(|repo| &repo.teams)
            .map(|t| t.value.name.as_str())
            .collect();
        let clusters: Vec<&str> = repos
            .iter()
            .flat_map(|repo| &repo.environments)
            .flat_map(|env| env.value.clusters.keys().map(String::as_str))
            .collect();
        let mut diagnostics = Vec::new();
        for (flag, what, given, known) in [
            ("--service", "service", &self.services, services),
            ("--team", "team", &self.teams, teams),
            ("--cluster", "cluster", &self.clusters, clusters),
        ] {
            for name in given.iter().filter(|name| !known.contains(&name.as_str())) {
                let message = format!("`{flag} {name}`: there is no {what} `{name}`");
                let help = match nearest(name, known.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("`paved list` shows every {what}'s name"),
                };
                diagnostics.push(Diagnostic::error(message).help(help));
            }
        }
        diagnostics
    }
}

/// Drops the findings about resources of `rendered`'s context units (what
/// a focused command renders only to check its units against), before
/// findings are merged across clusters. A finding that names no cluster is
/// kept: better one finding too many than one hidden.
pub fn drop_context_findings(rendered: &Rendered, diagnostics: &mut Vec<Diagnostic>) {
    if rendered.context.is_empty() {
        return;
    }
    // Each context resource, by subject: the clusters it is in.
    let mut outside: HashMap<String, HashSet<&str>> = HashMap::new();
    for unit in rendered
        .units
        .iter()
        .filter(|unit| rendered.is_context(unit))
    {
        for resource in unit.resources.iter() {
            outside
                .entry(describe(resource))
                .or_default()
                .insert(unit.cluster.as_str());
        }
    }
    diagnostics.retain(|diagnostic| {
        let clusters = diagnostic
            .subject
            .as_ref()
            .and_then(|subject| outside.get(subject));
        !clusters.is_some_and(|clusters| {
            !diagnostic.clusters.is_empty()
                && diagnostic
                    .clusters
                    .iter()
                    .all(|cluster| clusters.contains(cluster.as_str()))
        })
    });
}
