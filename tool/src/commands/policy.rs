//! `paved policy`: the baseline and the platform's Rego policies over
//! everything rendered; `paved policy test`: the policies' own unit tests.

use std::io::Write;
use std::time::Instant;

use super::{Settings, print_diagnostics, report_failure};
use crate::ExitStatus;
use crate::cli::{FormatArg, PolicyArgs, PolicyCommand};
use crate::policy;
use crate::render::{self, Failure};
use crate::support::text::plural;

pub fn exec(settings: &Settings, args: &PolicyArgs) -> ExitStatus {
    if args.list_rules {
        for rule in policy::baseline::RULES {
            let severity = format!("{:?}", rule.severity).to_lowercase();
            println_out(&format!("{:<36} {:<8} {}", rule.id, severity, rule.title));
        }
        return ExitStatus::Success;
    }
    let started = Instant::now();
    if let Some(PolicyCommand::Test(test_args)) = &args.command {
        return test(settings, test_args.coverage);
    }
    let (repo, rendered) = match super::render_work_tree(settings, "nothing was checked") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let report = match policy::evaluate(&repo, &rendered, &crate::support::date::today()) {
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

fn test(settings: &Settings, coverage: bool) -> ExitStatus {
    let source = match settings.work_tree() {
        Ok(source) => source,
        Err(status) => return status,
    };
    let repo = match render::load_checked(&source) {
        Ok(repo) => repo,
        Err(failure) => return report_failure(settings, &failure, "no test was run"),
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
            return report_failure(settings, &failure, "no test was run");
        }
    };
    let failed: Vec<_> = results.iter().filter(|r| !r.passed).collect();
    if settings.format == FormatArg::Json {
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
        let json = if coverage {
            let files: Vec<_> = covered
                .iter()
                .map(|c| serde_json::json!({"file": c.file, "coveredLines": c.covered, "notCoveredLines": c.not_covered}))
                .collect();
            serde_json::json!({"tests": tests, "coverage": files})
        } else {
            serde_json::Value::Array(tests)
        };
        println_out(&serde_json::to_string_pretty(&json).expect("results serialise"));
    } else {
        for result in &results {
            let status = if result.passed { "PASS" } else { "FAIL" };
            eprintln!("{status} {}: {}", result.file, result.name);
            if !result.passed {
                if let Some(at) = &result.failed_at {
                    eprintln!("     at {at}");
                }
                if let Some(failure) = &result.failure {
                    eprintln!("     {failure}");
                }
                for print in &result.prints {
                    eprintln!("     print: {print}");
                }
            }
        }
        if coverage {
            eprintln!("Coverage of the policies by their tests:");
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
                eprintln!(
                    "  {:<40} {percent:5.1}% ({}/{total} lines){missing}",
                    file.file, file.covered
                );
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

/// Machine output goes to stdout.
fn println_out(text: &str) {
    let stdout = std::io::stdout();
    let _ = writeln!(stdout.lock(), "{text}");
}
