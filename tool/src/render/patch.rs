//! Stage 5, patch: a service's escape hatches, RFC 6902 JSON patches aimed
//! at a rendered resource by kind and name. Pure: no I/O.
//!
//! Operations are applied one at a time, each checked before it runs: a
//! patch may not grow a resource past the limits its input had (a `copy`
//! can double a resource, and a few dozen would exhaust memory), and the
//! result must still be the resource it targeted: an object with the same
//! `kind` and `metadata.name`.

use serde_json::Value;

use super::template::Resource;
use crate::diagnostic::{Diagnostic, Location};
use crate::input::model::{PatchOp, PatchOperation};
use crate::input::repo::ServiceEntry;
use crate::support::limits::{MAX_DEPTH, MAX_NODES};
use crate::support::pointer::field_path;

/// Most operations one service's patches may hold, all patches together.
pub const MAX_OPERATIONS: usize = 1000;

/// Applies the service's patches meant for `env` to `resources`.
pub fn apply(service: &ServiceEntry, env: &str, resources: &mut [Resource]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let file = &service.file;
    let at = |pointer: &str, at_key: bool| match file.doc.span_for(pointer, at_key) {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    };
    let mut counted = 0;
    for (index, patch) in service.value.patches.iter().enumerate() {
        let base = format!("/patches/{index}");
        counted += patch.operations.len();
        if counted > MAX_OPERATIONS {
            let pointer = format!("{base}/operations");
            diagnostics.push(
                Diagnostic::error(format!(
                    "the patches of `{}` hold more than the limit of {MAX_OPERATIONS} operations",
                    service.value.name
                ))
                .at(at(&pointer, true))
                .field(field_path(&pointer))
                .help("patches are escape hatches for a few fields; ask for a golden path parameter instead"),
            );
            break;
        }
        if let Some(envs) = &patch.environments
            && !envs.iter().any(|e| e == env)
        {
            continue;
        }
        let target = &patch.target;
        let matches: Vec<usize> = resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.kind() == target.kind && target.name.as_deref().is_none_or(|n| r.name() == n)
            })
            .map(|(i, _)| i)
            .collect();
        if matches.is_empty() {
            let wanted = match &target.name {
                Some(name) => format!("{}/{name}", target.kind),
                None => target.kind.clone(),
            };
            let available: Vec<String> = resources
                .iter()
                .map(|r| format!("`{}/{}`", r.kind(), r.name()))
                .collect();
            diagnostics.push(
                Diagnostic::error(format!(
                    "patch target `{wanted}` matches no rendered resource"
                ))
                .at(at(&format!("{base}/target"), true))
                .field(field_path(&format!("{base}/target")))
                .help(format!(
                    "resources rendered for this service: {}",
                    available.join(", ")
                )),
            );
            continue;
        }
        let mut operations = Vec::with_capacity(patch.operations.len());
        for (op_index, operation) in patch.operations.iter().enumerate() {
            match serde_json::to_value(operation)
                .and_then(serde_json::from_value::<json_patch::PatchOperation>)
            {
                Ok(converted) => operations.push(converted),
                Err(error) => {
                    let pointer = format!("{base}/operations/{op_index}");
                    diagnostics.push(
                        Diagnostic::error(format!("invalid patch operation: {error}"))
                            .at(at(&pointer, true))
                            .field(field_path(&pointer))
                            .help("each operation needs `op` and `path`; `add`, `replace` and `test` need `value`; `move` and `copy` need `from`"),
                    );
                }
            }
        }
        if operations.len() != patch.operations.len() {
            continue;
        }
        for &resource_index in &matches {
            let resource = &mut resources[resource_index];
            let mut appended = std::collections::BTreeMap::new();
            for (op_index, operation) in patch.operations.iter().enumerate() {
                let pointer = format!("{base}/operations/{op_index}");
                let written = appended_index(&resource.value, &operation.path, &mut appended);
                resource
                    .written
                    .push((written, at(&format!("{pointer}/path"), false)));
            }
            let description = format!("{}/{}", resource.kind(), resource.name());
            // Patched on a copy: a failed patch leaves nothing half-done for
            // the stages after it.
            let mut patched = resource.value.clone();
            match apply_to(&mut patched, &patch.operations, &operations) {
                Ok(()) => resource.value = patched,
                Err(failure) => {
                    let op_pointer = format!("{base}/operations/{}", failure.operation);
                    let (pointer, at_key) = match failure.field {
                        Some(field) => (format!("{op_pointer}/{field}"), false),
                        None => (op_pointer, true),
                    };
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "patch operation failed on `{description}`: {}",
                            failure.message
                        ))
                        .at(at(&pointer, at_key))
                        .field(field_path(&pointer))
                        .help(failure.help),
                    );
                }
            }
        }
    }
    diagnostics
}

