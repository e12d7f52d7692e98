//! Stage 2, validate: check inputs against their JSON Schemas and against
//! each other, and turn them into the typed model.

use std::fmt::Write as _;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location};
use crate::input::model;
use crate::input::yaml::Document;
use crate::support::pointer::{escape_token, field_path, pointer_push};
use crate::support::text::{nearest, quote_list};

/// One schema violation, phrased for people, at a place in the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFinding {
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// Point at the node's key (unknown or missing fields) rather than its value.
    pub at_key: bool,
    /// The problem is something missing inside the node.
    pub missing: bool,
    pub message: String,
    pub help: Vec<String>,
}

impl SchemaFinding {
    /// Locates the finding in `doc` from `file`.
    pub fn at(self, file: &str, doc: &Document) -> Diagnostic {
        let location = match doc.span_for(&self.pointer, self.at_key) {
            Some(span) => Location::at(file, span),
            None => Location::file(file),
        };
        self.located(location)
    }

    pub fn located(self, location: Location) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(self.message)
            .at(location)
            .field(field_path(&self.pointer));
        diagnostic.help = self.help;
        diagnostic
    }
}

/// Every way `instance` breaks the schema. `root` is the schema the
/// validator was built from, used to list accepted field names. `base` is
/// where the instance sits in its file (`/params`), prefixed to every
/// pointer.
pub fn schema_findings(
    validator: &jsonschema::Validator,
    root: &Value,
    instance: &Value,
    base: &str,
) -> Vec<SchemaFinding> {
    // Most documents are sound and hold no number with a decimal point:
    // a yes-or-no validation and one walk say so, without the work of
    // collecting errors or of tracing each node's pointer.
    if !has_decimal(instance) && validator.is_valid(instance) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for error in validator.iter_errors(instance) {
        describe(&error, root, base, &mut findings);
    }
    whole_numbers(root, instance, &mut String::new(), base, &mut findings);
    // A missing field next to an unknown one that was meant to be it: the
    // typo explains both, so report it once.
    let suggested: Vec<(String, String)> = findings
        .iter()
        .filter_map(|f| {
            let near = f
                .help
                .first()?
                .strip_prefix("did you mean `")?
                .strip_suffix("`?")?;
            let parent = &f.pointer[..f.pointer.rfind('/')?];
            Some((parent.to_owned(), near.to_owned()))
        })
        .collect();
    findings.retain(|f| {
        !suggested.iter().any(|(parent, near)| {
            f.pointer == *parent
                && f.message
                    .starts_with(&format!("missing required field `{near}`"))
        })
    });
    findings.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    findings.dedup();
    findings
}

