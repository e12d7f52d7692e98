//! What paved checks in the Rego policies before anything runs, from
//! regorus's syntax tree: which rules each package declares, which
//! functions each rule calls, what each rule depends on. From that:
//!
//! - imports are resolved the way OPA's compiler resolves them: every use
//!   of an import's alias is rewritten to the full reference it stands for
//!   (`kubernetes.is_service` becomes `data.kubernetes.is_service`), so that
//!   regorus evaluates just the rule named, never the whole imported
//!   package (which it gets wrong when the package spans several files);
//! - calls to unknown functions, and to builtins that would make findings
//!   depend on the machine or the moment (`http.send`, `time.now_ns`,
//!   `rand.intn`, `opa.runtime`, ...), are refused with their location;
//! - recursion between rules and functions is refused (OPA refuses it too;
//!   regorus would overflow the stack), and so are chains of rules calling
//!   rules deeper than the configured limit.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock, Mutex};

use regorus::unstable::{AssignOp, Expr, Literal, Module, NodeRef, Query, Rule, RuleHead};

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::support::kept::{self, Kept};

/// Builtins refused in policies: each would make findings differ between
/// identical runs, or let a policy read the machine it runs on.
pub const REFUSED_BUILTINS: &[(&str, &str)] = &[
    ("http.send", "policies run without network access"),
    ("net.lookup_ip_addr", "policies run without network access"),
    (
        "opa.runtime",
        "policies cannot read the machine they run on",
    ),
    (
        "time.now_ns",
        "findings must not depend on the clock; compare with `input.paved.today`, the date `paved policy` checks for",
    ),
    ("rand.intn", "findings must be the same on every run"),
    ("uuid.rfc4122", "findings must be the same on every run"),
    (
        "io.jwt.decode_verify",
        "it reads the clock; findings must not depend on it",
    ),
];

/// How a rule is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// `deny contains msg if { ... }`, `deny[msg] { ... }`.
    Set,
    /// `name := value if { ... }`, including `default` rules.
    Complete,
    /// `f(x) := y if { ... }`.
    Function,
}

/// One rule definition (a rule may have several, in several files).
#[derive(Debug, Clone)]
pub struct RuleDecl {
    /// The first component of the rule's head (`deny` for `deny contains`).
    pub name: String,
    /// Whether the head is just a name (`deny`), not a reference (`a.b`).
    pub simple: bool,
    /// `deny[msg] if { ... }` in Rego v1: a rule that maps `msg` to true,
    /// not a set of messages (conftest refuses it: the author meant
    /// `deny contains msg if`).
    pub bracket_true: bool,
    pub kind: RuleKind,
    pub line: usize,
    pub column: usize,
    /// The last line of the definition.
    pub end_line: usize,
}

/// A policy file, parsed.
#[derive(Clone)]
pub struct RegoFile {
    /// Repository-relative path.
    pub path: String,
    /// The text as written.
    pub text: Arc<str>,
    /// The text regorus evaluates: imports resolved.
    pub rewritten: String,
    /// Whether the file is Rego v1 (else v0).
    pub v1: bool,
    /// The package, without `data`.
    pub package: Vec<String>,
    pub rules: Vec<RuleDecl>,
    pub is_test: bool,
    pub(super) module: NodeRef<Module>,
    /// Text insertions made by the rewrite: (line, column, bytes added).
    edits: Vec<(usize, usize, usize)>,
}

impl RegoFile {
    /// Maps a column of the rewritten text back to the file as written.
    pub fn original_column(&self, line: usize, column: usize) -> usize {
        let shift: usize = self
            .edits
            .iter()
            .filter(|(l, c, _)| *l == line && *c < column)
            .map(|(_, _, added)| added)
            .sum();
        column.saturating_sub(shift).max(1)
    }

    /// Where byte `offset` of the text as written is.
    pub fn location_at(&self, offset: usize) -> Location {
        let (line, column) = line_column(&self.text, offset);
        self.location(line, column)
    }

    /// A position regorus reports in the rewritten text (it counts a tab as
    /// four columns), as a character column of the text as written.
    pub fn from_engine(&self, line: usize, engine_column: usize) -> usize {
        let mut column = 1;
        let mut seen = 1;
        if let Some(text) = self.rewritten.lines().nth(line.saturating_sub(1)) {
            for c in text.chars() {
                if seen >= engine_column {
                    break;
                }
                seen += if c == '\t' { 4 } else { 1 };
                column += 1;
            }
        }
        self.original_column(line, column)
    }

