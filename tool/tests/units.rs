//! Tests of single functions and types, called through the library: one
//! file per module under test, at the same path as its source under `src/`
//! (or, for the leaf helpers of `paved-base`, under `base/src/`).

mod catalog;
mod check;
mod cost;
mod input;
mod inventory;
mod metrics;
mod output;
mod policy;
mod portal;
mod promote;
mod rego;
mod render;
mod serve;
mod support;
mod write;
