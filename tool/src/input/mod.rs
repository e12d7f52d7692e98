//! Stages 1 and 2, input: read the repository's files from a source
//! (the working tree or a commit), parse YAML with positions, check every
//! input against its JSON Schema and against the others, and build the
//! typed, validated `Repo` the later stages read.

pub mod classes;
pub mod consent;
pub mod edit;
pub mod findings;
pub mod intents;
pub mod load;
pub mod model;
pub mod repo;
pub mod schema;
pub mod source;
pub use paved_base::input::yaml;
