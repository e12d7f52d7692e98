//! Rendering a generated organisation: `cargo bench`.
//!
//! The organisation is written once to a temporary directory (1,000
//! services by default; `PAVED_BENCH_SERVICES` to change it), then the
//! whole pipeline runs against it in memory, and the full command (with
//! the write of an unchanged tree) runs against it on disk.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

mod synthetic;

// The same allocator as the `paved` binary, so figures match real runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

static ORG: LazyLock<(tempfile::TempDir, usize)> = LazyLock::new(|| {
    let services = std::env::var("PAVED_BENCH_SERVICES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    synthetic::generate(repo, dir.path(), services);
    (dir, services)
});

fn org() -> PathBuf {
    ORG.0.path().to_path_buf()
}

fn main() {
    // Measured as `paved` renders: nothing remembered between runs.
    paved::render::template::remember_renders(false);
    eprintln!(
        "organisation: {} services in {}",
        ORG.1,
        ORG.0.path().display()
    );
    divan::main();
}

/// Load, validate, resolve, render, patch and post-process, in memory.
#[divan::bench(sample_count = 10)]
fn pipeline_in_memory(bencher: divan::Bencher) {
    let source = paved::input::source::WorkTree::new(&org()).unwrap();
    bencher.bench(|| {
        let (_, rendered) =
            paved::render::run(&source).expect("the synthetic organisation renders");
        divan::black_box(rendered.files().len())
    });
}

/// `paved render` end to end, on a tree that is already up to date.
#[divan::bench(sample_count = 10)]
fn render_command_unchanged(bencher: divan::Bencher) {
    let root = org();
    let root = root.to_str().unwrap();
    assert_eq!(
        paved::run(["paved", "--root", root, "render"]),
        paved::ExitStatus::Success
    );
    bencher.bench(|| paved::run(["paved", "--root", root, "render"]));
}

/// `paved validate`'s work: every resource against its strict schema, and
/// the cross-resource checks (the render itself is done once, outside).
#[divan::bench(sample_count = 10)]
fn validate_manifests(bencher: divan::Bencher) {
    let source = paved::input::source::WorkTree::new(&org()).unwrap();
    let (repo, rendered) = paved::render::run(&source).expect("the synthetic organisation renders");
    let resources: usize = rendered.units.iter().map(|u| u.resources.len()).sum();
    eprintln!("validating {resources} resources");
    let options = paved::check::Options::default();
    // Compile the schemas once, as a long run would.
    assert!(
        paved::check::validate(&repo, &rendered, options)
            .diagnostics
            .is_empty()
    );
    bencher
        .counter(divan::counter::ItemsCount::new(resources))
        .bench(|| {
            paved::check::validate(&repo, &rendered, options)
                .diagnostics
                .len()
        });
}

/// `paved diff` for a one-service change (a new tag in staging) in the
/// generated organisation, committed to a git repository with its
/// rendered tree and index: the head is loaded and resolved, the base
/// loaded, and only the changed units rendered (head) or read back from
/// the base commit (base) and compared.
#[divan::bench(sample_count = 10)]
fn diff_one_service_change(bencher: divan::Bencher) {
    static REPO: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        synthetic::generate(repo, dir.path(), ORG.1);
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=bench",
                    "-c",
                    "user.email=bench@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(status.status.success());
        };
        let root = dir.path().to_string_lossy().into_owned();
        let rendered = paved::run(["paved", "--quiet", "--root", &root, "render"]);
        assert_eq!(rendered, paved::output::ExitStatus::Success);
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        git(&["commit", "-q", "-m", "base"]);
        let intent = dir.path().join("teams/team-0004/services/svc-00042.yaml");
        let text = std::fs::read_to_string(&intent).unwrap();
        std::fs::write(
            &intent,
            text.replace("  staging: {tag: 1.0.0}", "  staging: {tag: 1.1.0}"),
        )
        .unwrap();
        dir
    });
    let settings = paved::commands::Settings {
        root: REPO.path().to_path_buf(),
        printer: paved::output::Printer::new(
            paved::output::Format::Json,
            paved::output::Color::Never,
        ),
    };
    bencher.bench(|| {
        let (report, _, read_back) = paved::commands::diff::compute(
            &settings,
            Some("main"),
            &paved::render::Focus::default(),
        )
        .expect("the diff computes");
        assert_eq!(report.resource_count(), 1);
        assert!(read_back, "the base is read back from its commit");
        report.resource_count()
    });
}

/// Sixteen more rules in conftest's idioms, so that 20 Rego rules run.
const MORE_RULES: &str = r#"package main

import rego.v1

name := input.metadata.name

workloads := {"Deployment", "StatefulSet", "DaemonSet", "Job"}

containers contains c if {
	workloads[input.kind]
	some c in input.spec.template.spec.containers
}

deny_latest contains sprintf("%s runs a latest image", [name]) if {
	some c in containers
	endswith(c.image, ":latest")
}

deny_privileged contains sprintf("%s is privileged", [name]) if {
	some c in containers
	c.securityContext.privileged
}

deny_host_network contains sprintf("%s shares the host network", [name]) if input.spec.template.spec.hostNetwork

deny_host_pid contains sprintf("%s shares the host PID namespace", [name]) if input.spec.template.spec.hostPID

deny_no_memory_limit contains sprintf("%s: %s has no memory limit", [name, c.name]) if {
	some c in containers
	not c.resources.limits.memory
}

deny_no_cpu_request contains sprintf("%s: %s has no CPU request", [name, c.name]) if {
	some c in containers
	not c.resources.requests.cpu
}

deny_root contains sprintf("%s may run as root", [name]) if {
	workloads[input.kind]
	input.spec.template.spec.securityContext.runAsUser == 0
}