fn describe(
    error: &jsonschema::ValidationError<'_>,
    root: &Value,
    base: &str,
    out: &mut Vec<SchemaFinding>,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    let local = error.instance_path().as_str().to_owned();
    let pointer = format!("{base}{local}");
    let field = match field_path(&pointer) {
        path if path.is_empty() => "the document".to_owned(),
        path => format!("`{path}`"),
    };
    // What the schema says the field is for, as a hint.
    let purpose = crate::input::schema::schema_at(root, &local)
        .and_then(|schema| schema.get("description"))
        .and_then(Value::as_str)
        .map(|text| format!("{field}: {}", first_sentence(text)));
    let value = error.instance();
    let finding = |message: String, help: Vec<String>| SchemaFinding {
        pointer: pointer.clone(),
        at_key: false,
        missing: false,
        message,
        help,
    };
    match error.kind() {
        Kind::AdditionalProperties { unexpected } | Kind::UnevaluatedProperties { unexpected } => {
            let accepted = crate::input::schema::accepted_fields(root, &local);
            for name in unexpected {
                let mut help = Vec::new();
                if let Some(hint) = indentation_hint(root, &local, value, name) {
                    help.push(hint);
                } else if let Some(near) = nearest(name, accepted.iter().map(String::as_str)) {
                    help.push(format!("did you mean `{near}`?"));
                }
                if !accepted.is_empty() {
                    help.push(format!("accepted fields here: {}", quote_list(&accepted)));
                }
                out.push(SchemaFinding {
                    pointer: pointer_push(&pointer, name),
                    at_key: true,
                    missing: false,
                    message: format!("unknown field `{name}`"),
                    help,
                });
            }
        }
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let described = crate::input::schema::schema_at(root, &pointer_push(&local, name))
                .and_then(|schema| schema.get("description"))
                .and_then(Value::as_str)
                .map(|text| vec![format!("`{name}`: {text}")])
                .unwrap_or_default();
            let message = if pointer.is_empty() {
                format!("missing required field `{name}`")
            } else {
                format!("missing required field `{name}` in {field}")
            };
            out.push(SchemaFinding {
                pointer: pointer.clone(),
                at_key: true,
                missing: true,
                message,
                help: described,
            });
        }
        Kind::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(single) => type_name(&single.to_string()),
                jsonschema::error::TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| type_name(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let mut help: Vec<String> = purpose.into_iter().collect();
            let quoted_number = value.as_str().is_some_and(|text| {
                (expected.contains("number") && text.trim().parse::<f64>().is_ok())
                    || (expected == "true or false" && matches!(text, "true" | "false"))
            });
            if quoted_number {
                let text = value.as_str().unwrap_or_default();
                out.push(finding(
                    format!("{field} must be {expected}, found the string \"{text}\""),
                    vec![format!(
                        "`\"{text}\"` is a string; remove the quotes: `{}`",
                        text.trim()
                    )],
                ));
                return;
            }
            // A field written one level too deep, inside a map of names.
            if let Some((parent, key)) = local.rsplit_once('/')
                && let Some((outer, _)) = parent.rsplit_once('/').or(Some(("", "")))
                && !parent.is_empty()
                && crate::input::schema::accepted_fields(root, outer)
                    .iter()
                    .any(|field| *field == crate::support::pointer::unescape_token(key))
            {
                let here = match field_path(outer) {
                    path if path.is_empty() => "a top-level field".to_owned(),
                    path => format!("a field of `{path}`"),
                };
                help.push(format!(
                    "`{}` is {here}, one level out: check its indentation",
                    crate::support::pointer::unescape_token(key)
                ));
            }
            if expected == "text" && value.as_f64().is_some_and(|n| n.fract() != 0.0) {
                // `1.10` reads as the number 1.1: the text to quote is
                // what was written, not what YAML made of it.
                help.push(format!(
                    "YAML read this as the number `{}`, dropping any trailing zeros: quote it exactly as written, such as `\"{}0\"`",
                    plain(value),
                    plain(value)
                ));
            } else if expected == "text" && !value.is_object() && !value.is_array() {
                help.push(format!("quote it to make it text: \"{}\"", plain(value)));
            }
            if expected == "a list" && !value.is_object() && !value.is_array() {
                help.push(format!("write a list, even of one: `[{}]`", plain(value)));
            }
            if expected == "true or false" && value.is_string() {
                help.push("write `true` or `false` (YAML 1.2: `yes` and `on` are text)".into());
            }
            out.push(finding(
                format!(
                    "{field} must be {expected}, found {}",
                    describe_value(value)
                ),
                help,
            ));
        }
        Kind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|items| items.iter().map(plain).collect())
                .unwrap_or_default();
            let mut help = Vec::new();
            if let Some(near) = value
                .as_str()
                .and_then(|text| nearest(text, options.iter().map(String::as_str)))
            {
                help.push(format!("did you mean `{near}`?"));
            }
            out.push(finding(
                format!(
                    "{field} must be one of {}, found {}",
                    quote_list(&options),
                    describe_value(value)
                ),
                help,
            ));
        }
        Kind::Constant { expected_value } => {
            out.push(finding(
                format!(
                    "{field} must be `{}`, found {}",
                    plain(expected_value),
                    describe_value(value)
                ),
                Vec::new(),
            ));
        }
        Kind::Pattern { pattern } => {
            let (what, help) = pattern_meaning(pattern);
            out.push(finding(
                format!("{} is not {what}", describe_value(value)),
                purpose.into_iter().chain([help]).collect(),
            ));
        }
        Kind::PropertyNames { error: inner } => {
            let name = inner.instance().as_str().unwrap_or_default().to_owned();
            let (what, help) = match inner.kind() {
                Kind::Pattern { pattern } => pattern_meaning(pattern),
                _ => ("an accepted name", inner.to_string()),
            };
            out.push(SchemaFinding {
                pointer: pointer_push(&pointer, &name),
                at_key: true,
                missing: false,
                message: format!("`{name}` is not {what}"),
                help: vec![help],
            });
        }
        Kind::MinItems { limit: 1 } | Kind::MinProperties { limit: 1 } => {
            out.push(finding(format!("{field} must not be empty"), Vec::new()));
        }
        Kind::MinLength { limit: 1 } => {
            out.push(finding(format!("{field} must not be empty"), Vec::new()));
        }
        Kind::AnyOf { context } | Kind::OneOfNotValid { context } => {
            // Report the branch that came closest: of those whose type fits
            // the value, the one with fewest errors.
            let misfit = |branch: &&Vec<jsonschema::ValidationError<'_>>| {
                branch.iter().any(|e| {
                    e.instance_path().as_str() == local && matches!(e.kind(), Kind::Type { .. })
                })
            };
            let best = context
                .iter()
                .filter(|branch| !misfit(branch))
                .min_by_key(|branch| branch.len())
                .or_else(|| context.iter().min_by_key(|branch| branch.len()));
            match best {
                Some(branch) if !branch.is_empty() => {
                    for inner in branch {
                        describe(inner, root, base, out);
                    }
                }
                _ => out.push(finding(format!("{field}: {error}"), Vec::new())),
            }
        }
        _ => out.push(finding(format!("{field}: {error}"), Vec::new())),
    }
}

