//! Rule indexing, the way OPA indexes rules: what a checked rule's
//! bodies require of the input before anything else. Two uses:
//!
//! - **Kinds.** A rule whose every body requires `input.kind` to be one
//!   of a few names cannot produce anything for a resource of another
//!   kind, so it is not evaluated for one. Most conftest rules start that
//!   way (`input.kind == "Service"`, `workloads[input.kind]`), and most
//!   resources match few of them.
//! - **Inline guards.** A rule with one body has its leading tests of the
//!   input written in front of it in the generated rule that queries it,
//!   so where one fails the rule is not entered at all.
//!
//! Exactness comes first. Guards are read only from a body's leading
//! statements that cannot fail with an error; the first statement of any
//! other shape (a call, `not`, `with`, a comparison with a number) ends
//! them. So where a guard does not hold, OPA stops that body at the guard
//! too: skipping the rule changes neither findings nor errors. A guard is
//! one of:
//!
//! - a reference into `input` with static components, tested for truth
//!   (`input.paved.production`);
//! - such a reference compared with a string (`input.kind == "Service"`,
//!   either side; `=` in Rego v0);
//! - such a reference in a set or array of strings (`input.kind in
//!   {"Deployment", "Job"}`);
//! - `workloads[input.kind]`, where `workloads` is a rule of the same
//!   package defined once, as a set of strings, with no body (and not an
//!   import's alias or a package's prefix);
//! - last, `some c in containers`, where `containers` is a set rule of the
//!   same package indexed by kind itself; the guards end there, since
//!   evaluating `containers` may fail.
//!
//! A rule is indexed only when every definition is a set rule
//! (`contains`, or `deny[msg]` in Rego v0), without `else`, whose every
//! body has guards; its kinds are the union of its bodies'.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{AssignOp, BoolOp, Expr, Literal, LiteralStmt, Rule, RuleHead};

use serde_json::Value;

use super::analysis::{RegoFile, is_identifier, static_path};

/// A rule: its package (without `data`) and name.
pub type RuleId = (Vec<String>, String);

/// What the index knows of a rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Indexed {
    /// The resource kinds it can produce anything for; `None` for every
    /// kind.
    pub kinds: Option<BTreeSet<String>>,
    /// Statements on the input that its only body starts with, as Rego:
    /// where one does not hold, the rule is empty.
    pub guards: Vec<String>,
}

/// What the index knows of every rule of `files`.
pub fn index(files: &[RegoFile]) -> BTreeMap<RuleId, Indexed> {
    let mut definitions: BTreeMap<RuleId, Vec<Definition>> = BTreeMap::new();
    for file in files {
        for (rule, decl) in file.module.policy.iter().zip(&file.rules) {
            definitions
                .entry((file.package.clone(), decl.name.clone()))
                .or_default()
                .push(Definition {
                    file,
                    rule,
                    simple: decl.simple,
                });
        }
    }
    let packages: BTreeSet<&[String]> = files.iter().map(|f| f.package.as_slice()).collect();
    let index = Index {
        definitions: &definitions,
        packages,
    };
    definitions
        .keys()
        .map(|id| {
            let indexed = Indexed {
                kinds: index.rule(id, 0),
                guards: index.inline(id),
            };
            (id.clone(), indexed)
        })
        .filter(|(_, indexed)| *indexed != Indexed::default())
        .collect()
}

/// One definition of a rule.
struct Definition<'a> {
    file: &'a RegoFile,
    rule: &'a Rule,
    /// Whether the head is the bare name (not `a.b contains x`).
    simple: bool,
}

struct Index<'a> {
    definitions: &'a BTreeMap<RuleId, Vec<Definition<'a>>>,
    packages: BTreeSet<&'a [String]>,
}

/// How deep `some c in containers` may lead (recursion is refused before
/// this runs; this only bounds the walk).
const MAX_DEPTH: usize = 8;

