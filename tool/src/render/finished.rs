//! Finished service units made earlier in this process: a service's
//! resources in one cluster after its templates, patches, namespace fence,
//! labels and ordering. They are a function of the unit's template context,
//! its golden path's templates, its intent file (its patches, and the lines
//! they lead back to), the platform file (labels, and their lines) and the
//! names the unit is labelled with; a unit whose key is a kept one's shares
//! its resources, which nothing changes once rendered. Only in processes
//! that keep renders ([`crate::render::rerun::keeps_runs`]), and only units
//! that rendered without a word.

use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use crate::input::repo::Repo;
use crate::render::patch::measure;
use crate::render::resolve::Unit;
use crate::render::template::{Engine, Resource};
use crate::support::hash::Fingerprint;
use crate::support::kept::Kept;

/// Values (JSON nodes) of the kept units' resources, at most: a few
/// hundred services' units.
const KEPT_VALUES: usize = 2 << 20;

fn kept() -> MutexGuard<'static, Kept<String, Vec<Resource>>> {
    static KEPT: LazyLock<Mutex<Kept<String, Vec<Resource>>>> =
        LazyLock::new(|| Mutex::new(Kept::new(KEPT_VALUES)));
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key of `unit`'s finished resources, rendered by `engine` with
/// `context`; `None` when this process does not keep them.
pub fn key(repo: &Repo, engine: &Engine, unit: &Unit<'_>, context: &Value) -> Option<String> {
    if !crate::render::rerun::keeps_runs() {
        return None;
    }
    let resolved = unit.resolved;
    let service = resolved.service;
    let intent = repo.sources.get(&service.file.path)?;
    let platform = &repo.platform.file.path;
    let platform_text = repo.sources.get(platform)?;
    let mut key = Fingerprint::default();
    key.add_text(engine.id())
        .add_json(context)
        .add_text(&service.file.path)
        .add_text(intent)
        .add_text(platform)
        .add_text(platform_text)
        .add_text(unit.cluster_name)
        .add_text(&resolved.environment.value.name)
        .add_text(&service.team)
        .add_text(&service.value.name)
        .add_text(&resolved.golden_path.value.name)
        .add_text(unit.namespace());
    Some(key.finish())
}

/// The kept resources of `key`.
pub fn get(key: &str) -> Option<Arc<Vec<Resource>>> {
    kept().get(key)
}

/// Keeps `resources` as `key`'s, unless they alone would take a sixteenth
/// of what is kept.
pub fn keep(key: String, resources: &Arc<Vec<Resource>>) {
    let budget = KEPT_VALUES / 16;
    let mut values = 0;
    for resource in resources.iter() {
        match measure(&resource.value, budget - values) {
            Some(size) => values += size.nodes,
            None => return,
        }
    }
    kept().insert(key, resources.clone(), values);
}
