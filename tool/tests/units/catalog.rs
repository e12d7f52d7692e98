use paved::catalog::*;

#[test]
fn names_and_tags_are_what_backstage_accepts() {
    assert_eq!(entity_name("Oskar.Nilsson"), "oskar.nilsson");
    assert_eq!(entity_name("a b@c"), "a-b-c");
    assert_eq!(entity_name("--"), "unnamed");
    assert_eq!(entity_name(&"x".repeat(80)).len(), 63);
    assert_eq!(tag("Web Service"), "web-service");
    assert_eq!(user_name("sara.haddad@northwind.dev"), "sara.haddad");
}
