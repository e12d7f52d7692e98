//! The namespace fence: a service's resources stay in its team's
//! namespace, and only the platform creates cluster-scoped kinds and the
//! fences themselves (quotas, access, network policy, Argo CD objects).

use serde_json::Value;

use super::template::Resource;
use crate::diagnostic::Diagnostic;

/// Kinds only the platform creates, even inside a team's namespace: the
/// fences themselves. A golden path that renders one is refused, so no
/// service (nor its patches) can widen its own quota, access or network.
const PLATFORM_OWNED: &[&str] = &[
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "AppProject",
    "Application",
];

/// Kinds no service unit may hold, even in its own namespace: they claim
/// hosts, certificates or secret-store access beyond what the tenancy
/// checks see (routes come from `routes:` through an Ingress, certificates
/// from the platform's issuer, secrets from the platform's store).
const NOT_FOR_SERVICES: &[&str] = &[
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "Certificate",
    "Issuer",
    "SecretStore",
    "PushSecret",
];

/// Keeps a service's resources inside its team's namespace: sets the
/// namespace where a template left it out, refuses any other namespace,
/// any cluster-scoped kind, the platform's fences and plain Secrets
/// (secrets come only from the store, through ExternalSecrets). A refusal
/// caused by a service's patch points at the patch line.
pub fn fence(
    resources: &mut [Resource],
    namespace: &str,
    what: &str,
    templates: &[crate::input::load::TemplateFile],
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for resource in resources.iter_mut() {
        let description = format!("{}/{}", resource.kind(), resource.name());
        let blame =
            |pointer: &str, field: &str, diagnostic: Diagnostic| match super::blame::written_at(
                resource, pointer,
            ) {
                Some(location) => diagnostic
                    .at(location)
                    .label(format!("this patch sets `{field}`"))
                    .help(format!("seen rendering {what}")),
                None => diagnostic
                    .at(template_line(
                        templates,
                        &resource.template,
                        resource.kind(),
                        field,
                    ))
                    .help(format!("seen rendering {what}")),
            };
        if PLATFORM_OWNED.contains(&resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a {} and only the platform creates those", resource.kind())))
                    .help("quotas, access and network policy come from `platform/templates/`; Argo CD objects from `platform/argocd/`"),
            );
            continue;
        }
        if crate::support::kube::is_cluster_scoped(resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is cluster-scoped; a service may only create resources in its team's namespace")))
                    .help("cluster-wide resources belong in `platform/`"),
            );
            continue;
        }
        if NOT_FOR_SERVICES.contains(&resource.kind()) {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a {}, which a service may not create", resource.kind())))
                    .help("routes come from `routes:` (an Ingress), certificates from the platform's issuer, secrets from the platform's store through `secrets:`"),
            );
            continue;
        }
        if resource.kind() == "Secret" {
            diagnostics.push(blame("/kind", "kind", Diagnostic::error(format!("`{description}` is a plain Secret; a service's secrets come only from the secret store")))
                    .help("reference the value under `secrets:` in the intent (`NAME: {key: <team>/<path>}`): paved renders an ExternalSecret, and the value never enters this repository"),
            );
            continue;
        }
        match resource.namespace() {
            None => {
                resource.value["metadata"]["namespace"] = Value::String(namespace.to_owned());
            }
            Some(ns) if ns == namespace => {}
            Some(ns) => {
                let diagnostic = Diagnostic::error(format!(
                    "`{description}` is in namespace `{ns}`, outside the team's namespace `{namespace}`"
                ));
                diagnostics.push(
                    blame("/metadata/namespace", "metadata.namespace", diagnostic)
                        .help("a service's resources always live in its team's namespace"),
                );
            }
        }
    }
    diagnostics
}

/// The line of a template that writes `field` (`kind`,
/// `metadata.namespace`) of a resource of `kind`: in the document that
/// declares that kind when the template holds several.
fn template_line(
    templates: &[crate::input::load::TemplateFile],
    path: &str,
    kind: &str,
    field: &str,
) -> crate::diagnostic::Location {
    let key = format!("{}:", field.rsplit('.').next().unwrap_or(field));
    let found = templates
        .iter()
        .find(|t| t.path == path)
        .and_then(|template| {
            let lines: Vec<(usize, &str)> = template
                .text
                .split_inclusive('\n')
                .scan(0, |offset, line| {
                    let start = *offset;
                    *offset += line.len();
                    Some((start, line))
                })
                .collect();
            let declares = |line: &str| {
                let rest = line.trim_start().strip_prefix("kind:").map(str::trim);
                rest.is_some_and(|value| value.trim_matches('"') == kind)
            };
            let document = lines.iter().position(|(_, line)| declares(line));
            let from = document.map_or(0, |at| {
                lines[..=at]
                    .iter()
                    .rposition(|(_, line)| line.starts_with("---"))
                    .unwrap_or(0)
            });
            let (index, (offset, line)) = lines
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, (_, line))| line.trim_start().starts_with(&key))?;
            let indent = line.len() - line.trim_start().len();
            let start = offset + indent;
            Some(crate::diagnostic::Span {
                line: index + 1,
                column: indent + 1,
                bytes: start..start + key.len() - 1,
            })
        });
    match found {
        Some(span) => crate::diagnostic::Location::at(path, span),
        None => crate::diagnostic::Location::file(path),
    }
}
