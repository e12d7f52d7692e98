//! `paved policy`: the baseline and the platform's Rego policies over
//! everything rendered; `paved policy test`: the policies' own unit tests.

use std::io::Write;
use std::time::Instant;

use super::{Settings, plural, print_diagnostics, report_failure};
use crate::ExitStatus;
use crate::cli::{FormatArg, PolicyArgs, PolicyCommand};
use crate::pipeline::{self, Failure};
use crate::policy;

pub fn exec(settings: &Settings, args: &PolicyArgs) -> ExitStatus {
    if args.list_rules {
        for rule in policy::baseline::RULES {
            let severity = format!("{:?}", rule.severity).to_lowercase();
            println_out(&format!("{:<36} {:<8} {}", rule.id, severity, rule.title));
        }
        return ExitStatus::Success;
    }
    let started = Instant::now();
    if let Some(PolicyCommand::Test) = args.command {
        return test(settings);
    }
    let (repo, rendered) = match super::render_work_tree(settings, "nothing was checked") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let report = match policy::evaluate(&repo, &rendered, &policy::today()) {
        Ok(report) => report,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: repo.sources.clone(),
            };
            return report_failure(settings, &failure, "nothing was checked");
        }
    };
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.len() - errors;
    match settings.format {
        FormatArg::Sarif => {
            let sarif = policy::sarif::to_sarif(&report);
            println_out(&serde_json::to_string_pretty(&sarif).expect("SARIF serialises"));
        }
        _ => print_diagnostics(settings, &report.diagnostics, &repo.sources),
    }
    if settings.format != FormatArg::Json {
        eprintln!(
            "Checked {} against {} in {:.2}s: {}, {}, {} waived by exceptions",
            plural(report.resources, "resource"),
            plural(report.rules.len(), "rule"),
            started.elapsed().as_secs_f64(),
            plural(errors, "error"),
            plural(warnings, "warning"),
            report.waived,
        );
    }
    if errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

fn test(settings: &Settings) -> ExitStatus {
    let source = match settings.work_tree() {
        Ok(source) => source,
        Err(status) => return status,
    };
    let repo = match pipeline::load_checked(&source) {
        Ok(repo) => repo,
        Err(failure) => return report_failure(settings, &failure, "no test was run"),
    };
    let results = match policy::rego::run_tests(&repo.policies) {
        Ok(results) => results,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: repo.sources.clone(),
            };
            return report_failure(settings, &failure, "no test was run");
        }
    };
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    if settings.format == FormatArg::Json {
        let json: Vec<_> = results
            .iter()
            .map(|r| serde_json::json!({"file": r.file, "name": r.name, "passed": r.passed, "error": r.error}))
            .collect();
        println_out(&serde_json::to_string_pretty(&json).expect("results serialise"));
    } else {
        for result in &results {
            let status = if result.passed { "PASS" } else { "FAIL" };
            eprintln!("{status} {}: {}", result.file, result.name);
            if let Some(error) = &result.error {
                eprintln!("     {error}");
            }
        }
        eprintln!(
            "{} passed, {} failed",
            results.len() - failed.len(),
            failed.len()
        );
    }
    if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    }
}

/// Machine output goes to stdout.
fn println_out(text: &str) {
    let stdout = std::io::stdout();
    let _ = writeln!(stdout.lock(), "{text}");
}
