//! `paved check`: is `rendered/` exactly what `paved render` would write?

use super::Settings;
use crate::ExitStatus;
use crate::cli::FormatArg;
use crate::support::text::plural;

pub fn exec(settings: &Settings) -> ExitStatus {
    let (_, rendered) = match super::render_work_tree(settings, "cannot check `rendered/`") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let drift = match crate::write::compare(&settings.rendered_dir(), &rendered.files) {
        Ok(drift) => drift,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitStatus::Error;
        }
    };
    if settings.format == FormatArg::Json {
        let json = serde_json::json!({
            "clean": drift.is_clean(),
            "stale": drift.stale,
            "missing": drift.missing,
            "unexpected": drift.unexpected,
            "interrupted": drift.interrupted,
            "leftover": drift.leftover,
        });
        #[allow(clippy::print_stdout)]
        {
            println!("{json:#}");
        }
    }
    if drift.leftover {
        eprintln!(
            "note: a render interrupted before it changed anything left `rendered/{}`; the next `paved render` removes it",
            crate::write::STAGING
        );
    }
    if drift.is_clean() {
        eprintln!("`rendered/` is up to date ({} files)", rendered.files.len());
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
        eprintln!("{what}:");
        for file in files {
            eprintln!("  rendered/{file}");
        }
    }
    if drift.interrupted {
        eprintln!(
            "a render was interrupted while it put its files in place (its plan is in `rendered/{}`): `rendered/` may mix old and new files",
            crate::write::STAGING
        );
    }
    let count = drift.stale.len() + drift.missing.len() + drift.unexpected.len();
    if count == 0 {
        eprintln!(
            "`rendered/` is out of date. Run `paved render` to finish the interrupted render, and commit the result"
        );
    } else {
        eprintln!(
            "`rendered/` is out of date: {}. Run `paved render` and commit the result; never edit `rendered/` by hand",
            plural(count, "file")
        );
    }
    ExitStatus::Findings
}
