//! Renders that race, disks that fill, and what interrupted renders leave:
//! `rendered/` is always the previous tree or the new one behind an exit 0,
//! and `paved check` never calls a half-written tree clean.

use std::process::{Child, Command, Output, Stdio};

use crate::support::{Scratch, repo_root, synthetic};

fn paved(scratch: &Scratch, command: &str) -> Command {
    let mut paved = Command::new(env!("CARGO_BIN_EXE_paved"));
    paved
        .args([command, "--color=never"])
        .current_dir(scratch.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    paved
}

fn spawn(scratch: &Scratch, command: &str) -> Child {
    paved(scratch, command).spawn().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Changes every service's Deployment, so a render rewrites most files.
fn change_every_service(scratch: &Scratch, limit: usize) {
    let template = "golden-paths/web-service/templates/deployment.yaml";
    let text = scratch.read(template);
    let start = text.find("revisionHistoryLimit: ").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    scratch.write(
        template,
        &format!(
            "{}revisionHistoryLimit: {limit}{}",
            &text[..start],
            &text[end..]
        ),
    );
}

const BUSY: &str = "another `paved` process is using";

/// Two or three renders at once, into a tree that exists and into one that
/// does not yet: one writes, the others are refused with exit 2 and say
/// why; nothing exits 0 with a stale tree.
#[test]
fn concurrent_renders_are_refused_and_never_leave_a_stale_tree() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(&repo_root(), dir.path(), 30);
    let scratch = Scratch { dir };
    let mut refused = 0;
    for (round, renders) in [2, 3, 2].into_iter().enumerate() {
        change_every_service(&scratch, 10 + round);
        if round == 2 {
            std::fs::remove_dir_all(scratch.path().join("rendered")).unwrap();
        }
        let children: Vec<Child> = (0..renders).map(|_| spawn(&scratch, "render")).collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect();
        let succeeded = outputs.iter().filter(|o| o.status.success()).count();
        assert!(succeeded >= 1, "round {round}: none succeeded");
        refused += renders - succeeded;
        for output in outputs.iter().filter(|o| !o.status.success()) {
            assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
            assert!(stderr(output).contains(BUSY), "{}", stderr(output));
            assert!(stderr(output).contains("nothing under `rendered/` was changed"));
        }
        let check = paved(&scratch, "check").output().unwrap();
        assert!(
            check.status.success(),
            "round {round}: {} renders, {succeeded} succeeded: {}",
            renders,
            stderr(&check)
        );
    }
    assert!(
        refused > 0,
        "the renders never overlapped; the test proves nothing"
    );
}

/// `paved check` run while a render writes: it is refused, or it ran
/// entirely before or after the render's write. When it says the tree is
/// clean, the render's write was complete: the render holds its lock until
/// its command returns, and may still be ending as a process, but changes
/// no rendered file after that.
#[test]
fn check_never_calls_a_tree_being_written_clean() {
    let dir = tempfile::tempdir().unwrap();
    synthetic::generate(&repo_root(), dir.path(), 30);
    let scratch = Scratch { dir };
    assert!(paved(&scratch, "render").status().unwrap().success());
    let mut outcomes = [0; 3];
    for round in 0..2 {
        change_every_service(&scratch, 20 + round);
        let mut render = spawn(&scratch, "render");
        let mut clean_while_running = None;
        // One check after another for as long as the render runs.
        while render.try_wait().unwrap().is_none() {
            let output = paved(&scratch, "check").output().unwrap();
            let code = output.status.code().unwrap();
            match code {
                0 => {
                    if render.try_wait().unwrap().is_none() {
                        clean_while_running = Some(scratch.rendered_files());
                    }
                }
                1 => {}
                2 => assert!(stderr(&output).contains(BUSY), "{}", stderr(&output)),
                _ => panic!("check exited {code}: {}", stderr(&output)),
            }
            outcomes[code as usize] += 1;
        }
        assert!(render.wait().unwrap().success());
        if let Some(seen) = clean_while_running {
            assert!(
                seen == scratch.rendered_files(),
                "round {round}: the render changed files after check said the tree was clean"
            );
        }
        assert!(paved(&scratch, "check").status().unwrap().success());
    }
    eprintln!("checks during renders: {outcomes:?} (clean, stale, refused)");
}

/// A disk that fills while the render stages its files (simulated with a
/// file size limit, which binds root too): the render fails before its
/// commit point, exits 2, and leaves the previous tree and no staging.
#[cfg(unix)]
#[test]
fn a_full_disk_fails_the_render_before_anything_changes() {
    let scratch = Scratch::example();
    assert!(scratch.paved(&["render"]).code == 0);
    let before = scratch.tree("rendered");
    change_every_service(&scratch, 9);
    // `ulimit -f` counts 512-byte blocks; SIGXFSZ is ignored so that the
    // write fails with EFBIG instead of killing the process.
    let output = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" render --color=never")
        .arg(env!("CARGO_BIN_EXE_paved"))
        .current_dir(scratch.path())
        .output()
        .unwrap();
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("cannot write `"), "{said}");
    assert!(
        said.contains("nothing under `rendered/` was changed"),
        "{said}"
    );
    let mut after = scratch.tree("rendered");
    after.retain(|path, _| path != ".paved-lock");
    let mut before = before;
    before.retain(|path, _| path != ".paved-lock");
    assert!(after == before, "the previous tree is intact");
    assert!(!scratch.path().join("rendered/.paved-staging").exists());
    assert!(scratch.paved(&["render"]).code == 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
}

