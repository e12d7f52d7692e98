//! One integration test binary, with a module per area.

// The `paved` binary's allocator: the in-process renders (the fuzz targets,
// the stages called as a library) spend a fifth of their time allocating.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod support;

mod architecture;
mod cases;
mod diff;
mod faults;
mod focus;
mod fuzz;
mod golden_path;
mod hostile;
mod in_process;
mod index;
mod infra;
mod insights;
mod inventory;
mod metrics;
mod output;
mod policy;
mod portal;
mod rego;
mod render;
mod safety;
mod schema;
mod selfservice;
mod tenancy;
mod units;
mod verdicts;
