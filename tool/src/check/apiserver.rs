//! What the Kubernetes API server refuses beyond a resource's schema,
//! checked on every rendered resource so that a sync never fails on it:
//!
//! - a workload's `spec.selector` selects its own pod template's labels;
//! - no container requests more of a resource than its limit (quantities
//!   compared exactly, `1000m` equals `1`);
//! - a CronJob's `schedule` is a valid cron expression (five fields,
//!   ranges, steps, names, `@daily` and the other macros) that can fire at
//!   all (`0 0 31 2 *` never does), and its `timeZone` is an IANA name;
//! - a ConfigMap's or Secret's data stays within 1 MiB, under valid keys.
//!
//! Each finding is located at its cause, as the schema findings are.

use serde_json::{Map, Value};

use super::timezones;
use crate::diagnostic::Diagnostic;
use crate::input::repo::Repo;
use crate::render::Resource;
use crate::render::blame::{Cause, cause_of, describe, written_at};
use crate::render::{Rendered, RenderedUnit, UnitKind};
use crate::support::pointer::{field_path, pointer_push};

/// The most data a ConfigMap or Secret may hold (`MaxSecretSize`).
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

/// Runs every check on every rendered resource.
pub fn check(repo: &Repo, rendered: &Rendered) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    rendered
        .units
        .par_iter()
        .flat_map_iter(|unit| {
            unit.resources
                .iter()
                .flat_map(move |resource| check_resource(repo, unit, resource))
        })
        .collect()
}

fn check_resource(repo: &Repo, unit: &RenderedUnit, resource: &Resource) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let report = |pointer: &str, message: String| located(repo, unit, resource, pointer, message);
    selector(resource, &report, &mut out);
    if let Some(template) = crate::support::kube::pod_template_pointer(resource.kind()) {
        let spec = format!("{template}/spec");
        requests_within_limits(resource, &spec, &report, &mut out);
    } else if resource.kind() == "Pod" {
        requests_within_limits(resource, "/spec", &report, &mut out);
    }
    match resource.kind() {
        "CronJob" => cron_job(resource, &report, &mut out),
        "ConfigMap" | "Secret" => data_size(resource, &report, &mut out),
        _ => {}
    }
    out
}

/// A finding at the cause of the value at `pointer`: a patch, the input
/// line that set it (for a container's requests and limits, the intent's
/// `resources` or `size`), else the template line. A cause on a very long
/// line (a large file's content) points at its key instead.
fn located(
    repo: &Repo,
    unit: &RenderedUnit,
    resource: &Resource,
    pointer: &str,
    message: String,
) -> Diagnostic {
    let hint = pointer
        .rsplit('/')
        .next()
        .map(|t| t.replace("~1", "/").replace("~0", "~"));
    let mut cause = cause_of(repo, unit, resource, pointer, hint.as_deref());
    if written_at(resource, pointer).is_none()
        && let Some(intent) = resources_cause(repo, unit, pointer)
    {
        cause = intent;
    }
    if let (Some(origin), Some(span)) = (&cause.origin, &cause.location.span)
        && span.bytes.len() > 200
        && let Some(file) = repo.file(&cause.location.file)
        && let Some(key) = file.doc.span_for(origin, true)
    {
        cause.location.span = Some(key);
    }
    let mut diagnostic = Diagnostic::error(message)
        .at(cause.location)
        .subject(describe(resource))
        .cluster(&unit.cluster);
    diagnostic.field = cause.field.or_else(|| Some(field_path(pointer)));
    diagnostic
}

