//! The validated inputs: typed, cross-checked, each with the file it came
//! from so that later stages can point back at lines.

use std::collections::BTreeMap;

use crate::diagnostic::Sources;
use crate::input::classes::ClassEntry;
use crate::input::load::{MultiFile, SourceFile, TemplateFile};
use crate::input::model::{
    Dora, Environment, GoldenPath, Platform, PolicyConfig, PolicyExceptions, Scorecards, Service,
    Team,
};

/// A typed input and the parsed file it came from.
#[derive(Debug, Clone)]
pub struct Entry<T> {
    pub value: T,
    pub file: SourceFile,
}

#[derive(Debug, Clone)]
pub struct ServiceEntry {
    pub value: Service,
    pub file: SourceFile,
    /// Name of the owning team (the directory the intent lives in).
    pub team: String,
}

#[derive(Clone)]
pub struct GoldenPathEntry {
    pub value: GoldenPath,
    pub file: SourceFile,
    pub templates: Vec<TemplateFile>,
    /// The path's params schema, compiled.
    pub params: jsonschema::Validator,
    /// Older versions kept beside this, the newest, by version
    /// (`golden-paths/<path>/versions/<version>/`), for environments that
    /// pin one (`goldenPaths` in `environments/<env>.yaml`).
    pub versions: BTreeMap<String, GoldenPathEntry>,
}

impl std::fmt::Debug for GoldenPathEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoldenPathEntry")
            .field("value", &self.value)
            .field("file", &self.file.path)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Repo {
    pub platform: Entry<Platform>,
    pub platform_templates: Vec<TemplateFile>,
    /// Templates of each cluster's Argo CD objects (`platform/argocd/`).
    pub argocd_templates: Vec<TemplateFile>,
    /// The CustomResourceDefinitions the platform installs.
    pub crds: Vec<MultiFile>,
    /// Sorted by name.
    pub environments: Vec<Entry<Environment>>,
    /// Sorted by name.
    pub teams: Vec<Entry<Team>>,
    /// Sorted by name.
    pub services: Vec<ServiceEntry>,
    pub golden_paths: BTreeMap<String, GoldenPathEntry>,
    /// The resource classes services claim with `uses`, by name.
    pub resource_classes: BTreeMap<String, ClassEntry>,
    /// The names of every class file, sound or not: a service naming a
    /// broken class is not reported again for it.
    pub resource_class_files: std::collections::BTreeSet<String>,
    /// Rego policies, tests included.
    pub policies: Vec<TemplateFile>,
    /// Policy exceptions, when `policies/exceptions.yaml` exists.
    pub exceptions: Option<Entry<PolicyExceptions>>,
    /// How policies run, when `policies/paved.yaml` exists.
    pub policy_config: Option<Entry<PolicyConfig>>,
    /// Data files under `policies/` the configuration may name.
    pub policy_data: Vec<TemplateFile>,
    /// Each service's API definition (`api.definition`), by service name.
    pub api_definitions: BTreeMap<String, TemplateFile>,
    /// DORA performance bands, when `platform/dora.yaml` exists.
    pub dora: Option<Entry<Dora>>,
    /// Scorecard levels and rules, when `platform/scorecards.yaml` exists.
    pub scorecards: Option<Entry<Scorecards>>,
    pub sources: Sources,
}

impl Repo {
    /// Environment names in promotion order: each after the one it
    /// promotes from, ties by name (a cycle is refused with the inputs; the
    /// rest are taken as they come).
    pub fn promotion_order(&self) -> Vec<&str> {
        let mut order: Vec<&str> = Vec::new();
        let mut pending: Vec<&Environment> = self.environments.iter().map(|e| &e.value).collect();
        while !pending.is_empty() {
            let ready = pending.iter().position(|env| {
                env.promotes_from.as_ref().is_none_or(|from| {
                    order.contains(&from.as_str()) || !pending.iter().any(|p| &p.name == from)
                })
            });
            order.push(&pending.remove(ready.unwrap_or(0)).name);
        }
        order
    }

    pub fn environment(&self, name: &str) -> Option<&Entry<Environment>> {
        self.environments.iter().find(|env| env.value.name == name)
    }

    pub fn team(&self, name: &str) -> Option<&Entry<Team>> {
        self.teams
            .binary_search_by(|team| team.value.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.teams[index])
    }

    /// The input file at `path`, wherever it is in the repository.
    pub fn file(&self, path: &str) -> Option<&SourceFile> {
        std::iter::once(&self.platform.file)
            .chain(self.environments.iter().map(|e| &e.file))
            .chain(self.teams.iter().map(|t| &t.file))
            .chain(self.services.iter().map(|s| &s.file))
            .chain(self.golden_paths.values().map(|g| &g.file))
            .chain(
                self.golden_paths
                    .values()
                    .flat_map(|g| g.versions.values().map(|v| &v.file)),
            )
            .chain(self.resource_classes.values().map(|c| &c.file))
            .find(|file| file.path == path)
    }

    /// The golden path `name` as environment `environment` renders it:
    /// the version the environment pins, else the newest.
    pub fn golden_path_for(&self, name: &str, environment: &str) -> Option<&GoldenPathEntry> {
        let newest = self.golden_paths.get(name)?;
        let pinned = self
            .environment(environment)
            .and_then(|env| env.value.golden_paths.get(name));
        match pinned {
            Some(version) if *version != newest.value.version => newest.versions.get(version),
            _ => Some(newest),
        }
    }

    pub fn service(&self, name: &str) -> Option<&ServiceEntry> {
        self.services
            .binary_search_by(|service| service.value.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.services[index])
    }
}
