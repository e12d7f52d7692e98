mod dora;
mod history;
