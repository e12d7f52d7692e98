use std::path::Path;

use paved::input::source::WorkTree;
use paved::render::summary::Summary;
use paved::render::unit::{self, Summarised};

/// A unit read back in part (carried as its summary, its resources in some
/// namespaces read beside it) holds exactly the resources a whole read
/// holds in those namespaces, in order, for every unit of the example.
#[test]
fn a_unit_read_back_in_part_holds_its_resources_in_those_namespaces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = WorkTree::new(&root).unwrap();
    let (repo, rendered) = paved::render::run(&source).unwrap();
    let mut kept = 0;
    for rendered_unit in &rendered.units {
        let text = unit::manifest_text(rendered_unit);
        let path = &rendered_unit.path;
        let whole = unit::read_back(&repo, path, &text, None).unwrap();
        for keep in ["payments", "", "argocd", "nowhere"] {
            let summarised = Summarised {
                summary: Summary::of(&whole.resources, whole.is_service()).into(),
                resources: whole.resources.len(),
                sha256: String::new(),
            };
            let within = |namespace: &str| namespace == keep;
            let part = unit::read_back(&repo, path, &text, Some((summarised, &within))).unwrap();
            let expected: Vec<_> = whole
                .resources
                .iter()
                .filter(|resource| resource.namespace().unwrap_or_default() == keep)
                .map(|resource| &resource.value)
                .collect();
            let got: Vec<_> = part
                .resources
                .iter()
                .map(|resource| &resource.value)
                .collect();
            assert_eq!(got, expected, "{path} in {keep:?}");
            assert_eq!(part.resource_count(), whole.resources.len());
            kept += got.len();
        }
    }
    assert!(kept > 0);
}

/// A render of everything that checks one cluster's units at a time (and
/// keeps each cluster's texts and summaries, not its resources, once
/// checked) writes what a whole render writes, summarises its units as
/// their resources do, and shows the checks every unit once, with its
/// resources, among the units of its own cluster (and the paths of
/// every other) only.
#[test]
fn a_render_checked_a_cluster_at_a_time_writes_the_whole_render() {
    use paved::render::{Focus, NoProgress, Rendered};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = WorkTree::new(&root).unwrap();
    let (_, whole) = paved::render::run(&source).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let every = whole.paths();
    let checks = |_: &paved::input::repo::Repo, part: &Rendered| {
        let clusters: std::collections::BTreeSet<&str> = part
            .units
            .iter()
            .map(|unit| unit.cluster.as_str())
            .collect();
        assert_eq!(clusters.len(), 1, "{clusters:?}");
        // Every other cluster's directories exist too, for the checks
        // that look across (an Argo CD Application may name any).
        assert_eq!(part.paths(), every);
        let mut seen = seen.lock().unwrap();
        seen.extend(
            part.units
                .iter()
                .map(|unit| (unit.path.clone(), unit.resources.len())),
        );
        part.units.len()
    };
    let (_, streamed, found) = paved::render::run_checked(
        &source,
        &Focus::default(),
        &NoProgress,
        None,
        Some(&paved::render::Checking {
            key: "a cluster at a time".into(),
            checks: &checks,
            keep: paved::render::Keep::Texts,
        }),
    )
    .unwrap();
    // What the checks found comes back part by part: a cluster each.
    let clusters: std::collections::BTreeSet<&str> = whole
        .units
        .iter()
        .map(|unit| unit.cluster.as_str())
        .collect();
    assert_eq!(found.len(), clusters.len());
    assert_eq!(found.iter().sum::<usize>(), whole.units.len());
    assert_eq!(streamed.files(), whole.files());
    assert_eq!(streamed.fingerprints, whole.fingerprints);
    assert_eq!(streamed.units.len(), whole.units.len());
    for (part, unit) in streamed.units.iter().zip(&whole.units) {
        assert_eq!(part.path, unit.path);
        assert!(
            part.resources.is_empty() && !part.is_read_back(),
            "{}",
            part.path
        );
        assert_eq!(part.resource_count(), unit.resources.len());
        assert_eq!(part.summary(), unit.summary(), "{}", part.path);
    }
    // Kept without their texts (for a command that writes nothing): the
    // same counts and summaries, nothing to write, nothing in place.
    let (_, counted, _) = paved::render::run_checked(
        &source,
        &Focus::default(),
        &NoProgress,
        None,
        Some(&paved::render::Checking {
            key: "counted a cluster at a time".into(),
            checks: &|_, _| (),
            keep: paved::render::Keep::Summaries,
        }),
    )
    .unwrap();
    for (part, unit) in counted.units.iter().zip(&whole.units) {
        assert!(part.text.is_none() && !part.is_in_place() && !part.is_read_back());
        assert_eq!(part.resource_count(), unit.resources.len());
        assert_eq!(part.summary(), unit.summary(), "{}", part.path);
    }
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    let expected: Vec<(String, usize)> = whole
        .units
        .iter()
        .map(|unit| (unit.path.clone(), unit.resources.len()))
        .collect();
    assert_eq!(seen, expected);
}

/// A render that hands its files over (as `paved render` stages them)
/// gives each cluster's files once they are checked, before it renders
/// the next cluster, and keeps only their hashes: what it hands over is
/// what a whole render writes, and its index names the same bytes.
#[test]
fn a_render_handing_its_files_over_gives_each_cluster_once_checked() {
    use paved::render::{Focus, NoProgress, Rendered};
    use std::sync::Mutex;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = WorkTree::new(&root).unwrap();
    let (repo, whole) = paved::render::run(&source).unwrap();
    let events = Mutex::new(Vec::new());
    let handed = Mutex::new(std::collections::BTreeMap::new());
    let checks = |_: &paved::input::repo::Repo, part: &Rendered| {
        events.lock().unwrap().push(("checked", part.units.len()));
    };
    let hand = |files: &[(&str, &str)]| {
        events.lock().unwrap().push(("handed", files.len()));
        let mut handed = handed.lock().unwrap();
        for (path, text) in files {
            assert!(handed.insert(path.to_string(), text.to_string()).is_none());
        }
    };
    let (_, streamed, _) = paved::render::run_checked(
        &source,
        &Focus::default(),
        &NoProgress,
        None,
        Some(&paved::render::Checking {
            key: "handed over".into(),
            checks: &checks,
            keep: paved::render::Keep::Hashes(Some(&hand)),
        }),
    )
    .unwrap();
    let events = events.into_inner().unwrap();
    let clusters = whole.by_cluster().len();
    assert_eq!(events.len(), 2 * clusters, "{events:?}");
    for pair in events.chunks(2) {
        assert_eq!(pair[0].0, "checked");
        assert_eq!(pair[1], ("handed", pair[0].1));
    }
    let mut written: std::collections::BTreeMap<String, String> = whole
        .files()
        .into_iter()
        .map(|(path, text)| (path, text.to_string()))
        .collect();
    let kept = streamed.files();
    for path in kept.keys() {
        written.remove(path);
    }
    assert_eq!(handed.into_inner().unwrap(), written);
    assert!(streamed.units.iter().all(|unit| unit.is_handed_over()));
    let inputs = std::collections::BTreeMap::new();
    let index = |rendered: &Rendered| {
        paved::index::Index::new(&repo, rendered, inputs.clone(), &rendered.files()).files
    };
    assert_eq!(index(&streamed), index(&whole));
}
