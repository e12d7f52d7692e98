//! Generates a large synthetic organisation to render:
//!
//!     cargo run --release --example synthetic_org -- /tmp/org 1000
//!     cargo run --release -- --root /tmp/org render

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), services) = (args.next(), args.next()) else {
        eprintln!("usage: synthetic_org <dir> [services, default 1000]");
        std::process::exit(2);
    };
    let services: usize = services.map_or(1000, |s| s.parse().expect("a number of services"));
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let dir = std::path::Path::new(&dir);
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!(
            "`{}` exists and is not empty; choose a new directory",
            dir.display()
        );
        std::process::exit(2);
    }
    synthetic::generate(repo, dir, services);
    eprintln!("Wrote {services} services to `{}`", dir.display());
}
