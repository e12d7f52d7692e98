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

/// What a repository renders to, and what validation and policy say.
pub struct Verdict {
    pub repo: Repo,
    pub rendered: Rendered,
    /// Findings of `validate` and `policy`, errors and warnings.
    pub findings: Vec<Diagnostic>,
}

/// Renders, validates and checks `source` against policy (as of `today`).
/// Inputs that do not render are the failure.
pub fn verify(source: &dyn Source, today: &str) -> Result<Verdict, Failure> {
    let (repo, rendered) = render::run(source)?;
    let mut findings = check::validate(
        &repo,
        &rendered,
        check::Options {
            allow_unknown_kinds: false,
        },
    )
    .diagnostics;
    match policy::evaluate(&repo, &rendered, today) {
        Ok(report) => findings.extend(report.diagnostics),
        Err(diagnostics) => {
            return Err(Failure {
                diagnostics,
                sources: repo.sources.clone(),
            });
        }
    }
    Ok(Verdict {
        repo,
        rendered,
        findings,
    })
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

/// The errors of `after` that `before` did not have: what a change broke.
pub fn new_errors(before: Option<&Verdict>, after: &Verdict) -> Vec<Diagnostic> {
    let old: BTreeSet<_> = before
        .into_iter()
        .flat_map(|verdict| &verdict.findings)
        .filter(|d| d.is_error())
        .map(key)
        .collect();
    after
        .findings
        .iter()
        .filter(|d| d.is_error() && !old.contains(&key(d)))
        .cloned()
        .collect()
}
