//! The Kubernetes API schemas, from k8s-openapi's types, made strict.
//!
//! k8s-openapi describes every built-in kind of one Kubernetes version. Its
//! schemas are lax where the API server is not: they accept unknown fields,
//! give `IntOrString` and `Quantity` no type, and state enums and name
//! formats only in prose. `strict` closes every object, types those values
//! and adds the enums and formats the API server enforces for the fields
//! golden paths use. Each schema is compiled once, on first use.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use k8s_openapi::api::{
    apps, autoscaling, batch, core, networking, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// The Kubernetes minor version the built-in schemas describe.
pub const VERSION: &str = "1.34";

/// A DNS-1123 subdomain (most object names).
pub const SUBDOMAIN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A DNS-1123 label (namespaces, container and volume names).
pub const LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A DNS-1035 label (Service names).
pub const LABEL_1035: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
/// A port name (IANA service name): at most 15 characters, a letter among them.
pub const PORT_NAME: &str = "^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A label or annotation key: an optional DNS prefix and a name.
pub const QUALIFIED_NAME: &str = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
/// A label value.
pub const LABEL_VALUE: &str = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/// A resource quantity, as the API server parses it.
pub const QUANTITY: &str =
    "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[mkMGTPE]|[eE][+-]?[0-9]+)?$";

/// Whether a kind has a namespace.
trait Scope {
    const NAMESPACED: bool;
}

impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

/// One built-in kind: its schema (strict) and, once needed, its validator.
pub struct Kind {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub schema: Value,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

impl Kind {
    pub fn validator(&self) -> Result<&jsonschema::Validator, &str> {
        self.validator
            .get_or_init(|| compile(&self.schema))
            .as_ref()
            .map_err(String::as_str)
    }
}

pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| e.to_string())
}

fn kind<T>() -> Kind
where
    T: Resource + JsonSchema,
    T::Scope: Scope,
{
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    strict(&mut schema);
    // apiVersion and kind are fixed for the kind.
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("apiVersion".into(), json!({"const": T::API_VERSION}));
        properties.insert("kind".into(), json!({"const": T::KIND}));
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        for field in ["apiVersion", "kind"] {
            if !required.iter().any(|r| r == field) {
                required.push(field.into());
            }
        }
    }
    // Services and namespaces need DNS-1035 / DNS-1123 labels, not subdomains.
    let name_rule = match T::KIND {
        "Service" => Some((LABEL_1035, 63)),
        "Namespace" => Some((LABEL, 63)),
        _ => None,
    };
    if let Some((pattern, max)) = name_rule {
        let rule = json!({"properties": {"metadata": {"properties": {"name": {"pattern": pattern, "maxLength": max}}}}});
        schema
            .as_object_mut()
            .expect("a kind's schema is an object")
            .insert("allOf".into(), json!([rule]));
    }
    Kind {
        api_version: T::API_VERSION,
        kind: T::KIND,
        namespaced: <T::Scope as Scope>::NAMESPACED,
        schema,
        validator: OnceLock::new(),
    }
}

/// The built-in kind `kind` in `api_version`, if paved knows it.
pub fn builtin(api_version: &str, kind: &str) -> Option<&'static Kind> {
    builtins()
        .get(kind)?
        .iter()
        .find(|k| k.api_version == api_version)
}

/// Every built-in kind paved validates, by kind.
pub fn builtins() -> &'static HashMap<&'static str, Vec<Kind>> {
    static KINDS: LazyLock<HashMap<&'static str, Vec<Kind>>> = LazyLock::new(|| {
        let mut kinds: HashMap<&'static str, Vec<Kind>> = HashMap::new();
        for kind in all_kinds() {
            kinds.entry(kind.kind).or_default().push(kind);
        }
        kinds
    });
    &KINDS
}

fn all_kinds() -> Vec<Kind> {
    vec![
        kind::<core::v1::Namespace>(),
        kind::<core::v1::ResourceQuota>(),
        kind::<core::v1::LimitRange>(),
        kind::<core::v1::ServiceAccount>(),
        kind::<core::v1::ConfigMap>(),
        kind::<core::v1::Secret>(),
        kind::<core::v1::Service>(),
        kind::<core::v1::Pod>(),
        kind::<core::v1::PersistentVolumeClaim>(),
        kind::<core::v1::PersistentVolume>(),
        kind::<apps::v1::Deployment>(),
        kind::<apps::v1::StatefulSet>(),
        kind::<apps::v1::DaemonSet>(),
        kind::<apps::v1::ReplicaSet>(),
        kind::<batch::v1::Job>(),
        kind::<batch::v1::CronJob>(),
        kind::<autoscaling::v2::HorizontalPodAutoscaler>(),
        kind::<policy::v1::PodDisruptionBudget>(),
        kind::<networking::v1::NetworkPolicy>(),
        kind::<networking::v1::Ingress>(),
        kind::<networking::v1::IngressClass>(),
        kind::<rbac::v1::Role>(),
        kind::<rbac::v1::RoleBinding>(),
        kind::<rbac::v1::ClusterRole>(),
        kind::<rbac::v1::ClusterRoleBinding>(),
        kind::<scheduling::v1::PriorityClass>(),
        kind::<storage::v1::StorageClass>(),
        kind::<apiextensions::CustomResourceDefinition>(),
    ]
}

