use std::process::ExitCode;

// Rendering builds and drops millions of small JSON values across threads;
// mimalloc does that several times faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // One command per process: its render is left for the exit.
    paved::render::unit::leave_renders_to_exit(true);
    paved::render::template::remember_renders(false);
    paved::run(std::env::args_os()).into()
}
