//! Resource classes (`platform/resources/<class>.yaml`): the managed
//! resources services claim with `uses`. Each class is checked on its own
//! (its default size and compositions exist, its options' defaults fit
//! their types, every environment it names exists) and against the others
//! (one claim kind per class), and gets the JSON Schema its claims'
//! options are checked against.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::findings::schema_findings;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::load::SourceFile;
use crate::input::model::{ClassOption, OptionType, ResourceClass};
use crate::input::schema::InputKind;
use crate::support::pointer::{field_path, pointer_push};
use crate::support::text::{nearest, quote_list};

/// A checked resource class and the file it came from.
#[derive(Clone)]
pub struct ClassEntry {
    pub value: ResourceClass,
    pub file: SourceFile,
    /// JSON Schema of a `uses` entry's `options` for this class.
    pub options_schema: Value,
    /// That schema, compiled.
    pub options: jsonschema::Validator,
}

impl std::fmt::Debug for ClassEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassEntry")
            .field("value", &self.value)
            .field("file", &self.file.path)
            .finish_non_exhaustive()
    }
}

impl ClassEntry {
    /// The composition claims use in `environment`.
    pub fn composition_for(&self, environment: &str) -> &str {
        self.value
            .environments
            .get(environment)
            .map_or(&self.value.composition, |env| &env.composition)
    }
}

/// The composite resource kind of a class: its claim kind prefixed with
/// `X`, as Crossplane names them.
pub fn composite_kind(class: &ResourceClass) -> String {
    format!("X{}", class.claim.kind)
}

/// The plural of a kind, as the CompositeResourceDefinition names it.
pub fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("sh") {
        format!("{lower}es")
    } else if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|stem| !stem.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The name of a class's Composition in the cluster.
pub fn composition_name(class: &ResourceClass, composition: &str) -> String {
    format!("{}-{composition}", class.name)
}

/// The OpenAPI schema of one option, as the CompositeResourceDefinition
/// declares it.
pub fn option_schema(option: &ClassOption) -> Value {
    let mut schema = Map::new();
    schema.insert("description".into(), json!(option.description));
    let kind = match option.kind {
        OptionType::String => "string",
        OptionType::Integer => "integer",
        OptionType::Boolean => "boolean",
    };
    schema.insert("type".into(), json!(kind));
    if let Some(values) = &option.one_of {
        schema.insert("enum".into(), json!(values));
    }
    if let Some(default) = &option.default {
        schema.insert("default".into(), default.clone());
    }
    if let Some(minimum) = option.minimum {
        schema.insert("minimum".into(), json!(minimum));
    }
    if let Some(maximum) = option.maximum {
        schema.insert("maximum".into(), json!(maximum));
    }
    Value::Object(schema)
}

/// The schema of a claim's `spec.parameters`: the size and the options.
pub fn parameters_schema(class: &ResourceClass) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "size".into(),
        json!({
            "description": format!("The size of the {}: {}", class.name, class.sizes.iter().map(|(name, text)| format!("{name} ({text})")).collect::<Vec<_>>().join(", ")),
            "type": "string",
            "enum": class.sizes.keys().collect::<Vec<_>>(),
            "default": class.default_size,
        }),
    );
    for (name, option) in &class.options {
        properties.insert(name.clone(), option_schema(option));
    }
    json!({"type": "object", "properties": properties, "required": ["size"]})
}

/// The JSON Schema of a `uses` entry's `options` for `class`: exactly its
/// options, strictly.
fn options_schema(class: &ResourceClass) -> Value {
    let properties: Map<String, Value> = class
        .options
        .iter()
        .map(|(name, option)| (name.clone(), option_schema(option)))
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    })
}

fn located(file: &SourceFile, pointer: &str, at_key: bool) -> Location {
    match file.doc.span_for(pointer, at_key) {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    }
}

fn error(file: &SourceFile, pointer: &str, at_key: bool, message: String) -> Diagnostic {
    Diagnostic::error(message)
        .at(located(file, pointer, at_key))
        .field(field_path(pointer))
}

