use paved::input::model::PatchOperation;
use paved::render::patch::*;
use serde_json::Value;
use serde_json::json;

fn ops(value: Value) -> (Vec<PatchOperation>, Vec<json_patch::PatchOperation>) {
    (
        serde_json::from_value(value.clone()).unwrap(),
        serde_json::from_value(value).unwrap(),
    )
}

fn config_map() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}})
}

#[test]
fn replacing_the_whole_resource_with_a_scalar_is_refused_at_that_operation() {
    let (written, converted) = ops(json!([
        {"op": "add", "path": "/data/x", "value": "1"},
        {"op": "replace", "path": "", "value": 5}
    ]));
    let mut resource = config_map();
    let failure = apply_to(&mut resource, &written, &converted).unwrap_err();
    assert_eq!(failure.operation, 1);
    assert_eq!(
        failure.message,
        "the result is a number, not a Kubernetes object"
    );
}

#[test]
fn renaming_or_changing_kind_is_refused() {
    for (path, value, message) in [
        (
            "/kind",
            json!("Secret"),
            "`kind` changed from \"ConfigMap\" to \"Secret\"",
        ),
        (
            "/metadata/name",
            json!("b"),
            "`metadata.name` changed from \"a\" to \"b\"",
        ),
        (
            "/metadata",
            json!({}),
            "`metadata.name` changed from \"a\" to nothing",
        ),
        (
            "",
            json!({"kind": "ConfigMap"}),
            "the result has no `apiVersion`",
        ),
    ] {
        let (written, converted) = ops(json!([{"op": "replace", "path": path, "value": value}]));
        let mut resource = config_map();
        let failure = apply_to(&mut resource, &written, &converted).unwrap_err();
        assert_eq!(failure.message, message, "{path}");
    }
}

#[test]
fn copies_cannot_blow_a_resource_up() {
    // Each copy doubles `data`: forty of them would hold 2^40 values.
    let mut operations = vec![json!({"op": "add", "path": "/data/n", "value": {}})];
    for i in 0..40 {
        operations.push(json!({"op": "copy", "from": "/data", "path": format!("/data/n{i}")}));
    }
    let (written, converted) = ops(Value::Array(operations));
    let mut resource = config_map();
    let failure = apply_to(&mut resource, &written, &converted).unwrap_err();
    assert!(
        failure.message.contains("limit of 1,000,000 values"),
        "{}",
        failure.message
    );
    assert!(failure.operation < 25, "{}", failure.operation);
}

#[test]
fn copies_cannot_nest_a_resource_past_the_depth_limit() {
    let mut operations = Vec::new();
    let mut path = String::from("/data");
    for _ in 0..200 {
        path.push_str("/n");
        operations.push(json!({"op": "copy", "from": "/metadata", "path": path.clone()}));
        operations.push(json!({"op": "add", "path": path.clone(), "value": {}}));
    }
    let (written, converted) = ops(Value::Array(operations));
    let mut resource = config_map();
    let failure = apply_to(&mut resource, &written, &converted).unwrap_err();
    assert!(
        failure.message.contains("nested more than"),
        "{}",
        failure.message
    );
}
