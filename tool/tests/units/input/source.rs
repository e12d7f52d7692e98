mod git;
mod recorded;

/// The working tree keeps the real path of each folder it found inside
/// the repository, to spare resolving every file's path again: a folder
/// swapped for a symlink to outside after that must still lead nowhere.
#[cfg(unix)]
#[test]
fn a_folder_swapped_for_a_link_outside_is_refused_by_the_same_work_tree() {
    use paved::input::source::{Source, SourceError, WorkTree};
    let repository = crate::support::tempdir();
    let outside = crate::support::tempdir();
    let team = repository.path().join("teams/a");
    std::fs::create_dir_all(&team).unwrap();
    std::fs::write(team.join("x.yaml"), "inside\n").unwrap();
    std::fs::write(outside.path().join("x.yaml"), "outside\n").unwrap();
    let tree = WorkTree::new(repository.path()).unwrap();
    assert_eq!(tree.list("teams/a").unwrap().len(), 1);
    assert_eq!(tree.read("teams/a/x.yaml").unwrap(), "inside\n");
    std::fs::rename(&team, repository.path().join("teams/b")).unwrap();
    std::os::unix::fs::symlink(outside.path(), &team).unwrap();
    assert_eq!(
        tree.read("teams/a/x.yaml"),
        Err(SourceError::EscapingSymlink {
            path: "teams/a/x.yaml".to_owned()
        })
    );
    // A new one finds the link at once.
    let fresh = WorkTree::new(repository.path()).unwrap();
    assert!(fresh.read("teams/a/x.yaml").is_err());
}
