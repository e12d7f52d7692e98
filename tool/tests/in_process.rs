//! The stages called as a library, on inputs held in memory: layering and
//! provenance, the cross-resource checks and the diff, each on the example
//! organisation with one thing changed. Fast, and close to the code a
//! change touches; the end-to-end cases cover the binary.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use paved::check;
use paved::diff;
use paved::input::source::{MemoryFile, MemoryTree};
use paved::render::resolve::{self, LayerKind};

use crate::support::{INPUT_DIRS, repo_root};

/// The example organisation's inputs, in memory.
fn example() -> MemoryTree {
    fn add(tree: &mut MemoryTree, root: &Path, dir: &Path) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                add(tree, root, &path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let text = fs::read_to_string(&path).unwrap();
                tree.insert(relative, MemoryFile::Text(text));
            }
        }
    }
    let root = repo_root();
    let mut tree = MemoryTree::default();
    for dir in INPUT_DIRS {
        add(&mut tree, &root, &root.join(dir));
    }
    tree
}

/// `tree` with `from` replaced by `to` in the file at `path`.
fn edited(mut tree: MemoryTree, path: &str, from: &str, to: &str) -> MemoryTree {
    let text = fs::read_to_string(repo_root().join(path)).unwrap();
    assert!(text.contains(from), "{path} has no `{from}`");
    tree.insert(path, MemoryFile::Text(text.replacen(from, to, 1)));
    tree
}

/// What a golden path rejects is rejected only when the service sets it:
/// told without working out the whole provenance, and told the same.
#[test]
fn set_by_the_service_is_what_provenance_says() {
    let repo = paved::render::load_checked(&example()).expect("the example loads");
    let (resolved, problems) = resolve::resolve(&repo, &BTreeSet::new());
    assert!(problems.is_empty(), "{problems:?}");
    let mut set = 0;
    for resolved in &resolved {
        for field in paved::input::schema::spec_fields() {
            let says = resolved
                .provenance()
                .set_by(&format!("/{field}"))
                .is_some_and(|layer| layer >= LayerKind::Service);
            assert_eq!(resolved.set_by_service(field), says, "{field}");
            set += usize::from(says);
        }
        assert!(!resolved.set_by_service("no-such-field"));
    }
    assert!(set > resolved.len(), "services set fields of their own");
}

#[test]
fn each_layer_sets_what_it_says_and_provenance_names_the_line() {
    let repo = paved::render::load_checked(&example()).expect("the example loads");
    let (resolved, problems) = resolve::resolve(&repo, &BTreeSet::new());
    assert!(problems.is_empty(), "{problems:?}");
    let find = |service: &str, env: &str| {
        resolved
            .iter()
            .find(|r| r.service.value.name == service && r.environment.value.name == env)
            .unwrap()
    };

    // Golden-path default, untouched by anyone else.
    let checkout_dev = find("checkout", "dev");
    let origin = checkout_dev
        .provenance()
        .origin("/health/readiness")
        .unwrap();
    assert_eq!(origin.layer, LayerKind::GoldenPath);
    assert_eq!(origin.file, "golden-paths/web-service/path.yaml");
    assert_eq!(checkout_dev.values["health"]["readiness"], "/ready");

    // The environment's default beats the platform's.
    let origin = checkout_dev.provenance().origin("/size").unwrap();
    assert_eq!(origin.layer, LayerKind::Environment);
    assert_eq!(origin.file, "environments/dev.yaml");
    assert_eq!(checkout_dev.values["size"], "xsmall");
    let origin = find("checkout", "staging")
        .provenance()
        .origin("/size")
        .unwrap();
    assert_eq!(origin.layer, LayerKind::Platform);
    assert_eq!(origin.file, "platform/platform.yaml");

    // The service beats the environment; its per-environment override
    // beats the service.
    let ledger_staging = find("ledger", "staging");
    assert_eq!(ledger_staging.values["size"], "medium");
    assert_eq!(
        ledger_staging.provenance().origin("/size").unwrap().layer,
        LayerKind::Service
    );
    let ledger_prod = find("ledger", "prod");
    assert_eq!(ledger_prod.values["size"], "large");
    let origin = ledger_prod.provenance().origin("/size").unwrap();
    assert_eq!(origin.layer, LayerKind::Override);
    assert_eq!(origin.pointer, "/environments/prod/size");

    // Maps merge key by key: a layer's key does not drop another's.
    let gateway_prod = find("payments-gateway", "prod");
    assert_eq!(gateway_prod.values["env"]["PSP_MODE"], "live");
    assert_eq!(gateway_prod.values["env"]["LOG_LEVEL"], "warn");
    assert_eq!(
        gateway_prod
            .provenance()
            .origin("/env/PSP_MODE")
            .unwrap()
            .layer,
        LayerKind::Override
    );
    assert_eq!(
        gateway_prod
            .provenance()
            .origin("/env/LOG_LEVEL")
            .unwrap()
            .file,
        "environments/prod.yaml"
    );
    assert_eq!(
        gateway_prod.provenance().set_by("/env"),
        Some(LayerKind::Override)
    );
}

