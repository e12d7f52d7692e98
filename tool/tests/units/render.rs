mod context;
mod infra;
mod patch;
mod postprocess;
mod recall;
mod tenancy;
mod unit;
