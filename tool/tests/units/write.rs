use paved::write::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn writes_only_what_changed_and_removes_what_is_gone() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    let first = write(
        &dir,
        &files(&[("a/x.yaml", "1"), ("b/y.yaml", "2")]),
        Scope::Tree,
    )
    .unwrap();
    assert_eq!(first.written.len(), 2);
    let second = write(
        &dir,
        &files(&[("a/x.yaml", "1"), ("c/z.yaml", "3")]),
        Scope::Tree,
    )
    .unwrap();
    assert_eq!(second.written, ["c/z.yaml"]);
    assert_eq!(second.removed, ["b/y.yaml"]);
    assert_eq!(second.unchanged, 1);
    assert!(!dir.join("b").exists(), "empty directories are pruned");
    assert!(!dir.join(STAGING).exists());
}

#[test]
fn refuses_paths_that_leave_the_directory() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    for bad in [
        "../x.yaml",
        "/etc/x",
        "a/../../x",
        ".paved-staging/plan",
        ".paved-lock",
    ] {
        assert!(
            matches!(
                write(&dir, &files(&[(bad, "1")]), Scope::Tree),
                Err(WriteError::Escape(_))
            ),
            "{bad}"
        );
    }
    assert!(!temp.path().join("x.yaml").exists());
}

#[test]
fn an_uncommitted_staging_directory_is_discarded() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &files(&[("a.yaml", "old")]), Scope::Tree).unwrap();
    fs::create_dir_all(dir.join(STAGING).join("files")).unwrap();
    fs::write(dir.join(STAGING).join("files/a.yaml"), "half").unwrap();
    let drift = compare(&dir, &files(&[("a.yaml", "old")]), &Default::default()).unwrap();
    assert!(drift.leftover && !drift.interrupted && drift.is_clean());
    write(&dir, &files(&[("a.yaml", "old")]), Scope::Tree).unwrap();
    assert_eq!(fs::read_to_string(dir.join("a.yaml")).unwrap(), "old");
    assert!(!dir.join(STAGING).exists());
}

#[test]
fn a_probe_left_by_a_killed_run_does_not_block_the_next() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &files(&[("team/web/a.yaml", "old")]), Scope::Tree).unwrap();
    fs::write(dir.join("team/web").join(PROBE), "").unwrap();
    write(&dir, &files(&[("team/web/a.yaml", "new")]), Scope::Tree).unwrap();
    assert_eq!(
        fs::read_to_string(dir.join("team/web/a.yaml")).unwrap(),
        "new"
    );
    assert!(!dir.join("team/web").join(PROBE).exists());
}

/// A tree rendered from `before`, then a run killed after its commit
/// point: `staged` under the staging directory's `files/`, `plan` as the
/// committed plan. The next run with `wanted` must finish it.
fn finish_committed_plan(
    before: &[(&str, &str)],
    staged: &[(&str, &str)],
    plan: &str,
    wanted: &[(&str, &str)],
) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &files(before), Scope::Tree).unwrap();
    let staging = dir.join(STAGING);
    for (path, text) in staged {
        let path = staging.join("files").join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    fs::write(staging.join(PLAN), plan).unwrap();
    let wanted = files(wanted);
    let summary = write(&dir, &wanted, Scope::Tree).unwrap();
    assert_eq!(summary.unchanged, wanted.len());
    assert_eq!(tree(&dir), wanted);
    assert!(!staging.exists());
}

#[test]
fn a_committed_plan_is_finished_by_the_next_run() {
    // Staged as numbered files; `b.yaml` is already in place (the run
    // was killed after moving it).
    finish_committed_plan(
        &[("a.yaml", "old"), ("gone.yaml", "x"), ("b.yaml", "new too")],
        &[("1", "new")],
        "staged by number\nwrite 0 b.yaml\nwrite 1 a.yaml\nremove gone.yaml\n",
        &[("a.yaml", "new"), ("b.yaml", "new too")],
    );
}

/// A plan left by a paved from before staged files were numbered names
/// each file by its path.
#[test]
fn a_committed_plan_of_an_older_paved_is_finished_too() {
    finish_committed_plan(
        &[("t/a.yaml", "old"), ("gone.yaml", "x")],
        // A path that starts like a number does not read as one.
        &[("t/a.yaml", "new"), ("2024 notes.yaml", "added")],
        "write t/a.yaml\nwrite 2024 notes.yaml\nremove gone.yaml\n",
        &[("t/a.yaml", "new"), ("2024 notes.yaml", "added")],
    );
}

