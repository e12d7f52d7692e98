//! What every command prints: problems as diagnostics, one JSON document
//! under `--format json`, only the formats a command can print, and a quiet
//! end when the reader of its output goes away.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::diff::{git, repository};
use crate::support::Scratch;

/// Runs `paved` with `args` in `scratch` and parses stdout as one JSON
/// document, which it must be.
fn json(scratch: &Scratch, args: &[&str]) -> (i32, Value) {
    let outcome = scratch.paved(args);
    let document: Value = serde_json::from_str(&outcome.stdout).unwrap_or_else(|error| {
        panic!(
            "`paved {}` printed no single JSON document ({error}):\n{}",
            args.join(" "),
            outcome.stdout
        )
    });
    assert_eq!(document["exitCode"], outcome.code, "{document:#}");
    (outcome.code, document)
}

#[test]
fn every_command_reports_its_errors_in_its_one_json_document() {
    let scratch = Scratch::example();
    let intent = "teams/payments/services/ledger.yaml";
    scratch.replace(intent, "size: medium", "size: huge");
    for args in [
        &["render", "--format", "json"][..],
        &["validate", "--format", "json"],
        &["check", "--format", "json"],
        &["policy", "--format", "json"],
        &["policy", "test", "--format", "json"],
    ] {
        let (code, document) = json(&scratch, args);
        assert_eq!(code, 2, "{args:?}: {document:#}");
        assert_eq!(document["status"], "error");
        let diagnostics = document["diagnostics"].as_array().unwrap();
        let huge = diagnostics
            .iter()
            .find(|d| d["message"].as_str().unwrap().contains("huge"))
            .unwrap_or_else(|| panic!("{args:?}: {document:#}"));
        assert_eq!(huge["file"], intent);
        assert_eq!(huge["field"], "size");
        assert!(huge["line"].as_u64().is_some());
    }
    // Problems that are not about an input file are diagnostics too.
    let (code, document) = json(
        &scratch,
        &["--jobs", "100000", "validate", "--format", "json"],
    );
    assert_eq!(code, 2);
    assert!(
        document["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--jobs")
    );
    let (code, document) = json(
        &scratch,
        &["--root", "nowhere", "check", "--format", "json"],
    );
    assert_eq!(code, 2);
    assert!(
        document["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a directory")
    );
}

#[test]
fn a_render_prints_one_json_document_with_its_warnings_and_what_it_wrote() {
    let scratch = Scratch::example();
    let (code, document) = json(&scratch, &["render", "--format", "json"]);
    assert_eq!(code, 0, "{document:#}");
    assert_eq!(document["status"], "success");
    assert!(document["written"].as_array().unwrap().len() > 10);
    let (code, document) = json(&scratch, &["render", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(document["written"].as_array().unwrap().len(), 0);
    let (_, document) = json(&scratch, &["check", "--format", "json"]);
    assert_eq!(document["clean"], true);
}

#[test]
fn a_command_refuses_a_format_it_cannot_print() {
    let scratch = Scratch::example();
    for args in [
        &["check", "--format", "markdown"][..],
        &["render", "--format", "sarif"],
        &["validate", "--format", "markdown"],
        &["diff", "--format", "sarif"],
        &["policy", "--format", "markdown"],
    ] {
        let outcome = scratch.paved(args);
        assert_eq!(outcome.code, 2, "{args:?}");
        assert!(
            outcome.stderr.contains("invalid value") && outcome.stderr.contains("possible values"),
            "{args:?}: {}",
            outcome.stderr
        );
    }
}

/// Runs `paved` with its stdout read by nobody: the pipe's reading end is
/// closed before paved starts. (Closed after, a quick command could fill
/// the pipe's buffer first and end well.)
fn with_closed_stdout(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_paved"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_paved_quietly() {
    let scratch = repository();
    let intent = scratch.path().join("teams/identity/services/auth.yaml");
    let text = std::fs::read_to_string(&intent).unwrap();
    std::fs::write(&intent, text.replace("tag: 12.0.1", "tag: 12.1.0")).unwrap();
    git(&scratch, &["commit", "-q", "-am", "bump auth"]);
    for args in [
        &["diff", "--base", "HEAD~1"][..],
        &["diff", "--base", "HEAD~1", "--format", "markdown"],
        &["policy", "--list-rules"],
        &["policy", "--format", "sarif"],
    ] {
        let (code, stderr) = with_closed_stdout(scratch.path(), args);
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// On a terminal a render shows its progress on stderr; `--quiet`, a `CI`
/// variable or a stderr that is not a terminal keep it silent. The
/// terminal is `script`'s (util-linux, in every Debian).
#[test]
fn a_progress_bar_shows_on_a_terminal_only() {
    let scratch = Scratch::example();
    let on_terminal = |extra: &str, ci: bool| -> String {
        let command = format!("'{}' render {extra}", env!("CARGO_BIN_EXE_paved"));
        let mut script = Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .current_dir(scratch.path());
        if ci {
            script.env("CI", "true");
        } else {
            script.env_remove("CI");
        }
        let output = script.output().expect("`script` (util-linux) runs");
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{printed}");
        printed
    };
    let shown = on_terminal("", false);
    assert!(
        shown.contains("rendering") && shown.contains(" units"),
        "{shown}"
    );
    assert!(!on_terminal("--quiet", false).contains("rendering"));
    assert!(!on_terminal("", true).contains("rendering"));
    let piped = scratch.paved(&["render"]);
    assert_eq!(piped.code, 0);
    assert!(!piped.stderr.contains("rendering"), "{}", piped.stderr);
}

/// The tests run most commands in-process (`paved::run_in`): it prints
/// what the binary prints, exits as it exits, and sees the date it is
/// given, in every thread (a grant that lapses on that date), with and
/// without `--jobs`.
#[test]
fn a_command_run_in_process_prints_what_the_binary_prints() {
    use crate::support::{paved_in_on, paved_process, stable};
    let scratch = Scratch::example();
    scratch.read_auth_key_from_checkout();
    scratch.grant_auth_key_to_checkout("2026-12-31");
    let intent = "teams/payments/services/ledger.yaml";
    let text = scratch.read(intent);
    scratch.write(
        intent,
        &text.replace("name: ledger", "name: ledger\nreplica: 2"),
    );
    let runs: &[&[&str]] = &[
        &["render"],
        &["--jobs", "1", "validate", "--format", "json"],
        &["check"],
        &["list"],
        &["render", "--no-such-flag"],
        &["--help"],
    ];
    for today in ["2026-11-27", "2027-01-05"] {
        for args in runs {
            let process = paved_process(scratch.path(), args, today);
            let in_process = paved_in_on(scratch.path(), args, today);
            let what = format!("`paved {}` on {today}", args.join(" "));
            assert_eq!(in_process.code, process.code, "{what}\n{}", process.stderr);
            assert_eq!(
                stable(&in_process.stdout),
                stable(&process.stdout),
                "{what}"
            );
            assert_eq!(
                stable(&in_process.stderr),
                stable(&process.stderr),
                "{what}"
            );
        }
    }
    scratch.write(intent, &text);
    let held = paved_in_on(scratch.path(), &["render"], "2026-11-27");
    assert_eq!(held.code, 0, "{}", held.stderr);
    let lapsed = paved_in_on(scratch.path(), &["render"], "2027-01-05");
    assert_eq!(lapsed.code, 2);
    assert!(lapsed.stderr.contains("expired"), "{}", lapsed.stderr);
}
