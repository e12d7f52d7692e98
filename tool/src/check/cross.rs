//! Checks across the resources of one cluster: what one resource names,
//! another must provide. A Service selects pods that exist and whose ports
//! it names; an HPA, PDB or NetworkPolicy aims at a workload; an Ingress
//! backend names a Service and port; what a pod mounts or reads exists;
//! every namespace used is created by the platform. (One owner per kind,
//! namespace and name is a tenancy check: `tenancy`.)

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::{Map, Value};

use super::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::render::Resource;
use crate::render::blame::finding;
use crate::render::summary;
use crate::render::{Rendered, RenderedUnit, UnitKind};

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// Runs every cross-resource check, cluster by cluster.
pub fn check(repo: &Repo, catalog: &Catalog, rendered: &Rendered) -> Vec<Diagnostic> {
    let clusters = rendered.by_cluster();
    let paths = rendered.paths();
    clusters
        .into_par_iter()
        .flat_map(|(name, units)| {
            Cluster::new(repo, catalog, rendered, name, units, &paths).check()
        })
        .collect()
}

/// A workload's pods: what they are labelled and what they listen on.
struct Pods<'a> {
    kind: &'a str,
    name: &'a str,
    labels: &'a Map<String, Value>,
    port_names: BTreeSet<&'a str>,
    port_numbers: BTreeSet<i64>,
}

struct Cluster<'a> {
    repo: &'a Repo,
    name: &'a str,
    units: Vec<&'a RenderedUnit>,
    /// Every file rendered, across clusters.
    files: &'a BTreeSet<String>,
    catalog: &'a Catalog,
    resources: Vec<(&'a RenderedUnit, &'a Resource)>,
    namespaces: BTreeSet<&'a str>,
    /// Workloads' pods by namespace, in the order rendered: a selector
    /// looks only at its own namespace's (across all of a cluster's
    /// workloads, every Service and policy made the check quadratic).
    pods: BTreeMap<&'a str, Vec<Pods<'a>>>,
    /// (namespace, kind, name) of every resource.
    present: BTreeSet<(&'a str, &'a str, &'a str)>,
    /// Secrets that will exist: Secrets and ExternalSecret targets.
    secrets: BTreeSet<(&'a str, &'a str)>,
    /// Services, by (namespace, name).
    services: BTreeMap<(&'a str, &'a str), &'a Resource>,
    /// The tree, which says which namespaces changed since a run that
    /// found them clean: only their resources are checked again
    /// (`render::summary`).
    rendered: &'a Rendered,
}

fn pod_template_pointer(resource: &Resource) -> &'static str {
    crate::support::kube::pod_template_pointer(resource.kind()).unwrap_or("/spec/template")
}

