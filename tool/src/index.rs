//! The index a full render commits beside its output
//! (`rendered/.paved-index.json`): which paved rendered which inputs into
//! which bytes. When the inputs, the paved and every file under
//! `rendered/` are still what a trusted index names, a render would write
//! the same bytes and pass the same checks again, so `render`, `check
//! --base` and `validate --base` stop there.
//!
//! Trust: an index only ever saves work, only for a tree whose every file
//! (the index too) still hashes to what it names, and only when it is
//! committed. `render` trusts the index committed at `HEAD`; `check
//! --base` only the base commit's, which CI checked when it merged. An
//! edit to `rendered/`, to the index or to both, in the working tree or in
//! a pull request's commits, is therefore rendered or checked in full.
//! An index also says that the tree validated with nothing to report:
//! only a full render that had nothing to report writes one (not
//! `--allow-invalid`, `--allow-unknown-kinds`, `--service`; no warning),
//! and `check` validates and compares it like any other file but for the
//! paved it names (a pull request that changes paved is checked by the
//! paved it replaces), so what an index that reaches the base branch
//! says is true. `validate --base` stops at it too. (So the name of the
//! paved is the one thing the paved a pull request is checked by cannot
//! check: an index that names a paved to come is trusted by it only once
//! it lands, and `.ci/run` on the base branch, which renders with it,
//! then finds out.)
//!
//! Per unit, the index names the fingerprint of everything the unit's
//! output depends on (`render::Plan::fingerprints`) beside its bytes: a
//! run whose unit has the same fingerprint may take those bytes instead
//! of rendering it ([`Index::manifest`], `render::Reuse`), when the paved
//! is the one that wrote the index. Trust is anchored as above: `render`
//! in the index committed at `HEAD` (CI checks what it writes), `check
//! --base` and `diff --base` in the base's, with the bytes the base
//! commit holds; a run that reads units back and has anything to report
//! renders every unit again.
//!
//! Per service unit, it also names the unit's entry in its cluster's
//! context, hashed: with the fingerprint, what a later render takes of
//! a service it need not resolve again (`render::recall`).
//!
//! Pure but for [`Index::manifest`], which reads the file it names: the
//! files are read and written by `write`, the inputs read through a
//! `Source` by `input::load`, commits by `input::source::git`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::input::repo::Repo;
use crate::render::Rendered;
use crate::render::summary::{Recorded, Summary};
use crate::support::hash::sha256;

/// The index's path under `rendered/`.
pub const INDEX: &str = ".paved-index.json";

/// Which paved this is: its version, and a hash of the sources it was
/// built from (a paved built from other sources may render other bytes).
pub fn tool() -> String {
    TOOL.to_owned()
}

/// [`tool`], as every unit's lookup compares it.
const TOOL: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("PAVED_SOURCE_HASH"));

/// What a full render read, and what it wrote. Written one entry to a
/// line with a blank line between entries, so that two pull requests that
/// change different inputs or files merge without a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Index {
    /// The paved that rendered ([`tool`]).
    pub paved: String,
    /// The last day on which every secret grant still holds, if there are
    /// grants: after it the same inputs may no longer render.
    pub grants_hold_until: Option<String>,
    /// What the render read (`input::load::inputs`).
    pub inputs: BTreeMap<String, String>,
    /// Every file under `rendered/` but the index, by path.
    pub files: BTreeMap<String, File>,
}

/// A file a render wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub sha256: String,
    /// How many resources it holds (for `validate`'s summary).
    pub resources: usize,
    /// For a unit's manifest, the fingerprint of everything its output
    /// depends on (`render::Plan::fingerprints`): a later render whose
    /// unit has the same may take these bytes instead of rendering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// For a unit's manifest, what the checks across units need of it
    /// (`render::summary`): a later run that takes the unit unchanged may
    /// carry this instead of its resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<std::sync::Arc<Summary>>,
    /// For a service's manifest, its entry in its cluster's context
    /// (`render::cluster::service_in_cluster`), hashed: with its
    /// fingerprint, what a later render takes of a service whose inputs
    /// did not change instead of resolving it (`render::recall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

