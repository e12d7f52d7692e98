//! What a render need not resolve again: the services whose resolution
//! cannot have changed since a trusted index was written, and what that
//! index recorded of their units (fingerprint, entry in their cluster's
//! context, origin), so that a render after one intent changed resolves
//! that service and its neighbours, not the organisation.
//!
//! A service's resolution (`resolve`) reads its own intent, the shared
//! inputs (platform, environments, teams, golden paths) and, of other
//! services, only those named in its intent (`dependsOn`, `uses.from`)
//! and those whose intents name it (its dependents). So when every input
//! but the services' own files is what the index read (`Reuse::read_inputs`),
//! a service must be resolved again only if its own file changed, came or
//! went, if it names such a service, or if such a service names it (in
//! its file now or as the index read it: a dependency dropped changes the
//! target's dependents). "Names" is any string of the intent (a key or a
//! value) that is a changed service's name: whatever field a reference
//! lives in, it is found.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::Value;

use super::unit::{service_origin, service_unit_path};
use crate::input::repo::{Repo, ServiceEntry};

/// What a trusted index recorded of one unit of a service not resolved.
#[derive(Debug, Clone)]
pub struct RecalledUnit {
    /// Its fingerprint (`Plan::fingerprints`).
    pub fingerprint: String,
    /// Its service's entry in its cluster's context, hashed
    /// (`cluster::service_in_cluster`).
    pub entry: String,
    /// What it is rendered from, as its header names it.
    pub origin: String,
}

/// Above this many services changed, resolving everything costs about as
/// much as finding what changed (each changed file is read from git).
const MOST_CHANGED: usize = 500;

/// What a trusted index says, for [`recall`].
pub struct Record<'a> {
    /// The sha256 of every input it read, by path (`input::load::inputs`),
    /// when every input but the services' files is still what it read.
    pub inputs: &'a BTreeMap<String, String>,
    /// The same of the inputs now.
    pub now: &'a BTreeMap<String, String>,
    /// The fingerprint and entry it recorded of the unit at a path.
    pub unit: &'a (dyn Fn(&str) -> Option<(String, String)> + Sync),
    /// The text of an input as it read it, when that can be told.
    pub earlier: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// The names of the services to resolve again (those `wanted` too) and,
/// by path, what the index recorded of every unit of the others; `None`
/// when the index cannot speak for them (a unit it does not record, a
/// changed file it read whose bytes cannot be read again).
pub fn recall(
    repo: &Repo,
    index: &Record<'_>,
    wanted: &(dyn Fn(&ServiceEntry) -> bool + Sync),
) -> Option<(BTreeSet<String>, BTreeMap<String, RecalledUnit>)> {
    // The files under the teams' `services/` that are not what the index
    // read: intents that changed, came or went; anything else there (an
    // API definition a service names) renders everything.
    let intents: BTreeMap<&str, &ServiceEntry> = repo
        .services
        .iter()
        .map(|service| (service.file.path.as_str(), service))
        .collect();
    let paths: BTreeSet<&str> = (index.inputs.keys())
        .chain(index.now.keys())
        .map(String::as_str)
        .filter(|path| crate::input::load::is_service_input(path) && !path.ends_with('/'))
        .filter(|path| index.inputs.get(*path) != index.now.get(*path))
        .collect();
    if paths.len() > MOST_CHANGED {
        return None;
    }
    let (mut changed, mut named) = (BTreeSet::new(), BTreeSet::new());
    for path in paths {
        let now = intents.get(path);
        match now {
            Some(service) => {
                changed.insert(service.value.name.clone());
                mentions(&service.file.doc.value, &mut named);
            }
            None if index.now.contains_key(path) => return None,
            None => {}
        }
        if index.inputs.contains_key(path) {
            let text = (index.earlier)(path)?;
            let doc = crate::input::yaml::parse_document(path, &text).ok()?;
            match doc.value.get("name").and_then(Value::as_str) {
                Some(name) => changed.insert(name.to_owned()),
                None if now.is_some() => false,
                None => return None,
            };
            mentions(&doc.value, &mut named);
        }
    }
    // Whoever names a changed service now.
    let naming: Vec<&str> = repo
        .services
        .par_iter()
        .filter(|service| names_any(&service.file.doc.value, &changed))
        .map(|service| service.value.name.as_str())
        .collect();
    let mut stale = changed;
    stale.extend(
        named
            .into_iter()
            .filter(|name| repo.service(name).is_some()),
    );
    stale.extend(naming.into_iter().map(str::to_owned));
    stale.extend(
        (repo.services.iter())
            .filter(|service| wanted(service))
            .map(|service| service.value.name.clone()),
    );
    // What the index recorded of every unit of the others (tens of
    // thousands, looked up on every core).
    let recalled: Option<Vec<Vec<(String, RecalledUnit)>>> = repo
        .services
        .par_iter()
        .filter(|service| !stale.contains(&service.value.name))
        .map(|service| {
            let mut units = Vec::new();
            for env_name in service.value.environments.keys() {
                let environment = repo.environment(env_name)?;
                let golden_path = repo.golden_path_for(&service.value.golden_path, env_name)?;
                let origin = service_origin(&service.file.path, golden_path);
                for cluster in environment.value.clusters.keys() {
                    let path = service_unit_path(cluster, &service.team, &service.value.name);
                    let (fingerprint, entry) = (index.unit)(&path)?;
                    let unit = RecalledUnit {
                        fingerprint,
                        entry,
                        origin: origin.clone(),
                    };
                    units.push((path, unit));
                }
            }
            Some(units)
        })
        .collect();
    let recalled = recalled?.into_iter().flatten().collect();
    Some((stale, recalled))
}

/// Every string of `value`, keys and values, into `out`.
fn mentions(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => {
            out.insert(text.clone());
        }
        Value::Array(items) => items.iter().for_each(|item| mentions(item, out)),
        Value::Object(map) => {
            for (key, item) in map {
                out.insert(key.clone());
                mentions(item, out);
            }
        }
        _ => {}
    }
}

/// Whether any string of `value` (a key or a value) is among `names`.
fn names_any(value: &Value, names: &BTreeSet<String>) -> bool {
    match value {
        Value::String(text) => names.contains(text),
        Value::Array(items) => items.iter().any(|item| names_any(item, names)),
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| names.contains(key) || names_any(item, names)),
        _ => false,
    }
}
