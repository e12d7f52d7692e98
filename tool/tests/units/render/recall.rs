use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use paved::input::source::WorkTree;
use paved::render::recall::{Record, recall};

/// After one intent changed since an index was written, only that service
/// and its neighbours are resolved again: the services it names now or
/// named as the index read it, and those that name it. Every unit of
/// every other service is recalled with the fingerprint, the entry in its
/// cluster's context and the origin a full render gives it.
#[test]
fn only_a_changed_service_and_its_neighbours_are_resolved_again() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = WorkTree::new(&root).unwrap();
    let (repo, rendered) = paved::render::run(&source).unwrap();
    let now = paved::input::load::inputs(&source).unwrap();
    // As the index read it, checkout called `shipping-labels`, not
    // `inventory`.
    let checkout = "teams/payments/services/checkout.yaml";
    let before = std::fs::read_to_string(root.join(checkout))
        .unwrap()
        .replace(
            "[payments-gateway, inventory, auth]",
            "[payments-gateway, shipping-labels, auth]",
        );
    let mut read = now.clone();
    read.insert(
        checkout.into(),
        paved::support::hash::sha256(before.as_bytes()),
    );
    let unit = |path: &str| {
        let fingerprint = rendered.fingerprints.get(path)?.clone();
        Some((fingerprint, rendered.entries.get(path)?.clone()))
    };
    let earlier = |path: &str| (path == checkout).then(|| before.clone());
    let record = Record {
        inputs: &read,
        now: &now,
        unit: &unit,
        earlier: &earlier,
    };
    let (stale, recalled) = recall(&repo, &record, &|_| false).unwrap();
    let expected: BTreeSet<String> = [
        "checkout",         // changed
        "payments-gateway", // named by it, now and then
        "auth",
        "inventory",       // named now
        "shipping-labels", // named then
        "web-shop",        // names it
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(stale, expected);
    let service_units: BTreeMap<&str, &paved::render::RenderedUnit> = rendered
        .units
        .iter()
        .filter(|unit| unit.is_service())
        .map(|unit| (unit.path.as_str(), unit))
        .collect();
    for (path, unit) in &service_units {
        let service = path.split('/').nth(2).unwrap();
        match recalled.get(*path) {
            Some(recalled) => {
                assert!(!stale.contains(service), "{path}");
                assert_eq!(recalled.fingerprint, rendered.fingerprints[*path]);
                assert_eq!(recalled.entry, rendered.entries[*path]);
                assert_eq!(unit.origin, recalled.origin, "{path}");
            }
            None => assert!(stale.contains(service), "{path} is not recalled"),
        }
    }
    assert!(
        recalled
            .keys()
            .all(|path| service_units.contains_key(path.as_str()))
    );
    // Nothing is recalled when a file under `services/` that is not an
    // intent changed, nor when an intent the index read cannot be read.
    let mut api = read.clone();
    api.insert(
        "teams/payments/services/checkout.openapi.yaml".into(),
        "0".repeat(64),
    );
    let record = Record {
        inputs: &api,
        ..record
    };
    assert!(recall(&repo, &record, &|_| false).is_none());
    let unreadable = |_: &str| None;
    let record = Record {
        inputs: &read,
        earlier: &unreadable,
        ..record
    };
    assert!(recall(&repo, &record, &|_| false).is_none());
}
