//! Every kind paved can check: the built-in Kubernetes kinds of each
//! cluster's Kubernetes version, the custom resources of the CRDs under
//! `platform/crds/` (served versions only), and the claim kinds the
//! resource classes' CompositeResourceDefinitions define. A CRD file is
//! itself checked against the built-in CRD schema.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::kubernetes::{self, Schemas, compile};
use crate::diagnostic::{Diagnostic, Location};
use crate::input::findings::schema_findings;
use crate::input::repo::Repo;
use crate::support::hash::Fingerprint;
use crate::support::kube::KUBERNETES_VERSIONS;

/// What paved knows about one kind.
pub struct KindInfo<'a> {
    pub namespaced: bool,
    pub schema: &'a Value,
    pub validator: Result<&'a jsonschema::Validator, &'a str>,
}

struct Custom {
    namespaced: bool,
    schema: Value,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
    /// The CRD file that declares it.
    file: String,
}

/// The schemas of one run: built-ins plus the repository's CRDs.
pub struct Catalog {
    custom: HashMap<(String, String), Custom>,
    /// The built-in kinds of the platform's Kubernetes version.
    platform: &'static Schemas,
    /// Those of each cluster that runs another version.
    clusters: HashMap<String, &'static Schemas>,
    /// A fingerprint of everything above: two catalogs with the same
    /// identity check every resource alike.
    identity: String,
}