/// A render that makes new directories probes the directory they were
/// made in, once, rather than each of them.
#[test]
fn new_directories_are_probed_through_the_one_they_are_made_in() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    // Made in `rendered/` itself: its probe failing stops the render
    // before anything changes.
    faults::reset(None, Some((Step::Probe, "rendered")));
    let error = write(&dir, &new_tree(), Scope::Tree).unwrap_err();
    faults::reset(None, None);
    assert!(!error.is_unfinished(), "{error}");
    assert_eq!(tree(&dir), old_tree());
    assert!(!dir.join("d").exists());
    // The directories made for it are not probed themselves.
    faults::reset(None, Some((Step::Probe, "rendered/d")));
    let written = write(&dir, &new_tree(), Scope::Tree);
    faults::reset(None, None);
    written.unwrap();
    assert_eq!(tree(&dir), new_tree());
}

#[cfg(unix)]
#[test]
fn never_follows_symlinks_out() {
    let temp = tempfile::tempdir().unwrap();
    let outside = temp.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("keep.yaml"), "precious").unwrap();
    let dir = temp.path().join("rendered");
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("a")).unwrap();
    write(&dir, &files(&[("a/keep.yaml", "overwrite?")]), Scope::Tree).unwrap();
    assert_eq!(
        fs::read_to_string(outside.join("keep.yaml")).unwrap(),
        "precious"
    );
    assert!(fs::symlink_metadata(dir.join("a")).unwrap().is_dir());

    let linked = temp.path().join("linked");
    std::os::unix::fs::symlink(&outside, &linked).unwrap();
    assert!(matches!(
        write(&linked, &files(&[("x.yaml", "1")]), Scope::Tree),
        Err(WriteError::SymlinkedOutput(_))
    ));
}

/// The tree on disk, without paved's own lock file.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    existing_files(dir)
        .unwrap()
        .into_iter()
        .map(|relative| {
            let text = fs::read_to_string(dir.join(&relative)).unwrap();
            (relative, text)
        })
        .collect()
}

/// Every directory under `dir`, staging included.
fn directories(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(at) = pending.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                out.push(path.clone());
                pending.push(path);
            }
        }
    }
    out.sort();
    out
}

fn old_tree() -> BTreeMap<String, String> {
    files(&[
        ("a/x.yaml", "same"),
        ("b/y.yaml", "old"),
        ("c/z.yaml", "gone soon"),
    ])
}

fn new_tree() -> BTreeMap<String, String> {
    files(&[
        ("a/x.yaml", "same"),
        ("b/y.yaml", "new"),
        ("d/e/w.yaml", "added"),
    ])
}

/// Fails each change to the file system in turn. Before the commit
/// point the previous tree is intact, with no staging directory and no
/// directory left behind; after it, the next run finishes the change.
/// Failures creating directories or probing them always come before.
#[test]
fn every_failure_leaves_the_previous_tree_or_a_plan_the_next_run_finishes() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    faults::reset(None, None);
    write(&dir, &new_tree(), Scope::Tree).unwrap();
    let changes = faults::count();
    assert!(changes > 10, "{changes}");
    let (mut before, mut after) = (0, 0);
    for fail_at in 0..changes {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("rendered");
        write(&dir, &old_tree(), Scope::Tree).unwrap();
        let dirs = directories(&dir);
        faults::reset(Some(fail_at), None);
        let error =
            write(&dir, &new_tree(), Scope::Tree).expect_err("the injected fault fails the write");
        faults::reset(None, None);
        let message = error.to_string();
        if dir.join(STAGING).join(PLAN).exists() {
            after += 1;
            assert!(error.is_unfinished(), "{message}");
            assert!(
                compare(&dir, &new_tree(), &Default::default())
                    .unwrap()
                    .interrupted
            );
        } else if tree(&dir) == old_tree() {
            before += 1;
            assert!(!error.is_unfinished(), "{message}");
            assert_eq!(
                directories(&dir),
                dirs,
                "failed at change {fail_at}: {message}"
            );
            assert!(
                compare(&dir, &old_tree(), &Default::default())
                    .unwrap()
                    .is_clean()
            );
        } else {
            // Failed removing the staging directory once all was in place.
            assert_eq!(
                tree(&dir),
                new_tree(),
                "failed at change {fail_at}: {message}"
            );
        }
        if message.contains("Probe") || message.contains("CreateDir") {
            assert!(!error.is_unfinished(), "{message}");
        }
        write(&dir, &new_tree(), Scope::Tree).unwrap();
        assert_eq!(tree(&dir), new_tree());
        assert!(!dir.join(STAGING).exists());
        assert!(
            compare(&dir, &new_tree(), &Default::default())
                .unwrap()
                .is_clean()
        );
    }
    assert!(before > 5 && after > 0, "{before} before, {after} after");
}

