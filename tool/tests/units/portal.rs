mod graph;
mod html;
mod markdown;

use paved::portal::*;

#[test]
fn promotions_compare_versions_and_admit_digests() {
    assert_eq!(promotion("1.2.0", "1.2.0", "dev"), Promotion::Current);
    assert_eq!(
        promotion("7.1.0", "7.0.5", "staging"),
        Promotion::Waiting {
            from: "staging".into(),
            release: "7.1.0".into()
        }
    );
    assert_eq!(
        promotion("1.10.0", "1.9.0", "s"),
        Promotion::Waiting {
            from: "s".into(),
            release: "1.10.0".into()
        }
    );
    assert_eq!(promotion("1.0.0", "1.1.0", "s"), Promotion::Ahead);
    assert!(matches!(
        promotion("3.8.0", "sha256:ab", "s"),
        Promotion::Differs { .. }
    ));
}

#[test]
fn doc_pages() {
    assert_eq!(doc_page("docs/policy.md"), "docs/policy.html");
    assert_eq!(
        doc_page("docs/reference/service.md"),
        "docs/reference/service.html"
    );
    assert_eq!(
        doc_page("teams/payments/docs/ledger.md"),
        "docs/teams/payments/ledger.html"
    );
}
