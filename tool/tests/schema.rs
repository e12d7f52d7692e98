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
            "dora.json",
            "environment.json",
            "golden-path.json",
            "platform.json",
            "policy-config.json",
            "policy-exceptions.json",
            "resource-class.json",
            "scorecards.json",
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
    for dir in [
        "platform",
        "environments",
        "teams",
        "golden-paths",
        "policies",
    ] {
        collect_yaml(&root.join(dir), &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // API definitions beside intents follow their own formats' schemas.
        if text
            .lines()
            .any(|l| l.starts_with("openapi:") || l.starts_with("asyncapi:"))
        {
            continue;
        }
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
        } else if path.extension().is_some_and(|e| e == "yaml")
            // Golden-path snapshots are rendered manifests, not inputs.
            && !path.to_string_lossy().ends_with(".rendered.yaml")
        {
            out.push(path);
        }
    }
}

/// The committed schemas are what editors check against: every example
/// input passes them (no false underlines), and a typo does not.
#[test]
fn editors_accept_every_example_input_and_underline_a_typo() {
    let root = repo_root();
    let schema_of = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(root.join("schemas").join(name)).unwrap())
            .unwrap()
    };
    let mut files = Vec::new();
    for dir in [
        "platform",
        "environments",
        "teams",
        "golden-paths",
        "policies",
    ] {
        collect_yaml(&root.join(dir), &mut files);
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Some(reference) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# yaml-language-server: $schema="))
        else {
            continue;
        };
        let schema = schema_of(reference.rsplit('/').next().unwrap());
        let validator = jsonschema::validator_for(&schema).unwrap();
        let value: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
    let service = schema_of("service.json");
    let validator = jsonschema::validator_for(&service).unwrap();
    let text = std::fs::read_to_string(root.join("teams/storefront/services/sitemap-builder.yaml"))
        .unwrap();
    let mut value: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    value["params"]["schedul"] = "@daily".into();
    assert!(
        !validator.is_valid(&value),
        "an unknown cron-job param is underlined"
    );
    value["params"].as_object_mut().unwrap().remove("schedul");
    value["goldenPath"] = "web-servce".into();
    assert!(
        !validator.is_valid(&value),
        "an unknown golden path is underlined"
    );
}
