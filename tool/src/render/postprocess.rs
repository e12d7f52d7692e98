//! Stage 6, post-process: standard labels, ConfigMap names suffixed with a
//! hash of their content (references rewritten, so a config change rolls
//! the pods), a fixed key order and a fixed resource order. Pure: no I/O.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::template::Resource;
use crate::input::repo::Repo;

/// Annotation that keeps a ConfigMap's name as written.
pub const NO_HASH_ANNOTATION: &str = "paved.dev/hash-suffix";

/// The order resources are written in: what must exist first comes first
/// (Helm's install order, with the custom resources paved emits placed
/// where they belong).
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ExternalSecret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "CompositeResourceDefinition",
    "Composition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "HTTPRoute",
    "GRPCRoute",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "AppProject",
    "Application",
];

/// Labels, hashing and ordering for one unit's resources. `labels` go on
/// every resource; `workload_labels` (the version) only on workloads and
/// their pods, so a new image changes the workload and nothing else.
pub fn finish(
    resources: &mut [Resource],
    labels: &BTreeMap<String, String>,
    workload_labels: &BTreeMap<String, String>,
) {
    for resource in resources.iter_mut() {
        add_labels(&mut resource.value, labels);
        if pod_template_mut(&mut resource.value).is_some() {
            add_labels(&mut resource.value, workload_labels);
        }
    }
    hash_config_maps(resources);
    for resource in resources.iter_mut() {
        order_keys(&mut resource.value);
    }
    resources.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
}

fn sort_key(resource: &Resource) -> (usize, &str, &str, &str) {
    let kind = resource.kind();
    let rank = KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len());
    (
        rank,
        kind,
        resource.namespace().unwrap_or_default(),
        resource.name(),
    )
}

/// The pod template of a workload, if it has one.
fn pod_template_mut(value: &mut Value) -> Option<&mut Value> {
    let pointer = crate::support::kube::pod_template_pointer(value["kind"].as_str()?)?;
    value.pointer_mut(pointer)
}

fn add_labels(value: &mut Value, labels: &BTreeMap<String, String>) {
    merge_labels(value, labels);
    if let Some(template) = pod_template_mut(value) {
        merge_labels(template, labels);
    }
}

fn merge_labels(object: &mut Value, labels: &BTreeMap<String, String>) {
    let Some(object) = object.as_object_mut() else {
        return;
    };
    let metadata = object
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let existing = metadata
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(existing) = existing.as_object_mut() else {
        return;
    };
    for (key, value) in labels {
        existing.insert(key.clone(), Value::String(value.clone()));
    }
}

fn hash_config_maps(resources: &mut [Resource]) {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for resource in resources.iter_mut() {
        if resource.kind() != "ConfigMap" {
            continue;
        }
        let opted_out = resource.value["metadata"]["annotations"][NO_HASH_ANNOTATION] == "false";
        if opted_out {
            continue;
        }
        let content = serde_json::json!({
            "data": resource.value.get("data"),
            "binaryData": resource.value.get("binaryData"),
        });
        let old = resource.name().to_owned();
        let new = format!("{old}-{}", crate::support::hash::content_hash(&content));
        resource.value["metadata"]["name"] = Value::String(new.clone());
        renames.insert(old, new);
    }
    if renames.is_empty() {
        return;
    }
    for resource in resources.iter_mut() {
        let pod_spec = match resource.kind() {
            "Pod" => resource.value.get_mut("spec"),
            _ => pod_template_mut(&mut resource.value).and_then(|t| t.get_mut("spec")),
        };
        if let Some(spec) = pod_spec {
            rename_references(spec, &renames);
        }
    }
}

/// Rewrites every place a pod spec names a ConfigMap.
fn rename_references(spec: &mut Value, renames: &BTreeMap<String, String>) {
    let rename = |slot: Option<&mut Value>| {
        if let Some(slot) = slot
            && let Some(new) = slot.as_str().and_then(|old| renames.get(old))
        {
            *slot = Value::String(new.clone());
        }
    };
    if let Some(Value::Array(volumes)) = spec.get_mut("volumes") {
        for volume in volumes {
            rename(volume.pointer_mut("/configMap/name"));
            if let Some(Value::Array(sources)) = volume.pointer_mut("/projected/sources") {
                for source in sources {
                    rename(source.pointer_mut("/configMap/name"));
                }
            }
        }
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(Value::Array(containers)) = spec.get_mut(list) else {
            continue;
        };
        for container in containers {
            if let Some(Value::Array(env)) = container.get_mut("env") {
                for var in env {
                    rename(var.pointer_mut("/valueFrom/configMapKeyRef/name"));
                }
            }
            if let Some(Value::Array(sources)) = container.get_mut("envFrom") {
                for source in sources {
                    rename(source.pointer_mut("/configMapRef/name"));
                }
            }
        }
    }
}

/// `apiVersion`, `kind`, `metadata` first; in metadata `name`, `namespace`,
/// `labels`, `annotations` first; labels and annotations sorted. Everything
/// else keeps the template's order, which is deterministic.
fn order_keys(value: &mut Value) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    front(object, &["apiVersion", "kind", "metadata"]);
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        order_metadata(metadata);
    }
    if let Some(template) = pod_template_mut(value)
        && let Some(Value::Object(metadata)) = template.get_mut("metadata")
    {
        order_metadata(metadata);
    }
}

fn order_metadata(metadata: &mut Map<String, Value>) {
    front(metadata, &["name", "namespace", "labels", "annotations"]);
    for key in ["labels", "annotations"] {
        if let Some(Value::Object(map)) = metadata.get_mut(key) {
            map.sort_keys();
        }
    }
}

fn front(object: &mut Map<String, Value>, keys: &[&str]) {
    let mut rest = std::mem::take(object);
    // No room to spare: a render holds every resource at once.
    *object = Map::with_capacity(rest.len());
    for key in keys {
        if let Some(value) = rest.shift_remove(*key) {
            object.insert((*key).to_owned(), value);
        }
    }
    object.extend(rest);
}

/// A label value Kubernetes accepts: at most 63 characters, starting and
/// ending with a letter or digit.
pub fn label_value(text: &str) -> String {
    let cut: String = text.chars().take(63).collect();
    cut.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// Records that the platform's labels on every resource come from
/// `platform.yaml`, so findings about them point there.
pub fn attribute_platform_labels(repo: &Repo, resources: &mut [Resource]) {
    let file = &repo.platform.file;
    for key in repo.platform.value.labels.keys() {
        let source = crate::support::pointer::pointer_push("/labels", key);
        let Some(span) = file.doc.span_for(&source, false) else {
            continue;
        };
        let location = crate::diagnostic::Location::at(&file.path, span);
        let escaped = crate::support::pointer::escape_token(key);
        for resource in resources.iter_mut() {
            for base in [
                "/metadata/labels",
                "/spec/template/metadata/labels",
                "/spec/jobTemplate/spec/template/metadata/labels",
            ] {
                // Only where the label is: a resource without a pod
                // template has nothing there to lead back, and every
                // resource of the organisation holds its own list.
                let path = format!("{base}/{escaped}");
                if resource.value.pointer(&path).is_some() {
                    resource.written.push((path, location.clone()));
                }
            }
        }
    }
}

pub fn standard_labels(repo: &Repo, environment: &str) -> BTreeMap<String, String> {
    let mut labels = repo.platform.value.labels.clone();
    labels.insert("app.kubernetes.io/managed-by".into(), "paved".into());
    labels.insert("paved.dev/environment".into(), environment.into());
    labels
}
