//! The Kubernetes API schemas, one document per supported version, made
//! strict.
//!
//! `tool/data/kubernetes/<version>.json` holds the JSON Schemas of the
//! built-in kinds paved validates, generated from k8s-openapi by
//! `tool/gen-kubernetes` (kept out of this build: data compiles in an
//! instant, k8s-openapi in minutes per version). They are lax where the
//! API server is not: they accept unknown fields, give `IntOrString` and
//! `Quantity` no type, and state enums and name formats only in prose.
//! `strict_definition` closes every object, types those values and adds
//! the enums and formats the API server enforces for the fields golden
//! paths use. A version's document is parsed on first use, each
//! definition made strict and each kind's schema built and compiled on
//! first use.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use serde_json::{Map, Value, json};

use crate::support::kept::{self, Kept};
use crate::support::kube::{
    LABEL, LABEL_1035, LABEL_VALUE, PORT_NAME, QUALIFIED_NAME, QUANTITY, SUBDOMAIN,
};

/// The Kubernetes minor versions paved has schemas for, oldest first, with
/// their documents.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("1.33", include_str!("../../data/kubernetes/1.33.json")),
    ("1.34", include_str!("../../data/kubernetes/1.34.json")),
    ("1.35", include_str!("../../data/kubernetes/1.35.json")),
    ("1.36", include_str!("../../data/kubernetes/1.36.json")),
    ("1.37", include_str!("../../data/kubernetes/1.37.json")),
];

/// An API version Kubernetes deprecated, and perhaps stopped serving, for
/// some kinds (from the Kubernetes deprecated API migration guide).
pub struct Retired {
    pub api_version: &'static str,
    pub kinds: &'static [&'static str],
    /// The minor version that deprecated it.
    pub deprecated_in: u32,
    /// The minor version that stopped serving it.
    pub removed_in: Option<u32>,
    /// What to use instead.
    pub replacement: &'static str,
}

const WORKLOADS: &[&str] = &["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"];
const RBAC: &[&str] = &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
const FLOW_CONTROL: &[&str] = &["FlowSchema", "PriorityLevelConfiguration"];

