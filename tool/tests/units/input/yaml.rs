use paved::input::yaml::*;
use paved::support::limits::MAX_STRING_BYTES;
use paved::support::pointer::field_path;
use paved::support::text::{human_bytes, human_count};
use serde_json::Value;
use serde_json::json;

#[test]
fn resolves_core_schema_scalars() {
    let doc = parse_document(
        "t.yaml",
        "a: yes\nb: 1.20\nc: 0x1f\nd: ~\ne: '3'\nf: -7\ng: on\nh: 1e3\n",
    )
    .unwrap();
    assert_eq!(
        doc.value,
        json!({"a": "yes", "b": 1.2, "c": 31, "d": null, "e": "3", "f": -7, "g": "on", "h": 1000.0})
    );
}

#[test]
fn records_key_and_value_positions() {
    let doc = parse_document("t.yaml", "top:\n  inner: [1, 2]\n  name: \"x\"\n").unwrap();
    let inner = doc.node("/top/inner").unwrap();
    assert_eq!(inner.key.as_ref().unwrap().line, 2);
    assert_eq!(inner.key.as_ref().unwrap().column, 3);
    let item = doc.node("/top/inner/1").unwrap();
    assert_eq!((item.value.line, item.value.column), (2, 14));
    let name = doc.node("/top/name").unwrap();
    assert_eq!(name.value.column, 9);
}

/// Every JSON pointer in `value`, the root's (`""`) first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let token = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{token}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// An input the quick reader reads (most intents) is located as the full
/// parser locates it: every node of every document, found only when a
/// finding asks.
#[test]
fn documents_read_quickly_are_located_as_the_parser_locates_them() {
    let text = "name: web # the service\nports:\n  http: 8080\nroutes:\n  public: {host: a.example.com, path: /}\nenv:\n  A/B~C: \"x\"\n  LIST: [1, 2]\nscript: |\n  one\n  two\n---\nsecond:\n  - é: ü\n  - plain text\n";
    // A tab in a last comment takes the text out of the quick reader's
    // subset and changes no node before it.
    let slow = format!("{text}#\t\n");
    assert!(fast::parse(text).is_some() && fast::parse(&slow).is_none());
    let quick = parse_documents("t.yaml", text).unwrap();
    let full = parse_documents("t.yaml", &slow).unwrap();
    assert_eq!(quick.len(), 2);
    for (quick, full) in quick.iter().zip(&full) {
        assert_eq!(quick.value, full.value);
        let mut all = Vec::new();
        pointers(&full.value, String::new(), &mut all);
        for pointer in &all {
            let (a, b) = (quick.node(pointer), full.node(pointer));
            assert!(b.is_some(), "{pointer}");
            assert_eq!(
                a.map(|n| (&n.key, &n.value, n.end)),
                b.map(|n| (&n.key, &n.value, n.end)),
                "{pointer}"
            );
        }
        assert_eq!(
            quick.span_for("/missing/field", true),
            full.span_for("/missing/field", true)
        );
    }
}

