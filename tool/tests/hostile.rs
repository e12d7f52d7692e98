//! Hostile and careless input across commands: what no command may print
//! or write, and the owned ways out (reviewed false positives, grants).
//! Single bad inputs with their messages are cases under `tests/cases/`.

use std::process::Command;

use crate::support::Scratch;

const SECRET: &str = "hunter2-Zq8vN3xR";

fn with_plaintext_secret() -> Scratch {
    let scratch = Scratch::example();
    let intent = "teams/storefront/services/search.yaml";
    scratch.replace(
        intent,
        "env:\n",
        &format!("env:\n  DB_PASSWORD: {SECRET}\n"),
    );
    scratch
}

#[test]
fn a_plaintext_secret_is_refused_by_every_command_and_never_printed() {
    let scratch = with_plaintext_secret();
    for args in [
        vec!["render"],
        vec!["validate"],
        vec!["policy"],
        vec!["policy", "--format", "sarif"],
        vec!["check"],
        vec!["render", "--format", "json"],
    ] {
        let outcome = scratch.paved(&args);
        assert_eq!(outcome.code, 2, "{args:?}\n{}", outcome.stderr);
        assert!(
            !outcome.stdout.contains(SECRET) && !outcome.stderr.contains(SECRET),
            "{args:?} printed the secret:\n{}{}",
            outcome.stdout,
            outcome.stderr
        );
        assert!(
            outcome.stderr.contains("DB_PASSWORD") || outcome.stdout.contains("DB_PASSWORD"),
            "{args:?} does not say which variable:\n{}{}",
            outcome.stdout,
            outcome.stderr
        );
    }
    assert!(!scratch.path().join("rendered").exists());
}

fn git(scratch: &Scratch, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(scratch.path())
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// `paved diff` renders without the organisation-wide checks (it compares
/// only what changed), so it must hide whatever looks secret by itself.
#[test]
fn the_diff_never_shows_a_plaintext_secret() {
    let scratch = Scratch::example();
    git(&scratch, &["init", "-q", "-b", "main"]);
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "base"]);
    let intent = "teams/storefront/services/search.yaml";
    let text = scratch.read(intent);
    scratch.write(
        intent,
        &text.replace(
            "env:\n",
            &format!("env:\n  DB_PASSWORD: {SECRET}\n  START_URL: https://svc:{SECRET}@search.internal/\n  LOG_LEVEL: debug\n"),
        ),
    );
    for format in ["text", "markdown", "json"] {
        let outcome = scratch.paved(&["diff", "--base", "main", "--format", format]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        assert!(
            !outcome.stdout.contains(SECRET) && !outcome.stderr.contains(SECRET),
            "{format}: {}",
            outcome.stdout
        );
        assert!(
            outcome.stdout.contains("debug"),
            "{format}: {}",
            outcome.stdout
        );
        assert!(
            outcome.stdout.contains("(hidden"),
            "{format}: {}",
            outcome.stdout
        );
    }
}

#[test]
fn a_reviewed_false_positive_renders_and_passes_policy() {
    let scratch = Scratch::example();
    let intent = "teams/storefront/services/search.yaml";
    scratch.replace(
        intent,
        "env:\n",
        "env:\n  SEARCH_TOKENIZER_SECRET_SAUCE: porter-stemmer\n",
    );
    let refused = scratch.paved(&["render"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("secrets/plaintext"),
        "{}",
        refused.stderr
    );

    let exceptions = scratch.read("policies/exceptions.yaml");
    scratch.write(
        "policies/exceptions.yaml",
        &format!(
            "{exceptions}notSecrets:\n  - service: search\n    key: SEARCH_TOKENIZER_SECRET_SAUCE\n    owner: ana.silva@northwind.dev\n    reason: the name of a stemming algorithm, not a secret\n"
        ),
    );
    let rendered = scratch.paved(&["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let policy = scratch.paved(&["policy"]);
    assert_eq!(policy.code, 0, "{}", policy.stderr);
    assert!(!policy.stderr.contains("secret-env"), "{}", policy.stderr);

    // The review covers that key of that service only.
    scratch.replace(intent, "env:\n", "env:\n  OTHER_SECRET: porter-stemmer\n");
    let other = scratch.paved(&["render"]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(other.stderr.contains("`OTHER_SECRET`"), "{}", other.stderr);
}

#[test]
fn a_grant_from_the_owning_team_opens_exactly_its_key_until_it_expires() {
    let scratch = Scratch::example();
    let checkout = "teams/payments/services/checkout.yaml";
    scratch.read_auth_key_from_checkout();
    let refused = scratch.paved(&["render"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("`identity/auth` belongs to team `identity`"),
        "{}",
        refused.stderr
    );

    scratch.grant_auth_key_to_checkout("2026-11-27");
    let rendered = scratch.paved(&["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let manifest = scratch.read("rendered/prod-eu-west-1/payments/checkout/manifest.yaml");
    assert!(manifest.contains("key: identity/auth"), "{manifest}");

    // Another key of the same team is not granted.
    let text = scratch.read(checkout);
    scratch.write(
        checkout,
        &text.replace(
            "secrets:\n",
            "secrets:\n  PROFILE_DB: {key: identity/profile-db}\n",
        ),
    );
    let other = scratch.paved(&["render"]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(
        other.stderr.contains("`identity/profile-db`"),
        "{}",
        other.stderr
    );
    scratch.write(checkout, &text);

    // The day after its last day, the grant no longer applies.
    let expired = crate::support::paved_in_on(scratch.path(), &["render"], "2026-11-28");
    assert_eq!(expired.code, 2, "{}", expired.stderr);
    assert!(
        expired.stderr.contains("expired on 2026-11-27"),
        "{}",
        expired.stderr
    );
}

#[test]
fn a_config_map_over_one_mebibyte_is_refused_at_its_largest_file() {
    let scratch = Scratch::example();
    let intent = "teams/storefront/services/search.yaml";
    let text = scratch.read(intent);
    // Each file is within the limit on one string; together they are not.
    let big = "synonym, ".repeat(80_000);
    let small = "synonym, ".repeat(40_000);
    scratch.write(
        intent,
        &text.replace(
            "files:\n",
            &format!("files:\n  big.txt: \"{big}\"\n  more.txt: \"{small}\"\n"),
        ),
    );
    let outcome = scratch.paved(&["validate"]);
    assert_eq!(
        outcome.code,
        1,
        "{}",
        &outcome.stderr[..outcome.stderr.len().min(2000)]
    );
    assert!(
        outcome
            .stderr
            .contains("more than the 1 MiB (1048576 bytes) the API server accepts"),
        "{}",
        &outcome.stderr[..outcome.stderr.len().min(2000)]
    );
    assert!(outcome.stderr.contains("field `files.big.txt`"));
    assert!(outcome.stderr.contains(&format!("{intent}:")));
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 1);
    assert!(!scratch.path().join("rendered").exists());
}

#[test]
fn a_reserved_namespace_stops_every_command() {
    let scratch = Scratch::example();
    let team = scratch.read("teams/identity/team.yaml");
    scratch.write(
        "teams/argocd/team.yaml",
        &team.replace("name: identity", "name: argocd"),
    );
    for args in [["render"], ["validate"], ["policy"], ["check"]] {
        let outcome = scratch.paved(&args);
        assert_eq!(outcome.code, 2, "{args:?}\n{}", outcome.stderr);
        assert!(
            outcome.stderr.contains("teams/argocd/team.yaml:")
                && outcome.stderr.contains("`argocd` is a reserved namespace"),
            "{args:?}\n{}",
            outcome.stderr
        );
    }
}
