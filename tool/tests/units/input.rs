mod classes;
mod edit;
mod source;
mod yaml;
