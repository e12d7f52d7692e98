//! `paved scorecard`: the level each service reaches under
//! `platform/scorecards.yaml`, and what it needs for the next.

use std::time::Instant;

use super::metrics::{known, try_history};
use super::settings::Settings;
use crate::cli::ScorecardArgs;
use crate::cost;
use crate::diagnostic::Diagnostic;
use crate::input::load::SCORECARDS_FILE;
use crate::input::model::Dora;
use crate::metrics::dora;
use crate::output::{ExitStatus, Format};
use crate::scorecard;
use crate::support::date::today;
use crate::support::text::{plural, quote_list};

pub fn exec(settings: &Settings, args: &ScorecardArgs) -> ExitStatus {
    let started = Instant::now();
    let printer = &settings.printer;
    let (repo, mut inventory) = match settings.inventory("no service was scored") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let Some(scorecards) = &repo.scorecards else {
        printer.error(
            Diagnostic::error(format!("there is no `{SCORECARDS_FILE}` to score services against"))
                .help("add it: levels (such as bronze, silver, gold), each with rules over facts paved knows; see `docs/insights.md`"),
        );
        return ExitStatus::Error;
    };
    let levels: Vec<String> = scorecards
        .value
        .levels
        .iter()
        .map(|l| l.name.clone())
        .collect();
    if let Some(level) = &args.require
        && let Err(status) = known(settings, "level", level, &levels)
    {
        return status;
    }
    if let Ok(source) = settings.work_tree() {
        inventory.find_docs(&source);
    }
    if let Some(team) = &args.team {
        let teams: Vec<String> = inventory.teams.iter().map(|t| t.name.clone()).collect();
        if let Err(status) = known(settings, "team", team, &teams) {
            return status;
        }
    }
    if let Some(service) = &args.service {
        let services: Vec<String> = inventory.services.iter().map(|s| s.name.clone()).collect();
        if let Err(status) = known(settings, "service", service, &services) {
            return status;
        }
    }
    let estimate = cost::estimate(&inventory, &repo.platform.value.cost);
    // DORA bands only when a rule asks for one: they need the history.
    let report = if scorecard::needs_history(&scorecards.value) {
        match try_history(settings, &repo, &args.history) {
            Ok((window, main_line)) => Ok(dora::measure(
                &main_line,
                &dora::Options::for_repo(&repo, window),
            )),
            Err(diagnostic) => {
                let why = diagnostic.message.clone();
                printer.error(
                    Diagnostic {
                        severity: crate::diagnostic::Severity::Warning,
                        ..diagnostic
                    }
                    .help("rules on DORA bands fail until the history can be read"),
                );
                Err(why)
            }
        }
    } else {
        Err("no rule asks for DORA bands".to_owned())
    };
    inventory.services.retain(|s| {
        args.team.as_ref().is_none_or(|t| &s.team == t)
            && args.service.as_ref().is_none_or(|n| &s.name == n)
    });
    let bands = repo
        .dora
        .as_ref()
        .map_or_else(|| Dora::builtin().bands, |d| d.value.bands.clone());
    let context = scorecard::Context {
        inventory: &inventory,
        cost: &estimate,
        dora: report.as_ref().map_err(Clone::clone),
        bands,
        today: today(),
    };
    let scores = scorecard::score(&scorecards.value, &context);
    match printer.format() {
        Format::Json => printer.result("scorecard", &scores),
        Format::Markdown => printer.out(&scorecard::to_markdown(&scores)),
        Format::Text | Format::Sarif => printer.out(&scorecard::to_text(&scores)),
    }
    printer.say(format!(
        "Scored {} against `{SCORECARDS_FILE}` in {:.2}s",
        plural(scores.services.len(), "service"),
        started.elapsed().as_secs_f64()
    ));
    let Some(required) = &args.require else {
        return ExitStatus::Success;
    };
    let rank = |level: &Option<String>| {
        level
            .as_ref()
            .and_then(|l| levels.iter().position(|x| x == l))
    };
    let need = levels.iter().position(|l| l == required);
    let below: Vec<&str> = scores
        .services
        .iter()
        .filter(|s| rank(&s.level) < need)
        .map(|s| s.service.as_str())
        .collect();
    if below.is_empty() {
        ExitStatus::Success
    } else {
        printer.error(
            Diagnostic::error(format!(
                "{} below `{required}`: {}",
                plural(below.len(), "service is").replace("services is", "services are"),
                quote_list(&below)
            ))
            .help("`paved scorecard <SERVICE>` says what each one needs"),
        );
        ExitStatus::Findings
    }
}
