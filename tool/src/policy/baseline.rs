//! The built-in baseline: the Kubernetes Pod Security Standards (baseline
//! and restricted), workload hygiene, availability and RBAC. Rule IDs are
//! stable: they are never renamed, so exceptions and environment settings
//! that name them keep working.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Finding, UnitContext};
use crate::input::model::RuleSeverity;
use crate::render::Resource;

/// A built-in rule.
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    /// Why it matters.
    pub description: &'static str,
    /// How to fix a finding.
    pub help: &'static str,
    pub severity: RuleSeverity,
}

macro_rules! rules {
    ($($id:literal, $severity:ident, $title:literal, $description:literal, $help:literal;)*) => {
        /// Every built-in rule.
        pub const RULES: &[Rule] = &[$(Rule {
            id: $id,
            title: $title,
            description: $description,
            help: $help,
            severity: RuleSeverity::$severity,
        }),*];
    };
}

rules! {
    "pss/host-namespaces", Error, "Pods do not share the node's namespaces",
        "hostNetwork, hostPID and hostIPC give a pod the node's network, processes or shared memory (Pod Security baseline).",
        "Remove `hostNetwork`, `hostPID` and `hostIPC`, or set them to false.";
    "pss/privileged", Error, "Containers are not privileged",
        "A privileged container has every capability of the node's root user (Pod Security baseline).",
        "Remove `securityContext.privileged` or set it to false.";
    "pss/capabilities", Error, "Containers add no capabilities beyond the baseline set",
        "Capabilities beyond the baseline set (such as NET_ADMIN or SYS_ADMIN) let a container act on the node (Pod Security baseline).",
        "Remove the capability from `securityContext.capabilities.add`.";
    "pss/capabilities-drop-all", Error, "Containers drop all capabilities",
        "Restricted pods drop ALL capabilities and may add back only NET_BIND_SERVICE (Pod Security restricted).",
        "Set `securityContext.capabilities.drop: [ALL]` on every container.";
    "pss/host-path", Error, "Pods mount no hostPath volumes",
        "A hostPath volume exposes the node's file system to the pod (Pod Security baseline).",
        "Use an emptyDir, configMap, secret or persistentVolumeClaim volume instead.";
    "pss/host-ports", Error, "Containers use no host ports",
        "A host port binds the node's network interface (Pod Security baseline).",
        "Remove `hostPort`; reach the pod through a Service.";
    "pss/apparmor", Error, "AppArmor is not disabled",
        "An Unconfined AppArmor profile removes a layer of isolation (Pod Security baseline).",
        "Remove the Unconfined AppArmor profile, or use RuntimeDefault.";
    "pss/selinux", Error, "SELinux options stay within the allowed set",
        "Custom SELinux users, roles or types can escape the container's confinement (Pod Security baseline).",
        "Remove `seLinuxOptions.user` and `.role`, and use a container type such as container_t.";
    "pss/proc-mount", Error, "/proc is masked as usual",
        "An Unmasked /proc mount exposes the node's kernel settings (Pod Security baseline).",
        "Remove `procMount` or set it to Default.";
    "pss/seccomp", Error, "A seccomp profile is set",
        "Without a RuntimeDefault or Localhost seccomp profile every system call is allowed (Pod Security restricted).",
        "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.";
    "pss/sysctls", Error, "Only safe sysctls are set",
        "Unsafe sysctls change kernel settings shared with other pods (Pod Security baseline).",
        "Remove the sysctl, or use one of the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, ...).";
    "pss/privilege-escalation", Error, "Containers cannot escalate privileges",
        "allowPrivilegeEscalation lets a process gain more privileges than its parent, through setuid binaries (Pod Security restricted).",
        "Set `securityContext.allowPrivilegeEscalation: false` on every container.";
    "pss/run-as-non-root", Error, "Containers run as a non-root user",
        "A container running as root is one kernel bug away from root on the node (Pod Security restricted).",
        "Set `securityContext.runAsNonRoot: true` on the pod (and a non-zero `runAsUser`).";
    "pss/run-as-user", Error, "No container runs as user 0",
        "runAsUser: 0 is root (Pod Security restricted).",
        "Set `runAsUser` to a non-zero user ID, such as 10001.";
    "pss/volume-types", Error, "Pods use only restricted volume types",
        "Restricted pods use configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes only (Pod Security restricted).",
        "Replace the volume with one of the allowed types.";
    "workload/image-tag", Error, "Images are pinned to a version",
        "An image without a tag, or tagged `latest`, changes under the same manifest: the cluster no longer runs what was reviewed.",
        "Pin a version with `tag:` or, better, `digest:` in the intent.";
    "workload/image-registry", Error, "Images come from an allowed registry",
        "Only the registries the platform trusts (platform.yaml `registries`) are scanned and mirrored.",
        "Push the image to an allowed registry and point `image:` at it.";
    "workload/image-digest", Off, "Images are pinned by digest",
        "A tag can be moved to another image; a digest cannot.",
        "Set `digest: sha256:...` instead of `tag:` for this environment.";
    "workload/requests", Error, "Containers request CPU and memory",
        "Without requests the scheduler cannot place pods well and quotas cannot be enforced.",
        "Set `size:` or `resources.cpu` and `resources.memory` in the intent.";
    "workload/memory-limit", Error, "Containers have a memory limit",
        "A container without a memory limit can take the node's memory from every other pod.",
        "Set `size:` or `resources.memory` (the limit follows the request).";
    "workload/probes", Warning, "Long-running containers have readiness and liveness probes",
        "Without probes, traffic reaches pods that are not ready and hung pods are never restarted.",
        "Set `health.readiness` and `health.liveness` in the intent.";
    "workload/secret-env", Error, "No secret is written in plain environment variables",
        "A value written in a manifest is visible to everyone who can read the repository or the cluster.",
        "Move the value to the secret store and reference it under `secrets:` in the intent.";
    "workload/read-only-root", Warning, "Containers have a read-only root file system",
        "A writable root file system lets an intruder change the container's binaries.",
        "Set `securityContext.readOnlyRootFilesystem: true`; mount an emptyDir where the app writes.";
    "workload/service-account-token", Warning, "Pods do not mount an API token they do not need",
        "A mounted service-account token lets anyone who breaks into the pod call the Kubernetes API.",
        "Set `automountServiceAccountToken: false` (the golden paths do, unless `serviceAccountToken: true`).";
    "availability/replicas", Error, "Workloads run at least two replicas where high availability is required",
        "A single replica is down during every deployment and node drain.",
        "Set `replicas: 2` or more, or `autoscaling.minReplicas: 2` or more.";
    "availability/pdb", Warning, "Replicated workloads have a PodDisruptionBudget",
        "Without a disruption budget a node drain can stop every replica at once.",
        "Add a PodDisruptionBudget selecting the workload's pods (the golden paths do in high-availability environments).";
    "availability/topology-spread", Warning, "Replicas are spread across zones and nodes",
        "Replicas on one node or zone all fail together.",
        "Add `topologySpreadConstraints` (or pod anti-affinity) to the pod template.";
    "availability/hpa-static-replicas", Warning, "Autoscaled workloads leave `replicas` to the autoscaler",
        "A Deployment with both `replicas` and an HPA is scaled back on every sync.",
        "Remove `spec.replicas` from workloads an HPA scales.";
    "rbac/wildcard", Error, "Roles grant no wildcard permissions",
        "`*` in verbs, resources or API groups grants today's and tomorrow's permissions alike.",
        "List the verbs, resources and API groups the role needs.";
    "rbac/cluster-admin", Error, "Nothing is bound to cluster-admin",
        "cluster-admin can do anything in the cluster.",
        "Bind a narrower role.";
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The pod spec of a workload, and where it is.
fn pod_spec(resource: &Resource) -> Option<(&Value, String)> {
    let pointer = match resource.kind() {
        "Pod" => "/spec".to_owned(),
        kind => format!("{}/spec", crate::support::kube::pod_template_pointer(kind)?),
    };
    resource.value.pointer(&pointer).map(|spec| (spec, pointer))
}

fn long_running(kind: &str) -> bool {
    !matches!(kind, "Job" | "CronJob" | "Pod")
}

/// Every container of a pod spec, with its pointer.
fn containers<'a>(spec: &'a Value, base: &str) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for (index, container) in spec[list].as_array().into_iter().flatten().enumerate() {
            out.push((format!("{base}/{list}/{index}"), container));
        }
    }
    out
}

