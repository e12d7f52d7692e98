//! `paved list`.

use super::settings::Settings;
use crate::output::ExitStatus;

pub fn exec(settings: &Settings, _args: &crate::cli::ListArgs) -> ExitStatus {
    let _ = settings;
    ExitStatus::Error
}
