//! What the checks across units need to know of a unit, without its
//! resources: which names it takes in each namespace, which Secrets it
//! writes and which routes it claims. The index records one per unit
//! (`index::File::summary`); a run that takes a unit unchanged from a
//! trusted index, in a namespace nothing else in the run changed, carries
//! the summary instead of parsing the unit's manifest back (`Plan::
//! render_reusing`): the unit's own checks passed when the index was
//! written, and the checks across units (`tenancy`, `check::cross`) find
//! a conflict with it from its summary. A conflict found that way is
//! located by rendering every unit, as any finding in a unit read back is.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::template::Resource;

/// One unit's names, Secrets and routes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Every resource as `Kind.group/name` (`Kind/name` in the core
    /// group), by namespace (`""` for cluster-scoped resources).
    pub ids: BTreeMap<String, Vec<String>>,
    /// Every Secret written, as `[secret, "Kind/name" of its writer]`, by
    /// namespace.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Vec<(String, String)>>,
    /// A service unit's routes, as `[host in lower case, path as the
    /// ingress controller compares it]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<(String, String)>,
}

/// What a trusted index records of one unit's manifest.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub summary: &'a std::sync::Arc<Summary>,
    /// How many resources it holds.
    pub resources: usize,
    pub sha256: &'a str,
}

/// A resource's identity as a summary records it.
pub fn id(resource: &Resource) -> String {
    id_of(group(resource), resource.kind(), resource.name())
}

fn id_of(group: &str, kind: &str, name: &str) -> String {
    if group.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}.{group}/{name}")
    }
}

/// The API group of a resource (`""` for the core group).
pub fn group(resource: &Resource) -> &str {
    resource
        .api_version()
        .rsplit_once('/')
        .map_or("", |(group, _)| group)
}

/// `(kind, name)` of an id written by [`id`].
pub fn kind_and_name(id: &str) -> Option<(&str, &str)> {
    let (kind, name) = id.split_once('/')?;
    Some((kind.split_once('.').map_or(kind, |(kind, _)| kind), name))
}

impl Summary {
    /// The summary of a unit's `resources`; `service` when it is a
    /// service's unit (only those claim routes).
    pub fn of(resources: &[Resource], service: bool) -> Summary {
        let mut summary = Summary::default();
        for resource in resources {
            let namespace = resource.namespace().unwrap_or_default();
            summary
                .ids
                .entry(namespace.to_owned())
                .or_default()
                .push(id(resource));
            for (secret, _) in written_secrets(resource) {
                let writer = format!("{}/{}", resource.kind(), resource.name());
                summary
                    .secrets
                    .entry(namespace.to_owned())
                    .or_default()
                    .push((secret.to_owned(), writer));
            }
            if service && resource.kind() == "Ingress" {
                summary
                    .routes
                    .extend(routes(resource).map(|route| route.key));
            }
        }
        summary
    }

    /// Every namespace the unit has a resource or writes a Secret in
    /// (`""` when some resource is cluster-scoped).
    pub fn namespaces(&self) -> BTreeSet<&str> {
        self.ids
            .keys()
            .chain(self.secrets.keys())
            .map(String::as_str)
            .collect()
    }
}

/// The Secrets a resource writes, each with how: a Secret itself, an
/// ExternalSecret's target, a cert-manager Certificate, an Ingress whose
/// TLS certificate cert-manager issues, or a Crossplane claim's connection
/// secret.
pub fn written_secrets(resource: &Resource) -> Vec<(&str, String)> {
    let value = &resource.value;
    let kind = resource.kind();
    let name = resource.name();
    match kind {
        "Secret" => vec![(name, format!("Secret `{name}`"))],
        "ExternalSecret" => {
            let target = value["spec"]["target"]["name"].as_str().unwrap_or(name);
            vec![(target, format!("ExternalSecret `{name}`"))]
        }
        "Certificate" => value["spec"]["secretName"]
            .as_str()
            .map(|secret| vec![(secret, format!("Certificate `{name}`"))])
            .unwrap_or_default(),
        "Ingress" => {
            let annotations = &value["metadata"]["annotations"];
            let issued = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"]
                .iter()
                .any(|key| annotations.get(*key).is_some());
            if !issued {
                return Vec::new();
            }
            value["spec"]["tls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|tls| tls["secretName"].as_str())
                .map(|secret| (secret, format!("the TLS certificate of Ingress `{name}`")))
                .collect()
        }
        // A Crossplane claim: its resource's connection details.
        _ => value["spec"]["writeConnectionSecretToRef"]["name"]
            .as_str()
            .map(|secret| vec![(secret, format!("{kind} `{name}` (its connection secret)"))])
            .unwrap_or_default(),
    }
}

/// One host and path an Ingress routes.
pub struct Route<'a> {
    /// `(host in lower case, path as the ingress controller compares it)`:
    /// two routes with the same key reach the same requests.
    pub key: (String, String),
    /// Which rule of `spec.rules`, and the pointer to its path.
    pub rule: usize,
    pub pointer: String,
    /// The path and `pathType` as written.
    pub path: &'a str,
    pub path_type: &'a str,
}

