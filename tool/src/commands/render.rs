//! `paved render`: render everything and write `rendered/`.

use std::time::Instant;

use super::settings::{ReadBack, Settings, focused};
use crate::check;
use crate::cli::RenderArgs;
use crate::diagnostic::{Diagnostic, Severity};
use crate::index::INDEX;
use crate::output::ExitStatus;
use crate::support::text::plural;
use crate::write::Scope;

pub fn exec(settings: &Settings, args: &RenderArgs) -> ExitStatus {
    let started = Instant::now();
    let printer = &settings.printer;
    // Held from before the inputs are read until this command returns: a
    // second render in this tree is refused rather than interleaved with
    // this one. (Without a `rendered/` yet, a render of everything makes
    // it, to stage its files in as it goes, and removes it again if it
    // fails: a failed first render leaves no `rendered/` behind. A focused
    // one leaves it to the write.)
    let dir = settings.rendered_dir();
    let focus = args.focus.focus();
    let mut made = crate::write::Made::default();
    let lock = match crate::write::Lock::exclusive_if_present(&dir) {
        Ok(None) if focus.is_everything() => made.lock(&dir).map(Some),
        lock => lock,
    };
    let lock = match lock {
        Ok(lock) => lock,
        Err(error) => {
            printer.error(Diagnostic::error(error.to_string()));
            printer.say("paved: nothing under `rendered/` was changed");
            return ExitStatus::Error;
        }
    };
    // Nothing changed since a full render whose index is committed: the
    // same bytes, which passed every check then, are there already. (Only
    // a committed index is trusted: an edit to the working tree's index
    // renders in full, and CI checks every commit's.)
    let committed = lock
        .as_ref()
        .and_then(|_| settings.committed(ReadBack::Head));
    let unchanged = committed
        .as_ref()
        .filter(|committed| focus.is_everything() && committed.holds());
    if let Some(index) = unchanged.map(|committed| &committed.index) {
        let files = index.files.len() + 1;
        let counts = index.counts();
        printer.result("written", Vec::<String>::new());
        printer.result("removed", Vec::<String>::new());
        printer.result("unchanged", files);
        printer.say(format!(
            "Rendered {} in {} ({} units) in {:.2}s: nothing changed since the last render ({files} files, `rendered/{INDEX}`)",
            plural(counts.services, "service"),
            plural(counts.clusters, "cluster"),
            counts.units,
            started.elapsed().as_secs_f64(),
        ));
        crate::render::unit::leave_to_exit(committed);
        return ExitStatus::Success;
    }
    // Units whose inputs and bytes are what `HEAD`'s index names are read
    // back (or left in place), not rendered.
    let reuse = committed.as_ref().map_or(ReadBack::Nothing, ReadBack::From);
    let options = check::Options {
        allow_unknown_kinds: args.validation.allow_unknown_kinds,
    };
    // A render of everything a cluster at a time stages each cluster's
    // files as it goes, rather than hold them all to the end.
    let staging = lock
        .as_ref()
        .filter(|_| focus.is_everything())
        .map(crate::write::Staging::new);
    let stage = |files: &[(&str, &str)]| {
        if let Some(staging) = &staging {
            staging.stage(files);
        }
    };
    let keep = match staging {
        Some(_) => crate::render::Keep::Hashes(Some(&stage)),
        None => crate::render::Keep::Texts,
    };
    let (repo, rendered, mut diagnostics) = match settings.render_and_validate(
        "nothing was written",
        &focus,
        reuse,
        Some(options),
        keep,
    ) {
        Ok(done) => done,
        Err(status) => return status,
    };
    printer.diagnostics(&rendered.warnings, &repo.sources);
    if args.allow_invalid {
        for diagnostic in &mut diagnostics {
            diagnostic.severity = Severity::Warning;
        }
    }
    printer.diagnostics(&diagnostics, &repo.sources);
    // The index says that the tree passed every check with nothing to
    // report: only a full render that has nothing to say writes one
    // (`--allow-invalid` and `--allow-unknown-kinds` turn findings into
    // warnings, which are something to say).
    let indexed = focus.is_everything() && rendered.warnings.is_empty() && diagnostics.is_empty();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        printer.say(format!(
            "paved: the rendered output breaks {}; nothing was written (`paved render --allow-invalid` writes anyway)",
            plural(errors, "rule")
        ));
        return ExitStatus::Findings;
    }
    // A focused render speaks only for its own units' files.
    let scope = if focus.is_everything() {
        Scope::Tree
    } else {
        Scope::Files
    };
    // Borrowed, not moved: the lock is released when this function ends,
    // after the summary, not as soon as the files are written.
    let mut files = rendered.files();
    if indexed && let Some(index) = settings.index(&repo, &rendered, &files, committed.as_ref()) {
        let text = crate::render::unit::FileText::Owned(index.to_text());
        files.insert(INDEX.to_owned(), text);
    }
    let written = match (
        &lock,
        staging.map(crate::write::Staging::finish).transpose(),
    ) {
        (_, Err(error)) => Err(error),
        (Some(lock), Ok(staged)) => {
            let found = crate::write::Found {
                in_place: rendered.in_place(),
                listed: committed.as_ref().and_then(|committed| committed.listed()),
                staged: staged.as_ref(),
            };
            crate::write::write_locked(lock, &files, &found, scope)
        }
        (None, Ok(_)) => crate::write::write(&dir, &files, scope),
    };
    if written.is_ok() {
        made.keep();
    }
    // A focused render that changed a file leaves an index that no longer
    // speaks for the tree: it goes. (One that cannot be removed, or that a
    // kill left, no longer matches the files, so nothing trusts it.)
    if let (Ok(summary), Some(lock)) = (&written, &lock)
        && scope == Scope::Files
        && !summary.written.is_empty()
    {
        let _ = crate::write::remove(lock, INDEX);
    }
    let summary = match written {
        Ok(summary) => summary,
        Err(error) => {
            printer.error(Diagnostic::error(error.to_string()));
            if !error.is_unfinished() {
                printer.say("paved: nothing under `rendered/` was changed");
            }
            return ExitStatus::Error;
        }
    };
    printer.result("written", &summary.written);
    printer.result("removed", &summary.removed);
    printer.result("unchanged", summary.unchanged);
    printer.say(format!(
        "Rendered {} in {} ({} units{}) in {:.2}s: {} written, {} removed, {} unchanged{}",
        plural(rendered.service_count(), "service"),
        plural(rendered.cluster_count(), "cluster"),
        rendered.in_focus().count(),
        read_back(&rendered),
        started.elapsed().as_secs_f64(),
        summary.written.len(),
        summary.removed.len(),
        summary.unchanged,
        focused(&focus),
    ));
    // (As costly to free as to build: the inputs, the index read.)
    crate::render::unit::leave_to_exit((repo, committed));
    ExitStatus::Success
}

/// How many units in focus were read back, not rendered: `, N read back
/// unchanged` (nothing when none were).
fn read_back(rendered: &crate::render::Rendered) -> String {
    let count = rendered
        .in_focus()
        .filter(|unit| unit.is_read_back())
        .count();
    if count == 0 {
        String::new()
    } else {
        format!(", {count} read back unchanged")
    }
}
