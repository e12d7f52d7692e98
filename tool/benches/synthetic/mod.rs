//! A synthetic organisation of any size, for benchmarks and for tests that
//! need a render that takes a while: the example's platform, environments
//! and golden paths, with `services` generated services spread over teams
//! of ten, on every golden path, with dependencies and per-environment
//! overrides like the example's.

#![allow(dead_code)]

pub mod history;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

const PATHS: [&str; 4] = ["web-service", "grpc-service", "worker", "cron-job"];

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Writes an organisation with `services` services under `dir`, taking the
/// platform, environments and golden paths from the repository at `repo`.
pub fn generate(repo: &Path, dir: &Path, services: usize) {
    for shared in ["platform", "environments", "golden-paths"] {
        copy_dir(&repo.join(shared), &dir.join(shared));
    }
    // What a repository using paved leaves out of git: the lock and the
    // local record of rendered files' hashes among them.
    fs::copy(repo.join(".gitignore"), dir.join(".gitignore")).unwrap();
    let teams = services.div_ceil(10);
    for team in 0..teams {
        let name = format!("team-{team:04}");
        let team_dir = dir.join("teams").join(&name);
        fs::create_dir_all(team_dir.join("services")).unwrap();
        fs::write(
            team_dir.join("team.yaml"),
            format!(
                "apiVersion: paved.dev/v1\nkind: Team\nname: {name}\nowners: [owner-{team}@example.com]\ngroup: org:{name}\ncostCenter: CC-{team:04}\n"
            ),
        )
        .unwrap();
    }
    for index in 0..services {
        let team = format!("team-{:04}", index / 10);
        let name = format!("svc-{index:05}");
        let path = PATHS[index % PATHS.len()];
        let mut text = format!(
            "apiVersion: paved.dev/v1\nkind: Service\nname: {name}\ndescription: Synthetic service {index}.\ngoldenPath: {path}\nimage: registry.northwind.dev/{team}/{name}\n"
        );
        match path {
            "web-service" => {
                text.push_str("ports:\n  http: 8080\n");
                if index % 3 == 0 {
                    let _ = writeln!(
                        text,
                        "routes:\n  public: {{host: {name}.example.com, path: /}}"
                    );
                }
            }
            "cron-job" => text.push_str("params:\n  schedule: \"*/30 * * * *\"\n"),
            _ => {}
        }
        // Depend on a grpc service of the same team, when there is an earlier one.
        let base = index - index % 10;
        let grpc = (base..index).find(|i| i % PATHS.len() == 1);
        if let Some(target) = grpc {
            let _ = writeln!(text, "dependsOn: [svc-{target:05}]");
        }
        let _ = writeln!(text, "env:\n  SERVICE_INDEX: {index}\n  LOG_FORMAT: json");
        if index % 2 == 0 {
            // Each team reads its own part of the secret store.
            let _ = writeln!(
                text,
                "secrets:\n  API_TOKEN: {{key: {team}/token, property: value}}"
            );
        }
        if index % 5 == 0 {
            let _ = writeln!(text, "uses:\n  {name}-db: {{type: postgres}}");
        }
        text.push_str("environments:\n  dev: {tag: 1.0.0}\n  staging: {tag: 1.0.0}\n  prod:\n    tag: 0.9.0\n");
        if path != "cron-job" && index % 4 == 0 {
            text.push_str("    autoscaling: {minReplicas: 2, maxReplicas: 8}\n");
        }
        fs::write(
            dir.join("teams")
                .join(&team)
                .join("services")
                .join(format!("{name}.yaml")),
            text,
        )
        .unwrap();
    }
}
