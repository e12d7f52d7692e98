//! `paved codeowners`: write `.github/CODEOWNERS` from the team files.

use super::settings::Settings;
use crate::diagnostic::Diagnostic;
use crate::output::ExitStatus;
use crate::ownership::{CODEOWNERS_FILE, codeowners};
use crate::render;

pub fn exec(settings: &Settings) -> ExitStatus {
    let printer = &settings.printer;
    let source = match settings.work_tree() {
        Ok(source) => source,
        Err(status) => return status,
    };
    let repo = match render::load_checked(&source) {
        Ok(repo) => repo,
        Err(failure) => return settings.report_failure(&failure, "nothing was written"),
    };
    let (text, warnings) = codeowners(&repo);
    printer.diagnostics(&warnings, &repo.sources);
    let path = settings.root.join(CODEOWNERS_FILE);
    printer.result("file", CODEOWNERS_FILE);
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        printer.result("written", false);
        printer.say(format!("`{CODEOWNERS_FILE}` is up to date"));
        return ExitStatus::Success;
    }
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, &text));
    if let Err(error) = written {
        printer.error(Diagnostic::error(format!(
            "cannot write `{CODEOWNERS_FILE}`: {error}"
        )));
        return ExitStatus::Error;
    }
    printer.result("written", true);
    printer.say(format!(
        "Wrote `{CODEOWNERS_FILE}` for {} teams; commit it so GitHub asks each team to review its changes",
        repo.teams.len()
    ));
    ExitStatus::Success
}