    pub fn location(&self, line: usize, column: usize) -> Location {
        match Span::at_line(&self.text, line, column) {
            Some(span) => Location::at(&self.path, span),
            None => Location::file(&self.path),
        }
    }

    /// The rule whose definition holds `line`.
    pub fn rule_at(&self, line: usize) -> Option<&RuleDecl> {
        self.rules
            .iter()
            .find(|rule| rule.line <= line && line <= rule.end_line)
    }
}

/// The line and character column (both from 1) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |n| n + 1);
    (line, before[start..].chars().count() + 1)
}

/// `data.a.b` as a path regorus evaluates; components that are not
/// identifiers are quoted (`data.a["b-c"]`).
pub fn data_path(components: &[String]) -> String {
    let mut out = String::from("data");
    for component in components {
        if is_identifier(component) {
            out.push('.');
            out.push_str(component);
        } else {
            out.push_str(&format!(
                "[{}]",
                serde_json::Value::from(component.as_str())
            ));
        }
    }
    out
}

/// The package as people write it: `main`, `kubernetes.admission`.
pub fn package_name(components: &[String]) -> String {
    components.join(".")
}

pub(super) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            text,
            "as" | "default"
                | "else"
                | "false"
                | "import"
                | "package"
                | "not"
                | "null"
                | "true"
                | "with"
                | "some"
                | "in"
                | "if"
                | "contains"
                | "every"
        )
}

/// Parses one file, as Rego v1 and, failing that, v0 (what most existing
/// conftest policies are written in), or copies the parse of the same file
/// earlier in this process (`portal serve`, a test suite).
pub fn parse(path: &str, text: &Arc<str>, is_test: bool) -> Result<RegoFile, Diagnostic> {
    type Key = (String, Arc<str>, bool);
    /// Each file's parse, up to 4 MiB of policy text.
    static PARSED: LazyLock<Mutex<Kept<Key, Result<RegoFile, Diagnostic>>>> =
        LazyLock::new(|| Mutex::new(Kept::new(4 << 20)));
    let key = (path.to_owned(), text.clone(), is_test);
    kept::get_or_make(&PARSED, key, text.len(), || parse_anew(path, text, is_test))
        .as_ref()
        .clone()
}

fn parse_anew(path: &str, text: &Arc<str>, is_test: bool) -> Result<RegoFile, Diagnostic> {
    let attempt = |v0: bool| {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(v0);
        engine
            .add_policy(path.to_owned(), text.to_string())
            .map(|_| engine.get_modules()[0].clone())
    };
    let (module, v1) = match attempt(false) {
        Ok(module) => (module, true),
        Err(v1_error) => match attempt(true) {
            Ok(module) => (module, false),
            Err(v0_error) => {
                // Report the error of the version the file seems written in.
                let looks_v0 = !text.contains("import rego.v1")
                    && !text.contains(" contains ")
                    && !text.contains(" if ")
                    && !text.contains(" if{");
                let error = if looks_v0 { v0_error } else { v1_error };
                return Err(syntax_error(path, text, &error.to_string(), looks_v0));
            }
        },
    };
    let package = static_path(&module.package.refr).unwrap_or_default();
    let mut rules = Vec::new();
    for rule in &module.policy {
        rules.push(declaration(rule, text));
    }
    Ok(RegoFile {
        path: path.to_owned(),
        text: text.clone(),
        rewritten: text.to_string(),
        v1,
        package,
        rules,
        is_test,
        module,
        edits: Vec::new(),
    })
}

fn declaration(rule: &Rule, text: &str) -> RuleDecl {
    let mut bracket_true = false;
    let (span, refr, kind) = match rule {
        Rule::Spec { span, head, .. } => match head {
            RuleHead::Compr { refr, assign, .. } => {
                bracket_true = assign.is_none() && !matches!(refr.as_ref(), Expr::Var { .. });
                (span, refr, RuleKind::Complete)
            }
            RuleHead::Set { refr, .. } => (span, refr, RuleKind::Set),
            RuleHead::Func { refr, .. } => (span, refr, RuleKind::Function),
        },
        Rule::Default {
            span, refr, args, ..
        } => (
            span,
            refr,
            if args.is_empty() {
                RuleKind::Complete
            } else {
                RuleKind::Function
            },
        ),
    };
    let (head, _) = flatten(refr);
    let name = match head {
        Expr::Var { value, .. } => value.as_string().map(|s| s.to_string()).unwrap_or_default(),
        _ => String::new(),
    };
    let (line, column) = line_column(text, span.start as usize);
    let (end_line, _) = line_column(text, span.end as usize);
    RuleDecl {
        name,
        simple: matches!(refr.as_ref(), Expr::Var { .. }),
        bracket_true,
        kind,
        line,
        column,
        end_line,
    }
}

