pub const NAME: &str = "platform";
