mod index;
mod sprintf;

use paved::rego::*;

#[test]
fn input_is_the_value_serde_gives() {
    use serde::Deserialize;
    let value = serde_json::json!({
        "kind": "Deployment",
        "numbers": [0, 1, -1, 18446744073709551615u64, -9223372036854775808i64, 0.5, -2.5e300, 1e-7],
        "nested": {"a": {"b": [null, true, false, "", "é ✓ \u{1F600}"]}, "": {}},
        "empty": [],
        "z": "last",
    });
    let expected = regorus::Value::deserialize(&value).expect("every JSON value is a Rego value");
    assert_eq!(input(&value), expected);
    assert_eq!(
        input(&value).to_json_str().unwrap(),
        expected.to_json_str().unwrap()
    );
}
