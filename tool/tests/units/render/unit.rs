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
                summary: Summary::of(&whole.resources, whole.is_service()),
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
