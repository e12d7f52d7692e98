//! `sprintf` as OPA computes it, replacing regorus's own. OPA hands its
//! arguments to Go's `fmt.Sprintf`: numbers as integers (or floats),
//! strings as strings, anything else as its Rego text (`{"a": 1}`,
//! `{1, 2}`, `true`). Messages are most of what policies produce, so they
//! must be the same text OPA would print: widths, flags, `%q`, `%e`, and
//! Go's `%!d(string=x)` for a verb that does not fit its argument.

use regorus::Value;

enum Arg {
    Int(i64),
    Float(f64),
    Str(String),
}

impl Arg {
    fn of(value: &Value) -> Arg {
        match value {
            Value::Number(_) => match value.as_i64() {
                Ok(n) => Arg::Int(n),
                Err(_) => Arg::Float(value.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Arg::Str(s.to_string()),
            other => Arg::Str(rego_text(other)),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Arg::Int(_) => "int64",
            Arg::Float(_) => "float64",
            Arg::Str(_) => "string",
        }
    }
}

/// A value as Rego prints it (OPA's `Term.String()`).
pub fn rego_text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => match value.as_i64() {
            Ok(n) => n.to_string(),
            Err(_) => value.to_json_str().unwrap_or_default(),
        },
        Value::String(s) => go_quote(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(rego_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Set(items) => {
            if items.is_empty() {
                "set()".into()
            } else {
                format!(
                    "{{{}}}",
                    items.iter().map(rego_text).collect::<Vec<_>>().join(", ")
                )
            }
        }
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}: {}", rego_text(k), rego_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Undefined => "undefined".into(),
    }
}

/// Go's `strconv.Quote`.
fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    fn pad(&self, body: String, numeric: bool) -> String {
        let Some(width) = self.width else {
            return body;
        };
        let len = body.chars().count();
        if len >= width {
            return body;
        }
        let fill = width - len;
        if self.minus {
            format!("{body}{}", " ".repeat(fill))
        } else if self.zero && numeric {
            let (sign, digits) = match body.chars().next() {
                Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_owned()),
                _ => (String::new(), body),
            };
            format!("{sign}{}{digits}", "0".repeat(fill))
        } else {
            format!("{}{body}", " ".repeat(fill))
        }
    }

    fn sign(&self, negative: bool) -> &'static str {
        if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }
}

/// Go's `%e`: `1.500000e+00`.
fn exponent(value: f64, precision: usize, upper: bool) -> String {
    let text = format!("{:.*e}", precision, value.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!(
        "{mantissa}{e}{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// Go's `%v` and `%g` of a float64: the shortest text that reads back,
/// with an exponent below 1e-4 and from 1e21 on.
fn shortest(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let exp = value.abs().log10().floor() as i32;
    if !(-4..21).contains(&exp) {
        let text = format!("{:e}", value.abs());
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        return format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        );
    }
    format!("{}", value.abs())
}

fn format_one(spec: &Spec, verb: char, arg: &Arg) -> String {
    let bad = |arg: &Arg| {
        let value = match arg {
            Arg::Int(n) => match spec.precision {
                Some(p) => format!("{:0p$}", n, p = p),
                None => n.to_string(),
            },
            Arg::Float(f) => shortest(*f),
            Arg::Str(s) => s.clone(),
        };
        format!("%!{verb}({}={value})", arg.type_name())
    };
    match (verb, arg) {
        ('v' | 'd', Arg::Int(n)) => {
            let mut digits = n.unsigned_abs().to_string();
            if let Some(p) = spec.precision
                && digits.len() < p
            {
                digits = format!("{}{digits}", "0".repeat(p - digits.len()));
            }
            spec.pad(format!("{}{digits}", spec.sign(*n < 0)), true)
        }
        ('x' | 'X' | 'o' | 'b', Arg::Int(n)) => {
            let magnitude = n.unsigned_abs();
            let mut body = match verb {
                'x' => format!("{magnitude:x}"),
                'X' => format!("{magnitude:X}"),
                'o' => format!("{magnitude:o}"),
                _ => format!("{magnitude:b}"),
            };
            if spec.sharp {
                body = match verb {
                    'x' => format!("0x{body}"),
                    'X' => format!("0X{body}"),
                    'o' => format!("0{body}"),
                    _ => body,
                };
            }
            spec.pad(format!("{}{body}", spec.sign(*n < 0)), true)
        }
        ('c', Arg::Int(n)) => spec.pad(
            char::from_u32(*n as u32).map_or_else(|| "\u{fffd}".into(), String::from),
            false,
        ),
        ('v' | 'g' | 'G', Arg::Float(f)) if spec.precision.is_none() => {
            spec.pad(format!("{}{}", spec.sign(*f < 0.0), shortest(*f)), true)
        }
        ('f' | 'F', Arg::Float(f)) => spec.pad(
            format!(
                "{}{:.*}",
                spec.sign(*f < 0.0),
                spec.precision.unwrap_or(6),
                f.abs()
            ),
            true,
        ),
        ('e' | 'E', Arg::Float(f)) => spec.pad(
            format!(
                "{}{}",
                spec.sign(*f < 0.0),
                exponent(*f, spec.precision.unwrap_or(6), verb == 'E')
            ),
            true,
        ),
        ('v' | 's', Arg::Str(s)) => {
            let body: String = match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.clone(),
            };
            spec.pad(body, false)
        }
        ('q', Arg::Str(s)) => spec.pad(go_quote(s), false),
        ('x' | 'X', Arg::Str(s)) => {
            let body: String = s
                .bytes()
                .map(|b| {
                    if verb == 'x' {
                        format!("{b:02x}")
                    } else {
                        format!("{b:02X}")
                    }
                })
                .collect();
            spec.pad(body, false)
        }
        (_, arg) => bad(arg),
    }
}

/// `fmt.Sprintf(format, args...)` with OPA's conversion of the arguments.
pub fn sprintf(format: &str, values: &[Value]) -> String {
    let args: Vec<Arg> = values.iter().map(Arg::of).collect();
    let mut out = String::with_capacity(format.len() + 16);
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut digits = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                digits.push(d);
                chars.next();
            }
            digits.parse::<usize>().ok()
        };
        spec.width = number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next) {
            Some(arg) => out.push_str(&format_one(&spec, verb, arg)),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
        }
        next += 1;
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|arg| {
                let value = match arg {
                    Arg::Int(n) => n.to_string(),
                    Arg::Float(f) => shortest(*f),
                    Arg::Str(s) => s.clone(),
                };
                format!("{}={value}", arg.type_name())
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}
