//! Calendar dates as `YYYY-MM-DD` text: today's (pinned by `PAVED_TODAY`
//! for reproducible runs), and whether a written date exists; days since
//! the epoch, durations (`7d`) and rates (`2/week`).

/// A calendar date, `YYYY-MM-DD`, compared as text.
pub type Date = String;

std::thread_local! {
    static PINNED: std::cell::RefCell<Option<Date>> = const { std::cell::RefCell::new(None) };
}

/// Pins today's date on this thread (`None` unpins), returning what was
/// pinned: a command run in-process (the tests) carries its own date, and
/// its worker threads are pinned to it as they start.
pub fn pin_today(date: Option<Date>) -> Option<Date> {
    PINNED.with(|pinned| std::mem::replace(&mut *pinned.borrow_mut(), date))
}

/// The date pinned on this thread, if any.
pub fn pinned_today() -> Option<Date> {
    PINNED.with(|pinned| pinned.borrow().clone())
}

/// Today's date: the one pinned on this thread ([`pin_today`]), else
/// `PAVED_TODAY` when set (for reproducible runs), else the system clock
/// (UTC).
pub fn today() -> Date {
    if let Some(date) = pinned_today() {
        return date;
    }
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
pub fn civil_date(days: i64) -> Date {
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

/// The day a `YYYY-MM-DD` date is, counted from 1970-01-01; `None` when
/// it is not a calendar date.
pub fn epoch_day(date: &str) -> Option<i64> {
    if date_problem(date).is_some() {
        return None;
    }
    let number = |range: std::ops::Range<usize>| date[range].parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date of a day counted from 1970-01-01.
pub fn date_of_epoch_day(days: i64) -> Date {
    civil_date(days)
}

/// Seconds in a duration written `15m`, `36h`, `7d` or `2w`.
pub fn duration_seconds(text: &str) -> Option<i64> {
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    number.checked_mul(seconds)
}

/// Times per day of a rate written `2/week`: a month is 30 days, a year
/// 365.
pub fn per_day(text: &str) -> Option<f64> {
    let (count, period) = text.split_once('/')?;
    let count: f64 = count.parse().ok()?;
    let days = match period {
        "day" => 1.0,
        "week" => 7.0,
        "month" => 30.0,
        "year" => 365.0,
        _ => return None,
    };
    Some(count / days)
}
