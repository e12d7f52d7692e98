//! Stage 6, post-process: standard labels, ConfigMap names suffixed with a
//! hash of their content (references rewritten, so a config change rolls
//! the pods), a fixed key order and a fixed resource order. Pure: no I/O.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::render::Resource;

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
    let pointer = crate::render::pod_template_pointer(value["kind"].as_str()?)?;
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

/// The first ten hex digits of the sha256 of a value in canonical JSON.
pub fn content_hash(value: &Value) -> String {
    let digest = Sha256::digest(canonical(value).as_bytes());
    hex(&digest[..5])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A sha256 of values as they serialise, without building the text: for
/// fingerprints, where key order is stable and speed matters.
#[derive(Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn add(&mut self, value: &(impl serde::Serialize + ?Sized)) -> &mut Self {
        serde_json::to_writer(&mut *self, value).expect("values serialise");
        self.0.update([0]);
        self
    }

    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

impl std::io::Write for Fingerprint {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON with object keys sorted at every level.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
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
        let new = format!("{old}-{}", content_hash(&content));
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
    for key in keys {
        if let Some(value) = rest.shift_remove(*key) {
            object.insert((*key).to_owned(), value);
        }
    }
    object.extend(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(value: Value) -> Resource {
        Resource {
            value,
            template: "t.yaml".into(),
            written: Vec::new(),
        }
    }

    #[test]
    fn config_maps_get_a_content_hash_and_references_follow() {
        let mut resources = vec![
            resource(
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"template": {"spec": {"containers": [{"name": "app", "envFrom": [{"configMapRef": {"name": "web-env"}}]}],
                "volumes": [{"name": "files", "configMap": {"name": "web-env"}}]}}}}),
            ),
            resource(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-env"}, "data": {"A": "1"}}),
            ),
        ];
        finish(&mut resources, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(resources[0].kind(), "ConfigMap");
        let name = resources[0].name().to_owned();
        assert!(
            name.starts_with("web-env-") && name.len() == "web-env-".len() + 10,
            "{name}"
        );
        let deployment = &resources[1].value;
        assert_eq!(
            deployment
                .pointer("/spec/template/spec/containers/0/envFrom/0/configMapRef/name")
                .unwrap(),
            &json!(name)
        );
        assert_eq!(
            deployment
                .pointer("/spec/template/spec/volumes/0/configMap/name")
                .unwrap(),
            &json!(name)
        );
    }

    #[test]
    fn the_hash_follows_content_not_key_order() {
        let a = content_hash(&json!({"data": {"A": "1", "B": "2"}}));
        let b = content_hash(&json!({"data": {"B": "2", "A": "1"}}));
        let c = content_hash(&json!({"data": {"A": "1", "B": "3"}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn labels_reach_pod_templates_and_keys_come_in_kubernetes_order() {
        let mut resources = vec![resource(
            json!({"spec": {"template": {"metadata": {}}}, "metadata": {"labels": {"z": "1"}, "name": "w"}, "kind": "Deployment", "apiVersion": "apps/v1"}),
        )];
        let labels = BTreeMap::from([("team".to_owned(), "shop".to_owned())]);
        finish(&mut resources, &labels, &BTreeMap::new());
        let value = &resources[0].value;
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(
            value
                .pointer("/spec/template/metadata/labels/team")
                .unwrap(),
            "shop"
        );
        let labels: Vec<&String> = value["metadata"]["labels"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(labels, ["team", "z"]);
    }
}
