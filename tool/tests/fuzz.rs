//! Fuzzing within `cargo test`: thousands of hostile and careless inputs,
//! generated from a fixed seed so that every run tries the same ones, over
//! the YAML loader, the whole pipeline from intents to post-processed
//! resources, and patches applied to real rendered resources. Every case
//! must end in success or in diagnostics that name a file: never a panic,
//! never a hang.
//!
//! `PAVED_FUZZ_CASES=<n>` multiplies the budget and `PAVED_FUZZ_SEED=<n>`
//! picks other cases, for a longer hunt:
//!
//! ```sh
//! PAVED_FUZZ_CASES=50 PAVED_FUZZ_SEED=7 cargo test --release fuzz::
//! ```
//!
//! The generator is a few lines of PRNG rather than proptest: it shrinks
//! nothing, but costs no build time, and a failing case prints its input.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use paved::diagnostic::Diagnostic;
use paved::input::source::{MemoryFile, MemoryTree};
use serde_json::{Map, Value, json};

use crate::support::repo_root;

/// A small, fast, well-mixed PRNG (SplitMix64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How many cases each target runs: the default budget times
/// `PAVED_FUZZ_CASES` (1 unless set).
fn budget(default: usize) -> usize {
    let factor = std::env::var("PAVED_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1);
    default * factor.max(1)
}

fn seed(target: u64) -> u64 {
    let base = std::env::var("PAVED_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(2026);
    base.wrapping_mul(1_000_003).wrapping_add(target)
}

/// A case taking this long is a hang, not a slow machine: every case
/// normally takes milliseconds.
const HANG: Duration = Duration::from_secs(60);

/// Runs `case`, turning a panic or a hang into a test failure that shows
/// the input.
fn run_case<T>(what: &str, input: &dyn std::fmt::Debug, case: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(case));
    let elapsed = started.elapsed();
    match outcome {
        Ok(value) => {
            assert!(elapsed < HANG, "{what} took {elapsed:?} on {input:#?}");
            value
        }
        Err(_) => panic!("{what} panicked on {input:#?}"),
    }
}

/// Every diagnostic names a file.
fn assert_located(what: &str, input: &dyn std::fmt::Debug, diagnostics: &[Diagnostic]) {
    assert!(
        !diagnostics.is_empty(),
        "{what}: a failure without a diagnostic"
    );
    for diagnostic in diagnostics {
        assert!(
            diagnostic.location.is_some(),
            "{what}: `{}` names no file, on {input:#?}",
            diagnostic.message
        );
    }
}

// ------------------------------------------------------------------ inputs

/// Text YAML gives meaning to, and text it chokes on.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "!", "!!str ",
    "!!int ", "!!map ", "!custom ", "? ", "|", "|-", ">", "#", "'", "\"", "\\", "\n", "\n  ",
    "\n- ", "\t", "    ", "---\n", "...\n", "%YAML 1.2\n", "<<: *a", "~", "null", "true", "yes",
    "0x1F", "0o17", "1e400", "-.inf", ".nan", "18446744073709551616", "-9223372036854775809",
    "8080.0", "é", "日本", "\u{200b}", "\u{feff}", "\r\n", "{{ x }}", "{% raw %}", "${X}", "name",
    "env", "ports", "patches", "environments", "dependsOn", "http", "kind",
];

/// Names that mean something somewhere in an intent.
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "apiVersion", "kind", "name", "description", "goldenPath", "image", "tag", "digest",
    "ports", "env", "files", "secrets", "routes", "patches", "dependsOn", "environments",
    "replicas", "autoscaling", "minReplicas", "maxReplicas", "resources", "cpu", "memory",
    "size", "health", "readiness", "liveness", "port", "uses", "type", "command", "args",
    "params", "serviceAccountToken", "host", "path", "key", "property", "target", "operations",
    "op", "from", "value", "dev", "staging", "prod", "http", "grpc", "metrics", "defaults",
    "clusters", "region", "server", "quotas", "owners", "group", "costCenter", "labels",
    "sizes", "highAvailability", "sync", "policy", "rules", "level", "x-unknown", "", " ",
    "a/b", "~0", "-", "0", "<<", "KEY_WITH_UNDERSCORE", "UPPER", "dots.in.key",
    "slo", "availability", "latency", "objective", "threshold", "freshness", "options",
    "external", "secretKey", "postgres", "redis", "bucket", "version", "schedule",
];

