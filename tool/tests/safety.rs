//! Hostile and unlucky inputs: values that try to inject YAML, symlinks
//! out of the repository, and a render killed halfway.

use std::fs;
use std::process::Command;
use std::time::Duration;

use crate::render::serde_yaml_documents;
use crate::support::{Scratch, repo_root};

use crate::support::synthetic;

#[test]
fn values_cannot_inject_fields() {
    let scratch = Scratch::example();
    scratch.write(
        "teams/payments/services/refunds.yaml",
        r#"apiVersion: paved.dev/v1
kind: Service
name: refunds
description: "x\nkind: Secret"
goldenPath: web-service
image: registry.northwind.dev/payments/refunds
ports:
  http: 8080
env:
  GREETING: "hello\n  injected: true\nevil: {{ '{{' }} 1 }}"
  COLON: "a: b # not a comment"
  QUOTE: "\" ] } ---"
files:
  app.yaml: |
    ---
    kind: Secret
    data: {password: aGk=}
environments:
  dev: {tag: 1.0.0}
"#,
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let docs = serde_yaml_documents(
        &scratch.read("rendered/dev-eu-west-1/payments/refunds/manifest.yaml"),
    );
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert!(!kinds.contains(&"Secret"), "{kinds:?}");
    let env = docs
        .iter()
        .find(|d| {
            d["kind"] == "ConfigMap"
                && d["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("refunds-env")
        })
        .unwrap();
    assert_eq!(
        env["data"]["GREETING"],
        "hello\n  injected: true\nevil: {{ '{{' }} 1 }}"
    );
    assert_eq!(env["data"]["COLON"], "a: b # not a comment");
    assert_eq!(env["data"]["QUOTE"], "\" ] } ---");
    assert_eq!(
        env["data"].as_object().unwrap().len(),
        4,
        "only the declared keys (and LOG_LEVEL)"
    );
}

#[cfg(unix)]
#[test]
fn input_symlinks_leading_outside_are_refused() {
    let scratch = Scratch::example();
    let outside = crate::support::tempdir();
    let secret = outside.path().join("stolen.yaml");
    fs::write(&secret, "apiVersion: paved.dev/v1\n").unwrap();
    std::os::unix::fs::symlink(
        &secret,
        scratch.path().join("teams/payments/services/stolen.yaml"),
    )
    .unwrap();
    // A symlink that stays inside the repository is fine.
    std::os::unix::fs::symlink(
        scratch.path().join("teams/payments/services/ledger.yaml"),
        scratch.path().join("teams/payments/ledger-link.yaml"),
    )
    .unwrap();
    let outcome = scratch.paved(&["render"]);
    insta::assert_snapshot!(outcome.report(), @"
    exit code: 2
    error: `teams/payments/services/stolen.yaml` is a symlink that leads outside the repository
     = in `teams/payments/services/stolen.yaml`
     = help: inputs must live inside the repository: copy the file in instead of linking to it

    paved: 1 error in 1 file; nothing was written
    ");
}

/// A folder reached through a symlink: each file in it is inside the
/// repository only if the folder is (the folder's real path is found
/// once and then trusted for what it holds, which must not let a link to
/// a folder outside through).
#[cfg(unix)]
#[test]
fn input_folders_linked_from_outside_are_refused() {
    let scratch = Scratch::example();
    let outside = crate::support::tempdir();
    let services = scratch.path().join("teams/payments/services");
    fs::rename(&services, outside.path().join("services")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("services"), &services).unwrap();
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("`teams/payments/services` is a symlink that leads outside the repository"),
        "{}",
        outcome.stderr
    );
    assert!(!scratch.path().join("rendered").exists());
    // The same folder moved inside the repository and linked renders as
    // if it stood there, file by file.
    fs::remove_file(&services).unwrap();
    let moved = scratch.path().join("teams/payments/kept");
    fs::rename(outside.path().join("services"), &moved).unwrap();
    std::os::unix::fs::symlink("kept", &services).unwrap();
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        scratch
            .path()
            .join("rendered/dev-eu-west-1/payments/ledger/manifest.yaml")
            .exists()
    );
}

/// Two links to the folder that holds them would make a walk of it
/// endless (2^n paths n levels down): each is an unreadable file instead,
/// where a render reads, and where the index is made.
#[cfg(unix)]
#[test]
fn folder_links_that_loop_are_refused_at_once() {
    let scratch = Scratch::example();
    let templates = scratch.path().join("golden-paths/worker/templates");
    std::os::unix::fs::symlink(".", templates.join("again")).unwrap();
    std::os::unix::fs::symlink("..", templates.join("up")).unwrap();
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("cannot read `golden-paths/worker/templates/again`"),
        "{}",
        outcome.stderr
    );
    // Where a render never looks, the same loop costs nothing either.
    std::fs::remove_file(templates.join("again")).unwrap();
    std::fs::remove_file(templates.join("up")).unwrap();
    let team = scratch.path().join("teams/payments/notes");
    std::fs::create_dir(&team).unwrap();
    std::os::unix::fs::symlink(".", team.join("a")).unwrap();
    std::os::unix::fs::symlink(".", team.join("b")).unwrap();
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(scratch.path().join("rendered/.paved-index.json").exists());
}

