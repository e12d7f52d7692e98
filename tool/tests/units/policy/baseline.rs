use paved::policy::UnitContext;
use paved::policy::baseline::*;
use paved::render::Resource;
use serde_json::Value;
use serde_json::json;
use std::collections::BTreeSet;

fn resource(value: Value) -> Resource {
    Resource {
        value,
        template: "t.yaml".into(),
        written: Vec::new(),
    }
}

/// A Deployment that passes every rule, with its PDB.
fn good() -> Vec<Value> {
    let labels = json!({"app": "web"});
    vec![
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": false,
                        "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": labels}}],
                        "containers": [{
                            "name": "app",
                            "image": "registry.example.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "env": [{"name": "LOG_LEVEL", "value": "info"}],
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                            "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                        }],
                        "volumes": [{"name": "tmp", "emptyDir": {}}],
                    },
                },
            },
        }),
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader", "namespace": "shop"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader", "namespace": "shop"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}, "subjects": []}),
    ]
}

fn fired(values: Vec<Value>) -> BTreeSet<String> {
    let resources: Vec<Resource> = values.into_iter().map(resource).collect();
    let registries = vec!["registry.example.com".to_owned()];
    let context = UnitContext {
        registries: &registries,
        high_availability: true,
        reviewed: &[],
    };
    let mut findings = Vec::new();
    check(&resources, &context, &mut findings);
    findings.into_iter().map(|f| f.rule).collect()
}

const POD: &str = "/0/spec/template/spec";
const CONTAINER: &str = "/0/spec/template/spec/containers/0";

#[test]
fn the_good_workload_passes_every_rule() {
    assert_eq!(fired(good()), BTreeSet::new());
}

/// For each rule, a change to the good workload that breaks it.
#[test]
fn every_rule_fires_on_its_failing_case() {
    let cases: Vec<(&str, String, Value)> = vec![
        (
            "pss/host-namespaces",
            format!("{POD}/hostNetwork"),
            json!(true),
        ),
        (
            "pss/privileged",
            format!("{CONTAINER}/securityContext/privileged"),
            json!(true),
        ),
        (
            "pss/capabilities",
            format!("{CONTAINER}/securityContext/capabilities/add"),
            json!(["NET_ADMIN"]),
        ),
        (
            "pss/capabilities-drop-all",
            format!("{CONTAINER}/securityContext/capabilities/drop"),
            json!(["NET_RAW"]),
        ),
        (
            "pss/host-path",
            format!("{POD}/volumes/0"),
            json!({"name": "host", "hostPath": {"path": "/var"}}),
        ),
        (
            "pss/host-ports",
            format!("{CONTAINER}/ports/0/hostPort"),
            json!(8080),
        ),
        (
            "pss/apparmor",
            format!("{CONTAINER}/securityContext/appArmorProfile"),
            json!({"type": "Unconfined"}),
        ),
        (
            "pss/selinux",
            format!("{CONTAINER}/securityContext/seLinuxOptions"),
            json!({"type": "spc_t"}),
        ),
        (
            "pss/proc-mount",
            format!("{CONTAINER}/securityContext/procMount"),
            json!("Unmasked"),
        ),
        (
            "pss/seccomp",
            format!("{POD}/securityContext/seccompProfile/type"),
            json!("Unconfined"),
        ),
        (
            "pss/sysctls",
            format!("{POD}/securityContext/sysctls"),
            json!([{"name": "kernel.msgmax", "value": "1"}]),
        ),
        (
            "pss/privilege-escalation",
            format!("{CONTAINER}/securityContext/allowPrivilegeEscalation"),
            json!(true),
        ),
        (
            "pss/run-as-non-root",
            format!("{POD}/securityContext/runAsNonRoot"),
            json!(false),
        ),
        (
            "pss/run-as-user",
            format!("{CONTAINER}/securityContext/runAsUser"),
            json!(0),
        ),
        (
            "pss/volume-types",
            format!("{POD}/volumes/0"),
            json!({"name": "nfs", "nfs": {"server": "n", "path": "/"}}),
        ),
        (
            "workload/image-tag",
            format!("{CONTAINER}/image"),
            json!("registry.example.com/web:latest"),
        ),
        (
            "workload/image-registry",
            format!("{CONTAINER}/image"),
            json!("docker.io/library/web@sha256:00"),
        ),
        (
            "workload/image-digest",
            format!("{CONTAINER}/image"),
            json!("registry.example.com/web:1.2.3"),
        ),
        (
            "workload/requests",
            format!("{CONTAINER}/resources/requests"),
            json!({"cpu": "100m"}),
        ),
        (
            "workload/memory-limit",
            format!("{CONTAINER}/resources/limits"),
            json!({}),
        ),
        (
            "workload/probes",
            format!("{CONTAINER}/readinessProbe"),
            Value::Null,
        ),
        (
            "workload/secret-env",
            format!("{CONTAINER}/env/0"),
            json!({"name": "DB_PASSWORD", "value": "hunter2"}),
        ),
        (
            "workload/read-only-root",
            format!("{CONTAINER}/securityContext/readOnlyRootFilesystem"),
            json!(false),
        ),
        (
            "workload/service-account-token",
            format!("{POD}/automountServiceAccountToken"),
            json!(true),
        ),
        (
            "availability/replicas",
            "/0/spec/replicas".to_owned(),
            json!(1),
        ),
        (
            "availability/pdb",
            "/1/spec/selector/matchLabels".to_owned(),
            json!({"app": "other"}),
        ),
        (
            "availability/topology-spread",
            format!("{POD}/topologySpreadConstraints"),
            json!([]),
        ),
        ("rbac/wildcard", "/2/rules/0/verbs".to_owned(), json!(["*"])),
        (
            "rbac/cluster-admin",
            "/3/roleRef".to_owned(),
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}),
        ),
    ];
    let mut covered = BTreeSet::new();
    for (rule, pointer, value) in cases {
        let mut values = Value::Array(good());
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match values
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("{pointer}"))
        {
            Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            _ => panic!("{pointer}"),
        }
        let found = fired(values.as_array().unwrap().clone());
        assert!(
            found.contains(rule),
            "{rule} did not fire; fired: {found:?}"
        );
        covered.insert(rule);
    }
    // An HPA that scales a workload that also sets replicas.
    let mut values = good();
    values.push(json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 3, "maxReplicas": 6}}));
    assert!(fired(values).contains("availability/hpa-static-replicas"));
    // A secret the golden paths pass through a ConfigMap and `envFrom`.
    let mut values = good();
    values[0]["spec"]["template"]["spec"]["containers"][0]["envFrom"] =
        json!([{"configMapRef": {"name": "web-env"}}]);
    values.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-env", "namespace": "shop"}, "data": {"LOG_LEVEL": "info"}}));
    assert!(!fired(values.clone()).contains("workload/secret-env"));
    values[4]["data"]["DB_PASSWORD"] = json!("hunter2");
    assert!(fired(values).contains("workload/secret-env"));
    covered.insert("availability/hpa-static-replicas");
    let all: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(covered, all, "every rule has a failing case");
}
