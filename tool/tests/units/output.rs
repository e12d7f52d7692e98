use codespan_reporting::term::termcolor::NoColor;
use paved::diagnostic::Span;
use paved::diagnostic::{Diagnostic, Location, Sources};
use paved::output::*;

fn printed(diagnostic: &Diagnostic, sources: &Sources) -> String {
    let mut text = Vec::new();
    emit(
        &mut NoColor::new(&mut text),
        std::slice::from_ref(diagnostic),
        sources,
    );
    String::from_utf8(text).unwrap()
}

#[test]
fn a_span_on_a_very_long_line_is_told_by_position_and_excerpt() {
    let long = format!(
        "first: 1\nbig: \"{}needle{}\"\n",
        "x".repeat(500),
        "y".repeat(500)
    );
    let mut sources = Sources::default();
    sources.insert("f.yaml", long.clone().into());
    let start = long.find("needle").unwrap();
    let span = Span::at_line(&long, 2, start - long.find("big").unwrap() + 1).unwrap();
    let span = Span {
        bytes: start..start + 6,
        ..span
    };
    let diagnostic = Diagnostic::error("found it").at(Location::at("f.yaml", span));
    let text = printed(&diagnostic, &sources);
    assert!(text.contains("at f.yaml:2:507"), "{text}");
    assert!(text.contains("near: …"), "{text}");
    assert!(text.contains("needle"), "{text}");
    assert!(
        text.lines().all(|line| line.chars().count() < 200),
        "{text}"
    );
}
