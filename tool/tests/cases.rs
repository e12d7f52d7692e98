//! Bad inputs, one folder each under `tests/cases/<case>/`: `files/` is laid
//! over a copy of the example organisation, `case.md` says what the case is
//! (and may list `remove <path>` lines), and the snapshot holds the exit
//! code and every message `paved render` prints.

use std::fs;
use std::path::Path;

use crate::support::{Scratch, copy_dir};

fn run_case(case_md: &Path) -> String {
    let case = case_md.parent().unwrap();
    let scratch = Scratch::example();
    let files = case.join("files");
    if files.is_dir() {
        copy_dir(&files, scratch.path());
    }
    let description = fs::read_to_string(case_md).unwrap();
    for line in description.lines() {
        if let Some(path) = line.strip_prefix("remove ") {
            scratch.remove(path.trim());
        }
    }
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 2, "a bad input exits 2\n{}", outcome.stderr);
    assert!(
        !scratch.path().join("rendered").exists(),
        "a failed render writes nothing"
    );
    outcome.report()
}

#[test]
fn bad_inputs() {
    insta::glob!("cases/*/case.md", |path| {
        let report = run_case(path);
        let description = fs::read_to_string(path).unwrap();
        insta::with_settings!({
            description => description.lines().next().unwrap_or_default(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(report);
        });
    });
}
