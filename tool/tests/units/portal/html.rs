use paved::portal::html::*;

#[test]
fn escaping_and_paths() {
    assert_eq!(
        escape("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
    assert_eq!(root_of("index.html"), "");
    assert_eq!(root_of("services/a.html"), "../");
    assert_eq!(root_of("docs/teams/a/b.html"), "../../../");
    assert_eq!(slug("Policy and Scanners.md"), "policy-and-scanners.md");
    assert_eq!(inline("a `b<` c"), "a <code>b&lt;</code> c");
    assert_eq!(inline("odd ` tick"), "odd ` tick");
}
