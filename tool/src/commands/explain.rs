//! `paved explain`: where each value of a service comes from.

use super::settings::Settings;
use crate::cli::ExplainArgs;
use crate::explain;
use crate::output::{ExitStatus, Format};
use crate::render;

pub fn exec(settings: &Settings, args: &ExplainArgs) -> ExitStatus {
    let printer = &settings.printer;
    let consequence = "nothing was explained";
    // Only the service's own units are rendered (against its clusters'
    // units, as a focused render is), so that explaining one service is
    // quick at any size. A name that is no service's is explain's to
    // report, with the nearest one.
    let repo = match settings
        .work_tree()
        .map(|source| render::load_checked(&source))
    {
        Ok(Ok(repo)) => repo,
        Ok(Err(failure)) => return settings.report_failure(&failure, consequence),
        Err(status) => return status,
    };
    let (repo, rendered) = if repo.service(&args.service).is_none() {
        (repo, render::Rendered::default())
    } else {
        drop(repo);
        let focus = render::Focus {
            services: [args.service.clone()].into(),
            ..render::Focus::default()
        };
        match settings.render_focused(consequence, &focus) {
            Ok(done) => done,
            Err(status) => return status,
        }
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