#[rustfmt::skip]
const STRINGS: &[&str] = &[
    "", " ", "a", "http", "8080", "web-service", "worker", "cron-job", "grpc-service",
    "payments", "identity", "auth", "user-profile", "ledger", "latest", "1.0.0",
    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "registry.northwind.dev/identity/auth", "evil.example.com/x", "kube-system", "default",
    "Deployment", "Service", "ConfigMap", "Secret", "Ingress", "Role", "Namespace",
    "ServiceAccount", "HorizontalPodAutoscaler", "CronJob", "/", "/api", "//", "/-", "/0", "~",
    "~2", "{{ 1 }}", "{% for x in y %}", "a: b", "- x", "---", "\n", "é", "日本語", "\u{0}",
    "\u{7f}", "\\", "\"", "'", "100m", "1Gi", "-1", "1e3", "0.5", "NaN", "true", "*/5 * * * *",
    "61 25 * * *", "@daily", "UTC", "Mars/Olympus", "redis", "postgres", "shop.northwind.dev",
    "*.example.com", "a..b", "-leading", "trailing-", "UPPER",
];

#[rustfmt::skip]
const PATHS: &[&str] = &[
    "", "/", "/kind", "/apiVersion", "/metadata", "/metadata/name", "/metadata/namespace",
    "/metadata/labels", "/metadata/labels/x", "/metadata/annotations/a~1b", "/spec",
    "/spec/replicas", "/spec/template/spec/containers/0/image",
    "/spec/template/spec/containers/0/env/-", "/spec/template/spec/containers/-",
    "/spec/template/spec/containers/99", "/spec/template/spec/containers/0/env/0",
    "/spec/template/spec/securityContext/runAsUser", "/spec/template/metadata/labels",
    "/spec/jobTemplate/spec/template/spec/containers/0/args", "/data", "/data/x", "/data/-",
    "/spec/rules/0/host", "/spec/selector",
    "/spec/selector/matchLabels/app.kubernetes.io~1name", "/spec/x/y", "~", "a", "/~2", "/-/-",
    "/0", "/spec//x", "/spec/template/spec/containers/0",
];

fn random_string(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => "x".repeat(rng.below(5000)),
        1 => (0..rng.below(12))
            .map(|_| *rng.pick(TOKENS))
            .collect::<String>(),
        2 => format!("{}-{}", rng.pick(STRINGS), rng.below(1000)),
        _ => (*rng.pick(STRINGS)).to_owned(),
    }
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(*rng.pick(&[
            0i64,
            1,
            -1,
            2,
            3,
            80,
            8080,
            65535,
            65536,
            i64::MAX,
            i64::MIN
        ])),
        3 => json!(u64::MAX),
        4 => json!(*rng.pick(&[0.5f64, -0.0, 8080.0, 1e300, 2.5e-8, 3.0])),
        _ => Value::String(random_string(rng)),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    if depth > 3 || rng.chance(55) {
        return random_scalar(rng);
    }
    if rng.chance(50) {
        Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        )
    } else {
        Value::Object(
            (0..rng.below(5))
                .map(|_| ((*rng.pick(KEYS)).to_owned(), random_value(rng, depth + 1)))
                .collect(),
        )
    }
}