/// A regorus parse error, located in its file (regorus says `path:line:col`).
pub fn syntax_error(path: &str, text: &str, message: &str, v0: bool) -> Diagnostic {
    let (position, first_line) = split_error(path, message);
    let position = position.map(|(line, engine_column)| {
        let mut column = 1;
        let mut seen = 1;
        for c in text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .chars()
        {
            if seen >= engine_column {
                break;
            }
            seen += if c == '\t' { 4 } else { 1 };
            column += 1;
        }
        (line, column)
    });
    let location = match position.and_then(|(line, column)| Span::at_line(text, line, column)) {
        Some(span) => Location::at(path, span),
        None => Location::file(path),
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    Diagnostic::error(format!("Rego syntax error in `{name}`: {first_line}"))
        .at(location)
        .help(if v0 {
            "paved reads Rego v1 (`deny contains msg if { ... }`) and, failing that, v0 (`deny[msg] { ... }`); the message is for v0"
        } else {
            "paved reads Rego v1 (`deny contains msg if { ... }`) and, failing that, v0 (`deny[msg] { ... }`); the message is for v1"
        })
}

/// The position (`--> path:line:col`) and the message (`error: ...`) of a
/// regorus error.
pub fn split_error(path: &str, message: &str) -> (Option<(usize, usize)>, String) {
    let marker = format!("{path}:");
    let arrow = format!("--> {path}:");
    let found = match message.find(&arrow) {
        Some(at) => Some(at + 4),
        None if path.is_empty() => None,
        None => message.find(&marker),
    };
    let position = found.and_then(|at| {
        let rest = &message[at + marker.len()..];
        let mut parts = rest.split(|c: char| !c.is_ascii_digit());
        let line: usize = parts.next()?.parse().ok()?;
        let column: usize = parts.next()?.parse().ok()?;
        Some((line, column))
    });
    let text = message
        .lines()
        .rev()
        .find(|line| line.contains("error:"))
        .map(|line| line[line.find("error:").unwrap_or(0) + 6..].trim())
        .unwrap_or_else(|| {
            message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(message)
                .trim()
        })
        .to_owned();
    (position, text)
}

/// The static components of a reference (`a.b["c"]` is `[a, b, c]`), or
/// `None` when a component is computed.
pub(super) fn static_path(expr: &Expr) -> Option<Vec<String>> {
    let (head, components) = flatten(expr);
    let Expr::Var { value, .. } = head else {
        return None;
    };
    let mut out = vec![value.as_string().ok()?.to_string()];
    for component in components {
        match component {
            Component::Static(name) => out.push(name),
            Component::Dynamic(_) => return None,
        }
    }
    Some(out)
}

enum Component<'a> {
    Static(String),
    Dynamic(&'a Expr),
}

/// A reference as its head and its components, outermost last.
fn flatten(expr: &Expr) -> (&Expr, Vec<Component<'_>>) {
    let mut components = Vec::new();
    let mut node = expr;
    loop {
        match node {
            Expr::RefDot { refr, field, .. } => {
                components.push(Component::Static(
                    field
                        .1
                        .as_string()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                ));
                node = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                match index.as_ref() {
                    Expr::String { value, .. } | Expr::RawString { value, .. } => {
                        components.push(Component::Static(
                            value.as_string().map(|s| s.to_string()).unwrap_or_default(),
                        ))
                    }
                    other => components.push(Component::Dynamic(other)),
                }
                node = refr;
            }
            _ => break,
        }
    }
    components.reverse();
    (node, components)
}

/// A rule of a package: (package index, rule name).
type Node = (usize, String);

/// Everything `check` found.
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves imports in every file and checks calls, recursion and depth.
pub fn check(files: &mut [RegoFile], max_depth: usize) -> Analysis {
    // Every package and the rules it declares, across files.
    let mut packages: Vec<Vec<String>> = files.iter().map(|f| f.package.clone()).collect();
    packages.sort();
    packages.dedup();
    let mut rules: Vec<BTreeMap<String, RuleKind>> = vec![BTreeMap::new(); packages.len()];
    for file in files.iter() {
        let index = packages.binary_search(&file.package).unwrap_or(0);
        for rule in &file.rules {
            rules[index].entry(rule.name.clone()).or_insert(rule.kind);
        }
    }
    let world = World {
        packages: &packages,
        rules: &rules,
    };

    let mut diagnostics = Vec::new();
    let mut edges: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    // Where each rule is first defined, to point at it.
    let mut defined_at: BTreeMap<Node, (usize, usize, usize)> = BTreeMap::new();
    for (file_index, file) in files.iter_mut().enumerate() {
        let package = packages.binary_search(&file.package).unwrap_or(0);
        let mut aliases = BTreeMap::new();
        for import in &file.module.imports {
            let Some(path) = static_path(&import.refr) else {
                continue;
            };
            if path[0] != "data" && path[0] != "input" {
                continue; // `future.keywords`, `rego.v1`
            }
            let alias = match &import.r#as {
                Some(span) => span.text().to_owned(),
                None => path.last().cloned().unwrap_or_default(),
            };
            if path.len() == 1 && import.r#as.is_none() {
                continue; // `import input`, `import data`
            }
            aliases.insert(alias, (import.refr.span().text().to_owned(), path));
        }
        let mut walker = Walker {
            world: &world,
            package,
            aliases: &aliases,
            file: &*file,
            rewrites: Vec::new(),
            calls: BTreeSet::new(),
            diagnostics: Vec::new(),
        };
        let module = file.module.clone();
        for (rule, decl) in module.policy.iter().zip(&file.rules) {
            walker.calls.clear();
            walker.rule(rule);
            let node = (package, decl.name.clone());
            edges
                .entry(node.clone())
                .or_default()
                .extend(walker.calls.iter().cloned());
            defined_at
                .entry(node)
                .or_insert((file_index, decl.line, decl.column));
        }
        diagnostics.append(&mut walker.diagnostics);
        let mut rewrites = std::mem::take(&mut walker.rewrites);
        rewrites.sort();
        rewrites.dedup();
        apply_rewrites(file, &rewrites);
    }

    // Recursion and depth, over the graph of rules calling rules.
    let mut depth: BTreeMap<Node, usize> = BTreeMap::new();
    let mut on_stack: Vec<Node> = Vec::new();
    let mut reported = BTreeSet::new();
    for node in edges.keys() {
        longest(
            node,
            &edges,
            &mut depth,
            &mut on_stack,
            &mut |cycle: &[Node]| {
                let mut key: Vec<Node> = cycle.to_vec();
                key.sort();
                if !reported.insert(key) {
                    return;
                }
                let first = &cycle[0];
                let names: Vec<String> = cycle
                    .iter()
                    .chain(std::iter::once(first))
                    .map(|(p, name)| format!("{}.{name}", package_name(&packages[*p])))
                    .collect();
                let (file, line, column) = defined_at[first];
                diagnostics.push(
                    Diagnostic::error(format!(
                        "Rego rule `{}` depends on itself: {}",
                        names[0],
                        names.join(" → ")
                    ))
                    .at(files[file].location(line, column))
                    .code("policy/rego-recursion")
                    .help("OPA refuses recursive rules and functions; unroll the recursion or walk the data with `walk` or comprehensions"),
                );
            },
        );
    }
    if reported.is_empty() {
        for (node, levels) in &depth {
            if *levels > max_depth {
                // Report where the chain starts: a rule nothing calls.
                let called = edges.values().any(|to| to.contains(node));
                if called {
                    continue;
                }
                let (file, line, column) = defined_at[node];
                diagnostics.push(
                    Diagnostic::error(format!(
                        "Rego rule `{}.{}` calls rules {levels} deep, more than the limit of {max_depth}",
                        package_name(&packages[node.0]),
                        node.1
                    ))
                    .at(files[file].location(line, column))
                    .code("policy/rego-depth")
                    .help("raise `limits.depth` in `policies/paved.yaml`, or flatten the chain of rules"),
                );
            }
        }
    }
    Analysis { diagnostics }
}

