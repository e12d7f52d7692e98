mod context;
mod infra;
mod patch;
mod postprocess;
mod tenancy;
mod unit;
