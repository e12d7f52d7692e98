//! `paved show`: one service, everything the inventory knows about it.

use super::settings::Settings;
use crate::cli::ShowArgs;
use crate::diagnostic::Diagnostic;
use crate::listing;
use crate::output::{ExitStatus, Format};

pub fn exec(settings: &Settings, args: &ShowArgs) -> ExitStatus {
    let printer = &settings.printer;
    let (_, inventory) = match settings.inventory("nothing was shown") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let Some(service) = inventory.service(&args.service) else {
        let names = inventory.services.iter().map(|s| s.name.as_str());
        let mut diagnostic = Diagnostic::error(format!("unknown service `{}`", args.service));
        if let Some(near) = crate::support::text::nearest(&args.service, names) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        printer.error(diagnostic.help("`paved list` shows every service"));
        return ExitStatus::Error;
    };
    if printer.format() == Format::Json {
        printer.result("service", service);
    } else {
        printer.out(&listing::service_text(service));
    }
    ExitStatus::Success
}
