mod classes;
mod edit;
mod load;
mod source;
mod yaml;
