//! The platform's own policies, in Rego, evaluated natively with regorus
//! (no OPA binary), as conftest evaluates them: in each checked package
//! (conftest's namespace), every rule named `deny`, `violation` or `warn`
//! (optionally `_<suffix>`) is queried on its own, and its set (or array)
//! of messages, strings or objects with a string `msg`, becomes findings.
//! `exception` rules waive rules by name. Policies written for conftest run
//! unchanged, in Rego v1 or v0 syntax. `test_` rules are unit tests, as
//! `opa test` runs them.
//!
//! Nothing is a silent pass: a policy that does not parse, calls an unknown
//! or refused builtin, recurses, or fails while evaluating (a conflict, an
//! object without `msg`, the time limit) is an error naming its file, line
//! and rule.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub mod analysis;
pub mod config;
pub mod index;
pub mod sprintf;

use regorus::Engine;
use serde_json::Value;

use self::analysis::{RegoFile, RuleKind, data_path, package_name};
use crate::diagnostic::{Diagnostic, Location};
use crate::input::load::TemplateFile;
use crate::input::model::RuleSeverity;

/// Which input a checked package is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// One rendered resource at a time (conftest's default).
    Resource,
    /// Every resource of a unit, as `[{"path", "contents"}]`.
    Unit,
    /// Every resource of a cluster, in the same shape.
    Cluster,
}

/// What the policy configuration asks for, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Packages checked per resource; `None` for every package.
    pub namespaces: Option<Vec<String>>,
    pub unit: Vec<String>,
    pub cluster: Vec<String>,
    /// Time one evaluation may take.
    pub time: Duration,
    /// How deep rules may call rules.
    pub depth: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            namespaces: Some(vec!["main".into()]),
            unit: Vec::new(),
            cluster: Vec::new(),
            time: Duration::from_secs(2),
            depth: 100,
        }
    }
}

/// A conftest rule to query.
#[derive(Debug)]
struct Check {
    package: Vec<String>,
    /// The rule's name (`deny_loadbalancer`).
    name: String,
    /// `data.main.deny_loadbalancer`
    path: String,
    severity: RuleSeverity,
    scope: Scope,
    /// Where it is first defined: file index, line, column.
    at: (usize, usize, usize),
    /// The resource kinds it can say anything about (see [`index`]);
    /// `None` for every kind.
    kinds: Option<BTreeSet<String>>,
    /// What its only body starts with, on the input alone, as Rego (see
    /// [`index`]); empty for any other rule.
    guards: Vec<String>,
    /// Whether every definition is a set rule (`deny contains msg if`),
    /// whose value is always defined (empty if no body holds).
    set: bool,
}

impl Check {
    /// `main.deny_loadbalancer`
    fn id(&self) -> String {
        format!("{}.{}", package_name(&self.package), self.name)
    }

    /// Whether the generated rule takes its value as it is, rather than
    /// through a comprehension.
    fn direct(&self) -> bool {
        self.set && self.guards.is_empty()
    }

    /// How the generated rule takes its value: a set rule's as it is
    /// (always defined: empty where no body holds), any other's through
    /// an array comprehension, `[x | x := data.main.deny]`, which is `[]`
    /// where the rule is undefined, so one rule's result cannot hide
    /// another's. Its guards come first, so that where one does not hold
    /// the rule is not evaluated at all.
    fn query(&self) -> String {
        if self.direct() {
            return self.path.clone();
        }
        let mut query = String::from("[x | ");
        for guard in &self.guards {
            query.push_str(guard);
            query.push_str("; ");
        }
        query.push_str(&format!("x := {}]", self.path));
        query
    }
}

/// The compiled policies, ready to evaluate.
#[derive(Clone)]
pub struct Policies {
    engine: Engine,
    files: Arc<Vec<RegoFile>>,
    checks: Arc<Vec<Check>>,
    /// Each scope's rules as generated rules (see [`combine`]).
    combined: Arc<BTreeMap<Scope, Variants>>,
    time: Duration,
}

