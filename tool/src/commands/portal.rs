//! `paved portal build` and `paved portal serve`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::settings::Settings;
use crate::cli::{PortalBuildArgs, PortalServeArgs};
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;
use crate::render::Failure;

/// The directory `paved portal build` writes unless told otherwise.
pub const DEFAULT_OUT: &str = "site";
/// The file that marks a directory as written by `paved portal build`.
pub const MARKER: &str = ".paved-portal";

/// What the portal is built from, for the watcher.
const WATCHED: &[&str] = &[
    "platform",
    "environments",
    "teams",
    "golden-paths",
    "policies",
    "docs",
];

/// Builds the site in memory: render, policy, inventory, pages.
fn site(settings: &Settings) -> Result<BTreeMap<String, Vec<u8>>, ExitStatus> {
    let consequence = "the portal was not built";
    // The docs first: two on one page are refused before anything is
    // rendered.
    let docs = settings.docs(consequence)?;
    let collisions = crate::portal::doc_collisions(&docs);
    if !collisions.is_empty() {
        let failure = Failure {
            diagnostics: collisions,
            sources: crate::diagnostic::Sources::default(),
        };
        return Err(settings.report_failure(&failure, consequence));
    }
    let today = crate::support::date::today();
    // The policies and the inventory read each cluster's units while the
    // render holds them.
    let evaluator = crate::policy::Evaluator::new(&today);
    let read = |repo: &crate::input::repo::Repo, rendered: &crate::render::Rendered| {
        (
            evaluator.part(repo, rendered),
            crate::inventory::deployed(repo, rendered),
        )
    };
    let (repo, parts) =
        settings.read_work_tree(consequence, format!("{} inventory", evaluator.key()), &read)?;
    let (policy, deployed): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    let report = crate::policy::finish(&repo, policy, &today).map_err(|diagnostics| {
        let failure = Failure {
            diagnostics,
            sources: repo.sources.clone(),
        };
        settings.report_failure(&failure, consequence)
    })?;
    let inventory = crate::inventory::assemble(&repo, deployed.into_iter().flatten(), false);
    Ok(crate::portal::build(&crate::portal::Inputs {
        repo: &repo,
        inventory: &inventory,
        findings: &report.diagnostics,
        docs: &docs,
        today: &today,
    }))
}

/// Builds and writes the site to `out`; the number of pages on success.
fn build_into(settings: &Settings, out: &Path) -> Result<usize, ExitStatus> {
    let files = site(settings)?;
    let pages = files.keys().filter(|p| p.ends_with(".html")).count();
    crate::export::write_dir(
        out,
        MARKER,
        "Written by `paved portal build`, which replaces everything in this directory.\n",
        &files,
    )
    .map_err(|error| {
        let mut diagnostic = Diagnostic::error(error.to_string());
        if let Some(help) = error.help() {
            diagnostic = diagnostic.help(help);
        }
        settings.printer.error(diagnostic);
        ExitStatus::Error
    })?;
    Ok(pages)
}

pub fn build(settings: &Settings, args: &PortalBuildArgs) -> ExitStatus {
    let started = Instant::now();
    let out = settings.out_dir(args.out.as_deref(), DEFAULT_OUT);
    let pages = match build_into(settings, &out) {
        Ok(pages) => pages,
        Err(status) => return status,
    };
    let printer = &settings.printer;
    printer.result("out", out.display().to_string());
    printer.result("pages", pages);
    printer.say(format!(
        "Built the portal ({pages} pages) into `{}` in {:.2}s; open `{}` in a browser",
        out.display(),
        started.elapsed().as_secs_f64(),
        out.join("index.html").display()
    ));
    ExitStatus::Success
}

pub fn serve(settings: &Settings, args: &PortalServeArgs) -> ExitStatus {
    // Every change renders again, for as long as the server runs.
    crate::render::unit::leave_renders_to_exit(false);
    crate::render::template::remember_renders(true);
    let printer = &settings.printer;
    let out = settings.out_dir(args.out.as_deref(), DEFAULT_OUT);
    // Bind first: a taken port is said at once, before any work.
    let listener = match crate::serve::bind(args.port) {
        Ok(listener) => listener,
        Err(error) => {
            let mut diagnostic = Diagnostic::error(error.to_string());
            if matches!(error, crate::serve::ServeError::PortTaken { .. }) {
                diagnostic = diagnostic.help(format!(
                    "another program (perhaps another `paved portal serve`) listens there: stop it, or choose another port with `--port {}`",
                    args.port.wrapping_add(1).max(1024)
                ));
            }
            printer.error(diagnostic);
            return ExitStatus::Error;
        }
    };
    let port = listener.local_addr().map_or(args.port, |a| a.port());
    let mut seen = crate::serve::snapshot(&settings.root, WATCHED);
    let started = Instant::now();
    if let Err(status) = build_into(settings, &out) {
        return status;
    }
    printer.say(format!(
        "Built the portal into `{}` in {:.2}s",
        out.display(),
        started.elapsed().as_secs_f64()
    ));
    crate::serve::spawn(listener, out.clone());
    printer.say(format!(
        "Serving http://127.0.0.1:{port}/ (only on this machine); rebuilding when the inputs change. Press Ctrl-C to stop"
    ));
    loop {
        std::thread::sleep(Duration::from_secs(args.interval));
        let now = crate::serve::snapshot(&settings.root, WATCHED);
        if now == seen {
            continue;
        }
        seen = now;
        let started = Instant::now();
        match build_into(settings, &out) {
            Ok(pages) => printer.say(format!(
                "Inputs changed: rebuilt {pages} pages in {:.2}s",
                started.elapsed().as_secs_f64()
            )),
            Err(_) => {
                printer.say("Inputs changed but do not build: still serving the last good portal")
            }
        }
    }
}