#[rustfmt::skip]
const RETIRED: &[Retired] = &[
    Retired { api_version: "extensions/v1beta1", kinds: WORKLOADS, deprecated_in: 9, removed_in: Some(16), replacement: "apps/v1" },
    Retired { api_version: "apps/v1beta1", kinds: WORKLOADS, deprecated_in: 9, removed_in: Some(16), replacement: "apps/v1" },
    Retired { api_version: "apps/v1beta2", kinds: WORKLOADS, deprecated_in: 9, removed_in: Some(16), replacement: "apps/v1" },
    Retired { api_version: "extensions/v1beta1", kinds: &["NetworkPolicy"], deprecated_in: 9, removed_in: Some(16), replacement: "networking.k8s.io/v1" },
    Retired { api_version: "extensions/v1beta1", kinds: &["Ingress"], deprecated_in: 14, removed_in: Some(22), replacement: "networking.k8s.io/v1" },
    Retired { api_version: "networking.k8s.io/v1beta1", kinds: &["Ingress", "IngressClass"], deprecated_in: 19, removed_in: Some(22), replacement: "networking.k8s.io/v1" },
    Retired { api_version: "rbac.authorization.k8s.io/v1beta1", kinds: RBAC, deprecated_in: 17, removed_in: Some(22), replacement: "rbac.authorization.k8s.io/v1" },
    Retired { api_version: "apiextensions.k8s.io/v1beta1", kinds: &["CustomResourceDefinition"], deprecated_in: 16, removed_in: Some(22), replacement: "apiextensions.k8s.io/v1" },
    Retired { api_version: "scheduling.k8s.io/v1beta1", kinds: &["PriorityClass"], deprecated_in: 14, removed_in: Some(22), replacement: "scheduling.k8s.io/v1" },
    Retired { api_version: "storage.k8s.io/v1beta1", kinds: &["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"], deprecated_in: 19, removed_in: Some(22), replacement: "storage.k8s.io/v1" },
    Retired { api_version: "admissionregistration.k8s.io/v1beta1", kinds: &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], deprecated_in: 16, removed_in: Some(22), replacement: "admissionregistration.k8s.io/v1" },
    Retired { api_version: "coordination.k8s.io/v1beta1", kinds: &["Lease"], deprecated_in: 19, removed_in: Some(22), replacement: "coordination.k8s.io/v1" },
    Retired { api_version: "batch/v1beta1", kinds: &["CronJob"], deprecated_in: 21, removed_in: Some(25), replacement: "batch/v1" },
    Retired { api_version: "policy/v1beta1", kinds: &["PodDisruptionBudget"], deprecated_in: 21, removed_in: Some(25), replacement: "policy/v1" },
    Retired { api_version: "policy/v1beta1", kinds: &["PodSecurityPolicy"], deprecated_in: 21, removed_in: Some(25), replacement: "Pod Security Admission (namespace labels)" },
    Retired { api_version: "discovery.k8s.io/v1beta1", kinds: &["EndpointSlice"], deprecated_in: 21, removed_in: Some(25), replacement: "discovery.k8s.io/v1" },
    Retired { api_version: "events.k8s.io/v1beta1", kinds: &["Event"], deprecated_in: 21, removed_in: Some(25), replacement: "events.k8s.io/v1" },
    Retired { api_version: "node.k8s.io/v1beta1", kinds: &["RuntimeClass"], deprecated_in: 20, removed_in: Some(25), replacement: "node.k8s.io/v1" },
    Retired { api_version: "autoscaling/v2beta1", kinds: &["HorizontalPodAutoscaler"], deprecated_in: 22, removed_in: Some(25), replacement: "autoscaling/v2" },
    Retired { api_version: "autoscaling/v2beta2", kinds: &["HorizontalPodAutoscaler"], deprecated_in: 23, removed_in: Some(26), replacement: "autoscaling/v2" },
    Retired { api_version: "flowcontrol.apiserver.k8s.io/v1beta1", kinds: FLOW_CONTROL, deprecated_in: 23, removed_in: Some(26), replacement: "flowcontrol.apiserver.k8s.io/v1" },
    Retired { api_version: "storage.k8s.io/v1beta1", kinds: &["CSIStorageCapacity"], deprecated_in: 24, removed_in: Some(27), replacement: "storage.k8s.io/v1" },
    Retired { api_version: "flowcontrol.apiserver.k8s.io/v1beta2", kinds: FLOW_CONTROL, deprecated_in: 26, removed_in: Some(29), replacement: "flowcontrol.apiserver.k8s.io/v1" },
    Retired { api_version: "flowcontrol.apiserver.k8s.io/v1beta3", kinds: FLOW_CONTROL, deprecated_in: 29, removed_in: Some(32), replacement: "flowcontrol.apiserver.k8s.io/v1" },
    Retired { api_version: "v1", kinds: &["Endpoints"], deprecated_in: 33, removed_in: None, replacement: "discovery.k8s.io/v1 EndpointSlice" },
];

/// Whether Kubernetes `version` (`"1.34"`) has deprecated or removed
/// `kind` in `api_version`.
pub fn retired(version: &str, api_version: &str, kind: &str) -> Option<&'static Retired> {
    let minor = minor(version)?;
    RETIRED.iter().find(|retired| {
        retired.api_version == api_version
            && retired.kinds.contains(&kind)
            && retired.deprecated_in <= minor
    })
}

/// The minor version of `version` (`"1.34"` gives 34).
pub fn minor(version: &str) -> Option<u32> {
    version.strip_prefix("1.")?.parse().ok()
}

/// One built-in kind: once needed, its schema (strict) and its validator.
pub struct Kind {
    pub api_version: String,
    pub kind: String,
    pub namespaced: bool,
    /// The definition that describes it, in its version's document.
    definition: String,
    definitions: Arc<Definitions>,
    schema: OnceLock<Value>,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

impl Kind {
    /// Its standalone, strict schema. Built the first time it is asked
    /// for: a command meets only a few of the hundred-odd built-in kinds.
    pub fn schema(&self) -> &Value {
        self.schema.get_or_init(|| {
            let mut schema = strict_root(&self.definitions, &self.definition);
            fix_identity(&mut schema, &self.api_version, &self.kind);
            schema
        })
    }

