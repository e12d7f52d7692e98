//! `paved validate`: check every rendered manifest, writing nothing.

use std::time::Instant;

use super::settings::{Settings, focused};
use crate::check;
use crate::cli::ValidateArgs;
use crate::output::ExitStatus;
use crate::support::text::plural;

pub fn exec(settings: &Settings, args: &ValidateArgs) -> ExitStatus {
    let started = Instant::now();
    let focus = args.focus.focus();
    let (repo, rendered) = match settings.render_focused("nothing was validated", &focus) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let options = check::Options {
        allow_unknown_kinds: args.validation.allow_unknown_kinds,
    };
    let report = check::validate(&repo, &rendered, options);
    settings
        .printer
        .diagnostics(&report.diagnostics, &repo.sources);
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.len() - errors;
    settings.printer.result("resources", report.resources);
    settings.printer.say(format!(
        "Validated {} in {}{} in {:.2}s: {}, {}",
        plural(report.resources, "resource"),
        plural(rendered.cluster_count(), "cluster"),
        focused(&focus),
        started.elapsed().as_secs_f64(),
        plural(errors, "error"),
        plural(warnings, "warning"),
    ));
    if errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}
