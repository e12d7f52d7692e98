use paved::support::date::*;

#[test]
fn days_since_the_epoch_are_calendar_dates() {
    assert_eq!(civil_date(0), "1970-01-01");
    assert_eq!(civil_date(20_784), "2026-11-27");
}

#[test]
fn dates_count_days_from_the_epoch_both_ways() {
    assert_eq!(epoch_day("1970-01-01"), Some(0));
    assert_eq!(epoch_day("2026-11-27"), Some(20_784));
    assert_eq!(epoch_day("2000-03-01"), Some(11_017));
    for day in [-1000, 0, 59, 60, 11_016, 20_784, 40_000] {
        assert_eq!(epoch_day(&date_of_epoch_day(day)), Some(day));
    }
    assert_eq!(epoch_day("2026-02-30"), None);
}

#[test]
fn durations_and_rates() {
    assert_eq!(duration_seconds("15m"), Some(900));
    assert_eq!(duration_seconds("36h"), Some(129_600));
    assert_eq!(duration_seconds("7d"), Some(604_800));
    assert_eq!(duration_seconds("2w"), Some(1_209_600));
    assert_eq!(duration_seconds("7"), None);
    assert_eq!(duration_seconds("d"), None);
    assert_eq!(per_day("2/week"), Some(2.0 / 7.0));
    assert_eq!(per_day("1/month"), Some(1.0 / 30.0));
    assert_eq!(per_day("1/fortnight"), None);
}

#[test]
fn calendar_dates() {
    assert_eq!(date_problem("2026-11-27"), None);
    assert_eq!(date_problem("2028-02-29"), None);
    assert_eq!(date_problem("2000-02-29"), None);
    assert_eq!(
        date_problem("2027-02-30").as_deref(),
        Some("February 2027 has 28 days")
    );
    assert_eq!(
        date_problem("2100-02-29").as_deref(),
        Some("February 2100 has 28 days")
    );
    assert_eq!(
        date_problem("2026-13-01").as_deref(),
        Some("there is no month 13")
    );
    assert_eq!(
        date_problem("2026-04-31").as_deref(),
        Some("April 2026 has 30 days")
    );
    assert!(date_problem("2026-00-10").is_some());
    assert!(date_problem("2026-01-00").is_some());
    assert!(date_problem("26-01-01").is_some());
    assert!(date_problem("2026-1-01").is_some());
}
