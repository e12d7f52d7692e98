//! `paved maturity`: the platform against a five-level model, with the
//! evidence, the gap and the next step of each dimension.

use std::time::Instant;

use super::metrics::try_history;
use super::settings::Settings;
use crate::cli::MaturityArgs;
use crate::cost;
use crate::diagnostic::{Diagnostic, Severity};
use crate::maturity;
use crate::metrics::{dora, platform};
use crate::output::{ExitStatus, Format};
use crate::support::date::today;

pub fn exec(settings: &Settings, args: &MaturityArgs) -> ExitStatus {
    let started = Instant::now();
    let printer = &settings.printer;
    let (repo, mut inventory) = match settings.inventory("nothing was assessed") {
        Ok(done) => done,
        Err(status) => return status,
    };
    if let Ok(source) = settings.work_tree() {
        inventory.find_docs(&source);
    }
    let estimate = cost::estimate(&inventory, &repo.platform.value.cost);
    let history = try_history(settings, &repo, &args.history).map_err(|diagnostic| {
        let why = diagnostic.message.clone();
        printer.error(
            Diagnostic {
                severity: Severity::Warning,
                ..diagnostic
            }
            .help("dimensions measured from history (self-service, delivery) stay at level 1 until it can be read"),
        );
        why
    });
    let measured = history.as_ref().map(|(window, main_line)| {
        let options = dora::Options::for_repo(&repo, window.clone());
        let platform = platform::measure(&inventory, main_line, window, &options.clusters);
        (platform, dora::measure(main_line, &options))
    });
    let evidence = maturity::Evidence {
        repo: &repo,
        inventory: &inventory,
        cost: &estimate,
        platform: measured
            .as_ref()
            .map(|m| &m.0)
            .map_err(|why| (*why).clone()),
        dora: measured
            .as_ref()
            .map(|m| &m.1)
            .map_err(|why| (*why).clone()),
        today: today(),
    };
    let report = maturity::assess(&evidence);
    match printer.format() {
        Format::Json => printer.result("maturity", &report),
        Format::Markdown => printer.out(&maturity::to_markdown(&report)),
        Format::Text | Format::Sarif => printer.out(&maturity::to_text(&report)),
    }
    printer.say(format!(
        "Assessed {} dimensions in {:.2}s",
        report.findings.len(),
        started.elapsed().as_secs_f64()
    ));
    ExitStatus::Success
}