/// For a container's requests and limits in a service unit: the intent
/// line that chose them (`resources.cpu`, `resources.memoryLimit`, else
/// `size`), in the environment's entry or the service's.
fn resources_cause(repo: &Repo, unit: &RenderedUnit, pointer: &str) -> Option<Cause> {
    let UnitKind::Service {
        service,
        environment,
        ..
    } = &unit.kind
    else {
        return None;
    };
    let (_, rest) = pointer.split_once("/resources/")?;
    let (bound, key) = rest.split_once('/')?;
    let field = match (bound, key) {
        ("requests", "cpu") => "cpu",
        ("requests", "memory") => "memory",
        ("limits", "cpu") => "cpuLimit",
        ("limits", "memory") => "memoryLimit",
        _ => return None,
    };
    let entry = repo.service(service)?;
    let env = pointer_push("/environments", environment);
    let candidates = [
        format!("{env}/resources/{field}"),
        format!("/resources/{field}"),
        format!("{env}/size"),
        "/size".to_owned(),
    ];
    candidates.iter().find_map(|candidate| {
        entry.file.doc.node(candidate)?;
        let span = entry.file.doc.span_for(candidate, false)?;
        Some(Cause {
            location: crate::diagnostic::Location::at(&entry.file.path, span),
            field: Some(field_path(candidate)),
            origin: Some(candidate.clone()),
        })
    })
}

/// A workload's selector must select the pods of its own template: the
/// API server refuses it otherwise (and an empty selector for `apps/v1`).
fn selector(
    resource: &Resource,
    report: &impl Fn(&str, String) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let (spec, required) = match resource.kind() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => ("/spec", true),
        // A Job's selector is generated unless set by hand.
        "Job" => ("/spec", false),
        "CronJob" => ("/spec/jobTemplate/spec", false),
        _ => return,
    };
    let Some(selector) = resource.value.pointer(&format!("{spec}/selector")) else {
        return; // a missing required selector is a schema finding
    };
    let pointer = format!("{spec}/selector");
    let empty = super::cross::selects_everything(selector);
    if empty {
        if required {
            out.push(
                report(
                    &pointer,
                    "`spec.selector` is empty: it would select every pod of the namespace".into(),
                )
                .help("select the pod template's labels with `matchLabels`"),
            );
        }
        return;
    }
    static NO_LABELS: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    let labels = resource
        .value
        .pointer(&format!("{spec}/template/metadata/labels"))
        .and_then(Value::as_object)
        .unwrap_or(&NO_LABELS);
    if !super::cross::selects(selector, labels) {
        let wanted: Vec<String> = selector["matchLabels"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, value)| {
                let has = labels
                    .get(key)
                    .and_then(Value::as_str)
                    .map_or("no such label".to_owned(), |v| format!("`{v}`"));
                format!(
                    "`{key}={}` (the template has {has})",
                    value.as_str().unwrap_or_default()
                )
            })
            .collect();
        let mut diagnostic = report(
            &pointer,
            "the selector does not match the pod template's labels".into(),
        );
        if !wanted.is_empty() {
            diagnostic = diagnostic.help(format!("the selector wants {}", wanted.join(", ")));
        }
        out.push(
            diagnostic.help("the API server refuses a workload that does not select its own pods"),
        );
    }
}

/// No container requests more of a resource than its limit.
fn requests_within_limits(
    resource: &Resource,
    spec: &str,
    report: &impl Fn(&str, String) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let Some(pod) = resource.value.pointer(spec) else {
        return;
    };
    for list in ["initContainers", "containers"] {
        for (c, container) in pod[list].as_array().into_iter().flatten().enumerate() {
            let name = container["name"].as_str().unwrap_or_default();
            let resources = &container["resources"];
            for (key, limit) in resources["limits"].as_object().into_iter().flatten() {
                let Some(request) = resources["requests"].get(key) else {
                    continue;
                };
                let (Some(request_text), Some(limit_text)) =
                    (quantity_text(request), quantity_text(limit))
                else {
                    continue;
                };
                let (request_nanos, limit_nanos) = (nanos(&request_text), nanos(&limit_text));
                // Extended resources (`example.com/gpu`) cannot be overcommitted.
                let extended = (key.contains('/') && !key.starts_with("kubernetes.io/"))
                    || key.starts_with("hugepages-");
                if extended && request_nanos.is_some() && request_nanos != limit_nanos {
                    let pointer =
                        pointer_push(&format!("{spec}/{list}/{c}/resources/requests"), key);
                    out.push(
                        report(
                            &pointer,
                            format!(
                                "container `{name}` requests `{request_text}` of `{key}` but its limit is `{limit_text}`"
                            ),
                        )
                        .help("extended resources and huge pages cannot be overcommitted: the request must equal the limit"),
                    );
                    continue;
                }
                if let (Some(r), Some(l)) = (request_nanos, limit_nanos)
                    && r > l
                {
                    let pointer =
                        pointer_push(&format!("{spec}/{list}/{c}/resources/requests"), key);
                    out.push(
                        report(
                            &pointer,
                            format!(
                                "container `{name}` requests `{request_text}` of `{key}`, above its limit `{limit_text}`"
                            ),
                        )
                        .help("a request may not exceed its limit: lower the request or raise the limit (`resources` or `size` in the intent)"),
                    );
                }
            }
        }
    }
}