/// Checks every class file. Returns the sound classes by name, and every
/// problem.
pub fn check(
    files: Vec<SourceFile>,
    environments: &BTreeSet<String>,
) -> (BTreeMap<String, ClassEntry>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut classes = BTreeMap::new();
    // Claim kind (group and kind) to the file that declares it.
    let mut kinds: BTreeMap<(String, String), String> = BTreeMap::new();
    for file in files {
        let kind = InputKind::ResourceClass;
        let findings = schema_findings(kind.validator(), kind.schema(), &file.doc.value, "");
        if !findings.is_empty() {
            diagnostics.extend(findings.into_iter().map(|f| f.at(&file.path, &file.doc)));
            continue;
        }
        let class: ResourceClass = match serde::Deserialize::deserialize(&file.doc.value) {
            Ok(class) => class,
            Err(problem) => {
                diagnostics.push(
                    Diagnostic::error(format!("cannot read this file: {problem}"))
                        .in_file(&file.path),
                );
                continue;
            }
        };
        let before = diagnostics.len();
        let stem = file
            .path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml");
        if class.name != stem {
            diagnostics.push(
                error(
                    &file,
                    "/name",
                    false,
                    format!(
                        "resource class name `{}` does not match its file name",
                        class.name
                    ),
                )
                .help(format!(
                    "rename it to `{stem}`, or rename the file to match"
                )),
            );
        }
        let sizes: BTreeSet<String> = class.sizes.keys().cloned().collect();
        if !sizes.contains(&class.default_size) {
            diagnostics.push(unknown(
                &file,
                "/defaultSize",
                false,
                "size",
                &class.default_size,
                &sizes,
            ));
        }
        let compositions: BTreeSet<String> = class.compositions.keys().cloned().collect();
        if !compositions.contains(&class.composition) {
            diagnostics.push(unknown(
                &file,
                "/composition",
                false,
                "composition",
                &class.composition,
                &compositions,
            ));
        }
        for (env, choice) in &class.environments {
            let pointer = pointer_push("/environments", env);
            if !environments.contains(env) {
                diagnostics.push(unknown(
                    &file,
                    &pointer,
                    true,
                    "environment",
                    env,
                    environments,
                ));
            }
            if !compositions.contains(&choice.composition) {
                diagnostics.push(unknown(
                    &file,
                    &format!("{pointer}/composition"),
                    false,
                    "composition",
                    &choice.composition,
                    &compositions,
                ));
            }
        }
        for (name, option) in &class.options {
            let pointer = pointer_push("/options", name);
            if name == "size" {
                diagnostics.push(
                    error(
                        &file,
                        &pointer,
                        true,
                        "`size` is not an option: every class has sizes".into(),
                    )
                    .help("list sizes under `sizes`, and remove this option"),
                );
            }
            diagnostics.extend(option_problems(&file, &pointer, option));
        }
        let claim_key = (class.claim.group.clone(), class.claim.kind.clone());
        if let Some(first) = kinds.get(&claim_key) {
            diagnostics.push(
                error(
                    &file,
                    "/claim/kind",
                    false,
                    format!(
                        "claim kind `{}` ({}) is also the claim of `{first}`",
                        class.claim.kind, class.claim.group
                    ),
                )
                .help("each class claims with a kind of its own"),
            );
        } else {
            kinds.insert(claim_key, file.path.clone());
        }
        if diagnostics.len() > before {
            continue;
        }
        let schema = options_schema(&class);
        let validator = match crate::input::schema::validator_options().build(&schema) {
            Ok(validator) => validator,
            Err(problem) => {
                diagnostics.push(error(
                    &file,
                    "/options",
                    true,
                    format!("the options do not form a valid schema: {problem}"),
                ));
                continue;
            }
        };
        classes.insert(
            class.name.clone(),
            ClassEntry {
                value: class,
                file,
                options_schema: schema,
                options: validator,
            },
        );
    }
    (classes, diagnostics)
}

fn unknown(
    file: &SourceFile,
    pointer: &str,
    at_key: bool,
    what: &str,
    name: &str,
    known: &BTreeSet<String>,
) -> Diagnostic {
    let mut diagnostic = error(file, pointer, at_key, format!("unknown {what} `{name}`"));
    if let Some(near) = nearest(name, known.iter().map(String::as_str)) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    let known: Vec<&String> = known.iter().collect();
    diagnostic.help(format!("known {what}s: {}", quote_list(&known)))
}

/// An option whose default or values do not fit its type.
fn option_problems(file: &SourceFile, pointer: &str, option: &ClassOption) -> Vec<Diagnostic> {
    let fits = |value: &Value| match option.kind {
        OptionType::String => value.is_string(),
        OptionType::Integer => value.is_i64() || value.is_u64(),
        OptionType::Boolean => value.is_boolean(),
    };
    let kind = match option.kind {
        OptionType::String => "a string",
        OptionType::Integer => "a whole number",
        OptionType::Boolean => "`true` or `false`",
    };
    let mut out = Vec::new();
    for (index, value) in option.one_of.iter().flatten().enumerate() {
        if !fits(value) {
            out.push(error(
                file,
                &format!("{pointer}/enum/{index}"),
                false,
                format!("{value} is not {kind}, the option's type"),
            ));
        }
    }
    if let Some(default) = &option.default {
        let listed = option
            .one_of
            .as_ref()
            .is_none_or(|values| values.contains(default));
        let in_range = default.as_i64().is_none_or(|number| {
            option.minimum.is_none_or(|min| number >= min)
                && option.maximum.is_none_or(|max| number <= max)
        });
        if !fits(default) {
            out.push(error(
                file,
                &format!("{pointer}/default"),
                false,
                format!("the default {default} is not {kind}, the option's type"),
            ));
        } else if !listed || !in_range {
            out.push(error(
                file,
                &format!("{pointer}/default"),
                false,
                format!("the default {default} is not one of the values the option accepts"),
            ));
        }
    }
    if (option.minimum.is_some() || option.maximum.is_some()) && option.kind != OptionType::Integer
    {
        out.push(error(
            file,
            pointer,
            true,
            "`minimum` and `maximum` apply to integer options only".into(),
        ));
    }
    if let (Some(min), Some(max)) = (option.minimum, option.maximum)
        && min > max
    {
        out.push(error(
            file,
            &format!("{pointer}/minimum"),
            false,
            format!("`minimum` ({min}) is above `maximum` ({max})"),
        ));
    }
    out
}
