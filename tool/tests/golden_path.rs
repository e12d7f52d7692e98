//! `paved golden-path test`: a golden path against its sample intents.

use crate::support::Scratch;

#[test]
fn the_example_samples_match_their_snapshots() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["golden-path", "test"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("ok      web-service/web-public"));
    assert!(
        outcome.stderr.contains("5 passed, 0 failed"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_template_change_shows_in_the_samples_it_changes_and_update_records_it() {
    let scratch = Scratch::example();
    let template = "golden-paths/worker/templates/deployment.yaml";
    scratch.replace(
        template,
        "revisionHistoryLimit: 5",
        "revisionHistoryLimit: 7",
    );
    let before = scratch.tree("golden-paths");
    let outcome = scratch.paved(&["golden-path", "test"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("FAILED  worker/worker-basic"));
    assert!(outcome.stderr.contains("-  revisionHistoryLimit: 5"));
    assert!(outcome.stderr.contains("+  revisionHistoryLimit: 7"));
    assert!(outcome.stderr.contains("ok      web-service/web-minimal"));
    assert_eq!(
        scratch.tree("golden-paths"),
        before,
        "a failing test writes nothing"
    );

    let update = scratch.paved(&["golden-path", "test", "worker", "--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    let after = scratch.tree("golden-paths");
    let changed: Vec<&String> = after
        .keys()
        .filter(|path| before.get(*path) != after.get(*path))
        .collect();
    assert_eq!(changed, ["worker/tests/worker-basic.rendered.yaml"]);
    assert_eq!(scratch.paved(&["golden-path", "test"]).code, 0);
}

#[test]
fn a_broken_sample_is_located_in_its_own_file() {
    let scratch = Scratch::example();
    let sample = "golden-paths/cron-job/tests/cron-nightly.yaml";
    scratch.replace(
        sample,
        "  prod: {tag: 1.4.0}",
        "  prod: {tag: 1.4.0, replica: 2}",
    );
    let outcome = scratch.paved(&["golden-path", "test"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("┌─ golden-paths/cron-job/tests/cron-nightly.yaml:"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("did you mean `replicas`?"));

    let unknown = scratch.paved(&["golden-path", "test", "lambda"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown golden path `lambda`"));
}