impl Index<'_> {
    /// The kinds rule `id` is restricted to, if it is.
    fn rule(&self, id: &RuleId, depth: usize) -> Option<BTreeSet<String>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut kinds = BTreeSet::new();
        for body in self.bodies(id)? {
            let (atoms, then) = self.guards(body.0, body.1, depth);
            let mut allowed = then;
            for atom in &atoms {
                if let Some(set) = atom.kinds() {
                    allowed = Some(match allowed {
                        Some(before) => before.intersection(&set).cloned().collect(),
                        None => set,
                    });
                }
            }
            kinds.extend(allowed?);
        }
        Some(kinds)
    }

    /// The guards rule `id` starts with, as Rego: only for a rule with one
    /// body, whose value is empty wherever one of them does not hold.
    /// Tests of `input.kind` are left out: the rule's kinds say them.
    fn inline(&self, id: &RuleId) -> Vec<String> {
        match self.bodies(id).as_deref() {
            Some([(file, stmts)]) => {
                let (atoms, _) = self.guards(file, stmts, 0);
                atoms
                    .iter()
                    .filter(|atom| atom.kinds().is_none())
                    .map(Atom::rego)
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Every body of set rule `id` (all its definitions simple, none with
    /// `else`), with the file it is in; `None` for any other rule.
    fn bodies(&self, id: &RuleId) -> Option<Vec<(&RegoFile, &[LiteralStmt])>> {
        let mut out = Vec::new();
        for definition in self.definitions.get(id)? {
            let Rule::Spec {
                head: RuleHead::Set { .. },
                bodies,
                ..
            } = definition.rule
            else {
                return None;
            };
            if !definition.simple || bodies.is_empty() {
                return None;
            }
            for body in bodies {
                if body.assign.is_some() || body.is_else {
                    return None;
                }
                out.push((definition.file, body.query.stmts.as_slice()));
            }
        }
        Some(out)
    }

    /// A body's leading guards, and the kinds a `some c in containers`
    /// that ends them allows.
    fn guards(
        &self,
        file: &RegoFile,
        stmts: &[LiteralStmt],
        depth: usize,
    ) -> (Vec<Atom>, Option<BTreeSet<String>>) {
        let mut atoms = Vec::new();
        for stmt in stmts {
            if !stmt.with_mods.is_empty() {
                break;
            }
            match &stmt.literal {
                Literal::Expr { expr, .. } => match self.atom(file, expr) {
                    Some(atom) => atoms.push(atom),
                    None => break,
                },
                Literal::SomeIn {
                    key: None,
                    collection,
                    ..
                } => return (atoms, self.rule_guard(file, collection, depth)),
                _ => break,
            }
        }
        (atoms, None)
    }

    /// `expr` as a guard on the input, if it is one.
    fn atom(&self, file: &RegoFile, expr: &Expr) -> Option<Atom> {
        match expr {
            Expr::BoolExpr {
                op: BoolOp::Eq,
                lhs,
                rhs,
                ..
            }
            | Expr::AssignExpr {
                op: AssignOp::Eq,
                lhs,
                rhs,
                ..
            } => match (input_path(lhs), input_path(rhs)) {
                (Some(path), None) => Some(Atom::Equals(path, string(rhs)?)),
                (None, Some(path)) => Some(Atom::Equals(path, string(lhs)?)),
                _ => None,
            },
            Expr::Membership {
                key: None,
                value,
                collection,
                ..
            } => Some(Atom::In(input_path(value)?, strings(collection)?)),
            Expr::RefBrack { refr, index, .. } if input_path(index).is_some() => {
                Some(Atom::In(input_path(index)?, self.constant_set(file, refr)?))
            }
            _ => Some(Atom::Truthy(input_path(expr)?)),
        }
    }

    /// The kinds of the collection of `some c in containers`, when it is a
    /// set rule of the file's package indexed by kind.
    fn rule_guard(&self, file: &RegoFile, expr: &Expr, depth: usize) -> Option<BTreeSet<String>> {
        let id = self.local_rule(file, expr)?;
        self.rule(&id, depth + 1)
    }

    /// `workloads`, defined once in the file's package as a set of strings.
    fn constant_set(&self, file: &RegoFile, expr: &Expr) -> Option<BTreeSet<String>> {
        let id = self.local_rule(file, expr)?;
        let [definition] = self.definitions.get(&id)?.as_slice() else {
            return None;
        };
        if !definition.simple {
            return None;
        }
        match definition.rule {
            Rule::Spec {
                head:
                    RuleHead::Compr {
                        assign: Some(assign),
                        ..
                    },
                bodies,
                ..
            } if bodies.is_empty() => match assign.value.as_ref() {
                Expr::Set { .. } => strings(&assign.value),
                _ => None,
            },
            _ => None,
        }
    }

    /// The rule of the file's own package that a bare name refers to: not
    /// an import's alias, not a package's prefix.
    fn local_rule(&self, file: &RegoFile, expr: &Expr) -> Option<RuleId> {
        let Expr::Var { value, .. } = expr else {
            return None;
        };
        let name = value.as_string().ok()?.to_string();
        if matches!(name.as_str(), "input" | "data" | "_")
            || file.module.imports.iter().any(|import| {
                import
                    .r#as
                    .as_ref()
                    .map(|span| span.text().to_owned())
                    .or_else(|| static_path(&import.refr).and_then(|p| p.last().cloned()))
                    .as_deref()
                    == Some(name.as_str())
            })
        {
            return None;
        }
        let mut child = file.package.clone();
        child.push(name.clone());
        if self.packages.iter().any(|p| p.starts_with(&child)) {
            return None;
        }
        let id = (file.package.clone(), name);
        self.definitions.contains_key(&id).then_some(id)
    }
}

/// A guard: a statement on the input alone that cannot fail, only be
/// false or undefined.
#[derive(Debug)]
enum Atom {
    /// `input.paved.production`
    Truthy(Vec<String>),
    /// `input.kind == "Service"`
    Equals(Vec<String>, String),
    /// `input.kind in {"ConfigMap", "Secret"}`, `workloads[input.kind]`
    In(Vec<String>, BTreeSet<String>),
}

impl Atom {
    /// The kinds it allows, if it tests `input.kind`.
    fn kinds(&self) -> Option<BTreeSet<String>> {
        match self {
            Atom::Equals(path, name) if path == &["input", "kind"] => {
                Some(BTreeSet::from([name.clone()]))
            }
            Atom::In(path, names) if path == &["input", "kind"] => Some(names.clone()),
            _ => None,
        }
    }

    /// The guard as a Rego statement.
    fn rego(&self) -> String {
        let path = |path: &[String]| {
            let mut out = String::from("input");
            for component in &path[1..] {
                if is_identifier(component) {
                    out.push('.');
                    out.push_str(component);
                } else {
                    out.push_str(&format!("[{}]", Value::from(component.as_str())));
                }
            }
            out
        };
        match self {
            Atom::Truthy(at) => path(at),
            Atom::Equals(at, value) => format!("{} == {}", path(at), Value::from(value.as_str())),
            Atom::In(at, values) => {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| Value::from(v.as_str()).to_string())
                    .collect();
                format!("{} in {{{}}}", path(at), values.join(", "))
            }
        }
    }
}

/// A reference into `input` with only static components (which is
/// undefined where the input lacks it, but never fails).
fn input_path(expr: &Expr) -> Option<Vec<String>> {
    static_path(expr).filter(|path| path[0] == "input")
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::String { value, .. } | Expr::RawString { value, .. } => {
            value.as_string().ok().map(|s| s.to_string())
        }
        _ => None,
    }
}

/// A set or array literal of strings.
fn strings(expr: &Expr) -> Option<BTreeSet<String>> {
    match expr {
        Expr::Set { items, .. } | Expr::Array { items, .. } => {
            items.iter().map(|item| string(item)).collect()
        }
        _ => None,
    }
}