fn quantity_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A Kubernetes quantity in billionths, rounded up as the API server
/// rounds (to nano units); `None` when it is not a quantity, is negative,
/// or does not fit.
pub fn nanos(text: &str) -> Option<u128> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let (mut exp10, exp2): (i64, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        other => {
            let exponent = other.strip_prefix(['e', 'E'])?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (exponent.parse::<i64>().ok()?, 0)
        }
    };
    let digits: String = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 36 {
        return None;
    }
    let mantissa: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    exp10 += 9 - fraction.len() as i64;
    let scaled = mantissa.checked_mul(1u128.checked_shl(exp2)?)?;
    if exp10 >= 0 {
        scaled.checked_mul(10u128.checked_pow(u32::try_from(exp10).ok()?)?)
    } else {
        let divisor = 10u128.checked_pow(u32::try_from(-exp10).ok()?);
        match divisor {
            Some(divisor) => Some(scaled.div_ceil(divisor)),
            None => Some(u128::from(scaled > 0)),
        }
    }
}

/// A CronJob's schedule and time zone.
fn cron_job(
    resource: &Resource,
    report: &impl Fn(&str, String) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let spec = &resource.value["spec"];
    if let Some(schedule) = spec["schedule"].as_str() {
        match parse_schedule(schedule) {
            Err(problem) => out.push(
                report("/spec/schedule", format!("`{schedule}` is not a valid schedule: {problem}"))
                    .help("write five fields, `minute hour day-of-month month day-of-week` (such as `30 2 * * *`), or a macro such as `@daily`; fields take numbers, `*`, ranges `1-5`, lists `1,15` and steps `*/15`"),
            ),
            Ok(schedule_info) if !schedule_info.fires() => out.push(
                report("/spec/schedule", format!("`{schedule}` never fires: no month in it has that day"))
                    .help("check the day of month against the months: February has at most 29 days; April, June, September and November 30"),
            ),
            Ok(_) => {}
        }
    }
    if let Some(zone) = spec["timeZone"].as_str() {
        let problem = if zone.is_empty() {
            Some("an empty time zone".to_owned())
        } else if zone.eq_ignore_ascii_case("local") {
            Some("`Local` depends on the node; name an explicit time zone".to_owned())
        } else if !timezones::known(zone) {
            Some(format!("`{zone}` is not an IANA time zone"))
        } else {
            None
        };
        if let Some(problem) = problem {
            let near = crate::support::text::nearest(zone, timezones::TIME_ZONES.iter().copied());
            let mut diagnostic = report("/spec/timeZone", format!("unknown time zone: {problem}"));
            if let Some(near) = near {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            out.push(diagnostic.help("use a name from the IANA time zone database, such as `Europe/Amsterdam` or `Etc/UTC`"));
        }
    }
}

/// The days and months a cron schedule can fire on, as robfig/cron (the
/// parser Kubernetes uses) reads them.
#[derive(Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Bit per day of month (1..=31).
    days: u64,
    /// Bit per month (1..=12).
    months: u64,
    /// Day of month and day of week both restricted: either may match.
    either: bool,
}

