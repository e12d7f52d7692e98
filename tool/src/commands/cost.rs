//! `paved cost`: what the organisation costs a month, from what its pods
//! request.

use std::time::Instant;

use super::settings::Settings;
use crate::cli::CostArgs;
use crate::cost;
use crate::output::{ExitStatus, Format};

pub fn exec(settings: &Settings, args: &CostArgs) -> ExitStatus {
    let started = Instant::now();
    let (repo, mut inventory) = match settings.inventory("nothing was estimated") {
        Ok(done) => done,
        Err(status) => return status,
    };
    if let Some(team) = &args.team {
        let teams: Vec<String> = inventory.teams.iter().map(|t| t.name.clone()).collect();
        if let Err(status) = super::metrics::known(settings, "team", team, &teams) {
            return status;
        }
        inventory.services.retain(|s| &s.team == team);
        inventory.teams.retain(|t| &t.name == team);
    }
    let report = cost::estimate(&inventory, &repo.platform.value.cost);
    let printer = &settings.printer;
    printer.diagnostics(&cost::budget_warnings(&report, &repo), &repo.sources);
    match printer.format() {
        Format::Json => printer.result("cost", &report),
        Format::Markdown => printer.out(&cost::to_markdown(&report)),
        Format::Text | Format::Sarif => printer.out(&cost::to_text(&report)),
    }
    printer.say(format!(
        "Estimated {} services in {} clusters in {:.2}s",
        report.services.len(),
        report.clusters.len(),
        started.elapsed().as_secs_f64()
    ));
    ExitStatus::Success
}