/// The longest chain of calls from `node` (1 for a rule that calls none),
/// reporting every cycle met on the way.
fn longest(
    node: &Node,
    edges: &BTreeMap<Node, BTreeSet<Node>>,
    depth: &mut BTreeMap<Node, usize>,
    on_stack: &mut Vec<Node>,
    cycle: &mut dyn FnMut(&[Node]),
) -> usize {
    if let Some(known) = depth.get(node) {
        return *known;
    }
    if let Some(at) = on_stack.iter().position(|n| n == node) {
        cycle(&on_stack[at..]);
        return 0;
    }
    on_stack.push(node.clone());
    let mut deepest = 0;
    for next in edges.get(node).into_iter().flatten() {
        deepest = deepest.max(longest(next, edges, depth, on_stack, cycle));
    }
    on_stack.pop();
    depth.insert(node.clone(), deepest + 1);
    deepest + 1
}

fn apply_rewrites(file: &mut RegoFile, rewrites: &[(usize, usize, String)]) {
    if rewrites.is_empty() {
        return;
    }
    let text = &file.text;
    let mut out = String::with_capacity(text.len() + rewrites.len() * 16);
    let mut at = 0;
    for (start, end, replacement) in rewrites {
        if *start < at {
            continue;
        }
        out.push_str(&text[at..*start]);
        out.push_str(replacement);
        at = *end;
        let line = text[..*start].matches('\n').count() + 1;
        let column = start - text[..*start].rfind('\n').map_or(0, |n| n + 1) + 1;
        file.edits
            .push((line, column, replacement.len().saturating_sub(end - start)));
    }
    out.push_str(&text[at..]);
    file.rewritten = out;
}