/// What a scope queries for each resource kind: only the checks that can
/// say anything about that kind (see [`index`]).
#[derive(Debug)]
struct Variants {
    by_kind: BTreeMap<String, Combined>,
    /// For any other kind, and for inputs without one.
    other: Combined,
    /// `"kind"`, made once rather than for every input.
    kind_key: regorus::Value,
}

impl Variants {
    fn for_input(&self, input: &regorus::Value) -> &Combined {
        if self.by_kind.is_empty() {
            return &self.other;
        }
        match &input[&self.kind_key] {
            regorus::Value::String(kind) => self.by_kind.get(kind.as_ref()).unwrap_or(&self.other),
            _ => &self.other,
        }
    }
}

/// What one generated rule queries: its checks, each preceded where its
/// package changes by the package's `exception` rule.
#[derive(Debug)]
struct Combined {
    /// `data.<COMBINED_PACKAGE>.<scope>`, or `<scope>_<n>` for a kind.
    path: String,
    slots: Vec<Slot>,
}

#[derive(Debug)]
enum Slot {
    /// The index of a check.
    Check(usize),
    /// A package's `exception` rule, at its path; the check after it
    /// locates its errors.
    Exception { path: String, check: usize },
}

/// The generated package that holds the combined rules.
const COMBINED_PACKAGE: &str = "__paved_combined__";

/// A message a policy produced for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `<package>.<rule>`, such as `main.deny_loadbalancer`.
    pub rule: String,
    pub severity: RuleSeverity,
    pub text: String,
    /// The message object's other fields (conftest's metadata).
    pub fields: serde_json::Map<String, Value>,
}

/// Everything the policies said about one input.
#[derive(Debug, Default)]
pub struct Outcome {
    pub messages: Vec<Message>,
    /// Messages waived by the policies' own `exception` rules.
    pub excepted: usize,
}

/// A policy that failed while evaluating.
#[derive(Debug, Clone)]
pub struct EvalError {
    /// `<package>.<rule>` being checked.
    pub rule: String,
    pub location: Location,
    pub message: String,
}

