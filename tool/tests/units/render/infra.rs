use paved::render::infra::*;

fn thresholds(percent: f64) -> Vec<(String, String, String, String)> {
    let budget = budget_nanos(percent).unwrap();
    burn_alerts(budget, "slo=\"availability\"", "critical")
        .into_iter()
        .flat_map(|alert| {
            let kind = alert.kind.clone();
            alert
                .conditions
                .into_iter()
                .map(move |c| (kind.clone(), c.long, c.factor, c.threshold))
        })
        .collect()
}

/// Burn-rate thresholds computed by hand: factor × (1 − objective).
#[test]
fn thresholds_are_the_factor_times_the_budget() {
    let by_hand = |t: [&str; 4]| -> Vec<(String, String, String, String)> {
        [
            ("page", "1h", "14.4"),
            ("page", "6h", "6"),
            ("ticket", "1d", "3"),
            ("ticket", "3d", "1"),
        ]
        .iter()
        .zip(t)
        .map(|((k, w, f), t)| (k.to_string(), w.to_string(), f.to_string(), t.to_string()))
        .collect()
    };
    // 99.9%: budget 0.001; 14.4 × 0.001 = 0.0144, 6 × 0.001 = 0.006, ...
    assert_eq!(
        thresholds(99.9),
        by_hand(["0.0144", "0.006", "0.003", "0.001"])
    );
    // 99.5%: budget 0.005; 14.4 × 0.005 = 0.072, 6 × 0.005 = 0.03.
    assert_eq!(
        thresholds(99.5),
        by_hand(["0.072", "0.03", "0.015", "0.005"])
    );
    // 99%: budget 0.01.
    assert_eq!(thresholds(99.0), by_hand(["0.144", "0.06", "0.03", "0.01"]));
    // 99.95%: budget 0.0005; 14.4 × 0.0005 = 0.0072.
    assert_eq!(
        thresholds(99.95),
        by_hand(["0.0072", "0.003", "0.0015", "0.0005"])
    );
    // 99.999%: budget 0.00001; 14.4 × 0.00001 = 0.000144.
    assert_eq!(
        thresholds(99.999),
        by_hand(["0.000144", "0.00006", "0.00003", "0.00001"])
    );
    // 95%: budget 0.05; 14.4 × 0.05 = 0.72.
    assert_eq!(thresholds(95.0), by_hand(["0.72", "0.3", "0.15", "0.05"]));
}

#[test]
fn objectives_need_a_budget_and_three_decimals_at_most() {
    assert_eq!(budget_nanos(99.9), Some(1_000_000));
    assert_eq!(budget_nanos(100.0), None);
    assert_eq!(budget_nanos(99.9999), None);
    assert_eq!(percent_text(99.9), "99.9");
    assert_eq!(percent_text(99.0), "99");
    assert_eq!(decimal(999, 3), "0.999");
}

#[test]
fn page_and_ticket_alerts_join_two_windows_each() {
    let alerts = burn_alerts(1_000_000, "slo=\"a\"", "warning");
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].severity, "warning");
    assert_eq!(alerts[1].severity, "warning");
    assert_eq!(
        alerts[0].expr,
        "(\n  slo:sli_error:ratio_rate1h{slo=\"a\"} > 0.0144\nand\n  slo:sli_error:ratio_rate5m{slo=\"a\"} > 0.0144\n)\nor\n(\n  slo:sli_error:ratio_rate6h{slo=\"a\"} > 0.006\nand\n  slo:sli_error:ratio_rate30m{slo=\"a\"} > 0.006\n)"
    );
}

#[test]
fn latency_thresholds_and_buckets() {
    assert_eq!(threshold_micros("300ms"), Some(300_000));
    assert_eq!(threshold_micros("2.5s"), Some(2_500_000));
    assert_eq!(threshold_micros("0.25s"), Some(250_000));
    assert_eq!(threshold_micros("0.5ms"), Some(500));
    assert_eq!(threshold_micros("0.0001ms"), None);
    assert_eq!(threshold_micros("0s"), None);
    assert_eq!(decimal(300_000, 6), "0.3");
    assert_eq!(le_matcher("0.3"), "le=\"0.3\"");
    assert_eq!(le_matcher("2"), "le=~\"2|2.0\"");
}

#[test]
fn schedule_periods() {
    assert_eq!(schedule_period("@hourly"), Some(3_600));
    assert_eq!(schedule_period("@every 1h30m"), Some(5_400));
    assert_eq!(schedule_period("*/15 * * * *"), Some(900));
    assert_eq!(schedule_period("30 2 * * *"), Some(86_400));
    assert_eq!(schedule_period("0 */6 * * *"), Some(21_600));
    assert_eq!(schedule_period("0 4 * * 1-5"), Some(7 * 86_400));
    assert_eq!(schedule_period("0 0 1 * *"), Some(31 * 86_400));
    assert_eq!(schedule_period("nonsense"), None);
    assert_eq!(duration_text(93_600), "26h");
    assert_eq!(duration_text(86_400 + 3_600), "25h");
    assert_eq!(duration_text(2 * 86_400), "2d");
    assert_eq!(duration_seconds("26h"), Some(93_600));
}