struct World<'a> {
    packages: &'a [Vec<String>],
    rules: &'a [BTreeMap<String, RuleKind>],
}

impl World<'_> {
    /// The rules a reference `data.<components>` may read.
    fn resolve(&self, components: &[String]) -> Vec<Node> {
        let mut out = Vec::new();
        let mut best: Option<usize> = None;
        for (index, package) in self.packages.iter().enumerate() {
            if components.starts_with(package)
                && components.len() > package.len()
                && best.is_none_or(|b| self.packages[b].len() < package.len())
            {
                best = Some(index);
            }
        }
        if let Some(index) = best {
            let name = &components[self.packages[index].len()];
            if self.rules[index].contains_key(name) {
                out.push((index, name.clone()));
            }
            return out;
        }
        // A whole package (or several): every rule in it.
        for (index, package) in self.packages.iter().enumerate() {
            if package.starts_with(components) {
                out.extend(self.rules[index].keys().map(|name| (index, name.clone())));
            }
        }
        out
    }

    fn function(&self, components: &[String]) -> Option<Node> {
        let found = self.resolve(components);
        match found.as_slice() {
            [node] if self.rules[node.0].get(&node.1) == Some(&RuleKind::Function) => {
                Some(node.clone())
            }
            _ => None,
        }
    }
}

struct Walker<'a> {
    world: &'a World<'a>,
    package: usize,
    /// Import alias to (the reference as written, its components).
    aliases: &'a BTreeMap<String, (String, Vec<String>)>,
    file: &'a RegoFile,
    /// (start, end, replacement) byte ranges of the file.
    rewrites: Vec<(usize, usize, String)>,
    /// Rules the current rule depends on.
    calls: BTreeSet<Node>,
    diagnostics: Vec<Diagnostic>,
}

type Locals = BTreeSet<String>;

fn var_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Var { value, .. } => value.as_string().ok().map(|s| s.to_string()),
        _ => None,
    }
}

/// Variables a pattern (`x`, `[a, b]`, `{"k": v}`) declares.
fn pattern_vars(expr: &Expr, out: &mut Locals) {
    match expr {
        Expr::Var { .. } => {
            if let Some(name) = var_name(expr)
                && name != "_"
            {
                out.insert(name);
            }
        }
        Expr::Array { items, .. } => items.iter().for_each(|item| pattern_vars(item, out)),
        Expr::Object { fields, .. } => fields.iter().for_each(|(_, _, v)| pattern_vars(v, out)),
        _ => {}
    }
}