/// What a render killed before its commit point leaves (empty staging
/// directories) is not a stale tree: `check` passes with a note, and the
/// next render removes it.
#[test]
fn leftover_staging_directories_do_not_fail_check() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let leftover = scratch
        .path()
        .join("rendered/.paved-staging/files/dev-eu-west-1/payments");
    std::fs::create_dir_all(&leftover).unwrap();
    let check = scratch.paved(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    insta::assert_snapshot!(check.report(), @"
    exit code: 0
    note: a render interrupted before it changed anything left `rendered/.paved-staging`; the next `paved render` removes it
    `rendered/` is up to date (69 files)
    ");
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert!(!scratch.path().join("rendered/.paved-staging").exists());
    // A committed plan, by contrast, means a half-moved tree.
    let staging = scratch.path().join("rendered/.paved-staging");
    std::fs::create_dir_all(staging.join("files")).unwrap();
    std::fs::write(staging.join("plan"), "remove dev-eu-west-1/payments/x\n").unwrap();
    let check = scratch.paved(&["check"]);
    insta::assert_snapshot!(check.report(), @"
    exit code: 1
    a render was interrupted while it put its files in place (its plan is in `rendered/.paved-staging`): `rendered/` may mix old and new files
    `rendered/` is out of date. Run `paved render` to finish the interrupted render, and commit the result
    ");
}

/// A second render started while one holds the lock is refused at once,
/// with the reason, and writes nothing.
#[test]
fn a_render_is_refused_while_another_holds_the_lock() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let lock = paved::write::Lock::exclusive(&scratch.path().join("rendered")).unwrap();
    change_every_service(&scratch, 7);
    let before = scratch.tree("rendered");
    let outcome = scratch.paved(&["render"]);
    insta::assert_snapshot!(outcome.report(), @"
    exit code: 2
    error: another `paved` process is using `rendered/` (a render writing it, or a check reading it); wait for it to finish, then run again

    paved: nothing under `rendered/` was changed
    ");
    assert_eq!(scratch.tree("rendered"), before);
    let outcome = scratch.paved(&["check"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    drop(lock);
    assert_eq!(scratch.paved(&["render"]).code, 0);
}

/// A render of everything stages each cluster's files as soon as they
/// pass, before it renders the next (so that it never holds every file);
/// one whose last cluster then breaks a rule writes nothing: the previous
/// tree stays as it was, nothing staged is left behind, and a first render
/// that fails so leaves no `rendered/` at all.
#[test]
fn a_render_that_fails_in_its_last_cluster_leaves_the_tree_as_it_was() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let before = scratch.tree("rendered");
    // Every cluster's files change; only the last cluster
    // (`staging-eu-west-1`) breaks a rule.
    change_every_service(&scratch, 7);
    let intent = "teams/payments/services/checkout.yaml";
    let text = scratch.read(intent).replace(
        "patches:\n",
        "patches:\n  - target: {kind: Deployment, name: checkout}\n    environments: [staging]\n    operations:\n      - {op: replace, path: /spec/replicas, value: three}\n",
    );
    scratch.write(intent, &text);
    let failed = scratch.paved(&["render"]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        failed.stderr.contains("staging-eu-west-1")
            && failed.stderr.contains("nothing was written"),
        "{}",
        failed.stderr
    );
    assert!(
        scratch.tree("rendered") == before,
        "the previous tree is intact"
    );
    assert!(!scratch.path().join("rendered/.paved-staging").exists());
    // The first render of the same inputs leaves nothing.
    std::fs::remove_dir_all(scratch.path().join("rendered")).unwrap();
    assert_eq!(scratch.paved(&["render"]).code, 1);
    assert!(!scratch.path().join("rendered").exists());
    // Fixed, the render writes every cluster's files, as `check` agrees.
    scratch.write(
        intent,
        &scratch.read(intent).replace("value: three", "value: 3"),
    );
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert_eq!(scratch.paved(&["check"]).code, 0);
    assert!(!scratch.path().join("rendered/.paved-staging").exists());
}
