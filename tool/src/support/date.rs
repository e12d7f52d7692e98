//! Calendar dates as `YYYY-MM-DD` text: today's (pinned by `PAVED_TODAY`
//! for reproducible runs), and whether a written date exists.

/// A calendar date, `YYYY-MM-DD`, compared as text.
pub type Date = String;

/// Today's date: `PAVED_TODAY` when set (for reproducible runs), else the
/// system clock (UTC).
pub fn today() -> Date {
    if let Ok(date) = std::env::var("PAVED_TODAY") {
        return date;
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((seconds / 86_400) as i64)
}

/// Why `text` is not a calendar date written `YYYY-MM-DD`, if it is not:
/// `2026-13-01` has no month 13, `2027-02-30` is past the end of February.
pub fn date_problem(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    let shape_ok = matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2)
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !shape_ok {
        return Some("it is not written `YYYY-MM-DD`".into());
    }
    let number = |p: &str| p.parse::<u32>().unwrap_or_default();
    let (year, month, day) = (number(parts[0]), number(parts[1]), number(parts[2]));
    if !(1..=12).contains(&month) {
        return Some(format!("there is no month {month}"));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        return Some(format!(
            "{} {year} has {days} days",
            MONTHS[month as usize - 1]
        ));
    }
    None
}

/// Days since 1970-01-01 to a `YYYY-MM-DD` date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_are_calendar_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_784), "2026-11-27");
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
}
