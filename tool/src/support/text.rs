//! Small helpers for the words of messages.

/// The closest candidate to `name`, if any is close enough to be a typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&lower, &candidate.to_lowercase());
            (candidate, score)
        })
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| candidate)
}

/// Items in backticks, separated by commas.
pub fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|item| format!("`{}`", item.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1 error`, `2 errors`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `*` matches any text.
pub fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(mut remaining) = text.strip_prefix(prefix) else {
                return false;
            };
            if rest.is_empty() {
                return true;
            }
            loop {
                if glob(rest, remaining) {
                    return true;
                }
                let mut chars = remaining.chars();
                if chars.next().is_none() {
                    return false;
                }
                remaining = chars.as_str();
            }
        }
    }
}

/// A size for people: `812 bytes`, `3.2 KiB`, `9.5 MiB`.
pub fn human_bytes(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let value = bytes as f64;
    let (unit_bytes, unit) = if value < KIB {
        return format!("{bytes} bytes");
    } else if value < KIB * KIB {
        (KIB, "KiB")
    } else {
        (KIB * KIB, "MiB")
    };
    let text = format!("{:.1}", value / unit_bytes);
    match text.strip_suffix(".0") {
        // Exact: `8 MiB`. Just over a round size, the bytes say by how much.
        Some(whole) if value % unit_bytes == 0.0 => format!("{whole} {unit}"),
        Some(_) => format!("{} bytes", human_count(bytes)),
        None => format!("{text} {unit}"),
    }
}

/// A count for people: `1,000,000`.
pub fn human_count(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_matches_any_text() {
        assert!(glob("prod-*", "prod-eu-west-1"));
        assert!(glob("*-eu-*", "prod-eu-west-1"));
        assert!(!glob("dev-*", "prod-eu-west-1"));
        assert!(glob("checkout", "checkout"));
    }
}