/// A JSON value as policies read it: the value serde would give, built
/// directly (each string copied once, no deserializer in between).
pub fn input(value: &Value) -> regorus::Value {
    match value {
        Value::Null => regorus::Value::Null,
        Value::Bool(b) => regorus::Value::from(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => regorus::Value::from(u),
            (None, Some(i)) => regorus::Value::from(i),
            // serde_json holds only finite floats.
            (None, None) => regorus::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => regorus::Value::from(s.as_str()),
        Value::Array(items) => regorus::Value::from(items.iter().map(input).collect::<Vec<_>>()),
        Value::Object(fields) => regorus::Value::from(
            fields
                .iter()
                .map(|(key, value)| (regorus::Value::from(key.as_str()), input(value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

pub fn is_test(file: &TemplateFile) -> bool {
    file.name.ends_with("_test.rego")
}

/// conftest's rule names: `^(deny|violation)(_[a-zA-Z0-9]+)*$` and
/// `^warn(_[a-zA-Z0-9]+)*$`.
pub fn severity_of(name: &str) -> Option<RuleSeverity> {
    let (severity, rest) = if let Some(rest) = name.strip_prefix("deny") {
        (RuleSeverity::Error, rest)
    } else if let Some(rest) = name.strip_prefix("violation") {
        (RuleSeverity::Error, rest)
    } else if let Some(rest) = name.strip_prefix("warn") {
        (RuleSeverity::Warning, rest)
    } else {
        return None;
    };
    let suffixes_ok = rest.is_empty()
        || (rest.starts_with('_')
            && rest[1..]
                .split('_')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric())));
    suffixes_ok.then_some(severity)
}

/// conftest's exception name for a rule: without `deny_`, `violation_` or
/// `warn_` (empty for the bare rules).
fn exception_name(rule: &str) -> &str {
    if matches!(rule, "deny" | "violation" | "warn") {
        return "";
    }
    ["violation_", "deny_", "warn_"]
        .iter()
        .find_map(|prefix| rule.strip_prefix(prefix))
        .unwrap_or(rule)
}

/// Parses and checks every file; reports every problem found.
pub fn parse_all(files: &[&TemplateFile], depth: usize) -> Result<Vec<RegoFile>, Vec<Diagnostic>> {
    let mut parsed = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        match analysis::parse(&file.path, &file.text, is_test(file)) {
            Ok(rego) => parsed.push(rego),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let analysis = analysis::check(&mut parsed, depth);
    diagnostics.extend(analysis.diagnostics);
    // conftest refuses `deny[msg] if { ... }`: a map to true, not a set.
    for file in &parsed {
        for rule in &file.rules {
            if file.v1 && rule.bracket_true && severity_of(&rule.name).is_some() {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}[...] if` declares a map to `true`, not a set of messages",
                        rule.name
                    ))
                    .at(file.location(rule.line, rule.column))
                    .code("policy/rego-error")
                    .help(format!(
                        "write `{} contains msg if {{ ... }}` (conftest refuses this form too)",
                        rule.name
                    )),
                );
            }
        }
    }
    if diagnostics.is_empty() {
        Ok(parsed)
    } else {
        Err(diagnostics)
    }
}

/// Compiles `files` with `data`, choosing the rules `settings` asks for.
/// `missing` is told about every configured package that does not exist.
pub fn compile(
    files: &[&TemplateFile],
    data: Option<&Value>,
    settings: &Settings,
) -> Result<Policies, Vec<Diagnostic>> {
    let parsed = parse_all(files, settings.depth)?;
    let reserved: Vec<Diagnostic> = parsed
        .iter()
        .filter(|file| file.package.first().map(String::as_str) == Some(COMBINED_PACKAGE))
        .map(|file| {
            let line = file
                .text
                .lines()
                .position(|l| l.trim_start().starts_with("package "))
                .map_or(1, |at| at + 1);
            Diagnostic::error(format!(
                "package `{COMBINED_PACKAGE}` is reserved: paved evaluates the policies through it"
            ))
            .at(file.location(line, 1))
            .code("policy/rego-error")
            .help("name the package anything else, such as `main`")
        })
        .collect();
    if !reserved.is_empty() {
        return Err(reserved);
    }
    let mut engine = new_engine(&parsed, data)?;
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: settings.time,
        check_interval: NonZeroU32::new(32).expect("non-zero"),
    });

    let combined: BTreeSet<&str> = settings
        .unit
        .iter()
        .chain(&settings.cluster)
        .map(String::as_str)
        .collect();
    let indexed = index::index(&parsed);
    let mut not_sets = BTreeSet::new();
    for file in &parsed {
        for rule in file
            .rules
            .iter()
            .filter(|r| r.kind != RuleKind::Set || !r.simple)
        {
            not_sets.insert((file.package.clone(), rule.name.clone()));
        }
    }
    let mut checks: BTreeMap<(Scope, Vec<String>, String), Check> = BTreeMap::new();
    let mut exceptions = BTreeMap::new();
    for (index, file) in parsed.iter().enumerate() {
        if file.is_test {
            continue;
        }
        let package = package_name(&file.package);
        let scope = if settings.unit.contains(&package) {
            Scope::Unit
        } else if settings.cluster.contains(&package) {
            Scope::Cluster
        } else if settings
            .namespaces
            .as_ref()
            .is_none_or(|chosen| chosen.contains(&package))
            && !combined.contains(package.as_str())
        {
            Scope::Resource
        } else {
            continue;
        };
        for rule in &file.rules {
            if !rule.simple {
                continue;
            }
            if rule.name == "exception" {
                exceptions.insert(
                    file.package.clone(),
                    data_path(&[file.package.clone(), vec!["exception".into()]].concat()),
                );
                continue;
            }
            let Some(severity) = severity_of(&rule.name) else {
                continue;
            };
            if rule.kind == RuleKind::Function {
                continue;
            }
            let id = (file.package.clone(), rule.name.clone());
            let known = indexed.get(&id);
            checks
                .entry((scope, file.package.clone(), rule.name.clone()))
                .or_insert_with(|| Check {
                    package: file.package.clone(),
                    name: rule.name.clone(),
                    path: data_path(&[file.package.clone(), vec![rule.name.clone()]].concat()),
                    severity,
                    scope,
                    at: (index, rule.line, rule.column),
                    // Unit and cluster inputs are lists, without a kind.
                    kinds: known
                        .and_then(|i| i.kinds.clone())
                        .filter(|_| scope == Scope::Resource),
                    guards: known.map(|i| i.guards.clone()).unwrap_or_default(),
                    set: !not_sets.contains(&id),
                });
        }
    }
    let checks: Vec<Check> = checks.into_values().collect();
    let combined = combine(&mut engine, &checks, &exceptions)?;
    Ok(Policies {
        engine,
        files: Arc::new(parsed),
        checks: Arc::new(checks),
        combined: Arc::new(combined),
        time: settings.time,
    })
}

/// Generated rules whose value is every check's value (and every
/// exception's), so that an input is evaluated once, as one OPA query is:
/// helper rules that many checks use are computed once, not once per
/// check. Resources get one rule per kind the checks are indexed by, with
/// just the checks that can say anything about that kind, and one for
/// every other kind (see [`Check::query`] for how each is taken). The
/// engine is prepared here, so that its clones (one per thread) share
/// the work.
fn combine(
    engine: &mut Engine,
    checks: &[Check],
    exceptions: &BTreeMap<Vec<String>, String>,
) -> Result<BTreeMap<Scope, Variants>, Vec<Diagnostic>> {
    let mut combined = BTreeMap::new();
    let mut module = format!("package {COMBINED_PACKAGE}\n");
    for (scope, name) in [
        (Scope::Resource, "resource"),
        (Scope::Unit, "unit"),
        (Scope::Cluster, "cluster"),
    ] {
        let in_scope: Vec<usize> = (0..checks.len())
            .filter(|index| checks[*index].scope == scope)
            .collect();
        if in_scope.is_empty() {
            continue;
        }
        let named: BTreeSet<&String> = in_scope
            .iter()
            .filter_map(|index| checks[*index].kinds.as_ref())
            .flatten()
            .collect();
        let mut generate = |rule: String, kind: Option<&str>| {
            let slots = slots(checks, exceptions, &in_scope, kind);
            if !slots.is_empty() {
                module.push_str(&format!("\n{rule} := [\n"));
                for slot in &slots {
                    let query = match slot {
                        Slot::Check(index) => checks[*index].query(),
                        Slot::Exception { path, .. } => format!("[x | x := {path}]"),
                    };
                    module.push_str(&format!("\t{query},\n"));
                }
                module.push_str("]\n");
            }
            Combined {
                path: data_path(&[COMBINED_PACKAGE.to_owned(), rule]),
                slots,
            }
        };
        let by_kind = named
            .iter()
            .enumerate()
            .map(|(at, kind)| {
                (
                    (*kind).clone(),
                    generate(format!("{name}_{at}"), Some(kind)),
                )
            })
            .collect();
        let other = generate(name.to_owned(), None);
        combined.insert(
            scope,
            Variants {
                by_kind,
                other,
                kind_key: regorus::Value::from("kind"),
            },
        );
    }
    engine.set_rego_v0(false);
    let prepared = engine
        .add_policy(format!("{COMBINED_PACKAGE}.rego"), module)
        .and_then(|_| engine.eval_query("true".into(), false));
    if let Err(error) = prepared {
        return Err(vec![Diagnostic::error(format!(
            "the policies cannot be prepared for evaluation: {error}"
        ))]);
    }
    Ok(combined)
}

/// The slots of the checks in `in_scope` that can say anything about
/// `kind` (`None`: a kind no check is indexed by), after each package's
/// exception rule.
fn slots(
    checks: &[Check],
    exceptions: &BTreeMap<Vec<String>, String>,
    in_scope: &[usize],
    kind: Option<&str>,
) -> Vec<Slot> {
    let mut slots = Vec::new();
    let mut package: Option<&[String]> = None;
    for &index in in_scope {
        let check = &checks[index];
        let applies = match (&check.kinds, kind) {
            (None, _) => true,
            (Some(kinds), Some(kind)) => kinds.contains(kind),
            (Some(_), None) => false,
        };
        // A package's exceptions are evaluated for every input, as
        // conftest evaluates them, even where none of its rules applies:
        // one that fails is an error for every kind.
        if package != Some(check.package.as_slice()) {
            package = Some(&check.package);
            if let Some(path) = exceptions.get(&check.package) {
                slots.push(Slot::Exception {
                    path: path.clone(),
                    check: index,
                });
            }
        }
        if applies {
            slots.push(Slot::Check(index));
        }
    }
    slots
}

/// The packages the files declare, as people write them.
pub fn packages(files: &[RegoFile]) -> BTreeSet<String> {
    files.iter().map(|f| package_name(&f.package)).collect()
}

fn new_engine(parsed: &[RegoFile], data: Option<&Value>) -> Result<Engine, Vec<Diagnostic>> {
    let mut engine = Engine::new();
    let mut diagnostics = Vec::new();
    for file in parsed {
        engine.set_rego_v0(!file.v1);
        if let Err(error) = engine.add_policy(file.path.clone(), file.rewritten.clone()) {
            diagnostics.push(analysis::syntax_error(
                &file.path,
                &file.text,
                &error.to_string(),
                !file.v1,
            ));
        }
    }
    engine.set_rego_v0(false);
    if let Some(data) = data
        && let Err(error) = engine.add_data(regorus::Value::from(data.clone()))
    {
        diagnostics.push(Diagnostic::error(format!(
            "the policies' data cannot be loaded: {error}"
        )));
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    // Messages must read as OPA prints them: Go's `fmt`, not regorus's.
    let sprintf = |args: Vec<regorus::Value>| -> anyhow::Result<regorus::Value> {
        let format = args[0].as_string()?.to_string();
        let values: Vec<regorus::Value> = match &args[1] {
            regorus::Value::Array(items) => items.iter().cloned().collect(),
            _ => anyhow::bail!("sprintf: the second operand must be an array"),
        };
        Ok(regorus::Value::from(sprintf::sprintf(&format, &values)))
    };
    if let Err(error) = engine.add_extension("sprintf".into(), 2, Box::new(sprintf)) {
        diagnostics.push(Diagnostic::error(format!(
            "cannot set up `sprintf`: {error}"
        )));
        return Err(diagnostics);
    }
    // OPA's default: a builtin that fails (`to_number("x")`) is undefined.
    engine.set_strict_builtin_errors(false);
    // `print` output is kept for `paved policy test`, never interleaved.
    engine.set_gather_prints(true);
    Ok(engine)
}

impl Policies {
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        self.checks.iter().any(|c| c.scope == scope)
    }

    /// The rules checked, as `<package>.<rule>`, with their severity.
    pub fn rules(&self) -> Vec<(String, RuleSeverity)> {
        self.checks.iter().map(|c| (c.id(), c.severity)).collect()
    }

    /// Where a checked rule is first defined.
    pub fn rule_location(&self, rule: &str) -> Option<Location> {
        let check = self.checks.iter().find(|c| c.id() == rule)?;
        let (file, line, column) = check.at;
        Some(self.files[file].location(line, column))
    }

    /// Every message the rules of `scope` produce for `input` (see
    /// [`input`]).
    pub fn evaluate(&mut self, input: regorus::Value, scope: Scope) -> Result<Outcome, EvalError> {
        let variants = self.combined.clone();
        let Some(combined) = variants.get(&scope).map(|v| v.for_input(&input)) else {
            return Ok(Outcome::default());
        };
        if combined.slots.is_empty() {
            return Ok(Outcome::default());
        }
        self.engine.set_input(input);
        let values = match self.engine.eval_rule(combined.path.clone()) {
            Ok(regorus::Value::Array(values)) if values.len() == combined.slots.len() => values
                .iter()
                .zip(&combined.slots)
                .map(|(value, slot)| match (slot, value) {
                    (Slot::Check(index), value) if self.checks[*index].direct() => value.clone(),
                    (_, regorus::Value::Array(one)) => {
                        one.first().cloned().unwrap_or(regorus::Value::Undefined)
                    }
                    _ => regorus::Value::Undefined,
                })
                .collect(),
            // Something failed: evaluate rule by rule, to say which and
            // where.
            _ => self.evaluate_each(&combined.slots)?,
        };
        let _ = self.engine.take_prints();
        self.outcome(&combined.slots, &values)
    }

    /// Each slot's value, evaluated on its own.
    fn evaluate_each(&mut self, slots: &[Slot]) -> Result<Vec<regorus::Value>, EvalError> {
        let checks = self.checks.clone();
        slots
            .iter()
            .map(|slot| match slot {
                Slot::Check(index) => self.eval(&checks[*index].path, &checks[*index]),
                Slot::Exception { path, check } => self.eval(path, &checks[*check]),
            })
            .collect()
    }

    /// The messages of the slots' values, less what the packages' own
    /// exceptions waive.
    fn outcome(&self, slots: &[Slot], values: &[regorus::Value]) -> Result<Outcome, EvalError> {
        let mut outcome = Outcome::default();
        // conftest: `data.<package>.exception[_][_] == "<name>"`.
        let mut excepted = BTreeSet::new();
        let mut package: Option<&[String]> = None;
        for (slot, value) in slots.iter().zip(values) {
            let check = match slot {
                Slot::Exception { check, .. } => {
                    package = Some(&self.checks[*check].package);
                    excepted = exception_names(value);
                    continue;
                }
                Slot::Check(index) => &self.checks[*index],
            };
            if package != Some(check.package.as_slice()) {
                package = Some(&check.package);
                excepted.clear();
            }
            let produced = messages(value).map_err(|message| self.error_at_rule(check, message))?;
            if excepted.contains(exception_name(&check.name)) {
                outcome.excepted += produced.len();
                continue;
            }
            for (text, fields) in produced {
                outcome.messages.push(Message {
                    rule: check.id(),
                    severity: check.severity,
                    text,
                    fields,
                });
            }
        }
        outcome
            .messages
            .sort_by(|a, b| (&a.rule, &a.text).cmp(&(&b.rule, &b.text)));
        outcome
            .messages
            .dedup_by(|a, b| a.rule == b.rule && a.text == b.text && a.fields == b.fields);
        Ok(outcome)
    }

    fn eval(&mut self, path: &str, check: &Check) -> Result<regorus::Value, EvalError> {
        self.engine
            .eval_rule(path.to_owned())
            .map_err(|error| self.located(check, &error))
    }

    fn error_at_rule(&self, check: &Check, message: String) -> EvalError {
        let (file, line, column) = check.at;
        EvalError {
            rule: check.id(),
            location: self.files[file].location(line, column),
            message,
        }
    }

    /// Locates a regorus error in the file and rule it names.
    fn located(&self, check: &Check, error: &anyhow::Error) -> EvalError {
        if let Some(regorus::LimitError::TimeLimitExceeded { .. }) =
            error.downcast_ref::<regorus::LimitError>()
        {
            return self.error_at_rule(
                check,
                format!(
                    "evaluation did not finish within {} (`limits.time` in `policies/paved.yaml`)",
                    human_duration(self.time)
                ),
            );
        }
        let text = error.to_string();
        // The primary position follows `--> `; other paths may be named in
        // the message itself.
        let primary = text
            .find("--> ")
            .map(|at| &text[at + 4..])
            .and_then(|rest| {
                self.files
                    .iter()
                    .find(|f| rest.starts_with(&format!("{}:", f.path)))
            });
        let candidates: Vec<&RegoFile> = primary.into_iter().chain(self.files.iter()).collect();
        for file in candidates {
            let (position, message) = analysis::split_error(&file.path, &text);
            if let Some((line, column)) = position {
                let column = file.from_engine(line, column);
                let within = file
                    .rule_at(line)
                    .map(|rule| format!(" (in rule `{}`)", rule.name))
                    .unwrap_or_default();
                return EvalError {
                    rule: check.id(),
                    location: file.location(line, column),
                    message: format!("{message}{within}"),
                };
            }
        }
        let (_, message) = analysis::split_error("", &text);
        self.error_at_rule(check, message)
    }
}

pub fn human_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// `2s`, `500ms`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    text.strip_suffix('s')?
        .parse()
        .ok()
        .map(Duration::from_secs)
}

/// The names an `exception` rule waives: a set of sets (or arrays) of names.
fn exception_names(value: &regorus::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for inner in items(value) {
        for name in items(inner) {
            if let regorus::Value::String(name) = name {
                out.insert(name.to_string());
            }
        }
    }
    out
}

fn items(value: &regorus::Value) -> Vec<&regorus::Value> {
    match value {
        regorus::Value::Set(set) => set.iter().collect(),
        regorus::Value::Array(array) => array.iter().collect(),
        _ => Vec::new(),
    }
}

type Produced = Vec<(String, serde_json::Map<String, Value>)>;

/// The messages of a rule's value, as conftest reads them: only a set or
/// an array counts; its strings are messages, its objects need a string
/// `msg`; other members are ignored.
fn messages(value: &regorus::Value) -> Result<Produced, String> {
    let mut out = Vec::new();
    for item in items(value) {
        match item {
            regorus::Value::String(text) => out.push((text.to_string(), serde_json::Map::new())),
            regorus::Value::Object(_) => {
                let json = serde_json::to_value(item)
                    .map_err(|e| format!("a message is not valid JSON: {e}"))?;
                let Value::Object(mut fields) = json else {
                    continue;
                };
                let Some(Value::String(text)) = fields.remove("msg") else {
                    return Err(format!(
                        "a message object has no string `msg` field: {}",
                        Value::Object(fields)
                    ));
                };
                out.push((text, fields));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The outcome of one `test_` rule.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub file: String,
    pub name: String,
    pub line: usize,
    pub passed: bool,
    /// Why it failed: the expression that did not hold, or the error.
    pub failure: Option<String>,
    /// Where it failed (`file:line`).
    pub failed_at: Option<String>,
    /// What the test printed.
    pub prints: Vec<String>,
}

/// Coverage of one policy file by the tests.
#[derive(Debug, Clone)]
pub struct FileCoverage {
    pub file: String,
    pub covered: usize,
    pub not_covered: Vec<usize>,
}

/// Runs every `test_` rule of every policy file, as `opa test` does: a
/// test passes when its rule is true. Returns coverage per non-test file
/// when asked.
pub fn run_tests(
    files: &[TemplateFile],
    data: Option<&Value>,
    depth: usize,
    coverage: bool,
) -> Result<(Vec<TestResult>, Vec<FileCoverage>), Vec<Diagnostic>> {
    let all: Vec<&TemplateFile> = files.iter().collect();
    let parsed = parse_all(&all, depth)?;
    let mut engine = new_engine(&parsed, data)?;
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: Duration::from_secs(10),
        check_interval: NonZeroU32::new(32).expect("non-zero"),
    });
    if coverage {
        engine.set_enable_coverage(true);
    }
    let mut results = Vec::new();
    for file in &parsed {
        let mut seen = BTreeSet::new();
        for rule in &file.rules {
            if !rule.simple || !rule.name.starts_with("test_") || !seen.insert(&rule.name) {
                continue;
            }
            let path = data_path(&[file.package.clone(), vec![rule.name.clone()]].concat());
            let outcome = engine.eval_rule(path.clone());
            let prints = engine.take_prints().unwrap_or_default();
            let (passed, failure, failed_at) = match outcome {
                Ok(value) if value == regorus::Value::from(true) => (true, None, None),
                Ok(_) => {
                    let (at, expression) = failing_expression(&mut engine, file, rule, &path);
                    (false, expression, at)
                }
                Err(error) => {
                    let (position, message) = analysis::split_error(&file.path, &error.to_string());
                    let at = position.map(|(line, column)| {
                        format!("{}:{line}:{}", file.path, file.from_engine(line, column))
                    });
                    (false, Some(format!("error: {message}")), at)
                }
            };
            results.push(TestResult {
                file: file.path.clone(),
                name: rule.name.clone(),
                line: rule.line,
                passed,
                failure,
                failed_at,
                prints,
            });
        }
    }
    let mut report = Vec::new();
    if coverage && let Ok(coverage) = engine.get_coverage_report() {
        for file in coverage.files {
            if parsed.iter().any(|p| p.path == file.path && !p.is_test) {
                report.push(FileCoverage {
                    file: file.path,
                    covered: file.covered.len(),
                    not_covered: file.not_covered.iter().map(|l| *l as usize).collect(),
                });
            }
        }
        // Files no test reached at all.
        for file in parsed.iter().filter(|p| !p.is_test) {
            if !report.iter().any(|r| r.file == file.path) {
                let lines: Vec<usize> = file.rules.iter().map(|r| r.line).collect();
                report.push(FileCoverage {
                    file: file.path.clone(),
                    covered: 0,
                    not_covered: lines,
                });
            }
        }
        report.sort_by(|a, b| a.file.cmp(&b.file));
    }
    Ok((results, report))
}

/// The expression of a failed test that did not hold: the last line of
/// its body the evaluation reached, by coverage.
fn failing_expression(
    engine: &mut Engine,
    file: &RegoFile,
    rule: &analysis::RuleDecl,
    path: &str,
) -> (Option<String>, Option<String>) {
    let mut probe = engine.clone();
    probe.set_enable_coverage(true);
    probe.clear_coverage_data();
    let _ = probe.eval_rule(path.to_owned());
    let _ = probe.take_prints();
    let reached = probe.get_coverage_report().ok().and_then(|report| {
        report
            .files
            .into_iter()
            .find(|f| f.path == file.path)
            .and_then(|f| {
                f.covered
                    .into_iter()
                    .map(|l| l as usize)
                    .filter(|l| *l > rule.line && *l <= rule.end_line)
                    .max()
            })
    });
    let line = reached.unwrap_or(rule.line + 1).min(rule.end_line);
    let text = file
        .text
        .lines()
        .nth(line - 1)
        .map(|l| l.trim().trim_end_matches('}').trim().to_owned())
        .filter(|l| !l.is_empty());
    (
        Some(format!("{}:{line}", file.path)),
        text.map(|t| format!("`{t}` is false or undefined")),
    )
}

impl Policies {
    /// The packages the policy files declare.
    pub fn packages(&self) -> BTreeSet<String> {
        packages(&self.files)
    }
}

/// The conftest rules (`deny`, `violation`, `warn`, with suffixes) the
/// policy files declare, as `<package>.<rule>`, whether or not they are
/// checked.
pub fn declared_rules(files: &[TemplateFile]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files.iter().filter(|f| !is_test(f)) {
        let Ok(parsed) = analysis::parse(&file.path, &file.text, false) else {
            continue;
        };
        for rule in &parsed.rules {
            if rule.simple && severity_of(&rule.name).is_some() {
                out.insert(format!("{}.{}", package_name(&parsed.package), rule.name));
            }
        }
    }
    out
}