/// A directory that cannot be written (as a read-only mount, or without
/// permission, would be) fails the render before its commit point.
#[test]
fn an_unwritable_directory_fails_before_anything_changes() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    faults::reset(None, Some((Step::Probe, "rendered/c")));
    let error = write(&dir, &new_tree(), Scope::Tree).unwrap_err();
    faults::reset(None, None);
    assert!(!error.is_unfinished());
    assert!(error.to_string().contains("rendered/c"), "{error}");
    assert_eq!(tree(&dir), old_tree());
    assert!(!dir.join(STAGING).exists());
    assert!(
        !dir.join("d").exists(),
        "directories made for the render are removed"
    );
}

/// The same with real permissions, where they apply (not as root).
#[cfg(unix)]
#[test]
fn a_read_only_directory_fails_before_anything_changes() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    let locked = dir.join("c");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(locked.join("probe"), "").is_ok() {
        // Permissions do not bind this user (root): the injected fault
        // above covers this case.
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let error = write(&dir, &new_tree(), Scope::Tree).unwrap_err();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!error.is_unfinished(), "{error}");
    assert_eq!(tree(&dir), old_tree());
    assert!(!dir.join(STAGING).exists());
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    let held = Lock::exclusive(&dir).unwrap();
    assert!(matches!(
        write(&dir, &new_tree(), Scope::Tree),
        Err(WriteError::Busy(_))
    ));
    assert!(matches!(
        compare(&dir, &old_tree(), &Default::default()),
        Err(WriteError::Busy(_))
    ));
    write_locked(&held, &new_tree(), &Found::default(), Scope::Tree).unwrap();
    drop(held);
    let reader = Lock::shared(&dir).unwrap().unwrap();
    assert!(
        compare(&dir, &new_tree(), &Default::default())
            .unwrap()
            .is_clean(),
        "readers share"
    );
    assert!(matches!(
        write(&dir, &old_tree(), Scope::Tree),
        Err(WriteError::Busy(_))
    ));
    drop(reader);
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    assert_eq!(tree(&dir), old_tree());
    assert!(
        Lock::exclusive_if_present(&temp.path().join("none"))
            .unwrap()
            .is_none()
    );
    assert!(!temp.path().join("none").exists());
}

#[test]
fn things_in_the_way_of_paved_own_files_are_replaced() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    // A file where the staging directory goes, and a file where a
    // directory of the new tree goes.
    fs::write(dir.join(STAGING), "in the way").unwrap();
    fs::write(dir.join("d"), "in the way").unwrap();
    // And a directory, with files in it, where a file goes.
    fs::remove_file(dir.join("b/y.yaml")).unwrap();
    fs::create_dir_all(dir.join("b/y.yaml/deeper")).unwrap();
    fs::write(dir.join("b/y.yaml/deeper/z.yaml"), "in the way").unwrap();
    write(&dir, &new_tree(), Scope::Tree).unwrap();
    assert_eq!(tree(&dir), new_tree());
}

#[cfg(unix)]
#[test]
fn the_lock_file_is_never_created_through_a_symlink() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    fs::create_dir_all(&dir).unwrap();
    let outside = temp.path().join("outside-lock");
    std::os::unix::fs::symlink(&outside, dir.join(LOCK)).unwrap();
    write(&dir, &old_tree(), Scope::Tree).unwrap();
    assert!(!outside.exists());
    assert!(fs::symlink_metadata(dir.join(LOCK)).unwrap().is_file());
}

#[test]
fn hashes_name_every_file_of_a_finished_tree_and_nothing_else() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("rendered");
    write(
        &dir,
        &files(&[("a/x.yaml", "1"), ("b.yaml", "2")]),
        Scope::Tree,
    )
    .unwrap();
    let hashes = paved::write::hashes(&dir).unwrap().unwrap();
    assert_eq!(
        hashes,
        files(&[
            ("a/x.yaml", &paved::support::hash::sha256(b"1")),
            ("b.yaml", &paved::support::hash::sha256(b"2")),
        ])
    );
    // A symlink among the files, or a render's staging, is not a finished
    // tree; a symlinked tree is refused.
    std::os::unix::fs::symlink(dir.join("b.yaml"), dir.join("c.yaml")).unwrap();
    assert_eq!(paved::write::hashes(&dir).unwrap(), None);
    fs::remove_file(dir.join("c.yaml")).unwrap();
    fs::create_dir(dir.join(STAGING)).unwrap();
    assert_eq!(paved::write::hashes(&dir).unwrap(), None);
    fs::remove_dir(dir.join(STAGING)).unwrap();
    let link = temp.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    assert!(paved::write::hashes(&link).is_err());
}
