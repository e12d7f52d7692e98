//! Prints the JSON Schemas of the built-in kinds paved validates, for the
//! Kubernetes version chosen by cargo feature, as one document:
//!
//! ```json
//! {"kubernetesVersion": "1.34",
//!  "kinds": [{"apiVersion": "apps/v1", "kind": "Deployment",
//!             "namespaced": true, "definition": "io.k8s.api.apps.v1.Deployment"}],
//!  "definitions": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}
//! ```
//!
//! The schemas are k8s-openapi's, as schemars writes them (draft 2020-12,
//! references to `#/$defs/<definition>`); paved makes them strict when it
//! loads them. Definitions are shared by every kind and keyed by their
//! Kubernetes names, so the file reads like the API's own OpenAPI document.

use k8s_openapi::api::{
    apps, autoscaling, batch, core, networking, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

trait Scope {
    const NAMESPACED: bool;
}

impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

struct Document {
    kinds: Vec<Value>,
    definitions: Map<String, Value>,
}

impl Document {
    /// Adds `T`'s schema and definitions; returns the definition's name.
    fn schema<T: JsonSchema>(&mut self) -> String {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let mut root = generator.into_root_schema_for::<T>().to_value();
        let object = root.as_object_mut().expect("a root schema is an object");
        object.remove("$schema");
        let name = object
            .remove("title")
            .and_then(|title| title.as_str().map(str::to_owned))
            .unwrap_or_else(|| T::schema_name().into_owned());
        // k8s-openapi names every schema as the API does (`io.k8s...`).
        assert!(name.starts_with("io.k8s."), "unexpected schema name {name}");
        if let Some(Value::Object(definitions)) = object.remove("$defs") {
            for (key, definition) in definitions {
                self.add(key, definition);
            }
        }
        self.add(name.clone(), root);
        name
    }

    fn add(&mut self, name: String, definition: Value) {
        if let Some(existing) = self.definitions.get(&name) {
            assert_eq!(existing, &definition, "two different schemas named {name}");
        }
        self.definitions.insert(name, definition);
    }

    fn kind<T>(&mut self)
    where
        T: Resource + JsonSchema,
        T::Scope: Scope,
    {
        let definition = self.schema::<T>();
        self.kinds.push(json!({
            "apiVersion": T::API_VERSION,
            "kind": T::KIND,
            "namespaced": <T::Scope as Scope>::NAMESPACED,
            "definition": definition,
        }));
    }
}

fn main() {
    let version = env!("KUBERNETES_VERSION");
    let mut document = Document {
        kinds: Vec::new(),
        definitions: Map::new(),
    };
    document.kind::<core::v1::Namespace>();
    document.kind::<core::v1::ResourceQuota>();
    document.kind::<core::v1::LimitRange>();
    document.kind::<core::v1::ServiceAccount>();
    document.kind::<core::v1::ConfigMap>();
    document.kind::<core::v1::Secret>();
    document.kind::<core::v1::Service>();
    document.kind::<core::v1::Pod>();
    document.kind::<core::v1::PersistentVolumeClaim>();
    document.kind::<core::v1::PersistentVolume>();
    document.kind::<apps::v1::Deployment>();
    document.kind::<apps::v1::StatefulSet>();
    document.kind::<apps::v1::DaemonSet>();
    document.kind::<apps::v1::ReplicaSet>();
    document.kind::<batch::v1::Job>();
    document.kind::<batch::v1::CronJob>();
    document.kind::<autoscaling::v2::HorizontalPodAutoscaler>();
    document.kind::<policy::v1::PodDisruptionBudget>();
    document.kind::<networking::v1::NetworkPolicy>();
    document.kind::<networking::v1::Ingress>();
    document.kind::<networking::v1::IngressClass>();
    document.kind::<rbac::v1::Role>();
    document.kind::<rbac::v1::RoleBinding>();
    document.kind::<rbac::v1::ClusterRole>();
    document.kind::<rbac::v1::ClusterRoleBinding>();
    document.kind::<scheduling::v1::PriorityClass>();
    document.kind::<storage::v1::StorageClass>();
    document.kind::<apiextensions::CustomResourceDefinition>();
    let meta = document.schema::<ObjectMeta>();
    let out = json!({
        "kubernetesVersion": version,
        "generatedBy": "tool/gen-kubernetes from k8s-openapi 0.29.0; do not edit",
        "objectMeta": meta,
        "kinds": document.kinds,
        "definitions": document.definitions,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("JSON serialises"));
}
