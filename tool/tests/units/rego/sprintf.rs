use paved::rego::sprintf::*;
use regorus::Value;

fn v(json: &str) -> Vec<Value> {
    match Value::from_json_str(json).unwrap() {
        Value::Array(items) => items.iter().cloned().collect(),
        _ => unreachable!(),
    }
}

/// Each expectation is what OPA 1.20 prints.
#[test]
fn prints_as_go_does() {
    let cases = [
        ("%d%%", "[50]", "50%"),
        (
            "%q",
            r#"[{"k": [1, true, null]}]"#,
            r#""{\"k\": [1, true, null]}""#,
        ),
        ("%q", r#"["a"]"#, r#""a""#),
        ("%.2f", "[0]", "%!f(int64=00)"),
        ("%x", "[255]", "ff"),
        ("%5s|", r#"["ab"]"#, "   ab|"),
        ("%-5s|", r#"["ab"]"#, "ab   |"),
        ("%v", r#"[{"a": 1}]"#, r#"{"a": 1}"#),
        ("%s", r#"[[1, "a"]]"#, r#"[1, "a"]"#),
        ("%t", "[true]", "%!t(string=true)"),
        ("%e", "[1.5]", "1.500000e+00"),
        ("%v, %.2f", "[0.5, 0.5]", "0.5, 0.50"),
        ("%s %s", r#"["a"]"#, "a %!s(MISSING)"),
        ("%s", r#"["a", 1]"#, "a%!(EXTRA int64=1)"),
        ("%d", r#"["x"]"#, "%!d(string=x)"),
        ("%05d", "[-42]", "-0042"),
        ("%v", "[1e21]", "1e+21"),
        ("%v", "[0.00001]", "1e-05"),
    ];
    for (format, args, expected) in cases {
        assert_eq!(sprintf(format, &v(args)), expected, "{format} {args}");
    }
}
