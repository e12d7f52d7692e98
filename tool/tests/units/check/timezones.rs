#[test]
fn sorted_and_known() {
    assert!(
        paved::check::timezones::TIME_ZONES
            .windows(2)
            .all(|w| w[0] < w[1])
    );
    for name in [
        "UTC",
        "Etc/UTC",
        "Europe/Amsterdam",
        "America/New_York",
        "US/Eastern",
        "Asia/Kolkata",
    ] {
        assert!(paved::check::timezones::known(name), "{name}");
    }
    for name in ["Europe/Amsterdamm", "utc", "Mars/Olympus", "Local", ""] {
        assert!(!paved::check::timezones::known(name), "{name}");
    }
}
