//! Promotion order, for a pull request: a release that is new in an
//! environment (not what the base commit ran there) must have run in the
//! environment it promotes from, at the base commit or before. Each
//! environment says whether skipping is an error or a warning
//! (`promotionOrder`); an owned, dated entry under `promotions` in
//! `policies/exceptions.yaml` lets a hotfix through.

use std::collections::{BTreeMap, BTreeSet};

use super::{Release, releases};
use crate::diagnostic::{Diagnostic, Location};
use crate::input::model::RuleSeverity;
use crate::input::repo::Repo;
use crate::input::source::git::{GitError, GitRepo};
use crate::support::pointer::{field_path, pointer_push};

/// Every release new since `base` that skipped the environment before its
/// own, as an error or warning per the environment's `promotionOrder`.
pub fn check(
    repo: &Repo,
    git: &GitRepo,
    base: &str,
    today: &str,
) -> Result<Vec<Diagnostic>, GitError> {
    let names: BTreeSet<String> = repo.services.iter().map(|s| s.value.name.clone()).collect();
    let history = git.intent_history(base, &names)?;
    let exceptions = repo
        .exceptions
        .as_ref()
        .map(|entry| entry.value.promotions.as_slice())
        .unwrap_or_default();
    let mut out = Vec::new();
    for service in &repo.services {
        let name = &service.value.name;
        let head = releases(&service.file.doc.value);
        let past = history.get(name);
        let parse = |text: &String| {
            crate::input::yaml::parse_document(&service.file.path, text)
                .ok()
                .map(|doc| releases(&doc.value))
        };
        let at_base: BTreeMap<String, Release> = past
            .and_then(|h| h.at_rev.as_ref())
            .and_then(parse)
            .unwrap_or_default();
        let earlier: Vec<BTreeMap<String, Release>> = past
            .map(|h| h.versions.iter().filter_map(parse).collect())
            .unwrap_or_default();
        for (env_name, release) in &head {
            let Some(env) = repo.environment(env_name) else {
                continue;
            };
            let Some(from) = &env.value.promotes_from else {
                continue;
            };
            let severity = env.value.promotion_order;
            if severity == RuleSeverity::Off || at_base.get(env_name) == Some(release) {
                continue;
            }
            let ran = earlier
                .iter()
                .any(|version| version.get(from) == Some(release));
            if ran {
                continue;
            }
            let excepted = exceptions.iter().any(|e| {
                &e.service == name
                    && &e.environment == env_name
                    && e.release == release.text()
                    && e.expires.as_str() >= today
            });
            if excepted {
                continue;
            }
            let own = format!(
                "{}/{}",
                pointer_push("/environments", env_name),
                release.field()
            );
            let pointer = if service.file.doc.node(&own).is_some() {
                own
            } else {
                format!("/{}", release.field())
            };
            let location = match service.file.doc.span_for(&pointer, false) {
                Some(span) => Location::at(&service.file.path, span),
                None => Location::file(&service.file.path),
            };
            let message = format!(
                "`{name}` {release} is new in `{env_name}` but never ran in `{from}`, the environment it promotes from"
            );
            let diagnostic = match severity {
                RuleSeverity::Error => Diagnostic::error(message),
                _ => Diagnostic::warning(message),
            };
            out.push(
                diagnostic
                    .at(location)
                    .field(field_path(&pointer))
                    .label(format!("not in `{from}` at the base commit or before"))
                    .help(format!(
                        "release it to `{from}` first and promote it once that has merged: `paved promote {name} --to {env_name}`"
                    ))
                    .help(format!(
                        "for a hotfix that cannot wait, add an entry under `promotions` in `policies/exceptions.yaml` (service `{name}`, environment `{env_name}`, release `{}`, with an owner, a reason and an expiry date)",
                        release.text()
                    )),
            );
        }
    }
    Ok(out)
}
