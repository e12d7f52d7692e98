use std::process::ExitCode;

// Rendering builds and drops millions of small JSON values across threads;
// mimalloc does that several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    paved::run(std::env::args_os()).into()
}
