//! `paved metrics dora` over a long history: `cargo bench --bench metrics`.
//!
//! A generated organisation (1,000 services by default,
//! `PAVED_BENCH_SERVICES` to change it) is rendered once, then given a
//! generated main line of 20,000 commits (`PAVED_BENCH_COMMITS`):
//! releases promoted service by service through dev, staging and both
//! prod clusters, with rollbacks, reverts and merged branches. The
//! benchmark reads the whole first-parent history and measures it, as
//! the command does.

use std::path::Path;
use std::sync::LazyLock;

mod synthetic;

// The same allocator as the `paved` binary, so figures match real runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

static REPO: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let services = setting("PAVED_BENCH_SERVICES", 1000);
    let commits = setting("PAVED_BENCH_COMMITS", 20_000);
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    synthetic::generate(repo, dir.path(), services);
    let root = dir.path().to_str().unwrap();
    assert_eq!(
        paved::run(["paved", "--root", root, "render"]),
        paved::ExitStatus::Success
    );
    let expected = synthetic::history::history(dir.path(), commits);
    synthetic::history::repack(dir.path());
    eprintln!(
        "history: {commits} commits over {services} services in {} ({expected:?})",
        dir.path().display()
    );
    dir
});

fn main() {
    LazyLock::force(&REPO);
    divan::main();
}

/// Read the main line (tree comparisons, changed manifests summarised)
/// and measure DORA's four keys over 90 days, as the command does.
#[divan::bench(sample_count = 10)]
fn dora_over_the_history(bencher: divan::Bencher) {
    let root = REPO.path();
    let source = paved::input::source::WorkTree::new(root).unwrap();
    let repo = paved::render::load_checked(&source).expect("the organisation loads");
    bencher.bench(|| {
        let window = paved::metrics::history::Window::new("90d", "2026-11-27").unwrap();
        let (git, rev) = paved::metrics::history::open(root, &repo, None).unwrap();
        let main_line = paved::metrics::history::read(&git, &rev).unwrap();
        let options = paved::metrics::dora::Options::for_repo(&repo, window);
        let report = paved::metrics::dora::measure(&main_line, &options);
        report.organisation.deployments
    });
}
