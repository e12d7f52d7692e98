//! `paved validate`: check every rendered manifest, writing nothing but
//! this clone's record of the verdict (`write::Verdicts`).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::settings::{ReadBack, Settings, focused};
use crate::check;
use crate::cli::ValidateArgs;
use crate::diagnostic::{Diagnostic, Sources};
use crate::output::ExitStatus;
use crate::render::Focus;
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
    // Unfocused and without a base, the verdict is the inputs', which this
    // clone may have reached already.
    let key = match args.validation.allow_unknown_kinds {
        true => "validate --allow-unknown-kinds",
        false => "validate",
    };
    let verdicts = (args.base.is_none() && focus.is_everything())
        .then(|| settings.verdicts())
        .flatten();
    if let Some(validated) = verdicts.as_ref().and_then(|v| v.recall::<Validated>(key)) {
        let note = " (the inputs are as this clone's last `paved validate` found them)";
        return report(settings, &focus, started, &validated, note);
    }
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
    let validated = Validated {
        resources: rendered.in_focus().map(|unit| unit.resource_count()).sum(),
        clusters: rendered.cluster_count(),
        sources: repo.sources.pointed_at(&diagnostics),
        diagnostics,
    };
    if let Some(verdicts) = verdicts {
        verdicts.record(key, &validated);
    }
    report(settings, &focus, started, &validated, "")
}

/// What a `validate` found: as it prints it, and as this clone records
/// it (`write::Verdicts`).
#[derive(Serialize, Deserialize)]
struct Validated {
    resources: usize,
    clusters: usize,
    diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics point into.
    sources: Sources,
}

fn report(
    settings: &Settings,
    focus: &Focus,
    started: Instant,
    validated: &Validated,
    note: &str,
) -> ExitStatus {
    let diagnostics = &validated.diagnostics;
    settings
        .printer
        .diagnostics(diagnostics, &validated.sources);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    settings.printer.result("resources", validated.resources);
    settings.printer.say(format!(
        "Validated {} in {}{} in {:.2}s: {}, {}{note}",
        plural(validated.resources, "resource"),
        plural(validated.clusters, "cluster"),
        focused(focus),
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