impl Schedule {
    /// Whether some month of the schedule has one of its days. With a
    /// restricted day of week as well, the schedule fires on those
    /// weekdays whatever the day of month.
    pub fn fires(&self) -> bool {
        if self.either {
            return true;
        }
        const LONGEST: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        (1..=12).any(|month| {
            self.months & (1 << month) != 0
                && (1..=LONGEST[month]).any(|day| self.days & (1 << day) != 0)
        })
    }
}

struct Field {
    min: u32,
    max: u32,
    names: &'static [&'static str],
    what: &'static str,
}

const FIELDS: [Field; 5] = [
    Field {
        min: 0,
        max: 59,
        names: &[],
        what: "minute",
    },
    Field {
        min: 0,
        max: 23,
        names: &[],
        what: "hour",
    },
    Field {
        min: 1,
        max: 31,
        names: &[],
        what: "day of month",
    },
    Field {
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
        what: "month",
    },
    Field {
        min: 0,
        max: 6,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        what: "day of week",
    },
];

/// Parses a schedule as Kubernetes does (robfig/cron's standard parser:
/// five fields or a descriptor).
pub fn parse_schedule(schedule: &str) -> Result<Schedule, String> {
    let schedule = schedule.trim();
    if schedule.starts_with("TZ=") || schedule.starts_with("CRON_TZ=") {
        return Err("a time zone in the schedule is not accepted; use `timeZone`".into());
    }
    if let Some(descriptor) = schedule.strip_prefix('@') {
        let all = Schedule {
            days: u64::MAX,
            months: u64::MAX,
            either: false,
        };
        return match descriptor {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(all)
            }
            every if every.starts_with("every ") => {
                let duration = every["every ".len()..].trim();
                if go_duration(duration) {
                    Ok(all)
                } else {
                    Err(format!(
                        "`{duration}` is not a duration such as `90s`, `15m` or `1h30m`"
                    ))
                }
            }
            other => Err(format!(
                "unknown macro `@{other}`: use `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly` or `@every <duration>`"
            )),
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("it has {} fields, not 5", fields.len()));
    }
    let mut bits = [0u64; 5];
    let mut star = [false; 5];
    for (index, (text, field)) in fields.iter().zip(FIELDS.iter()).enumerate() {
        for part in text.split(',') {
            let (set, is_star) = range(part, field)?;
            bits[index] |= set;
            star[index] |= is_star;
        }
    }
    Ok(Schedule {
        days: bits[2],
        months: bits[3],
        either: !star[2] && !star[4],
    })
}

/// One comma-separated part of a field: its bits, and whether it is `*`
/// (or `?`) without a step, which robfig counts as unrestricted.
fn range(part: &str, field: &Field) -> Result<(u64, bool), String> {
    let what = field.what;
    let (range, step) = match part.split_once('/') {
        Some((range, step)) => {
            if step.contains('/') {
                return Err(format!("`{part}` has more than one `/`"));
            }
            let step: u32 =
                number(step).ok_or_else(|| format!("the step in `{part}` is not a number"))?;
            if step == 0 {
                return Err(format!("the step in `{part}` must be at least 1"));
            }
            (range, Some(step))
        }
        None => (part, None),
    };
    let (start, end, is_star) = if range == "*" || range == "?" {
        (field.min, field.max, step.is_none_or(|s| s == 1))
    } else {
        let (low, high) = match range.split_once('-') {
            Some((low, high)) => {
                if high.contains('-') {
                    return Err(format!("`{part}` has more than one `-`"));
                }
                (low, Some(high))
            }
            None => (range, None),
        };
        let value = |text: &str| -> Result<u32, String> {
            let lower = text.to_ascii_lowercase();
            if let Some(index) = field.names.iter().position(|name| *name == lower) {
                return Ok(field.min + index as u32);
            }
            number(text).ok_or_else(|| format!("`{text}` is not a valid {what}"))
        };
        let start = value(low)?;
        let end = match (high, step) {
            (Some(high), _) => value(high)?,
            // `5/15` means from 5 to the end, every 15.
            (None, Some(_)) => field.max,
            (None, None) => start,
        };
        (start, end, false)
    };
    if start < field.min || end > field.max {
        return Err(format!(
            "`{part}` is out of range for the {what} ({}-{})",
            field.min, field.max
        ));
    }
    if start > end {
        return Err(format!("`{part}` runs backwards"));
    }
    let step = step.unwrap_or(1);
    let mut bits = 0u64;
    let mut at = start;
    while at <= end {
        bits |= 1 << at;
        at += step;
    }
    Ok((bits, is_star))
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A Go duration: numbers with units, such as `1h30m` or `90s`.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|unit| rest.starts_with(*unit))
            .max_by_key(|unit| unit.len());
        match unit {
            Some(unit) => rest = &rest[unit.len()..],
            None => return false,
        }
    }
    true
}

