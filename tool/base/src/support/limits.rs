//! Limits on every YAML text paved parses: inputs, and templates' output
//! parsed back. Generous for real files, small enough that no file can
//! exhaust memory, stack or time, however it is written.

/// Largest file, in bytes (every input file, read from disk or git).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Most values (mapping values, list items, documents) in one file,
/// counting what aliases repeat: an alias costs as much as a copy of
/// what its anchor holds, so a few lines cannot expand to gigabytes.
pub const MAX_NODES: usize = 1_000_000;
/// Deepest nesting, aliases included: guards the stack of everything
/// that walks values recursively (serde_json stops at 128 levels).
pub const MAX_DEPTH: usize = 100;
/// Longest mapping key, in bytes (Kubernetes keys are at most 317).
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest string value, in bytes: a ConfigMap or Secret holds at
/// most 1 MiB in all.
pub const MAX_STRING_BYTES: usize = 1024 * 1024;
