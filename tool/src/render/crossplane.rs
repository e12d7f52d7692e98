//! The resource classes in Crossplane's terms: each class of
//! `platform/resources/` becomes, in every cluster's `_platform`, a
//! CompositeResourceDefinition (the composite kind, the claim kind services
//! create, its parameters' schema and connection keys) and the
//! Compositions its environment uses. `paved validate` checks every claim
//! against the schema of the claim kind these XRDs define
//! (`claim_schema`), as Crossplane's own generated CRD would. Pure: no
//! I/O.

use serde_json::{Value, json};

use super::template::Resource;
use crate::diagnostic::Location;
use crate::input::classes::{self, ClassEntry};
use crate::input::model::Environment;
use crate::input::repo::Repo;
use crate::support::pointer::pointer_push;

/// The API group and version of Crossplane's definitions.
pub const API_VERSION: &str = "apiextensions.crossplane.io/v1";

/// Where Crossplane writes composite resources' connection secrets
/// before copying them to each claim's namespace.
pub const CONNECTION_SECRETS_NAMESPACE: &str = "crossplane-system";

/// The CompositeResourceDefinition of a class; `environment` chooses its
/// default composition.
pub fn xrd(class: &ClassEntry, environment: &str) -> Value {
    let value = &class.value;
    let composite = classes::composite_kind(value);
    json!({
        "apiVersion": API_VERSION,
        "kind": "CompositeResourceDefinition",
        "metadata": {
            "name": format!("{}.{}", classes::plural(&composite), value.claim.group),
            "annotations": {"paved.dev/resource-class": value.name},
        },
        "spec": {
            "group": value.claim.group,
            "names": {"kind": composite, "plural": classes::plural(&composite)},
            "claimNames": {"kind": value.claim.kind, "plural": classes::plural(&value.claim.kind)},
            "connectionSecretKeys": value.connection_keys,
            "defaultCompositionRef": {
                "name": classes::composition_name(value, class.composition_for(environment)),
            },
            "versions": [{
                "name": value.claim.version,
                "served": true,
                "referenceable": true,
                "schema": {"openAPIV3Schema": {
                    "description": value.description,
                    "type": "object",
                    "properties": {"spec": {
                        "type": "object",
                        "required": ["parameters"],
                        "properties": {"parameters": classes::parameters_schema(value)},
                    }},
                }},
            }],
        },
    })
}

/// The Composition `name` of a class.
fn composition(class: &ClassEntry, name: &str) -> Option<Value> {
    let value = &class.value;
    let composition = value.compositions.get(name)?;
    Some(json!({
        "apiVersion": API_VERSION,
        "kind": "Composition",
        "metadata": {
            "name": classes::composition_name(value, name),
            "labels": {
                "paved.dev/resource-class": value.name,
                "paved.dev/composition": name,
            },
            "annotations": {"paved.dev/description": composition.description},
        },
        "spec": {
            "compositeTypeRef": {
                "apiVersion": format!("{}/{}", value.claim.group, value.claim.version),
                "kind": classes::composite_kind(value),
            },
            "writeConnectionSecretsToNamespace": CONNECTION_SECRETS_NAMESPACE,
            "mode": "Pipeline",
            "pipeline": composition.pipeline,
        },
    }))
}

fn at(class: &ClassEntry, pointer: &str) -> Location {
    match class.file.doc.span_for(pointer, true) {
        Some(span) => Location::at(&class.file.path, span),
        None => Location::file(&class.file.path),
    }
}

/// Every XRD, and the Compositions `environment` uses, for one cluster's
/// `_platform`. A finding in them points into the class file.
pub fn platform_resources(repo: &Repo, environment: &Environment) -> Vec<Resource> {
    let mut out = Vec::new();
    for class in repo.resource_classes.values() {
        let parameters =
            "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/parameters";
        out.push(Resource {
            value: xrd(class, &environment.name),
            template: class.file.path.clone(),
            written: vec![
                ("/spec/group".into(), at(class, "/claim/group")),
                ("/spec/names".into(), at(class, "/claim/kind")),
                ("/spec/claimNames".into(), at(class, "/claim/kind")),
                (
                    "/spec/connectionSecretKeys".into(),
                    at(class, "/connectionKeys"),
                ),
                (format!("{parameters}/properties/size"), at(class, "/sizes")),
                (parameters.into(), at(class, "/options")),
            ],
        });
        let name = class.composition_for(&environment.name);
        if let Some(value) = composition(class, name) {
            let base = pointer_push("/compositions", name);
            out.push(Resource {
                value,
                template: class.file.path.clone(),
                written: vec![(
                    "/spec/pipeline".into(),
                    at(class, &format!("{base}/pipeline")),
                )],
            });
        }
    }
    out
}

/// Everything the Crossplane output depends on, for `Plan::fingerprints`.
pub fn fingerprint(repo: &Repo) -> String {
    let mut hash = crate::support::hash::Fingerprint::default();
    for class in repo.resource_classes.values() {
        hash.add(&class.value);
    }
    hash.finish()
}

/// The OpenAPI schema of the claim kind an XRD defines, for one of its
/// versions: the XRD's own schema with the fields Crossplane adds to
/// every claim's `spec` (composition selection, the connection secret,
/// the composite it binds to), as Crossplane's generated CRD has them.
pub fn claim_schema(version_schema: &Value) -> Value {
    let mut schema = version_schema.clone();
    let reference = |required: &[&str], properties: Value| json!({"type": "object", "required": required, "properties": properties});
    let labels = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let added = [
        (
            "compositionRef",
            reference(&["name"], json!({"name": {"type": "string"}})),
        ),
        (
            "compositionSelector",
            reference(&["matchLabels"], json!({"matchLabels": labels})),
        ),
        (
            "compositionRevisionRef",
            reference(&["name"], json!({"name": {"type": "string"}})),
        ),
        (
            "compositionRevisionSelector",
            reference(&["matchLabels"], json!({"matchLabels": labels})),
        ),
        (
            "compositionUpdatePolicy",
            json!({"type": "string", "enum": ["Automatic", "Manual"]}),
        ),
        (
            "compositeDeletePolicy",
            json!({"type": "string", "enum": ["Background", "Foreground"]}),
        ),
        (
            "resourceRef",
            reference(
                &["apiVersion", "kind", "name"],
                json!({"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "name": {"type": "string"}}),
            ),
        ),
        (
            "writeConnectionSecretToRef",
            reference(
                &["name"],
                json!({"name": {"type": "string", "pattern": crate::support::kube::SUBDOMAIN, "maxLength": 253}}),
            ),
        ),
    ];
    if schema.pointer("/properties/spec").is_none() {
        schema["properties"]["spec"] = json!({"type": "object", "properties": {}});
    }
    if let Some(properties) = schema
        .pointer_mut("/properties/spec/properties")
        .and_then(Value::as_object_mut)
    {
        for (name, field) in added {
            properties.entry(name).or_insert(field);
        }
    }
    if let Some(properties) = schema
        .pointer_mut("/properties")
        .and_then(Value::as_object_mut)
    {
        properties
            .entry("status")
            .or_insert(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
    }
    schema
}