/// Checks one unit's resources against every built-in rule.
pub fn check(resources: &[Resource], context: &UnitContext<'_>, out: &mut Vec<Finding>) {
    for (index, resource) in resources.iter().enumerate() {
        let mut finding = |rule: &'static str, pointer: String, message: String| {
            out.push(Finding::new(rule, index, pointer, message));
        };
        if let Some((spec, base)) = pod_spec(resource) {
            pod_rules(resource, spec, &base, context, &mut finding);
            availability_rules(resources, resource, spec, context, &mut finding);
        }
        rbac_rules(resource, &mut finding);
    }
    secret_env(resources, context, out);
}

/// `workload/secret-env`: a container's environment holds a value that
/// looks like a secret, written in the manifest (`env[].value`) or read
/// from a ConfigMap of the unit (`envFrom`, `configMapKeyRef`), which is
/// how the golden paths pass `env:`. Reported at the value.
fn secret_env(resources: &[Resource], context: &UnitContext<'_>, out: &mut Vec<Finding>) {
    let reviewed = |name: &str| context.reviewed.iter().any(|key| key == name);
    let config_map = |name: &str| {
        resources
            .iter()
            .position(|r| r.kind() == "ConfigMap" && r.name() == name)
    };
    let mut seen = BTreeSet::new();
    for (index, resource) in resources.iter().enumerate() {
        let Some((spec, base)) = pod_spec(resource) else {
            continue;
        };
        for (pointer, container) in containers(spec, &base) {
            let container_name = container["name"].as_str().unwrap_or_default();
            for (e, var) in container["env"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let name = var["name"].as_str().unwrap_or_default();
                if let Some(value) = var["value"].as_str()
                    && !reviewed(name)
                    && let Some(reason) = crate::support::secrets::detect(Some(name), value)
                {
                    out.push(Finding::new(
                        "workload/secret-env",
                        index,
                        format!("{pointer}/env/{e}/value"),
                        format!(
                            "`{name}` is set to a plain value that looks like a secret: {}",
                            reason.describe()
                        ),
                    ));
                }
                if let Some(reference) = var.pointer("/valueFrom/configMapKeyRef")
                    && let (Some(map), Some(key)) =
                        (reference["name"].as_str(), reference["key"].as_str())
                    && let Some(at) = config_map(map)
                {
                    let value = resources[at].value["data"][key]
                        .as_str()
                        .unwrap_or_default();
                    if !reviewed(name)
                        && seen.insert((at, key.to_owned()))
                        && let Some(reason) = crate::support::secrets::detect(Some(name), value)
                            .or_else(|| crate::support::secrets::detect(Some(key), value))
                    {
                        out.push(Finding::new(
                            "workload/secret-env",
                            at,
                            crate::support::pointer::pointer_push("/data", key),
                            format!("`{name}` of container `{container_name}` comes from a plain ConfigMap value that looks like a secret: {}", reason.describe()),
                        ));
                    }
                }
            }
            for source in container["envFrom"].as_array().into_iter().flatten() {
                let Some(at) = source["configMapRef"]["name"].as_str().and_then(config_map) else {
                    continue;
                };
                let prefix = source["prefix"].as_str().unwrap_or_default();
                for (key, value) in resources[at].value["data"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    let name = format!("{prefix}{key}");
                    let Some(value) = value.as_str() else {
                        continue;
                    };
                    if reviewed(key) || !seen.insert((at, key.clone())) {
                        continue;
                    }
                    if let Some(reason) = crate::support::secrets::detect(Some(&name), value) {
                        out.push(Finding::new(
                            "workload/secret-env",
                            at,
                            crate::support::pointer::pointer_push("/data", key),
                            format!("`{name}` of container `{container_name}` comes from a plain ConfigMap value that looks like a secret: {}", reason.describe()),
                        ));
                    }
                }
            }
        }
    }
}

