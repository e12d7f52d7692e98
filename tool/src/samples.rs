//! Golden-path samples: `paved golden-path test`. A platform engineer keeps
//! sample intents beside a golden path (`golden-paths/<path>/tests/*.yaml`)
//! and the manifests they render to (`*.rendered.yaml`, a snapshot). The
//! samples are rendered with the repository's platform, environments and
//! golden paths, as the services of one synthetic team, validated, and
//! compared with their snapshots, so a template change shows exactly what
//! it does to each kind of service before any team's service sees it.

use std::collections::BTreeMap;

use crate::check;
use crate::diagnostic::{Diagnostic, Sources};
use crate::input::load::{GOLDEN_PATHS_DIR, TEAMS_DIR};
use crate::input::source::{EntryKind, Overlay, Source, join};
use crate::render::{Failure, UnitKind, unit::manifest_text};

/// The team samples render as: its namespace appears in the snapshots.
pub const SAMPLE_TEAM: &str = "samples";

/// One sample intent of a golden path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub golden_path: String,
    /// The intent's file stem, which is also the service's name.
    pub name: String,
    /// Where the intent is, relative to the repository root.
    pub intent: String,
    /// Where its snapshot is.
    pub snapshot: String,
}

/// What one sample rendered to.
#[derive(Debug)]
pub struct Outcome {
    pub sample: Sample,
    /// Every manifest of the sample, cluster by cluster, as the snapshot
    /// holds them.
    pub rendered: String,
}

/// What the samples rendered to, and what `paved validate` finds in them
/// (located in the samples' own files where an intent caused it).
#[derive(Debug)]
pub struct Rendered {
    pub outcomes: Vec<Outcome>,
    pub findings: Vec<Diagnostic>,
    pub sources: Sources,
}

/// The samples of the golden paths named in `only` (every path when empty).
pub fn discover(source: &dyn Source, only: &[String]) -> Result<Vec<Sample>, Vec<Diagnostic>> {
    let mut samples = Vec::new();
    let mut problems = Vec::new();
    let paths = source
        .list(GOLDEN_PATHS_DIR)
        .map_err(|error| vec![Diagnostic::error(error.to_string()).in_file(GOLDEN_PATHS_DIR)])?;
    for wanted in only {
        if !paths
            .iter()
            .any(|p| &p.name == wanted && p.kind == EntryKind::Dir)
        {
            let known: Vec<&str> = paths.iter().map(|p| p.name.as_str()).collect();
            problems.push(
                Diagnostic::error(format!("unknown golden path `{wanted}`"))
                    .in_file(GOLDEN_PATHS_DIR)
                    .help(format!(
                        "golden paths: {}",
                        crate::support::text::quote_list(&known)
                    )),
            );
        }
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for path in paths.iter().filter(|p| p.kind == EntryKind::Dir) {
        if !only.is_empty() && !only.contains(&path.name) {
            continue;
        }
        let dir = join(&join(GOLDEN_PATHS_DIR, &path.name), "tests");
        let entries = source
            .list(&dir)
            .map_err(|error| vec![Diagnostic::error(error.to_string()).in_file(&dir)])?;
        for entry in entries {
            let Some(stem) = entry.name.strip_suffix(".yaml") else {
                continue;
            };
            if entry.kind != EntryKind::File || stem.ends_with(".rendered") {
                continue;
            }
            let intent = join(&dir, &entry.name);
            if let Some(other) = seen.insert(stem.to_owned(), intent.clone()) {
                problems.push(
                    Diagnostic::error(format!(
                        "two samples are named `{stem}`: `{other}` and `{intent}`"
                    ))
                    .in_file(&intent)
                    .help("samples render together as the services of one team: give each a name of its own"),
                );
                continue;
            }
            samples.push(Sample {
                golden_path: path.name.clone(),
                name: stem.to_owned(),
                snapshot: join(&dir, &format!("{stem}.rendered.yaml")),
                intent,
            });
        }
    }
    if problems.is_empty() {
        Ok(samples)
    } else {
        Err(problems)
    }
}

/// Renders `samples` with the repository's platform, environments and
/// golden paths, and validates them. A sample whose intent is wrong fails
/// the whole run, located in the sample's own file.
pub fn render(source: &dyn Source, samples: &[Sample]) -> Result<Rendered, Failure> {
    let team = join(TEAMS_DIR, SAMPLE_TEAM);
    let mut overlay = Overlay::new(source).hide(TEAMS_DIR).add(
        &join(&team, "team.yaml"),
        format!(
            "apiVersion: paved.dev/v1\nkind: Team\nname: {SAMPLE_TEAM}\ndescription: The golden paths' samples.\nowners: [platform]\ngroup: platform:samples\ncostCenter: samples\n"
        ),
    );
    // Where each sample stands in the overlay, and where it really is.
    let mut real: BTreeMap<String, String> = BTreeMap::new();
    for sample in samples {
        let at = join(&join(&team, "services"), &format!("{}.yaml", sample.name));
        let text = source.read(&sample.intent).map_err(|error| Failure {
            diagnostics: vec![Diagnostic::error(error.to_string()).in_file(&sample.intent)],
            sources: Sources::default(),
        })?;
        overlay = overlay.add(&at, text);
        real.insert(at, sample.intent.clone());
    }
    let relocate = |diagnostics: &mut Vec<Diagnostic>, sources: &Sources| {
        for diagnostic in diagnostics.iter_mut() {
            if let Some(location) = &mut diagnostic.location
                && let Some(file) = real.get(&location.file)
            {
                location.file = file.clone();
            }
        }
        let mut moved = Sources::default();
        for (path, text) in sources.iter() {
            let path = real.get(path).map_or(path, String::as_str);
            moved.insert(path, text.clone());
        }
        moved
    };
    let (repo, rendered) = crate::render::run(&overlay).map_err(|mut failure| {
        let sources = relocate(&mut failure.diagnostics, &failure.sources);
        Failure {
            diagnostics: failure.diagnostics,
            sources,
        }
    })?;
    let mut findings = check::validate(&repo, &rendered, check::Options::default()).diagnostics;
    let sources = relocate(&mut findings, &repo.sources);
    let outcomes = samples
        .iter()
        .map(|sample| {
            let mut text = String::new();
            for unit in rendered.units.iter().filter(|unit| {
                matches!(&unit.kind, UnitKind::Service { service, .. } if service == &sample.name)
            }) {
                // Told as the sample it is, not the team it renders in.
                let mut unit = unit.clone();
                for (at, file) in &real {
                    unit.origin = unit.origin.replace(at.as_str(), file);
                }
                text.push_str(&format!("# rendered/{}\n", unit.path));
                text.push_str(&manifest_text(&unit));
            }
            Outcome {
                sample: sample.clone(),
                rendered: text,
            }
        })
        .collect();
    Ok(Rendered {
        outcomes,
        findings,
        sources,
    })
}
