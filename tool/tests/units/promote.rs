use paved::promote::*;
use serde_json::json;

#[test]
fn releases_layer_as_resolve_does() {
    let intent = json!({
        "tag": "1.0.0",
        "environments": {
            "dev": {"tag": "1.1.0"},
            "staging": {},
            "prod": {"digest": "sha256:ab", "tag": "0.9.0"},
        }
    });
    let found = releases(&intent);
    assert_eq!(found["dev"], Release::Tag("1.1.0".into()));
    assert_eq!(found["staging"], Release::Tag("1.0.0".into()));
    assert_eq!(found["prod"], Release::Digest("sha256:ab".into()));
}

#[test]
fn versions_compare_as_numbers() {
    assert!(semver("1.10.0") > semver("1.9.3"));
    assert_eq!(semver("v2.0.1-rc.1"), Some((2, 0, 1)));
    assert_eq!(semver("latest-build"), None);
}
