use paved::support::block_yaml::strings;
use serde_json::Value;

/// What a full parse finds at a path.
fn parsed(document: &str, path: &[&str]) -> Option<String> {
    string_at(&serde_yaml::from_str(document).ok()?, path)
}

/// The string at `path` in a value the parser read.
fn string_at(value: &Value, path: &[&str]) -> Option<String> {
    let pointer = path.iter().fold(String::new(), |p, s| {
        paved::support::pointer::pointer_push(&p, s)
    });
    value.pointer(&pointer)?.as_str().map(str::to_owned)
}

const WORKLOAD: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    paved.dev/environment: prod
    quoted: 'it''s'
    double: \"x: y\"
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/web:1.10
        args:
        - --port
        - '8080'
        env: []
      - name: sidecar
        image: \"proxy:2\"
      volumes:
        - name: tmp
          emptyDir: {}
";

#[test]
fn reads_what_a_full_parse_reads() {
    let paths: &[&[&str]] = &[
        &["metadata", "labels", "paved.dev/environment"],
        &["metadata", "labels", "quoted"],
        &["metadata", "labels", "double"],
        &["spec", "template", "spec", "containers", "0", "image"],
        &["spec", "template", "spec", "containers", "1", "image"],
        &["spec", "template", "spec", "containers", "0", "args", "1"],
        &["spec", "template", "spec", "volumes", "0", "name"],
        &["spec", "replicas"],
        &["spec", "template"],
        &["missing"],
    ];
    let fast = strings(WORKLOAD, paths).expect("the document is in the subset");
    let full: Vec<Option<String>> = paths.iter().map(|p| parsed(WORKLOAD, p)).collect();
    assert_eq!(fast, full);
    assert_eq!(fast[0].as_deref(), Some("prod"));
    assert_eq!(fast[1].as_deref(), Some("it's"));
    assert_eq!(fast[7], None, "2 is a number");
}

#[test]
fn a_plain_scalar_is_a_string_only_where_yaml_says_so() {
    for (value, expected) in [
        ("web:1.0", Some("web:1.0")),
        ("1.10", None),
        ("true", None),
        ("~", None),
        ("0x1F", None),
        ("1.0.0", Some("1.0.0")),
    ] {
        let document = format!("image: {value}\n");
        assert_eq!(
            strings(&document, &[&["image"]]).unwrap()[0].as_deref(),
            expected,
            "{value}"
        );
        assert_eq!(parsed(&document, &["image"]).as_deref(), expected);
    }
}

#[test]
fn leaves_anything_outside_the_subset_to_the_parser() {
    for document in [
        "# a comment\nkind: Deployment\n",
        "a: 1\n\nb: 2\n",
        "a: &anchor x\nb: *anchor\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: {b: c}\n",
        "a: [b, c]\n",
        "a: \"escaped \\\" quote\"\n",
        "a: 'unbalanced ' quote'\n",
        "a: 1\na: 2\n",
        "a:\n  b: 1\n   c: 2\n",
        "a:\n- - nested\n",
        "a:\n  b: 1\n c: 2\n",
        "a: x # comment\n",
        "'quoted key': 1\n",
        "true: 1\n",
        "a:\tb\n",
        "a: b\n...\n",
        "- item\n- item\nkey: value\n",
        "a:\n  - b\n  c: d\n",
    ] {
        assert_eq!(strings(document, &[&["a"]]), None, "{document:?}");
    }
}

/// Every string in every document paved renders for the example
/// organisation reads the same both ways.
#[test]
fn agrees_with_the_parser_on_the_example_output() {
    let rendered = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rendered");
    let mut documents = 0;
    let mut read_fast = 0;
    let mut stack = vec![rendered];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for document in text.split("\n---\n") {
                let Ok(value) = serde_yaml::from_str::<Value>(document) else {
                    continue;
                };
                documents += 1;
                let mut leaves = Vec::new();
                leaf_paths(&value, &mut Vec::new(), &mut leaves);
                let paths: Vec<Vec<&str>> = leaves
                    .iter()
                    .map(|p| p.iter().map(String::as_str).collect())
                    .collect();
                let paths: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
                let Some(fast) = strings(document, &paths) else {
                    continue;
                };
                read_fast += 1;
                for (path, fast) in paths.iter().zip(fast) {
                    assert_eq!(fast, string_at(&value, path), "{path:?} in {path:?}");
                }
            }
        }
    }
    assert!(documents > 100);
    assert!(
        read_fast * 2 > documents,
        "most of paved's own output is in the subset ({read_fast} of {documents})"
    );
}

fn leaf_paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                at.push(key.clone());
                leaf_paths(value, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                at.push(index.to_string());
                leaf_paths(value, at, out);
                at.pop();
            }
        }
        _ => out.push(at.clone()),
    }
}
