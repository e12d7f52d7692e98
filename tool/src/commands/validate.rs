//! `paved validate`: check every rendered manifest, writing nothing.

use std::time::Instant;

use super::settings::{ReadBack, Settings, focused};
use crate::check;
use crate::cli::ValidateArgs;
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;
use crate::support::text::plural;

pub fn exec(settings: &Settings, args: &ValidateArgs) -> ExitStatus {
    let started = Instant::now();
    let focus = args.focus.focus();
    if let Some(base) = &args.base {
        let known = crate::input::source::git::GitRepo::open(&settings.root)
            .and_then(|git| git.describe(base));
        if let Err(error) = known {
            settings
                .printer
                .error(Diagnostic::error(error.to_string()).help(super::settings::BASE_HELP));
            return ExitStatus::Error;
        }
    }
    // The tree is the base's, which CI checked (its index says it
    // validated with nothing to report).
    let committed = args
        .base
        .as_deref()
        .and_then(|base| settings.committed(ReadBack::Base(base)));
    let unchanged = committed
        .as_ref()
        .filter(|committed| focus.is_everything() && committed.holds());
    if let (Some(base), Some(committed)) = (&args.base, unchanged) {
        let index = &committed.index;
        let counts = index.counts();
        settings.printer.result("resources", counts.resources);
        settings.printer.say(format!(
            "Validated {} in {} in {:.2}s: 0 errors, 0 warnings (inputs and output unchanged since `{base}`, whose index `rendered/{}` CI checked)",
            plural(counts.resources, "resource"),
            plural(counts.clusters, "cluster"),
            started.elapsed().as_secs_f64(),
            crate::index::INDEX,
        ));
        return ExitStatus::Success;
    }
    // Against a base, the units whose inputs are unchanged since are what
    // the base holds: only the rest are rendered.
    // (Focused, only its clusters' own units are read back: the base's
    // too, never what the pull request's own index says.)
    let read_back = match (&args.base, &committed) {
        (None, _) => ReadBack::Context,
        (Some(_), None) => ReadBack::Nothing,
        (Some(_), Some(committed)) => ReadBack::From(committed),
    };
    let options = check::Options {
        allow_unknown_kinds: args.validation.allow_unknown_kinds,
    };
    let (repo, rendered, diagnostics) = match settings.render_and_validate(
        "nothing was validated",
        &focus,
        read_back,
        Some(options),
        crate::render::Keep::Summaries,
    ) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let report = check::Report {
        resources: rendered.in_focus().map(|unit| unit.resource_count()).sum(),
        diagnostics,
    };
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
