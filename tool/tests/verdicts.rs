//! This clone's verdicts (`rendered/.paved-verdicts`, local): an
//! unfocused `validate` or `policy` on inputs nobody touched since the
//! last one answers at once with what that one printed, and nothing it
//! cannot vouch for (an edit, a file merely rewritten, another day, a
//! record from another clone) is ever answered from it.

use crate::diff::edit;
use crate::support::{Outcome, Scratch, copy_dir, paved_in_on, settle, stable};

/// What a recalled run adds to its summary line.
const RECALLED: &str = "the inputs are as this clone's last";

/// The record's path.
fn record() -> String {
    format!("rendered/{}", paved::write::VERDICTS)
}

/// The run's streams without the time it took or the recalled note.
fn printed(outcome: &Outcome) -> (i32, String, String) {
    let stderr = stable(&outcome.stderr)
        .lines()
        .map(|line| line.split(" (the inputs are as").next().unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    (outcome.code, outcome.stdout.clone(), stderr)
}

/// Runs `args` twice: the first works in full, the second answers from
/// the record with what the first printed.
fn recalled(scratch: &Scratch, args: &[&str]) -> Outcome {
    let full = scratch.paved(args);
    assert!(!full.stderr.contains(RECALLED), "{args:?}: {}", full.stderr);
    let again = scratch.paved(args);
    assert!(
        again.stderr.contains(RECALLED),
        "{args:?}: {}",
        again.stderr
    );
    assert_eq!(printed(&full), printed(&again), "{args:?}");
    again
}

fn works_in_full(scratch: &Scratch, args: &[&str]) -> Outcome {
    let outcome = scratch.paved(args);
    assert!(
        !outcome.stderr.contains(RECALLED),
        "{args:?}: {}",
        outcome.stderr
    );
    outcome
}

#[test]
fn an_untouched_tree_is_validated_and_checked_against_policy_at_once() {
    let scratch = Scratch::example();
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    settle();
    // The findings are printed again as they were, snippets and all, in
    // every format.
    let policy = recalled(&scratch, &["policy"]);
    assert!(policy.stderr.contains("warning"), "{}", policy.stderr);
    assert!(policy.stderr.contains(" │ "), "{}", policy.stderr);
    for args in [
        &["validate"][..],
        &["validate", "--format", "json"],
        &["policy", "--format", "json"],
        &["policy", "--format", "sarif"],
    ] {
        std::fs::remove_file(scratch.path().join(record())).unwrap();
        recalled(&scratch, args);
    }
    // Each verdict is kept beside the others: the options make their own.
    recalled(&scratch, &["validate"]);
    recalled(&scratch, &["validate", "--allow-unknown-kinds"]);
    for args in [["validate"], ["policy"]] {
        assert!(scratch.paved(&args).stderr.contains(RECALLED));
    }
    // A focus, a base: never from the record.
    for args in [
        &["validate", "--service", "auth"][..],
        &["policy", "--team", "identity"],
    ] {
        works_in_full(&scratch, args);
        works_in_full(&scratch, args);
    }
    // The record is paved's own: neither an unexpected file, nor removed.
    assert_eq!(scratch.paved(&["check"]).code, 0);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert!(scratch.path().join(record()).is_file());
    assert!(scratch.paved(&["validate"]).stderr.contains(RECALLED));
}

#[test]
fn nothing_the_record_cannot_vouch_for_is_answered_from_it() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    // Inputs touched within the last moments: reached, not recorded.
    works_in_full(&scratch, &["policy"]);
    works_in_full(&scratch, &["policy"]);
    settle();
    recalled(&scratch, &["policy"]);
    // An edit: the finding it makes is reported, and recorded.
    let auth = "teams/identity/services/auth.yaml";
    edit(&scratch, auth, "    tag: 12.0.0", "    tag: 12.0.2");
    settle();
    let edited = recalled(&scratch, &["policy"]);
    assert!(edited.stderr.contains("auth:12.0.2"), "{}", edited.stderr);
    // The same bytes written again: the file's change time moved.
    let text = scratch.read(auth);
    scratch.write(auth, &text);
    works_in_full(&scratch, &["policy"]);
    // Another day (an exception may have expired).
    let tomorrow = paved_in_on(scratch.path(), &["policy"], "2031-01-02");
    assert!(!tomorrow.stderr.contains(RECALLED), "{}", tomorrow.stderr);
    // A file added under the inputs, even one no render reads as an
    // intent.
    scratch.write("teams/identity/notes.txt", "hello\n");
    works_in_full(&scratch, &["policy"]);
    // A file added, then removed again: its folder's times moved (so a
    // file added while a run reads the inputs never goes unseen).
    settle();
    recalled(&scratch, &["policy"]);
    scratch.write("teams/identity/services/draft.txt", "later\n");
    scratch.remove("teams/identity/services/draft.txt");
    works_in_full(&scratch, &["policy"]);
    // A symlinked input, whose target is rewritten with the same bytes:
    // stamped as the link and as what it points to.
    let cleaner = scratch.read("teams/identity/services/session-cleaner.yaml");
    let extra = cleaner.replace("name: session-cleaner", "name: extra-cleaner");
    assert_ne!(extra, cleaner);
    scratch.write("shared/extra-cleaner.yaml", &extra);
    std::os::unix::fs::symlink(
        "../../../shared/extra-cleaner.yaml",
        scratch
            .path()
            .join("teams/identity/services/extra-cleaner.yaml"),
    )
    .unwrap();
    settle();
    let linked = recalled(&scratch, &["policy"]);
    assert!(linked.stderr.contains("extra-cleaner"), "{}", linked.stderr);
    scratch.write("shared/extra-cleaner.yaml", &extra);
    works_in_full(&scratch, &["policy"]);
    // Another clone with this one's record (copied, or committed by a
    // pull request): every input has other stamps.
    settle();
    recalled(&scratch, &["validate"]);
    let clone = Scratch::example();
    std::fs::remove_dir_all(clone.path()).unwrap();
    copy_dir(scratch.path(), clone.path());
    assert!(clone.path().join(record()).is_file());
    works_in_full(&clone, &["validate"]);
    works_in_full(&clone, &["policy"]);
    // A record of another format, or none, is not used.
    let path = scratch.path().join(record());
    let text = scratch.read(&record());
    std::fs::write(&path, text.replace("paved-verdicts 1", "paved-verdicts 2")).unwrap();
    works_in_full(&scratch, &["validate"]);
    std::fs::write(&path, "{}").unwrap();
    works_in_full(&scratch, &["validate"]);
}

