//! Stage 7, validate manifests: every rendered resource of every cluster
//! against its kind's strict schema, then the checks across resources
//! (`cross`) and what the API server refuses beyond schemas
//! (`apiserver`). Each finding leads back to its cause: the patch that wrote
//! the field, else the intent line that set the value, else the template
//! line that printed it.

pub mod apiserver;
pub mod catalog;
pub mod cross;
pub mod kubernetes;
pub mod timezones;

use rayon::prelude::*;

use crate::diagnostic::{self, Diagnostic, Severity};
use crate::input::findings::schema_findings;
use crate::input::repo::Repo;
use crate::render::Resource;
use crate::render::blame::{describe, source_of};
use crate::render::{Rendered, RenderedUnit};
use crate::support::text::quote_list;
use catalog::Catalog;

/// How strict to be.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Report kinds with no schema as warnings instead of errors.
    pub allow_unknown_kinds: bool,
}

/// What `validate` found, and how much it looked at.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub resources: usize,
}

/// Validates everything rendered (a copy of the findings when this
/// process validated the same kept run before: see
/// [`crate::render::rerun::derived`]).
pub fn validate(repo: &Repo, rendered: &Rendered, options: Options) -> Report {
    crate::render::rerun::derived(repo, rendered, format!("validate {options:?}"), || {
        validate_anew(repo, rendered, options)
    })
}

fn validate_anew(repo: &Repo, rendered: &Rendered, options: Options) -> Report {
    let (catalog, mut diagnostics) = Catalog::new(repo);
    diagnostics.extend(findings(repo, &catalog, rendered, options));
    finish(&mut diagnostics);
    Report {
        diagnostics,
        resources: rendered.in_focus().map(|u| u.resource_count()).sum(),
    }
}

/// Validates a render a part at a time (a cluster's units, while their
/// resources are in memory): [`Validator::check`] each part, then
/// [`finish`] what they found, together.
pub struct Validator {
    options: Options,
    /// The kinds' schemas, made for the first part, and what was wrong
    /// with the platform's own.
    catalog: std::sync::OnceLock<(Catalog, Vec<Diagnostic>)>,
}

impl Validator {
    pub fn new(options: Options) -> Validator {
        Validator {
            options,
            catalog: std::sync::OnceLock::new(),
        }
    }

    /// What validation finds in `rendered`, not yet [`finish`]ed.
    pub fn check(&self, repo: &Repo, rendered: &Rendered) -> Vec<Diagnostic> {
        let (catalog, problems) = self.catalog.get_or_init(|| Catalog::new(repo));
        let mut found = problems.clone();
        found.extend(findings(repo, catalog, rendered, self.options));
        found
    }

    /// What names these checks (for a run kept with their findings).
    pub fn key(&self) -> String {
        format!("validate {:?}", self.options)
    }
}

/// Orders the findings of every part of a render, and merges those of one
/// cause.
pub fn finish(diagnostics: &mut Vec<Diagnostic>) {
    diagnostic::normalize(diagnostics);
    diagnostic::merge_common_causes(diagnostics);
}

/// Every finding about `rendered` (every unit's resources against their
/// schemas, then across resources), not yet [`finish`]ed.
fn findings(
    repo: &Repo,
    catalog: &Catalog,
    rendered: &Rendered,
    options: Options,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let per_unit: Vec<Vec<Diagnostic>> = rendered
        .units
        .par_iter()
        .filter(|unit| !rendered.is_context(unit))
        .map(|unit| {
            if clean::known(catalog, unit) {
                return Vec::new();
            }
            let found: Vec<Diagnostic> = unit
                .resources
                .iter()
                .flat_map(|resource| check_resource(repo, catalog, unit, resource, options))
                .collect();
            if found.is_empty() {
                clean::keep(catalog, unit);
            }
            found
        })
        .collect();
    diagnostics.extend(per_unit.into_iter().flatten());
    diagnostics.extend(cross::check(repo, catalog, rendered));
    diagnostics.extend(apiserver::check(repo, rendered));
    crate::render::focus::drop_context_findings(rendered, &mut diagnostics);
    diagnostics
}

/// Units whose resources this process found clean, each against its
/// cluster's kinds in a catalog: a unit shared by a later render (see
/// `render::finished`) is not checked again. Each kept list of resources
/// is held, so the same allocation is the same resources.
mod clean {
    use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

    use super::Catalog;
    use crate::render::{RenderedUnit, Resource};
    use crate::support::kept::Kept;

    /// Units kept at most: a few hundred services in four clusters.
    const UNITS: usize = 4096;

    type Key = (usize, String, String);

