mod block_yaml;
mod date;
mod secrets;
mod text;
