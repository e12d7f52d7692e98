//! Stage 4, render: a golden path's Tera templates, fed a unit's resolved
//! values, produce YAML documents that are parsed back into resources.
//!
//! Templates are compiled once per golden path. They see only their own
//! path's files (no file system, no environment variables, no clock), and
//! every value they print is escaped for YAML: each `{{ }}` gets `| yaml`
//! at compile time (a string prints JSON-quoted, a list or map as JSON,
//! which is YAML), `safe` is refused, so no value can inject a field. Pure:
//! no I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use serde_json::Value;
use tera::Tera;

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::input::intents::is_partial;
use crate::input::load::TemplateFile;
use crate::input::yaml;
use crate::support::hash::Fingerprint;
use crate::support::kept::Kept;
use crate::support::kube::pod_template_pointer;

/// A rendered Kubernetes object and the template that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub value: Value,
    /// Repository-relative path of the template.
    pub template: String,
    /// Paths written after the template (by a service's patch, or from
    /// platform settings), with the input line that wrote them.
    pub written: Vec<(String, Location)>,
}

impl Resource {
    /// The pod template of a workload.
    pub fn pod_template(&self) -> Option<&Value> {
        self.value.pointer(pod_template_pointer(self.kind())?)
    }

    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value["metadata"]["namespace"].as_str()
    }

    pub fn api_version(&self) -> &str {
        self.value["apiVersion"].as_str().unwrap_or_default()
    }
}