#[cfg(unix)]
#[test]
fn a_symlinked_rendered_directory_is_refused() {
    let scratch = Scratch::example();
    let elsewhere = crate::support::tempdir();
    std::os::unix::fs::symlink(elsewhere.path(), scratch.path().join("rendered")).unwrap();
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("is a symlink"),
        "{}",
        outcome.stderr
    );
    assert_eq!(fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

/// Kills renders of a large organisation at many points of the write:
/// while files are staged, just after the commit point, while they are put
/// in place. Whenever the kill lands before the commit point the previous
/// tree is intact; when it lands after, `paved check` says the tree may mix
/// old and new files, and the next run finishes the job. Never a silent mix.
#[test]
fn a_killed_render_leaves_the_previous_tree_or_is_finished_by_the_next() {
    // On disk, not in memory: the kills must land while files are written.
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(&repo_root(), dir.path(), 30);
    let binary = env!("CARGO_BIN_EXE_paved");
    let scratch = Scratch { dir };
    // Only the render that is killed needs a process of its own.
    let run = |command: &str| scratch.paved(&[command]);
    assert_eq!(run("render").code, 0);
    let staging = scratch.path().join("rendered/.paved-staging");
    let plan = staging.join("plan");
    let template = "golden-paths/web-service/templates/deployment.yaml";
    let original = scratch.read(template);
    let mut limit = 5;
    let (mut intact, mut committed) = (0, 0);
    // Kill when staging starts, a little later, at the commit point, and
    // a little after it.
    for (attempt, (trigger, delay_ms)) in [
        (&staging, 0),
        (&staging, 3),
        (&staging, 15),
        (&plan, 0),
        (&plan, 0),
        (&plan, 1),
        (&plan, 4),
    ]
    .into_iter()
    .enumerate()
    {
        // Every service changes: a golden path edit.
        limit += 1;
        scratch.write(
            template,
            &original.replace(
                "revisionHistoryLimit: 5",
                &format!("revisionHistoryLimit: {limit}"),
            ),
        );
        let before = scratch.tree("rendered");
        let mut child = Command::new(binary)
            .args(["render", "--color=never"])
            .current_dir(scratch.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while !trigger.exists() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            continue; // finished before the kill: nothing to test this time
        }
        let check = run("check");
        let said = &check.stderr;
        if check.code == 0 {
            // Killed after it had finished its work, before it exited: the
            // tree must then be complete, so the next render writes nothing.
            let again = run("render");
            let again_said = &again.stderr;
            assert_eq!(again.code, 0, "attempt {attempt}: {again_said}");
            assert!(
                again_said.contains(" 0 written, 0 removed"),
                "attempt {attempt}: {again_said}"
            );
            continue;
        }
        assert_eq!(check.code, 1, "attempt {attempt}: {said}");
        assert!(!said.contains(" 0 files"), "attempt {attempt}: {said}");
        if plan.exists() {
            committed += 1;
            assert!(
                said.contains("may mix old and new files"),
                "attempt {attempt}: {said}"
            );
        } else {
            intact += 1;
            // paved's own leftovers (staging, a probe file of a directory
            // it was about to write) are not part of the tree.
            let ours = |path: &String| {
                path.rsplit('/')
                    .next()
                    .is_some_and(|name| name.starts_with(".paved-"))
                    || path.starts_with(".paved-")
            };
            let mut now = scratch.tree("rendered");
            now.retain(|path, _| !ours(path));
            let mut before = before.clone();
            before.retain(|path, _| !ours(path));
            assert!(
                now == before,
                "attempt {attempt}: killed before the commit point, the old tree must be intact"
            );
        }
        // The next render finishes (or redoes) the job.
        let render = run("render");
        assert_eq!(render.code, 0, "{}", render.stderr);
        let check = run("check");
        assert!(check.code == 0, "attempt {attempt}: {}", check.stderr);
        assert!(!staging.exists());
    }
    assert!(
        intact > 0,
        "no kill landed before the commit point; the test proves nothing"
    );
    eprintln!("{intact} kills before the commit point, {committed} after");
}

/// Input files over the size limit are refused before they are read, in
/// every kind of input, with the file and the limit named.
#[test]
fn oversized_files_are_refused_before_they_are_read() {
    let scratch = Scratch::example();
    let padding = "# padding\n".repeat(900_000);
    scratch.write(
        "teams/payments/services/huge.yaml",
        &format!("{padding}apiVersion: paved.dev/v1\n"),
    );
    scratch.write("golden-paths/worker/templates/huge.yaml", &padding);
    let outcome = scratch.paved(&["render"]);
    insta::assert_snapshot!(outcome.report(), @"
    exit code: 2
    error: `golden-paths/worker/templates/huge.yaml` is 8.6 MiB, over the limit of 8 MiB per file
     = in `golden-paths/worker/templates/huge.yaml`
     = help: split it into smaller files; no input needs to be this large

    error: `teams/payments/services/huge.yaml` is 8.6 MiB, over the limit of 8 MiB per file
     = in `teams/payments/services/huge.yaml`
     = help: split it into smaller files; no input needs to be this large

    paved: 2 errors in 2 files; nothing was written
    ");
    assert!(!scratch.path().join("rendered").exists());
}

/// A string over 1 MiB in an intent: refused at its line.
#[test]
fn oversized_strings_are_refused_at_their_line() {
    let scratch = Scratch::example();
    let text = scratch.read("teams/fulfilment/services/shipping-labels.yaml");
    scratch.write(
        "teams/fulfilment/services/shipping-labels.yaml",
        &format!(
            "{text}files:\n  big.txt: \"{}\"\n",
            "x".repeat(1024 * 1024 + 1)
        ),
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "error: this value is 1,048,577 bytes, over the limit of 1 MiB per string\n = at teams/fulfilment/services/shipping-labels.yaml:18:12"
        ),
        "{}",
        outcome.stderr
    );
    assert!(!scratch.path().join("rendered").exists());
}

/// Values nested to the limit, written by a patch, go through every
/// command without exhausting the stack (debug builds on worker threads
/// have the smallest frames to spare).
#[test]
fn values_at_the_nesting_limit_pass_through_every_command() {
    let scratch = Scratch::example();
    let intent = "teams/fulfilment/services/shipping-labels.yaml";
    let list = format!("{}1{}", "[".repeat(95), "]".repeat(95));
    let map = format!("{}1{}", "{a: ".repeat(95), "}".repeat(95));
    scratch.write(
        intent,
        &format!(
            "{}patches:\n  - target: {{kind: Deployment}}\n    operations:\n      - {{op: add, path: /spec/template/spec/x, value: {list}}}\n      - {{op: add, path: /spec/template/spec/y, value: {map}}}\n",
            scratch.read(intent)
        ),
    );
    let render = scratch.paved(&["render", "--allow-invalid"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let validate = scratch.paved(&["validate"]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    assert!(
        validate.stderr.contains("unknown field `x`"),
        "{}",
        validate.stderr
    );
    for command in ["policy", "check"] {
        let outcome = scratch.paved(&[command]);
        assert_eq!(outcome.code, 0, "{command}: {}", outcome.stderr);
    }
    // One level more is refused at the patch.
    let deeper = format!("{}1{}", "[".repeat(99), "]".repeat(99));
    scratch.write(intent, &scratch.read(intent).replace(&list, &deeper));
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 2, "{}", render.stderr);
    assert!(
        render
            .stderr
            .contains("nested more than the limit of 100 levels"),
        "{}",
        render.stderr
    );
}

/// A service with 20,000 keys in each of `env:` and `files:` renders, every
/// key in its ConfigMap. Not timed (benches/render.rs `wide_maps` is), but
/// when layering was quadratic in the number of keys this took minutes.
#[test]
fn a_service_with_wide_maps_renders_every_key() {
    let scratch = Scratch::example();
    let intent = "teams/fulfilment/services/shipping-labels.yaml";
    let mut text = scratch.read(intent);
    text.push_str("env:\n");
    for key in 0..20_000 {
        text.push_str(&format!("  KEY_{key}: \"value {key}\"\n"));
    }
    text.push_str("files:\n");
    for key in 0..20_000 {
        text.push_str(&format!("  file-{key}.txt: \"content {key}\"\n"));
    }
    scratch.write(intent, &text);
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let manifest = scratch.read("rendered/dev-eu-west-1/fulfilment/shipping-labels/manifest.yaml");
    let docs = serde_yaml_documents(&manifest);
    let data_sizes: Vec<usize> = docs
        .iter()
        .filter(|doc| doc["kind"] == "ConfigMap")
        .map(|doc| doc["data"].as_object().map_or(0, |data| data.len()))
        .collect();
    assert!(data_sizes.contains(&20_000), "{data_sizes:?}");
    assert!(data_sizes.iter().any(|&n| n > 20_000), "{data_sizes:?}");
}

/// Asking for more worker threads than any machine can use is refused
/// rather than left to exhaust it.
#[test]
fn absurd_thread_counts_are_refused() {
    let scratch = Scratch::example();
    let outcome = scratch.paved(&["--jobs", "100000", "check"]);
    insta::assert_snapshot!(outcome.report(), @"
    exit code: 2
    error: `--jobs` is at most 256, not 100000
     = help: leave it out to use one thread per CPU
    ");
}

/// Tera escapes only string values: a concatenation and a map or list
/// from the context would print raw. paved escapes them like any other
/// value, so no template can be used to add fields with a team's value.
#[test]
fn concatenations_and_lists_are_escaped_too() {
    let scratch = Scratch::example();
    scratch.write(
        "golden-paths/web-service/templates/notes.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ service.name ~ "-notes" }}
data:
  joined: {{ "about: " ~ service.description }}
  listed: {{ service }}
"#,
    );
    let intent = "teams/payments/services/checkout.yaml";
    scratch.replace(
        intent,
        "description: Turns a basket into an order and takes payment.",
        r#"description: "x\ninjected: true\nkind: Secret""#,
    );
    // A map is no ConfigMap value: what matters here is the YAML's shape.
    let outcome = scratch.paved(&["render", "--allow-invalid"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let docs = serde_yaml_documents(
        &scratch.read("rendered/dev-eu-west-1/payments/checkout/manifest.yaml"),
    );
    let notes = docs
        .iter()
        .find(|d| {
            d["metadata"]["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("checkout-notes"))
        })
        .unwrap();
    assert_eq!(notes["kind"], "ConfigMap");
    assert_eq!(
        notes["data"]["joined"],
        "about: x\ninjected: true\nkind: Secret"
    );
    assert_eq!(
        notes["data"]["listed"]["description"],
        "x\ninjected: true\nkind: Secret"
    );
    assert_eq!(notes["data"].as_object().unwrap().len(), 2);
}
