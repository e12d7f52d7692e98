//! A change proven before it is written: render the repository as it
//! would be (the working tree with the change laid over it, in memory),
//! validate what it renders and check it against policy. `paved new` and
//! `paved promote` write only what passes; what already failed before the
//! change is not held against it. Pure apart from reading the source.

use std::collections::BTreeSet;

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::input::source::Source;
use crate::policy;
use crate::render::{self, Failure, Rendered};

/// What a repository is, and what validation and policy say of what it
/// renders.
pub struct Verdict {
    pub repo: Repo,
    /// Findings of `validate` and `policy`, errors and warnings.
    pub findings: Vec<Diagnostic>,
}

impl Verdict {
    /// Its findings, the repository freed.
    pub fn into_findings(self) -> Vec<Diagnostic> {
        self.findings
    }
}

/// Renders, validates and checks `source` against policy (as of `today`),
/// a cluster at a time (`render::run_checked`): nothing of the render is
/// kept but what the checks found. Inputs that do not render are the
/// failure.
pub fn verify(source: &dyn Source, today: &str) -> Result<Verdict, Failure> {
    let validator = check::Validator::new(check::Options {
        allow_unknown_kinds: false,
    });
    let evaluator = policy::Evaluator::new(today);
    let checks = |repo: &Repo, rendered: &Rendered| {
        (
            validator.check(repo, rendered),
            evaluator.part(repo, rendered),
        )
    };
    let checking = render::Checking {
        key: format!("{} {}", validator.key(), evaluator.key()),
        checks: &checks,
        keep: crate::render::Keep::Summaries,
    };
    let (repo, _, parts) = render::run_checked(
        source,
        &render::Focus::default(),
        &render::NoProgress,
        None,
        Some(&checking),
    )?;
    let (validation, policies): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    let mut findings: Vec<Diagnostic> = validation.into_iter().flatten().collect();
    check::finish(&mut findings);
    match policy::finish(&repo, policies, today) {
        Ok(report) => findings.extend(report.diagnostics),
        Err(diagnostics) => {
            return Err(Failure {
                diagnostics,
                sources: repo.sources.clone(),
            });
        }
    }
    Ok(Verdict { repo, findings })
}

/// What makes two findings the same, wherever their lines moved to.
fn key(diagnostic: &Diagnostic) -> (String, Option<String>, Option<String>, Vec<String>) {
    (
        diagnostic.message.clone(),
        diagnostic.subject.clone(),
        diagnostic.code.clone(),
        diagnostic.clusters.clone(),
    )
}

/// The errors among `after`'s findings that `before`'s did not have: what
/// a change broke.
pub fn new_errors(before: Option<&[Diagnostic]>, after: &[Diagnostic]) -> Vec<Diagnostic> {
    let old: BTreeSet<_> = before
        .into_iter()
        .flatten()
        .filter(|d| d.is_error())
        .map(key)
        .collect();
    after
        .iter()
        .filter(|d| d.is_error() && !old.contains(&key(d)))
        .cloned()
        .collect()
}
