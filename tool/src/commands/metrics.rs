//! `paved metrics dora` and `paved metrics platform`: figures from the
//! main line's history and the intents.

use std::time::Instant;

use super::settings::Settings;
use crate::cli::{DoraArgs, HistoryArgs, MetricsArgs, MetricsCommand, PlatformMetricsArgs};
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::input::source::git::history::MainLine;
use crate::metrics::history::{self, ManifestFacts, Window};
use crate::metrics::{dora, platform};
use crate::output::{ExitStatus, Format};
use crate::support::date::today;
use crate::support::text::{nearest, plural, quote_list};

pub fn exec(settings: &Settings, args: &MetricsArgs) -> ExitStatus {
    match &args.command {
        MetricsCommand::Dora(args) => exec_dora(settings, args),
        MetricsCommand::Platform(args) => exec_platform(settings, args),
    }
}

/// The checked inputs of the working tree.
pub fn load(settings: &Settings, consequence: &str) -> Result<Repo, ExitStatus> {
    let source = settings.work_tree()?;
    crate::render::load_checked(&source)
        .map_err(|failure| settings.report_failure(&failure, consequence))
}

/// The window asked for, and the main line's history; on failure, the
/// problem (not yet printed).
pub fn try_history(
    settings: &Settings,
    repo: &Repo,
    args: &HistoryArgs,
) -> Result<(Window, MainLine<ManifestFacts>), Diagnostic> {
    let window = Window::new(&args.since, &today())?;
    let (git, rev) = history::open(&settings.root, repo, args.rev.as_deref())?;
    let main_line = history::read(&git, &rev)?;
    Ok((window, main_line))
}

/// The window asked for, and the main line's history; on failure, prints
/// why.
pub fn read_history(
    settings: &Settings,
    repo: &Repo,
    args: &HistoryArgs,
) -> Result<(Window, MainLine<ManifestFacts>), ExitStatus> {
    try_history(settings, repo, args).map_err(|diagnostic| {
        settings.printer.error(diagnostic);
        ExitStatus::Error
    })
}

/// Refuses a name that is not among `known`, saying what is.
pub fn known(
    settings: &Settings,
    what: &str,
    name: &str,
    known: &[String],
) -> Result<(), ExitStatus> {
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    let mut diagnostic = Diagnostic::error(format!("there is no {what} `{name}`"));
    if let Some(near) = nearest(name, known.iter().map(String::as_str)) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    settings
        .printer
        .error(diagnostic.help(format!("{what}s: {}", quote_list(known))));
    Err(ExitStatus::Error)
}

fn exec_dora(settings: &Settings, args: &DoraArgs) -> ExitStatus {
    let started = Instant::now();
    let repo = match load(settings, "nothing was measured") {
        Ok(repo) => repo,
        Err(status) => return status,
    };
    let environments: Vec<String> = repo
        .environments
        .iter()
        .map(|e| e.value.name.clone())
        .collect();
    for env in &args.environments {
        if let Err(status) = known(settings, "environment", env, &environments) {
            return status;
        }
    }
    if let Some(team) = &args.team {
        let teams: Vec<String> = repo.teams.iter().map(|t| t.value.name.clone()).collect();
        if let Err(status) = known(settings, "team", team, &teams) {
            return status;
        }
    }
    let (window, main_line) = match read_history(settings, &repo, &args.history) {
        Ok(read) => read,
        Err(status) => return status,
    };
    let mut options = dora::Options::for_repo(&repo, window);
    if !args.environments.is_empty() {
        options.environments.clone_from(&args.environments);
    }
    if options.environments.is_empty() {
        settings.printer.error(
            Diagnostic::error("no environment is marked `production: true`")
                .help("pass `--env <ENV>` to measure deployments to another environment"),
        );
        return ExitStatus::Error;
    }
    options.team.clone_from(&args.team);
    options.service.clone_from(&args.service);
    let report = dora::measure(&main_line, &options);
    if let Some(service) = &args.service
        && report.services.is_empty()
    {
        let services: Vec<String> = repo.services.iter().map(|s| s.value.name.clone()).collect();
        if let Err(status) = known(settings, "service", service, &services) {
            return status;
        }
    }
    let printer = &settings.printer;
    match printer.format() {
        Format::Json => printer.result("dora", &report),
        Format::Markdown => printer.out(&dora::to_markdown(&report)),
        Format::Text | Format::Sarif => printer.out(&dora::to_text(&report)),
    }
    printer.say(format!(
        "Measured {} to {} from {} in {:.2}s",
        plural(report.organisation.deployments, "deployment"),
        report.environments.join(", "),
        plural(report.commits, "commit"),
        started.elapsed().as_secs_f64()
    ));
    ExitStatus::Success
}

fn exec_platform(settings: &Settings, args: &PlatformMetricsArgs) -> ExitStatus {
    let started = Instant::now();
    let (repo, inventory) = match settings.inventory("nothing was measured") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let (window, main_line) = match read_history(settings, &repo, &args.history) {
        Ok(read) => read,
        Err(status) => return status,
    };
    let clusters = dora::Options::for_repo(&repo, window.clone()).clusters;
    let report = platform::measure(&inventory, &main_line, &window, &clusters);
    let printer = &settings.printer;
    match printer.format() {
        Format::Json => printer.result("platform", &report),
        Format::Markdown => printer.out(&platform::to_markdown(&report)),
        Format::Text | Format::Sarif => printer.out(&platform::to_text(&report)),
    }
    printer.say(format!(
        "Measured {} services from {} in {:.2}s",
        inventory.services.len(),
        plural(report.commits, "commit"),
        started.elapsed().as_secs_f64()
    ));
    ExitStatus::Success
}
