//! One integration test binary, with a module per area.

mod support;

mod architecture;
mod cases;
mod diff;
mod faults;
mod fuzz;
mod hostile;
mod insights;
mod inventory;
mod metrics;
mod output;
mod policy;
mod rego;
mod render;
mod safety;
mod schema;
mod tenancy;
