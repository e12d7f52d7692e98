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

/// Rows as aligned columns for a terminal: each column as wide as its
/// widest cell, two spaces apart, numbers (cells starting with a digit,
/// sign or currency symbol) aligned right; no trailing spaces.
pub fn columns(rows: &[Vec<String>]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c].saturating_sub(cell.chars().count());
            let numeric = cell
                .chars()
                .next()
                .is_some_and(|first| first.is_ascii_digit() || "+-−€$£".contains(first));
            if numeric && c > 0 {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A Markdown table: the first row is the header. Pipes in cells are
/// escaped.
pub fn markdown_table(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (index, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|cell| cell.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
        if index == 0 {
            out.push_str(&format!("|{}\n", "---|".repeat(row.len())));
        }
    }
    out
}

/// A relative path as paved names it: its components joined with `/`,
/// each as it is (a `\` in a name is part of the name, never a
/// separator; a name that is not UTF-8 is shown lossily, so callers that
/// compare names refuse those first).
pub fn slashed(path: &std::path::Path) -> String {
    let components: Vec<_> = path
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect();
    components.join("/")
}
