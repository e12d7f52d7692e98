//! `paved new service|team`: scaffold, prove, write, say what is next.
//! Values come from flags; on a terminal, missing ones are asked for.

use std::path::{Path, PathBuf};

use super::settings::Settings;
use crate::cli::{NewArgs, NewCommand, NewServiceArgs, NewTeamArgs};
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::input::source::{Overlay, WorkTree};
use crate::output::ExitStatus;
use crate::render::Failure;
use crate::scaffold::{self, NewFile, ServiceRequest, TeamRequest};
use crate::support::date::today;
use crate::verify;

pub fn exec(settings: &Settings, args: &NewArgs) -> ExitStatus {
    match &args.command {
        NewCommand::Service(args) => service(settings, args),
        NewCommand::Team(args) => team(settings, args),
    }
}

/// Asks for missing values on a terminal; elsewhere says which flag is missing.
struct Asker {
    interactive: bool,
    missing: Vec<String>,
}

impl Asker {
    fn new(settings: &Settings) -> Asker {
        Asker {
            interactive: settings.printer.interactive(),
            missing: Vec::new(),
        }
    }

    /// `given`, else an answer typed at the prompt, else a missing flag.
    fn text(
        &mut self,
        given: Option<&String>,
        flag: &str,
        prompt: &str,
        default: Option<&str>,
    ) -> String {
        if let Some(given) = given {
            return given.clone();
        }
        if self.interactive {
            let mut input = dialoguer::Input::<String>::new().with_prompt(prompt);
            if let Some(default) = default {
                input = input.default(default.to_owned());
            }
            if let Ok(answer) = input.interact_text() {
                return answer.trim().to_owned();
            }
        }
        if let Some(default) = default {
            return default.to_owned();
        }
        self.missing.push(flag.to_owned());
        String::new()
    }

