//! paved: an internal developer platform in one repository.
//!
//! Service intents and golden paths go in; rendered Kubernetes manifests
//! come out. See `ARCHITECTURE.md` for the map.

pub mod check;
pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod diff;
pub mod input;
pub mod policy;
pub mod rego;
pub mod render;
pub mod support;
pub mod write;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything is fine.
    Success,
    /// The command ran and found something (a stale `rendered/`).
    Findings,
    /// Bad input or usage: nothing was done.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Findings => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

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
            return if error.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    commands::dispatch(cli)
}
