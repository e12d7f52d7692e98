//! `paved golden-path test`: render each golden path's samples and compare
//! them with their snapshots.

use similar::TextDiff;

use super::settings::Settings;
use crate::cli::GoldenPathTestArgs;
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;
use crate::samples;
use crate::support::text::plural;

pub fn test(settings: &Settings, args: &GoldenPathTestArgs) -> ExitStatus {
    let printer = &settings.printer;
    let source = match settings.work_tree() {
        Ok(source) => source,
        Err(status) => return status,
    };
    let found = match samples::discover(&source, &args.paths) {
        Ok(found) => found,
        Err(problems) => {
            printer.diagnostics(&problems, &Default::default());
            return ExitStatus::Error;
        }
    };
    if found.is_empty() {
        printer.say(
            "no samples to test: add sample intents as `golden-paths/<path>/tests/<name>.yaml`",
        );
        printer.result("samples", Vec::<()>::new());
        return ExitStatus::Success;
    }
    let rendered = match samples::render(&source, &found) {
        Ok(rendered) => rendered,
        Err(failure) => return settings.report_failure(&failure, "no sample was compared"),
    };
    printer.diagnostics(&rendered.findings, &rendered.sources);
    let mut results = Vec::new();
    let (mut passed, mut failed, mut updated) = (0, 0, 0);
    for outcome in &rendered.outcomes {
        let sample = &outcome.sample;
        let snapshot = settings.root.join(&sample.snapshot);
        let expected = std::fs::read_to_string(&snapshot).ok();
        let label = format!("{}/{}", sample.golden_path, sample.name);
        let status = if expected.as_deref() == Some(outcome.rendered.as_str()) {
            passed += 1;
            printer.say(format!("ok      {label}"));
            "passed"
        } else if args.update {
            if let Err(error) = std::fs::write(&snapshot, &outcome.rendered) {
                printer.error(
                    Diagnostic::error(format!("cannot write `{}`: {error}", sample.snapshot))
                        .in_file(&sample.snapshot),
                );
                return ExitStatus::Error;
            }
            updated += 1;
            printer.say(format!("updated {label} (`{}`)", sample.snapshot));
            "updated"
        } else {
            failed += 1;
            match &expected {
                Some(expected) => {
                    printer.say(format!("FAILED  {label}: the output differs from `{}`:", sample.snapshot));
                    let diff = TextDiff::from_lines(expected.as_str(), outcome.rendered.as_str());
                    printer.say(
                        diff.unified_diff()
                            .context_radius(3)
                            .header(&sample.snapshot, "rendered now")
                            .to_string()
                            .trim_end(),
                    );
                }
                None => printer.say(format!(
                    "FAILED  {label}: no snapshot yet; `paved golden-path test --update` writes `{}`",
                    sample.snapshot
                )),
            }
            "failed"
        };
        results.push(serde_json::json!({
            "goldenPath": sample.golden_path,
            "sample": sample.name,
            "intent": sample.intent,
            "snapshot": sample.snapshot,
            "status": status,
        }));
    }
    printer.result("samples", results);
    let errors = rendered.findings.iter().filter(|d| d.is_error()).count();
    printer.say(format!(
        "{} passed, {} failed, {} updated; {} in the samples' manifests",
        passed,
        failed,
        updated,
        plural(errors, "validation error")
    ));
    if failed > 0 {
        printer.say("review the differences; if they are what the change intends, run `paved golden-path test --update` and commit the snapshots");
    }
    if failed > 0 || errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}