/// Whether `value` holds a number written with a decimal point anywhere.
fn has_decimal(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().any(has_decimal),
        Value::Array(items) => items.iter().any(has_decimal),
        Value::Number(number) => number.is_f64(),
        _ => false,
    }
}

/// Numbers written with a decimal point (`8080.0`) where the schema wants
/// an integer. JSON Schema counts them as integers, but neither paved's
/// types nor the Kubernetes API server read them as one. `local` is the
/// pointer to `value`, grown and cut back in place: every node of every
/// document passes here, and few are numbers.
fn whole_numbers(
    root: &Value,
    value: &Value,
    local: &mut String,
    base: &str,
    out: &mut Vec<SchemaFinding>,
) {
    let parent = local.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                local.push('/');
                local.push_str(&escape_token(key));
                whole_numbers(root, child, local, base, out);
                local.truncate(parent);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                write!(local, "/{index}").expect("writing to a String");
                whole_numbers(root, child, local, base, out);
                local.truncate(parent);
            }
        }
        Value::Number(number) if number.is_f64() => {
            let wants_integer = crate::input::schema::schema_at(root, local)
                .and_then(|schema| schema.get("type"))
                .is_some_and(|kind| {
                    kind == "integer"
                        || kind.as_array().is_some_and(|kinds| {
                            kinds.iter().any(|k| k == "integer")
                                && !kinds.iter().any(|k| k == "number")
                        })
                });
            let whole = number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15);
            if let (true, Some(whole)) = (wants_integer, whole) {
                let pointer = format!("{base}{local}");
                let field = match field_path(&pointer) {
                    path if path.is_empty() => "the document".to_owned(),
                    path => format!("`{path}`"),
                };
                out.push(SchemaFinding {
                    message: format!("{field} must be a whole number, found the number `{number}`"),
                    help: vec![format!("write it without a decimal point: `{whole}`")],
                    pointer,
                    at_key: false,
                    missing: false,
                });
            }
        }
        _ => {}
    }
}

