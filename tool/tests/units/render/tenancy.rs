use paved::render::summary::normal_path;
use paved::render::tenancy::*;

#[test]
fn paths_and_grants() {
    assert_eq!(normal_path("/api/"), "/api");
    assert_eq!(normal_path("/"), "/");
    assert_eq!(normal_path("//"), "/");
    assert!(grant_covers("identity/jwks", "identity/jwks"));
    assert!(grant_covers("identity/shared/*", "identity/shared/x"));
    assert!(!grant_covers("identity/shared/*", "identity/sharedx"));
    assert!(!grant_covers("identity/jwks", "identity/jwks/x"));
}