/// Variables a query declares with `:=`, `some` and `some ... in`.
fn declared(query: &Query, out: &mut Locals) {
    for stmt in &query.stmts {
        match &stmt.literal {
            Literal::SomeVars { vars, .. } => {
                out.extend(vars.iter().map(|span| span.text().to_owned()));
            }
            Literal::SomeIn { key, value, .. } => {
                if let Some(key) = key {
                    pattern_vars(key, out);
                }
                pattern_vars(value, out);
            }
            Literal::Expr { expr, .. } => {
                if let Expr::AssignExpr {
                    op: AssignOp::ColEq,
                    lhs,
                    ..
                } = expr.as_ref()
                {
                    pattern_vars(lhs, out);
                }
            }
            _ => {}
        }
    }
}

impl Walker<'_> {
    fn rule(&mut self, rule: &Rule) {
        match rule {
            Rule::Spec { head, bodies, .. } => {
                let mut args = Locals::new();
                let (refr, values): (&Expr, Vec<&Expr>) = match head {
                    RuleHead::Compr { refr, assign, .. } => {
                        (refr, assign.iter().map(|a| a.value.as_ref()).collect())
                    }
                    RuleHead::Set { refr, key, .. } => {
                        (refr, key.iter().map(|k| k.as_ref()).collect())
                    }
                    RuleHead::Func {
                        refr,
                        args: a,
                        assign,
                        ..
                    } => {
                        for arg in a {
                            pattern_vars(arg, &mut args);
                        }
                        (refr, assign.iter().map(|a| a.value.as_ref()).collect())
                    }
                };
                let mut scopes = Vec::new();
                if bodies.is_empty() {
                    scopes.push(args.clone());
                }
                for body in bodies {
                    let mut locals = args.clone();
                    declared(&body.query, &mut locals);
                    self.query(&body.query, &locals);
                    if let Some(assign) = &body.assign {
                        self.expr(&assign.value, &locals, false);
                    }
                    scopes.push(locals);
                }
                // The head's value and key are bound in the bodies.
                let all: Locals = scopes.into_iter().flatten().collect();
                for value in values {
                    self.expr(value, &all, false);
                }
                let (_, components) = flatten(refr);
                for component in components {
                    if let Component::Dynamic(index) = component {
                        self.expr(index, &all, false);
                    }
                }
            }
            Rule::Default { value, .. } => self.expr(value, &Locals::new(), false),
        }
    }

    fn query(&mut self, query: &Query, outer: &Locals) {
        let mut locals = outer.clone();
        declared(query, &mut locals);
        for stmt in &query.stmts {
            match &stmt.literal {
                Literal::SomeVars { .. } => {}
                Literal::SomeIn {
                    key,
                    value,
                    collection,
                    ..
                } => {
                    if let Some(key) = key {
                        self.expr(key, &locals, false);
                    }
                    self.expr(value, &locals, false);
                    self.expr(collection, &locals, false);
                }
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                    self.expr(expr, &locals, false);
                }
                Literal::Every {
                    key,
                    value,
                    domain,
                    query,
                    ..
                } => {
                    self.expr(domain, &locals, false);
                    let mut inner = locals.clone();
                    inner.extend(key.iter().map(|span| span.text().to_owned()));
                    inner.insert(value.text().to_owned());
                    self.query(query, &inner);
                }
            }
            for with in &stmt.with_mods {
                // The target is replaced, not read; its imports still resolve.
                self.expr(&with.refr, &locals, true);
                self.expr(&with.r#as, &locals, false);
            }
        }
    }

    fn rewrite_alias(&mut self, expr: &Expr, written: &str) {
        let span = expr.span();
        self.rewrites
            .push((span.start as usize, span.end as usize, written.to_owned()));
    }

    /// Walks an expression. `target` is set for `with` targets, which are
    /// replaced rather than read.
    fn expr(&mut self, expr: &Expr, locals: &Locals, target: bool) {
        match expr {
            Expr::Var { .. } => {
                let Some(name) = var_name(expr) else { return };
                self.reference(expr, &name, &[], locals, target);
            }
            Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                let (head, components) = flatten(expr);
                let mut statics = Vec::new();
                for component in &components {
                    match component {
                        Component::Static(name) => statics.push(name.clone()),
                        Component::Dynamic(_) => break,
                    }
                }
                match var_name(head) {
                    Some(name) => self.reference(head, &name, &statics, locals, target),
                    None => self.expr(head, locals, false),
                }
                for component in components {
                    if let Component::Dynamic(index) = component {
                        self.expr(index, locals, false);
                    }
                }
            }
            Expr::Call { fcn, params, .. } => {
                self.call(fcn, locals, target);
                for param in params {
                    self.expr(param, locals, false);
                }
            }
            Expr::Array { items, .. } | Expr::Set { items, .. } => {
                for item in items {
                    self.expr(item, locals, false);
                }
            }
            Expr::Object { fields, .. } => {
                for (_, key, value) in fields {
                    self.expr(key, locals, false);
                    self.expr(value, locals, false);
                }
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                let mut inner = locals.clone();
                declared(query, &mut inner);
                self.query(query, locals);
                self.expr(term, &inner, false);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                let mut inner = locals.clone();
                declared(query, &mut inner);
                self.query(query, locals);
                self.expr(key, &inner, false);
                self.expr(value, &inner, false);
            }
            Expr::UnaryExpr { expr, .. } => self.expr(expr, locals, false),
            Expr::BinExpr { lhs, rhs, .. }
            | Expr::BoolExpr { lhs, rhs, .. }
            | Expr::ArithExpr { lhs, rhs, .. }
            | Expr::AssignExpr { lhs, rhs, .. } => {
                self.expr(lhs, locals, false);
                self.expr(rhs, locals, false);
            }
            Expr::Membership {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(key) = key {
                    self.expr(key, locals, false);
                }
                self.expr(value, locals, false);
                self.expr(collection, locals, false);
            }
            _ => {}
        }
    }

    /// A reference whose head is the variable `name`, followed by the
    /// static components `rest`.
    fn reference(
        &mut self,
        head: &Expr,
        name: &str,
        rest: &[String],
        locals: &Locals,
        target: bool,
    ) {
        if locals.contains(name) || name == "input" {
            return;
        }
        let components: Vec<String> = if name == "data" {
            rest.to_vec()
        } else if let Some((written, path)) = self.aliases.get(name) {
            self.rewrite_alias(head, written);
            if path[0] != "data" {
                return; // an alias of `input...`
            }
            path[1..].iter().chain(rest).cloned().collect()
        } else if self.world.rules[self.package].contains_key(name) {
            let mut path = self.world.packages[self.package].clone();
            path.push(name.to_owned());
            path
        } else {
            return; // a variable the body binds
        };
        if !target {
            self.calls.extend(self.world.resolve(&components));
        }
    }

    fn call(&mut self, fcn: &Expr, locals: &Locals, target: bool) {
        let Some(path) = static_path(fcn) else {
            self.expr(fcn, locals, false);
            return;
        };
        let (head, _) = flatten(fcn);
        let name = path.join(".");
        let components: Option<Vec<String>> = if path[0] == "data" {
            Some(path[1..].to_vec())
        } else if let Some((written, alias_path)) = self.aliases.get(&path[0]) {
            self.rewrite_alias(head, written);
            (alias_path[0] == "data")
                .then(|| alias_path[1..].iter().chain(&path[1..]).cloned().collect())
        } else if path.len() == 1 && self.world.rules[self.package].contains_key(&path[0]) {
            let mut own = self.world.packages[self.package].clone();
            own.push(path[0].clone());
            Some(own)
        } else {
            None
        };
        if let Some(components) = components
            && let Some(node) = self.world.function(&components)
        {
            if !target {
                self.calls.insert(node);
            }
            return;
        }
        let location = self.file.location_at(fcn.span().start as usize);
        if let Some((_, why)) = REFUSED_BUILTINS.iter().find(|(b, _)| *b == name) {
            self.diagnostics.push(
                Diagnostic::error(format!("`{name}` is not allowed in policies: {why}"))
                    .at(location)
                    .code("policy/rego-sandbox")
                    .help("paved evaluates policies without network, environment, clock or randomness, so that every run gives the same findings"),
            );
        } else if name != "print" && !regorus::unstable::BUILTINS.contains_key(name.as_str()) {
            self.diagnostics.push(
                Diagnostic::error(format!("unknown function `{name}`"))
                    .at(location)
                    .code("policy/rego-error")
                    .help("call a Rego builtin paved supports, or a function the policies define (imported packages' functions are `<alias>.<name>`)"),
            );
        }
    }
}
