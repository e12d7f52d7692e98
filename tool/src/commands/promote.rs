//! `paved promote`: copy releases into the next environment, editing
//! intents in place, after proving the result renders, validates and
//! passes policy.

use super::settings::Settings;
use crate::cli::PromoteArgs;
use crate::diagnostic::Diagnostic;
use crate::input::source::Overlay;
use crate::output::{ExitStatus, Format};
use crate::promote;
use crate::render::Failure;
use crate::support::date::today;
use crate::support::text::plural;
use crate::verify;

pub fn exec(settings: &Settings, args: &PromoteArgs) -> ExitStatus {
    let printer = &settings.printer;
    let work = match settings.work_tree() {
        Ok(work) => work,
        Err(status) => return status,
    };
    let today = today();
    // What the tree says now: findings it already has are not the
    // promotion's to answer for.
    let before = match verify::verify(&work, &today) {
        Ok(verdict) => verdict,
        Err(failure) => {
            return settings
                .report_failure(&failure, "fix these before promoting; nothing was changed");
        }
    };
    let repo = &before.repo;
    let services: Vec<&crate::input::repo::ServiceEntry> = match (&args.service, &args.team) {
        (Some(name), _) => match repo.service(name) {
            Some(service) => vec![service],
            None => {
                let known = repo.services.iter().map(|s| s.value.name.as_str());
                let mut diagnostic = Diagnostic::error(format!("unknown service `{name}`"));
                if let Some(near) = crate::support::text::nearest(name, known) {
                    diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
                }
                printer.error(diagnostic.help("`paved list` shows every service"));
                return ExitStatus::Error;
            }
        },
        (None, Some(team)) => {
            if repo.team(team).is_none() {
                printer.error(
                    Diagnostic::error(format!("unknown team `{team}`"))
                        .help("`paved list` shows every service and its team"),
                );
                return ExitStatus::Error;
            }
            repo.services.iter().filter(|s| &s.team == team).collect()
        }
        (None, None) => repo.services.iter().collect(),
    };
    let (promotions, skipped) = match promote::plan(repo, &services, &args.to, &args.with) {
        Ok(planned) => planned,
        Err(problems) => {
            printer.diagnostics(&problems, &repo.sources);
            return ExitStatus::Error;
        }
    };
    printer.result("skipped", &skipped);
    for skip in &skipped {
        printer.say(format!("skipped: {}", skip.reason));
    }
    if promotions.is_empty() {
        printer.result("promoted", Vec::<String>::new());
        printer.say(format!(
            "paved: nothing to promote into `{}`; nothing was changed",
            args.to
        ));
        return ExitStatus::Findings;
    }
    // Prove the result before writing it (holding only the findings of
    // the tree as it is, not its repository).
    drop(services);
    let before = before.into_findings();
    let mut overlay = Overlay::new(&work);
    for promotion in &promotions {
        overlay = overlay.add(&promotion.file, promotion.text.clone());
    }
    let after = match verify::verify(&overlay, &today) {
        Ok(verdict) => verdict,
        Err(failure) => {
            return settings.report_failure(
                &failure,
                &format!(
                    "the promotion into `{}` was refused; nothing was changed",
                    args.to
                ),
            );
        }
    };
    let broken = verify::new_errors(Some(&before), &after.findings);
    if !broken.is_empty() {
        let failure = Failure {
            diagnostics: broken,
            sources: after.repo.sources.clone(),
        };
        printer.diagnostics(&failure.diagnostics, &failure.sources);
        printer.say(format!(
            "paved: the promotion into `{}` would fail validation or policy ({}); nothing was changed",
            args.to,
            plural(failure.diagnostics.len(), "error")
        ));
        return ExitStatus::Error;
    }
    let diff: String = promotions.iter().map(|p| p.diff.as_str()).collect();
    if printer.format() == Format::Json {
        printer.result("promoted", &promotions);
    } else {
        printer.out(&diff);
    }
    printer.result("dryRun", args.dry_run);
    for promotion in &promotions {
        let previous = promotion
            .previous
            .as_ref()
            .map_or_else(|| "nothing".to_owned(), ToString::to_string);
        let mut line = format!(
            "{}: {} from `{}` into `{}` (was {previous})",
            promotion.service, promotion.release, promotion.from, promotion.to
        );
        if !promotion.settings.is_empty() {
            line.push_str(&format!(", with {}", promotion.settings.join(", ")));
        }
        printer.say(line);
    }
    if args.dry_run {
        printer.say("Dry run: nothing was written");
        return ExitStatus::Success;
    }
    for promotion in &promotions {
        let path = settings.root.join(&promotion.file);
        if let Err(error) = std::fs::write(&path, &promotion.text) {
            printer.error(Diagnostic::error(format!(
                "cannot write `{}`: {error}",
                promotion.file
            )));
            return ExitStatus::Error;
        }
    }
    printer.say(format!(
        "Promoted {} into `{}`. Next: `paved render`, commit the intents with `rendered/`, and open a pull request",
        plural(promotions.len(), "service"),
        args.to
    ));
    ExitStatus::Success
}
