//! One file per subcommand: each turns arguments into settings and calls
//! the pipeline. Human output goes to stderr, machine output to stdout.

pub mod check;
pub mod diff;
pub mod policy;
pub mod render;
pub mod schema;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::ExitStatus;
use crate::cli::{Cli, ColorArg, Command, FormatArg, GlobalArgs};
use crate::diagnostic::{self, Color, Diagnostic, Severity, Sources};
use crate::render::Failure;
use crate::support::text::plural;

/// Global options, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    pub color: Color,
    pub format: FormatArg,
}

impl Settings {
    fn resolve(args: &GlobalArgs) -> Result<Settings, String> {
        let root = match &args.root {
            Some(root) if root.is_dir() => root.clone(),
            Some(root) => return Err(format!("`{}` is not a directory", root.display())),
            None => find_root()?,
        };
        let color = match args.color {
            ColorArg::Auto => Color::Auto,
            ColorArg::Always => Color::Always,
            ColorArg::Never => Color::Never,
        };
        Ok(Settings {
            root,
            color,
            format: args.format,
        })
    }

    /// The working tree at the root, or the exit status after saying why not.
    pub fn work_tree(&self) -> Result<crate::input::source::WorkTree, ExitStatus> {
        crate::input::source::WorkTree::new(&self.root).map_err(|error| {
            eprintln!("error: cannot open `{}`: {error}", self.root.display());
            ExitStatus::Error
        })
    }

    /// `rendered/` under the root.
    pub fn rendered_dir(&self) -> PathBuf {
        self.root.join(crate::render::unit::RENDERED_DIR)
    }
}

/// The nearest directory, from the current one upwards, that holds
/// `platform/platform.yaml`; the current directory if none does.
fn find_root() -> Result<PathBuf, String> {
    let current =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let found = current
        .ancestors()
        .find(|dir| dir.join(crate::input::load::PLATFORM_FILE).is_file())
        .map(Path::to_path_buf);
    Ok(found.unwrap_or(current))
}

/// Most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

pub fn dispatch(cli: Cli) -> ExitStatus {
    let settings = match Settings::resolve(&cli.global) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitStatus::Error;
        }
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = cli.global.jobs {
        // Each thread costs a stack: thousands would exhaust the machine.
        if jobs > MAX_JOBS {
            eprintln!("error: `--jobs` is at most {MAX_JOBS}, not {jobs}");
            return ExitStatus::Error;
        }
        pool = pool.num_threads(jobs.max(1));
    }
    let pool = match pool.build() {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: cannot start worker threads: {error}");
            return ExitStatus::Error;
        }
    };
    pool.install(|| match &cli.command {
        Command::Render(args) => render::exec(&settings, args),
        Command::Validate(args) => validate::exec(&settings, args),
        Command::Check => check::exec(&settings),
        Command::Diff(args) => diff::exec(&settings, args),
        Command::Policy(args) => policy::exec(&settings, args),
        Command::Schema(args) => schema::exec(&settings, args),
    })
}

/// Loads, checks and renders the working tree. On failure, prints every
/// problem and says what was not done (`consequence`), returning the exit
/// status to end with.
pub fn render_work_tree(
    settings: &Settings,
    consequence: &str,
) -> Result<(crate::input::repo::Repo, crate::render::unit::Rendered), ExitStatus> {
    let source = settings.work_tree()?;
    crate::render::run(&source).map_err(|failure| report_failure(settings, &failure, consequence))
}

/// Prints diagnostics in the chosen format.
pub fn print_diagnostics(settings: &Settings, diagnostics: &[Diagnostic], sources: &Sources) {
    match settings.format {
        FormatArg::Text | FormatArg::Markdown | FormatArg::Sarif => {
            diagnostic::emit(diagnostics, sources, settings.color)
        }
        FormatArg::Json => {
            let stdout = std::io::stdout();
            let _ = diagnostic::write_json(diagnostics, &mut stdout.lock());
        }
    }
}

/// Reports inputs that could not be rendered, and returns the exit status.
pub fn report_failure(settings: &Settings, failure: &Failure, consequence: &str) -> ExitStatus {
    print_diagnostics(settings, &failure.diagnostics, &failure.sources);
    if settings.format != FormatArg::Json {
        let errors = failure
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let mut files: Vec<&str> = failure
            .diagnostics
            .iter()
            .filter_map(|d| d.location.as_ref().map(|l| l.file.as_str()))
            .collect();
        files.sort_unstable();
        files.dedup();
        eprintln!(
            "paved: {} in {}; {consequence}",
            plural(errors, "error"),
            plural(files.len().max(1), "file")
        );
    }
    ExitStatus::Error
}
