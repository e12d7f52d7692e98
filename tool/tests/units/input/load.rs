use paved::input::load::{INPUT_DIRS, inputs};
use paved::input::source::recorded::Recorded;
use paved::input::source::{MemoryTree, WorkTree};

use crate::support::repo_root;

/// What the index hashes as a render's inputs covers every path a render
/// asks about: a change anywhere else cannot change its output.
#[test]
fn what_the_index_hashes_covers_every_path_a_render_reads() {
    let tree = WorkTree::new(&repo_root()).unwrap();
    let recording = Recorded::new(&tree);
    paved::render::run(&recording).expect("the example renders");
    let transcript = recording.transcript();
    let asked = transcript.paths();
    assert!(asked.len() > 50, "{asked:?}");
    let covered = |path: &str| {
        let parts: Vec<&str> = path.split('/').collect();
        INPUT_DIRS.contains(&parts[0]) && !(parts[0] == "teams" && parts.get(2) == Some(&"docs"))
    };
    let outside: Vec<&&str> = asked.iter().filter(|path| !covered(path)).collect();
    assert!(outside.is_empty(), "read but not hashed: {outside:?}");
}

#[test]
fn what_the_index_hashes_follows_files_and_folders_but_not_team_docs() {
    let base = |extra: &[(&str, &str)]| {
        let mut tree = MemoryTree::default();
        for (path, text) in [
            ("platform/platform.yaml", "a: 1\n"),
            ("teams/payments/team.yaml", "b: 2\n"),
        ]
        .iter()
        .chain(extra)
        {
            tree.insert(
                (*path).to_owned(),
                paved::input::source::MemoryFile::Text((*text).into()),
            );
        }
        inputs(&tree).unwrap()
    };
    let plain = base(&[]);
    assert_eq!(plain, base(&[]));
    // A team's docs are not read, but a folder that holds only docs is
    // a team without a team file: that shows.
    let with_docs = base(&[("teams/payments/docs/runbook.md", "# Runbook\n")]);
    assert_eq!(
        with_docs,
        base(&[("teams/payments/docs/other.md", "# Other\n")])
    );
    assert_ne!(plain, with_docs);
    assert_ne!(plain, base(&[("teams/newteam/docs/README.md", "# New\n")]));
    assert_eq!(plain, base(&[("docs/guide.md", "# Guide\n")]));
    assert_ne!(plain, base(&[("teams/payments/services/x.yaml", "c: 3\n")]));
    assert_ne!(
        plain,
        base(&[("golden-paths/web/templates/docs/x.yaml", "d\n")])
    );
    assert_ne!(plain, base(&[("policies/docs/x.rego", "package x\n")]));
}