/// The strict schema of `ObjectMeta`, for custom resources.
pub fn object_meta() -> &'static Value {
    static META: LazyLock<Value> = LazyLock::new(|| {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let mut schema = generator
            .into_root_schema_for::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>()
            .to_value();
        strict(&mut schema);
        schema
    });
    &META
}

/// Enums the API server enforces but the schemas state only in prose,
/// by definition and property.
const ENUMS: &[(&str, &str, &[&str])] = &[
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        &["Always", "Never", "IfNotPresent"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "terminationMessagePolicy",
        &["File", "FallbackToLogsOnError"],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "type",
        &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        &["ClientIP", "None"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        &["Always", "OnFailure", "Never"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "dnsPolicy",
        &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "preemptionPolicy",
        &["Never", "PreemptLowerPriority"],
    ),
    (
        "io.k8s.api.core.v1.SeccompProfile",
        "type",
        &["Localhost", "RuntimeDefault", "Unconfined"],
    ),
    (
        "io.k8s.api.core.v1.AppArmorProfile",
        "type",
        &["Localhost", "RuntimeDefault", "Unconfined"],
    ),
    (
        "io.k8s.api.core.v1.HTTPGetAction",
        "scheme",
        &["HTTP", "HTTPS"],
    ),
    (
        "io.k8s.api.core.v1.TopologySpreadConstraint",
        "whenUnsatisfiable",
        &["DoNotSchedule", "ScheduleAnyway"],
    ),
    (
        "io.k8s.api.core.v1.LimitRangeItem",
        "type",
        &["Container", "Pod", "PersistentVolumeClaim"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        &["Recreate", "RollingUpdate"],
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        "podManagementPolicy",
        &["OrderedReady", "Parallel"],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        &["Allow", "Forbid", "Replace"],
    ),
    (
        "io.k8s.api.batch.v1.JobSpec",
        "completionMode",
        &["NonIndexed", "Indexed"],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        "pathType",
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicyPort",
        "protocol",
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricSpec",
        "type",
        &[
            "ContainerResource",
            "External",
            "Object",
            "Pods",
            "Resource",
        ],
    ),
    (
        "io.k8s.api.autoscaling.v2.MetricTarget",
        "type",
        &["AverageValue", "Utilization", "Value"],
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetSpec",
        "unhealthyPodEvictionPolicy",
        &["AlwaysAllow", "IfHealthyBudget"],
    ),
];

/// Formats the API server enforces, by definition and property.
fn formats(definition: &str, property: &str) -> Option<Value> {
    let rule = match (definition, property) {
        ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "name") => {
            json!({"pattern": SUBDOMAIN, "maxLength": 253})
        }
        ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "namespace") => {
            json!({"pattern": LABEL, "maxLength": 63})
        }
        ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels") => json!({
            "propertyNames": {"pattern": QUALIFIED_NAME, "maxLength": 317},
            "additionalProperties": {"type": "string", "pattern": LABEL_VALUE, "maxLength": 63},
        }),
        ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "annotations") => json!({
            "propertyNames": {"pattern": QUALIFIED_NAME, "maxLength": 317},
        }),
        ("io.k8s.api.core.v1.Container", "name") | ("io.k8s.api.core.v1.Volume", "name") => {
            json!({"pattern": LABEL, "maxLength": 63})
        }
        ("io.k8s.api.core.v1.ContainerPort", "name") => {
            json!({"pattern": PORT_NAME, "maxLength": 15})
        }
        ("io.k8s.api.core.v1.ServicePort", "name") => json!({"pattern": LABEL, "maxLength": 63}),
        ("io.k8s.api.core.v1.ContainerPort", "containerPort")
        | ("io.k8s.api.core.v1.ServicePort", "port") => json!({"minimum": 1, "maximum": 65535}),
        ("io.k8s.api.core.v1.VolumeMount", "mountPath") => json!({"minLength": 1}),
        ("io.k8s.api.core.v1.EnvVar", "name") => json!({"minLength": 1, "pattern": "^[^=]+$"}),
        _ => return None,
    };
    Some(rule)
}

/// Closes every object, types int-or-string values and quantities, and adds
/// the enums and formats above.
pub fn strict(schema: &mut Value) {
    if let Some(Value::Object(definitions)) = schema.get_mut("$defs") {
        for (name, definition) in definitions.iter_mut() {
            match name.as_str() {
                "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
                    *definition = quantity();
                    continue;
                }
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON" => {
                    // Any JSON value (k8s-openapi says object).
                    *definition = json!({"description": "Any JSON value."});
                    continue;
                }
                "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
                | "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => {
                    *definition = json!({"type": "string"});
                    continue;
                }
                _ => {}
            }
            tighten_definition(name, definition);
            close(definition);
        }
    }
    close(schema);
}

fn quantity() -> Value {
    json!({
        "description": "A quantity such as `250m`, `1.5`, `512Mi` or `2Gi`.",
        "type": ["string", "number"],
        "pattern": QUANTITY,
    })
}

