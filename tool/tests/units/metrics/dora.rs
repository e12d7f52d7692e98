use paved::input::model::Dora;
use paved::input::source::git::history::MainLine;
use paved::metrics::history::{DAY, ManifestFacts, Window};
use std::sync::Arc;

use paved::input::source::git::history::{LineCommit, UnitChange};
use paved::metrics::dora::*;

const HOUR: i64 = 3_600;
const T0: i64 = 20_000 * DAY;

/// A commit at `hours` after T0 changing `service` in `env` (cluster
/// `<env>-1`) to `release` (`None`: removed).
fn commit(hours: i64, changes: &[(&str, &str, Option<&str>)]) -> LineCommit<ManifestFacts> {
    LineCommit {
        id: format!("{hours:012}"),
        time: T0 + hours * HOUR,
        author: String::new(),
        subject: String::new(),
        reverts: Vec::new(),
        platform_files: false,
        teams: Vec::new(),
        new_services: Vec::new(),
        units: changes
            .iter()
            .map(|(service, env, release)| UnitChange {
                cluster: format!("{env}-1"),
                namespace: "team".into(),
                service: (*service).into(),
                manifest: release.map(|r| {
                    Arc::new(ManifestFacts {
                        image: Some(format!("r.io/{service}:{r}")),
                        release: Some(r.into()),
                        // Unlabelled: the cluster says which environment.
                        environment: None,
                    })
                }),
            })
            .collect(),
    }
}

fn options() -> Options {
    Options {
        window: Window {
            since: "90d".into(),
            from_date: String::new(),
            to_date: String::new(),
            from: T0,
            to: T0 + 90 * DAY,
        },
        environments: vec!["prod".into()],
        team: None,
        service: None,
        config: Dora::builtin(),
        config_file: None,
        clusters: [("dev-1", "dev"), ("prod-1", "prod")]
            .map(|(c, e)| (c.to_owned(), e.to_owned()))
            .into_iter()
            .collect(),
        services: Vec::new(),
    }
}

fn run(commits: Vec<LineCommit<ManifestFacts>>) -> (Vec<Deployment>, Vec<Incident>) {
    deployments(
        &MainLine {
            tip: String::new(),
            commits,
        },
        &options(),
    )
}

#[test]
fn a_return_to_an_old_release_after_the_window_is_no_failure() {
    let (deployments, incidents) = run(vec![
        commit(0, &[("a", "prod", Some("1"))]),
        commit(24, &[("a", "prod", Some("2"))]),
        commit(10 * 24, &[("a", "prod", Some("1"))]),
    ]);
    assert!(incidents.is_empty());
    assert!(deployments.iter().all(|d| !d.failed && !d.restores));
    assert!(
        !deployments[2].new_release,
        "returning is not a new release"
    );
}

#[test]
fn a_rollback_fails_every_deployment_since_the_release_was_left() {
    let (deployments, incidents) = run(vec![
        commit(0, &[("a", "prod", Some("1"))]),
        commit(10, &[("a", "prod", Some("2"))]),
        commit(11, &[("a", "prod", Some("2"))]), // a configuration change
        commit(12, &[("a", "prod", Some("3"))]),
        commit(14, &[("a", "prod", Some("1"))]),
    ]);
    let failed: Vec<bool> = deployments.iter().map(|d| d.failed).collect();
    assert_eq!(failed, [false, true, true, true, false]);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].seconds, 4 * HOUR);
    assert_eq!(incidents[0].failed.len(), 3);
}

#[test]
fn rolling_forward_again_after_a_rollback_is_no_rollback() {
    let (deployments, incidents) = run(vec![
        commit(0, &[("a", "dev", Some("1")), ("a", "prod", Some("1"))]),
        commit(5, &[("a", "dev", Some("2"))]),
        commit(10, &[("a", "prod", Some("2"))]),
        commit(11, &[("a", "prod", Some("1"))]),
        commit(20, &[("a", "prod", Some("2"))]),
    ]);
    let failed: Vec<bool> = deployments.iter().map(|d| d.failed).collect();
    assert_eq!(failed, [false, true, false, false]);
    assert_eq!(incidents.len(), 1);
    assert!(deployments[2].restores);
    assert!(!deployments[3].restores && !deployments[3].new_release);
}

#[test]
fn removals_are_not_deployments_and_labels_fall_back_to_clusters() {
    let (deployments, _) = run(vec![
        commit(0, &[("a", "dev", Some("1")), ("a", "prod", Some("1"))]),
        commit(5, &[("a", "prod", None)]),
        commit(9, &[("a", "prod", Some("1"))]),
    ]);
    let at: Vec<i64> = deployments.iter().map(|d| (d.time - T0) / HOUR).collect();
    assert_eq!(at, [0, 9]);
    assert_eq!(deployments[0].lead_time_seconds, Some(0));
    assert!(!deployments[1].new_release, "prod ran release 1 before");
}

#[test]
fn a_release_only_production_ran_is_untraced() {
    let (deployments, _) = run(vec![
        commit(0, &[("a", "prod", Some("1"))]),
        commit(3, &[("a", "dev", Some("2"))]),
        commit(5, &[("a", "prod", Some("2"))]),
        commit(7, &[("a", "prod", Some("9"))]),
    ]);
    let leads: Vec<Option<i64>> = deployments.iter().map(|d| d.lead_time_seconds).collect();
    assert_eq!(leads, [None, Some(2 * HOUR), None]);
    assert!(deployments.iter().all(|d| d.new_release));
}

#[test]
fn a_revert_after_the_window_is_no_failure() {
    let mut late = commit(9 * 24, &[("a", "prod", Some("1"))]);
    late.reverts = vec![1];
    let (deployments, incidents) = run(vec![
        commit(0, &[("a", "prod", Some("1"))]),
        commit(1, &[("a", "prod", Some("2"))]),
        late,
    ]);
    // Returning to release 1 nine days later is outside the 7-day
    // window too.
    assert!(incidents.is_empty());
    assert!(deployments.iter().all(|d| !d.failed));
}

#[test]
fn bands_take_the_first_threshold_met() {
    let dora = Dora::builtin();
    assert_eq!(rate_band(&dora.deployment_frequency, 2.0), "elite");
    assert_eq!(rate_band(&dora.deployment_frequency, 1.0 / 7.0), "high");
    assert_eq!(rate_band(&dora.deployment_frequency, 0.0), "low");
    assert_eq!(duration_band(&dora.lead_time, 86_400.0), "elite");
    assert_eq!(duration_band(&dora.lead_time, 86_401.0), "high");
    assert_eq!(percent_band(&dora.change_failure_rate, 15.0), "medium");
    assert_eq!(percent_band(&dora.change_failure_rate, 15.1), "low");
}