    /// `given`, else a choice from `options`, else a missing flag.
    fn choose(
        &mut self,
        given: Option<&String>,
        flag: &str,
        prompt: &str,
        options: &[String],
    ) -> String {
        if let Some(given) = given {
            return given.clone();
        }
        if self.interactive && !options.is_empty() {
            let chosen = dialoguer::Select::new()
                .with_prompt(prompt)
                .items(options)
                .default(0)
                .interact();
            if let Ok(index) = chosen {
                return options[index]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        }
        self.missing.push(flag.to_owned());
        String::new()
    }

    fn list(&mut self, given: &[String], flag: &str, prompt: &str, required: bool) -> Vec<String> {
        if !given.is_empty() {
            return given.to_vec();
        }
        if self.interactive {
            let answer = dialoguer::Input::<String>::new()
                .with_prompt(format!("{prompt} (separate several with spaces)"))
                .allow_empty(!required)
                .interact_text();
            if let Ok(answer) = answer {
                return answer.split_whitespace().map(str::to_owned).collect();
            }
        }
        if required {
            self.missing.push(flag.to_owned());
        }
        Vec::new()
    }

    /// Reports the missing flags, if any.
    fn finish(&self, settings: &Settings, what: &str) -> Result<(), ExitStatus> {
        if self.missing.is_empty() {
            return Ok(());
        }
        let flags: Vec<String> = self.missing.iter().map(|f| format!("`{f}`")).collect();
        settings.printer.error(
            Diagnostic::error(format!("missing {}", flags.join(", ")))
                .help(format!(
                    "`paved new {what}` asks for missing values only on a terminal; pass them as flags in scripts (`paved new {what} --help`)"
                )),
        );
        Err(ExitStatus::Error)
    }
}

/// The repository as it is, proven to render, and the tree it came from.
fn current(settings: &Settings) -> Result<(WorkTree, verify::Verdict), ExitStatus> {
    let work = settings.work_tree()?;
    match verify::verify(&work, &today()) {
        Ok(verdict) => Ok((work, verdict)),
        Err(failure) => Err(settings.report_failure(
            &failure,
            "the repository must render before something is added to it; nothing was written",
        )),
    }
}

fn service(settings: &Settings, args: &NewServiceArgs) -> ExitStatus {
    let printer = &settings.printer;
    let (work, before) = match current(settings) {
        Ok(found) => found,
        Err(status) => return status,
    };
    let repo = &before.repo;
    let mut asker = Asker::new(settings);
    let name = asker.text(
        args.name.as_ref(),
        "NAME",
        "Service name (lowercase, such as `refunds`)",
        None,
    );
    let teams: Vec<String> = repo.teams.iter().map(|t| t.value.name.clone()).collect();
    let team = asker.choose(args.team.as_ref(), "--team", "Team that owns it", &teams);
    let paths: Vec<String> = repo
        .golden_paths
        .values()
        .map(|p| format!("{:<14} {}", p.value.name, p.value.description))
        .collect();
    let golden_path = asker.choose(args.path.as_ref(), "--path", "Golden path", &paths);
    let description = asker.text(
        args.description.as_ref(),
        "--description",
        "What it does, in one sentence",
        Some(&format!("The {name} service.")),
    );
    if let Err(status) = asker.finish(settings, "service") {
        return status;
    }
    let request = ServiceRequest {
        name,
        team,
        golden_path,
        description,
        tag: args.tag.clone(),
    };
    let problems = scaffold::check_service(repo, &request);
    if !problems.is_empty() {
        printer.diagnostics(&problems, &repo.sources);
        printer.say("paved: nothing was written");
        return ExitStatus::Error;
    }
    let intent = NewFile {
        path: scaffold::intent_path(&request),
        text: scaffold::service_intent(repo, &request),
    };
    let docs = NewFile {
        path: scaffold::docs_path(&request),
        text: scaffold::docs_stub(repo, &request),
    };
    let mut targets: Vec<(PathBuf, &NewFile, String)> = vec![
        (
            settings.root.join(&intent.path),
            &intent,
            intent.path.clone(),
        ),
        (settings.root.join(&docs.path), &docs, docs.path.clone()),
    ];
    let skeleton = match &args.app_dir {
        Some(_) => match scaffold::skeleton(repo, &work, &request) {
            Ok(files) => files,
            Err(problems) => {
                printer.diagnostics(&problems, &repo.sources);
                printer.say("paved: nothing was written");
                return ExitStatus::Error;
            }
        },
        None => Vec::new(),
    };
    if let Some(dir) = &args.app_dir {
        for file in &skeleton {
            let shown = dir.join(&file.path).display().to_string();
            targets.push((dir.join(&file.path), file, shown));
        }
    }
    if let Err(status) = refuse_existing(settings, &targets) {
        return status;
    }
    // Prove it: the organisation with the new intent renders, validates
    // and passes policy (holding only the findings of the tree as it is,
    // not its repository).
    let next = repo.promotion_order().get(1).map(|env| env.to_string());
    let image = scaffold::image(repo, &request);
    let overlay = Overlay::new(&work).add(&intent.path, intent.text.clone());
    if let Err(status) = prove(settings, before.into_findings(), &overlay, &intent.path) {
        return status;
    }
    let written = match write_all(settings, &targets) {
        Ok(written) => written,
        Err(status) => return status,
    };
    printer.result("written", &written);
    for path in &written {
        printer.say(format!("  wrote {path}"));
    }
    let mut steps = vec![
        format!(
            "edit `{}`: set what the service needs (see the comments)",
            intent.path
        ),
        "`paved render` to write its manifests into `rendered/`".to_owned(),
        format!(
            "commit `{}`, `{}` and `rendered/`, and open a pull request: CI posts what changes in each cluster",
            intent.path, docs.path
        ),
    ];
    if let Some(dir) = &args.app_dir {
        steps.insert(
            0,
            format!(
                "push `{}` to its own repository: its workflow builds `{}` and pushes it on every tag",
                dir.display(),
                image
            ),
        );
    }
    if let Some(next) = next {
        steps.push(format!(
            "once it runs, `paved promote {} --to {next}` copies the release on",
            request.name
        ));
    }
    printer.result("nextSteps", &steps);
    printer.say(format!(
        "Created service `{}` on golden path `{}` (it renders, validates and passes policy). Next:",
        request.name, request.golden_path
    ));
    for (index, step) in steps.iter().enumerate() {
        printer.say(format!("  {}. {step}", index + 1));
    }
    ExitStatus::Success
}

fn team(settings: &Settings, args: &NewTeamArgs) -> ExitStatus {
    let printer = &settings.printer;
    let (work, before) = match current(settings) {
        Ok(found) => found,
        Err(status) => return status,
    };
    let repo: &Repo = &before.repo;
    let mut asker = Asker::new(settings);
    let name = asker.text(
        args.name.as_ref(),
        "NAME",
        "Team name (also its namespace)",
        None,
    );
    let owners = asker.list(&args.owners, "--owner", "Owners' e-mail addresses", true);
    let group = asker.text(
        args.group.as_ref(),
        "--group",
        "Identity-provider group",
        None,
    );
    let cost_center = asker.text(
        args.cost_center.as_ref(),
        "--cost-center",
        "Cost centre",
        None,
    );
    let github = asker.list(
        &args.github,
        "--github",
        "GitHub owners (`@org/team`)",
        false,
    );
    if let Err(status) = asker.finish(settings, "team") {
        return status;
    }
    let request = TeamRequest {
        name,
        description: args.description.clone(),
        owners,
        group,
        cost_center,
        github,
        contact: args.contact.clone(),
    };
    let problems = scaffold::check_team(repo, &request);
    if !problems.is_empty() {
        printer.diagnostics(&problems, &repo.sources);
        printer.say("paved: nothing was written");
        return ExitStatus::Error;
    }
    let file = NewFile {
        path: scaffold::team_path(&request),
        text: scaffold::team_file(&request),
    };
    let targets = vec![(settings.root.join(&file.path), &file, file.path.clone())];
    if let Err(status) = refuse_existing(settings, &targets) {
        return status;
    }
    let overlay = Overlay::new(&work).add(&file.path, file.text.clone());
    if let Err(status) = prove(settings, before.into_findings(), &overlay, &file.path) {
        return status;
    }
    let written = match write_all(settings, &targets) {
        Ok(written) => written,
        Err(status) => return status,
    };
    printer.result("written", &written);
    printer.say(format!("  wrote {}", file.path));
    let steps = vec![
        "`paved render`: the team gets a namespace, quota, access and network policy in every cluster".to_owned(),
        "`paved codeowners` to ask the team to review its own changes".to_owned(),
        format!(
            "commit and open a pull request; then `paved new service NAME --team {} --path GOLDEN_PATH`",
            request.name
        ),
    ];
    printer.result("nextSteps", &steps);
    printer.say(format!("Created team `{}`. Next:", request.name));
    for (index, step) in steps.iter().enumerate() {
        printer.say(format!("  {}. {step}", index + 1));
    }
    ExitStatus::Success
}

/// Refuses when any target exists, naming each.
fn refuse_existing(
    settings: &Settings,
    targets: &[(PathBuf, &NewFile, String)],
) -> Result<(), ExitStatus> {
    let existing: Vec<&String> = targets
        .iter()
        .filter(|(path, ..)| path.symlink_metadata().is_ok())
        .map(|(.., shown)| shown)
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    let mut diagnostic = Diagnostic::error(format!(
        "refusing to overwrite {}",
        crate::support::text::plural(existing.len(), "existing file")
    ));
    for path in &existing {
        diagnostic = diagnostic.help(format!("`{path}` exists"));
    }
    settings
        .printer
        .error(diagnostic.help("choose another name or directory, or move these away first"));
    settings.printer.say("paved: nothing was written");
    Err(ExitStatus::Error)
}

/// The change must render, validate and pass policy (no error the
/// repository did not already have).
fn prove(
    settings: &Settings,
    before: Vec<Diagnostic>,
    overlay: &Overlay<'_>,
    path: &str,
) -> Result<(), ExitStatus> {
    let consequence = format!("`{path}` would not render; nothing was written");
    let after = verify::verify(overlay, &today())
        .map_err(|failure| settings.report_failure(&failure, &consequence))?;
    let broken = verify::new_errors(Some(&before), &after.findings);
    if broken.is_empty() {
        return Ok(());
    }
    let failure = Failure {
        diagnostics: broken,
        sources: after.repo.sources.clone(),
    };
    Err(settings.report_failure(
        &failure,
        &format!("`{path}` would fail validation or policy; nothing was written"),
    ))
}

/// Writes every target; on failure removes what it made (files and the
/// directories it created), nothing else.
fn write_all(
    settings: &Settings,
    targets: &[(PathBuf, &NewFile, String)],
) -> Result<Vec<String>, ExitStatus> {
    let mut made_files: Vec<&Path> = Vec::new();
    let mut made_dirs: Vec<PathBuf> = Vec::new();
    let mut written = Vec::new();
    for (path, file, shown) in targets {
        let result = (|| -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                let mut missing = Vec::new();
                let mut at = parent;
                while !at.as_os_str().is_empty() && !at.exists() {
                    missing.push(at.to_path_buf());
                    match at.parent() {
                        Some(up) => at = up,
                        None => break,
                    }
                }
                std::fs::create_dir_all(parent)?;
                made_dirs.extend(missing.into_iter().rev());
            }
            let mut handle = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            std::io::Write::write_all(&mut handle, file.text.as_bytes())
        })();
        match result {
            Ok(()) => {
                made_files.push(path);
                written.push(shown.clone());
            }
            Err(error) => {
                for made in &made_files {
                    let _ = std::fs::remove_file(made);
                }
                for dir in made_dirs.iter().rev() {
                    let _ = std::fs::remove_dir(dir);
                }
                settings.printer.error(Diagnostic::error(format!(
                    "cannot write `{shown}`: {error}"
                )));
                settings
                    .printer
                    .say("paved: what this command had written was removed again");
                return Err(ExitStatus::Error);
            }
        }
    }
    Ok(written)
}
