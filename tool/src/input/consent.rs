//! Consent between teams: a service may depend on (call) a service of
//! another team only when that service accepts it in its `callers`. The
//! network policy that opens the path is rendered from `dependsOn`, so a
//! dependency without consent is an input error: nothing renders, and no
//! path opens, until the callee's owners agree in their own file (which
//! CODEOWNERS asks them to review).

use crate::diagnostic::{Diagnostic, Location};
use crate::input::model::Team;
use crate::input::repo::{Entry, ServiceEntry};
use crate::support::pointer::{field_path, pointer_push};
use crate::support::text::quote_list;

/// Whether `caller` (of team `caller_team`) may call `callee`.
pub fn accepts(callee: &ServiceEntry, caller: &str, caller_team: &str) -> bool {
    callee.team == caller_team
        || callee
            .value
            .callers
            .as_ref()
            .is_some_and(|callers| callers.accepts(caller, caller_team))
}

/// Every `dependsOn` entry, at the service level or for one environment,
/// that names another team's service without its consent: a located error
/// naming the callee's owners and what they would write.
pub fn check(services: &[ServiceEntry], teams: &[Entry<Team>]) -> Vec<Diagnostic> {
    let by_name: std::collections::HashMap<&str, &ServiceEntry> = services
        .iter()
        .map(|service| (service.value.name.as_str(), service))
        .collect();
    let mut out = Vec::new();
    for service in services {
        let caller = &service.value.name;
        let lists =
            std::iter::once((String::new(), service.value.spec.depends_on.as_ref())).chain(
                service.value.environments.iter().map(|(env, spec)| {
                    (pointer_push("/environments", env), spec.depends_on.as_ref())
                }),
            );
        for (base, list) in lists {
            for (index, target) in list.into_iter().flatten().enumerate() {
                let Some(callee) = by_name.get(target.as_str()) else {
                    continue; // reported as an unknown service
                };
                if accepts(callee, caller, &service.team) {
                    continue;
                }
                let pointer = format!("{base}/dependsOn/{index}");
                let location = match service.file.doc.span_for(&pointer, false) {
                    Some(span) => Location::at(&service.file.path, span),
                    None => Location::file(&service.file.path),
                };
                let owners = teams
                    .iter()
                    .find(|team| team.value.name == callee.team)
                    .map(|team| {
                        let mut people = team.value.owners.clone();
                        people.extend(team.value.github.iter().cloned());
                        people
                    })
                    .unwrap_or_default();
                let who = if owners.is_empty() {
                    format!("team `{}`", callee.team)
                } else {
                    format!("team `{}` ({})", callee.team, quote_list(&owners))
                };
                out.push(
                    Diagnostic::error(format!(
                        "`{caller}` depends on `{target}` of team `{}`, which does not accept calls from `{caller}`",
                        callee.team
                    ))
                    .at(location)
                    .field(field_path(&pointer))
                    .label("no consent from the service's owners")
                    .help(format!(
                        "a dependency opens a network path into another team's namespace: ask {who} to add `{}` under `callers.teams`, or `{caller}` under `callers.services`, in `{}`",
                        service.team, callee.file.path
                    )),
                );
            }
        }
    }
    out
}

/// `callers` that name a team or service that does not exist.
pub fn check_callers(
    service: &ServiceEntry,
    teams: &std::collections::BTreeSet<String>,
    services: &std::collections::BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(callers) = &service.value.callers else {
        return out;
    };
    let file = &service.file;
    for (list, names, known, what) in [
        ("teams", &callers.teams, teams, "team"),
        ("services", &callers.services, services, "service"),
    ] {
        for (index, name) in names.iter().enumerate() {
            if known.contains(name) {
                continue;
            }
            let pointer = format!("/callers/{list}/{index}");
            let location = match file.doc.span_for(&pointer, false) {
                Some(span) => Location::at(&file.path, span),
                None => Location::file(&file.path),
            };
            let mut diagnostic = Diagnostic::error(format!("unknown {what} `{name}`"))
                .at(location)
                .field(field_path(&pointer));
            if let Some(near) =
                crate::support::text::nearest(name, known.iter().map(String::as_str))
            {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic);
        }
    }
    out
}
