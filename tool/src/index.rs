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
//! says is true. `validate --base` stops at it too.
//!
//! Pure: the files are read and written by `write`, the inputs read
//! through a `Source` by `input::load`, commits by `input::source::git`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::repo::Repo;
use crate::render::Rendered;
use crate::support::hash::sha256;

/// The index's path under `rendered/`.
pub const INDEX: &str = ".paved-index.json";

/// Which paved this is: its version, and a hash of the sources it was
/// built from (a paved built from other sources may render other bytes).
pub fn tool() -> String {
    format!(
        "{}+{}",
        env!("CARGO_PKG_VERSION"),
        env!("PAVED_SOURCE_HASH")
    )
}

/// What a full render read, and what it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Index {
    /// The paved that rendered ([`tool`]).
    pub paved: String,
    /// The sha256 of every input file, by path (`input::load::inputs_hash`).
    pub inputs: String,
    /// The last day on which every secret grant still holds, if there are
    /// grants: after it the same inputs may no longer render.
    pub grants_hold_until: Option<String>,
    /// What the summaries of `render` and `validate` count.
    pub services: usize,
    pub clusters: usize,
    pub units: usize,
    pub resources: usize,
    /// The sha256 of every other file under `rendered/`, by path.
    pub files: BTreeMap<String, String>,
}

impl Index {
    /// The index of a full render of `repo`, whose inputs hash to
    /// `inputs`, into `files`, whose `resources` validated clean.
    pub fn new(
        repo: &Repo,
        rendered: &Rendered,
        resources: usize,
        inputs: String,
        files: &BTreeMap<String, String>,
    ) -> Index {
        use rayon::prelude::*;
        let grants_hold_until = repo
            .teams
            .iter()
            .flat_map(|team| &team.value.secret_grants)
            .map(|grant| grant.expires.clone())
            .min();
        Index {
            paved: tool(),
            inputs,
            grants_hold_until,
            services: rendered.service_count(),
            clusters: rendered.cluster_count(),
            units: rendered.in_focus().count(),
            resources,
            files: files
                .par_iter()
                .map(|(path, text)| (path.clone(), sha256(text.as_bytes())))
                .collect(),
        }
    }

    /// The index as it is written: JSON, one file per line.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an index serialises");
        text.push('\n');
        text
    }

    /// An index as written by [`Index::to_text`]; `None` for anything
    /// else, which is then simply not used.
    pub fn parse(text: &str) -> Option<Index> {
        serde_json::from_str(text).ok()
    }

    /// Whether a render by this paved of inputs hashing to `inputs`, on
    /// `today`, would render what this index names and pass as it did.
    pub fn holds_for(&self, inputs: &str, today: &str) -> bool {
        self.paved == tool()
            && self.inputs == inputs
            && self
                .grants_hold_until
                .as_deref()
                .is_none_or(|expires| today <= expires)
    }
}