#[test]
fn a_selector_that_selects_nothing_is_found_across_resources() {
    let tree = edited(
        example(),
        "teams/payments/services/checkout.yaml",
        "patches:\n",
        "patches:\n  - target: {kind: Service, name: checkout}\n    operations:\n      - {op: replace, path: /spec/selector, value: {app: nobody}}\n",
    );
    let (repo, rendered) = paved::render::run(&tree).expect("renders");
    let report = check::validate(&repo, &rendered, check::Options::default());
    let found: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.subject.as_deref().unwrap_or(""), d.message))
        .collect();
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("Service payments/checkout") && f.contains("selects")),
        "{found:#?}"
    );
    let location = report.diagnostics[0].location.as_ref().unwrap();
    assert_eq!(location.file, "teams/payments/services/checkout.yaml");
}

/// A process keeps validation's findings with the run they came from:
/// the same render validated again, or a copy of it handed out again, gives
/// them back; a render changed in memory afterwards, or other options, are
/// validated anew.
#[test]
fn findings_kept_with_a_run_hold_only_for_that_very_render() {
    let tree = edited(
        example(),
        "teams/payments/services/checkout.yaml",
        "patches:\n",
        "patches:\n  - target: {kind: Service, name: checkout}\n    operations:\n      - {op: replace, path: /spec/selector, value: {app: nobody}}\n",
    );
    let selects = |report: &check::Report| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("selects") && d.message.contains("nobody"))
            .count()
    };
    let (repo, rendered) = paved::render::run(&tree).expect("renders");
    let first = check::validate(&repo, &rendered, check::Options::default());
    assert!(selects(&first) > 0, "{:#?}", first.diagnostics);
    let again = check::validate(&repo, &rendered, check::Options::default());
    assert_eq!(again.diagnostics, first.diagnostics);
    let (copy_repo, copy) = paved::render::run(&tree).expect("renders");
    let of_copy = check::validate(&copy_repo, &copy, check::Options::default());
    assert_eq!(of_copy.diagnostics, first.diagnostics);
    assert_eq!(of_copy.resources, first.resources);

    // The copy without checkout's resources: no Service selects `nobody`.
    let mut changed = copy.clone();
    for unit in &mut changed.units {
        if unit.path.ends_with("/payments/checkout/manifest.yaml") {
            unit.resources = std::sync::Arc::new(Vec::new());
        }
    }
    let of_changed = check::validate(&copy_repo, &changed, check::Options::default());
    assert_eq!(selects(&of_changed), 0, "{:#?}", of_changed.diagnostics);
    assert!(of_changed.resources < first.resources);
    // Other options are another question.
    let lenient = check::Options {
        allow_unknown_kinds: true,
    };
    let of_lenient = check::validate(&copy_repo, &copy, lenient);
    assert_eq!(of_lenient.diagnostics, first.diagnostics);
}

/// Checkout's unit in `prod-eu-west-1`.
fn checkout_in_prod(rendered: &paved::render::Rendered) -> &paved::render::RenderedUnit {
    rendered
        .units
        .iter()
        .find(|u| u.path == "prod-eu-west-1/payments/checkout/manifest.yaml")
        .expect("checkout runs in prod-eu-west-1")
}