/// Why an unknown field `name` in the mapping at `local` might be there:
/// it belongs inside a sibling (it needs more indentation) or in the
/// mapping around this one (less). `None` when neither accepts it.
fn indentation_hint(root: &Value, local: &str, value: &Value, name: &str) -> Option<String> {
    let accepts = |pointer: &str| {
        crate::input::schema::accepted_fields(root, pointer)
            .iter()
            .any(|field| field == name)
    };
    for sibling in value.as_object()?.keys().filter(|key| *key != name) {
        let pointer = pointer_push(local, sibling);
        if value[sibling].is_object() && accepts(&pointer) {
            return Some(format!(
                "`{name}` is a field of `{sibling}`: indent it under `{sibling}:`"
            ));
        }
    }
    let parent = &local[..local.rfind('/')?];
    if accepts(parent) {
        let here = match field_path(parent) {
            path if path.is_empty() => "the top level".to_owned(),
            path => format!("`{path}`"),
        };
        return Some(format!(
            "`{name}` belongs to {here}, one level out: check its indentation"
        ));
    }
    None
}

/// The first sentence of a description, at most 160 characters.
fn first_sentence(text: &str) -> String {
    let end = text.find(". ").map_or(text.len(), |at| at + 1);
    let sentence = text[..end].replace('\n', " ");
    if sentence.chars().count() > 160 {
        sentence.chars().take(157).collect::<String>() + "..."
    } else {
        sentence
    }
}

/// What a pattern means, in words, and how to fix a value that breaks it.
fn pattern_meaning(pattern: &str) -> (&'static str, String) {
    match pattern {
        model::NAME_PATTERN => (
            "a valid Kubernetes name",
            "use lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit".into(),
        ),
        model::PORT_NAME_PATTERN => (
            "a valid port name",
            "use at most 15 lowercase letters, digits and `-`, starting with a letter".into(),
        ),
        model::ENV_NAME_PATTERN => (
            "a valid environment variable name",
            "use letters, digits and `_`, not starting with a digit".into(),
        ),
        model::QUANTITY_PATTERN => (
            "a valid Kubernetes quantity",
            "write a number with an optional unit: `250m`, `1.5`, `512Mi`, `2Gi`".into(),
        ),
        model::DIGEST_PATTERN => (
            "a valid image digest",
            "write `sha256:` followed by 64 lowercase hex digits".into(),
        ),
        model::TAG_PATTERN => (
            "a valid image tag",
            "use letters, digits, `_`, `.` and `-` (at most 128), not starting with `.` or `-`".into(),
        ),
        model::PATH_PATTERN => (
            "a valid URL path",
            "start with `/` and use URL-safe characters only".into(),
        ),
        model::HOST_PATTERN => (
            "a valid host name",
            "use lowercase DNS labels separated by dots, such as `shop.example.com`".into(),
        ),
        crate::support::kube::LABEL_VALUE => (
            "a valid label value",
            "use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".into(),
        ),
        crate::support::kube::QUALIFIED_NAME => (
            "a valid label or annotation key",
            "write an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_` and `.`".into(),
        ),
        crate::support::kube::LABEL => (
            "a valid Kubernetes name",
            "use lowercase letters, digits and `-`, starting and ending with a letter or digit".into(),
        ),
        crate::support::kube::PORT_NAME => (
            "a valid port name",
            "use at most 15 lowercase letters, digits and `-`, with at least one letter".into(),
        ),
        crate::support::kube::QUANTITY => (
            "a valid Kubernetes quantity",
            "write a number with an optional unit: `250m`, `1.5`, `512Mi`, `2Gi`".into(),
        ),
        other => ("in the accepted form", format!("it must match `{other}`")),
    }
}

fn type_name(json: &str) -> String {
    match json {
        "string" => "text",
        "integer" => "a whole number",
        "number" => "a number",
        "object" => "a mapping",
        "array" => "a list",
        "boolean" => "true or false",
        "null" => "empty",
        other => other,
    }
    .to_owned()
}

/// A value as people wrote it, short.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn describe_value(value: &Value) -> String {
    let mut shown = match value {
        Value::Null => return "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        // Never echo what looks like a secret, even in a schema message.
        Value::String(text) if crate::support::secrets::secret_shape(text).is_some() => {
            return "a value that looks like a secret (not shown)".into();
        }
        Value::String(text) => format!("`{text}`"),
        Value::Array(_) => return "a list".into(),
        Value::Object(_) => return "a mapping".into(),
    };
    if shown.chars().count() > 60 {
        shown = shown.chars().take(57).collect::<String>() + "...`";
    }
    shown
}