/// Every host and path an Ingress routes (rules without a host are
/// refused by `tenancy` on their own).
pub fn routes(resource: &Resource) -> impl Iterator<Item = Route<'_>> {
    rules(resource).flat_map(|(r, rule)| {
        let host = rule["host"].as_str();
        let paths = rule["http"]["paths"].as_array().filter(|_| host.is_some());
        paths
            .into_iter()
            .flatten()
            .enumerate()
            .map(move |(p, path)| {
                let text = path["path"].as_str().unwrap_or("/");
                Route {
                    key: (
                        host.unwrap_or_default().to_ascii_lowercase(),
                        normal_path(text),
                    ),
                    rule: r,
                    pointer: format!("/spec/rules/{r}/http/paths/{p}/path"),
                    path: text,
                    path_type: path["pathType"].as_str().unwrap_or("Prefix"),
                }
            })
    })
}

/// An Ingress's rules, by index.
pub fn rules(resource: &Resource) -> impl Iterator<Item = (usize, &Value)> {
    resource.value["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
}

/// A path as the ingress controller compares it: `/api/` and `/api` reach
/// the same requests.
pub fn normal_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.to_owned()
    }
}

/// Whether the units of one cluster conflict: a name taken twice (by
/// kind, group, namespace), a Secret written by two resources, or a route
/// claimed twice. The same test as `tenancy`'s ownership and route
/// checks, without saying where. `carried` are the summaries of units
/// taken unchanged from one trusted index, whose tree passed those checks
/// whole: they cannot conflict among themselves, so only `made` (the
/// units rendered now) are held against each other and against them,
/// namespace by namespace (a cluster's carried units name hundreds of
/// thousands of ids, nearly all in namespaces nothing made touches).
pub fn conflict<'a>(
    carried: impl IntoIterator<Item = &'a Summary>,
    made: &[std::sync::Arc<Summary>],
) -> bool {
    let mut ids: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut secrets: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    let mut routes: BTreeSet<&(String, String)> = BTreeSet::new();
    for summary in made {
        for (namespace, names) in &summary.ids {
            let taken = ids.entry(namespace).or_default();
            if names.iter().any(|id| !taken.insert(id)) {
                return true;
            }
        }
        for (namespace, written) in &summary.secrets {
            let writers = secrets.entry(namespace).or_default();
            for (secret, writer) in written {
                match writers.insert(secret, writer) {
                    Some(other) if other != writer => return true,
                    _ => {}
                }
            }
        }
        if summary.routes.iter().any(|route| !routes.insert(route)) {
            return true;
        }
    }
    carried.into_iter().any(|summary| {
        let taken = summary.ids.iter().any(|(namespace, names)| {
            ids.get(namespace.as_str())
                .is_some_and(|taken| names.iter().any(|id| taken.contains(id.as_str())))
        });
        let written = summary.secrets.iter().any(|(namespace, written)| {
            secrets.get(namespace.as_str()).is_some_and(|writers| {
                written.iter().any(|(secret, writer)| {
                    writers
                        .get(secret.as_str())
                        .is_some_and(|other| other != writer)
                })
            })
        });
        taken || written || summary.routes.iter().any(|route| routes.contains(route))
    })
}
