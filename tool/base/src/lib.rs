//! paved's leaf helpers, a crate of their own: they are what every stage
//! runs through for each value (YAML read and written with spans, JSON
//! pointers, secret shapes), so they are compiled optimised even in a
//! debug build, while `paved` itself, far larger, is compiled quickly (see
//! the workspace's `Cargo.toml`). `paved` re-exports them where they
//! always lived: `paved::diagnostic`, `paved::support`, `paved::input::yaml`.
//! Nothing here knows about the stages.

pub mod diagnostic;
pub mod support;

/// The input side's YAML reader and writer (`paved::input::yaml`).
pub mod input {
    pub mod yaml;
}
