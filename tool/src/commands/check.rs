//! `paved check`: is `rendered/` exactly what `paved render` would write?

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::settings::{Committed, ReadBack, Settings};
use crate::diagnostic::Diagnostic;
use crate::index::INDEX;
use crate::output::ExitStatus;
use crate::ownership::CODEOWNERS_FILE;
use crate::support::hash::sha256;
use crate::support::text::plural;

/// Releases new since `base` that skipped the environment before theirs.
fn promotion_order(
    settings: &Settings,
    repo: &crate::input::repo::Repo,
    base: &str,
) -> Result<Vec<Diagnostic>, ExitStatus> {
    let printer = &settings.printer;
    let git = crate::input::source::git::GitRepo::open(&settings.root).map_err(|error| {
        printer.error(Diagnostic::error(error.to_string()));
        ExitStatus::Error
    })?;
    crate::promote::order::check(repo, &git, base, &crate::support::date::today()).map_err(
        |error| {
            printer.error(Diagnostic::error(error.to_string()).help(super::settings::BASE_HELP));
            ExitStatus::Error
        },
    )
}

/// How many files `rendered/` holds, when neither it, nor the inputs, nor
/// `CODEOWNERS` changed since `base`, whose index CI checked when it
/// merged: then everything `check` checks holds as it held there.
fn unchanged_since(settings: &Settings, base: &str, committed: &Committed) -> Option<usize> {
    if !committed.holds() {
        return None;
    }
    let git = crate::input::source::git::GitRepo::open(&settings.root).ok()?;
    let at_base = |path: &str| git.file_at(base, path).ok().flatten();
    // CODEOWNERS follows the team files, which are inputs.
    let codeowners = std::fs::read(settings.root.join(CODEOWNERS_FILE)).ok();
    if codeowners.is_some() && codeowners != at_base(CODEOWNERS_FILE) {
        return None;
    }
    Some(committed.index.files.len() + 1)
}