    pub fn validator(&self) -> Result<&jsonschema::Validator, &str> {
        self.validator
            .get_or_init(|| compile(self.schema()))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Compiles a schema, or copies (cheaply: its parts are shared) the
/// validator compiled from the same schema earlier in this process: each
/// command compiles the CRDs' and resource classes' schemas again.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    /// Each schema's validator, up to 64 MiB of schema text.
    static COMPILED: LazyLock<Mutex<Kept<String, Result<jsonschema::Validator, String>>>> =
        LazyLock::new(|| Mutex::new(Kept::new(64 << 20)));
    let key = schema.to_string();
    let size = key.len();
    let compiled = kept::get_or_make(&COMPILED, key, size, || {
        crate::input::schema::validator_options()
            .should_validate_formats(false)
            .build(schema)
            .map_err(|e| e.to_string())
    });
    compiled.as_ref().clone()
}

/// The built-in kinds of one Kubernetes version.
pub struct Schemas {
    pub version: &'static str,
    /// By kind; a kind may be served in several API versions.
    kinds: HashMap<String, Vec<Kind>>,
    /// The definition of `ObjectMeta`, and once needed its strict schema,
    /// for custom resources.
    object_meta_definition: String,
    object_meta: OnceLock<Value>,
    definitions: Arc<Definitions>,
}

/// The definitions of one version's document: as written, and each made
/// strict the first time a kind reaches it (kinds share most of theirs:
/// every workload reaches the pod's).
struct Definitions {
    written: Map<String, Value>,
    strict: HashMap<String, OnceLock<Value>>,
}

impl Definitions {
    fn new(written: Map<String, Value>) -> Definitions {
        let strict = written
            .keys()
            .map(|name| (name.clone(), OnceLock::new()))
            .collect();
        Definitions { written, strict }
    }

    /// `name`'s definition, made strict by [`strict_definition`].
    fn strict(&self, name: &str) -> Option<&Value> {
        let written = self.written.get(name)?;
        let strict = self.strict.get(name)?.get_or_init(|| {
            let mut definition = written.clone();
            strict_definition(name, &mut definition);
            definition
        });
        Some(strict)
    }
}

impl Schemas {
    /// The schemas of Kubernetes `version` (`"1.34"`), if paved has them.
    pub fn of(version: &str) -> Option<&'static Schemas> {
        static PARSED: [OnceLock<Schemas>; DOCUMENTS.len()] =
            [const { OnceLock::new() }; DOCUMENTS.len()];
        let index = DOCUMENTS.iter().position(|(v, _)| *v == version)?;
        let (version, text) = DOCUMENTS[index];
        Some(PARSED[index].get_or_init(|| Schemas::parse(version, text)))
    }

