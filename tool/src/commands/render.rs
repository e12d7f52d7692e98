//! `paved render`: render everything and write `rendered/`.

use std::time::Instant;

use super::{Settings, print_diagnostics};
use crate::ExitStatus;
use crate::check;
use crate::cli::RenderArgs;
use crate::diagnostic::Severity;
use crate::support::text::plural;

pub fn exec(settings: &Settings, args: &RenderArgs) -> ExitStatus {
    let started = Instant::now();
    // Held from before the inputs are read until the process ends: a second
    // render in this tree is refused rather than interleaved with this one.
    let dir = settings.rendered_dir();
    let lock = match crate::write::Lock::exclusive_if_present(&dir) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!("paved: nothing under `rendered/` was changed");
            return ExitStatus::Error;
        }
    };
    let (repo, rendered) = match super::render_work_tree(settings, "nothing was written") {
        Ok(done) => done,
        Err(status) => return status,
    };
    print_diagnostics(settings, &rendered.warnings, &repo.sources);
    let options = check::Options {
        allow_unknown_kinds: args.validation.allow_unknown_kinds,
    };
    let mut report = check::validate(&repo, &rendered, options);
    if args.allow_invalid {
        for diagnostic in &mut report.diagnostics {
            diagnostic.severity = Severity::Warning;
        }
    }
    print_diagnostics(settings, &report.diagnostics, &repo.sources);
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        eprintln!(
            "paved: the rendered output breaks {}; nothing was written (`paved render --allow-invalid` writes anyway)",
            plural(errors, "rule")
        );
        return ExitStatus::Findings;
    }
    let written = match lock {
        Some(lock) => crate::write::write_locked(&lock, &rendered.files),
        None => crate::write::write(&dir, &rendered.files),
    };
    let summary = match written {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            if !error.is_unfinished() {
                eprintln!("paved: nothing under `rendered/` was changed");
            }
            return ExitStatus::Error;
        }
    };
    eprintln!(
        "Rendered {} in {} ({} units) in {:.2}s: {} written, {} removed, {} unchanged",
        plural(rendered.service_count(), "service"),
        plural(rendered.cluster_count(), "cluster"),
        rendered.units.len(),
        started.elapsed().as_secs_f64(),
        summary.written.len(),
        summary.removed.len(),
        summary.unchanged,
    );
    ExitStatus::Success
}
