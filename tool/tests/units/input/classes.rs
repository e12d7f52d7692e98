use paved::input::classes::plural;

#[test]
fn plurals_as_kubernetes_writes_them() {
    assert_eq!(plural("XPostgreSQLInstance"), "xpostgresqlinstances");
    assert_eq!(plural("XRedisCache"), "xrediscaches");
    assert_eq!(plural("XBucket"), "xbuckets");
    assert_eq!(plural("XKafkaTopic"), "xkafkatopics");
    assert_eq!(plural("XPolicy"), "xpolicies");
    assert_eq!(plural("XGateway"), "xgateways");
}
