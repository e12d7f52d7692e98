use paved::input::edit::*;
use paved::input::yaml::parse_document;
use serde_json::json;

fn edit(text: &str, change: impl FnOnce(&mut Editor<'_>)) -> String {
    let doc = parse_document("t.yaml", text).unwrap();
    let mut editor = Editor::new(text, &doc);
    change(&mut editor);
    editor.finish()
}

#[test]
fn replacing_a_value_keeps_everything_else() {
    let text = "# head\na: 1   # one\nb:\n  c: \"x\" # quoted\n  d: 'y'\ne: [1, 2]\n";
    let out = edit(text, |e| {
        e.set("/b/c", &json!("new"), None).unwrap();
        e.set("/b/d", &json!("it's"), None).unwrap();
        e.set("/a", &json!(2), None).unwrap();
        e.set("/e", &json!([3]), None).unwrap();
    });
    assert_eq!(
        out,
        "# head\na: 2   # one\nb:\n  c: \"new\" # quoted\n  d: 'it''s'\ne: [3]\n"
    );
}

#[test]
fn inserting_follows_the_neighbours() {
    let text = "envs:\n  dev: {tag: 1.0.0}   # first\n  prod:\n    tag: 0.9.0\n# tail\n";
    let out = edit(text, |e| {
        e.set("/envs/staging", &json!({"tag": "1.0.0"}), Some("dev"))
            .unwrap();
        e.set("/envs/prod/size", &json!("large"), None).unwrap();
    });
    assert_eq!(
        out,
        "envs:\n  dev: {tag: 1.0.0}   # first\n  staging: {tag: 1.0.0}\n  prod:\n    tag: 0.9.0\n    size: large\n# tail\n"
    );
    let out = edit("a:\n  dev:\n    tag: x\n", |e| {
        e.set("/a/prod", &json!({"tag": "y"}), None).unwrap();
        e.set("/a/dev/env", &json!({"A": "1"}), None).unwrap();
    });
    assert_eq!(
        out,
        "a:\n  dev:\n    tag: x\n    env:\n      A: \"1\"\n  prod:\n    tag: y\n"
    );
    let out = edit("a: {x: 1}\nb: {}\n", |e| {
        e.set("/a/y", &json!("two words"), None).unwrap();
        e.set("/b/z", &json!(true), None).unwrap();
    });
    assert_eq!(out, "a: {x: 1, y: two words}\nb: {z: true}\n");
}

#[test]
fn renaming_and_removing_keep_the_rest() {
    let text =
        "prod:\n  digest: sha256:aa  # pinned\n  size: large\nstaging: {tag: 1.2.0, size: small}\n";
    let out = edit(text, |e| {
        e.rename("/prod/digest", "tag", &json!("1.2.0")).unwrap();
        e.remove("/staging/size").unwrap();
    });
    assert_eq!(
        out,
        "prod:\n  tag: 1.2.0  # pinned\n  size: large\nstaging: {tag: 1.2.0}\n"
    );
    let out = edit("prod:\n  tag: 1\n  digest: sha256:x\n  size: l\n", |e| {
        e.remove("/prod/digest").unwrap()
    });
    assert_eq!(out, "prod:\n  tag: 1\n  size: l\n");
}

#[test]
fn block_values_are_replaced_whole() {
    let text = "env:\n  A: 1\n  B: two # c\nnext: x\n";
    let out = edit(text, |e| e.set("/env", &json!({"A": 2}), None).unwrap());
    assert_eq!(out, "env:\n  A: 2 # c\nnext: x\n");
}

#[test]
fn strings_are_quoted_only_when_they_must_be() {
    assert_eq!(scalar_text("1.2.0", None), "1.2.0");
    assert_eq!(scalar_text("1.20", None), "\"1.20\"");
    assert_eq!(scalar_text("true", None), "\"true\"");
    assert_eq!(scalar_text("a: b", None), "\"a: b\"");
    assert_eq!(scalar_text("sha256:ab", None), "sha256:ab");
    assert_eq!(scalar_text("", None), "\"\"");
}
