mod apiserver;
mod kubernetes;
mod timezones;