fn pod_rules(
    resource: &Resource,
    spec: &Value,
    base: &str,
    context: &UnitContext<'_>,
    finding: &mut impl FnMut(&'static str, String, String),
) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[field] == true {
            finding(
                "pss/host-namespaces",
                format!("{base}/{field}"),
                format!("the pod sets `{field}: true`"),
            );
        }
    }
    let pod_context = &spec["securityContext"];
    for (index, volume) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
        let pointer = format!("{base}/volumes/{index}");
        if volume.get("hostPath").is_some() {
            finding(
                "pss/host-path",
                format!("{pointer}/hostPath"),
                format!(
                    "volume `{}` mounts a host path",
                    volume["name"].as_str().unwrap_or_default()
                ),
            );
        }
        let kind = volume
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "name"));
        if let Some(kind) = kind
            && !RESTRICTED_VOLUMES.contains(&kind.as_str())
            && kind != "hostPath"
        {
            finding(
                "pss/volume-types",
                format!("{pointer}/{kind}"),
                format!(
                    "volume `{}` is of type `{kind}`",
                    volume["name"].as_str().unwrap_or_default()
                ),
            );
        }
    }
    for (index, sysctl) in pod_context["sysctls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = sysctl["name"].as_str().unwrap_or_default();
        if !SAFE_SYSCTLS.contains(&name) {
            finding(
                "pss/sysctls",
                format!("{base}/securityContext/sysctls/{index}/name"),
                format!("sysctl `{name}` is not in the safe set"),
            );
        }
    }
    let pod_seccomp = pod_context["seccompProfile"]["type"].as_str();
    let pod_non_root = pod_context["runAsNonRoot"] == true;
    if pod_context["runAsUser"] == 0 {
        finding(
            "pss/run-as-user",
            format!("{base}/securityContext/runAsUser"),
            "the pod runs as user 0 (root)".into(),
        );
    }
    check_selinux(
        &pod_context["seLinuxOptions"],
        &format!("{base}/securityContext/seLinuxOptions"),
        finding,
    );
    check_apparmor(
        &pod_context["appArmorProfile"],
        &format!("{base}/securityContext/appArmorProfile"),
        finding,
    );
    if pod_seccomp == Some("Unconfined") {
        finding(
            "pss/seccomp",
            format!("{base}/securityContext/seccompProfile/type"),
            "the pod's seccomp profile is Unconfined".into(),
        );
    }
    let token = spec["automountServiceAccountToken"].as_bool();
    if token != Some(false) {
        finding(
            "workload/service-account-token",
            format!("{base}/automountServiceAccountToken"),
            "the pod mounts a Kubernetes API token".into(),
        );
    }

    for (pointer, container) in containers(spec, base) {
        let name = container["name"].as_str().unwrap_or_default();
        let security = &container["securityContext"];
        let init = pointer.contains("/initContainers/");
        let ephemeral = pointer.contains("/ephemeralContainers/");
        if security["privileged"] == true {
            finding(
                "pss/privileged",
                format!("{pointer}/securityContext/privileged"),
                format!("container `{name}` is privileged"),
            );
        }
        let added: Vec<&str> = security["capabilities"]["add"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for capability in &added {
            if !BASELINE_CAPABILITIES.contains(capability) {
                finding(
                    "pss/capabilities",
                    format!("{pointer}/securityContext/capabilities/add"),
                    format!("container `{name}` adds capability `{capability}`"),
                );
            }
        }
        let drops_all = security["capabilities"]["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|c| c == "ALL"));
        if !drops_all || added.iter().any(|c| *c != "NET_BIND_SERVICE") {
            finding(
                "pss/capabilities-drop-all",
                format!("{pointer}/securityContext/capabilities"),
                format!(
                    "container `{name}` does not drop ALL capabilities (or adds more than NET_BIND_SERVICE)"
                ),
            );
        }
        for (p, port) in container["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if port["hostPort"].as_i64().is_some_and(|h| h != 0) {
                finding(
                    "pss/host-ports",
                    format!("{pointer}/ports/{p}/hostPort"),
                    format!("container `{name}` binds host port {}", port["hostPort"]),
                );
            }
        }
        if security["procMount"]
            .as_str()
            .is_some_and(|m| m != "Default")
        {
            finding(
                "pss/proc-mount",
                format!("{pointer}/securityContext/procMount"),
                format!("container `{name}` unmasks /proc"),
            );
        }
        check_selinux(
            &security["seLinuxOptions"],
            &format!("{pointer}/securityContext/seLinuxOptions"),
            finding,
        );
        check_apparmor(
            &security["appArmorProfile"],
            &format!("{pointer}/securityContext/appArmorProfile"),
            finding,
        );
        let seccomp = security["seccompProfile"]["type"].as_str().or(pod_seccomp);
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            finding(
                "pss/seccomp",
                format!("{pointer}/securityContext/seccompProfile"),
                format!("container `{name}` has no RuntimeDefault or Localhost seccomp profile"),
            );
        }
        if security["allowPrivilegeEscalation"] != false {
            finding(
                "pss/privilege-escalation",
                format!("{pointer}/securityContext/allowPrivilegeEscalation"),
                format!("container `{name}` may escalate privileges"),
            );
        }
        let non_root = security["runAsNonRoot"].as_bool().unwrap_or(pod_non_root);
        if !non_root {
            finding(
                "pss/run-as-non-root",
                format!("{pointer}/securityContext/runAsNonRoot"),
                format!("container `{name}` may run as root"),
            );
        }
        if security["runAsUser"] == 0 {
            finding(
                "pss/run-as-user",
                format!("{pointer}/securityContext/runAsUser"),
                format!("container `{name}` runs as user 0 (root)"),
            );
        }
        if ephemeral {
            continue;
        }
        // Images.
        let image = container["image"].as_str().unwrap_or_default();
        let (reference, digest) = match image.split_once('@') {
            Some((reference, digest)) => (reference, Some(digest)),
            None => (image, None),
        };
        let last = reference.rsplit('/').next().unwrap_or(reference);
        let tag = last.split_once(':').map(|(_, tag)| tag);
        if digest.is_none() && matches!(tag, None | Some("latest")) {
            finding(
                "workload/image-tag",
                format!("{pointer}/image"),
                format!("image `{image}` is not pinned to a version"),
            );
        }
        if digest.is_none() {
            finding(
                "workload/image-digest",
                format!("{pointer}/image"),
                format!("image `{image}` is not pinned by digest"),
            );
        }
        if !crate::input::intents::allowed_registry(image, context.registries) {
            finding(
                "workload/image-registry",
                format!("{pointer}/image"),
                format!("image `{image}` is not from an allowed registry"),
            );
        }
        // Resources.
        let resources = &container["resources"];
        if resources["requests"]["cpu"].is_null() || resources["requests"]["memory"].is_null() {
            finding(
                "workload/requests",
                format!("{pointer}/resources/requests"),
                format!("container `{name}` does not request both CPU and memory"),
            );
        }
        if resources["limits"]["memory"].is_null() {
            finding(
                "workload/memory-limit",
                format!("{pointer}/resources/limits"),
                format!("container `{name}` has no memory limit"),
            );
        }
        if !init && long_running(resource.kind()) {
            for probe in ["readinessProbe", "livenessProbe"] {
                if container[probe].is_null() {
                    finding(
                        "workload/probes",
                        format!("{pointer}/{probe}"),
                        format!("container `{name}` has no {probe}"),
                    );
                }
            }
        }
        if security["readOnlyRootFilesystem"] != true {
            finding(
                "workload/read-only-root",
                format!("{pointer}/securityContext/readOnlyRootFilesystem"),
                format!("container `{name}` can write to its root file system"),
            );
        }
    }
}

