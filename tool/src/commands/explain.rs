//! `paved explain`: where each value of a service comes from.

use super::settings::Settings;
use crate::cli::ExplainArgs;
use crate::explain;
use crate::output::{ExitStatus, Format};

pub fn exec(settings: &Settings, args: &ExplainArgs) -> ExitStatus {
    let printer = &settings.printer;
    let (repo, rendered) = match settings.render_work_tree("nothing was explained") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let explanation = match explain::explain(
        &repo,
        &rendered,
        &args.service,
        args.cluster.as_deref(),
        args.field.as_deref(),
    ) {
        Ok(explanation) => explanation,
        Err(diagnostic) => {
            printer.error(diagnostic);
            return ExitStatus::Error;
        }
    };
    if printer.format() == Format::Json {
        printer.result("explanation", &explanation);
    } else {
        printer.out(&explain::to_text(&explanation));
    }
    ExitStatus::Success
}
