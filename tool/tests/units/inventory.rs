use paved::inventory::*;

#[test]
fn image_references_split_into_tag_and_digest() {
    assert_eq!(
        image_parts("registry.example.com:5000/team/app:1.2.3"),
        (Some("1.2.3".into()), None)
    );
    assert_eq!(
        image_parts("ghcr.io/acme/app@sha256:abc"),
        (None, Some("sha256:abc".into()))
    );
    assert_eq!(
        image_parts("ghcr.io/acme/app:1.0@sha256:abc"),
        (Some("1.0".into()), Some("sha256:abc".into()))
    );
    assert_eq!(image_parts("localhost:5000/app"), (None, None));
}