/// Finished units are shared between renders in one process only while
/// everything they are made of is the same: a line added above a patch
/// moves where the patched field leads back to, and a platform label
/// changes every resource.
#[test]
fn a_finished_unit_is_shared_only_while_its_inputs_are_the_same() {
    let checkout = "teams/payments/services/checkout.yaml";
    let unit = |rendered: &paved::render::Rendered| checkout_in_prod(rendered).clone();
    // Where the Ingress's rate limit, which a patch adds, leads back to.
    let patched_line = |unit: &paved::render::RenderedUnit| {
        let ingress = unit
            .resources
            .iter()
            .find(|r| r.kind() == "Ingress")
            .unwrap();
        let (_, location) = ingress
            .written
            .iter()
            .find(|(path, _)| path.ends_with("limit-rps"))
            .expect("the patch is recorded");
        assert_eq!(location.file, checkout);
        location.span.as_ref().unwrap().line
    };
    let (_, first) = paved::render::run(&example()).expect("renders");
    let first = unit(&first);
    // Another service changed: checkout's unit is the same one.
    let other = edited(
        example(),
        "teams/identity/services/auth.yaml",
        "tag: 12.0.1",
        "tag: 12.1.0",
    );
    let (_, again) = paved::render::run(&other).expect("renders");
    assert!(std::sync::Arc::ptr_eq(
        &first.resources,
        &unit(&again).resources
    ));

    let moved = edited(
        example(),
        checkout,
        "patches:\n",
        "# Escape hatches.\npatches:\n",
    );
    let (_, moved) = paved::render::run(&moved).expect("renders");
    let moved = unit(&moved);
    assert_eq!(patched_line(&moved), patched_line(&first) + 1);
    assert_eq!(
        moved.resources.iter().map(|r| &r.value).collect::<Vec<_>>(),
        first.resources.iter().map(|r| &r.value).collect::<Vec<_>>()
    );

    let relabelled = edited(
        example(),
        "platform/platform.yaml",
        "northwind.dev/organization: northwind",
        "northwind.dev/organization: contoso",
    );
    let (_, relabelled) = paved::render::run(&relabelled).expect("renders");
    for resource in unit(&relabelled).resources.iter() {
        assert_eq!(
            resource.value["metadata"]["labels"]["northwind.dev/organization"], "contoso",
            "{}",
            resource.value
        );
    }
}

/// Resources found clean are not checked again while they are the same
/// resources checked against the same kinds: a CRD that changes finds
/// what it now refuses in resources rendered before it changed.
#[test]
fn resources_found_clean_are_checked_again_against_a_changed_crd() {
    let checkout =
        |rendered: &paved::render::Rendered| checkout_in_prod(rendered).resources.clone();
    let (repo, rendered) = paved::render::run(&example()).expect("renders");
    let clean = check::validate(&repo, &rendered, check::Options::default());
    assert!(clean.diagnostics.is_empty(), "{:#?}", clean.diagnostics);
    let stricter = edited(
        example(),
        "platform/crds/monitoring.coreos.com.yaml",
        "required: [selector]",
        "required: [selector, podTargetLabels]",
    );
    let (strict_repo, strict) = paved::render::run(&stricter).expect("renders");
    // The same resources, shared (the CRDs play no part in rendering), and
    // every service's found clean before.
    assert!(std::sync::Arc::ptr_eq(
        &checkout(&rendered),
        &checkout(&strict)
    ));
    let report = check::validate(&strict_repo, &strict, check::Options::default());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.message.contains("podTargetLabels")
                && d.subject
                    .as_deref()
                    .is_some_and(|s| s.starts_with("ServiceMonitor"))),
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn the_diff_of_a_tag_bump_is_one_change_in_one_cluster() {
    let base = example();
    let head = edited(
        example(),
        "teams/identity/services/auth.yaml",
        "tag: 12.0.1",
        "tag: 12.1.0",
    );
    let (base_repo, base_rendered) = paved::render::run(&base).unwrap();
    let (head_repo, head_rendered) = paved::render::run(&head).unwrap();
    let environments: Vec<_> = head_repo.environments.iter().map(|e| &e.value).collect();
    let report = diff::compare(
        &base_rendered,
        &head_rendered,
        &environments,
        &head_repo.platform.value.diff,
    );
    drop(base_repo);
    assert_eq!(report.services, ["auth"]);
    assert_eq!(report.resource_count(), 1, "{report:#?}");
    let unit = &report.units[0];
    assert_eq!(unit.cluster, "dev-eu-west-1");
    assert!(report.production_clusters().is_empty());
    let text = diff::to_text(&report, false);
    assert!(text.contains("12.0.1") && text.contains("12.1.0"), "{text}");
}

