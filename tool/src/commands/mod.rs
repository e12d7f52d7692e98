//! One file per subcommand: each turns arguments into settings and calls
//! the pipeline. Human output goes to stderr, machine output to stdout.

pub mod catalog;
pub mod check;
pub mod codeowners;
pub mod cost;
pub mod diff;
pub mod explain;
pub mod golden_path;
pub mod list;
pub mod maturity;
pub mod metrics;
pub mod new;
pub mod policy;
pub mod portal;
pub mod promote;
pub mod render;
pub mod schema;
pub mod scorecard;
pub mod settings;
pub mod show;
pub mod validate;

use std::path::Path;

use crate::cli::{
    Cli, ColorArg, Command, DiffFormat, GoldenPathCommand, MetricsCommand, NewCommand,
    PolicyCommand, PolicyFormat, PortalCommand, ReportFormat, TextOrJson,
};
use crate::diagnostic::Diagnostic;
use crate::output::{Captured, Color, ExitStatus, Format, Printer};

pub use settings::Settings;

/// Most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

/// The format the command was asked for: each command accepts only the
/// formats it can print, so clap refuses the others.
fn format_of(command: &Command) -> Format {
    let text_or_json = |format: TextOrJson| match format {
        TextOrJson::Text => Format::Text,
        TextOrJson::Json => Format::Json,
    };
    match command {
        Command::Render(args) => text_or_json(args.output.format),
        Command::Validate(args) => text_or_json(args.output.format),
        Command::Check(args) => text_or_json(args.output.format),
        Command::New(args) => match &args.command {
            NewCommand::Service(args) => text_or_json(args.output.format),
            NewCommand::Team(args) => text_or_json(args.output.format),
        },
        Command::Promote(args) => text_or_json(args.output.format),
        Command::Explain(args) => text_or_json(args.output.format),
        Command::List(args) => text_or_json(args.output.format),
        Command::Show(args) => text_or_json(args.output.format),
        Command::Codeowners(args) => text_or_json(args.format),
        Command::Schema(args) => text_or_json(args.output.format),
        Command::GoldenPath(GoldenPathCommand::Test(args)) => text_or_json(args.output.format),
        Command::Policy(args) => match (&args.command, args.format) {
            (Some(PolicyCommand::Test(test)), _) => text_or_json(test.output.format),
            (None, PolicyFormat::Text) => Format::Text,
            (None, PolicyFormat::Json) => Format::Json,
            (None, PolicyFormat::Sarif) => Format::Sarif,
        },
        Command::Catalog(args) => text_or_json(args.output.format),
        Command::Portal(PortalCommand::Build(args)) => text_or_json(args.output.format),
        Command::Portal(PortalCommand::Serve(_)) => Format::Text,
        Command::Diff(args) => match args.format {
            DiffFormat::Text => Format::Text,
            DiffFormat::Json => Format::Json,
            DiffFormat::Markdown => Format::Markdown,
        },
        Command::Metrics(args) => match &args.command {
            MetricsCommand::Dora(args) => report_format(args.format),
            MetricsCommand::Platform(args) => report_format(args.format),
        },
        Command::Cost(args) => report_format(args.format),
        Command::Scorecard(args) => report_format(args.format),
        Command::Maturity(args) => report_format(args.format),
    }
}

fn report_format(format: ReportFormat) -> Format {
    match format {
        ReportFormat::Text => Format::Text,
        ReportFormat::Json => Format::Json,
        ReportFormat::Markdown => Format::Markdown,
    }
}

/// Runs the command, then ends its output (one JSON document under
/// `--format json`).
pub fn dispatch(cli: Cli) -> ExitStatus {
    let printer = Printer::new(format_of(&cli.command), color_of(&cli));
    dispatch_to(cli, printer, None).0
}

/// [`dispatch`] in-process, as if started in `dir` with both streams
/// piped: what it printed stays in memory.
pub fn dispatch_in(cli: Cli, dir: &Path) -> (ExitStatus, Captured) {
    let printer = Printer::in_memory(format_of(&cli.command), color_of(&cli));
    let (status, printer) = dispatch_to(cli, printer, Some(dir));
    (status, printer.into_captured())
}

fn color_of(cli: &Cli) -> Color {
    match cli.global.color {
        ColorArg::Auto => Color::Auto,
        ColorArg::Always => Color::Always,
        ColorArg::Never => Color::Never,
    }
}

/// Runs the command with `printer`, finding the root from `start` (the
/// current directory when `None`).
fn dispatch_to(cli: Cli, printer: Printer, start: Option<&Path>) -> (ExitStatus, Printer) {
    let printer = printer.with_progress(!cli.global.quiet);
    let root = match settings::root(cli.global.root.as_deref(), start) {
        Ok(root) => root,
        Err(problem) => {
            printer.error(problem);
            let status = printer.finish(ExitStatus::Error);
            return (status, printer);
        }
    };
    let settings = Settings { root, printer };
    let status = run(&settings, &cli);
    let status = settings.printer.finish(status);
    (status, settings.printer)
}

fn run(settings: &Settings, cli: &Cli) -> ExitStatus {
    // Workers see the date pinned on the thread that runs the command.
    let today = crate::support::date::pinned_today();
    let mut pool = rayon::ThreadPoolBuilder::new()
        .start_handler(move |_| drop(crate::support::date::pin_today(today.clone())));
    if let Some(jobs) = cli.global.jobs {
        // Each thread costs a stack: thousands would exhaust the machine.
        if jobs > MAX_JOBS {
            settings.printer.error(
                Diagnostic::error(format!("`--jobs` is at most {MAX_JOBS}, not {jobs}"))
                    .help("leave it out to use one thread per CPU"),
            );
            return ExitStatus::Error;
        }
        pool = pool.num_threads(jobs.max(1));
    }
    let pool = match pool.build() {
        Ok(pool) => pool,
        Err(error) => {
            settings.printer.error(Diagnostic::error(format!(
                "cannot start worker threads: {error}"
            )));
            return ExitStatus::Error;
        }
    };
    pool.install(|| match &cli.command {
        Command::Render(args) => render::exec(settings, args),
        Command::Validate(args) => validate::exec(settings, args),
        Command::Check(args) => check::exec(settings, args),
        Command::New(args) => new::exec(settings, args),
        Command::Promote(args) => promote::exec(settings, args),
        Command::Explain(args) => explain::exec(settings, args),
        Command::List(args) => list::exec(settings, args),
        Command::Show(args) => show::exec(settings, args),
        Command::Codeowners(_) => codeowners::exec(settings),
        Command::Diff(args) => diff::exec(settings, args),
        Command::Policy(args) => policy::exec(settings, args),
        Command::Schema(args) => schema::exec(settings, args),
        Command::Catalog(args) => catalog::exec(settings, args),
        Command::Portal(PortalCommand::Build(args)) => portal::build(settings, args),
        Command::Portal(PortalCommand::Serve(args)) => portal::serve(settings, args),
        Command::Metrics(args) => metrics::exec(settings, args),
        Command::Cost(args) => cost::exec(settings, args),
        Command::Scorecard(args) => scorecard::exec(settings, args),
        Command::Maturity(args) => maturity::exec(settings, args),
        Command::GoldenPath(GoldenPathCommand::Test(args)) => golden_path::test(settings, args),
    })
}