pub fn exec(settings: &Settings, args: &crate::cli::CheckArgs) -> ExitStatus {
    let printer = &settings.printer;
    // Against a base, what its committed index names.
    let committed = args
        .base
        .as_deref()
        .and_then(|base| settings.committed(ReadBack::Base(base)));
    if let (Some(base), Some(committed)) = (&args.base, &committed)
        && let Some(files) = unchanged_since(settings, base, committed)
    {
        printer.result("clean", true);
        for list in ["stale", "missing", "unexpected"] {
            printer.result(list, Vec::<String>::new());
        }
        printer.result("interrupted", false);
        printer.result("leftover", false);
        if settings.root.join(CODEOWNERS_FILE).is_file() {
            printer.result("codeownersStale", false);
        }
        // The same inputs as the base: no release is new.
        printer.result("promotionErrors", 0);
        printer.say(format!(
            "`rendered/` is up to date ({files} files; inputs and output unchanged since `{base}`, whose index `rendered/{INDEX}` CI checked)"
        ));
        return ExitStatus::Success;
    }
    // Without a base, what a render of these inputs writes is the
    // inputs', which this clone may have found already: then only the
    // files are compared with it.
    let verdicts = args.base.is_none().then(|| settings.verdicts()).flatten();
    if let Some(expected) = verdicts.as_ref().and_then(|v| v.recall::<Expected>(CHECK))
        && let Some(compared) = expected.compare(settings)
    {
        return report(settings, &compared, ExitStatus::Success);
    }
    // Against a base, the units whose inputs are unchanged since are what
    // the base holds: only the rest are rendered. An index says the tree
    // validated with nothing to report: a render writes one only then,
    // and there is one to check only if written.
    let read_back = committed.as_ref().map_or(ReadBack::Nothing, ReadBack::From);
    let written = crate::write::read(&settings.rendered_dir(), INDEX);
    // A render of everything a cluster at a time keeps only the hash of
    // each file, not its text: the files are compared by their hashes at
    // the end (all under one shared lock, so never halfway through a
    // render).
    let (repo, rendered, found) = match settings.render_and_validate(
        "cannot check `rendered/`",
        &Default::default(),
        read_back,
        written.is_some().then(crate::check::Options::default),
        crate::render::Keep::Hashes(None),
    ) {
        Ok(done) => done,
        Err(status) => return status,
    };
    let indexed = written.is_some() && rendered.warnings.is_empty() && found.is_empty();
    let mut files = rendered.files();
    if indexed && let Some(mut index) = settings.index(&repo, &rendered, &files, committed.as_ref())
    {
        // A pull request that changes paved is checked by the paved it
        // replaces, which cannot know the new one's name: everything else
        // the index says must hold. (An index saves work only for the
        // paved it names.)
        if let Some(written) = written.as_deref().and_then(crate::index::Index::parse) {
            index.paved = written.paved;
        }
        files.insert(
            INDEX.to_owned(),
            crate::render::unit::FileText::Owned(index.to_text()),
        );
    }
    // Files found by their hashes to hold what they should are not read.
    let in_place = rendered.in_place();
    let hashed = rendered.handed_over();
    let compared =
        crate::write::compare_hashed(&settings.rendered_dir(), &files, &in_place, &hashed);
    let drift = match compared {
        Ok(drift) => drift,
        Err(error) => {
            printer.error(Diagnostic::error(error.to_string()));
            return ExitStatus::Error;
        }
    };
    // CODEOWNERS, when the repository keeps one, follows the team files.
    let codeowners = crate::ownership::codeowners(&repo).0;
    let written_codeowners = std::fs::read(settings.root.join(CODEOWNERS_FILE)).ok();
    if let Some(verdicts) = verdicts
        && written.is_some()
        && in_place.is_empty()
    {
        let mut expected: BTreeMap<String, String> = files
            .iter()
            .map(|(path, text)| (path.clone(), sha256(text.as_bytes())))
            .collect();
        expected.extend(
            hashed
                .iter()
                .map(|(path, hash)| (path.clone(), hash.clone())),
        );
        let expected = Expected {
            files: expected,
            codeowners: sha256(codeowners.as_bytes()),
        };
        verdicts.record(CHECK, &expected);
    }
    let compared = Compared {
        files: files.len() + in_place.len() + hashed.len(),
        codeowners_stale: written_codeowners.map(|written| written != codeowners.as_bytes()),
        drift,
        recalled: false,
    };
    let mut status = ExitStatus::Success;
    // Promotion order, against the base a pull request merges into.
    if let Some(base) = &args.base {
        match promotion_order(settings, &repo, base) {
            Ok(findings) => {
                let errors = findings.iter().filter(|d| d.is_error()).count();
                printer.diagnostics(&findings, &repo.sources);
                printer.result("promotionErrors", errors);
                if errors > 0 {
                    printer.say(format!(
                        "{} skip the environment before their own",
                        plural(errors, "release")
                    ));
                    status = ExitStatus::Findings;
                }
            }
            Err(error) => return error,
        }
    }
    report(settings, &compared, status)
}

/// The key of `check`'s verdict (`write::Verdicts`).
const CHECK: &str = "check";
/// What a check that compares the files with that verdict says first.
const RECALLED: &str = "note: the inputs are as this clone's last `paved check` found them: the files are compared with what it found they render";

/// What a render of the inputs writes, as this clone records it
/// (`write::Verdicts`): the sha256 of every file, and of `CODEOWNERS`.
/// Recorded only by a check of a tree with an index (the normal state of
/// a repository using paved), which validates what it renders.
#[derive(Serialize, Deserialize)]
struct Expected {
    files: BTreeMap<String, String>,
    codeowners: String,
}

