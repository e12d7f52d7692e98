use paved::cost::*;
use paved::inventory::ContainerFacts;
use std::collections::BTreeMap;

#[test]
fn money_reads_as_an_amount() {
    assert_eq!(money(1234.5, "EUR"), "EUR 1,234.50");
    assert_eq!(money(-0.004, "EUR"), "EUR 0.00");
    assert_eq!(money(-12.0, "USD"), "-USD 12.00");
}

#[test]
fn a_pod_requests_its_containers_or_its_largest_init_container() {
    let container = |init: bool, cpu: &str, memory: &str| ContainerFacts {
        name: String::new(),
        init,
        requests: [("cpu", cpu), ("memory", memory)]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into_iter()
            .collect(),
        limits: BTreeMap::new(),
    };
    let (cpu, memory) = pod_requests(&[
        container(false, "250m", "512Mi"),
        container(false, "100m", "256Mi"),
        container(true, "1", "128Mi"),
    ]);
    assert_eq!(cpu, 1.0);
    assert_eq!(memory, 0.75);
}