impl Index {
    /// The index of a full render of `repo`, which read `inputs`, into
    /// `files` (and the units whose files are [`Rendered::in_place`]),
    /// which validated with nothing to report.
    pub fn new(
        repo: &Repo,
        rendered: &Rendered,
        inputs: BTreeMap<String, String>,
        files: &BTreeMap<String, impl AsRef<str> + Sync>,
    ) -> Index {
        use rayon::prelude::*;
        let grants_hold_until = repo
            .teams
            .iter()
            .flat_map(|team| &team.value.secret_grants)
            .map(|grant| grant.expires.clone())
            .min();
        let units: BTreeMap<&str, &crate::render::RenderedUnit> = rendered
            .units
            .iter()
            .map(|unit| (unit.path.as_str(), unit))
            .collect();
        // Files whose bytes it has not: in place, or handed over to be
        // written (`render::Keep::Hashes`).
        let in_place: BTreeSet<String> = rendered
            .in_place()
            .into_iter()
            .chain(rendered.handed_over().into_keys())
            .collect();
        Index {
            paved: tool(),
            grants_hold_until,
            inputs,
            files: files
                .par_iter()
                .map(|(path, text)| (path, Some(text)))
                .chain(in_place.par_iter().map(|path| (path, None)))
                .map(|(path, text)| {
                    let unit = units.get(path.as_str());
                    // A unit taken as a trusted index names it has the
                    // sha256 it names (the file's, or the bytes checked).
                    let known = unit.and_then(|unit| unit.summarised.as_ref());
                    let sha256 = match (known, text) {
                        (Some(summarised), _) => summarised.sha256.clone(),
                        (None, text) => sha256(text.map_or("", AsRef::as_ref).as_bytes()),
                    };
                    let file = File {
                        sha256,
                        resources: unit.map_or(0, |unit| unit.resource_count()),
                        inputs: rendered.fingerprints.get(path.as_str()).cloned(),
                        summary: unit.map(|unit| unit.summary()),
                        entry: rendered.entries.get(path.as_str()).cloned(),
                    };
                    (path.clone(), file)
                })
                .collect(),
        }
    }

    /// The index as it is written.
    pub fn to_text(&self) -> String {
        let (inputs, files) = rayon::join(|| entries(&self.inputs), || entries(&self.files));
        let head = format!(
            "{{\n  \"paved\": {},\n\n  \"grantsHoldUntil\": {},\n\n",
            json(&self.paved),
            json(&self.grants_hold_until)
        );
        let sections = [("inputs", inputs, ",\n\n"), ("files", files, "\n}\n")];
        // Each run copied once, into a text of its final size (tens of
        // megabytes at thousands of services).
        let size = sections
            .iter()
            .map(|(_, runs, _)| runs.iter().map(|run| run.len() + 3).sum::<usize>() + 32)
            .sum::<usize>();
        let mut text = String::with_capacity(head.len() + size);
        text += &head;
        for (name, runs, end) in sections {
            text += &format!("  \"{name}\": {{\n");
            for (at, run) in runs.iter().enumerate() {
                if at > 0 {
                    text += ",\n\n";
                }
                text += run;
            }
            text += "\n  }";
            text += end;
        }
        text
    }

    /// An index as written by [`Index::to_text`]; `None` for anything
    /// else, which is then simply not used.
    pub fn parse(text: &str) -> Option<Index> {
        serde_json::from_str(text).ok()
    }

    /// Whether a render by this paved of `inputs`, on `today`, would
    /// render what this index names and pass as it did.
    pub fn holds_for(&self, inputs: &BTreeMap<String, String>, today: &str) -> bool {
        self.paved == TOOL
            && &self.inputs == inputs
            && self
                .grants_hold_until
                .as_deref()
                .is_none_or(|expires| today <= expires)
    }

    /// Whether this paved wrote the index, its secret grants still hold
    /// `today`, and `inputs` (`input::load::inputs`) are what it read but
    /// for the services' own files: then what it records of a unit depends
    /// on nothing else that changed but those files (see [`Index::summaries`],
    /// `render::recall`).
    pub fn shared_inputs_hold(&self, inputs: &BTreeMap<String, String>, today: &str) -> bool {
        let shared = |(path, _): &(&String, &String)| !crate::input::load::is_service_input(path);
        self.paved == TOOL
            && self
                .inputs
                .iter()
                .filter(shared)
                .eq(inputs.iter().filter(shared))
            && self
                .grants_hold_until
                .as_deref()
                .is_none_or(|expires| today <= expires)
    }

