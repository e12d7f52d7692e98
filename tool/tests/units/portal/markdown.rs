use paved::portal::markdown::*;

#[test]
fn raw_html_and_script_links_are_neutralised() {
    let doc = render(
        "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](other.md#part) [z](https://example.com)\n",
        0,
        "",
    );
    assert_eq!(doc.title.as_deref(), Some("Title"));
    assert!(!doc.html.contains("<script"), "{}", doc.html);
    assert!(doc.html.contains("&lt;script&gt;"));
    assert!(doc.html.contains("href=\"#\""));
    assert!(doc.html.contains("href=\"other.html#part\""));
    assert!(doc.html.contains("href=\"https://example.com\""));
    assert!(doc.html.contains("<h1 id=\"title\">"));
}

#[test]
fn headings_are_demoted_and_ids_unique() {
    let doc = render("# A\n## A\n", 1, "doc-");
    assert!(doc.html.contains("<h2 id=\"doc-a\">"));
    assert!(doc.html.contains("<h3 id=\"doc-a-1\">"));
}
