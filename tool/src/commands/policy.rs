//! `paved policy`: the baseline and the platform's Rego policies over
//! everything rendered; `paved policy test`: the policies' own unit tests.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::settings::{Settings, focused};
use crate::cli::{PolicyArgs, PolicyCommand};
use crate::diagnostic::Sources;
use crate::output::{ExitStatus, Format};
use crate::policy;
use crate::render::{self, Failure, Focus};
use crate::support::text::plural;

pub fn exec(settings: &Settings, args: &PolicyArgs) -> ExitStatus {
    let printer = &settings.printer;
    if args.list_rules {
        if printer.format() == Format::Json {
            let rules: Vec<_> = policy::baseline::RULES
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": rule.id,
                        "severity": format!("{:?}", rule.severity).to_lowercase(),
                        "title": rule.title,
                    })
                })
                .collect();
            printer.result("rules", rules);
        } else {
            let mut text = String::new();
            for rule in policy::baseline::RULES {
                let severity = format!("{:?}", rule.severity).to_lowercase();
                text.push_str(&format!("{:<36} {:<8} {}\n", rule.id, severity, rule.title));
            }
            printer.out(&text);
        }
        return ExitStatus::Success;
    }
    let started = Instant::now();
    if let Some(PolicyCommand::Test(test_args)) = &args.command {
        return test(settings, test_args.coverage);
    }
    let focus = args.focus.focus();
    // Unfocused, the verdict is the inputs' (the policies and exceptions
    // among them) on this day, which this clone may have reached already.
    let verdicts = focus.is_everything().then(|| settings.verdicts()).flatten();
    if let Some(recalled) = verdicts
        .as_ref()
        .and_then(|v| v.recall::<Checked>("policy"))
    {
        let note = " (the inputs are as this clone's last `paved policy` found them)";
        return report(settings, &focus, started, &recalled, note);
    }
    // Evaluated a cluster at a time while a render of everything holds
    // it; focused, on the focus and its clusters' own units, read back
    // whole (rules may combine every resource of a cluster).
    let today = crate::support::date::today();
    let evaluator = policy::Evaluator::new(&today);
    let checking = render::Checking {
        key: evaluator.key(),
        checks: &|repo: &crate::input::repo::Repo, rendered: &render::Rendered| {
            evaluator.part(repo, rendered)
        },
        keep: crate::render::Keep::Summaries,
    };
    let (repo, _, parts) = match settings.render_evaluating(
        "nothing was checked",
        &focus,
        super::settings::ReadBack::WholeContext,
        &checking,
    ) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let report_of = match policy::finish(&repo, parts, &today) {
        Ok(report) => report,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: repo.sources.clone(),
            };
            return settings.report_failure(&failure, "nothing was checked");
        }
    };
    let checked = Checked {
        sources: repo.sources.pointed_at(&report_of.diagnostics),
        report: report_of,
    };
    if let Some(verdicts) = verdicts {
        verdicts.record("policy", &checked);
    }
    report(settings, &focus, started, &checked, "")
}

/// What a `policy` found: as it prints it, and as this clone records it
/// (`write::Verdicts`).
#[derive(Serialize, Deserialize)]
struct Checked {
    report: policy::Report,
    /// The files the findings point into.
    sources: Sources,
}

fn report(
    settings: &Settings,
    focus: &Focus,
    started: Instant,
    checked: &Checked,
    note: &str,
) -> ExitStatus {
    let printer = &settings.printer;
    let report = &checked.report;
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.len() - errors;
    if printer.format() == Format::Sarif {
        let sarif = policy::sarif::to_sarif(report);
        let mut text = serde_json::to_string_pretty(&sarif).expect("SARIF serialises");
        text.push('\n');
        printer.out(&text);
    } else {
        printer.diagnostics(&report.diagnostics, &checked.sources);
    }
    printer.result("resources", report.resources);
    printer.result("rules", report.rules.len());
    printer.result("waived", report.waived);
    printer.say(format!(
        "Checked {} against {}{} in {:.2}s: {}, {}, {} waived by exceptions{note}",
        plural(report.resources, "resource"),
        plural(report.rules.len(), "rule"),
        focused(focus),
        started.elapsed().as_secs_f64(),
        plural(errors, "error"),
        plural(warnings, "warning"),
        report.waived,
    ));
    if errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

fn test(settings: &Settings, coverage: bool) -> ExitStatus {
    let printer = &settings.printer;
    let source = match settings.work_tree() {
        Ok(source) => source,
        Err(status) => return status,
    };
    let repo = match render::load_checked(&source) {
        Ok(repo) => repo,
        Err(failure) => return settings.report_failure(&failure, "no test was run"),
    };
    let outcome = crate::rego::config::setup(&repo).and_then(|setup| {
        crate::rego::run_tests(
            &repo.policies,
            setup.data.as_ref(),
            setup.settings.depth,
            coverage,
        )
    });
    let (results, covered) = match outcome {
        Ok(done) => done,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: repo.sources.clone(),
            };
            return settings.report_failure(&failure, "no test was run");
        }
    };
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    if printer.format() == Format::Json {
        let tests: Vec<_> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "file": r.file,
                    "name": r.name,
                    "line": r.line,
                    "passed": r.passed,
                    "failure": r.failure,
                    "failedAt": r.failed_at,
                    "prints": r.prints,
                })
            })
            .collect();
        printer.result("tests", tests);
        if coverage {
            let files: Vec<_> = covered
                .iter()
                .map(|c| serde_json::json!({"file": c.file, "coveredLines": c.covered, "notCoveredLines": c.not_covered}))
                .collect();
            printer.result("coverage", files);
        }
    } else {
        for result in &results {
            let status = if result.passed { "PASS" } else { "FAIL" };
            printer.say(format!("{status} {}: {}", result.file, result.name));
            if !result.passed {
                if let Some(at) = &result.failed_at {
                    printer.say(format!("     at {at}"));
                }
                if let Some(failure) = &result.failure {
                    printer.say(format!("     {failure}"));
                }
                for print in &result.prints {
                    printer.say(format!("     print: {print}"));
                }
            }
        }
        if coverage {
            printer.say("Coverage of the policies by their tests:");
            for file in &covered {
                let total = file.covered + file.not_covered.len();
                let percent = if total == 0 {
                    100.0
                } else {
                    100.0 * file.covered as f64 / total as f64
                };
                let missing = if file.not_covered.is_empty() {
                    String::new()
                } else {
                    format!(", lines not covered: {}", line_ranges(&file.not_covered))
                };
                printer.say(format!(
                    "  {:<40} {percent:5.1}% ({}/{total} lines){missing}",
                    file.file, file.covered
                ));
            }
        }
        printer.say(format!(
            "{} passed, {} failed",
            results.len() - failed.len(),
            failed.len()
        ));
    }
    if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    }
}

/// `3-5, 9` from `[3, 4, 5, 9]`.
fn line_ranges(lines: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = lines.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end = iter.next().unwrap_or(end);
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(", ")
}