/// The path an operation writes, with an append (`/spec/rules/-`) turned
/// into the index the new element gets, so that findings about it lead
/// back to this operation. `appended` counts earlier appends of the patch.
fn appended_index(
    value: &serde_json::Value,
    path: &str,
    appended: &mut std::collections::BTreeMap<String, usize>,
) -> String {
    let Some(parent) = path.strip_suffix("/-") else {
        return path.to_owned();
    };
    let Some(length) = value
        .pointer(parent)
        .and_then(serde_json::Value::as_array)
        .map(Vec::len)
    else {
        return path.to_owned();
    };
    let earlier = appended.entry(parent.to_owned()).or_insert(0);
    let index = length + *earlier;
    *earlier += 1;
    format!("{parent}/{index}")
}

/// Why one operation of a patch failed.
#[derive(Debug)]
pub struct Failure {
    /// Index of the operation in its patch.
    pub operation: usize,
    /// The field of the operation to point at (`path`, `from`, `value`).
    pub field: Option<&'static str>,
    pub message: String,
    pub help: String,
}

impl Failure {
    fn new(operation: usize, field: &'static str, message: String, help: &str) -> Failure {
        Failure {
            operation,
            field: Some(field),
            message,
            help: help.to_owned(),
        }
    }
}

const PATH_HELP: &str = "the path must exist in the rendered resource (only the last segment of an `add` may be new); see the resource under `rendered/`";

/// Applies `operations` (the service's, and the same converted) to one
/// resource, one at a time, checking each before it runs and the result
/// after the last.
pub fn apply_to(
    resource: &mut Value,
    written: &[PatchOperation],
    operations: &[json_patch::PatchOperation],
) -> Result<(), Failure> {
    let kind = resource["kind"].clone();
    let name = resource["metadata"]["name"].clone();
    // What the resource holds, counted once; every operation then adds
    // what it copies or writes.
    let mut nodes = measure(resource, MAX_NODES).map_or(MAX_NODES, |size| size.nodes);
    for (index, (operation, converted)) in written.iter().zip(operations).enumerate() {
        let added = match operation.op {
            PatchOp::Add | PatchOp::Replace => {
                operation.value.as_ref().map(|value| (value, "value"))
            }
            PatchOp::Copy | PatchOp::Move => operation
                .from
                .as_deref()
                .and_then(|from| resource.pointer(from))
                .map(|value| (value, "from")),
            PatchOp::Remove | PatchOp::Test => None,
        };
        if let Some((value, field)) = added {
            // A move adds nothing; it is measured only for its depth.
            let budget = match operation.op {
                PatchOp::Move => MAX_NODES,
                _ => MAX_NODES.saturating_sub(nodes),
            };
            let Some(size) = measure(value, budget) else {
                return Err(Failure::new(
                    index,
                    field,
                    format!(
                        "the resource would hold more than the limit of {} values",
                        crate::support::text::human_count(MAX_NODES)
                    ),
                    "a patch sets a few fields; copying large parts of a resource is refused",
                ));
            };
            let depth = pointer_depth(&operation.path) + size.depth;
            if depth > MAX_DEPTH {
                return Err(Failure::new(
                    index,
                    "path",
                    format!(
                        "the resource would be nested more than the limit of {MAX_DEPTH} levels"
                    ),
                    "a patch sets a few fields; nesting a resource inside itself is refused",
                ));
            }
            if operation.op != PatchOp::Move {
                nodes += size.nodes;
            }
        }
        if let Err(error) = json_patch::patch(resource, std::slice::from_ref(converted)) {
            return Err(Failure::new(
                index,
                "path",
                format!("{} at `{}`", error.kind, error.path),
                PATH_HELP,
            ));
        }
    }
    check_shape(resource, &kind, &name).map_err(|(pointer, message)| {
        // Point at the last operation that wrote over the field.
        let operation = written
            .iter()
            .rposition(|op| {
                covers(&op.path, pointer)
                    || (op.op == PatchOp::Move && op.from.as_deref().is_some_and(|f| covers(f, pointer)))
            })
            .unwrap_or(written.len().saturating_sub(1));
        // At the value that changed it, or the path that removed it.
        let field = match written.get(operation) {
            Some(op) if op.value.is_some() => "value",
            Some(op) if op.op == PatchOp::Move => "from",
            _ => "path",
        };
        Failure {
            operation,
            field: Some(field),
            message,
            help: "a patch changes fields of the resource it targets; it cannot replace the resource with something else, rename it or change its kind".to_owned(),
        }
    })
}

