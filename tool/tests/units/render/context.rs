use paved::input::schema::generate;
use paved::render::context::*;

#[test]
fn every_value_templates_see_is_documented() {
    for schema in [
        generate::<UnitContext<'static>>(),
        generate::<ClusterContext<'static>>(),
    ] {
        let undocumented: Vec<String> = paved::reference::fields_of(&schema)
            .into_iter()
            .filter(|field| field.description.trim().is_empty())
            .map(|field| field.path)
            .collect();
        assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
    }
}

#[test]
fn links_point_into_the_reference_and_patterns_stay() {
    assert_eq!(
        cell("see [service.md](service.md) for `^[a-z](-x)?$` | y"),
        "see [service.md](reference/service.md) for `^[a-z](-x)?$` \\| y"
    );
}