/// Every text the golden paths print reads the same with the quick YAML
/// reader as with the full parser: the example's, and environment
/// variables holding what YAML treats specially, printed by a service of
/// each golden path. (Other renders skip this comparison; it doubles the
/// parsing.)
#[test]
fn the_quick_yaml_reader_reads_every_template_output_as_the_parser_does() {
    crate::support::cross_checking(|| {
        const AWKWARD: &[&str] = &[
            "a: b # c",
            "- item",
            "'single' and \"double\" quotes",
            "{braces} [brackets], commas",
            "&anchor *alias !tag %directive @at `tick` |pipe >fold",
            "yes",
            "null",
            "~",
            "0x1F",
            "1e3",
            ".inf",
            "012",
            "  leading and trailing  ",
            "tab\there",
            "line\nbreak",
            "back\\slash",
            "é 雪 🙂",
            "---",
            "...",
            "",
        ];
        let entries: String = AWKWARD
            .iter()
            .enumerate()
            .map(|(i, text)| format!("  ODD_{i}: {}\n", serde_json::to_string(text).unwrap()))
            .collect();
        let mut tree = example();
        // One service per golden path: worker, web-service, cron-job, gRPC.
        for path in [
            "teams/fulfilment/services/order-events.yaml",
            "teams/storefront/services/search.yaml",
            "teams/identity/services/session-cleaner.yaml",
            "teams/payments/services/payments-gateway.yaml",
        ] {
            let text = fs::read_to_string(repo_root().join(path)).unwrap();
            let text = match text.split_once("\nenv:\n") {
                Some((before, after)) => format!("{before}\nenv:\n{entries}{after}"),
                None => format!("{text}env:\n{entries}"),
            };
            tree.insert(path, MemoryFile::Text(text));
        }
        let (_, rendered) = paved::render::run(&tree).expect("the awkward values render");
        for service in [
            "order-events",
            "search",
            "session-cleaner",
            "payments-gateway",
        ] {
            let printed = rendered
                .units
                .iter()
                .filter(|unit| unit.path.ends_with(&format!("/{service}/manifest.yaml")))
                .flat_map(|unit| unit.resources.iter())
                .any(|resource| resource.value.to_string().contains(r#""line\nbreak""#));
            assert!(printed, "{service} prints no awkward value");
        }
    })
}

/// Serves the manifests of one full render for the fingerprints it had,
/// as the index committed beside them does, and remembers what it served.
struct Served {
    files: std::collections::BTreeMap<String, String>,
    fingerprints: std::collections::BTreeMap<String, String>,
    served: std::sync::Mutex<BTreeSet<String>>,
}

impl Served {
    fn of(rendered: &paved::render::Rendered) -> Served {
        Served {
            files: rendered
                .files()
                .into_iter()
                .map(|(path, text)| (path, text.to_string()))
                .collect(),
            fingerprints: rendered.fingerprints.clone(),
            served: Default::default(),
        }
    }
}

impl paved::render::Reuse for Served {
    fn manifest(&self, path: &str, fingerprint: &str) -> Option<String> {
        if self.fingerprints.get(path).map(String::as_str) != Some(fingerprint) {
            return None;
        }
        self.served.lock().unwrap().insert(path.to_owned());
        self.files.get(path).cloned()
    }

    fn names(&self, path: &str, fingerprint: &str) -> bool {
        self.fingerprints.get(path).map(String::as_str) == Some(fingerprint)
    }
}

fn focus_on(service: &str) -> paved::render::Focus {
    paved::render::Focus {
        services: [service.to_owned()].into(),
        ..Default::default()
    }
}

/// What a render holds, unit by unit: each path and its resources.
fn contents(rendered: &paved::render::Rendered) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut units: Vec<_> = rendered
        .units
        .iter()
        .map(|unit| {
            let values = unit.resources.iter().map(|r| r.value.clone()).collect();
            (unit.path.clone(), values)
        })
        .collect();
    units.sort_by(|a, b| a.0.cmp(&b.0));
    units
}

/// The example with one of checkout's parameters changed: the service's
/// own units change, its clusters' do not.
fn checkout_parameter_changed() -> MemoryTree {
    edited(
        example(),
        "teams/payments/services/checkout.yaml",
        "maxBodySize: 1m",
        "maxBodySize: 2m",
    )
}

/// A focused render checks its units against their clusters' own units:
/// those whose inputs are unchanged since a full render are read back
/// from its bytes rather than rendered, and hold the same resources.
#[test]
fn a_focused_render_reads_back_its_clusters_unchanged_units() {
    let base = example();
    let (_, full) = paved::render::run(&base).unwrap();
    let served = Served::of(&full);
    let head = checkout_parameter_changed();
    let focus = focus_on("checkout");
    let progress = paved::render::NoProgress;
    let (_, rendered) = paved::render::run_focused(&head, &focus, &progress, None).unwrap();
    let (_, reusing) = paved::render::run_focused(&head, &focus, &progress, Some(&served)).unwrap();
    let served = served.served.into_inner().unwrap();
    assert_eq!(served, rendered.context, "every context unit is read back");
    assert!(!served.is_empty());
    assert_eq!(contents(&reusing), contents(&rendered));
    assert_eq!(reusing.context, rendered.context);
    // The service's own units were rendered: they changed.
    let prod = checkout_in_prod(&reusing);
    assert!(!served.contains(&prod.path));
    assert_ne!(
        *full.files()[&prod.path],
        paved::render::unit::manifest_text(prod)
    );
}

/// A full render reads back every unit whose inputs are unchanged and
/// renders the rest: the same units, the same files.
#[test]
fn a_render_reads_back_what_did_not_change() {
    let (_, full) = paved::render::run(&example()).unwrap();
    let served = Served::of(&full);
    let head = checkout_parameter_changed();
    let everything = paved::render::Focus::default();
    let progress = paved::render::NoProgress;
    let (_, rendered) = paved::render::run(&head).unwrap();
    let (_, reusing) =
        paved::render::run_focused(&head, &everything, &progress, Some(&served)).unwrap();
    let served = served.served.into_inner().unwrap();
    let checkout: BTreeSet<String> = rendered
        .units
        .iter()
        .filter(|unit| unit.path.contains("/payments/checkout/"))
        .map(|unit| unit.path.clone())
        .collect();
    let others: BTreeSet<String> = rendered
        .units
        .iter()
        .map(|unit| unit.path.clone())
        .filter(|path| !checkout.contains(path))
        .collect();
    assert_eq!(served, others, "all but checkout's units are read back");
    assert!(reusing.reads_back());
    assert_eq!(contents(&reusing), contents(&rendered));
    assert_eq!(reusing.files(), rendered.files());
    assert_eq!(reusing.fingerprints, rendered.fingerprints);
}

/// A unit read back is only kept by a render with nothing to report:
/// bytes that lead to a finding (here, a platform unit claiming the
/// service's Deployment) are rendered again in full, so every finding is
/// located as a full render locates it.
#[test]
fn a_focused_render_with_a_finding_renders_its_context_again() {
    let tree = example();
    let (_, full) = paved::render::run(&tree).unwrap();
    let mut served = Served::of(&full);
    let prod = checkout_in_prod(&full);
    let deployment = prod
        .resources
        .iter()
        .find(|r| r.kind() == "Deployment")
        .unwrap();
    let platform = "prod-eu-west-1/_platform/manifest.yaml";
    let text = served.files.get_mut(platform).unwrap();
    text.push_str("---\n");
    text.push_str(&paved::input::yaml::to_string(&deployment.value));
    let focus = focus_on("checkout");
    let progress = paved::render::NoProgress;
    let (_, reusing) = paved::render::run_focused(&tree, &focus, &progress, Some(&served)).unwrap();
    let (_, rendered) = paved::render::run_focused(&tree, &focus, &progress, None).unwrap();
    assert!(served.served.lock().unwrap().contains(platform));
    assert_eq!(contents(&reusing), contents(&rendered));
}

/// A render that can take only a few units from an index (after a change
/// to the platform, or to paved itself: no unit's inputs are what it
/// names) renders everything a cluster at a time, as with no index, so
/// that it never holds more than a cluster's resources; one that can take
/// all but a service's units renders those and takes the rest, in one
/// part.
#[test]
fn a_render_that_can_take_little_renders_a_cluster_at_a_time() {
    use paved::render::{Checking, NoProgress, Rendered};
    let (_, full) = paved::render::run(&example()).unwrap();
    let clusters: BTreeSet<&str> = full.units.iter().map(|u| u.cluster.as_str()).collect();
    let counts = |_: &paved::input::repo::Repo, part: &Rendered| part.units.len();
    let checking = Checking {
        key: "counted".into(),
        checks: &counts,
        keep: paved::render::Keep::Texts,
    };
    let render = |tree: &MemoryTree, served: &Served| {
        let (_, rendered, parts) = paved::render::run_checked(
            tree,
            &paved::render::Focus::default(),
            &NoProgress,
            Some(served),
            Some(&checking),
        )
        .unwrap();
        assert_eq!(
            rendered.files(),
            paved::render::run(tree).unwrap().1.files()
        );
        parts
    };
    let platform_changed = edited(
        example(),
        "platform/platform.yaml",
        "refreshInterval: 1h",
        "refreshInterval: 2h",
    );
    let served = Served::of(&full);
    let parts = render(&platform_changed, &served);
    assert_eq!(parts.len(), clusters.len());
    assert_eq!(parts.iter().sum::<usize>(), full.units.len());
    assert!(served.served.lock().unwrap().is_empty());

    let served = Served::of(&full);
    let parts = render(&checkout_parameter_changed(), &served);
    assert_eq!(parts, vec![full.units.len()]);
    assert!(!served.served.lock().unwrap().is_empty());
}

/// A diff compared a cluster at a time (as `paved diff` compares, so that
/// a change to every unit holds one cluster's units at once) reports what
/// comparing the whole renders reports.
#[test]
fn a_diff_compared_a_cluster_at_a_time_is_the_whole_diff() {
    use paved::render::Rendered;
    let head = edited(
        example(),
        "platform/platform.yaml",
        "northwind.dev/organization: northwind",
        "northwind.dev/organization: northwind-eu",
    );
    let (_, old) = paved::render::run(&example()).unwrap();
    let (repo, new) = paved::render::run(&head).unwrap();
    let environments: Vec<_> = repo.environments.iter().map(|env| &env.value).collect();
    let settings = &repo.platform.value.diff;
    let whole = diff::compare(&old, &new, &environments, settings);
    let clusters: BTreeSet<&str> = new.units.iter().map(|u| u.cluster.as_str()).collect();
    let mut units = std::collections::BTreeMap::new();
    for cluster in &clusters {
        let part = |rendered: &Rendered| {
            let mut part = Rendered::default();
            part.units = rendered
                .units
                .iter()
                .filter(|unit| unit.cluster == *cluster)
                .cloned()
                .collect();
            part
        };
        units.extend(diff::changes(
            &part(&old),
            &part(&new),
            &environments,
            settings,
        ));
    }
    let parts = diff::report(units, &environments);
    assert_eq!(whole.units.len(), new.units.len(), "every unit changed");
    assert_eq!(
        serde_json::to_value(&parts).unwrap(),
        serde_json::to_value(&whole).unwrap()
    );
}
