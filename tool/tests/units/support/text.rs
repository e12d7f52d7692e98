use paved::support::text::*;

#[test]
fn columns_align_text_left_and_numbers_right() {
    let rows = vec![
        vec!["name".to_owned(), "count".to_owned()],
        vec!["checkout".to_owned(), "12".to_owned()],
    ];
    assert_eq!(columns(&rows), "name      count\ncheckout     12\n");
    assert_eq!(
        markdown_table(&rows),
        "| name | count |\n|---|---|\n| checkout | 12 |\n"
    );
}

#[test]
fn a_star_matches_any_text() {
    assert!(glob("prod-*", "prod-eu-west-1"));
    assert!(glob("*-eu-*", "prod-eu-west-1"));
    assert!(!glob("dev-*", "prod-eu-west-1"));
    assert!(glob("checkout", "checkout"));
}
