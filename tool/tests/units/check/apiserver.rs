use paved::check::apiserver::*;

#[test]
fn quantities_compare_exactly() {
    assert_eq!(nanos("1"), Some(1_000_000_000));
    assert_eq!(nanos("1000m"), nanos("1"));
    assert_eq!(nanos("0.5"), nanos("500m"));
    assert_eq!(nanos("1Ki"), Some(1024 * 1_000_000_000));
    assert_eq!(nanos("1k"), Some(1000 * 1_000_000_000));
    assert_eq!(nanos("1e3"), nanos("1k"));
    assert_eq!(nanos("1.5Gi"), Some(1_610_612_736 * 1_000_000_000));
    assert!(nanos("512Mi") < nanos("1Gi"));
    assert!(nanos("1G") < nanos("1Gi"));
    assert!(nanos("250m") < nanos("1"));
    assert_eq!(nanos("1n"), Some(1));
    assert_eq!(nanos("0.1n"), Some(1), "rounded up to a nano unit");
    assert_eq!(nanos("abc"), None);
    assert_eq!(nanos("1Xi"), None);
    assert_eq!(nanos("-1"), None);
    assert_eq!(nanos("1e999"), None);
}

#[test]
fn schedules() {
    for ok in [
        "*/15 * * * *",
        "30 2 * * *",
        "0 4 * * *",
        "0 9 * * MON-FRI",
        "0 0 1 jan,jul *",
        "5/10 * * * *",
        "0 0 29 2 *",
        "0 0 31 2 1",
        "@daily",
        "@hourly",
        "@every 1h30m",
        "0 0 ? * sun",
    ] {
        let parsed = parse_schedule(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(parsed.fires(), "{ok}");
    }
    for never in [
        "0 0 31 2 *",
        "0 0 30 2 *",
        "0 0 31 4,6,9,11 *",
        "0 0 30,31 feb *",
    ] {
        assert!(!parse_schedule(never).unwrap().fires(), "{never}");
    }
    for bad in [
        "* * * *",
        "* * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 7",
        "5-1 * * * *",
        "*/0 * * * *",
        "a * * * *",
        "@fortnightly",
        "@every soon",
        "TZ=UTC 0 0 * * *",
        "1-2-3 * * * *",
    ] {
        assert!(parse_schedule(bad).is_err(), "{bad}");
    }
}

#[test]
fn base64_lengths() {
    assert_eq!(decoded_len(""), 0);
    assert_eq!(decoded_len("aGk="), 2);
    assert_eq!(decoded_len("aGVsbG8="), 5);
    assert_eq!(decoded_len("aGVsbG8h"), 6);
}