#[test]
fn errors_are_recalled_as_errors() {
    let scratch = Scratch::example();
    let intent = "teams/storefront/services/search.yaml";
    // Each string is within the limit on one; together they are not.
    let big = "synonym, ".repeat(80_000);
    let small = "synonym, ".repeat(40_000);
    let text = scratch.read(intent);
    scratch.write(
        intent,
        &text.replace(
            "files:\n",
            &format!("files:\n  big.txt: \"{big}\"\n  more.txt: \"{small}\"\n"),
        ),
    );
    // (No render writes `rendered/`, where the record is kept.)
    std::fs::create_dir(scratch.path().join("rendered")).unwrap();
    settle();
    let again = recalled(&scratch, &["validate"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.stderr.contains("field `files.big.txt`") && again.stderr.contains(intent),
        "{}",
        &again.stderr[..again.stderr.len().min(2000)]
    );
}

#[test]
fn the_record_is_never_written_through_a_symlink_nor_outside_rendered() {
    let scratch = Scratch::example();
    // No `rendered/`: nothing is made for the record.
    works_in_full(&scratch, &["validate"]);
    works_in_full(&scratch, &["validate"]);
    assert!(!scratch.path().join("rendered").exists());
    assert_eq!(scratch.paved(&["render"]).code, 0);
    settle();
    // Symlinks where the record is read and where it is written (this
    // process's id names the latter: paved runs in-process here).
    let rendered = scratch.path().join("rendered");
    let record = rendered.join(paved::write::VERDICTS);
    let aside = rendered.join(format!("{}.{}", paved::write::VERDICTS, std::process::id()));
    let (read, written) = (scratch.path().join("read"), scratch.path().join("written"));
    for (link, target) in [(&record, &read), (&aside, &written)] {
        std::fs::write(target, "outside\n").unwrap();
        std::os::unix::fs::symlink(target, link).unwrap();
    }
    works_in_full(&scratch, &["validate"]);
    assert_eq!(scratch.read("read"), "outside\n");
    assert_eq!(scratch.read("written"), "outside\n");
    assert!(std::fs::symlink_metadata(&record).unwrap().is_file());
    assert!(scratch.paved(&["validate"]).stderr.contains(RECALLED));
}

/// `check` recalls what a render of untouched inputs writes, and compares
/// the files with it afresh each time: whatever the files hold, it
/// prints what a full check prints.
#[test]
fn check_compares_the_files_with_what_untouched_inputs_render() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    settle();
    let recalled_check = |what: &str| {
        let again = scratch.paved(&["check", "--format", "json"]);
        let note = "note: the inputs are as this clone's last `paved check` found them: the files are compared with what it found they render\n";
        assert!(again.stderr.starts_with(note), "{what}: {}", again.stderr);
        std::fs::remove_file(scratch.path().join(record())).unwrap();
        let full = scratch.paved(&["check", "--format", "json"]);
        assert!(
            !full.stderr.contains("this clone's last"),
            "{}",
            full.stderr
        );
        let without_note = again.stderr.replacen(note, "", 1);
        assert_eq!(
            (again.code, &again.stdout, &without_note),
            (full.code, &full.stdout, &full.stderr),
            "{what}"
        );
        // (The full check recorded the verdict again.)
        again
    };
    let full = works_in_full(&scratch, &["check"]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    recalled_check("clean");
    let manifest = "rendered/prod-eu-west-1/identity/auth/manifest.yaml";
    let text = scratch.read(manifest);
    scratch.write(manifest, &format!("{text}# by hand\n"));
    assert!(
        recalled_check("stale")
            .stdout
            .contains(manifest.trim_start_matches("rendered/"))
    );
    scratch.remove(manifest);
    recalled_check("missing");
    scratch.write(&format!("{manifest}/inside.yaml"), "kind: Secret\n");
    recalled_check("a folder where a file should be");
    std::fs::remove_dir_all(scratch.path().join(manifest)).unwrap();
    scratch.write(manifest, &text);
    scratch.write("rendered/dev-eu-west-1/stray.yaml", "kind: Secret\n");
    recalled_check("unexpected");
    scratch.remove("rendered/dev-eu-west-1/stray.yaml");
    assert_eq!(scratch.paved(&["codeowners"]).code, 0);
    recalled_check("CODEOWNERS written");
    let codeowners = scratch.read(".github/CODEOWNERS");
    scratch.write(".github/CODEOWNERS", &format!("{codeowners}* @everyone\n"));
    assert!(
        recalled_check("CODEOWNERS")
            .stdout
            .contains("\"codeownersStale\": true")
    );
    let mut bytes = codeowners.clone().into_bytes();
    bytes.extend(b"\xff\xfe\n");
    std::fs::write(scratch.path().join(".github/CODEOWNERS"), bytes).unwrap();
    let garbled = recalled_check("CODEOWNERS not UTF-8");
    assert!(garbled.stdout.contains("\"codeownersStale\": true"));
    scratch.write(".github/CODEOWNERS", &codeowners);
    let clean = recalled_check("clean again");
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    // What an interrupted render leaves: only a full check says.
    std::fs::create_dir(scratch.path().join("rendered/.paved-staging")).unwrap();
    let leftover = works_in_full(&scratch, &["check"]);
    assert!(
        leftover.stderr.contains("left `rendered/.paved-staging`"),
        "{}",
        leftover.stderr
    );
    std::fs::remove_dir(scratch.path().join("rendered/.paved-staging")).unwrap();
    // An index that differs (it may name another paved), or none: only a
    // full check can say.
    let index = format!("rendered/{}", paved::index::INDEX);
    let indexed = scratch.read(&index);
    scratch.write(
        &index,
        &indexed.replacen("\"paved\": \"", "\"paved\": \"9", 1),
    );
    works_in_full(&scratch, &["check"]);
    scratch.remove(&index);
    works_in_full(&scratch, &["check"]);
    works_in_full(&scratch, &["check"]);
}

/// What paved keeps in `rendered/` for this clone alone is ignored by git
/// in any repository (`rendered/.gitignore`, which a render writes), even
/// one whose own `.gitignore` says nothing of it.
#[test]
fn git_ignores_what_paved_keeps_for_this_clone() {
    let scratch = Scratch::example();
    let _ = std::fs::remove_file(scratch.path().join(".gitignore"));
    crate::diff::git(&scratch, &["init", "-q", "-b", "main"]);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    settle();
    recalled(&scratch, &["validate"]);
    assert_eq!(scratch.paved(&["render"]).code, 0);
    // (Its records are written aside first, named by the process id.)
    let (hashes, verdicts) = (paved::write::HASHES, paved::write::VERDICTS);
    let local = [
        paved::write::LOCK.to_owned(),
        paved::write::STAGING.to_owned(),
        hashes.to_owned(),
        format!("{hashes}.123"),
        verdicts.to_owned(),
        format!("{verdicts}.123"),
    ];
    for name in local {
        let path = format!("rendered/{name}");
        let ignored = std::process::Command::new("git")
            .args(["check-ignore", "-q", &path])
            .current_dir(scratch.path())
            .status()
            .unwrap();
        assert!(ignored.success(), "{path} is not ignored");
    }
    let status = std::process::Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--ignored=no",
            "--untracked-files=all",
        ])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    let status = String::from_utf8(status.stdout).unwrap();
    assert!(status.contains("?? rendered/.gitignore\n"), "{status}");
    for local in [".paved-lock", ".paved-hashes", ".paved-verdicts"] {
        assert!(!status.contains(&format!("rendered/{local}")), "{status}");
    }
    assert!(scratch.path().join(record()).is_file());
}
