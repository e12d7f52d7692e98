//! Stage 5, patch: a service's escape hatches, RFC 6902 JSON patches aimed
//! at a rendered resource by kind and name. Pure: no I/O.

use crate::diagnostic::{Diagnostic, Location};
use crate::input::repo::ServiceEntry;
use crate::render::template::Resource;
use crate::support::pointer::field_path;

/// Applies the service's patches meant for `env` to `resources`.
pub fn apply(service: &ServiceEntry, env: &str, resources: &mut [Resource]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let file = &service.file;
    let at = |pointer: &str, at_key: bool| match file.doc.span_for(pointer, at_key) {
        Some(span) => Location::at(&file.path, span),
        None => Location::file(&file.path),
    };
    for (index, patch) in service.value.patches.iter().enumerate() {
        if let Some(envs) = &patch.environments
            && !envs.iter().any(|e| e == env)
        {
            continue;
        }
        let base = format!("/patches/{index}");
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
                    "patch target `{wanted}` matches no rendered resource in `{env}`"
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
        let operations: json_patch::Patch = match serde_json::to_value(&patch.operations)
            .and_then(serde_json::from_value)
        {
            Ok(ops) => ops,
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(format!("invalid patch operation: {error}"))
                        .at(at(&format!("{base}/operations"), true))
                        .field(field_path(&format!("{base}/operations")))
                        .help("each operation needs `op` and `path`; `add`, `replace` and `test` need `value`; `move` and `copy` need `from`"),
                );
                continue;
            }
        };
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
            if let Err(error) = json_patch::patch(&mut resource.value, &operations) {
                let op_pointer = format!("{base}/operations/{}/path", error.operation);
                let description = format!("{}/{}", resource.kind(), resource.name());
                diagnostics.push(
                    Diagnostic::error(format!(
                        "patch operation failed on `{description}` in `{env}`: {} at `{}`",
                        error.kind, error.path
                    ))
                    .at(at(&op_pointer, false))
                    .field(field_path(&op_pointer))
                    .help("the path must exist in the rendered resource (only the last segment of an `add` may be new); see the resource under `rendered/`"),
                );
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