/// An RFC 6902 operation, its paths taken from `known` (real pointers of
/// the resources it may meet) or from made-up ones.
fn random_operation(rng: &mut Rng, known: &[String]) -> Value {
    let op = if rng.chance(97) {
        *rng.pick(&["add", "remove", "replace", "move", "copy", "test"])
    } else {
        *rng.pick(&["merge", "ADD"])
    };
    let mut operation = Map::new();
    if rng.chance(99) {
        operation.insert("op".into(), json!(op));
    }
    if rng.chance(99) {
        let path = match rng.below(10) {
            0..=4 if !known.is_empty() => rng.pick(known).clone(),
            0..=7 => (*rng.pick(PATHS)).to_owned(),
            _ => random_string(rng),
        };
        operation.insert("path".into(), json!(path));
    }
    if matches!(op, "move" | "copy") || rng.chance(10) {
        let from = match rng.below(2) {
            0 if !known.is_empty() => rng.pick(known).clone(),
            _ => (*rng.pick(PATHS)).to_owned(),
        };
        operation.insert("from".into(), json!(from));
    }
    if matches!(op, "add" | "replace" | "test") || rng.chance(10) {
        operation.insert("value".into(), random_value(rng, 0));
    }
    if rng.chance(1) {
        operation.insert((*rng.pick(KEYS)).into(), random_value(rng, 2));
    }
    Value::Object(operation)
}

fn random_patch(rng: &mut Rng, known: &[String]) -> Value {
    let kind = *rng.pick(&[
        "Deployment",
        "Service",
        "ConfigMap",
        "Ingress",
        "CronJob",
        "ServiceAccount",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ExternalSecret",
        "Nope",
    ]);
    let mut target = json!({"kind": kind});
    if rng.chance(40) {
        target["name"] = json!(*rng.pick(&[
            "auth",
            "user-profile",
            "session-cleaner",
            "shipping-labels",
            "x"
        ]));
    }
    let mut patch = json!({
        "target": target,
        "operations": (0..1 + rng.below(4)).map(|_| random_operation(rng, known)).collect::<Vec<_>>(),
    });
    if rng.chance(20) {
        patch["environments"] = json!([*rng.pick(&["dev", "prod", "staging", "qa"])]);
    }
    patch
}

/// Every JSON pointer in `value`.
fn pointers(value: &Value) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut pending = vec![(String::new(), value)];
    while let Some((at, value)) = pending.pop() {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    out.push(pointer.clone());
                    pending.push((pointer, child));
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    let pointer = format!("{at}/{index}");
                    out.push(pointer.clone());
                    pending.push((pointer, child));
                }
            }
            _ => {}
        }
    }
    out
}

/// One structured change to a parsed input: a field removed, retyped,
/// added, copied elsewhere, or (for intents) patches and dependencies made up.
fn mutate_value(rng: &mut Rng, value: &mut Value) {
    let all = pointers(value);
    let pointer = rng.pick(&all).clone();
    match rng.below(8) {
        0 if !pointer.is_empty() => {
            let (parent, last) = pointer.rsplit_once('/').unwrap();
            match value.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    let index: usize = last.parse().unwrap();
                    items.remove(index);
                }
                _ => {}
            }
        }
        1 | 2 => {
            if let Some(slot) = value.pointer_mut(&pointer) {
                *slot = random_value(rng, 1);
            }
        }
        3 => {
            if let Some(Value::Object(map)) = value.pointer_mut(&pointer) {
                map.insert((*rng.pick(KEYS)).to_owned(), random_value(rng, 1));
            } else if let Some(Value::Array(items)) = value.pointer_mut(&pointer) {
                items.push(random_value(rng, 1));
            }
        }
        4 => {
            let copy = value.pointer(&pointer).cloned().unwrap_or(Value::Null);
            let other = rng.pick(&all).clone();
            if let Some(Value::Object(map)) = value.pointer_mut(&other) {
                map.insert((*rng.pick(KEYS)).to_owned(), copy);
            }
        }
        5 => {
            if let Value::Object(map) = value {
                let patches: Vec<Value> = (0..1 + rng.below(3))
                    .map(|_| random_patch(rng, &[]))
                    .collect();
                map.insert("patches".into(), Value::Array(patches));
            }
        }
        6 => {
            if let Value::Object(map) = value {
                let names: Vec<Value> = (0..rng.below(4))
                    .map(|_| {
                        json!(*rng.pick(&[
                            "auth",
                            "user-profile",
                            "session-cleaner",
                            "shipping-labels",
                            "ghost",
                            "auth"
                        ]))
                    })
                    .collect();
                map.insert("dependsOn".into(), Value::Array(names));
            }
        }
        _ => {
            if let Value::Object(map) = value {
                let key = *rng.pick(&[
                    "env", "files", "ports", "routes", "secrets", "uses", "params",
                ]);
                let entries: Map<String, Value> = (0..rng.below(6))
                    .map(|_| (random_string(rng), random_value(rng, 2)))
                    .collect();
                map.insert(key.into(), Value::Object(entries));
            }
        }
    }
}

