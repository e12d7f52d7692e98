#[test]
fn service_names_are_the_ones_intents_may_have() {
    let pattern = serde_json::json!({ "pattern": paved::input::model::NAME_PATTERN });
    for stem in [
        "checkout",
        "ledger-2",
        "checkout.openapi",
        ".hidden",
        "a-",
        "-a",
        "Web",
        "1st",
        "a_b",
        "",
    ] {
        assert_eq!(
            paved::input::source::git::history::could_name_a_service(stem),
            jsonschema::is_valid(&pattern, &serde_json::json!(stem)),
            "{stem:?}"
        );
    }
}

#[test]
fn the_output_layout_is_the_one_render_writes() {
    assert_eq!(
        paved::input::source::git::history::RENDERED_DIR,
        paved::render::unit::RENDERED_DIR
    );
    assert_eq!(
        paved::input::source::git::history::MANIFEST,
        paved::render::unit::MANIFEST
    );
}