    /// What it records of every unit (its summary, resources and sha256),
    /// by path, when [`Index::shared_inputs_hold`]: what every unit's
    /// checks depend on beside its own inputs. A unit whose bytes it names
    /// then passes its own checks again (see `render::Reuse::summaries`).
    pub fn summaries(
        &self,
        inputs: &BTreeMap<String, String>,
        today: &str,
    ) -> Option<BTreeMap<&str, Recorded<'_>>> {
        self.shared_inputs_hold(inputs, today).then(|| {
            self.files
                .iter()
                .filter_map(|(path, file)| {
                    let recorded = Recorded {
                        summary: file.summary.as_ref()?,
                        resources: file.resources,
                        sha256: &file.sha256,
                    };
                    Some((path.as_str(), recorded))
                })
                .collect()
        })
    }

    /// The bytes it names for the unit at `path` when that unit's inputs
    /// had `fingerprint`, read from `rendered` (a file being written
    /// meanwhile fails the hash):
    /// `None` unless this paved wrote the index and the file still holds
    /// those bytes.
    pub fn manifest(
        &self,
        rendered: &std::path::Path,
        path: &str,
        fingerprint: &str,
    ) -> Option<String> {
        if !self.names(path, fingerprint) {
            return None;
        }
        let text = crate::write::read(rendered, path)?;
        self.vouches_for(path, fingerprint, &text).then_some(text)
    }

    /// Whether this paved wrote the index and it names bytes for the unit
    /// at `path` rendered from inputs with `fingerprint`.
    pub fn names(&self, path: &str, fingerprint: &str) -> bool {
        self.paved == TOOL
            && self
                .files
                .get(path)
                .is_some_and(|file| file.inputs.as_deref() == Some(fingerprint))
    }

    /// Whether this paved wrote the index and it names `text` as the bytes
    /// of the unit at `path` rendered from inputs with `fingerprint`.
    pub fn vouches_for(&self, path: &str, fingerprint: &str, text: &str) -> bool {
        self.names(path, fingerprint)
            && self
                .files
                .get(path)
                .is_some_and(|file| sha256(text.as_bytes()) == file.sha256)
    }

    /// How many services, clusters, units and resources the tree holds,
    /// as the summaries of `render` and `validate` count them (read from
    /// the layout of `rendered/`, see `render::unit`).
    pub fn counts(&self) -> Counts {
        use std::collections::BTreeSet;
        let mut counts = Counts::default();
        let (mut services, mut clusters) = (BTreeSet::new(), BTreeSet::new());
        for (path, file) in &self.files {
            counts.resources += file.resources;
            let parts: Vec<&str> = path.split('/').collect();
            if parts.last() != Some(&crate::render::unit::MANIFEST) {
                continue;
            }
            counts.units += 1;
            match parts.as_slice() {
                [argo, cluster, _] if *argo == crate::render::unit::ARGOCD_DIR => {
                    clusters.insert(*cluster);
                }
                [cluster, _platform, _] => {
                    clusters.insert(*cluster);
                }
                [cluster, _namespace, service, _] => {
                    clusters.insert(*cluster);
                    services.insert(*service);
                }
                _ => {}
            }
        }
        counts.services = services.len();
        counts.clusters = clusters.len();
        counts
    }
}

/// What the summaries count.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub services: usize,
    pub clusters: usize,
    pub units: usize,
    pub resources: usize,
}

/// A value of the index as one line of JSON.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("index values serialise")
}

/// A map's entries, one to a line, a blank line between them: written a
/// few hundred at a time on every thread, in runs to be joined by a blank
/// line.
fn entries(map: &BTreeMap<String, impl Serialize + Sync>) -> Vec<String> {
    use rayon::prelude::*;
    let entries: Vec<_> = map.iter().collect();
    entries
        .par_chunks(256)
        .map(|run| {
            let mut text = Vec::new();
            for (key, value) in run {
                if !text.is_empty() {
                    text.extend_from_slice(b",\n\n");
                }
                text.extend_from_slice(b"    ");
                serde_json::to_writer(&mut text, key).expect("index keys serialise");
                text.extend_from_slice(b": ");
                serde_json::to_writer(&mut text, value).expect("index values serialise");
            }
            String::from_utf8(text).expect("JSON is UTF-8")
        })
        .collect()
}
