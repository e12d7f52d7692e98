use paved::render::postprocess::*;
use paved::render::template::Resource;
use serde_json::Value;
use serde_json::json;
use std::collections::BTreeMap;

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
    let a = paved::support::hash::content_hash(&json!({"data": {"A": "1", "B": "2"}}));
    let b = paved::support::hash::content_hash(&json!({"data": {"B": "2", "A": "1"}}));
    let c = paved::support::hash::content_hash(&json!({"data": {"A": "1", "B": "3"}}));
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
