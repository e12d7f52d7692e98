//! Bad inputs, one folder each under `tests/cases/<case>/`: `files/` is laid
//! over a copy of the example organisation, `case.md` says what the case is
//! (and may hold `remove <path>` lines, `command: <args>` for a command
//! other than `render`, `exit: <code>` when it is not 2, and `never:
//! <text>` for text that no output may hold, such as a secret), and the
//! snapshot holds the exit code and every message paved prints.

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
    let mut command = vec!["render".to_owned()];
    let mut exit = 2;
    let mut never = Vec::new();
    for line in description.lines() {
        if let Some(text) = line.strip_prefix("never: ") {
            never.push(text.trim().to_owned());
        }
        if let Some(path) = line.strip_prefix("remove ") {
            scratch.remove(path.trim());
        } else if let Some(args) = line.strip_prefix("command: ") {
            command = args.split_whitespace().map(str::to_owned).collect();
        } else if let Some(code) = line.strip_prefix("exit: ") {
            exit = code.trim().parse().unwrap();
        }
    }
    let args: Vec<&str> = command.iter().map(String::as_str).collect();
    let outcome = scratch.paved(&args);
    assert_eq!(outcome.code, exit, "exit code\n{}", outcome.stderr);
    assert!(
        !scratch.path().join("rendered").exists(),
        "a failed render writes nothing"
    );
    for text in &never {
        assert!(
            !outcome.stdout.contains(text.as_str()) && !outcome.stderr.contains(text.as_str()),
            "`{text}` must never be printed\n{}{}",
            outcome.stdout,
            outcome.stderr
        );
    }
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