/// A ConfigMap's or Secret's data: at most 1 MiB in all, under keys the API
/// server accepts, none in both `data` and `binaryData`.
fn data_size(
    resource: &Resource,
    report: &impl Fn(&str, String) -> Diagnostic,
    out: &mut Vec<Diagnostic>,
) {
    let value = &resource.value;
    let secret = resource.kind() == "Secret";
    // (pointer, key, bytes)
    let mut entries: Vec<(String, &str, usize)> = Vec::new();
    let lists: &[(&str, bool)] = if secret {
        &[("data", true), ("stringData", false)]
    } else {
        &[("data", false), ("binaryData", true)]
    };
    let mut seen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for (list, base64) in lists {
        for (key, item) in value[*list].as_object().into_iter().flatten() {
            let pointer = pointer_push(&format!("/{list}"), key);
            let text = item.as_str().unwrap_or_default();
            let bytes = if *base64 {
                decoded_len(text)
            } else {
                text.len()
            };
            if let Some(problem) = key_problem(key) {
                out.push(
                    report(&pointer, format!("`{key}` is not a valid key: {problem}"))
                        .help("keys use letters, digits, `-`, `_` and `.` (at most 253), and are not `.` or `..`"),
                );
            }
            match seen.get(key.as_str()) {
                Some(other) if !secret => out.push(report(
                    &pointer,
                    format!("`{key}` is in both `{other}` and `{list}`"),
                )),
                _ => {
                    seen.insert(key, list);
                }
            }
            entries.push((pointer, key, bytes));
        }
    }
    if secret {
        // `stringData` replaces `data` entries of the same key.
        let strings: Vec<&str> = entries
            .iter()
            .filter(|(p, _, _)| p.starts_with("/stringData/"))
            .map(|(_, k, _)| *k)
            .collect();
        entries.retain(|(p, k, _)| p.starts_with("/stringData/") || !strings.contains(k));
    }
    let total: usize = entries.iter().map(|(_, _, bytes)| bytes).sum();
    if total > MAX_DATA_BYTES {
        let largest = entries
            .iter()
            .max_by_key(|(_, _, bytes)| *bytes)
            .map(|(pointer, key, bytes)| (pointer.clone(), *key, *bytes));
        let (pointer, key, bytes) = largest.unwrap_or_else(|| ("/data".into(), "", 0));
        out.push(
            report(
                &pointer,
                format!(
                    "the {} holds {total} bytes of data, more than the 1 MiB ({MAX_DATA_BYTES} bytes) the API server accepts",
                    resource.kind()
                ),
            )
            .help(format!("the largest entry is `{key}` ({bytes} bytes); keep large files in the image or a volume")),
        );
    }
}

/// Bytes a base64 text decodes to.
pub fn decoded_len(text: &str) -> usize {
    let text: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let padding = text.iter().rev().take_while(|b| **b == b'=').count();
    (text.len() / 4) * 3
        + match text.len() % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
        - padding.min(2)
}

fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("it is empty")
    } else if key.len() > 253 {
        Some("it is longer than 253 characters")
    } else if key == "." || key == ".." {
        Some("`.` and `..` are not file names")
    } else if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        Some("it holds a character other than letters, digits, `-`, `_` and `.`")
    } else {
        None
    }
}