impl Catalog {
    /// Reads the CRDs of `repo`, reporting any that are malformed.
    pub fn new(repo: &Repo) -> (Catalog, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut custom = HashMap::new();
        // Inputs name only supported versions (checked with the intents);
        // fall back to the newest rather than fail.
        let schemas = |version: &str| {
            Schemas::of(version)
                .or_else(|| KUBERNETES_VERSIONS.last().and_then(|v| Schemas::of(v)))
                .expect("paved has schemas for at least one Kubernetes version")
        };
        let platform = schemas(&repo.platform.value.kubernetes_version);
        let clusters = repo
            .environments
            .iter()
            .flat_map(|env| &env.value.clusters)
            .filter_map(|(name, cluster)| {
                let version = cluster.kubernetes_version.as_deref()?;
                Some((name.clone(), schemas(version)))
            })
            .collect();
        let crd_kind = platform
            .get("apiextensions.k8s.io/v1", "CustomResourceDefinition")
            .expect("the CRD kind is built in");
        for file in &repo.crds {
            for doc in &file.docs {
                if doc.value["kind"] != "CustomResourceDefinition" {
                    diagnostics.push(
                        Diagnostic::error(
                            "only CustomResourceDefinitions belong in `platform/crds/`",
                        )
                        .at(locate(doc, &file.path, "/kind"))
                        .help("put other cluster-wide resources in `platform/templates/`"),
                    );
                    continue;
                }
                if let Ok(validator) = crd_kind.validator() {
                    let findings = schema_findings(validator, crd_kind.schema(), &doc.value, "");
                    if !findings.is_empty() {
                        diagnostics.extend(findings.into_iter().map(|f| f.at(&file.path, doc)));
                        continue;
                    }
                }
                let spec = &doc.value["spec"];
                let group = spec["group"].as_str().unwrap_or_default();
                let kind = spec["names"]["kind"].as_str().unwrap_or_default();
                let namespaced = spec["scope"] == "Namespaced";
                for (index, version) in spec["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if version["served"] != true {
                        continue;
                    }
                    let name = version["name"].as_str().unwrap_or_default();
                    let api_version = format!("{group}/{name}");
                    let Some(open_api) = version.pointer("/schema/openAPIV3Schema") else {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "version `{name}` of `{kind}` has no `schema.openAPIV3Schema`"
                            ))
                            .at(locate(doc, &file.path, &format!("/spec/versions/{index}")))
                            .help("without a schema its resources cannot be checked"),
                        );
                        continue;
                    };
                    let key = (api_version.clone(), kind.to_owned());
                    if let Some(existing) = custom.get(&key) {
                        let Custom { file: first, .. } = existing;
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`{kind}` ({api_version}) is also defined in `{first}`"
                            ))
                            .at(locate(
                                doc,
                                &file.path,
                                "/spec/names/kind",
                            )),
                        );
                        continue;
                    }
                    let schema = kubernetes::custom_resource_schema(
                        open_api,
                        &api_version,
                        kind,
                        platform.object_meta(),
                    );
                    // Compiled here, so that a schema that is not one is
                    // reported at its CRD, not at each resource of the kind.
                    let compiled = compile(&schema);
                    if let Err(error) = &compiled {
                        let pointer = format!("/spec/versions/{index}/schema/openAPIV3Schema");
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "the schema of `{kind}` ({api_version}) is not a valid schema: {error}"
                            ))
                            .at(locate(doc, &file.path, &pointer))
                            .help("fix the CRD: its resources cannot be checked against it"),
                        );
                        continue;
                    }
                    custom.insert(
                        key,
                        Custom {
                            namespaced,
                            schema,
                            validator: OnceLock::from(compiled),
                            file: file.path.clone(),
                        },
                    );
                }
            }
        }
        // The claim kinds of the resource classes' XRDs, as Crossplane
        // serves them: the XRD's schema with the claim fields it adds.
        for class in repo.resource_classes.values() {
            let xrd = crate::render::crossplane::xrd(class, "");
            let spec = &xrd["spec"];
            let group = spec["group"].as_str().unwrap_or_default();
            let kind = spec["claimNames"]["kind"].as_str().unwrap_or_default();
            for version in spec["versions"].as_array().into_iter().flatten() {
                let Some(open_api) = version.pointer("/schema/openAPIV3Schema") else {
                    continue;
                };
                let api_version =
                    format!("{group}/{}", version["name"].as_str().unwrap_or_default());
                let claim = crate::render::crossplane::claim_schema(open_api);
                let schema = kubernetes::custom_resource_schema(
                    &claim,
                    &api_version,
                    kind,
                    platform.object_meta(),
                );
                let key = (api_version.clone(), kind.to_owned());
                if let Some(existing) = custom.get(&key) {
                    let Custom { file: first, .. } = existing;
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "`{kind}` ({api_version}) is also defined in `{first}`"
                        ))
                        .at(locate(
                            &class.file.doc,
                            &class.file.path,
                            "/claim/kind",
                        )),
                    );
                    continue;
                }
                let compiled = compile(&schema);
                if let Err(error) = &compiled {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "the claim schema of `{kind}` ({api_version}) is not a valid schema: {error}"
                        ))
                        .at(locate(&class.file.doc, &class.file.path, "/options")),
                    );
                    continue;
                }
                custom.insert(
                    key,
                    Custom {
                        namespaced: true,
                        schema,
                        validator: OnceLock::from(compiled),
                        file: class.file.path.clone(),
                    },
                );
            }
        }
        let identity = identity(repo, platform, &clusters);
        let catalog = Catalog {
            custom,
            platform,
            clusters,
            identity,
        };
        (catalog, diagnostics)
    }

    /// A fingerprint of the kinds this catalog knows and their schemas, in
    /// every cluster: what a clean resource was found clean against.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The built-in kinds of the Kubernetes version `cluster` runs.
    pub fn kubernetes(&self, cluster: &str) -> &'static Schemas {
        self.clusters.get(cluster).copied().unwrap_or(self.platform)
    }

    /// The kind `apiVersion`/`kind` in `cluster`, if paved knows it.
    pub fn get(&self, cluster: &str, api_version: &str, kind: &str) -> Option<KindInfo<'_>> {
        if let Some(builtin) = self.kubernetes(cluster).get(api_version, kind) {
            return Some(KindInfo {
                namespaced: builtin.namespaced,
                schema: builtin.schema(),
                validator: builtin.validator(),
            });
        }
        let custom = self
            .custom
            .get(&(api_version.to_owned(), kind.to_owned()))?;
        Some(KindInfo {
            namespaced: custom.namespaced,
            schema: &custom.schema,
            validator: custom
                .validator
                .get_or_init(|| compile(&custom.schema))
                .as_ref()
                .map_err(String::as_str),
        })
    }

    /// Every apiVersion paved knows for `kind` in `cluster`, to suggest one.
    pub fn versions_of(&self, cluster: &str, kind: &str) -> Vec<String> {
        let mut versions: Vec<String> = self
            .kubernetes(cluster)
            .versions_of(kind)
            .map(str::to_owned)
            .chain(
                self.custom
                    .keys()
                    .filter(|(_, k)| k == kind)
                    .map(|(v, _)| v.clone()),
            )
            .collect();
        versions.sort();
        versions
    }
}

/// The catalog's fingerprint: built from the Kubernetes versions, the
/// CRD files and the resource class files alone.
fn identity(
    repo: &Repo,
    platform: &Schemas,
    clusters: &HashMap<String, &'static Schemas>,
) -> String {
    let mut hash = Fingerprint::default();
    hash.add_text(platform.version);
    let mut clusters: Vec<(&String, &&Schemas)> = clusters.iter().collect();
    clusters.sort_by_key(|(name, _)| *name);
    for (name, schemas) in clusters {
        hash.add_text(name).add_text(schemas.version);
    }
    for file in &repo.crds {
        hash.add_text(&file.path);
        for doc in &file.docs {
            hash.add_json(&doc.value);
        }
    }
    for class in repo.resource_classes.values() {
        hash.add_text(&class.file.path)
            .add_json(&class.file.doc.value);
    }
    hash.finish()
}

fn locate(doc: &crate::input::yaml::Document, file: &str, pointer: &str) -> Location {
    match doc.span_for(pointer, false) {
        Some(span) => Location::at(file, span),
        None => Location::file(file),
    }
}
