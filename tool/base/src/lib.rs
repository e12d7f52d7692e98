//! paved's leaf helpers, a crate of their own: what every stage runs
//! through for each value (YAML read and written with spans, JSON
//! pointers, secret shapes). Apart, they are compiled fully optimised in
//! debug builds while paved is not (see the workspace's `Cargo.toml`),
//! and are not rebuilt when a stage changes. `paved` re-exports them where they always lived:
//! `paved::diagnostic`, `paved::support`, `paved::input::yaml`. Nothing
//! here knows about the stages, and it cannot: it does not depend on paved.

pub mod diagnostic;
pub mod support;

/// The input side's YAML reader and writer (`paved::input::yaml`).
pub mod input {
    pub mod yaml;
}
