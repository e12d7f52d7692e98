//! `paved explain`.

use super::settings::Settings;
use crate::output::ExitStatus;

pub fn exec(settings: &Settings, _args: &crate::cli::ExplainArgs) -> ExitStatus {
    let _ = settings;
    ExitStatus::Error
}
