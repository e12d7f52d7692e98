//! `paved diff`: what the working tree changes, cluster by cluster,
//! compared with a base commit.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{Settings, report_failure};
use crate::ExitStatus;
use crate::cli::{DiffArgs, FormatArg};
use crate::diagnostic::Color;
use crate::pipeline::{self, Failure};
use crate::source::git::GitRepo;
use crate::{diff, repo::Repo};

/// The hidden marker that makes a pull-request comment findable, so CI
/// updates one comment instead of adding one per push.
pub const COMMENT_MARKER: &str = "<!-- paved-diff -->";

pub fn exec(settings: &Settings, args: &DiffArgs) -> ExitStatus {
    let started = Instant::now();
    let (report, compared) = match compute(settings, args.base.as_deref()) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = match settings.format {
        FormatArg::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).expect("reports serialise")
        ),
        FormatArg::Markdown => write!(out, "{}", diff::to_markdown(&report, COMMENT_MARKER)),
        FormatArg::Text | FormatArg::Sarif => {
            let color = match settings.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            write!(out, "{}", diff::to_text(&report, color))
        }
    };
    eprintln!(
        "Compared {compared} rendered units whose inputs changed in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    if args.exit_code && !report.is_empty() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

/// Renders the base commit's inputs and the working tree's (only the units
/// whose inputs differ) and compares them. Problems are printed here; the
/// error is the exit status to end with.
pub fn compute(
    settings: &Settings,
    base: Option<&str>,
) -> Result<(diff::Report, usize), ExitStatus> {
    let git = match GitRepo::open(&settings.root) {
        Ok(git) => git,
        Err(error) => {
            eprintln!("error: {error}");
            return Err(ExitStatus::Error);
        }
    };
    let base_rev = match base {
        Some(rev) => rev.to_owned(),
        None => match git.default_base() {
            Ok(rev) => rev,
            Err(error) => {
                eprintln!(
                    "error: {error}\n  = help: pass `--base <REF>`, such as `--base main` or `--base HEAD~1`"
                );
                return Err(ExitStatus::Error);
            }
        },
    };
    let (base_tree, described) = match git
        .inputs_at(&base_rev)
        .and_then(|tree| Ok((tree, git.describe(&base_rev)?)))
    {
        Ok(found) => found,
        Err(error) => {
            eprintln!(
                "error: {error}\n  = help: use a branch, tag or commit id, such as `main`, `origin/main` or `HEAD~1`"
            );
            return Err(ExitStatus::Error);
        }
    };
    let work = settings.work_tree()?;
    let base_repo = match pipeline::load_checked(&base_tree) {
        Ok(repo) => repo,
        Err(failure) => return Err(base_failure(settings, &failure, &described)),
    };
    let head_repo = match pipeline::load_checked(&work) {
        Ok(repo) => repo,
        Err(failure) => return Err(report_failure(settings, &failure, "nothing was compared")),
    };
    let base_plan = match pipeline::plan(&base_repo, &BTreeSet::new()) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: base_repo.sources.clone(),
            };
            return Err(base_failure(settings, &failure, &described));
        }
    };
    let head_plan = match pipeline::plan(&head_repo, &BTreeSet::new()) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: head_repo.sources.clone(),
            };
            return Err(report_failure(settings, &failure, "nothing was compared"));
        }
    };
    // Render only the units whose inputs differ: the rest cannot change.
    let (old, new) = rayon::join(|| base_plan.fingerprints(), || head_plan.fingerprints());
    let mut changed: BTreeSet<String> = old.keys().chain(new.keys()).cloned().collect();
    changed.retain(|path| old.get(path) != new.get(path));
    let (base, head) = rayon::join(
        || base_plan.render(Some(&changed)),
        || head_plan.render(Some(&changed)),
    );
    let base = match base {
        Ok(rendered) => rendered,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: base_repo.sources.clone(),
            };
            return Err(base_failure(settings, &failure, &described));
        }
    };
    let head = match head {
        Ok(rendered) => rendered,
        Err(diagnostics) => {
            let failure = Failure {
                diagnostics,
                sources: head_repo.sources.clone(),
            };
            return Err(report_failure(settings, &failure, "nothing was compared"));
        }
    };
    let environments = environments(&base_repo, &head_repo);
    let mut report = diff::compare(&base, &head, &environments, &head_repo.platform.value.diff);
    report.base = described;
    Ok((report, changed.len()))
}

/// Every environment of either side, head's version first.
fn environments<'a>(base: &'a Repo, head: &'a Repo) -> Vec<&'a crate::model::Environment> {
    let mut out: Vec<&crate::model::Environment> =
        head.environments.iter().map(|e| &e.value).collect();
    for env in &base.environments {
        if !out.iter().any(|e| e.name == env.value.name) {
            out.push(&env.value);
        }
    }
    out
}

fn base_failure(settings: &Settings, failure: &Failure, described: &str) -> ExitStatus {
    eprintln!("error: the base commit ({described}) does not render with this version of paved:");
    report_failure(settings, failure, "nothing was compared")
}
