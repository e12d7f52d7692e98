use paved::serve::*;

#[test]
fn requests_stay_inside_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "x").unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::write(dir.path().join("a/b c.html"), "y").unwrap();
    assert_eq!(
        resolve(dir.path(), "/"),
        Some(dir.path().join("index.html"))
    );
    assert_eq!(
        resolve(dir.path(), "/a/b%20c.html?x=1"),
        Some(dir.path().join("a/b c.html"))
    );
    assert_eq!(resolve(dir.path(), "/../etc/passwd"), None);
    assert_eq!(resolve(dir.path(), "/%2e%2e/x"), None);
    assert_eq!(resolve(dir.path(), "/missing.html"), None);
}
