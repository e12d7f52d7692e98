//! JSON Schemas of the input kinds, generated from the model's types.
//!
//! The same schemas check inputs at load time and are written to
//! `schemas/` by `paved schema` for editors (yaml-language-server) and CI;
//! the written service schema also lists the repository's golden paths and
//! their parameters.

use std::sync::LazyLock;

use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::input::model;

/// The kinds of input file, each with its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    Platform,
    Environment,
    Team,
    Service,
    GoldenPath,
    PolicyExceptions,
    PolicyConfig,
    Dora,
    Scorecards,
    ResourceClass,
}

impl InputKind {
    pub const ALL: [InputKind; 10] = [
        InputKind::Platform,
        InputKind::Environment,
        InputKind::Team,
        InputKind::Service,
        InputKind::GoldenPath,
        InputKind::PolicyExceptions,
        InputKind::PolicyConfig,
        InputKind::Dora,
        InputKind::Scorecards,
        InputKind::ResourceClass,
    ];

    /// File name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            InputKind::Platform => "platform.json",
            InputKind::Environment => "environment.json",
            InputKind::Team => "team.json",
            InputKind::Service => "service.json",
            InputKind::GoldenPath => "golden-path.json",
            InputKind::PolicyExceptions => "policy-exceptions.json",
            InputKind::PolicyConfig => "policy-config.json",
            InputKind::Dora => "dora.json",
            InputKind::Scorecards => "scorecards.json",
            InputKind::ResourceClass => "resource-class.json",
        }
    }

    /// The generated schema, built once per process.
    pub fn schema(self) -> &'static Value {
        static SCHEMAS: LazyLock<[Value; 10]> = LazyLock::new(|| {
            [
                generate::<model::Platform>(),
                generate::<model::Environment>(),
                generate::<model::Team>(),
                generate::<model::Service>(),
                generate::<model::GoldenPath>(),
                generate::<model::PolicyExceptions>(),
                generate::<model::PolicyConfig>(),
                generate::<model::Dora>(),
                generate::<model::Scorecards>(),
                generate::<model::ResourceClass>(),
            ]
        });
        &SCHEMAS[self as usize]
    }

    /// The compiled validator for the schema, built once per process.
    pub fn validator(self) -> &'static jsonschema::Validator {
        static VALIDATORS: LazyLock<Vec<jsonschema::Validator>> = LazyLock::new(|| {
            InputKind::ALL
                .iter()
                .map(|kind| {
                    validator_options()
                        .build(kind.schema())
                        .expect("schemas generated from our types are valid")
                })
                .collect()
        });
        &VALIDATORS[self as usize]
    }
}

/// Options for every JSON Schema validator paved builds. They share their
/// compiled regular expressions: the patterns of names, labels and
/// quantities recur in every kind's schema, and each is compiled once per
/// process instead of once per schema.
pub fn validator_options() -> jsonschema::ValidationOptions<'static> {
    static PATTERNS: LazyLock<jsonschema::PatternCache> =
        LazyLock::new(jsonschema::PatternCache::new);
    jsonschema::options().with_pattern_cache(PATTERNS.clone())
}

/// The JSON Schema of `T`, as paved writes its schemas.
pub fn generate<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(NoNull))
        .into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// Optional fields are omitted, never `null`: drop schemars' nullability so
/// that the schema says exactly what is accepted and errors stay simple.
#[derive(Clone)]
struct NoNull;

impl Transform for NoNull {
    fn transform(&mut self, schema: &mut Schema) {
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Array(types)) = object.get_mut("type") {
            types.retain(|kind| kind != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                object.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(options)) = object.get_mut("enum") {
            options.retain(|option| !option.is_null());
        }
        if let Some(Value::Array(branches)) = object.get("anyOf") {
            let rest: Vec<&Value> = branches
                .iter()
                .filter(|branch| branch.get("type") != Some(&Value::from("null")))
                .collect();
            if rest.len() == 1 && branches.len() == 2 {
                let mut merged = rest[0].as_object().cloned().unwrap_or_default();
                object.remove("anyOf");
                for (key, value) in std::mem::take(object) {
                    merged.insert(key, value);
                }
                *object = merged;
            }
        }
    }
}

/// The subschema that describes the instance at `pointer` (a JSON pointer
/// into an instance, not into the schema), following `$ref`s,
/// `properties`, `additionalProperties` and `items`. Used to say which field
/// names would have been accepted.
pub fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = resolve(root, root)?;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = if let Some(property) = node.get("properties").and_then(|p| p.get(&token)) {
            property
        } else if let Some(items) = node.get("items") {
            items
        } else {
            node.get("additionalProperties").filter(|v| v.is_object())?
        };
        node = resolve(root, next)?;
    }
    Some(node)
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> Option<&'a Value> {
    for _ in 0..16 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => node = root.pointer(reference.strip_prefix('#')?)?,
            None => return Some(node),
        }
    }
    None
}

/// Field names the schema accepts at `pointer`.
pub fn accepted_fields(root: &Value, pointer: &str) -> Vec<String> {
    schema_at(root, pointer)
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// The field names a `Spec` may hold: what golden paths may `require`.
pub fn spec_fields() -> &'static [String] {
    static FIELDS: LazyLock<Vec<String>> =
        LazyLock::new(|| accepted_fields(InputKind::GoldenPath.schema(), "/defaults"));
    &FIELDS
}
