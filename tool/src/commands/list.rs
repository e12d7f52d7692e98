//! `paved list`: services (or golden paths) and what runs where.

use super::settings::Settings;
use crate::cli::ListArgs;
use crate::diagnostic::Diagnostic;
use crate::listing::{self, Filter};
use crate::output::{ExitStatus, Format};

pub fn exec(settings: &Settings, args: &ListArgs) -> ExitStatus {
    let printer = &settings.printer;
    let (_, inventory) = match settings.inventory("nothing was listed") {
        Ok(done) => done,
        Err(status) => return status,
    };
    let filter = Filter {
        team: args.team.clone(),
        golden_path: args.path.clone(),
        environment: args.environment.clone(),
    };
    let known = [
        (
            "team",
            &filter.team,
            inventory
                .teams
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "golden path",
            &filter.golden_path,
            inventory
                .golden_paths
                .iter()
                .map(|p| p.name.as_str())
                .collect(),
        ),
        (
            "environment",
            &filter.environment,
            inventory
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect(),
        ),
    ];
    for (what, given, names) in known {
        if let Some(given) = given
            && !names.contains(&given.as_str())
        {
            printer.error(
                Diagnostic::error(format!("unknown {what} `{given}`")).help(format!(
                    "{what}s: {}",
                    crate::support::text::quote_list(&names)
                )),
            );
            return ExitStatus::Error;
        }
    }
    if args.paths {
        let uses = listing::path_uses(&inventory);
        if printer.format() == Format::Json {
            printer.result("goldenPaths", &inventory.golden_paths);
            printer.result("uses", &uses);
        } else {
            printer.out(&listing::paths_text(&inventory));
        }
        return ExitStatus::Success;
    }
    if printer.format() == Format::Json {
        let services: Vec<_> = inventory
            .services
            .iter()
            .filter(|s| filter.keeps(s))
            .collect();
        printer.result("services", services);
    } else {
        printer.out(&listing::services_text(&inventory, &filter));
    }
    ExitStatus::Success
}
