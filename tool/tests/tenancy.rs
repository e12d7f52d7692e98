//! Argo CD delivery and team tenancy: what each cluster's Argo CD syncs,
//! and the fences around each team.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::render::serde_yaml_documents;
use crate::support::{Scratch, repo_root};

const CLUSTERS: [&str; 4] = [
    "dev-eu-west-1",
    "prod-eu-west-1",
    "prod-us-east-1",
    "staging-eu-west-1",
];

fn documents(scratch: &Scratch, path: &str) -> Vec<Value> {
    serde_yaml_documents(&scratch.read(path))
}

/// The Argo CD objects of every cluster, one line each, for a snapshot a
/// reviewer can read.
fn argocd_summary(root: &std::path::Path) -> String {
    let mut out = String::new();
    for cluster in CLUSTERS {
        let text =
            std::fs::read_to_string(root.join(format!("rendered/_argocd/{cluster}/manifest.yaml")))
                .unwrap();
        out.push_str(&format!("{cluster}:\n"));
        for doc in serde_yaml_documents(&text) {
            let name = doc["metadata"]["name"].as_str().unwrap();
            let wave = doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap_or("0");
            let line = match doc["kind"].as_str().unwrap() {
                "AppProject" => {
                    let destinations: Vec<&str> = doc["spec"]["destinations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d["namespace"].as_str().unwrap())
                        .collect();
                    let cluster_wide = !doc["spec"]["clusterResourceWhitelist"]
                        .as_array()
                        .unwrap()
                        .is_empty();
                    format!(
                        "  AppProject {name} wave={wave} namespaces={destinations:?} cluster-wide={cluster_wide}"
                    )
                }
                _ => {
                    let spec = &doc["spec"];
                    let source = spec["source"]["path"]
                        .as_str()
                        .or(spec["source"]["chart"].as_str())
                        .unwrap();
                    let sync = if spec["syncPolicy"]["automated"].is_object() {
                        "auto"
                    } else {
                        "manual"
                    };
                    let namespace = spec["destination"]["namespace"].as_str().unwrap_or("-");
                    format!(
                        "  Application {name} wave={wave} project={} source={source} namespace={namespace} sync={sync}",
                        spec["project"].as_str().unwrap()
                    )
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn every_cluster_gets_projects_applications_and_a_root() {
    insta::assert_snapshot!(argocd_summary(&repo_root()));
}

#[test]
fn every_rendered_directory_is_synced_by_exactly_one_application() {
    let root = repo_root();
    let rendered = root.join("rendered");
    let mut directories = BTreeSet::new();
    let mut sources = Vec::new();
    for cluster in CLUSTERS {
        for entry in walk(&rendered.join(cluster)) {
            directories.insert(
                entry
                    .parent()
                    .unwrap()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        directories.insert(format!("rendered/_argocd/{cluster}"));
        let text =
            std::fs::read_to_string(rendered.join(format!("_argocd/{cluster}/manifest.yaml")))
                .unwrap();
        for doc in serde_yaml_documents(&text) {
            if let Some(path) = doc["spec"]["source"]["path"].as_str() {
                sources.push(path.to_owned());
            }
        }
    }
    let unique: BTreeSet<String> = sources.iter().cloned().collect();
    assert_eq!(unique.len(), sources.len(), "two Applications share a path");
    assert_eq!(unique, directories);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every (policy namespace, selected service, caller namespace, caller) that
/// the network policies of a cluster allow.
fn network_paths(scratch: &Scratch, cluster: &str) -> BTreeSet<(String, String, String, String)> {
    let mut paths = BTreeSet::new();
    for doc in documents(
        scratch,
        &format!("rendered/{cluster}/_platform/manifest.yaml"),
    ) {
        if doc["kind"] != "NetworkPolicy" {
            continue;
        }
        let namespace = doc["metadata"]["namespace"].as_str().unwrap().to_owned();
        let target = doc["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            .as_str()
            .unwrap_or("*")
            .to_owned();
        for rule in doc["spec"]["ingress"].as_array().into_iter().flatten() {
            for peer in rule["from"].as_array().unwrap() {
                let from_namespace =
                    peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                let from = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    .as_str()
                    .unwrap_or("*")
                    .to_owned();
                paths.insert((namespace.clone(), target.clone(), from_namespace, from));
            }
        }
    }
    paths
}

#[test]
fn a_new_dependency_opens_exactly_one_network_path() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let before: Vec<_> = CLUSTERS
        .iter()
        .map(|c| network_paths(&scratch, c))
        .collect();
    let intent = "teams/fulfilment/services/shipping-labels.yaml";
    scratch.replace(intent, "secrets:", "dependsOn: [ledger]\nsecrets:");
    // The callee's team consents: without it the dependency is an error.
    let ledger = "teams/payments/services/ledger.yaml";
    let text = scratch.read(ledger);
    scratch.write(
        ledger,
        &format!("{text}callers: {{services: [shipping-labels]}}\n"),
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    for (cluster, before) in CLUSTERS.iter().zip(before) {
        let after = network_paths(&scratch, cluster);
        let opened: Vec<_> = after.difference(&before).collect();
        let closed: Vec<_> = before.difference(&after).collect();
        assert_eq!(
            opened,
            [&(
                "payments".to_owned(),
                "ledger".to_owned(),
                "fulfilment".to_owned(),
                "shipping-labels".to_owned()
            )],
            "{cluster}"
        );
        assert!(closed.is_empty(), "{cluster}: {closed:?}");
    }
}

#[test]
fn a_service_moved_between_teams_moves_namespace_and_project() {
    let scratch = Scratch::example();
    assert_eq!(scratch.paved(&["render"]).code, 0);
    let text = scratch.read("teams/identity/services/user-profile.yaml");
    scratch.remove("teams/identity/services/user-profile.yaml");
    // `auth` (identity) calls it: now across teams, so it needs consent.
    scratch.write(
        "teams/payments/services/user-profile.yaml",
        &format!("{text}callers: {{teams: [identity]}}\n"),
    );
    let outcome = scratch.paved(&["render"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    for cluster in CLUSTERS {
        assert!(
            !scratch
                .path()
                .join(format!("rendered/{cluster}/identity/user-profile"))
                .exists()
        );
        let manifest = documents(
            &scratch,
            &format!("rendered/{cluster}/payments/user-profile/manifest.yaml"),
        );
        assert!(
            manifest
                .iter()
                .all(|doc| doc["metadata"]["namespace"] == "payments")
        );
        let application = documents(
            &scratch,
            &format!("rendered/_argocd/{cluster}/manifest.yaml"),
        )
        .into_iter()
        .find(|doc| doc["kind"] == "Application" && doc["metadata"]["name"] == "user-profile")
        .unwrap();
        assert_eq!(application["spec"]["project"], "payments");
        assert_eq!(application["spec"]["destination"]["namespace"], "payments");
        assert_eq!(
            application["spec"]["source"]["path"],
            format!("rendered/{cluster}/payments/user-profile")
        );
        // auth (identity) still reaches it, now across namespaces.
        assert!(network_paths(&scratch, cluster).contains(&(
            "payments".into(),
            "user-profile".into(),
            "identity".into(),
            "auth".into()
        )));
    }
    assert_eq!(scratch.paved(&["validate"]).code, 0);
}

#[test]
fn team_projects_allow_only_their_namespace_and_nothing_cluster_wide() {
    let text =
        std::fs::read_to_string(repo_root().join("rendered/_argocd/prod-eu-west-1/manifest.yaml"))
            .unwrap();
    for doc in serde_yaml_documents(&text) {
        if doc["kind"] != "AppProject" || doc["metadata"]["name"] == "platform" {
            continue;
        }
        let team = doc["metadata"]["name"].as_str().unwrap();
        assert_eq!(
            doc["spec"]["sourceRepos"],
            serde_json::json!(["https://github.com/northwind/platform.git"])
        );
        assert_eq!(
            doc["spec"]["destinations"],
            serde_json::json!([{"server": "https://kubernetes.default.svc", "namespace": team}])
        );
        assert_eq!(
            doc["spec"]["clusterResourceWhitelist"],
            serde_json::json!([])
        );
    }
}