impl<'a> Cluster<'a> {
    fn new(
        repo: &'a Repo,
        catalog: &'a Catalog,
        rendered: &'a Rendered,
        name: &'a str,
        units: Vec<&'a RenderedUnit>,
        files: &'a BTreeSet<String>,
    ) -> Self {
        let resources: Vec<(&RenderedUnit, &Resource)> = units
            .iter()
            .flat_map(|unit| unit.resources.iter().map(move |r| (*unit, r)))
            .collect();
        let mut cluster = Cluster {
            repo,
            name,
            files,
            catalog,
            namespaces: BTreeSet::new(),
            pods: BTreeMap::new(),
            present: BTreeSet::new(),
            secrets: BTreeSet::new(),
            services: BTreeMap::new(),
            rendered,
            resources,
            units,
        };
        // Namespaces that exist without a Namespace in rendered/: Argo CD's
        // own (installed when the cluster is bootstrapped) and those of
        // the components it installs with `CreateNamespace=true`.
        cluster
            .namespaces
            .insert(repo.platform.value.argocd.namespace.as_str());
        for component in repo.platform.value.components.values() {
            cluster.namespaces.insert(component.namespace.as_str());
        }
        // A unit carried as its summary (read back unchanged) provides
        // its names; its resources in namespaces that changed are read
        // back beside it, and no check looks into the others. Names are
        // looked up only where a checked resource stands, in the
        // cluster's scope and in Argo CD's namespace (its projects): the
        // names in the other namespaces are left out.
        let argocd = repo.platform.value.argocd.namespace.as_str();
        let mut looked_up: BTreeMap<&str, bool> = BTreeMap::new();
        for summarised in cluster
            .units
            .iter()
            .filter_map(|unit| unit.summarised.as_ref())
        {
            for (namespace, ids) in &summarised.summary.ids {
                let wanted = *looked_up.entry(namespace).or_insert_with(|| {
                    namespace.is_empty() || namespace == argocd || rendered.checks(name, namespace)
                });
                if !wanted {
                    continue;
                }
                for (kind, name) in ids.iter().filter_map(|id| summary::kind_and_name(id)) {
                    cluster.present.insert((namespace, kind, name));
                    if kind == "Namespace" && namespace.is_empty() {
                        cluster.namespaces.insert(name);
                    }
                }
            }
        }
        for (_, resource) in &cluster.resources {
            let namespace = resource.namespace().unwrap_or_default();
            cluster
                .present
                .insert((namespace, resource.kind(), resource.name()));
            match resource.kind() {
                "Namespace" => {
                    cluster.namespaces.insert(resource.name());
                }
                "Service" => {
                    cluster
                        .services
                        .insert((namespace, resource.name()), *resource);
                }
                "Secret" => {
                    cluster.secrets.insert((namespace, resource.name()));
                }
                "ExternalSecret" => {
                    let target = resource.value["spec"]["target"]["name"]
                        .as_str()
                        .unwrap_or(resource.name());
                    cluster.secrets.insert((namespace, target));
                }
                _ => {}
            }
            // A Crossplane claim: its resource's connection details.
            if let Some(secret) =
                resource.value["spec"]["writeConnectionSecretToRef"]["name"].as_str()
                && resource.namespace().is_some()
            {
                cluster.secrets.insert((namespace, secret));
            }
            if let Some(template) = resource.pod_template() {
                let labels = template["metadata"]["labels"].as_object().unwrap_or(&EMPTY);
                let mut port_names = BTreeSet::new();
                let mut port_numbers = BTreeSet::new();
                for container in template["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    for port in container["ports"].as_array().into_iter().flatten() {
                        if let Some(name) = port["name"].as_str() {
                            port_names.insert(name);
                        }
                        if let Some(number) = port["containerPort"].as_i64() {
                            port_numbers.insert(number);
                        }
                    }
                }
                cluster.pods.entry(namespace).or_default().push(Pods {
                    kind: resource.kind(),
                    name: resource.name(),
                    labels,
                    port_names,
                    port_numbers,
                });
            }
        }
        cluster
    }

    fn check(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        self.argocd(&mut out);
        // Resource by resource on every thread (a render checked a cluster
        // at a time has one cluster to check), in order.
        let found: Vec<Vec<Diagnostic>> = self
            .resources
            .par_iter()
            .with_min_len(64)
            .map(|&(unit, resource)| self.check_resource(unit, resource))
            .collect();
        out.extend(found.into_iter().flatten());
        out
    }

    /// What the checks across resources find about one resource.
    fn check_resource(&self, unit: &RenderedUnit, resource: &Resource) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if !self
            .rendered
            .checks(self.name, resource.namespace().unwrap_or_default())
        {
            return out;
        }
        let report =
            |pointer: &str, message: String| finding(self.repo, unit, resource, pointer, message);
        self.namespace(unit, resource, &mut out);
        match resource.kind() {
            "Service" => self.service(resource, &report, &mut out),
            "HorizontalPodAutoscaler" => {
                let target = &resource.value["spec"]["scaleTargetRef"];
                let kind = target["kind"].as_str().unwrap_or_default();
                let name = target["name"].as_str().unwrap_or_default();
                let namespace = resource.namespace().unwrap_or_default();
                if !self.present.contains(&(namespace, kind, name)) {
                    out.push(report(
                        "/spec/scaleTargetRef/name",
                        format!("scales `{kind}/{name}`, which does not exist in namespace `{namespace}`"),
                    ));
                }
            }
            "PodDisruptionBudget" => {
                self.selects_pods(resource, "/spec/selector", &report, &mut out);
            }
            "NetworkPolicy" => {
                let selector = &resource.value["spec"]["podSelector"];
                let empty = selects_everything(selector);
                if !empty {
                    self.selects_pods(resource, "/spec/podSelector", &report, &mut out);
                }
            }
            "Ingress" => self.ingress(resource, &report, &mut out),
            "ServiceMonitor" => self.service_monitor(resource, &report, &mut out),
            "PodMonitor" => self.pod_monitor(resource, &report, &mut out),
            _ => {}
        }
        // A claim names a Composition the platform renders here.
        if let Some(composition) = resource.value["spec"]["compositionRef"]["name"].as_str()
            && resource.namespace().is_some()
            && !self.present.contains(&("", "Composition", composition))
        {
            out.push(report(
                "/spec/compositionRef/name",
                format!("Composition `{composition}` does not exist in this cluster"),
            ));
        }
        if let Some(template) = resource.pod_template() {
            self.pod_references(resource, template, &report, &mut out);
        }
        out
    }

    /// Argo CD objects: each Application's project exists, its source path
    /// is a directory of this cluster's rendered tree, its destination
    /// namespace exists; and every rendered directory of the cluster is
    /// synced by exactly one Application.
    fn argocd(&self, out: &mut Vec<Diagnostic>) {
        // The cluster's Argo CD unit carried as its summary: its
        // Applications, the directories they sync and the namespaces they
        // deploy to are as they were when they passed (`render::summary`),
        // unless an Application elsewhere changed, which only a render of
        // every unit checks against them.
        let carried = self
            .units
            .iter()
            .any(|unit| matches!(unit.kind, UnitKind::ArgoCd { .. }) && unit.summarised.is_some());
        if carried {
            let elsewhere = |(unit, resource): &&(&RenderedUnit, &Resource)| {
                resource.kind() == "Application" && !matches!(unit.kind, UnitKind::ArgoCd { .. })
            };
            if let Some(&(unit, resource)) = self.resources.iter().find(elsewhere) {
                out.push(finding(
                    self.repo,
                    unit,
                    resource,
                    "/spec",
                    "an Application outside the cluster's Argo CD unit is checked against every unit: render every unit".into(),
                ));
            }
            return;
        }
        let argocd_namespace = self.repo.platform.value.argocd.namespace.as_str();
        let prefix = format!("{}/", crate::render::unit::RENDERED_DIR);
        let own = [
            format!("{}/", self.name),
            format!("{}/{}/", crate::render::unit::ARGOCD_DIR, self.name),
        ];
        let mut owners: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for &(unit, resource) in &self.resources {
            if resource.api_version() != "argoproj.io/v1alpha1" || resource.kind() != "Application"
            {
                continue;
            }
            let report = |pointer: &str, message: String| {
                finding(self.repo, unit, resource, pointer, message)
            };
            let spec = &resource.value["spec"];
            let project = spec["project"].as_str().unwrap_or_default();
            if !self
                .present
                .contains(&(argocd_namespace, "AppProject", project))
            {
                out.push(report(
                    "/spec/project",
                    format!("AppProject `{project}` does not exist in this cluster"),
                ));
            }
            if let Some(namespace) = spec["destination"]["namespace"].as_str() {
                let creates = spec["syncPolicy"]["syncOptions"]
                    .as_array()
                    .is_some_and(|options| options.iter().any(|o| o == "CreateNamespace=true"));
                if !creates && !self.namespaces.contains(namespace) {
                    out.push(report(
                        "/spec/destination/namespace",
                        format!(
                            "destination namespace `{namespace}` is not created in this cluster"
                        ),
                    ));
                }
            }
            let sources: Vec<&Value> = spec
                .get("source")
                .into_iter()
                .chain(spec["sources"].as_array().into_iter().flatten())
                .collect();
            for source in sources {
                if source["repoURL"] != self.repo.platform.value.repo_url.as_str() {
                    continue; // a Helm chart or another repository
                }
                let Some(path) = source["path"].as_str() else {
                    continue;
                };
                let relative = path
                    .trim_end_matches('/')
                    .strip_prefix(&prefix)
                    .map(|p| format!("{p}/"));
                let exists = relative.as_ref().is_some_and(|dir| {
                    self.files
                        .range(dir.clone()..)
                        .next()
                        .is_some_and(|file| file.starts_with(dir.as_str()))
                });
                if !exists {
                    out.push(report(
                        "/spec/source/path",
                        format!("source path `{path}` does not exist in `rendered/`"),
                    ));
                } else if let Some(dir) = relative {
                    if !own.iter().any(|o| dir.starts_with(o.as_str())) {
                        out.push(report(
                            "/spec/source/path",
                            format!("source path `{path}` belongs to another cluster"),
                        ));
                    }
                    owners.entry(dir).or_default().push(resource.name());
                }
            }
        }
        for unit in &self.units {
            let dir = match unit.path.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/"),
                None => continue,
            };
            let apps = owners.get(&dir).map(Vec::as_slice).unwrap_or_default();
            let message = match apps {
                [_] => continue,
                [] => format!("no Application syncs `rendered/{dir}`"),
                many => format!(
                    "`rendered/{dir}` is synced by {} Applications: {}",
                    many.len(),
                    many.join(", ")
                ),
            };
            let location = crate::diagnostic::Location::file(format!(
                "{}/{}",
                crate::render::unit::RENDERED_DIR,
                unit.path
            ));
            out.push(Diagnostic::error(message).at(location).cluster(self.name).help("every rendered directory belongs to exactly one Application (see `platform/argocd/`)"));
        }
    }

    fn namespace(&self, unit: &RenderedUnit, resource: &Resource, out: &mut Vec<Diagnostic>) {
        let Some(namespace) = resource.namespace() else {
            return;
        };
        let namespaced = self
            .catalog
            .get(&unit.cluster, resource.api_version(), resource.kind())
            .is_none_or(|info| info.namespaced);
        if namespaced && !self.namespaces.contains(namespace) {
            out.push(
                finding(self.repo, unit, resource, "/metadata/namespace", format!("namespace `{namespace}` is not created in this cluster"))
                    .help("namespaces come from `platform/templates/` (one per team); a service always lives in its team's"),
            );
        }
    }

    fn matching_pods(&self, namespace: &str, selector: &Value) -> Vec<&Pods<'a>> {
        self.pods
            .get(namespace)
            .into_iter()
            .flatten()
            .filter(|pods| selects(selector, pods.labels))
            .collect()
    }

    fn selects_pods(
        &self,
        resource: &Resource,
        pointer: &str,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let namespace = resource.namespace().unwrap_or_default();
        let selector = resource
            .value
            .pointer(pointer)
            .cloned()
            .unwrap_or(Value::Null);
        if self.matching_pods(namespace, &selector).is_empty() {
            out.push(report(
                pointer,
                format!(
                    "selects no pods: no workload in namespace `{namespace}` has pods labelled {}",
                    labels_text(&selector)
                ),
            ));
        }
    }

    /// A ServiceMonitor selects Services of its namespace that have the
    /// ports it scrapes.
    fn service_monitor(
        &self,
        resource: &Resource,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let namespace = resource.namespace().unwrap_or_default();
        let selector = &resource.value["spec"]["selector"];
        let services: Vec<&Resource> = self
            .services
            .range((namespace, "")..)
            .take_while(|((ns, _), _)| *ns == namespace)
            .map(|(_, service)| *service)
            .filter(|service| {
                let labels = service.value["metadata"]["labels"]
                    .as_object()
                    .unwrap_or(&EMPTY);
                selects(selector, labels)
            })
            .collect();
        if services.is_empty() {
            out.push(report(
                "/spec/selector",
                format!(
                    "selects no Service: none in namespace `{namespace}` is labelled {}",
                    labels_text(selector)
                ),
            ));
            return;
        }
        for (index, endpoint) in resource.value["spec"]["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(port) = endpoint["port"].as_str() else {
                continue;
            };
            let found = services.iter().any(|service| {
                service.value["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == port)
            });
            if !found {
                out.push(report(
                    &format!("/spec/endpoints/{index}/port"),
                    format!("no Service it selects has a port named `{port}`"),
                ));
            }
        }
    }

    /// A PodMonitor selects pods that have the ports it scrapes.
    fn pod_monitor(
        &self,
        resource: &Resource,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let namespace = resource.namespace().unwrap_or_default();
        let selector = &resource.value["spec"]["selector"];
        let pods = self.matching_pods(namespace, selector);
        if pods.is_empty() {
            out.push(report(
                "/spec/selector",
                format!(
                    "selects no pods: no workload in namespace `{namespace}` has pods labelled {}",
                    labels_text(selector)
                ),
            ));
            return;
        }
        for (index, endpoint) in resource.value["spec"]["podMetricsEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(port) = endpoint["port"].as_str() else {
                continue;
            };
            if !pods.iter().any(|p| p.port_names.contains(port)) {
                out.push(report(
                    &format!("/spec/podMetricsEndpoints/{index}/port"),
                    format!("no pod it selects has a port named `{port}`"),
                ));
            }
        }
    }

    fn service(
        &self,
        resource: &Resource,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(selector) = resource.value["spec"]["selector"].as_object() else {
            return; // a Service without selector has manual endpoints
        };
        let namespace = resource.namespace().unwrap_or_default();
        let selector = serde_json::json!({ "matchLabels": selector });
        let pods = self.matching_pods(namespace, &selector);
        if pods.is_empty() {
            out.push(report(
                "/spec/selector",
                format!(
                    "selects no pods: no workload in namespace `{namespace}` has pods labelled {}",
                    labels_text(&selector)
                ),
            ));
            return;
        }
        for (index, port) in resource.value["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let reached = match &port["targetPort"] {
                Value::String(name) => pods.iter().any(|p| p.port_names.contains(name.as_str())),
                Value::Number(number) => {
                    let number = number.as_i64().unwrap_or_default();
                    pods.iter()
                        .any(|p| p.port_numbers.contains(&number) || p.port_numbers.is_empty())
                }
                _ => true,
            };
            if !reached {
                let workloads: Vec<String> = pods
                    .iter()
                    .map(|p| format!("{}/{}", p.kind, p.name))
                    .collect();
                out.push(report(
                    &format!("/spec/ports/{index}/targetPort"),
                    format!(
                        "target port {} is not a port of {}",
                        port["targetPort"],
                        workloads.join(", ")
                    ),
                ));
            }
        }
    }

    fn ingress(
        &self,
        resource: &Resource,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let namespace = resource.namespace().unwrap_or_default();
        let mut backends = Vec::new();
        if resource
            .value
            .pointer("/spec/defaultBackend/service")
            .is_some()
        {
            backends.push("/spec/defaultBackend/service".to_owned());
        }
        for (r, rule) in resource.value["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (p, _) in rule["http"]["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                backends.push(format!("/spec/rules/{r}/http/paths/{p}/backend/service"));
            }
        }
        for pointer in backends {
            let Some(backend) = resource.value.pointer(&pointer) else {
                continue;
            };
            let name = backend["name"].as_str().unwrap_or_default();
            let service = self.services.get(&(namespace, name)).copied();
            let Some(service) = service else {
                out.push(report(&format!("{pointer}/name"), format!("routes to Service `{name}`, which does not exist in namespace `{namespace}`")));
                continue;
            };
            let ports = service.value["spec"]["ports"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let port = &backend["port"];
            let found = match (port["name"].as_str(), port["number"].as_i64()) {
                (Some(wanted), _) => ports.iter().any(|p| p["name"] == wanted),
                (None, Some(wanted)) => ports.iter().any(|p| p["port"].as_i64() == Some(wanted)),
                _ => false,
            };
            if !found {
                out.push(report(
                    &format!("{pointer}/port"),
                    format!("Service `{name}` has no port {}", port_text(port)),
                ));
            }
        }
    }

    fn pod_references(
        &self,
        resource: &Resource,
        template: &Value,
        report: &dyn Fn(&str, String) -> Diagnostic,
        out: &mut Vec<Diagnostic>,
    ) {
        let namespace = resource.namespace().unwrap_or_default();
        let base = format!("{}/spec", pod_template_pointer(resource));
        let spec = &template["spec"];
        if let Some(account) = spec["serviceAccountName"].as_str()
            && account != "default"
            && !self
                .present
                .contains(&(namespace, "ServiceAccount", account))
        {
            out.push(report(
                &format!("{base}/serviceAccountName"),
                format!("ServiceAccount `{account}` does not exist in namespace `{namespace}`"),
            ));
        }
        let config_map = |name: &str| self.present.contains(&(namespace, "ConfigMap", name));
        let secret = |name: &str| self.secrets.contains(&(namespace, name));
        let mut check = |pointer: String, kind: &str, name: Option<&str>, optional: bool| {
            let Some(name) = name else { return };
            let exists = if kind == "ConfigMap" {
                config_map(name)
            } else {
                secret(name)
            };
            if !exists && !optional {
                out.push(report(
                    &pointer,
                    format!("{kind} `{name}` does not exist in namespace `{namespace}`"),
                ));
            }
        };
        for (v, volume) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
            let optional = |source: &Value| source["optional"] == true;
            if let Some(source) = volume.get("configMap") {
                check(
                    format!("{base}/volumes/{v}/configMap/name"),
                    "ConfigMap",
                    source["name"].as_str(),
                    optional(source),
                );
            }
            if let Some(source) = volume.get("secret") {
                check(
                    format!("{base}/volumes/{v}/secret/secretName"),
                    "Secret",
                    source["secretName"].as_str(),
                    optional(source),
                );
            }
        }
        // Where a container names a ConfigMap or Secret: the list, the
        // reference in each item, and what it refers to.
        const REFERENCES: [(&str, &str, &str); 4] = [
            ("envFrom", "configMapRef", "ConfigMap"),
            ("envFrom", "secretRef", "Secret"),
            ("env", "valueFrom/configMapKeyRef", "ConfigMap"),
            ("env", "valueFrom/secretKeyRef", "Secret"),
        ];
        for list in ["containers", "initContainers"] {
            for (c, container) in spec[list].as_array().into_iter().flatten().enumerate() {
                for (field, reference, kind) in REFERENCES {
                    let items = container[field].as_array().into_iter().flatten();
                    for (e, item) in items.enumerate() {
                        if let Some(reference_value) = item.pointer(&format!("/{reference}")) {
                            check(
                                format!("{base}/{list}/{c}/{field}/{e}/{reference}/name"),
                                kind,
                                reference_value["name"].as_str(),
                                reference_value["optional"] == true,
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Whether a label selector has neither `matchLabels` nor
/// `matchExpressions`, and so selects every pod.
pub(crate) fn selects_everything(selector: &Value) -> bool {
    selector["matchLabels"]
        .as_object()
        .is_none_or(Map::is_empty)
        && selector["matchExpressions"]
            .as_array()
            .is_none_or(Vec::is_empty)
}

/// Whether a label selector (`matchLabels` and `matchExpressions`) selects
/// pods with `labels`. An empty selector selects everything.
pub(crate) fn selects(selector: &Value, labels: &Map<String, Value>) -> bool {
    let matches_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    let matches_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|expression| {
            let key = expression["key"].as_str().unwrap_or_default();
            let values: Vec<&Value> = expression["values"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            let label = labels.get(key);
            match expression["operator"].as_str().unwrap_or_default() {
                "In" => label.is_some_and(|l| values.contains(&l)),
                "NotIn" => label.is_none_or(|l| !values.contains(&l)),
                "Exists" => label.is_some(),
                "DoesNotExist" => label.is_none(),
                _ => false,
            }
        });
    matches_labels && matches_expressions
}

fn labels_text(selector: &Value) -> String {
    let mut parts: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    if selector["matchExpressions"]
        .as_array()
        .is_some_and(|e| !e.is_empty())
    {
        parts.push("(and expressions)".into());
    }
    format!("`{}`", parts.join(","))
}

fn port_text(port: &Value) -> String {
    match (port["name"].as_str(), port["number"].as_i64()) {
        (Some(name), _) => format!("named `{name}`"),
        (None, Some(number)) => number.to_string(),
        _ => "(none given)".into(),
    }
}
