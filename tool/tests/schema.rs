//! `paved schema`: the JSON Schemas editors use.

use crate::support::{Scratch, paved_in, repo_root};

#[test]
fn the_committed_schemas_are_fresh() {
    let outcome = paved_in(&repo_root(), &["schema", "--check"]);
    assert_eq!(
        outcome.code, 0,
        "run `cargo run -- schema` and commit schemas/\n{}",
        outcome.stderr
    );
}

#[test]
fn writes_one_schema_per_input_kind_and_check_catches_drift() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["schema", "--check"]).code, 1);
    let outcome = scratch.paved(&["schema"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let mut names: Vec<String> = scratch.tree("schemas").into_keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "environment.json",
            "golden-path.json",
            "platform.json",
            "policy-exceptions.json",
            "service.json",
            "team.json"
        ]
    );
    let service: serde_json::Value =
        serde_json::from_str(&scratch.read("schemas/service.json")).unwrap();
    assert_eq!(service["additionalProperties"], false);
    assert!(service["properties"]["environments"].is_object());
    assert_eq!(scratch.paved(&["schema", "--check"]).code, 0);
}

#[test]
fn every_example_input_points_editors_at_its_schema() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["platform", "environments", "teams", "golden-paths"] {
        collect_yaml(&root.join(dir), &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("# yaml-language-server: $schema="),
            "{} lacks a schema comment",
            file.display()
        );
        let schema = first.trim_start_matches("# yaml-language-server: $schema=");
        assert!(
            file.parent().unwrap().join(schema).is_file(),
            "{}: {schema} does not exist",
            file.display()
        );
    }
}

fn collect_yaml(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Templates are not YAML until rendered; CRDs are Kubernetes' own format.
            if !["templates", "crds", "argocd"]
                .contains(&path.file_name().unwrap().to_str().unwrap())
            {
                collect_yaml(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}
