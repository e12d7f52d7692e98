//! The index a full render commits beside `rendered/`: a render of an
//! unchanged, committed tree and `check --base` stop at it, and nothing it
//! cannot vouch for (a hand edit, an edited index, another day, another
//! paved) saves any work.

use std::collections::BTreeMap;

use paved::index::INDEX;

use crate::diff::git;
use crate::support::{INPUT_DIRS, Scratch, copy_dir, paved_in_on, stable};

const SHORTCUT: &str = "nothing changed since the last render";

/// The example organisation, rendered and committed on `main`.
fn committed() -> Scratch {
    committed_after(|_| {})
}

/// The example after `prepare`, rendered and committed, tagged `base`.
fn committed_after(prepare: impl FnOnce(&Scratch)) -> Scratch {
    let scratch = Scratch::example();
    prepare(&scratch);
    let rendered = scratch.paved(&["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    git(&scratch, &["init", "-q", "-b", "main"]);
    commit(&scratch, "base");
    git(&scratch, &["tag", "base"]);
    scratch
}

fn commit(scratch: &Scratch, message: &str) {
    git(scratch, &["add", "-A"]);
    git(scratch, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// What a render from nothing writes for the inputs of `scratch`.
fn clean_render(scratch: &Scratch) -> BTreeMap<String, Vec<u8>> {
    let clean = Scratch::example();
    for dir in INPUT_DIRS {
        std::fs::remove_dir_all(clean.path().join(dir)).unwrap();
        copy_dir(&scratch.path().join(dir), &clean.path().join(dir));
    }
    let outcome = clean.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    clean.tree("rendered")
}

/// A render that stops at the index reads every file of `rendered/` to
/// be sure of it; it records their hashes by what the file system says of
/// each (`rendered/.paved-hashes`, local), and the next one reads only
/// what moved. An edit that keeps a file's size and puts its modification
/// time back still moves its change time; a record copied to another
/// clone names other files. Neither passes.
#[test]
fn the_record_of_hashes_never_lets_a_hand_edit_pass() {
    let scratch = committed();
    // Only files whose times are settled are recorded.
    crate::support::settle();
    let manifest = "rendered/dev-eu-west-1/identity/auth/manifest.yaml";
    for _ in 0..2 {
        let again = scratch.paved(&["render"]);
        assert!(again.stderr.contains(SHORTCUT), "{}", again.stderr);
    }
    let record = scratch.read(&format!("rendered/{}", paved::write::HASHES));
    assert!(
        record.contains(" dev-eu-west-1/identity/auth/manifest.yaml\n"),
        "{record}"
    );
    // A no-op run goes by the record: a hash changed in it (the file's
    // stamp kept) makes the tree differ from the index, rendered in full;
    // the record is then forgotten, and the next run reads every file.
    let hash = paved::support::hash::sha256(scratch.read(manifest).as_bytes());
    let record_path = format!("rendered/{}", paved::write::HASHES);
    scratch.replace(&record_path, &hash, &"0".repeat(64));
    let full = scratch.paved(&["render"]);
    assert!(!full.stderr.contains(SHORTCUT), "{}", full.stderr);
    assert!(scratch.paved(&["render"]).stderr.contains(SHORTCUT));
    assert!(scratch.read(&record_path).contains(&hash));
    let path = scratch.path().join(manifest);
    let hand_edit = |scratch: &Scratch| {
        let path = scratch.path().join(manifest);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        scratch.replace(manifest, "replicas: 1", "replicas: 7");
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(modified).unwrap();
    };
    // Another clone with this one's record: every stamp differs.
    let clone = Scratch::example();
    std::fs::remove_dir_all(clone.path()).unwrap();
    copy_dir(scratch.path(), clone.path());
    assert!(
        clone
            .path()
            .join("rendered")
            .join(paved::write::HASHES)
            .is_file()
    );
    hand_edit(&clone);
    let caught = clone.paved(&["render"]);
    assert!(!caught.stderr.contains(SHORTCUT), "{}", caught.stderr);
    hand_edit(&scratch);
    let caught = scratch.paved(&["render"]);
    assert_eq!(caught.code, 0, "{}", caught.stderr);
    assert!(
        stable(&caught.stderr).contains(": 1 written, 0 removed, 68 unchanged"),
        "{}",
        caught.stderr
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("replicas: 1\n")
    );
    // The record is paved's own: neither an unexpected file nor removed.
    let check = scratch.paved(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    // A record paved did not write is not used.
    scratch.write(&format!("rendered/{}", paved::write::HASHES), "0 0 0\n");
    let again = scratch.paved(&["render"]);
    assert!(again.stderr.contains(SHORTCUT), "{}", again.stderr);
    // Symlinks where the record is read and where it is written (this
    // process's id names the latter: paved runs in-process here) are
    // never followed out of `rendered/`.
    let rendered = scratch.path().join("rendered");
    let record = rendered.join(paved::write::HASHES);
    let aside = rendered.join(format!("{}.{}", paved::write::HASHES, std::process::id()));
    let (read, written) = (scratch.path().join("read"), scratch.path().join("written"));
    for (link, target) in [(&record, &read), (&aside, &written)] {
        std::fs::write(target, "outside\n").unwrap();
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(target, link).unwrap();
    }
    let again = scratch.paved(&["render"]);
    assert!(again.stderr.contains(SHORTCUT), "{}", again.stderr);
    assert_eq!(scratch.read("read"), "outside\n");
    assert_eq!(scratch.read("written"), "outside\n");
    assert!(std::fs::symlink_metadata(&record).unwrap().is_file());
    // Only paved's own names are its own: a file named like the record but
    // for its end, or a folder under the record's name, is a file like any
    // other, which `check` reports and a render removes.
    std::fs::remove_file(&record).unwrap();
    scratch.write("rendered/.paved-hashes.evil.yaml", "kind: Secret\n");
    scratch.write("rendered/.paved-hashes/evil.yaml", "kind: Secret\n");
    let check = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    for stray in [".paved-hashes.evil.yaml", ".paved-hashes/evil.yaml"] {
        assert!(check.stderr.contains(stray), "{stray}: {}", check.stderr);
    }
    let render = scratch.paved(&["render"]);
    assert!(
        stable(&render.stderr).contains(": 0 written, 2 removed"),
        "{}",
        render.stderr
    );
}

/// The record keeps each folder's stamp too, and a folder that still has
/// it is not read again: an entry made, removed or renamed in it moves its
/// times, even when its modification time is put back (its change time
/// moves), so a stray file or folder is found and removed as ever.
#[test]
fn the_record_of_folders_never_hides_a_stray_entry() {
    let scratch = committed();
    crate::support::settle();
    for _ in 0..2 {
        let again = scratch.paved(&["render"]);
        assert!(again.stderr.contains(SHORTCUT), "{}", again.stderr);
    }
    let record = scratch.read(&format!("rendered/{}", paved::write::HASHES));
    assert!(
        record.contains(" dev-eu-west-1/identity/auth\n"),
        "{record}"
    );
    let folder = scratch.path().join("rendered/dev-eu-west-1/identity/auth");
    let manifest = folder.join("manifest.yaml");
    let stray = folder.join("stray.yaml");
    type Edit = fn(&Scratch, &std::path::Path, &std::path::Path);
    let edits: [(&str, Edit, &str); 3] = [
        (
            "a file added",
            |scratch, _, _| scratch.write("rendered/dev-eu-west-1/identity/auth/stray.yaml", "x\n"),
            ": 0 written, 1 removed",
        ),
        (
            "a folder added",
            |scratch, _, _| {
                scratch.write(
                    "rendered/dev-eu-west-1/identity/auth/deeper/stray.yaml",
                    "x\n",
                )
            },
            ": 0 written, 1 removed",
        ),
        // As many entries as before: the folder's size is the same too.
        (
            "the manifest renamed",
            |_, manifest, stray| std::fs::rename(manifest, stray).unwrap(),
            ": 1 written, 1 removed",
        ),
    ];
    for (edit, make, rendered) in edits {
        let modified = std::fs::metadata(&folder).unwrap().modified().unwrap();
        make(&scratch, &manifest, &stray);
        let file = std::fs::File::open(&folder).unwrap();
        file.set_modified(modified).unwrap();
        let check = scratch.paved(&["check", "--base", "main"]);
        assert_eq!(check.code, 1, "{edit}: {}", check.stderr);
        assert!(
            check.stderr.contains("stray.yaml"),
            "{edit}: {}",
            check.stderr
        );
        let render = scratch.paved(&["render"]);
        assert!(
            stable(&render.stderr).contains(rendered),
            "{edit}: {}",
            render.stderr
        );
        assert!(manifest.is_file() && !stray.exists(), "{edit}");
        // Recorded again once settled, for the next edit.
        crate::support::settle();
        let again = scratch.paved(&["render"]);
        assert!(again.stderr.contains(SHORTCUT), "{edit}: {}", again.stderr);
    }
}

/// An entry is named by its components joined with `/`, never by a
/// rewritten form: a file named `auth\manifest.yaml` beside the folder
/// `auth/` is a stray file of its own, found and removed, and a folder
/// named so, once recorded, hides nothing added in it. A name paved could
/// not write down (not UTF-8, a line break) stops `check` and `render`
/// with the path, rather than be reported or removed as another name.
#[test]
fn odd_names_in_rendered_are_never_taken_for_others() {
    use std::os::unix::ffi::OsStrExt;
    let scratch = committed();
    let unit = "rendered/dev-eu-west-1/identity";
    // A folder paved never makes, recorded empty, then a file in it.
    std::fs::create_dir(scratch.path().join(format!("{unit}/a\\b"))).unwrap();
    crate::support::settle();
    for _ in 0..2 {
        let again = scratch.paved(&["render"]);
        assert!(again.stderr.contains(SHORTCUT), "{}", again.stderr);
    }
    // (`.paved-probe` is the name of the file a render makes for a moment
    // in a folder it is about to change: anywhere else, it is a stray.)
    for stray in ["auth\\manifest.yaml", "a\\b/evil.yaml", "auth/.paved-probe"] {
        scratch.write(&format!("{unit}/{stray}"), "kind: Secret\n");
        let check = scratch.paved(&["check", "--base", "main"]);
        assert_eq!(check.code, 1, "{stray}: {}", check.stderr);
        assert!(check.stderr.contains(stray), "{stray}: {}", check.stderr);
        let render = scratch.paved(&["render"]);
        assert!(
            stable(&render.stderr).contains(": 0 written, 1 removed"),
            "{stray}: {}",
            render.stderr
        );
        assert!(!scratch.path().join(format!("{unit}/{stray}")).exists());
        assert!(
            scratch
                .path()
                .join(format!("{unit}/auth/manifest.yaml"))
                .is_file()
        );
    }
    let folder = scratch.path().join(unit).join("auth");
    let unnamed = [
        std::ffi::OsStr::from_bytes(b"x\xffy.yaml"),
        std::ffi::OsStr::new("two\nlines.yaml"),
    ];
    for name in unnamed {
        let path = folder.join(name);
        std::fs::write(&path, "kind: Secret\n").unwrap();
        let before = scratch.tree("rendered");
        for args in [&["check", "--base", "main"][..], &["render"]] {
            let refused = scratch.paved(args);
            assert_eq!(refused.code, 2, "{args:?} {name:?}: {}", refused.stderr);
            assert!(
                refused
                    .stderr
                    .contains("has a name paved cannot write down"),
                "{args:?} {name:?}: {}",
                refused.stderr
            );
        }
        assert_eq!(scratch.tree("rendered"), before, "{name:?}");
        std::fs::remove_file(&path).unwrap();
    }
}

/// A unit's folder replaced by a symlink to a copy of it elsewhere: the
/// manifest reached through the link is not in place (the link is an
/// entry of its own, which goes), so the render writes the folder anew
/// and leaves the copy alone.
#[test]
fn a_symlinked_unit_folder_is_replaced_by_the_unit() {
    let scratch = committed();
    let folder = scratch.path().join("rendered/dev-eu-west-1/identity/auth");
    let outside = scratch.path().join("outside");
    copy_dir(&folder, &outside);
    std::fs::remove_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(&outside, &folder).unwrap();
    let check = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(
        stable(&render.stderr).contains(": 1 written, 1 removed"),
        "{}",
        render.stderr
    );
    let meta = std::fs::symlink_metadata(&folder).unwrap();
    assert!(meta.is_dir(), "the link is replaced by a folder");
    assert_eq!(
        std::fs::read(folder.join("manifest.yaml")).unwrap(),
        std::fs::read(outside.join("manifest.yaml")).unwrap()
    );
    assert_eq!(scratch.paved(&["check", "--base", "main"]).code, 0);
}

#[test]
fn a_render_of_an_unchanged_committed_tree_stops_at_its_index() {
    let scratch = committed();
    let manifest = scratch
        .path()
        .join("rendered/dev-eu-west-1/identity/auth/manifest.yaml");
    let before = std::fs::metadata(&manifest).unwrap().modified().unwrap();
    let again = scratch.paved(&["render"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        stable(&again.stderr).contains(&format!(
            "Rendered 15 services in 4 clusters (66 units) in [time]: {SHORTCUT} (69 files"
        )),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::metadata(&manifest).unwrap().modified().unwrap(),
        before
    );
    // A team's docs are not an input of any manifest.
    scratch.write("teams/payments/docs/runbook.md", "# Runbook\n");
    let json = scratch.paved(&["render", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["written"], serde_json::json!([]), "{}", json.stdout);
    assert_eq!(report["unchanged"], 69);
    assert!(json.stderr.contains(SHORTCUT), "{}", json.stderr);
    // The same holds for `check` and `validate` against the base commit.
    let check = scratch.paved(&["check", "--base", "main"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("69 files; inputs and output unchanged since `main`"),
        "{}",
        check.stderr
    );
    let full = scratch.paved(&["validate"]);
    let validate = scratch.paved(&["validate", "--base", "main"]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let summary = |text: &str| stable(text).split(" (inputs").next().unwrap().to_owned();
    assert_eq!(
        summary(&validate.stderr),
        stable(&full.stderr).trim_end(),
        "{}",
        validate.stderr
    );
    assert!(
        validate.stderr.contains("unchanged since `main`"),
        "{}",
        validate.stderr
    );
    let unknown = scratch.paved(&["validate", "--base", "no-such-branch"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
}

/// An index says the tree validated with nothing to report: `check`
/// holds it to that.
#[test]
fn an_index_beside_a_tree_with_findings_is_one_too_many() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let index = scratch.read(&format!("rendered/{INDEX}"));
    let template = "golden-paths/worker/templates/deployment.yaml";
    scratch.replace(template, "revisionHistoryLimit:", "revisionHistoryLimt:");
    let forced = scratch.paved(&["render", "--allow-invalid"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(!scratch.path().join(format!("rendered/{INDEX}")).exists());
    assert_eq!(scratch.paved(&["check"]).code, 0);
    // An index that is right about every input and every file still
    // claims what is not so.
    let inputs =
        paved::input::load::inputs(&paved::input::source::WorkTree::new(scratch.path()).unwrap())
            .unwrap();
    let mut claimed: serde_json::Value = serde_json::from_str(&index).unwrap();
    claimed["inputs"] = serde_json::to_value(inputs).unwrap();
    for (path, bytes) in scratch.tree("rendered") {
        claimed["files"][path]["sha256"] = paved::support::hash::sha256(&bytes).into();
    }
    let text = serde_json::to_string_pretty(&claimed).unwrap() + "\n";
    scratch.write(&format!("rendered/{INDEX}"), &text);
    let check = scratch.paved(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stderr.contains(&format!(
            "unexpected (would be removed):\n  rendered/{INDEX}"
        )),
        "{}",
        check.stderr
    );
}

#[test]
fn an_index_is_trusted_only_when_committed_and_only_until_a_grant_expires() {
    // Not committed: the working tree's index is not trusted.
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let again = scratch.paved(&["render"]);
    assert!(
        again.stderr.contains("0 written, 0 removed, 69 unchanged"),
        "{}",
        again.stderr
    );
    // A grant that lapses changes what the same inputs render to.
    scratch.grant_auth_key_to_checkout("2026-11-28");
    scratch.read_auth_key_from_checkout();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    assert!(
        scratch
            .read(&format!("rendered/{INDEX}"))
            .contains("\"grantsHoldUntil\": \"2026-11-28\"")
    );
    git(&scratch, &["init", "-q", "-b", "main"]);
    commit(&scratch, "granted");
    let on_the_day = paved_in_on(scratch.path(), &["render"], "2026-11-28");
    assert!(
        on_the_day.stderr.contains(SHORTCUT),
        "{}",
        on_the_day.stderr
    );
    let after = paved_in_on(scratch.path(), &["render"], "2026-11-29");
    assert_eq!(after.code, 2, "{}", after.stderr);
    assert!(
        after
            .stderr
            .contains("grant of `identity/auth` to `checkout` expired on 2026-11-28"),
        "{}",
        after.stderr
    );
    let check = paved_in_on(scratch.path(), &["check", "--base", "main"], "2026-11-29");
    assert_eq!(check.code, 2, "{}", check.stderr);
}

/// The working tree's index is read in place of the committed one only
/// when it is the committed blob, byte for byte: one forged to vouch for
/// a hand edit, at the very same size, is not taken for it.
#[test]
fn a_forged_index_of_the_committed_size_is_not_taken_for_the_committed_one() {
    let scratch = committed();
    let manifest = "rendered/dev-eu-west-1/payments/ledger/manifest.yaml";
    let clean = scratch.read(manifest);
    let edited = clean.replacen("ledger", "LEDGER", 1);
    assert_eq!(edited.len(), clean.len());
    scratch.write(manifest, &edited);
    let path = format!("rendered/{INDEX}");
    let index = scratch.read(&path);
    let forged = index.replace(
        &paved::support::hash::sha256(clean.as_bytes()),
        &paved::support::hash::sha256(edited.as_bytes()),
    );
    assert_ne!(forged, index);
    assert_eq!(forged.len(), index.len());
    scratch.write(&path, &forged);
    let render = scratch.paved(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(
        !render.stderr.contains("nothing changed"),
        "{}",
        render.stderr
    );
    assert_eq!(scratch.read(manifest), clean);
    assert_eq!(scratch.read(&path), index);
}

#[test]
fn an_index_another_paved_wrote_saves_no_work_but_must_hold_otherwise() {
    let scratch = committed();
    let path = format!("rendered/{INDEX}");
    let ours = scratch.read(&path);
    // What a pull request that changes paved commits: the index names the
    // new paved, which the one checking it (the base's) cannot know.
    scratch.write(
        &path,
        &ours.replacen("\"paved\": \"", "\"paved\": \"9.9.9+", 1),
    );
    commit(&scratch, "a new paved");
    let check = scratch.paved(&["check", "--base", "HEAD"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        !check.stderr.contains("unchanged since"),
        "{}",
        check.stderr
    );
    let render = scratch.paved(&["render"]);
    assert!(
        render.stderr.contains("1 written, 0 removed, 68 unchanged"),
        "{}",
        render.stderr
    );
    assert_eq!(scratch.read(&path), ours);
    // What else it says must hold, whoever wrote it.
    let other = ours.replacen("\"paved\": \"", "\"paved\": \"9.9.9+", 1);
    scratch.write(
        &path,
        &other.replacen("\"resources\":", "\"resources\":1", 1),
    );
    let check = scratch.paved(&["check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        check.stderr.contains(&format!("rendered/{INDEX}")),
        "{}",
        check.stderr
    );
}

/// A small deterministic generator: the same edits on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [String]) -> &'a String {
        &items[self.below(items.len())]
    }
}

/// Edits a developer, a careless team or a forger could make, each once,
/// in a random order, on random files; after each, `check --base` says
/// whether the tree is what a render from nothing writes, and `render`
/// leaves exactly that. Now and then the result is committed, moving `HEAD`
/// (whose index `render` then trusts) while the base stays.
#[test]
fn incremental_results_are_clean_results_after_random_edits() {
    let scratch = committed();
    let mut rng = Rng(0x5eed_1dea);
    let mut edits: Vec<usize> = (0..10).collect();
    for i in (1..edits.len()).rev() {
        edits.swap(i, rng.below(i + 1));
    }
    for (step, edit) in edits.into_iter().enumerate() {
        let tree = scratch.tree("rendered");
        let manifests: Vec<String> = tree
            .keys()
            .filter(|path| path.ends_with("manifest.yaml"))
            .cloned()
            .collect();
        let intents: Vec<String> = scratch
            .tree("teams")
            .keys()
            .filter(|path| path.contains("/services/"))
            .map(|path| format!("teams/{path}"))
            .collect();
        let what = match edit {
            0 => {
                let intent = rng.pick(&intents);
                let text = scratch.read(intent);
                scratch.write(intent, &text.replacen("tag: ", &format!("tag: 9{step}"), 1));
                format!("a release in {intent}")
            }
            1 => {
                let intent = rng.pick(&intents);
                let text = scratch.read(intent);
                scratch.write(intent, &format!("{text}# reviewed\n"));
                format!("a comment in {intent}")
            }
            2 => {
                let manifest = rng.pick(&manifests);
                let path = format!("rendered/{manifest}");
                let text = scratch.read(&path);
                scratch.write(&path, &text.replacen("namespace: ", "namespace: x", 1));
                format!("a hand edit of {manifest}")
            }
            3 => {
                let manifest = rng.pick(&manifests);
                scratch.remove(&format!("rendered/{manifest}"));
                format!("{manifest} deleted")
            }
            4 => {
                scratch.write(
                    "rendered/dev-eu-west-1/extra/manifest.yaml",
                    "kind: Secret\n",
                );
                "a manifest paved does not render".to_owned()
            }
            5 => {
                // A hand edit, and the index made to vouch for it.
                let manifest = rng.pick(&manifests);
                let path = format!("rendered/{manifest}");
                let edited = format!("{}# by hand\n", scratch.read(&path));
                scratch.write(&path, &edited);
                let index = scratch.read(&format!("rendered/{INDEX}"));
                let old = paved::support::hash::sha256(&tree[manifest]);
                let new = paved::support::hash::sha256(edited.as_bytes());
                scratch.write(&format!("rendered/{INDEX}"), &index.replace(&old, &new));
                format!("a hand edit of {manifest} and the index forged to match")
            }
            6 => {
                let index = scratch.read(&format!("rendered/{INDEX}"));
                scratch.write(
                    &format!("rendered/{INDEX}"),
                    &index.replacen("\"resources\":", "\"resources\":1", 1),
                );
                "the index edited".to_owned()
            }
            // Edits that change what other units are made of: a
            // dependency dropped (the target loses a caller) and one added.
            7 => {
                let intent = "teams/payments/services/checkout.yaml";
                let text = scratch.read(intent);
                scratch.write(intent, &text.replace(", inventory, ", ", "));
                format!("`inventory` no longer called from {intent}")
            }
            8 => {
                let intent = "teams/fulfilment/services/stock-sync.yaml";
                let text = scratch.read(intent);
                scratch.write(
                    intent,
                    &text.replace("[inventory]", "[inventory, shipping-labels]"),
                );
                format!("`shipping-labels` called from {intent}")
            }
            // The resource session-cleaner shares, another kind now.
            _ => {
                let intent = "teams/identity/services/auth.yaml";
                let text = scratch.read(intent);
                scratch.write(intent, &text.replace("{type: redis}", "{type: postgres}"));
                format!("the resource session-cleaner shares changed in {intent}")
            }
        };
        // What a full `check` says: whether the tree is what a render from
        // nothing writes (an index may be missing, never wrong).
        let clean = clean_render(&scratch);
        let mut now = scratch.tree("rendered");
        if !now.contains_key(INDEX) {
            now.insert(INDEX.to_owned(), clean[INDEX].clone());
        }
        let expected = if now == clean { 0 } else { 1 };
        let anchored = scratch.paved(&["check", "--base", "base"]);
        assert_eq!(
            anchored.code, expected,
            "after {what}, `check --base` said\n{}",
            anchored.stderr
        );
        let rendered = scratch.paved(&["render"]);
        assert_eq!(rendered.code, 0, "after {what}: {}", rendered.stderr);
        assert!(
            scratch.tree("rendered") == clean,
            "after {what}, `render` left a tree that differs from a clean render:\n{}",
            rendered.stderr
        );
        if rng.below(2) == 0 {
            commit(&scratch, &what);
            let again = scratch.paved(&["render"]);
            assert!(
                again.stderr.contains(SHORTCUT),
                "after {what}: {}",
                again.stderr
            );
            assert!(scratch.tree("rendered") == clean, "after {what}");
        }
    }
}

/// A focused render takes its clusters' own units from the committed tree
/// only while the committed index vouches for their bytes: a hand edit
/// to one (here, the service's namespace taken out of the platform's
/// unit) is not read back, and the render checks against what the
/// inputs render.
#[test]
fn a_focused_render_reads_back_only_the_bytes_the_committed_index_names() {
    let scratch = committed();
    let platform = "rendered/prod-eu-west-1/_platform/manifest.yaml";
    let text = scratch.read(platform);
    let namespace = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n";
    let start = text
        .find(namespace)
        .expect("the platform creates `payments`");
    let end = text[start + 4..]
        .find("---\n")
        .map_or(text.len(), |at| start + 4 + at);
    let edited = format!("{}{}", &text[..start], &text[end..]);
    scratch.write(platform, &edited);
    let checkout = "teams/payments/services/checkout.yaml";
    let intent = scratch.read(checkout);
    scratch.write(
        checkout,
        &intent.replacen("maxBodySize: 1m", "maxBodySize: 2m", 1),
    );
    let outcome = scratch.paved(&["render", "--service", "checkout"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(scratch.read(platform), edited, "context is never written");
    // Committed with an index that names the edited bytes, the edit is
    // read back; what it then finds (the namespace missing) sends the
    // render back to rendering every unit, which finds nothing.
    let index_path = format!("rendered/{INDEX}");
    // (The focused render took the index away: it no longer speaks for
    // every file.)
    git(&scratch, &["checkout", "-q", "HEAD", "--", &index_path]);
    let mut index: serde_json::Value = serde_json::from_str(&scratch.read(&index_path)).unwrap();
    index["files"]["prod-eu-west-1/_platform/manifest.yaml"]["sha256"] =
        paved::support::hash::sha256(edited.as_bytes()).into();
    scratch.write(&index_path, &serde_json::to_string_pretty(&index).unwrap());
    commit(&scratch, "a forged index");
    let outcome = scratch.paved(&["render", "--service", "checkout"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("namespace"), "{}", outcome.stderr);
    assert_eq!(scratch.read(platform), edited, "context is never written");
}

/// A focused render resolves its own services and whatever changed since
/// the committed index, and takes the rest from the index: a service
/// whose output changed because another intent did (session-cleaner,
/// which shares auth's `sessions`, after auth made it a database) renders
/// as a clean render writes it; a service nothing changed is resolved
/// when in focus.
#[test]
fn a_focused_render_after_a_change_writes_what_a_clean_render_writes() {
    let scratch = committed();
    let before = scratch.tree("rendered");
    let auth = "teams/identity/services/auth.yaml";
    let text = scratch.read(auth);
    scratch.write(auth, &text.replace("{type: redis}", "{type: postgres}"));
    // (Alone, session-cleaner is refused: the Secret it reads would come
    // from auth's new unit, which a render of it alone does not write.)
    let focus = [
        "render",
        "--service",
        "session-cleaner",
        "--service",
        "auth",
    ];
    let outcome = scratch.paved(&focus);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let clean = clean_render(&scratch);
    let now = scratch.tree("rendered");
    let cleaner: Vec<&String> = clean
        .keys()
        .filter(|path| path.contains("/session-cleaner/"))
        .collect();
    assert!(
        cleaner.iter().all(|path| before[*path] != clean[*path]),
        "auth's change changes session-cleaner's output"
    );
    for path in cleaner {
        assert!(now[path] == clean[path], "{path}");
    }
    for path in now.keys().filter(|path| path.contains("/auth/")) {
        assert!(now[path] == clean[path], "{path}");
    }
    let outcome = scratch.paved(&["render", "--service", "ledger"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("Rendered 1 service in 4 clusters (4 units)"),
        "{}",
        outcome.stderr
    );
    let after = scratch.tree("rendered");
    for path in after.keys().filter(|path| path.contains("/ledger/")) {
        assert!(after[path] == before[path], "{path}");
    }
}

/// What an index hands out to be read back: the bytes it names, for the
/// fingerprint it names, from the paved that wrote it; nothing else.
#[test]
fn an_index_hands_out_only_the_bytes_it_names() {
    let scratch = committed();
    let text = scratch.read(&format!("rendered/{INDEX}"));
    let index = paved::index::Index::parse(&text).unwrap();
    let rendered = scratch.path().join("rendered");
    let path = "prod-eu-west-1/payments/checkout/manifest.yaml";
    let fingerprint = index.files[path].inputs.clone().unwrap();
    let manifest = scratch.read(&format!("rendered/{path}"));
    assert_eq!(
        index.manifest(&rendered, path, &fingerprint).as_deref(),
        Some(manifest.as_str())
    );
    assert_eq!(index.manifest(&rendered, path, "another"), None);
    let mut other = index.clone();
    other.paved = "0.0.0+another".to_owned();
    assert_eq!(other.manifest(&rendered, path, &fingerprint), None);
    scratch.write(
        &format!("rendered/{path}"),
        &format!("{manifest}# by hand\n"),
    );
    assert_eq!(index.manifest(&rendered, path, &fingerprint), None);
    let gitattributes = ".gitattributes";
    assert_eq!(index.manifest(&rendered, gitattributes, &fingerprint), None);
}

/// `validate --base` after a change reads back what did not change since
/// the base and finds what a full `validate` finds, located alike: a
/// finding sends it back to rendering every unit.
#[test]
fn validate_against_a_base_finds_what_a_full_validate_finds() {
    let scratch = committed();
    let checkout = "teams/payments/services/checkout.yaml";
    let intent = scratch.read(checkout);
    for (from, to) in [
        ("maxBodySize: 1m", "maxBodySize: 2m"),
        // An annotation that is not a string: a finding at the patch.
        ("value: \"50\"", "value: 50"),
    ] {
        scratch.write(checkout, &intent.replacen(from, to, 1));
        let full = scratch.paved(&["validate"]);
        let against = scratch.paved(&["validate", "--base", "base"]);
        assert_eq!(against.code, full.code, "{}", against.stderr);
        assert_eq!(stable(&against.stderr), stable(&full.stderr), "after {to}");
    }
    assert_eq!(
        scratch.paved(&["validate"]).code,
        1,
        "the second is a finding"
    );
}

/// After one intent changed, a render renders that service's units and
/// reads every other back, and says so; the tree is a clean render's.
#[test]
fn a_render_after_one_change_reads_back_every_other_unit() {
    let scratch = committed();
    let before = scratch.tree("rendered");
    let checkout = "teams/payments/services/checkout.yaml";
    let intent = scratch.read(checkout);
    scratch.write(
        checkout,
        &intent.replacen("maxBodySize: 1m", "maxBodySize: 2m", 1),
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let after = scratch.tree("rendered");
    let manifests: Vec<&String> = after
        .keys()
        .filter(|path| path.ends_with("manifest.yaml"))
        .collect();
    let changed = manifests
        .iter()
        .filter(|path| before.get(**path) != after.get(**path))
        .count();
    assert!(changed > 0);
    let said = format!(
        "({} units, {} read back unchanged)",
        manifests.len(),
        manifests.len() - changed
    );
    assert!(outcome.stderr.contains(&said), "{said}\n{}", outcome.stderr);
    assert!(after == clean_render(&scratch));
}

/// `validate --base` focused on a service checks it against its clusters'
/// own units as the base holds them: a pull request's commit that adds
/// to them (here, a Secret the service reads but nothing creates) and
/// forges the index to match does not hide what the base finds.
#[test]
fn a_focused_validate_against_a_base_reads_its_context_from_the_base() {
    let scratch = committed();
    let index_path = format!("rendered/{INDEX}");
    let mut index: serde_json::Value = serde_json::from_str(&scratch.read(&index_path)).unwrap();
    let ghost = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ghost\n  namespace: payments\ntype: Opaque\n";
    for cluster in [
        "dev-eu-west-1",
        "staging-eu-west-1",
        "prod-eu-west-1",
        "prod-us-east-1",
    ] {
        let path = format!("{cluster}/_platform/manifest.yaml");
        let forged = format!("{}{ghost}", scratch.read(&format!("rendered/{path}")));
        scratch.write(&format!("rendered/{path}"), &forged);
        index["files"][&path]["sha256"] = paved::support::hash::sha256(forged.as_bytes()).into();
    }
    scratch.write(&index_path, &serde_json::to_string_pretty(&index).unwrap());
    commit(&scratch, "a forged context");
    let checkout = "teams/payments/services/checkout.yaml";
    let patch = "  - target: {kind: Deployment, name: checkout}\n    operations:\n      - op: add\n        path: /spec/template/spec/containers/0/envFrom\n        value: [{secretRef: {name: ghost}}]\n";
    let intent = scratch.read(checkout);
    let at = intent
        .find("# The API it offers")
        .expect("checkout names its API");
    scratch.write(
        checkout,
        &format!("{}{patch}{}", &intent[..at], &intent[at..]),
    );
    let outcome = scratch.paved(&["validate", "--base", "base", "--service", "checkout"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("Secret `ghost` does not exist"),
        "{}",
        outcome.stderr
    );
}

/// The findings of `render`, `check` and `validate` (which reads nothing
/// back), but for their closing lines (`paved: ... nothing was written`,
/// `Validated ...`).
fn findings(outcome: &crate::support::Outcome) -> String {
    let closing = ["paved: ", "Validated ", "Rendered "];
    stable(&outcome.stderr)
        .lines()
        .filter(|line| !closing.iter().any(|start| line.starts_with(start)))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

/// A route that one change takes from another team's service, whose
/// unit is carried as its summary (nothing in its namespace changed), is
/// found from the summary and reported as a render of every unit reports
/// it: at both claimants, nothing written.
#[test]
fn a_conflict_with_a_unit_carried_as_its_summary_is_found_and_located() {
    let scratch = committed();
    let before = scratch.tree("rendered");
    scratch.replace(
        "teams/payments/services/checkout.yaml",
        "path: /api/checkout",
        "path: /",
    );
    refused_as_in_full(
        &scratch,
        "route `shop.northwind.dev/` (Prefix) is claimed by both",
    );
    assert!(scratch.tree("rendered") == before, "nothing is written");
}

/// `render` and `check --base` refuse the working tree of `scratch`
/// saying `said`, with what `validate` (which reads nothing back) finds.
fn refused_as_in_full(scratch: &Scratch, said: &str) {
    let rendered = scratch.paved(&["render"]);
    let full = scratch.paved(&["validate"]);
    assert_eq!(rendered.code, 2, "{}", rendered.stderr);
    assert!(rendered.stderr.contains(said), "{}", rendered.stderr);
    assert_eq!(findings(&rendered), findings(&full));
    let checked = scratch.paved(&["check", "--base", "base"]);
    assert_eq!(checked.code, 2, "{}", checked.stderr);
    assert_eq!(findings(&checked), findings(&full));
}

/// A unit carried as its summary passed its own checks when the index was
/// written; what those checks read beside the unit's own inputs (another
/// team's grants, here) is part of what the index must still hold for.
/// A grant withdrawn refuses the unchanged service that used it.
#[test]
fn a_withdrawn_grant_refuses_the_unchanged_service_that_used_it() {
    let mut team = String::new();
    let scratch = committed_after(|scratch| {
        scratch.read_auth_key_from_checkout();
        team = scratch.read("teams/identity/team.yaml");
        scratch.grant_auth_key_to_checkout("2099-12-31");
    });
    scratch.write("teams/identity/team.yaml", &team);
    refused_as_in_full(&scratch, "`checkout` (team `payments`) may not read it");
}

/// A change read against units carried as their summaries still finds
/// what it breaks in the unchanged units of its namespaces: every unit
/// with a resource there is read back in full and checked again. Here
/// `checkout` reads the connection Secret of `ledger`'s database, and
/// `ledger` then stops using one.
#[test]
fn a_change_is_checked_against_every_unit_of_its_namespace() {
    let scratch = committed_after(|scratch| {
        scratch.replace(
            "teams/payments/services/checkout.yaml",
            "patches:\n",
            "patches:\n  - target: {kind: Deployment, name: checkout}\n    operations:\n      - op: add\n        path: /spec/template/spec/containers/0/env/-\n        value: {name: LEDGER_DB, valueFrom: {secretKeyRef: {name: ledger-ledger-db, key: host}}}\n",
        );
    });
    let ledger = "teams/payments/services/ledger.yaml";
    scratch.replace(
        ledger,
        "uses:\n  ledger-db: {type: postgres, size: medium, options: {version: \"16\"}}\n",
        "",
    );
    scratch.replace(ledger, "    uses:\n      ledger-db: {size: large}\n", "");
    let rendered = scratch.paved(&["render"]);
    let full = scratch.paved(&["validate"]);
    assert_ne!(rendered.code, 0, "{}", rendered.stderr);
    assert!(
        rendered.stderr.contains("ledger-ledger-db"),
        "checkout's Secret is missing:\n{}",
        rendered.stderr
    );
    assert_eq!(findings(&rendered), findings(&full));
    // The tree does not validate: the index the pull request left says it
    // does, and is refused.
    let checked = scratch.paved(&["check", "--base", "base"]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    assert!(checked.stderr.contains(INDEX), "{}", checked.stderr);
}

/// A service added or removed after the commit an index is trusted from:
/// `render` and `check --base` agree with a render from nothing.
#[test]
fn a_service_added_or_removed_renders_as_a_clean_render() {
    let scratch = committed();
    let ledger = scratch.read("teams/payments/services/ledger.yaml");
    scratch.write(
        "teams/payments/services/journal.yaml",
        &ledger
            .replace("name: ledger", "name: journal")
            .replace("ledger-db", "journal-db"),
    );
    scratch.remove("teams/storefront/services/sitemap-builder.yaml");
    let clean = clean_render(&scratch);
    let checked = scratch.paved(&["check", "--base", "base"]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    let rendered = scratch.paved(&["render"]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    assert!(
        rendered.stderr.contains("read back unchanged"),
        "{}",
        rendered.stderr
    );
    assert!(scratch.tree("rendered") == clean);
    commit(&scratch, "journal");
    // (It also says that `journal` skipped the environments before `prod`.)
    let checked = scratch.paved(&["check", "--base", "base"]);
    assert!(
        checked.stderr.contains("`rendered/` is up to date"),
        "{}",
        checked.stderr
    );
}

/// A unit the quick reader leaves to the full parser (a team's group that
/// starts with `?`, which `_platform` writes plain) is read back all the
/// same: a focused validate of that team's service still finds what a
/// full validate finds, and a focused render refuses to write.
#[test]
fn a_context_unit_the_quick_reader_cannot_read_is_read_back_by_the_parser() {
    let scratch = committed_after(|scratch| {
        scratch.replace(
            "teams/payments/team.yaml",
            "group: northwind:team-payments",
            "group: \"?northwind-payments\"",
        );
    });
    scratch.replace(
        "teams/payments/services/checkout.yaml",
        "patches:\n",
        "patches:\n  - target: {kind: Deployment, name: checkout}\n    operations:\n      - op: add\n        path: /spec/template/spec/containers/0/bogusField\n        value: 1\n",
    );
    let full = scratch.paved(&["validate"]);
    assert_eq!(full.code, 1, "{}", full.stderr);
    for args in [
        &["validate", "--service", "checkout"][..],
        &["validate", "--base", "base", "--service", "checkout"],
        &["render", "--service", "checkout"],
    ] {
        let focused = scratch.paved(args);
        assert_eq!(focused.code, 1, "{args:?}: {}", focused.stderr);
        assert!(
            focused.stderr.contains("bogusField"),
            "{args:?}: {}",
            focused.stderr
        );
    }
}

/// A focused `policy` reads its clusters' own units back whole: a rule
/// that combines a cluster's resources (here, each Deployment with its
/// Namespace) sees what it sees in a full run.
#[test]
fn a_focused_policy_sees_every_resource_of_its_clusters() {
    let scratch = committed_after(|scratch| {
        scratch.write(
            "policies/paved.yaml",
            "apiVersion: paved.dev/v1\nkind: PolicyConfig\nnamespaces: [main]\ncombine:\n  cluster: [cluster]\n",
        );
        scratch.write(
            "policies/cluster.rego",
            "package cluster\n\nimport rego.v1\n\nresources contains item.contents if some item in input\n\ndeny contains msg if {\n\tsome d in resources\n\td.kind == \"Deployment\"\n\tnot namespaced(d.metadata.namespace)\n\tmsg := sprintf(\"Deployment %s: its Namespace is not in this cluster\", [d.metadata.name])\n}\n\nnamespaced(name) if {\n\tsome n in resources\n\tn.kind == \"Namespace\"\n\tn.metadata.name == name\n}\n",
        );
    });
    let release = "teams/payments/services/checkout.yaml";
    scratch.replace(release, "tag: ", "tag: 9");
    let full = scratch.paved(&["policy"]);
    let focused = scratch.paved(&["policy", "--service", "checkout"]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert_eq!(focused.code, 0, "{}", focused.stderr);
    assert!(
        !focused.stderr.contains("its Namespace"),
        "{}",
        focused.stderr
    );
}