fn check_selinux(
    options: &Value,
    pointer: &str,
    finding: &mut impl FnMut(&'static str, String, String),
) {
    if !options["user"].is_null() || !options["role"].is_null() {
        finding(
            "pss/selinux",
            pointer.to_owned(),
            "SELinux user or role is set".into(),
        );
    }
    if let Some(kind) = options["type"].as_str()
        && !SELINUX_TYPES.contains(&kind)
    {
        finding(
            "pss/selinux",
            format!("{pointer}/type"),
            format!("SELinux type `{kind}` is not allowed"),
        );
    }
}

fn check_apparmor(
    profile: &Value,
    pointer: &str,
    finding: &mut impl FnMut(&'static str, String, String),
) {
    if profile["type"] == "Unconfined" {
        finding(
            "pss/apparmor",
            format!("{pointer}/type"),
            "the AppArmor profile is Unconfined".into(),
        );
    }
}

/// Whether `selector` (`matchLabels` only) selects pods labelled `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(wanted) = selector["matchLabels"].as_object() else {
        return false;
    };
    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn availability_rules(
    resources: &[Resource],
    resource: &Resource,
    spec: &Value,
    context: &UnitContext<'_>,
    finding: &mut impl FnMut(&'static str, String, String),
) {
    if !matches!(resource.kind(), "Deployment" | "StatefulSet") {
        return;
    }
    let name = resource.name();
    let hpa = resources.iter().find(|r| {
        r.kind() == "HorizontalPodAutoscaler"
            && r.value["spec"]["scaleTargetRef"]["kind"] == resource.kind()
            && r.value["spec"]["scaleTargetRef"]["name"] == name
    });
    if hpa.is_some() && !resource.value["spec"]["replicas"].is_null() {
        finding(
            "availability/hpa-static-replicas",
            "/spec/replicas".into(),
            format!("`{name}` sets `replicas` and is scaled by an HPA"),
        );
    }
    let replicas = match hpa {
        Some(hpa) => hpa.value["spec"]["minReplicas"].as_u64().unwrap_or(1),
        None => resource.value["spec"]["replicas"].as_u64().unwrap_or(1),
    };
    if context.high_availability && replicas < 2 {
        finding(
            "availability/replicas",
            if hpa.is_some() {
                "/spec".into()
            } else {
                "/spec/replicas".into()
            },
            format!(
                "`{name}` runs {replicas} replica in an environment that requires high availability"
            ),
        );
    }
    if replicas < 2 {
        return;
    }
    let labels = resource
        .value
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or(Value::Null);
    let budget = resources.iter().any(|r| {
        r.kind() == "PodDisruptionBudget" && selects(&r.value["spec"]["selector"], &labels)
    });
    if !budget {
        finding(
            "availability/pdb",
            "/spec".into(),
            format!("no PodDisruptionBudget covers `{name}`"),
        );
    }
    let spread = spec["topologySpreadConstraints"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
        || !spec["affinity"]["podAntiAffinity"].is_null();
    if !spread {
        finding(
            "availability/topology-spread",
            "/spec/template/spec/topologySpreadConstraints".into(),
            format!("`{name}`'s replicas are not spread across nodes or zones"),
        );
    }
}

fn rbac_rules(resource: &Resource, finding: &mut impl FnMut(&'static str, String, String)) {
    match resource.kind() {
        "Role" | "ClusterRole" => {
            for (index, rule) in resource.value["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                for field in ["verbs", "resources", "apiGroups"] {
                    let wild: BTreeSet<&str> = rule[field]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|v| *v == "*")
                        .collect();
                    if !wild.is_empty() {
                        finding(
                            "rbac/wildcard",
                            format!("/rules/{index}/{field}"),
                            format!("rule {index} grants `*` {field}"),
                        );
                    }
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding"
            if resource.value["roleRef"]["name"] == "cluster-admin"
                && resource.value["roleRef"]["kind"] == "ClusterRole" =>
        {
            finding(
                "rbac/cluster-admin",
                "/roleRef/name".into(),
                "binds cluster-admin".into(),
            );
        }
        _ => {}
    }
}
