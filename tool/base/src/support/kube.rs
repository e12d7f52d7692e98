//! Facts about Kubernetes kinds that every stage relies on.

/// Where a kind keeps its pod template, when it runs pods through one.
pub fn pod_template_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// Kinds that have no namespace. Service units may not emit them.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "IngressClass",
    "PersistentVolume",
    "ClusterSecretStore",
    "ClusterIssuer",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "APIService",
    "CertificateSigningRequest",
    "CSIDriver",
    "CSINode",
    "Node",
    "RuntimeClass",
    "VolumeAttachment",
    "FlowSchema",
    "PriorityLevelConfiguration",
];

/// Whether resources of `kind` have no namespace. Kinds named `Cluster...`
/// (ClusterRole, ClusterIssuer, ClusterExternalSecret, ...) are
/// cluster-wide by convention, whoever defines them.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
        || kind
            .strip_prefix("Cluster")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The Kubernetes minor versions paved has API schemas for, oldest first
/// (`check::kubernetes` holds the schemas).
pub const KUBERNETES_VERSIONS: &[&str] = &["1.33", "1.34", "1.35", "1.36", "1.37"];

/// A DNS-1123 subdomain (most object names).
pub const SUBDOMAIN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// A DNS-1123 label (namespaces, container and volume names).
pub const LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// A DNS-1035 label (Service names).
pub const LABEL_1035: &str = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

/// A port name (IANA service name): at most 15 characters, a letter among them.
pub const PORT_NAME: &str = "^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// A label or annotation key: an optional DNS prefix and a name.
pub const QUALIFIED_NAME: &str = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";

/// A label value.
pub const LABEL_VALUE: &str = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";

/// A resource quantity, as the API server parses it.
pub const QUANTITY: &str =
    "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(([KMGTPE]i)|[mkMGTPE]|[eE][+-]?[0-9]+)?$";
