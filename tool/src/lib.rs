//! paved: an internal developer platform in one repository.
//!
//! Service intents and golden paths go in; rendered Kubernetes manifests
//! come out. See `ARCHITECTURE.md` for the map.

pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod cost;
pub mod diff;
pub mod explain;
pub mod export;
pub mod index;
pub mod input;
pub mod inventory;
pub mod listing;
pub mod maturity;
pub mod metrics;
pub mod output;
pub mod ownership;
pub mod policy;
pub mod portal;
pub mod promote;
pub mod reference;
pub mod rego;
pub mod render;
pub mod samples;
pub mod scaffold;
pub mod scorecard;
pub mod serve;
pub mod verify;
pub mod write;

// The leaf helpers live in a crate of their own (`tool/base/`); they keep
// their paths here.
pub use paved_base::{diagnostic, support};

use std::ffi::OsString;

use clap::Parser;

pub use output::ExitStatus;

/// Runs paved with command-line arguments.
pub fn run<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return refused_status(&error);
        }
    };
    commands::dispatch(cli)
}

/// How a command line clap did not run ends: in error, unless clap
/// answered it (`--help`, `--version`, printed on stdout).
fn refused_status(error: &clap::Error) -> ExitStatus {
    if error.use_stderr() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}

/// Runs paved in-process with command-line arguments, as if started in
/// `dir` with both streams piped and today's date `today` (as
/// `PAVED_TODAY` pins it): the exit status and what it printed. Paths
/// given on the command line (`--out`, `--app-dir`, `--root`) are still
/// read from the process's own directory.
pub fn run_in<I, T>(args: I, dir: &std::path::Path, today: &str) -> (ExitStatus, output::Captured)
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let pinned = support::date::pin_today(Some(today.to_owned()));
    let outcome = match cli::Cli::try_parse_from(args) {
        Ok(cli) => commands::dispatch_in(cli, dir),
        Err(error) => {
            // As `clap::Error::print` prints it, in memory.
            let text = error.render().to_string().into_bytes();
            let printed = if error.use_stderr() {
                output::Captured {
                    stderr: text,
                    ..Default::default()
                }
            } else {
                output::Captured {
                    stdout: text,
                    ..Default::default()
                }
            };
            (refused_status(&error), printed)
        }
    };
    support::date::pin_today(pinned);
    outcome
}