/// The compiled templates of one golden path (or of the platform).
pub struct Engine {
    tera: Tera,
    files: BTreeMap<String, TemplateFile>,
    /// A fingerprint of every file's name, path and text: what, with a
    /// context, a render depends on ([`Remembered`]).
    id: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("templates", &self.files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Quotes a string for YAML: the escape applied to every bare `{{ }}`.
fn escape(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serialises")
}

/// `{{ value | yaml }}`: any value as a JSON flow value.
struct YamlFilter;

impl tera::Filter for YamlFilter {
    fn filter(&self, value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
        Ok(Value::String(
            serde_json::to_string(value).map_err(tera::Error::json)?,
        ))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Most items `range` may make: a loop over more is a template bug, and
/// Tera's own `range` builds the whole list first (and panics on a zero
/// step).
pub const MAX_RANGE: usize = 100_000;

/// Most items all of one template's `range` calls may make together: a
/// loop in a loop multiplies, and a nest that prints nothing never meets
/// the limit on output, so it is counted here.
pub const MAX_RANGE_PER_TEMPLATE: usize = 1_000_000;

thread_local! {
    /// Items `range` has made in the template this thread is rendering.
    static RANGE_ITEMS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `range(end, start=0, step_by=1)`, bounded.
fn bounded_range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let number = |name: &str, default: Option<u64>| -> tera::Result<u64> {
        match (args.get(name), default) {
            (Some(value), _) => value.as_u64().ok_or_else(|| {
                tera::Error::msg(format!(
                    "`range` takes a whole number for `{name}`, not {value}"
                ))
            }),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(tera::Error::msg(format!("`range` needs `{name}`"))),
        }
    };
    let (start, end, step) = (
        number("start", Some(0))?,
        number("end", None)?,
        number("step_by", Some(1))?,
    );
    if step == 0 {
        return Err(tera::Error::msg("`range` needs a `step_by` above 0"));
    }
    if start > end {
        return Err(tera::Error::msg(format!(
            "`range` starts at {start}, after its end {end}"
        )));
    }
    let count = (end - start).div_ceil(step);
    if count > MAX_RANGE as u64 {
        return Err(tera::Error::msg(format!(
            "`range` of {count} items is over the limit of {MAX_RANGE}"
        )));
    }
    let made = RANGE_ITEMS.get() + count as usize;
    if made > MAX_RANGE_PER_TEMPLATE {
        return Err(tera::Error::msg(format!(
            "`range` made more than {MAX_RANGE_PER_TEMPLATE} items in one template; \
             look for a loop in a loop"
        )));
    }
    RANGE_ITEMS.set(made);
    Ok(Value::Array(
        (start..end)
            .step_by(step as usize)
            .map(Value::from)
            .collect(),
    ))
}

/// A Tera with paved's limits on every template it runs, golden paths'
/// and skeletons alike: no `get_env` (templates see only the values paved
/// gives them) and a bounded `range`. Render with [`render_bounded`].
pub fn sandboxed() -> Tera {
    let mut tera = Tera::default();
    tera.register_function("get_env", no_env);
    tera.register_function("range", bounded_range);
    tera
}

/// Why [`render_bounded`] printed nothing.
pub enum Refused {
    /// The template printed more than the limit on YAML text.
    OverLimit,
    /// Tera's own error (the limit on `range` among them).
    Failed(tera::Error),
}

/// Renders template `name` of `tera` (made by [`sandboxed`]) with
/// `context`, within paved's limits: all `range` calls of the template
/// together make at most [`MAX_RANGE_PER_TEMPLATE`] items, and it prints
/// at most the limit on YAML text.
pub fn render_bounded(tera: &Tera, name: &str, context: &tera::Context) -> Result<String, Refused> {
    let mut output = Bounded {
        bytes: Vec::new(),
        full: false,
    };
    RANGE_ITEMS.set(0);
    let rendered = tera.render_to(name, context, &mut output);
    match rendered {
        Err(_) if output.full => Err(Refused::OverLimit),
        Err(error) => Err(Refused::Failed(error)),
        Ok(()) => String::from_utf8(output.bytes)
            .map_err(|_| Refused::Failed(tera::Error::msg("the output is not UTF-8"))),
    }
}

/// What a template prints, cut off at the limit on YAML text: a runaway
/// loop fails instead of filling memory.
struct Bounded {
    bytes: Vec<u8>,
    /// Whether the template tried to print past the limit.
    full: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + bytes.len() > crate::support::limits::MAX_BYTES {
            self.full = true;
            return Err(std::io::Error::other("the output is over the limit"));
        }
        self.bytes.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Templates may not read the process environment.
fn no_env(_: &HashMap<String, Value>) -> tera::Result<Value> {
    Err(tera::Error::msg(
        "`get_env` is not available: templates see only the values paved gives them",
    ))
}

/// Parses one template, or copies the parse of the same text earlier in
/// this process: an older golden-path version repeats most of the current
/// one's files, and `diff` and `check --base` compile the base commit's
/// templates beside the working tree's. Parsing (pest) is a sixth of a
/// small organisation's render. The name only labels the result.
fn parse(name: &str, text: &str) -> tera::Result<tera::Template> {
    /// Each text's parse, up to 16 MiB of text: `portal serve` compiles
    /// each edit of a template anew for as long as it runs.
    static PARSED: LazyLock<Mutex<Kept<String, tera::Template>>> =
        LazyLock::new(|| Mutex::new(Kept::new(16 << 20)));
    let known = PARSED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(text);
    let parsed = match known {
        Some(known) => {
            let mut parsed = tera::Template::clone(&known);
            parsed.name = name.to_owned();
            parsed
        }
        None => {
            let parsed = tera::Template::new(name, None, text)?;
            PARSED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(text.to_owned(), Arc::new(parsed.clone()), text.len());
            parsed
        }
    };
    Ok(parsed)
}

impl Engine {
    /// Compiles `templates`, reporting every file that does not parse.
    pub fn compile(templates: &[TemplateFile]) -> Result<Engine, Vec<Diagnostic>> {
        let mut tera = sandboxed();
        tera.autoescape_on(vec![""]);
        tera.set_escape_fn(escape);
        tera.register_filter("yaml", YamlFilter);
        // As `Tera::add_raw_templates` does, with each text parsed once.
        let added = templates
            .iter()
            .try_for_each(|template| {
                let parsed = parse(&template.name, &template.text).map_err(|e| {
                    tera::Error::chain(format!("Failed to parse '{}'", template.name), e)
                })?;
                tera.templates.insert(template.name.clone(), parsed);
                Ok(())
            })
            .and_then(|()| tera.build_inheritance_chains())
            .and_then(|()| tera.check_macro_files());
        if let Err(error) = added {
            // Tera stops at the first problem: parse each file alone, so
            // that every syntax error is reported with its own file.
            let syntax: Vec<Diagnostic> = templates
                .iter()
                .filter_map(|template| {
                    let mut alone = Tera::default();
                    let error = alone
                        .add_raw_template(&template.name, &template.text)
                        .err()?;
                    Some(template_error(template, &error, None))
                })
                .collect();
            if !syntax.is_empty() {
                return Err(syntax);
            }
            // Cross-file problems: a missing parent or include.
            let first = templates.first().expect("templates were added");
            return Err(vec![template_error(first, &error, None)]);
        }
        let files: BTreeMap<String, TemplateFile> = templates
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect();
        let mut refused = recursion(&tera, &files);
        refused.extend(escape_everything(&mut tera, &files));
        if !refused.is_empty() {
            return Err(refused);
        }
        let mut id = Fingerprint::default();
        for file in files.values() {
            id.add_text(&file.name)
                .add_text(&file.path)
                .add_text(&file.text);
        }
        Ok(Engine {
            tera,
            files,
            id: id.finish(),
        })
    }

    /// A fingerprint of every template's name, path and text.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Renders every top-level template with `context`. `what` names the
    /// unit in messages (`checkout` in `prod-eu-1`).
    pub fn render(&self, context: Value, what: &str) -> (Vec<Resource>, Vec<Diagnostic>) {
        if !remembers_renders() {
            let (resources, diagnostics, _) = self.render_anew(context, what);
            return (resources, diagnostics);
        }
        let mut key = Fingerprint::default();
        key.add_text(&self.id).add_json(&context);
        let key = key.finish();
        if let Some(resources) = Remembered::get(&key) {
            return (resources, Vec::new());
        }
        let (resources, diagnostics, printed) = self.render_anew(context, what);
        if diagnostics.is_empty() {
            Remembered::keep(key, &resources, printed);
        }
        (resources, diagnostics)
    }

    /// [`Engine::render`], and the bytes the templates printed.
    fn render_anew(&self, context: Value, what: &str) -> (Vec<Resource>, Vec<Diagnostic>, usize) {
        let mut printed = 0;
        let mut resources = Vec::new();
        let mut diagnostics = Vec::new();
        let names: Vec<String> = context
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let tera_context = match tera::Context::from_value(context) {
            Ok(tera_context) => tera_context,
            Err(error) => {
                diagnostics.push(Diagnostic::error(format!(
                    "cannot build the template context: {error}"
                )));
                return (resources, diagnostics, printed);
            }
        };
        for template in self.files.values().filter(|t| !is_partial(&t.name)) {
            let text = match render_bounded(&self.tera, &template.name, &tera_context) {
                Ok(text) => text,
                Err(Refused::OverLimit) => {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "template `{}` printed more than the limit of {}",
                            template.name,
                            crate::support::text::human_bytes(crate::support::limits::MAX_BYTES)
                        ))
                        .in_file(&template.path)
                        .help(format!("seen rendering {what}"))
                        .help("look for a loop that prints more than it should"),
                    );
                    continue;
                }
                Err(Refused::Failed(error)) => {
                    let mut diagnostic = template_error(template, &error, Some(what));
                    if diagnostic.message.contains("not found in context") {
                        diagnostic = diagnostic.help(format!(
                            "templates see: {}",
                            crate::support::text::quote_list(&names)
                        ));
                    }
                    diagnostics.push(diagnostic);
                    continue;
                }
            };
            printed += text.len();
            let documents = match yaml::parse_values(&template.path, &text) {
                Ok(documents) => documents,
                Err(parse_error) => {
                    diagnostics.push(invalid_output(template, &text, &parse_error, what));
                    continue;
                }
            };
            for document in documents {
                match check_object(&document) {
                    Ok(()) => resources.push(Resource {
                        value: document,
                        template: template.path.clone(),
                        written: Vec::new(),
                    }),
                    Err(problem) => diagnostics.push(
                        Diagnostic::error(format!(
                            "template `{}` produced something that is not a Kubernetes object: {problem}",
                            template.name
                        ))
                        .in_file(&template.path)
                        .help(format!("seen rendering {what}"))
                        .help("every document a template prints needs `apiVersion`, `kind` and `metadata.name`"),
                    ),
                }
            }
        }
        (resources, diagnostics, printed)
    }
}

/// Whether renders are remembered: see [`remember_renders`].
static REMEMBER: AtomicBool = AtomicBool::new(true);

/// Says whether this process may render the same units, or the same
/// inputs, again: `portal serve` renders after each edit, a library user
/// or a test suite runs command after command, and most units (often the
/// whole inputs) are then the same as last time. It then keeps recent unit
/// renders (below) and whole runs (`render::rerun`). On by default;
/// `paved` itself, one command per process, turns it off (remembering
/// would only cost it copies and memory).
pub fn remember_renders(remember: bool) {
    REMEMBER.store(remember, Ordering::Relaxed);
}

/// Whether renders are remembered ([`remember_renders`]).
pub fn remembers_renders() -> bool {
    REMEMBER.load(Ordering::Relaxed)
}

/// Renders made earlier in this process, by a sha256 of the engine and
/// the context. A render is a function of the templates and the context
/// alone (no clock, no environment, no file system), so a unit whose
/// engine and context are byte for byte those of a kept render gets a
/// copy of its resources. Only renders that reported nothing are kept, up
/// to 16 MiB of printed YAML (as objects they take a few times more: a
/// few hundred services' units).
struct Remembered;

impl Remembered {
    /// Printed bytes kept at most.
    const KEPT: usize = 16 << 20;

    fn renders() -> std::sync::MutexGuard<'static, Kept<String, Vec<Resource>>> {
        static RENDERS: LazyLock<Mutex<Kept<String, Vec<Resource>>>> =
            LazyLock::new(|| Mutex::new(Kept::new(Remembered::KEPT)));
        RENDERS.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(key: &str) -> Option<Vec<Resource>> {
        let kept = Remembered::renders().get(key)?;
        Some(kept.as_ref().clone())
    }

    fn keep(key: String, resources: &[Resource], printed: usize) {
        // One render may not take the place of many.
        if printed > Remembered::KEPT / 16 {
            return;
        }
        let copy = Arc::new(resources.to_vec());
        Remembered::renders().insert(key, copy, printed);
    }
}

/// A macro or include that can reach itself could recurse until the stack
/// overflows (Tera has no depth limit): each is refused, at the call.
fn recursion(tera: &Tera, files: &BTreeMap<String, TemplateFile>) -> Vec<Diagnostic> {
    use tera::ast::Node;
    // A node of the call graph: a template's top level (macro `None`) or
    // one of its macros. Edges: the macros it calls and the templates it
    // includes, each with the text of the call, to point at.
    type Key = (String, Option<String>);
    let mut edges: BTreeMap<Key, Vec<(Key, String)>> = BTreeMap::new();
    for (name, template) in &tera.templates {
        if !files.contains_key(name) {
            continue;
        }
        let namespaces: HashMap<&str, &str> = template
            .imported_macro_files
            .iter()
            .map(|(file, namespace)| (namespace.as_str(), file.as_str()))
            .collect();
        let mut calls = |body: &[Node], from: Key| {
            let mut found = Vec::new();
            calls_in(body, &mut found);
            let list = edges.entry(from).or_default();
            for call in found {
                match call {
                    Call::Macro(namespace, called) => {
                        let file = match namespace.as_str() {
                            "self" => Some(name.as_str()),
                            other => namespaces.get(other).copied(),
                        };
                        if let Some(file) = file {
                            let text = format!("{namespace}::{called}");
                            list.push(((file.to_owned(), Some(called)), text));
                        }
                    }
                    Call::Include(included) => {
                        let text = format!("include \"{included}\"");
                        list.push(((included, None), text));
                    }
                }
            }
        };
        calls(&template.ast, (name.clone(), None));
        for (macro_name, definition) in &template.macros {
            calls(&definition.body, (name.clone(), Some(macro_name.clone())));
        }
    }
    // Depth-first search for a path from each node back to itself.
    let mut diagnostics = Vec::new();
    let mut reported: BTreeSet<Key> = BTreeSet::new();
    for start in edges.keys() {
        let mut seen: BTreeSet<&Key> = BTreeSet::new();
        let mut pending: Vec<(&Key, Option<&str>)> = vec![(start, None)];
        while let Some((at, first_call)) = pending.pop() {
            for (next, text) in edges.get(at).into_iter().flatten() {
                let call = first_call.unwrap_or(text);
                if next == start {
                    if reported.insert(start.clone()) {
                        diagnostics.push(recursion_error(files, start, call));
                    }
                } else if seen.insert(next) {
                    pending.push((next, Some(call)));
                }
            }
        }
    }
    diagnostics
}

/// Makes every printed value go through the YAML escape. Tera escapes a
/// bare `{{ value }}` only when it is a string: a list or map (`{{
/// spec.command }}`) or a concatenation (`{{ "db-" ~ name }}`) would print
/// raw. So each output gets `| yaml` (JSON, which is YAML; a string prints
/// JSON-quoted exactly as the escape quotes it), except a macro's (text the
/// template wrote, its values already escaped). `safe` turns escaping off on
/// purpose and a list literal's items are escaped before the list is
/// printed: both are refused where they are written, since a team's value
/// printed raw could add fields.
fn escape_everything(tera: &mut Tera, files: &BTreeMap<String, TemplateFile>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (name, file) in files {
        let Some(template) = tera.templates.get_mut(name) else {
            continue;
        };
        let mut refused = Vec::new();
        escape_in(&mut template.ast, &mut refused);
        for definition in template.macros.values_mut() {
            escape_in(&mut definition.body, &mut Vec::new());
        }
        for block in template.blocks.values_mut() {
            escape_in(&mut block.body, &mut Vec::new());
        }
        for (_, block) in template.blocks_definitions.values_mut().flatten() {
            escape_in(&mut block.body, &mut Vec::new());
        }
        // The AST holds the macros' and blocks' bodies too: each refusal is
        // counted there once, in the order written.
        let mut from = 0;
        for (what, needle, help) in refused {
            let (location, at) = match nth_tag_with(&file.text, needle, from) {
                Some((span, at)) => (Location::at(&file.path, span), at),
                None => (Location::file(&file.path), from),
            };
            from = at;
            diagnostics.push(
                Diagnostic::error(format!("template `{name}` prints {what}"))
                    .at(location)
                    .help(help),
            );
        }
    }
    diagnostics
}

type Refusal = (&'static str, &'static str, &'static str);

const SAFE: Refusal = (
    "a value marked `safe`, without the YAML escape",
    "safe",
    "remove `safe`: every `{{ }}` is quoted for YAML, lists and maps as JSON",
);

const LIST_LITERAL: Refusal = (
    "a list literal, whose items Tera quotes before the list is printed",
    "[",
    "print each item in its own `{{ }}`, or a list from the context as it is: `{{ spec.command }}`",
);

/// Adds `| yaml` to each output; collects what is refused.
fn escape_in(body: &mut [tera::ast::Node], refused: &mut Vec<Refusal>) {
    use tera::ast::{ExprVal, FunctionCall, Node};
    for node in body {
        match node {
            Node::VariableBlock(_, expr) => {
                let last = expr.filters.iter().rev().find(|f| f.name != "default");
                if expr.filters.iter().any(|filter| filter.name == "safe") {
                    refused.push(SAFE);
                } else if matches!(expr.val, ExprVal::Array(_)) {
                    refused.push(LIST_LITERAL);
                } else if !matches!(expr.val, ExprVal::MacroCall(_))
                    && last.is_none_or(|filter| filter.name != "yaml")
                {
                    expr.filters.push(FunctionCall {
                        name: "yaml".into(),
                        args: HashMap::new(),
                    });
                }
            }
            Node::MacroDefinition(_, definition, _) => escape_in(&mut definition.body, refused),
            Node::FilterSection(_, section, _) => {
                if section.filter.name == "safe" {
                    refused.push(SAFE);
                }
                escape_in(&mut section.body, refused);
            }
            Node::Block(_, block, _) => escape_in(&mut block.body, refused),
            Node::Forloop(_, forloop, _) => {
                escape_in(&mut forloop.body, refused);
                if let Some(body) = &mut forloop.empty_body {
                    escape_in(body, refused);
                }
            }
            Node::If(branches, _) => {
                for (_, _, body) in &mut branches.conditions {
                    escape_in(body, refused);
                }
                if let Some((_, body)) = &mut branches.otherwise {
                    escape_in(body, refused);
                }
            }
            _ => {}
        }
    }
}

/// The first `{{ }}` or `{% %}` tag at or after byte `from` that contains
/// `needle`: its span, and where to look for the next one.
fn nth_tag_with(text: &str, needle: &str, from: usize) -> Option<(Span, usize)> {
    let mut at = from;
    while let Some(open) = text.get(at..).and_then(|rest| rest.find('{')) {
        let start = at + open;
        let closing = match text.get(start + 1..start + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            _ => {
                at = start + 1;
                continue;
            }
        };
        let end = start + text[start..].find(closing)? + 2;
        if text[start..end].contains(needle) {
            let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
            let span = Span {
                line: text[..start].matches('\n').count() + 1,
                column: text[line_start..start].chars().count() + 1,
                bytes: start..end,
            };
            return Some((span, end));
        }
        at = end;
    }
    None
}

enum Call {
    Macro(String, String),
    Include(String),
}

fn recursion_error(
    files: &BTreeMap<String, TemplateFile>,
    (file, macro_name): &(String, Option<String>),
    call: &str,
) -> Diagnostic {
    let template = &files[file];
    let what = match macro_name {
        Some(name) => format!("macro `{name}` in `{file}`"),
        None => format!("template `{file}`"),
    };
    let location = match find_line(&template.text, call) {
        Some(span) => Location::at(&template.path, span),
        None => Location::file(&template.path),
    };
    Diagnostic::error(format!("{what} can call itself, through `{call}`"))
        .at(location)
        .help("recursive macros and includes are refused: nothing bounds how deep they go; print nested values with `{{ value | yaml }}`")
}

/// The macro calls and includes in `body`, at any depth.
fn calls_in(body: &[tera::ast::Node], out: &mut Vec<Call>) {
    use tera::ast::Node;
    for node in body {
        match node {
            Node::VariableBlock(_, expr) => expr_calls(expr, out),
            Node::MacroDefinition(..) => {} // a graph node of its own
            Node::Include(_, names, _) => out.extend(names.iter().cloned().map(Call::Include)),
            Node::Set(_, set) => expr_calls(&set.value, out),
            Node::FilterSection(_, section, _) => {
                section
                    .filter
                    .args
                    .values()
                    .for_each(|e| expr_calls(e, out));
                calls_in(&section.body, out);
            }
            Node::Block(_, block, _) => calls_in(&block.body, out),
            Node::Forloop(_, forloop, _) => {
                expr_calls(&forloop.container, out);
                calls_in(&forloop.body, out);
                calls_in(forloop.empty_body.as_deref().unwrap_or_default(), out);
            }
            Node::If(branches, _) => {
                for (_, condition, body) in &branches.conditions {
                    expr_calls(condition, out);
                    calls_in(body, out);
                }
                if let Some((_, body)) = &branches.otherwise {
                    calls_in(body, out);
                }
            }
            _ => {}
        }
    }
}

fn expr_calls(expr: &tera::ast::Expr, out: &mut Vec<Call>) {
    use tera::ast::ExprVal;
    for filter in &expr.filters {
        filter.args.values().for_each(|e| expr_calls(e, out));
    }
    match &expr.val {
        ExprVal::Math(math) => {
            expr_calls(&math.lhs, out);
            expr_calls(&math.rhs, out);
        }
        ExprVal::Logic(logic) => {
            expr_calls(&logic.lhs, out);
            expr_calls(&logic.rhs, out);
        }
        ExprVal::In(within) => {
            expr_calls(&within.lhs, out);
            expr_calls(&within.rhs, out);
        }
        ExprVal::Test(test) => test.args.iter().for_each(|e| expr_calls(e, out)),
        ExprVal::FunctionCall(call) => call.args.values().for_each(|e| expr_calls(e, out)),
        ExprVal::Array(items) => items.iter().for_each(|e| expr_calls(e, out)),
        ExprVal::StringConcat(concat) => {
            for value in &concat.values {
                let expr = tera::ast::Expr::new(value.clone());
                expr_calls(&expr, out);
            }
        }
        ExprVal::MacroCall(call) => {
            out.push(Call::Macro(call.namespace.clone(), call.name.clone()));
            call.args.values().for_each(|e| expr_calls(e, out));
        }
        _ => {}
    }
}

fn check_object(value: &Value) -> Result<(), &'static str> {
    if !value.is_object() {
        return Err("the document is not a mapping");
    }
    if !value["apiVersion"].is_string() {
        return Err("`apiVersion` is missing");
    }
    if !value["kind"].is_string() {
        return Err("`kind` is missing");
    }
    match value["metadata"]["name"].as_str() {
        Some(name) if !name.is_empty() => Ok(()),
        _ => Err("`metadata.name` is missing"),
    }
}

/// A Tera error, located in its template: at the line and column Tera
/// gives for syntax errors, or at the first line that mentions the name the
/// error is about.
fn template_error(template: &TemplateFile, error: &tera::Error, what: Option<&str>) -> Diagnostic {
    let mut chain = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        if !text.starts_with("Failed to render") && !text.is_empty() {
            chain.push(text);
        }
        cause = current.source();
    }
    if chain.is_empty() {
        chain.push(error.to_string());
    }
    let full = chain.join(": ");
    let (message, span) = match syntax_position(&full) {
        Some((line, column)) => {
            let first_line = full.lines().next().unwrap_or_default().trim();
            let detail = full
                .lines()
                .rev()
                .find(|l| l.trim_start().starts_with('=') || l.contains("expected"))
                .map(|l| l.trim().trim_start_matches('=').trim().to_owned())
                .unwrap_or_else(|| first_line.to_owned());
            (
                format!("template syntax error in `{}`: {detail}", template.name),
                Span::at_line(&template.text, line, column),
            )
        }
        None => {
            let span = mentioned_name(&full).and_then(|name| find_line(&template.text, &name));
            (
                format!("template `{}` failed: {}", template.name, one_line(&full)),
                span,
            )
        }
    };
    let location = match span {
        Some(span) => Location::at(&template.path, span),
        None => Location::file(&template.path),
    };
    let mut diagnostic = Diagnostic::error(message).at(location);
    if let Some(what) = what {
        diagnostic = diagnostic.help(format!("seen rendering {what}"));
    }
    diagnostic
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tera syntax errors say ` --> line:column`.
fn syntax_position(message: &str) -> Option<(usize, usize)> {
    let at = message.find("--> ")? + 4;
    let rest = &message[at..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != ':')
        .unwrap_or(rest.len());
    let (line, column) = rest[..end].split_once(':')?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// The first `backticked` name in an error message.
fn mentioned_name(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned()).filter(|name| !name.is_empty())
}

fn find_line(text: &str, needle: &str) -> Option<Span> {
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if let Some(column) = line.find(needle) {
            let start = offset + column;
            return Some(Span {
                line: index + 1,
                column: line[..column].chars().count() + 1,
                bytes: start..start + needle.len(),
            });
        }
        offset += line.len();
    }
    None
}

/// A template whose output does not parse as YAML: show the rendered line.
fn invalid_output(
    template: &TemplateFile,
    text: &str,
    error: &Diagnostic,
    what: &str,
) -> Diagnostic {
    let line = error
        .location
        .as_ref()
        .and_then(|location| location.span.as_ref())
        .map(|span| span.line);
    let mut diagnostic = Diagnostic::error(format!(
        "template `{}` printed invalid YAML: {}",
        template.name,
        error.message.trim_start_matches("malformed YAML: ")
    ))
    .in_file(&template.path);
    if let Some(line) = line {
        let shown = text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or_default()
            .trim_end();
        // Point at the template line that printed it, when it is literal text.
        if let Some(span) = find_line(&template.text, shown).filter(|_| !shown.trim().is_empty()) {
            diagnostic.location = Some(Location::at(&template.path, span));
        }
        diagnostic = diagnostic.help(format!("rendered line {line}: `{shown}`"));
    }
    diagnostic.help(format!("seen rendering {what}")).help(
        "print values with `{{ value | yaml }}` and keep the template's indentation consistent",
    )
}
