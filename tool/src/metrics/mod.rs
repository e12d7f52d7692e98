//! Insights from the repository's own history and intents: DORA's four
//! keys (`dora`) and the platform's adoption figures (`platform`), both
//! read from the main line's first-parent history (`history`) without a
//! checkout, a server or a database.

pub mod dora;
pub mod history;
pub mod platform;
