//! `paved catalog`, `paved portal build` and `paved portal serve`, run as a
//! user would: what they write, what they refuse, what they print. (The
//! entities' conformance to Backstage and the pages in a real browser are
//! checked by `tool/tests/js/`, which `.ci/run` runs.)

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Scratch, copy_dir, repo_root};

/// The example organisation with its platform docs.
fn example() -> Scratch {
    let scratch = Scratch::example();
    copy_dir(&repo_root().join("docs"), &scratch.path().join("docs"));
    scratch
}

fn text(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(
        tree.get(path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .clone(),
    )
    .unwrap()
}

#[test]
fn the_catalog_has_an_entity_for_everything_and_follows_the_intents() {
    let scratch = example();
    let before = scratch.tree("");
    let outcome = scratch.paved(&["catalog"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("Wrote 47 entities (2 API, 15 Component, 6 Group, 10 Resource, 4 System, 4 Template, 6 User) and their Location"), "{}", outcome.stderr);
    // Only `catalog/` was written.
    let after = scratch.tree("");
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(added.iter().all(|k| k.starts_with("catalog/")), "{added:?}");
    let catalog = scratch.tree("catalog");
    assert_eq!(
        catalog.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            ".paved-catalog",
            "apis.yaml",
            "catalog-info.yaml",
            "components.yaml",
            "groups.yaml",
            "resources.yaml",
            "systems.yaml",
            "templates.yaml",
            "users.yaml"
        ]
    );
    let location = text(&catalog, "catalog-info.yaml");
    assert!(location.contains("kind: Location"));
    assert!(location.contains("- ./components.yaml"));
    let components = text(&catalog, "components.yaml");
    for expected in [
        "argocd/app-selector: app.kubernetes.io/name=checkout,paved.dev/team=payments",
        "backstage.io/source-location: url:https://github.com/northwind/platform/tree/main/teams/payments/services/",
        "github.com/project-slug: northwind/platform",
        "  - component:default/payments-gateway\n",
        "  - resource:default/checkout-cache\n",
        "  providesApis:\n  - api:default/checkout\n",
        "  consumesApis:\n  - api:default/ledger\n",
        "  lifecycle: production\n",
        "  type: cron-job\n",
    ] {
        assert!(
            components.contains(expected),
            "components.yaml lacks {expected:?}"
        );
    }
    let apis = text(&catalog, "apis.yaml");
    assert!(
        apis.contains("type: grpc") && apis.contains("service Ledger"),
        "{apis}"
    );
    assert!(text(&catalog, "groups.yaml").contains("paved.dev/contact: '#team-payments'"));
    // A resource shared `from` another service is one entity, with the class
    // its owner claims; one provisioned outside the platform says so.
    let resources = text(&catalog, "resources.yaml");
    assert!(
        resources
            .contains("Managed redis `sessions` of team identity, used by auth, session-cleaner."),
        "{resources}"
    );
    assert!(
        resources
            .contains("provisioned outside the platform (secret-store key `payments/legacy-db`)")
            && resources.contains("  - external\n"),
        "{resources}"
    );
    assert!(
        text(&catalog, "templates.yaml").contains("apiVersion: scaffolder.backstage.io/v1beta3")
    );

    // An intent changes: the next run follows, and drops what is gone.
    let intent = scratch.read("teams/payments/services/checkout.yaml");
    scratch.write(
        "teams/payments/services/checkout.yaml",
        &intent
            .replace(
                "dependsOn: [payments-gateway, inventory, auth]",
                "dependsOn: [payments-gateway, auth]",
            )
            .replace(
                "api: {type: openapi, definition: checkout.openapi.yaml}\n",
                "",
            ),
    );
    scratch.remove("teams/payments/services/checkout.openapi.yaml");
    scratch.replace(
        "teams/payments/services/ledger.yaml",
        "api: {type: grpc, definition: ledger.proto}\n",
        "",
    );
    let outcome = scratch.paved(&["catalog", "--format", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(json["entities"]["Component"], 15);
    assert!(json["entities"].get("API").is_none(), "{json}");
    let catalog = scratch.tree("catalog");
    assert!(
        !catalog.contains_key("apis.yaml"),
        "a file no longer generated is removed"
    );
    let components = text(&catalog, "components.yaml");
    let checkout = components
        .split("name: checkout\n")
        .nth(1)
        .unwrap()
        .split("---")
        .next()
        .unwrap();
    assert!(
        !checkout.contains("component:default/inventory"),
        "{checkout}"
    );
    assert!(!components.contains("providesApis"));
}

#[test]
fn out_directories_that_paved_did_not_write_are_refused() {
    let scratch = example();
    scratch.write("mine/notes.txt", "keep me");
    for command in [
        &["catalog", "--out", "mine"][..],
        &["portal", "build", "--out", "mine"],
    ] {
        let outcome = scratch.paved(command);
        assert_eq!(outcome.code, 2, "{}", outcome.stderr);
        assert!(
            outcome
                .stderr
                .contains("`mine` is not empty and was not written by paved: nothing was written"),
            "{}",
            outcome.stderr
        );
        assert!(
            outcome
                .stderr
                .contains("name a new or empty directory with `--out`")
        );
        assert_eq!(scratch.tree("mine").len(), 1);
        assert_eq!(scratch.read("mine/notes.txt"), "keep me");
    }
    // The repository root is not paved's either.
    let outcome = scratch.paved(&["portal", "build", "--out", "."]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
}

#[test]
fn the_portal_is_the_same_bytes_every_time_and_links_only_relatively() {
    let scratch = example();
    let first = scratch.paved(&["portal", "build"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("Built the portal (44 pages) into"),
        "{}",
        first.stderr
    );
    let one = scratch.tree("site");
    let second = scratch.paved(&["--jobs", "1", "portal", "build", "--out", "again"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let mut two = scratch.tree("again");
    two.insert(".paved-portal".into(), one[".paved-portal"].clone());
    assert!(one == two, "two builds differ");

    for page in [
        "index.html",
        "services/checkout.html",
        "teams/payments.html",
        "graph.html",
        "golden-paths.html",
        "environments.html",
        "reference.html",
        "search.html",
        "docs/policy.html",
        "catalog/catalog-info.yaml",
    ] {
        assert!(one.contains_key(page), "{page} missing");
    }
    for (path, bytes) in &one {
        if path.ends_with(".html") {
            let html = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                !html.contains("href=\"/") && !html.contains("src=\"/"),
                "{path} links absolutely: it would break from file://"
            );
            assert!(
                html.contains("<main id=\"main\""),
                "{path} has no main landmark"
            );
        }
    }
    // Who owns it, what runs in prod, what breaks, what waits.
    let checkout = text(&one, "services/checkout.html");
    assert!(checkout.contains("oskar.nilsson@northwind.dev"));
    assert!(checkout.contains("prod-us-east-1"));
    assert!(checkout.contains("autoscaled 3–20"));
    assert!(
        checkout
            .contains("https://argocd.prod-eu-west-1.northwind.dev/applications/argocd/checkout")
    );
    let ledger = text(&one, "services/ledger.html");
    assert!(
        ledger.contains("Would break if it went down</dt><dd>4 services"),
        "{ledger}"
    );
    assert!(
        ledger.contains("<strong>availability</strong>: 99.95% succeed over 30d<br><strong>latency</strong>: 99% take at most 100ms over 30d"),
        "{ledger}"
    );
    assert!(
        ledger.contains("Grafana <code>/d/ledger</code>"),
        "{ledger}"
    );
    let cleaner = text(&one, "services/session-cleaner.html");
    assert!(
        cleaner.contains("shared from <a href=\"auth.html\">auth</a>"),
        "a resource shared from another service links to it"
    );
    assert!(
        text(&one, "services/settlement.html").contains(
            "postgres outside the platform (secret-store key <code>payments/legacy-db</code>)"
        ),
        "an external resource names its secret-store key"
    );
    let environments = text(&one, "environments.html");
    assert!(
        environments.contains("waiting: 7.1.0 from staging"),
        "inventory's 7.1.0 waits for prod"
    );
    let shipping = text(&one, "services/shipping-labels.html");
    assert!(
        shipping.contains("workload/image-digest") && shipping.contains("until 2027-03-31"),
        "the exception and its expiry"
    );
    let golden = text(&one, "golden-paths.html");
    assert!(golden.contains("<code>schedule</code>") && golden.contains("required"));

    // A rebuild after an intent change rewrites only what changed.
    scratch.write(
        "teams/payments/services/ledger.yaml",
        &scratch
            .read("teams/payments/services/ledger.yaml")
            .replace("Double-entry record", "The record"),
    );
    let third = scratch.paved(&["portal", "build"]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(
        text(&scratch.tree("site"), "services/ledger.html").contains("The record of every payment")
    );
}

#[test]
fn a_broken_input_builds_no_portal() {
    let scratch = example();
    scratch.write(
        "teams/payments/services/ledger.yaml",
        &scratch
            .read("teams/payments/services/ledger.yaml")
            .replace("goldenPath: grpc-service", "goldenPath: grpc-servce"),
    );
    let outcome = scratch.paved(&["portal", "build"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("unknown golden path `grpc-servce`"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("the portal was not built"),
        "{}",
        outcome.stderr
    );
    assert!(!scratch.path().join("site").exists());
}

fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn serve_serves_the_portal_and_rebuilds_when_an_intent_changes() {
    let scratch = example();
    let mut child = Command::new(env!("CARGO_BIN_EXE_paved"))
        .args(["portal", "serve", "--port", "0", "--color=never"])
        .current_dir(scratch.path())
        .env("PAVED_TODAY", "2026-11-27")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut port = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Serving http://127.0.0.1:") {
            port = rest.split('/').next().unwrap().parse().unwrap();
            break;
        }
    }
    assert_ne!(port, 0, "serve said where it listens");
    let (status, body) = get(port, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("Services of northwind"));
    assert_eq!(
        get(port, "/services/../../platform/platform.yaml").0,
        "HTTP/1.1 404 Not Found"
    );

    scratch.write(
        "teams/payments/services/ledger.yaml",
        &scratch
            .read("teams/payments/services/ledger.yaml")
            .replace("Double-entry record", "Changed record"),
    );
    let started = Instant::now();
    let mut rebuilt = false;
    for line in lines.by_ref() {
        if line.unwrap().starts_with("Inputs changed: rebuilt") {
            rebuilt = true;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    assert!(rebuilt);
    assert!(
        get(port, "/services/ledger.html")
            .1
            .contains("Changed record of every payment")
    );
    // A second server on the same port is refused with a clear message.
    let taken = scratch.paved(&["portal", "serve", "--port", &port.to_string()]);
    assert_eq!(taken.code, 2);
    assert!(
        taken
            .stderr
            .contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{}",
        taken.stderr
    );
    assert!(
        taken.stderr.contains("choose another port with `--port"),
        "{}",
        taken.stderr
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A generated directory's stray files are named by their components
/// joined with `/`, as the generated ones are: a file named `a\b.html`
/// is not the generated `a/b.html`, and goes.
#[test]
fn a_stray_named_like_a_generated_path_is_removed() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("site");
    let files = std::collections::BTreeMap::from([("a/b.html".to_owned(), b"<p>\n".to_vec())]);
    paved::export::write_dir(&dir, ".paved-site", "paved\n", &files).unwrap();
    std::fs::write(dir.join("a\\b.html"), "stray\n").unwrap();
    let summary = paved::export::write_dir(&dir, ".paved-site", "paved\n", &files).unwrap();
    assert_eq!(summary.removed, 1, "{summary:?}");
    assert!(!dir.join("a\\b.html").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("a/b.html")).unwrap(),
        "<p>\n"
    );
    // A symlink where a file is written before it is renamed into place
    // is removed, never written through.
    let outside = out.path().join("outside");
    std::fs::write(&outside, "mine\n").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("a/.b.html.paved-tmp")).unwrap();
    let files = std::collections::BTreeMap::from([("a/b.html".to_owned(), b"<p>new\n".to_vec())]);
    paved::export::write_dir(&dir, ".paved-site", "paved\n", &files).unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "mine\n");
    let written = dir.join("a/b.html");
    assert!(std::fs::symlink_metadata(&written).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(written).unwrap(), "<p>new\n");
}

/// A page is named after its doc's file in lower case: two docs on one
/// page, or a doc on the docs' index the portal makes, are refused at the
/// later file, rather than one of them dropped without a word.
#[test]
fn docs_that_would_share_a_page_are_refused() {
    let scratch = Scratch::example();
    scratch.write("teams/payments/docs/Ledger.md", "# Another ledger\n");
    scratch.write("docs/index.md", "# Our index\n");
    let outcome = scratch.paved(&["portal", "build"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    for said in [
        "`docs/index.md` would be the portal page `docs/index.html`, the index of the docs, which the portal makes",
        "`teams/payments/docs/ledger.md` would be the portal page `docs/teams/payments/ledger.html`, which `teams/payments/docs/Ledger.md` is already",
        "rename the file",
        "the portal was not built",
    ] {
        assert!(outcome.stderr.contains(said), "{said}: {}", outcome.stderr);
    }
    assert!(!scratch.path().join("site").exists());
}
