use paved::check::kubernetes::*;
use serde_json::{Value, json};

fn errors(api_version: &str, kind: &str, value: Value) -> Vec<String> {
    let kind = Schemas::of("1.34").unwrap().get(api_version, kind).unwrap();
    kind.validator()
        .unwrap()
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_supported_version_has_its_document() {
    let documents: Vec<&str> = DOCUMENTS.iter().map(|(version, _)| *version).collect();
    assert_eq!(documents, paved::support::kube::KUBERNETES_VERSIONS);
    for version in documents {
        let schemas = Schemas::of(version).unwrap();
        assert!(schemas.get("apps/v1", "Deployment").is_some(), "{version}");
    }
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

#[test]
fn a_custom_resource_has_the_name_and_label_rules_of_every_object() {
    let meta = Schemas::of("1.34").unwrap().object_meta();
    let schema = custom_resource_schema(
        &json!({"type": "object", "properties": {"spec": {"type": "object"}}}),
        "example.com/v1",
        "Widget",
        meta,
    );
    let validator = compile(&schema).unwrap();
    let widget = |metadata: Value| {
        let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": metadata, "spec": {}});
        validator
            .iter_errors(&widget)
            .map(|e| e.instance_path().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        widget(
            json!({"name": "fine-1", "namespace": "team-a", "labels": {"app.kubernetes.io/name": "fine"}})
        ),
        Vec::<String>::new()
    );
    let found = widget(
        json!({"name": "Bad_Name", "namespace": "Team A", "labels": {"bad key!": "no spaces"}}),
    );
    for expected in [
        "/metadata/name",
        "/metadata/namespace",
        "/metadata/labels/bad key!",
    ] {
        assert!(
            found.iter().any(|path| path == expected),
            "{expected} missing from {found:?}"
        );
    }
}
