use std::process::ExitCode;

fn main() -> ExitCode {
    paved::run(std::env::args_os()).into()
}
