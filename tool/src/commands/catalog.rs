//! `paved catalog`: the Backstage catalog of the organisation.

use std::time::Instant;

use super::settings::Settings;
use crate::catalog;
use crate::cli::CatalogArgs;
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;

/// The directory `paved catalog` writes unless told otherwise.
pub const DEFAULT_OUT: &str = "catalog";
/// The file that marks a directory as written by `paved catalog`.
pub const MARKER: &str = ".paved-catalog";

pub fn exec(settings: &Settings, args: &CatalogArgs) -> ExitStatus {
    let started = Instant::now();
    let printer = &settings.printer;
    let consequence = "no catalog was written";
    let (repo, inventory) = match settings.inventory(consequence) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let docs = match settings.docs(consequence) {
        Ok(docs) => docs,
        Err(status) => return status,
    };
    let entities = catalog::entities(&repo, &inventory, &docs);
    let files = catalog::files(&repo, &inventory, &docs);
    let out = settings.out_dir(args.out.as_deref(), DEFAULT_OUT);
    let bytes = files
        .into_iter()
        .map(|(path, text)| (path, text.into_bytes()))
        .collect();
    let summary = match crate::export::write_dir(
        &out,
        MARKER,
        "Written by `paved catalog`, which replaces everything in this directory.\n",
        &bytes,
    ) {
        Ok(summary) => summary,
        Err(error) => {
            let mut diagnostic = Diagnostic::error(error.to_string());
            if let Some(help) = error.help() {
                diagnostic = diagnostic.help(help);
            }
            printer.error(diagnostic);
            return ExitStatus::Error;
        }
    };
    let counts: std::collections::BTreeMap<String, usize> =
        entities
            .values()
            .flatten()
            .fold(Default::default(), |mut counts, entity| {
                let kind = entity["kind"].as_str().unwrap_or_default().to_owned();
                *counts.entry(kind).or_default() += 1;
                counts
            });
    let total: usize = counts.values().sum();
    printer.result("out", out.display().to_string());
    printer.result(
        "location",
        out.join(catalog::LOCATION_FILE).display().to_string(),
    );
    printer.result("entities", &counts);
    printer.say(format!(
        "Wrote {} ({}) and their Location to `{}` in {:.2}s: {} files written, {} unchanged, {} removed",
        if total == 1 {
            "1 entity".to_owned()
        } else {
            format!("{total} entities")
        },
        counts
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", "),
        out.display(),
        started.elapsed().as_secs_f64(),
        summary.written,
        summary.unchanged,
        summary.removed,
    ));
    printer.say(format!(
        "Register `{}` in Backstage to import them",
        out.join(catalog::LOCATION_FILE).display()
    ));
    ExitStatus::Success
}
