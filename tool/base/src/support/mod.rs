//! Helpers every stage shares, each in a home of its own. Nothing here
//! knows about the stages.

pub mod block_yaml;
pub mod date;
pub mod hash;
pub mod kept;
pub mod kube;
pub mod limits;
pub mod pointer;
pub mod secrets;
pub mod text;