/// Whether writing at `path` changes what is at `pointer`.
fn covers(path: &str, pointer: &str) -> bool {
    pointer == path || pointer.starts_with(&format!("{path}/")) || path.is_empty()
}

/// How many levels a JSON pointer goes down.
fn pointer_depth(pointer: &str) -> usize {
    pointer.matches('/').count()
}

/// The patched resource is still the one targeted: an object with its
/// `apiVersion`, the same `kind`, and `metadata` with the same `name`.
fn check_shape(resource: &Value, kind: &Value, name: &Value) -> Result<(), (&'static str, String)> {
    if !resource.is_object() {
        return Err((
            "",
            format!(
                "the result is {}, not a Kubernetes object",
                describe(resource)
            ),
        ));
    }
    if !resource["apiVersion"].is_string() {
        return Err(("/apiVersion", "the result has no `apiVersion`".to_owned()));
    }
    if resource["kind"] != *kind {
        return Err((
            "/kind",
            format!("`kind` changed from {kind} to {}", short(&resource["kind"])),
        ));
    }
    if !resource["metadata"].is_object() {
        return Err(("/metadata", "the result has no `metadata`".to_owned()));
    }
    if resource["metadata"]["name"] != *name {
        return Err((
            "/metadata/name",
            format!(
                "`metadata.name` changed from {name} to {}",
                short(&resource["metadata"]["name"])
            ),
        ));
    }
    Ok(())
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value for a message: scalars as JSON, collections by what they are.
fn short(value: &Value) -> String {
    match value {
        Value::Array(_) | Value::Object(_) => describe(value).to_owned(),
        Value::String(text) if text.chars().count() > 64 => {
            let cut: String = text.chars().take(64).collect();
            format!("\"{cut}...\"")
        }
        Value::Null => "nothing".to_owned(),
        other => other.to_string(),
    }
}

/// The size of a value.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Every value in it, itself included.
    pub nodes: usize,
    /// Levels below it (0 for a scalar).
    pub depth: usize,
}

/// Measures `value` without recursion, giving up (`None`) past `budget`
/// nodes: the cost is at most the budget, however large the value.
pub fn measure(value: &Value, budget: usize) -> Option<Size> {
    let mut size = Size { nodes: 0, depth: 0 };
    let mut pending = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        size.nodes += 1;
        if size.nodes > budget {
            return None;
        }
        size.depth = size.depth.max(depth);
        match value {
            Value::Array(items) => pending.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(map) => pending.extend(map.values().map(|item| (item, depth + 1))),
            _ => {}
        }
    }
    Some(size)
}