    fn parse(version: &'static str, text: &str) -> Schemas {
        let mut document: Value =
            serde_json::from_str(text).expect("the schema data is valid JSON");
        let definitions = match document["definitions"].take() {
            Value::Object(definitions) => Arc::new(Definitions::new(definitions)),
            _ => panic!("the schema data has definitions"),
        };
        let mut kinds: HashMap<String, Vec<Kind>> = HashMap::new();
        for entry in document["kinds"].as_array().into_iter().flatten() {
            let (Some(api_version), Some(kind), Some(definition)) = (
                entry["apiVersion"].as_str(),
                entry["kind"].as_str(),
                entry["definition"].as_str(),
            ) else {
                continue;
            };
            kinds.entry(kind.to_owned()).or_default().push(Kind {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
                namespaced: entry["namespaced"] == true,
                definition: definition.to_owned(),
                definitions: Arc::clone(&definitions),
                schema: OnceLock::new(),
                validator: OnceLock::new(),
            });
        }
        let meta = document["objectMeta"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Schemas {
            version,
            kinds,
            object_meta_definition: meta,
            definitions,
            object_meta: OnceLock::new(),
        }
    }

    /// The built-in kind `kind` in `api_version`, if this version serves it.
    pub fn get(&self, api_version: &str, kind: &str) -> Option<&Kind> {
        self.kinds
            .get(kind)?
            .iter()
            .find(|k| k.api_version == api_version)
    }

    /// Every apiVersion this version serves `kind` in.
    pub fn versions_of(&self, kind: &str) -> impl Iterator<Item = &str> {
        self.kinds
            .get(kind)
            .into_iter()
            .flatten()
            .map(|k| k.api_version.as_str())
    }

    /// The strict schema of `ObjectMeta`, for custom resources.
    pub fn object_meta(&self) -> &Value {
        self.object_meta
            .get_or_init(|| strict_root(&self.definitions, &self.object_meta_definition))
    }
}

/// The standalone, strict schema of the definition `name`: the definition
/// made strict, and every definition it reaches, made strict, under
/// `$defs`, as schemars writes a root schema.
fn strict_root(definitions: &Definitions, name: &str) -> Value {
    let mut reached = BTreeSet::new();
    let mut pending = vec![name.to_owned()];
    while let Some(next) = pending.pop() {
        let Some(definition) = definitions.written.get(&next) else {
            continue;
        };
        references(definition, &mut |target| {
            if target != name && reached.insert(target.to_owned()) {
                pending.push(target.to_owned());
            }
        });
    }
    let mut root = match definitions.written.get(name) {
        Some(Value::Object(definition)) => definition.clone(),
        _ => Map::new(),
    };
    root.insert("title".into(), json!(name));
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    if !reached.is_empty() {
        // Empty while the root is made strict (the definitions are
        // already), filled after: `$defs` keeps its place before what
        // `close` adds.
        root.insert("$defs".into(), Value::Object(Map::new()));
    }
    let mut root = Value::Object(root);
    // The root's own rules too: `ObjectMeta`'s name, namespace and label
    // formats are every custom resource's.
    tighten_definition(name, &mut root);
    close(&mut root);
    if let Some(Value::Object(defs)) = root.get_mut("$defs") {
        for key in reached {
            if let Some(definition) = definitions.strict(&key) {
                defs.insert(key, definition.clone());
            }
        }
    }
    root
}

/// Calls `found` with the definition name of every `$ref` in `schema`.
fn references(schema: &Value, found: &mut impl FnMut(&str)) {
    match schema {
        Value::Object(object) => {
            if let Some(target) = object
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                found(target);
            }
            object.values().for_each(|child| references(child, found));
        }
        Value::Array(items) => items.iter().for_each(|child| references(child, found)),
        _ => {}
    }
}

/// Fixes `apiVersion` and `kind` to the kind's own, and applies the name
/// rules the API server has for some kinds.
fn fix_identity(schema: &mut Value, api_version: &str, kind: &str) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert("apiVersion".into(), json!({"const": api_version}));
        properties.insert("kind".into(), json!({"const": kind}));
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        for field in ["apiVersion", "kind"] {
            if !required.iter().any(|r| r == field) {
                required.push(field.into());
            }
        }
    }
    // Services and namespaces need DNS-1035 / DNS-1123 labels, not subdomains.
    let name_rule = match kind {
        "Service" => Some((LABEL_1035, 63)),
        "Namespace" => Some((LABEL, 63)),
        _ => None,
    };
    if let (Some((pattern, max)), Some(object)) = (name_rule, schema.as_object_mut()) {
        let rule = json!({"properties": {"metadata": {"properties": {"name": {"pattern": pattern, "maxLength": max}}}}});
        object.insert("allOf".into(), json!([rule]));
    }
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

/// Makes the definition `name` strict: closes every object, types
/// int-or-string values and quantities, and adds the enums and formats
/// above.
fn strict_definition(name: &str, definition: &mut Value) {
    match name {
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => *definition = quantity(),
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON" => {
            // Any JSON value (k8s-openapi says object).
            *definition = json!({"description": "Any JSON value."});
        }
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
        | "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => {
            *definition = json!({"type": "string"});
        }
        _ => {
            tighten_definition(name, definition);
            close(definition);
        }
    }
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
pub fn custom_resource_schema(
    open_api: &Value,
    api_version: &str,
    kind: &str,
    meta: &Value,
) -> Value {
    let mut schema = open_api.clone();
    convert_open_api(&mut schema);
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
