//! Everyday jobs without grep: scaffold a service or team, promote a
//! release, explain a value, list and show what runs, own what you change.

use serde_json::Value;

use crate::diff::{git, repository};
use crate::support::{Scratch, repo_root};

fn json(outcome: &crate::support::Outcome) -> Value {
    serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("{e}: {}", outcome.stdout))
}

#[test]
fn scaffolding_each_golden_path_yields_a_service_that_renders_validates_and_passes_policy() {
    let scratch = Scratch::example();
    let app = crate::support::tempdir();
    for (name, path) in [
        ("refunds", "web-service"),
        ("fraud-score", "grpc-service"),
        ("mailer", "worker"),
        ("nightly-report", "cron-job"),
    ] {
        let dir = app.path().join(name);
        let outcome = scratch.paved(&[
            "new",
            "service",
            name,
            "--team",
            "payments",
            "--path",
            path,
            "--description",
            "Does one thing well.",
            "--app-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(outcome.code, 0, "{path}: {}", outcome.stderr);
        assert!(outcome.stderr.contains("Next:"), "{}", outcome.stderr);
        let intent = scratch.read(&format!("teams/payments/services/{name}.yaml"));
        assert!(intent.contains(&format!("goldenPath: {path}")), "{intent}");
        assert!(
            intent.contains("# Image repository"),
            "every field is commented: {intent}"
        );
        assert!(
            scratch
                .path()
                .join(format!("teams/payments/docs/{name}.md"))
                .is_file()
        );
        for file in [
            "Dockerfile",
            "README.md",
            "main.go",
            "go.mod",
            ".github/workflows/build.yml",
        ] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(
                !text.contains("{{ service") && !text.contains("{%"),
                "{path} {file} is rendered: {text}"
            );
        }
        let main = std::fs::read_to_string(dir.join("main.go")).unwrap();
        // Where the paths' monitors scrape: the port named `metrics`.
        assert!(
            main.contains(":9464") && main.contains("\"/metrics\""),
            "{path}: {main}"
        );
        if path == "web-service" || path == "worker" {
            assert!(
                main.contains("\"/ready\"") && main.contains("\"/healthz\""),
                "{main}"
            );
        }
        let workflow = std::fs::read_to_string(dir.join(".github/workflows/build.yml")).unwrap();
        assert!(workflow.contains(&format!("registry.northwind.dev/payments/{name}")));
        assert!(workflow.contains("docker push"));
    }
    let cron = scratch.read("teams/payments/services/nightly-report.yaml");
    assert!(cron.contains("schedule: 0 3 * * *"), "{cron}");
    for command in [&["render"][..], &["validate"], &["policy"]] {
        let outcome = scratch.paved(command);
        assert_eq!(outcome.code, 0, "{command:?}: {}", outcome.stderr);
    }
    let listed = json(&scratch.paved(&["list", "--team", "payments", "--format", "json"]));
    let names: Vec<&str> = listed["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"mailer") && names.contains(&"nightly-report"),
        "{names:?}"
    );
}

#[test]
fn new_refuses_to_overwrite_and_names_what_exists() {
    let scratch = Scratch::example();
    let app = crate::support::tempdir();
    std::fs::write(app.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let outcome = scratch.paved(&[
        "new",
        "service",
        "refunds",
        "--team",
        "payments",
        "--path",
        "web-service",
        "--app-dir",
        app.path().to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("refusing to overwrite 1 existing file"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("Dockerfile` exists"),
        "{}",
        outcome.stderr
    );
    assert!(
        !scratch
            .path()
            .join("teams/payments/services/refunds.yaml")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(app.path().join("Dockerfile")).unwrap(),
        "FROM scratch\n"
    );
    assert_eq!(
        std::fs::read_dir(app.path()).unwrap().count(),
        1,
        "nothing else was written"
    );

    let outcome = scratch.paved(&[
        "new",
        "service",
        "checkout",
        "--team",
        "payments",
        "--path",
        "web-service",
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("a service named `checkout` already exists"),
        "{}",
        outcome.stderr
    );

    let outcome = scratch.paved(&[
        "new",
        "service",
        "Bad_Name",
        "--team",
        "nobody",
        "--path",
        "web-servic",
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("cannot name a service"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("unknown team `nobody`"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("did you mean `web-service`?"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn new_without_a_terminal_names_the_missing_flags() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["new", "service", "refunds"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("missing `--team`, `--path`"),
        "{}",
        outcome.stderr
    );
    let outcome = scratch.paved(&["new", "team", "billing", "--owner", "a@northwind.dev"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("missing `--group`, `--cost-center`"),
        "{}",
        outcome.stderr
    );
    assert!(!scratch.path().join("teams/billing").exists());
}

#[test]
fn a_new_team_renders_its_fences_and_reserved_names_are_refused() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&[
        "new",
        "team",
        "billing",
        "--owner",
        "a@northwind.dev",
        "--group",
        "northwind:billing",
        "--cost-center",
        "CC-9",
        "--github",
        "@northwind/billing",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        scratch
            .read("teams/billing/team.yaml")
            .contains("@northwind/billing")
    );
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert!(
        scratch
            .read("rendered/prod-eu-west-1/_platform/manifest.yaml")
            .contains("namespace: billing")
    );
    let outcome = scratch.paved(&[
        "new",
        "team",
        "kube-tools",
        "--owner",
        "a@northwind.dev",
        "--group",
        "g",
        "--cost-center",
        "c",
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("reserved namespace"),
        "{}",
        outcome.stderr
    );
}

/// A commented intent with flow and block entries, quoting and a trailing
/// comment: promotion changes the one value and nothing else.
const COMMENTED: &str = "\
# yaml-language-server: $schema=../../../schemas/service.json
apiVersion: paved.dev/v1
kind: Service
name: inventory   # the stock service
description: \"Stock levels per warehouse.\"
goldenPath: grpc-service
image: registry.northwind.dev/fulfilment/inventory
callers:
  teams: [payments, storefront]
uses:
  inventory-db: {type: postgres}
environments:
  dev: {tag: \"7.2.0\"}   # newest
  # staging trails dev by a day
  staging: {tag: '7.1.0'}
  prod:
    # pinned after the incident
    tag: 7.0.5   # keep
    autoscaling: {minReplicas: 3, maxReplicas: 9}
";

#[test]
fn promote_leaves_a_commented_intent_byte_identical_apart_from_the_changed_value() {
    let scratch = Scratch::example();
    let path = "teams/fulfilment/services/inventory.yaml";
    scratch.write(path, COMMENTED);
    let outcome = scratch.paved(&["promote", "inventory", "--to", "prod"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(
        scratch.read(path),
        COMMENTED.replace("tag: 7.0.5   # keep", "tag: 7.1.0   # keep")
    );
    assert!(
        outcome
            .stdout
            .contains("-    tag: 7.0.5   # keep\n+    tag: 7.1.0   # keep"),
        "{}",
        outcome.stdout
    );
    let outcome = scratch.paved(&["promote", "inventory", "--to", "staging"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(
        scratch.read(path),
        COMMENTED
            .replace("tag: 7.0.5   # keep", "tag: 7.1.0   # keep")
            .replace("staging: {tag: '7.1.0'}", "staging: {tag: '7.2.0'}"),
        "the single quotes stay"
    );
    // Nothing newer: refused, and nothing written.
    let before = scratch.read(path);
    let outcome = scratch.paved(&["promote", "inventory", "--to", "staging"]);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains("nothing newer to promote"),
        "{}",
        outcome.stderr
    );
    assert_eq!(scratch.read(path), before);
}

#[test]
fn promote_inserts_a_missing_environment_copies_settings_and_refuses_what_fails() {
    let scratch = Scratch::example();
    // A dry run shows the diff and writes nothing.
    let before = scratch.read("teams/payments/services/ledger.yaml");
    let outcome = scratch.paved(&[
        "promote",
        "ledger",
        "--to",
        "staging",
        "--with",
        "size",
        "--dry-run",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stdout
            .contains("+  staging: {tag: 4.0.2, size: small}"),
        "{}",
        outcome.stdout
    );
    assert_eq!(scratch.read("teams/payments/services/ledger.yaml"), before);
    // settlement does not run in dev: nothing to promote into staging.
    let outcome = scratch.paved(&["promote", "settlement", "--to", "staging"]);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome
            .stderr
            .contains("`settlement` does not run in `dev`"),
        "{}",
        outcome.stderr
    );
    // A setting staging only warns about is an error in prod (strict
    // policy): the promotion is refused.
    let path = "teams/identity/services/user-profile.yaml";
    let text = scratch.read(path).replace(
        "staging: {tag: 2.5.0}",
        "staging: {tag: 2.5.0, serviceAccountToken: true}",
    );
    scratch.write(path, &text);
    let outcome = scratch.paved(&[
        "promote",
        "user-profile",
        "--to",
        "prod",
        "--with",
        "serviceAccountToken",
    ]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("workload/service-account-token"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("would fail validation or policy (1 error); nothing was changed"),
        "{}",
        outcome.stderr
    );
    assert_eq!(scratch.read(path), text);
    // The first environment promotes from nowhere; unknown settings are named.
    let outcome = scratch.paved(&["promote", "ledger", "--to", "dev"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("`dev` promotes from no environment"),
        "{}",
        outcome.stderr
    );
    let outcome = scratch.paved(&["promote", "ledger", "--to", "prod", "--with", "sise"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("did you mean `size`?"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn promote_all_of_a_team_moves_each_release_and_skips_what_is_current() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&[
        "promote", "--team", "identity", "--to", "prod", "--format", "json",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let document = json(&outcome);
    let promoted: Vec<&str> = document["promoted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["service"].as_str().unwrap())
        .collect();
    assert_eq!(promoted, ["auth", "user-profile"]);
    assert_eq!(document["skipped"][0]["service"], "session-cleaner");
    assert!(
        scratch
            .read("teams/identity/services/auth.yaml")
            .contains("    tag: 12.0.1\n    autoscaling")
    );
}

#[test]
fn an_out_of_order_release_is_refused_and_an_exception_lets_a_hotfix_through() {
    let scratch = repository();
    let path = "teams/fulfilment/services/inventory.yaml";
    // 7.2.0 goes straight to prod, never having run in staging.
    let text = scratch.read(path).replace("tag: 7.0.5", "tag: 7.2.0");
    scratch.write(path, &text);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let outcome = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("`inventory` tag `7.2.0` is new in `prod` but never ran in `staging`"),
        "{}",
        outcome.stderr
    );
    let line = text.lines().position(|l| l.contains("tag: 7.2.0")).unwrap() + 1;
    assert!(
        outcome.stderr.contains(&format!(
            "teams/fulfilment/services/inventory.yaml:{line}:10"
        )),
        "{}",
        outcome.stderr
    );
    // Promoting what staging ran is in order.
    scratch.write(path, &text.replace("tag: 7.2.0", "tag: 7.1.0"));
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let outcome = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    // A hotfix, owned and dated, may skip staging until its expiry.
    scratch.write(path, &text);
    let exceptions = scratch.read("policies/exceptions.yaml")
        + "promotions:\n  - service: inventory\n    environment: prod\n    release: 7.2.0\n    owner: priya.raman@northwind.dev\n    reason: Stock counts double on restock (INC-512); staging is down.\n    expires: \"2026-12-01\"\n";
    scratch.write("policies/exceptions.yaml", &exceptions);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let outcome = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let later =
        crate::support::paved_in_on(scratch.path(), &["check", "--base", "main"], "2026-12-02");
    assert_eq!(
        later.code, 1,
        "an expired exception lets nothing through: {}",
        later.stderr
    );
    // An earlier release of staging counts too: history, not only the base.
    git(&scratch, &["add", "-A"]);
    git(&scratch, &["commit", "-q", "-m", "hotfix"]);
    let outcome = scratch.paved(&["check", "--base", "HEAD"]);
    assert_eq!(
        outcome.code, 0,
        "unchanged releases are not checked again: {}",
        outcome.stderr
    );
}

#[test]
fn staging_only_warns_about_a_release_that_skipped_dev() {
    let scratch = repository();
    let path = "teams/identity/services/user-profile.yaml";
    scratch.write(
        path,
        &scratch
            .read(path)
            .replace("staging: {tag: 2.5.0}", "staging: {tag: 2.6.0}"),
    );
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let outcome = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "warning: `user-profile` tag `2.6.0` is new in `staging` but never ran in `dev`"
        ),
        "{}",
        outcome.stderr
    );
}

#[test]
fn explain_names_the_file_and_line_of_each_layer_and_of_a_patch() {
    let root = repo_root();
    let outcome = crate::support::paved_in(
        &root,
        &[
            "explain",
            "checkout",
            "--cluster",
            "prod-us-east-1",
            "--format",
            "json",
        ],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let explanation = &json(&outcome)["explanation"];
    let value = |field: &str| {
        explanation["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["field"] == field)
            .unwrap_or_else(|| panic!("no {field}"))
            .clone()
    };
    let line_of = |file: &str, needle: &str| {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    };
    let explain_in_prod = |field: &str| {
        crate::support::paved_in(
            &root,
            &[
                "explain",
                "checkout",
                "--cluster",
                "prod-us-east-1",
                "--field",
                field,
            ],
        )
    };
    for (field, layer, file, needle) in [
        // prod pins web-service 1.0.0: its defaults come from that version.
        (
            "health.readiness",
            "golden-path",
            "golden-paths/web-service/versions/1.0.0/path.yaml",
            "readiness: /ready",
        ),
        ("size", "platform", "platform/platform.yaml", "size: small"),
        (
            "replicas",
            "environment",
            "environments/prod.yaml",
            "replicas: 3",
        ),
        (
            "image",
            "service",
            "teams/payments/services/checkout.yaml",
            "image:",
        ),
        (
            "autoscaling.maxReplicas",
            "override",
            "teams/payments/services/checkout.yaml",
            "maxReplicas: 20",
        ),
    ] {
        let found = value(field);
        assert_eq!(found["layer"], layer, "{field}");
        assert_eq!(found["set_at"]["file"], file, "{field}");
        assert_eq!(found["set_at"]["line"], line_of(file, needle), "{field}");
    }
    // A patched field: the patch line, besides the template.
    let outcome = explain_in_prod(
        "Ingress/checkout.metadata.annotations.nginx.ingress.kubernetes.io/limit-rps",
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let patch_line = line_of("teams/payments/services/checkout.yaml", "limit-rps");
    assert!(
        outcome.stdout.contains(&format!(
            "written by  teams/payments/services/checkout.yaml:{patch_line}:"
        )),
        "{}",
        outcome.stdout
    );
    // A rendered field: the template line that printed it and where its value came from.
    let outcome = explain_in_prod("HorizontalPodAutoscaler.spec.minReplicas");
    // prod pins web-service 1.0.0: the template of that version printed it.
    let template = "golden-paths/web-service/versions/1.0.0/templates/autoscaling.yaml";
    let template_line = line_of(template, "minReplicas");
    assert!(
        outcome
            .stdout
            .contains(&format!("printed by  {template}:{template_line}:")),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("(override layer)"),
        "{}",
        outcome.stdout
    );
    // Why replicas is 3 in prod, in one command; and what is not there.
    let outcome = explain_in_prod("replicas");
    assert!(
        outcome.stdout.contains("environments/prod.yaml"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("`replicas` is not used here"),
        "{}",
        outcome.stdout
    );
    let outcome = crate::support::paved_in(&root, &["explain", "checkout", "--cluster", "moon-1"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("it runs in `dev-eu-west-1`"),
        "{}",
        outcome.stderr
    );
    // Only the service's units are rendered; a name that is no service's
    // is said to be one, with the nearest.
    let outcome = crate::support::paved_in(&root, &["explain", "chekout"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("unknown service `chekout`")
            && outcome.stderr.contains("did you mean `checkout`?"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn list_and_show_say_who_owns_what_and_what_runs_where() {
    let root = repo_root();
    let outcome =
        crate::support::paved_in(&root, &["list", "--env", "prod", "--path", "web-service"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stdout.starts_with("SERVICE "), "{}", outcome.stdout);
    let row: Vec<&str> = outcome
        .stdout
        .lines()
        .find(|l| l.starts_with("checkout "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        [
            "checkout",
            "payments",
            "web-service",
            "1.0.0",
            "@5f1b2c9a0e8d"
        ]
    );
    assert!(!outcome.stdout.contains("ledger"), "{}", outcome.stdout);
    let outcome = crate::support::paved_in(&root, &["show", "checkout", "--format", "json"]);
    let service = &json(&outcome)["service"];
    assert_eq!(service["owners"][0], "oskar.nilsson@northwind.dev");
    assert_eq!(service["dependents"][0], "web-shop");
    assert_eq!(service["deployments"].as_array().unwrap().len(), 4);
    let outcome = crate::support::paved_in(&root, &["show", "checkout"]);
    assert!(
        outcome
            .stdout
            .contains("depends on    auth, inventory, payments-gateway"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("3-20 (autoscaled)"),
        "{}",
        outcome.stdout
    );
    // Its objectives and dashboard, as its rendered alerts state them.
    assert!(
        outcome.stdout.contains(
            "prod     availability: 99.9% succeed over 30d; latency: 99% take at most 300ms over 30d  /d/checkout"
        ),
        "{}",
        outcome.stdout
    );
    let outcome = crate::support::paved_in(&root, &["show", "chekout"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("did you mean `checkout`?"),
        "{}",
        outcome.stderr
    );
    let outcome = crate::support::paved_in(&root, &["list", "--team", "nobody"]);
    assert_eq!(outcome.code, 2);
}

#[test]
fn codeowners_matches_the_team_files_and_check_keeps_it_fresh() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["codeowners"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let written = scratch.read(".github/CODEOWNERS");
    assert_eq!(
        written,
        std::fs::read_to_string(repo_root().join(".github/CODEOWNERS")).unwrap()
    );
    for team in ["fulfilment", "identity", "payments", "storefront"] {
        let owners = format!("@northwind/{team}");
        let team_line = written
            .lines()
            .find(|l| l.starts_with(&format!("/teams/{team}/")))
            .unwrap();
        assert!(team_line.ends_with(&owners), "{team_line}");
        let rendered = written
            .lines()
            .find(|l| l.starts_with(&format!("/rendered/*/{team}/")))
            .unwrap();
        assert!(rendered.ends_with(&owners), "{rendered}");
    }
    for platform in [
        "/platform/",
        "/golden-paths/",
        "/policies/",
        "/environments/",
        "/rendered/*/_platform/",
        "/rendered/_argocd/",
    ] {
        assert!(
            written
                .lines()
                .any(|l| l.starts_with(platform) && l.ends_with("@northwind/platform")),
            "{platform}"
        );
    }
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
    // A team changes its owners: CODEOWNERS is stale until regenerated.
    let team = scratch
        .read("teams/payments/team.yaml")
        .replace("@northwind/payments", "@northwind/payments-core");
    scratch.write("teams/payments/team.yaml", &team);
    let outcome = scratch.paved(&["check"]);
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains("run `paved codeowners`"),
        "{}",
        outcome.stderr
    );
    assert_eq!(scratch.paved(&["codeowners"]).code, 0);
    // The index follows every input, owners included.
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
    assert!(
        scratch
            .read(".github/CODEOWNERS")
            .lines()
            .any(|l| l.starts_with("/teams/payments/") && l.ends_with(" @northwind/payments-core"))
    );
}

#[test]
fn the_pull_request_comment_says_whose_approval_a_change_needs() {
    let scratch = repository();
    let path = "teams/fulfilment/services/inventory.yaml";
    scratch.write(
        path,
        &scratch.read(path).replace("tag: 7.0.5", "tag: 7.1.0"),
    );
    let platform = scratch
        .read("platform/platform.yaml")
        .replace("cpuCoreMonth: 21.5", "cpuCoreMonth: 22");
    scratch.write("platform/platform.yaml", &platform);
    let outcome = scratch.paved(&["diff", "--base", "main", "--format", "markdown"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome.stdout.contains("#### Who needs to approve"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stdout.contains("| `fulfilment` | @northwind/fulfilment | 1 file (`teams/fulfilment/services/inventory.yaml`); 2 rendered units (`prod-eu-west-1/inventory`, `prod-us-east-1/inventory`) |"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome
            .stdout
            .contains("| `platform` | @northwind/platform | 1 file (`platform/platform.yaml`) |"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn render_format_json_prints_one_document_even_when_it_fails() {
    let scratch = Scratch::example();
    let path = "teams/payments/services/ledger.yaml";
    let text = scratch
        .read(path)
        .replace("size: medium\nuses:", "size: medium\nreplica: 2\nuses:")
        .replace("staging: {tag: 4.0.2}", "stagin: {tag: 4.0.2}");
    scratch.write(path, &text);
    let outcome = scratch.paved(&["render", "--format", "json"]);
    assert_eq!(outcome.code, 2);
    let document = json(&outcome);
    assert_eq!(document["status"], "error");
    // The unknown field and the unknown environment, in one run.
    let messages: Vec<&str> = document["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"unknown field `replica`"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"unknown environment `stagin`"),
        "{messages:?}"
    );
    assert_eq!(
        outcome.stdout.matches("\"status\"").count(),
        1,
        "one document"
    );
    let outcome = Scratch::example().paved(&["render", "--format", "json"]);
    assert_eq!(outcome.code, 0);
    assert_eq!(json(&outcome)["status"], "success");
}

#[test]
fn a_pinned_golden_path_version_renders_the_old_output_in_prod_and_the_new_in_dev() {
    let scratch = Scratch::example();
    // The newest web-service (1.1.0) gains an annotation; prod pins 1.0.0.
    let path = "golden-paths/web-service/templates/deployment.yaml";
    let text = scratch.read(path).replacen(
        "metadata:\n  name: {{ service.name }}\n",
        "metadata:\n  name: {{ service.name }}\n  annotations:\n    northwind.dev/rollout: canary\n",
        1,
    );
    assert!(text.contains("northwind.dev/rollout"));
    scratch.write(path, &text);
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let dev = scratch.read("rendered/dev-eu-west-1/payments/checkout/manifest.yaml");
    let prod = scratch.read("rendered/prod-eu-west-1/payments/checkout/manifest.yaml");
    assert!(dev.contains("northwind.dev/rollout: canary"), "{dev}");
    assert!(dev.starts_with("# Generated by paved from teams/payments/services/checkout.yaml (golden path web-service 1.1.0)."));
    assert!(!prod.contains("northwind.dev/rollout"), "{prod}");
    assert!(prod.starts_with("# Generated by paved from teams/payments/services/checkout.yaml (golden path web-service 1.0.0)."));
    // Which services run which version where.
    let listed = json(&scratch.paved(&["list", "--paths", "--format", "json"]));
    let uses = listed["uses"].as_array().unwrap();
    let web = |env: &str| {
        uses.iter()
            .find(|u| u["goldenPath"] == "web-service" && u["environment"] == env)
            .unwrap()
            .clone()
    };
    assert_eq!(web("dev")["version"], "1.1.0");
    assert_eq!(web("prod")["version"], "1.0.0");
    assert_eq!(web("prod")["newest"], false);
    assert_eq!(
        web("prod")["clusters"],
        serde_json::json!(["prod-eu-west-1", "prod-us-east-1"])
    );
    // Explain names the old version's template in prod.
    let outcome = scratch.paved(&[
        "explain",
        "checkout",
        "--cluster",
        "prod-eu-west-1",
        "--field",
        "Deployment.spec.revisionHistoryLimit",
    ]);
    assert!(
        outcome
            .stdout
            .contains("golden-paths/web-service/versions/1.0.0/templates/deployment.yaml:"),
        "{}",
        outcome.stdout
    );
    // Promoting the newest to prod: remove the pin.
    let env = scratch
        .read("environments/prod.yaml")
        .replace("  web-service: 1.0.0\n", "");
    scratch.write(
        "environments/prod.yaml",
        &env.replace("goldenPaths:\n", "goldenPaths: {}\n"),
    );
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert!(
        scratch
            .read("rendered/prod-eu-west-1/payments/checkout/manifest.yaml")
            .contains("northwind.dev/rollout: canary")
    );
}

#[test]
fn a_pin_to_a_version_that_is_not_kept_is_refused() {
    let scratch = Scratch::example();
    scratch.replace(
        "environments/prod.yaml",
        "web-service: 1.0.0",
        "web-service: 0.9.0\n  worker-service: 1.0.0",
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("golden path `web-service` has no version `0.9.0`"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("versions: `1.0.0`, `1.1.0` (the newest is `1.1.0`)"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("unknown golden path `worker-service`"),
        "{}",
        outcome.stderr
    );
    let scratch = Scratch::example();
    let old = "golden-paths/web-service/versions/1.0.0/path.yaml";
    scratch.write(
        old,
        &scratch
            .read(old)
            .replace("version: 1.0.0", "version: 1.2.0"),
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("version `1.2.0` does not match its directory"),
        "{}",
        outcome.stderr
    );
}

/// A golden path's application skeleton runs under the limits golden-path
/// templates run under: it cannot read paved's environment (a CI token
/// would land in the new repository), nor loop or print without bound.
/// Each is refused at its file, and nothing is written.
#[test]
fn skeleton_templates_cannot_read_the_environment_or_run_away() {
    let scratch = Scratch::example();
    let app = crate::support::tempdir();
    let skeleton = "golden-paths/worker/skeleton";
    scratch.write(
        &format!("{skeleton}/token.txt"),
        "{{ get_env(name=\"HOME\") }}\n",
    );
    scratch.write(
        &format!("{skeleton}/nest.txt"),
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}\n",
    );
    scratch.write(
        &format!("{skeleton}/big.txt"),
        &format!(
            "{{% for i in range(end=100000) %}}{}\n{{% endfor %}}",
            "x".repeat(1000)
        ),
    );
    let dir = app.path().join("mailer");
    let outcome = scratch.paved(&[
        "new",
        "service",
        "mailer",
        "--team",
        "payments",
        "--path",
        "worker",
        "--description",
        "Sends mail.",
        "--app-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    for (file, says) in [
        ("token.txt", "`get_env` is not available"),
        ("nest.txt", "look for a loop in a loop"),
        ("big.txt", "printed more than the limit of 8 MiB"),
    ] {
        let message = outcome
            .stderr
            .lines()
            .find(|line| line.starts_with(&format!("error: skeleton template `{file}`")))
            .unwrap_or_else(|| panic!("{file} is reported\n{}", outcome.stderr));
        assert!(message.contains(says), "{file}: {says}\n{}", outcome.stderr);
        assert!(
            outcome
                .stderr
                .contains(&format!("= in `{skeleton}/{file}`")),
            "{}",
            outcome.stderr
        );
    }
    assert!(!dir.exists(), "nothing is written");
    assert!(
        !scratch
            .path()
            .join("teams/payments/services/mailer.yaml")
            .exists()
    );
}