deny_capabilities contains sprintf("%s adds %s", [name, cap]) if {
	some c in containers
	some cap in c.securityContext.capabilities.add
}

violation_nodeport contains {"msg": sprintf("Service %s is a NodePort", [name])} if {
	input.kind == "Service"
	input.spec.type == "NodePort"
}

violation_external_ips contains {"msg": sprintf("Service %s sets externalIPs", [name])} if {
	input.kind == "Service"
	count(object.get(input.spec, "externalIPs", [])) > 0
}

deny_ingress_tls contains sprintf("Ingress %s has no TLS", [name]) if {
	input.kind == "Ingress"
	not input.spec.tls
}

warn_no_probes contains sprintf("%s: %s has no readiness probe", [name, c.name]) if {
	some c in containers
	not c.readinessProbe
}

warn_single_replica contains sprintf("%s runs one replica in production", [name]) if {
	input.kind == "Deployment"
	input.paved.production
	object.get(input.spec, "replicas", 1) < 2
}

warn_pull_policy contains sprintf("%s: %s pulls %s", [name, c.name, c.imagePullPolicy]) if {
	some c in containers
	c.imagePullPolicy == "Never"
}

warn_default_namespace contains sprintf("%s %s is in the default namespace", [input.kind, name]) if input.metadata.namespace == "default"

warn_configmap_size contains sprintf("ConfigMap %s has %d keys", [name, count(input.data)]) if {
	input.kind == "ConfigMap"
	count(object.get(input, "data", {})) > 50
}
"#;

/// `paved policy`'s work: the baseline and 20 Rego rules (the example's
/// and `MORE_RULES`) over every rendered resource (the render itself is
/// done once, outside).
#[divan::bench(sample_count = 10)]
fn policy_evaluation(bencher: divan::Bencher) {
    let root = org();
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let policies = root.join("policies");
    if !policies.exists() {
        std::fs::create_dir_all(&policies).unwrap();
        for entry in std::fs::read_dir(repo_root.join("policies")).unwrap() {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rego") {
                std::fs::copy(entry.path(), policies.join(entry.file_name())).unwrap();
            }
        }
        std::fs::write(policies.join("more_rules.rego"), MORE_RULES).unwrap();
    }
    let source = paved::input::source::WorkTree::new(&root).unwrap();
    let (repo, rendered) = paved::render::run(&source).expect("the synthetic organisation renders");
    let resources: usize = rendered.units.iter().map(|u| u.resources.len()).sum();
    eprintln!("checking {resources} resources");
    bencher
        .counter(divan::counter::ItemsCount::new(resources))
        .bench(|| {
            paved::policy::evaluate(&repo, &rendered, "2026-11-27")
                .expect("policies compile")
                .diagnostics
                .len()
        });
}

/// The example organisation with one service holding `keys` entries in
/// each of `env:` and `files:`, in memory: load, resolve, render, patch and
/// post-process stay linear in the size of a map (a pointer bookkeeping
/// that was quadratic took 78 s at 64k keys).
#[divan::bench(args = [1_000, 8_000, 64_000], sample_count = 3)]
fn wide_maps(bencher: divan::Bencher, keys: usize) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut tree = paved::input::source::MemoryTree::default();
    for dir in ["platform", "environments", "golden-paths", "teams"] {
        let mut pending = vec![repo.join(dir)];
        while let Some(at) = pending.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let relative = path.strip_prefix(repo).unwrap().to_string_lossy();
                let text = std::fs::read_to_string(&path).unwrap();
                tree.insert(
                    relative.replace('\\', "/"),
                    paved::input::source::MemoryFile::Text(text),
                );
            }
        }
    }
    let intent = "teams/fulfilment/services/shipping-labels.yaml";
    let mut text = std::fs::read_to_string(repo.join(intent)).unwrap();
    text.push_str("env:\n");
    for key in 0..keys {
        text.push_str(&format!("  KEY_{key}: \"value {key}\"\n"));
    }
    text.push_str("files:\n");
    for key in 0..keys {
        text.push_str(&format!("  file-{key}.txt: \"content {key}\"\n"));
    }
    tree.insert(intent, paved::input::source::MemoryFile::Text(text));
    bencher.bench(|| {
        let (_, rendered) = paved::render::run(&tree).expect("the wide service renders");
        rendered.files().len()
    });
}

/// `paved portal build` end to end: render, policy, inventory, every page
/// and the catalog, written to a directory (unchanged after the first run).
#[divan::bench(sample_count = 10)]
fn portal_build_command(bencher: divan::Bencher) {
    let root = org();
    let out = root.join("site");
    let (root, out) = (root.to_str().unwrap(), out.to_str().unwrap());
    let args = ["paved", "--root", root, "portal", "build", "--out", out];
    assert_eq!(paved::run(args), paved::ExitStatus::Success);
    bencher.bench(|| paved::run(args));
}

/// The portal's own work: the pages and the catalog from the inventory and
/// the policy report (the render and policy run once, outside).
#[divan::bench(sample_count = 10)]
fn portal_pages_in_memory(bencher: divan::Bencher) {
    let source = paved::input::source::WorkTree::new(&org()).unwrap();
    let (repo, rendered) = paved::render::run(&source).expect("the synthetic organisation renders");
    let report = paved::policy::evaluate(&repo, &rendered, "2026-11-27").expect("policies run");
    let inventory = paved::inventory::build(&repo, &rendered);
    let (docs, _) = paved::input::load::docs(&source);
    bencher.bench(|| {
        let files = paved::portal::build(&paved::portal::Inputs {
            repo: &repo,
            inventory: &inventory,
            findings: &report.diagnostics,
            docs: &docs,
            today: "2026-11-27",
        });
        divan::black_box(files.len())
    });
}
