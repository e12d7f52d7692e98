//! The inventory of the example organisation, built in process: who owns
//! what, and what runs where, read from the rendered output.

use paved::input::source::WorkTree;
use paved::inventory;

use crate::support::repo_root;

#[test]
fn the_example_inventory_says_who_owns_what_and_what_runs_where() {
    let source = WorkTree::new(&repo_root()).unwrap();
    let (repo, rendered) = paved::render::run(&source).expect("the example renders");
    let inventory = inventory::build(&repo, &rendered);

    let checkout = inventory.service("checkout").unwrap();
    assert_eq!(checkout.team, "payments");
    assert_eq!(checkout.golden_path, "web-service");
    assert_eq!(checkout.file, "teams/payments/services/checkout.yaml");
    assert_eq!(checkout.owners, ["oskar.nilsson@northwind.dev"]);
    assert_eq!(checkout.environments, ["dev", "staging", "prod"]);
    assert!(checkout.depends_on.contains(&"payments-gateway".to_owned()));
    assert!(checkout.secrets.contains(&"SIGNING_KEY".to_owned()));

    let prod: Vec<_> = checkout
        .deployments
        .iter()
        .filter(|d| d.environment == "prod")
        .collect();
    assert_eq!(prod.len(), 2, "two prod clusters");
    for deployment in prod {
        assert!(deployment.digest.as_deref().unwrap().starts_with("sha256:"));
        assert_eq!(
            (deployment.min_replicas, deployment.max_replicas),
            (Some(3), Some(20))
        );
        assert_eq!(deployment.replicas, None);
        assert_eq!(deployment.argocd_app, "checkout");
        assert!(
            deployment
                .routes
                .contains(&"shop.northwind.dev/api/checkout".to_owned()),
            "{:?}",
            deployment.routes
        );
    }
    let dev = &checkout.deployments[0];
    assert_eq!(dev.environment, "dev");
    assert_eq!(dev.tag.as_deref(), Some("3.8.0"));
    assert_eq!(dev.path, "rendered/dev-eu-west-1/payments/checkout");

    let ledger = inventory.service("ledger").unwrap();
    assert!(ledger.dependents.contains(&"payments-gateway".to_owned()));
    assert!(
        ledger
            .uses
            .iter()
            .any(|u| u.name == "ledger-db" && u.kind.as_deref() == Some("postgres"))
    );

    let settlement = inventory.service("settlement").unwrap();
    assert_eq!(
        settlement.deployments[0].workload.as_deref(),
        Some("CronJob")
    );
    assert_eq!(
        settlement.deployments[0].schedule.as_deref(),
        Some("0 4 * * *")
    );

    let payments = inventory
        .teams
        .iter()
        .find(|t| t.name == "payments")
        .unwrap();
    assert!(payments.services.contains(&"ledger".to_owned()));
    assert_eq!(payments.quotas["prod"].pods, 150);
    let order: Vec<&str> = inventory
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(order, ["dev", "staging", "prod"]);
}