#[test]
fn refuses_duplicate_keys() {
    let error = parse_document("t.yaml", "a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(error.message, "duplicate key `a`");
    assert_eq!(error.location.unwrap().span.unwrap().line, 3);
}

#[test]
fn field_paths_read_like_code() {
    assert_eq!(
        field_path("/environments/prod/ports/0"),
        "environments.prod.ports[0]"
    );
    assert_eq!(field_path("/a~1b/c~0d"), "a/b.c~d");
    assert_eq!(field_path(""), "");
}

#[test]
fn spans_are_found_through_escaped_keys_and_indexes() {
    let doc = parse_document("t.yaml", "a/b:\n  - x\n  - {c~d: 1}\n").unwrap();
    assert_eq!(doc.node("/a~1b/1/c~0d").unwrap().value.line, 3);
    assert!(doc.node("/a~1b/2").is_none());
    assert!(doc.node("/a~1b/+1").is_none());
    assert_eq!(doc.span_for("/a~1b/1/missing", false).unwrap().line, 3);
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn nesting_is_limited_aliases_included() {
    // The scalar sits at depth 100: accepted; one more level is not.
    assert!(parse_document("t.yaml", &nested(paved::support::limits::MAX_DEPTH)).is_ok());
    let error =
        parse_document("t.yaml", &nested(paved::support::limits::MAX_DEPTH + 1)).unwrap_err();
    assert!(
        error.message.contains("limit of 100 levels"),
        "{}",
        error.message
    );
    let text = format!(
        "a: &a {}\nb: {}*a{}\n",
        nested(60),
        "[".repeat(50),
        "]".repeat(50)
    );
    let error = parse_document("t.yaml", &text).unwrap_err();
    assert!(error.message.contains("alias"), "{}", error.message);
    assert_eq!(error.location.unwrap().span.unwrap().line, 2);
}

#[test]
fn aliases_are_charged_for_what_they_copy() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..8 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    let error = parse_document("t.yaml", &text).unwrap_err();
    assert!(
        error
            .message
            .starts_with("aliases in this file expand past"),
        "{}",
        error.message
    );
    // A few aliases are fine, and anchors do not leak between documents.
    let doc = parse_document("t.yaml", "a: &x [1, 2]\nb: *x\nc: *x\n").unwrap();
    assert_eq!(doc.value["c"], json!([1, 2]));
    assert!(parse_documents("t.yaml", "a: &x 1\n---\nb: *x\n").is_err());
}

#[test]
fn too_many_values_are_refused_without_aliases_too() {
    let text = format!(
        "[{}]",
        vec!["1"; paved::support::limits::MAX_NODES + 1].join(",")
    );
    let error = parse_values("t.yaml", &text).unwrap_err();
    assert_eq!(
        error.message,
        "this file holds more than the limit of 1,000,000 values"
    );
}

#[test]
fn long_keys_and_strings_are_refused() {
    let key = "k".repeat(paved::support::limits::MAX_KEY_BYTES + 1);
    let error = parse_document("t.yaml", &format!("? {key}\n: 1\n")).unwrap_err();
    assert_eq!(
        error.message,
        "this key is 1,025 bytes, over the limit of 1 KiB"
    );
    let error = parse_document("t.yaml", &format!("{key}: 1\n")).unwrap_err();
    assert_eq!(
        error.message,
        "this key is 1,025 bytes, over the limit of 1 KiB"
    );
    let text = format!(
        "a:\n  b: \"{}\"\n",
        "x".repeat(paved::support::limits::MAX_STRING_BYTES + 1)
    );
    let error = parse_document("t.yaml", &text).unwrap_err();
    assert_eq!(
        error.message,
        "this value is 1,048,577 bytes, over the limit of 1 MiB per string"
    );
    assert_eq!(error.field.as_deref(), Some("a.b"));
    let error =
        parse_values("t.yaml", &"#".repeat(paved::support::limits::MAX_BYTES + 1)).unwrap_err();
    assert_eq!(
        error.message,
        "the YAML is 8,388,609 bytes, over the limit of 8 MiB per file"
    );
}

#[test]
fn sizes_and_counts_read_well() {
    assert_eq!(human_bytes(812), "812 bytes");
    assert_eq!(human_bytes(3277), "3.2 KiB");
    assert_eq!(human_bytes(8 << 20), "8 MiB");
    assert_eq!(human_count(1_000_000), "1,000,000");
    assert_eq!(human_count(999), "999");
}

#[test]
fn non_ascii_positions_are_bytes() {
    let doc = parse_document("t.yaml", "é: ü\nnext: 1\n").unwrap();
    let next = doc.node("/next").unwrap();
    let key = next.key.as_ref().unwrap();
    assert_eq!(&"é: ü\nnext: 1\n"[key.bytes.clone()], "next");
}

/// What the full parser reads.
fn full(text: &str) -> Vec<Value> {
    parse_full_values("t.yaml", text).expect("valid YAML")
}

fn agrees(text: &str) {
    let fast = fast::parse(text).unwrap_or_else(|| panic!("not read quickly:\n{text}"));
    assert_eq!(
        serde_json::to_string(&fast).unwrap(),
        serde_json::to_string(&full(text)).unwrap(),
        "on:\n{text}"
    );
}

#[test]
fn quick_reader_reads_what_templates_print() {
    agrees("a: 1\nb: \"two\\n\\u00e9 \\\"q\\\" \\\\\"\nc:\n  - x\n  - y: 1\n    z: 'it''s'\n");
    agrees(
        "# comment\n---\nkind: A\nlist:\n- 1\n- -2.5\n-\n  - nested\nempty:\nnull: ~\nyes: yes\n---\n\n---\nb: true # trailing\n",
    );
    agrees(
        "data:\n  one: |\n    {\n\n      \"a\": 1\n    }\n\n  two: |-\n\n    text\n    # not a comment\n  three: 0o17\n",
    );
    agrees(
        "spec:\n  - name: a\n    args:\n    - x\n    env:\n      - name: B\n        value: \"1\"\n  - name: b\n",
    );
    agrees("\"quoted key\": v\nurl: http://example.com/a#b\nexpr: sum(rate(x{a=\"b\"}[5m])) > 0\n");
    agrees("selector: {\"app\":\"a\",\"n\":[1,-2,3.5,1e-7,true,null,{}]}\nlist:\n  - []\n");
    agrees(
        "drop: [ALL]\nrules:\n  - {group: \"\", kind: Role, n: 1.50, x: yes}\n  - [a b, 'c', [\"d\"], {}]  # c\n",
    );
}

#[test]
fn quick_reader_keeps_nested_collections_apart() {
    // Each collection is gathered on a stack the whole document shares:
    // an inner one must take only its own entries, whatever came before.
    agrees("x: 1\na:\n  x: 2\n  y: [3, {x: 4}]\nb:\n- 5\n- c: 6\n  d:\n  - 7\n- 8\ne: 9\n");
    agrees("- a: 1\n  b:\n    c: 2\n- d: 3\n---\nx: [1, [2, 3], {y: 4}]\n");
    // A key repeated deeper in the document is still the full parser's.
    for text in [
        "x: 1\na:\n  b: 1\n  b: 2\n",
        "- a: 1\n  a: 2\n",
        "a:\n- x\n- {b: 1, b: 2}\n",
    ] {
        assert!(
            fast::parse(text).is_none(),
            "read quickly, but should not be:\n{text}"
        );
    }
}

#[test]
fn quick_reader_leaves_strings_over_the_limit_to_the_full_parser() {
    let long = "x".repeat(MAX_STRING_BYTES + 1);
    for text in [
        format!("a: {long}\n"),
        format!("a: \"{long}\"\n"),
        format!("a: [{long}]\n"),
        format!("a: |\n  {long}\n"),
    ] {
        assert!(fast::parse(&text).is_none());
        assert!(parse_values("t.yaml", &text).is_err());
    }
}

#[test]
fn quick_reader_leaves_the_rest_to_the_full_parser() {
    for text in [
        "a: {\"b\":1,\"b\":2}\n",
        "a: [1, 2,]\n",
        "a: {b}\n",
        "a: {b:1}\n",
        "a: [1, 2\n",
        "a: [x #y]\n",
        "a: [&x 1]\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: >\n  folded\n",
        "a: plain\n  continued\n",
        "a: \"open\n  quote\"\n",
        "a: 1\na: 2\n",
        "<<: {}\n",
        "  indented: root\n",
        "just a scalar\n",
        "a:\tb\n",
        "a: b: c\n",
        "--- inline\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: |2\n  x\n",
        "a: |\n\n",
        "a: # comment\n  b: 1\n",
        "? complex\n: key\n",
        "a: \"\\ud83d\"\n",
        "a: \"\\x41\"\n",
        "a: .inf\n",
        "- - nested\n",
        "a: |\n  x\n  ",
    ] {
        assert!(
            fast::parse(text).is_none(),
            "read quickly, but should not be:\n{text}"
        );
    }
}
