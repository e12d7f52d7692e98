//! One integration test binary, with a module per area.

mod support;

mod cases;
mod diff;
mod faults;
mod fuzz;
mod policy;
mod render;
mod safety;
mod schema;
mod tenancy;