    fn kept() -> MutexGuard<'static, Kept<Key, Vec<Resource>>> {
        static KEPT: LazyLock<Mutex<Kept<Key, Vec<Resource>>>> =
            LazyLock::new(|| Mutex::new(Kept::new(UNITS)));
        KEPT.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn key(catalog: &Catalog, unit: &RenderedUnit) -> Key {
        (
            Arc::as_ptr(&unit.resources) as usize,
            unit.cluster.clone(),
            catalog.identity().to_owned(),
        )
    }

    /// Whether `unit`'s very resources were found clean in its cluster
    /// against a catalog like `catalog`.
    pub fn known(catalog: &Catalog, unit: &RenderedUnit) -> bool {
        crate::render::rerun::keeps_runs() && kept().get(&key(catalog, unit)).is_some()
    }

    /// Records that `unit`'s resources are clean (each unit counts one).
    pub fn keep(catalog: &Catalog, unit: &RenderedUnit) {
        if crate::render::rerun::keeps_runs() {
            kept().insert(key(catalog, unit), unit.resources.clone(), 1);
        }
    }
}

fn check_resource(
    repo: &Repo,
    catalog: &Catalog,
    unit: &RenderedUnit,
    resource: &Resource,
    options: Options,
) -> Vec<Diagnostic> {
    let subject = describe(resource);
    let kubernetes = catalog.kubernetes(&unit.cluster);
    let retired = kubernetes::retired(kubernetes.version, resource.api_version(), resource.kind());
    if let Some(retired) = retired.filter(|r| r.removed_in.is_some()) {
        let removed = retired.removed_in.unwrap_or_default();
        return vec![
            Diagnostic::error(format!(
                "Kubernetes {} does not serve `{}` in `{}`: 1.{removed} removed it",
                kubernetes.version,
                resource.kind(),
                resource.api_version()
            ))
            .at(source_of(repo, unit, resource, "/apiVersion", false))
            .field("apiVersion")
            .subject(subject)
            .cluster(&unit.cluster)
            .help(format!("use `{}`", retired.replacement)),
        ];
    }
    let mut out = Vec::new();
    if let Some(retired) = retired {
        out.push(
            Diagnostic::warning(format!(
                "`{}` in `{}` is deprecated since Kubernetes 1.{}",
                resource.kind(),
                resource.api_version(),
                retired.deprecated_in
            ))
            .at(source_of(repo, unit, resource, "/apiVersion", false))
            .field("apiVersion")
            .subject(subject.clone())
            .cluster(&unit.cluster)
            .help(format!(
                "use `{}` before it is removed",
                retired.replacement
            )),
        );
    }
    let Some(info) = catalog.get(&unit.cluster, resource.api_version(), resource.kind()) else {
        let known = catalog.versions_of(&unit.cluster, resource.kind());
        let mut diagnostic = Diagnostic::error(format!(
            "no schema for `{}` in `{}`",
            resource.kind(),
            resource.api_version()
        ))
        .at(source_of(repo, unit, resource, "/apiVersion", false))
        .subject(subject)
        .cluster(&unit.cluster);
        diagnostic = if known.is_empty() {
            diagnostic.help("declare its CustomResourceDefinition under `platform/crds/`, or pass `--allow-unknown-kinds` to only warn")
        } else {
            diagnostic.help(format!(
                "paved knows `{}` in {}",
                resource.kind(),
                quote_list(&known)
            ))
        };
        if options.allow_unknown_kinds {
            diagnostic.severity = Severity::Warning;
        }
        out.push(diagnostic);
        return out;
    };
    match (info.namespaced, resource.namespace()) {
        (false, Some(namespace)) => out.push(
            Diagnostic::error(format!(
                "`{}` is cluster-scoped but is given namespace `{namespace}`",
                resource.kind()
            ))
            .at(source_of(repo, unit, resource, "/metadata/namespace", true))
            .field("metadata.namespace")
            .subject(subject.clone())
            .cluster(&unit.cluster),
        ),
        (true, None) => out.push(
            Diagnostic::error(format!(
                "`{}` is namespaced but has no namespace",
                resource.kind()
            ))
            .at(source_of(repo, unit, resource, "/metadata", false))
            .field("metadata.namespace")
            .subject(subject.clone())
            .cluster(&unit.cluster),
        ),
        _ => {}
    }
    let validator = match info.validator {
        Ok(validator) => validator,
        Err(error) => {
            out.push(
                Diagnostic::error(format!(
                    "the schema of `{}` does not compile: {error}",
                    resource.kind()
                ))
                .subject(subject)
                .cluster(&unit.cluster),
            );
            return out;
        }
    };
    for finding in schema_findings(validator, info.schema, &resource.value, "") {
        // An unknown or missing field is the template's doing; a bad value
        // may come from an input.
        let blame_value = !finding.at_key;
        let location = source_of(repo, unit, resource, &finding.pointer, blame_value);
        let mut diagnostic = finding.located(location);
        diagnostic.subject = Some(subject.clone());
        diagnostic.clusters.push(unit.cluster.clone());
        out.push(diagnostic);
    }
    out
}