fn tighten_definition(name: &str, definition: &mut Value) {
    let Some(Value::Object(properties)) = definition.get_mut("properties") else {
        return;
    };
    for (property, schema) in properties.iter_mut() {
        for (definition, field, values) in ENUMS {
            if *definition == name
                && field == property
                && let Some(object) = schema.as_object_mut()
            {
                object.insert("enum".into(), json!(values));
            }
        }
        if let (Some(rule), Some(object)) = (formats(name, property), schema.as_object_mut()) {
            for (key, value) in rule.as_object().expect("rules are objects") {
                object.insert(key.clone(), value.clone());
            }
        }
    }
    if name == "io.k8s.api.networking.v1.NetworkPolicySpec"
        && let Some(items) = properties
            .get_mut("policyTypes")
            .and_then(|p| p.get_mut("items"))
    {
        *items = json!({"type": "string", "enum": ["Ingress", "Egress"]});
    }
}

/// Recursively: objects with properties accept no others; int-or-string
/// values get their two types.
fn close(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        object.insert("type".into(), json!(["integer", "string"]));
    }
    let preserve = object.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if object.contains_key("properties")
        && !object.contains_key("additionalProperties")
        && !preserve
    {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    for_each_subschema(object, close);
}

/// Calls `visit` on every direct subschema of a schema object.
fn for_each_subschema(object: &mut Map<String, Value>, visit: fn(&mut Value)) {
    for key in ["properties", "$defs", "patternProperties"] {
        if let Some(Value::Object(children)) = object.get_mut(key) {
            children.values_mut().for_each(visit);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = object.get_mut(key) {
            visit(child);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            children.iter_mut().for_each(visit);
        }
    }
}

/// Turns a CRD's `openAPIV3Schema` into a strict JSON Schema for its custom
/// resources: `nullable`, int-or-string and preserved fields as the API
/// server reads them, unknown fields refused, and `apiVersion`, `kind` and
/// `metadata` as every object has them.
pub fn custom_resource_schema(open_api: &Value, api_version: &str, kind: &str) -> Value {
    let mut schema = open_api.clone();
    convert_open_api(&mut schema);
    let meta = object_meta();
    let object = match schema.as_object_mut() {
        Some(object) => object,
        None => return json!({"type": "object"}),
    };
    let properties = object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(properties) = properties.as_object_mut() {
        properties.insert("apiVersion".into(), json!({"const": api_version}));
        properties.insert("kind".into(), json!({"const": kind}));
        let mut meta_ref = meta.clone();
        if let Some(meta_object) = meta_ref.as_object_mut() {
            meta_object.remove("$defs");
            meta_object.remove("$schema");
        }
        properties.insert("metadata".into(), meta_ref);
    }
    object.insert("type".into(), json!("object"));
    let required = object
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(required) = required {
        for field in ["apiVersion", "kind", "metadata"] {
            if !required.iter().any(|r| r == field) {
                required.push(field.into());
            }
        }
    }
    if let Some(definitions) = meta.get("$defs") {
        object.insert("$defs".into(), definitions.clone());
    }
    if !object.contains_key("additionalProperties")
        && object.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true))
    {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    object.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    schema
}

fn convert_open_api(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.remove("nullable") == Some(Value::Bool(true))
        && let Some(Value::String(kind)) = object.get("type").cloned()
    {
        object.insert("type".into(), json!([kind, "null"]));
    }
    if object.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        object.remove("anyOf");
        object.insert("type".into(), json!(["integer", "string"]));
    }
    let preserve = object.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let embedded = object.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    if object.get("type") == Some(&json!("object"))
        && !object.contains_key("additionalProperties")
        && !preserve
        && !embedded
    {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    for_each_subschema(object, convert_open_api);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(api_version: &str, kind: &str, value: Value) -> Vec<String> {
        let kind = builtin(api_version, kind).unwrap();
        kind.validator()
            .unwrap()
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    #[test]
    fn unknown_fields_types_enums_and_names_are_refused() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "Web_1", "labels": {"ok": "fine", "bad": "no spaces"}},
            "spec": {
                "replicas": "two",
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"spec": {"containers": [{
                    "name": "app", "image": "x", "imagePullPolicy": "Sometimes",
                    "ports": [{"containerPort": 70000}],
                    "resources": {"limits": {"memory": "lots"}},
                    "imagePullPolcy": "Always"
                }]}}
            }
        });
        let found = errors("apps/v1", "Deployment", deployment);
        let joined = found.join("\n");
        for expected in [
            "/metadata/name",
            "/metadata/labels/bad",
            "/spec/replicas",
            "/spec/template/spec/containers/0/imagePullPolicy",
            "/spec/template/spec/containers/0/ports/0/containerPort",
            "/spec/template/spec/containers/0/resources/limits/memory",
            "imagePullPolcy",
        ] {
            assert!(
                joined.contains(expected),
                "{expected} missing from:\n{joined}"
            );
        }
    }

    #[test]
    fn a_valid_service_passes() {
        let service = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
        });
        assert_eq!(errors("v1", "Service", service), Vec::<String>::new());
    }
}
