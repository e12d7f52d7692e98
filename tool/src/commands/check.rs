//! `paved check`: is `rendered/` exactly what `paved render` would write?

use super::settings::Settings;
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;
use crate::support::text::plural;

pub fn exec(settings: &Settings) -> ExitStatus {
    let printer = &settings.printer;
    let (_, rendered) = match settings.render_work_tree("cannot check `rendered/`") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let drift = match crate::write::compare(&settings.rendered_dir(), &rendered.files) {
        Ok(drift) => drift,
        Err(error) => {
            printer.error(Diagnostic::error(error.to_string()));
            return ExitStatus::Error;
        }
    };
    printer.result("clean", drift.is_clean());
    printer.result("stale", &drift.stale);
    printer.result("missing", &drift.missing);
    printer.result("unexpected", &drift.unexpected);
    printer.result("interrupted", drift.interrupted);
    printer.result("leftover", drift.leftover);
    if drift.leftover {
        printer.say(format!(
            "note: a render interrupted before it changed anything left `rendered/{}`; the next `paved render` removes it",
            crate::write::STAGING
        ));
    }
    if drift.is_clean() {
        printer.say(format!(
            "`rendered/` is up to date ({} files)",
            rendered.files.len()
        ));
        return ExitStatus::Success;
    }
    let groups = [
        ("stale (content differs from a fresh render)", &drift.stale),
        ("missing (would be written)", &drift.missing),
        ("unexpected (would be removed)", &drift.unexpected),
    ];
    for (what, files) in groups {
        if files.is_empty() {
            continue;
        }
        printer.say(format!("{what}:"));
        for file in files {
            printer.say(format!("  rendered/{file}"));
        }
    }
    if drift.interrupted {
        printer.say(format!(
            "a render was interrupted while it put its files in place (its plan is in `rendered/{}`): `rendered/` may mix old and new files",
            crate::write::STAGING
        ));
    }
    let count = drift.stale.len() + drift.missing.len() + drift.unexpected.len();
    if count == 0 {
        printer.say(
            "`rendered/` is out of date. Run `paved render` to finish the interrupted render, and commit the result",
        );
    } else {
        printer.say(format!(
            "`rendered/` is out of date: {}. Run `paved render` and commit the result; never edit `rendered/` by hand",
            plural(count, "file")
        ));
    }
    ExitStatus::Findings
}