impl Expected {
    /// `rendered/` and `CODEOWNERS` compared with what they should hold,
    /// by their hashes (`write::compare_hashed`, which reads only files
    /// touched since the record of hashes was made). `None` where only a
    /// full check can say: an index in the tree other than the recorded
    /// one, or none (a render writes none when it has something to say,
    /// and one may name the paved a pull request brings), or a render left
    /// unfinished.
    fn compare(&self, settings: &Settings) -> Option<Compared> {
        let none = BTreeMap::<String, String>::new();
        let drift = crate::write::compare_hashed(
            &settings.rendered_dir(),
            &none,
            &Default::default(),
            &self.files,
        )
        .ok()?;
        let index_differs = !self.files.contains_key(INDEX)
            || [&drift.stale, &drift.missing]
                .iter()
                .any(|paths| paths.iter().any(|path| path == INDEX));
        if index_differs || drift.interrupted || drift.leftover {
            return None;
        }
        let written = std::fs::read(settings.root.join(CODEOWNERS_FILE)).ok();
        Some(Compared {
            files: self.files.len(),
            codeowners_stale: written.map(|written| sha256(&written) != self.codeowners),
            drift,
            recalled: true,
        })
    }
}

/// How `rendered/` and `CODEOWNERS` differ from what they should hold.
struct Compared {
    /// How many files `rendered/` should hold.
    files: usize,
    /// Whether `CODEOWNERS` is stale, when the repository keeps one.
    codeowners_stale: Option<bool>,
    drift: crate::write::Drift,
    /// Whether what the files should hold is this clone's verdict.
    recalled: bool,
}

/// Prints what `compared` found, ending with `status` at worst.
fn report(settings: &Settings, compared: &Compared, mut status: ExitStatus) -> ExitStatus {
    let printer = &settings.printer;
    let mut drift = compared.drift.clone();
    // A render that had something to say (a warning, `--allow-invalid`)
    // writes no index, and removes one: an index is only ever checked,
    // never required.
    let without_index = drift.missing.iter().any(|path| path == INDEX);
    drift.missing.retain(|path| path != INDEX);
    if compared.recalled {
        printer.say(RECALLED);
    }
    printer.result("clean", drift.is_clean());
    printer.result("stale", &drift.stale);
    printer.result("missing", &drift.missing);
    printer.result("unexpected", &drift.unexpected);
    printer.result("interrupted", drift.interrupted);
    printer.result("leftover", drift.leftover);
    if drift.leftover {
        printer.say(format!(
            "note: a render interrupted before it changed anything left `rendered/{}`; the next `paved render` removes it",
            crate::write::STAGING
        ));
    }
    if let Some(stale) = compared.codeowners_stale {
        printer.result("codeownersStale", stale);
        if stale {
            printer.say(format!(
                "`{CODEOWNERS_FILE}` does not match the team files: run `paved codeowners` and commit the result"
            ));
            status = ExitStatus::Findings;
        }
    }
    if drift.is_clean() {
        printer.say(format!(
            "`rendered/` is up to date ({} files)",
            compared.files - usize::from(without_index)
        ));
        return status;
    }
    let groups = [
        ("stale (content differs from a fresh render)", &drift.stale),
        ("missing (would be written)", &drift.missing),
        ("unexpected (would be removed)", &drift.unexpected),
    ];
    for (what, files) in groups {
        if files.is_empty() {
            continue;
        }
        printer.say(format!("{what}:"));
        for file in files {
            printer.say(format!("  rendered/{file}"));
        }
    }
    if drift.interrupted {
        printer.say(format!(
            "a render was interrupted while it put its files in place (its plan is in `rendered/{}`): `rendered/` may mix old and new files",
            crate::write::STAGING
        ));
    }
    let count = drift.stale.len() + drift.missing.len() + drift.unexpected.len();
    if count == 0 {
        printer.say(
            "`rendered/` is out of date. Run `paved render` to finish the interrupted render, and commit the result",
        );
    } else {
        printer.say(format!(
            "`rendered/` is out of date: {}. Run `paved render` and commit the result; never edit `rendered/` by hand",
            plural(count, "file")
        ));
    }
    ExitStatus::Findings
}