/// One change to a file's text: a token inserted, a range deleted, a line
/// repeated, swapped or re-indented, or the text cut short.
fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(at, _)| at)
        .chain([text.len()])
        .collect();
    let at = *rng.pick(&boundaries);
    match rng.below(6) {
        0 | 1 => format!("{}{}{}", &text[..at], rng.pick(TOKENS), &text[at..]),
        2 => {
            let end = *rng.pick(&boundaries);
            let (from, to) = (at.min(end), at.max(end));
            format!("{}{}", &text[..from], &text[to..])
        }
        3 => text[..at].to_owned(),
        _ => {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.is_empty() {
                return text.to_owned();
            }
            let i = rng.below(lines.len());
            let j = rng.below(lines.len());
            match rng.below(3) {
                0 => lines.swap(i, j),
                1 => {
                    let line = lines[i].clone();
                    lines.insert(j, line);
                }
                _ => lines[i] = format!("{}{}", " ".repeat(rng.below(5)), lines[i].trim_start()),
            }
            lines.join("\n") + "\n"
        }
    }
}

// ------------------------------------------------------------ the example

/// The inputs of a small organisation taken from the example: two teams,
/// four services on the four golden paths, every environment.
fn small_organisation() -> BTreeMap<String, String> {
    let root = repo_root();
    let mut files = BTreeMap::new();
    let mut add_dir = |dir: &str| {
        let mut pending = vec![root.join(dir)];
        while let Some(at) = pending.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    files.insert(relative, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    };
    for dir in ["platform", "environments", "golden-paths", "teams/identity"] {
        add_dir(dir);
    }
    for file in [
        "teams/fulfilment/team.yaml",
        "teams/fulfilment/services/shipping-labels.yaml",
        "policies/exceptions.yaml",
    ] {
        files.insert(
            file.to_owned(),
            std::fs::read_to_string(root.join(file)).unwrap(),
        );
    }
    // `auth` accepts callers from teams this organisation leaves out.
    if let Some(auth) = files.get_mut("teams/identity/services/auth.yaml") {
        *auth = auth
            .lines()
            .filter(|line| !line.starts_with("callers:"))
            .map(|line| format!("{line}\n"))
            .collect();
    }
    files
}

fn memory_tree(files: &BTreeMap<String, String>) -> MemoryTree {
    let mut tree = MemoryTree::default();
    for (path, text) in files {
        tree.insert(path.clone(), MemoryFile::Text(text.clone()));
    }
    tree
}

// ----------------------------------------------------------------- targets

/// Arbitrary text and mutated real files through the YAML parser: a value
/// or a located error, and every span lookup answers.
#[test]
fn yaml_loader_never_panics() {
    let mut rng = Rng::new(seed(1));
    let files = small_organisation();
    let texts: Vec<&String> = files.values().collect();
    for case in 0..budget(1500) {
        let text = match rng.below(4) {
            0 => (0..rng.below(60))
                .map(|_| *rng.pick(TOKENS))
                .collect::<String>(),
            _ => {
                let mut text = (*rng.pick(&texts)).clone();
                for _ in 0..1 + rng.below(4) {
                    text = mutate_text(&mut rng, &text);
                }
                text
            }
        };
        let input = format!("case {case}: {text:?}");
        run_case("the YAML parser", &input, || {
            match paved::input::yaml::parse_documents("f.yaml", &text) {
                Ok(documents) => {
                    for document in &documents {
                        for pointer in pointers(&document.value) {
                            let _ = document.span_for(&pointer, true);
                            let _ = document.span_for(&format!("{pointer}/missing/0"), false);
                        }
                        let _ = paved::input::yaml::to_string(&document.value);
                    }
                }
                Err(error) => assert_located("the YAML parser", &input, &[error]),
            }
            if let Err(error) = paved::input::yaml::parse_document("f.yaml", &text) {
                assert_located("the YAML parser", &input, &[error]);
            }
        });
    }
}

/// Generated text is read by a quick reader where it can be, by the full
/// parser where not: mutated rendered manifests and token soup must read
/// the same either way, or fail either way.
/// Every YAML file of the example's `rendered/`, by path, with its text.
fn rendered_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![repo_root().join("rendered")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn quick_yaml_reader_reads_what_the_parser_reads() {
    let mut rng = Rng::new(seed(4));
    let mut texts: Vec<String> = rendered_files().into_iter().map(|(_, text)| text).collect();
    texts.sort();
    // As templates print: JSON-quoted scalars, JSON flow values, blank lines.
    texts.push(
        "a: {\"b\":[1,-2,\"c\"],\"d\":{}}\nl: [x, 'y', {k: v}]\ns: |-\n  one\n\n  two\n".into(),
    );
    texts.push(
        "\napiVersion: v1\nkind: Service\nmetadata:\n  name: \"web\"\n  labels: {\"app\":\"web\"}\nspec:\n  ports:\n\n    - name: \"http\"\n      port: 8080\n      targetPort: \"http\"\n  policyTypes: [Ingress]\n---\nkind: ConfigMap\ndata:\n  run.sh: |\n    #!/bin/sh\n    exec \"$@\" # done\n".into(),
    );
    let values = |text: &str| {
        let documents = paved::input::yaml::parse_documents("f.yaml", text).ok()?;
        let values: Vec<&Value> = documents.iter().map(|d| &d.value).collect();
        serde_json::to_string(&values).ok()
    };
    for case in 0..budget(1500) {
        let mut text = (*rng.pick(&texts)).clone();
        if rng.below(4) == 0 {
            text = (0..rng.below(40))
                .map(|_| *rng.pick(TOKENS))
                .collect::<String>();
        }
        for _ in 0..rng.below(4) {
            text = mutate_text(&mut rng, &text);
        }
        let input = format!("case {case}: {text:?}");
        run_case("the quick YAML reader", &input, || {
            let quick = paved::input::yaml::parse_values("f.yaml", &text)
                .ok()
                .and_then(|v| serde_json::to_string(&v).ok());
            assert_eq!(quick, values(&text), "the readers disagree on {input}");
        });
    }
}

/// Pieces of strings that YAML writers must quote, escape or break: joined
/// at random, they make the keys and scalars of the writer's fuzz target.
const AWKWARD: &[&str] = &[
    "",
    "a",
    "Z9",
    "info",
    "abc",
    "web-1",
    "/path",
    "_x",
    " ",
    "  ",
    "-",
    "- ",
    "?",
    "? ",
    ":",
    ": ",
    "#",
    " #",
    "'",
    "\"",
    "\\",
    "\n",
    "\n\n",
    "\r",
    "\t",
    "\u{0}",
    "\u{7f}",
    "é",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "😀",
    "true",
    "False",
    "NULL",
    "null",
    "~",
    "yes",
    "0",
    "012",
    "-0",
    "+1",
    "-3",
    "8080",
    "0x1F",
    "0o17",
    "0b101",
    "-0x1",
    "-0b",
    "0x+1",
    "1e3",
    "1E-2",
    "1.5",
    ".5",
    "0.",
    "+.5",
    "1e",
    "e1",
    ".inf",
    "-.Inf",
    "+.INF",
    ".nan",
    "inf",
    "nan",
    "1_000",
    "1.1.0",
    "---",
    "...",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a",
    "*a",
    "!t",
    "|",
    ">",
    "%",
    "@",
    "`",
    "%s-x",
    "Objective: 99%",
    "a #b",
    "x:",
    "k: v",
];

fn awkward_string(rng: &mut Rng) -> String {
    if rng.chance(3) {
        return "k".repeat(120 + rng.below(20));
    }
    (0..1 + rng.below(4)).map(|_| *rng.pick(AWKWARD)).collect()
}

fn awkward_value(rng: &mut Rng, depth: usize) -> Value {
    if depth > 3 || rng.chance(50) {
        return match rng.below(8) {
            0 => random_scalar(rng),
            _ => Value::String(awkward_string(rng)),
        };
    }
    let len = rng.below(4);
    if rng.chance(50) {
        Value::Array((0..len).map(|_| awkward_value(rng, depth + 1)).collect())
    } else {
        Value::Object(
            (0..len)
                .map(|_| (awkward_string(rng), awkward_value(rng, depth + 1)))
                .collect(),
        )
    }
}

/// paved's YAML writer gives serde_yaml's bytes: on every rendered
/// manifest, and on values made of what YAML quotes, escapes or breaks.
#[test]
fn yaml_writer_writes_what_serde_yaml_writes() {
    let same = |what: &str, value: &Value| {
        let expected = serde_yaml::to_string(value).unwrap();
        assert_eq!(
            paved::input::yaml::to_string(value),
            expected,
            "the writers disagree on {what}: {value:?}"
        );
    };
    for (path, text) in rendered_files() {
        for value in paved::input::yaml::parse_values("f.yaml", &text).unwrap() {
            same(&path, &value);
        }
    }
    let mut rng = Rng::new(seed(5));
    for case in 0..budget(4000) {
        let value = awkward_value(&mut rng, 0);
        same(&format!("case {case}"), &value);
    }
}

/// Mutated inputs of a small organisation through load, validate, resolve,
/// render, patch and post-process (and, when it renders, the diff against
/// the unchanged organisation and the manifest checks): success, or
/// diagnostics that all name a file.
#[test]
fn pipeline_never_panics_on_mutated_inputs() {
    crate::support::cross_checking(|| {
        // Mutated intents reach the templates: what they print must read the
        // same with the quick YAML reader as with the full parser.
        let mut rng = Rng::new(seed(2));
        let base = small_organisation();
        let services: Vec<String> = base
            .keys()
            .filter(|p| p.contains("/services/"))
            .cloned()
            .collect();
        let others: Vec<String> = base
            .keys()
            .filter(|p| {
                p.ends_with(".yaml") && !p.contains("/services/") && !p.contains("/templates/")
            })
            .cloned()
            .collect();
        let (_, before) =
            paved::render::run(&memory_tree(&base)).expect("the organisation renders");
        let (mut rendered, mut failed) = (0, 0);
        for case in 0..budget(150) {
            let mut files = base.clone();
            let mut changed = Vec::new();
            for _ in 0..1 + rng.below(2) {
                let path = if rng.chance(75) {
                    rng.pick(&services).clone()
                } else {
                    rng.pick(&others).clone()
                };
                let text = files[&path].clone();
                let mutated = if rng.chance(85) {
                    match paved::input::yaml::parse_document(&path, &text) {
                        Ok(document) => {
                            let mut value = document.value;
                            for _ in 0..1 + rng.below(3) {
                                mutate_value(&mut rng, &mut value);
                            }
                            paved::input::yaml::to_string(&value)
                        }
                        Err(_) => text,
                    }
                } else {
                    mutate_text(&mut rng, &text)
                };
                changed.push((path.clone(), mutated.clone()));
                files.insert(path, mutated);
            }
            let input = format!("case {case}: {changed:#?}");
            let tree = memory_tree(&files);
            run_case("the pipeline", &input, || {
                match paved::render::run(&tree) {
                    Ok((repo, output)) => {
                        rendered += 1;
                        // What changed, as a pull request would show it.
                        let environments: Vec<&paved::input::model::Environment> =
                            repo.environments.iter().map(|e| &e.value).collect();
                        let report = paved::diff::compare(
                            &before,
                            &output,
                            &environments,
                            &repo.platform.value.diff,
                        );
                        let _ = paved::diff::to_text(&report, false);
                        let _ = paved::diff::to_markdown(&report, "<!-- fuzz -->");
                        if case % 3 == 0 {
                            let report = paved::check::validate(&repo, &output, Default::default());
                            for diagnostic in &report.diagnostics {
                                assert!(
                                    diagnostic.location.is_some(),
                                    "{}: names no file, on {input}",
                                    diagnostic.message
                                );
                            }
                        }
                    }
                    Err(failure) => {
                        failed += 1;
                        assert_located("the pipeline", &input, &failure.diagnostics);
                    }
                }
            });
        }
        eprintln!("pipeline: {rendered} rendered, {failed} refused");
        assert!(
            rendered > 5 && failed > 5,
            "{rendered} rendered, {failed} refused: the cases miss one side"
        );
    })
}

/// Made-up patches applied to every real rendered resource of the small
/// organisation, then post-processed and printed: a patched resource, or
/// located errors, and never a resource that is not one.
#[test]
fn patches_never_panic_or_escape_their_resource() {
    let mut rng = Rng::new(seed(3));
    let tree = memory_tree(&small_organisation());
    let (mut repo, output) = paved::render::run(&tree).expect("the small organisation renders");
    let units: Vec<(String, String, Vec<paved::render::Resource>)> = output
        .units
        .iter()
        .filter_map(|unit| match &unit.kind {
            paved::render::unit::UnitKind::Service {
                service,
                environment,
                ..
            } => Some((
                service.clone(),
                environment.clone(),
                unit.resources.to_vec(),
            )),
            _ => None,
        })
        .collect();
    let (mut applied, mut refused) = (0, 0);
    for case in 0..budget(600) {
        let (service, environment, resources) = rng.pick(&units).clone();
        let known: Vec<String> = resources.iter().flat_map(|r| pointers(&r.value)).collect();
        let mut patches: Vec<Value> = (0..1 + rng.below(2))
            .map(|_| random_patch(&mut rng, &known))
            .collect();
        for patch in &mut patches {
            if rng.chance(80) {
                let resource = rng.pick(&resources);
                patch["target"] = json!({"kind": resource.kind(), "name": resource.name()});
            }
        }
        let Ok(patches) = serde_json::from_value::<Vec<paved::input::model::Patch>>(Value::Array(
            patches.clone(),
        )) else {
            continue; // not even the shape of a patch: the schema refuses it earlier
        };
        let entry = repo
            .services
            .iter_mut()
            .find(|s| s.value.name == service)
            .unwrap();
        entry.value.patches = patches.clone();
        let entry = &*entry;
        let input = format!("case {case}: {service} in {environment}: {patches:#?}");
        let mut resources = resources;
        let kinds: BTreeSet<(String, String)> = resources
            .iter()
            .map(|r| (r.kind().to_owned(), r.name().to_owned()))
            .collect();
        run_case("patching", &input, || {
            let diagnostics = paved::render::patch::apply(entry, &environment, &mut resources);
            if diagnostics.is_empty() {
                applied += 1;
            } else {
                refused += 1;
                assert_located("patching", &input, &diagnostics);
            }
            // Whatever happened, every resource is still the one it was.
            let after: BTreeSet<(String, String)> = resources
                .iter()
                .map(|r| (r.kind().to_owned(), r.name().to_owned()))
                .collect();
            assert_eq!(
                after, kinds,
                "a patch changed what a resource is, on {input}"
            );
            for resource in &resources {
                assert!(
                    resource.value.is_object() && resource.value["metadata"].is_object(),
                    "{input}"
                );
            }
            paved::render::postprocess::finish(&mut resources, &BTreeMap::new(), &BTreeMap::new());
            for resource in &resources {
                let _ = paved::input::yaml::to_string(&resource.value);
                let _ = paved::support::hash::canonical(&resource.value);
            }
        });
    }
    eprintln!("patches: {applied} applied, {refused} refused");
    assert!(
        applied > 30 && refused > 30,
        "{applied} applied, {refused} refused"
    );
}
