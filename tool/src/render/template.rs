//! Stage 4, render: a golden path's Tera templates, fed a unit's resolved
//! values, produce YAML documents that are parsed back into resources.
//!
//! Templates are compiled once per golden path. They see only their own
//! path's files (no file system, no environment variables, no clock), and
//! every value they print is escaped for YAML: a bare `{{ x }}` of a string
//! prints it JSON-quoted, `{{ x | yaml }}` prints any value as JSON (which
//! is YAML), so no value can inject a field. Pure: no I/O.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tera::Tera;

use crate::diagnostic::{Diagnostic, Location, Span};
use crate::input::intents::is_partial;
use crate::input::load::TemplateFile;
use crate::input::yaml;
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

/// Templates may not read the process environment.
fn no_env(_: &HashMap<String, Value>) -> tera::Result<Value> {
    Err(tera::Error::msg(
        "`get_env` is not available: templates see only the values paved gives them",
    ))
}

impl Engine {
    /// Compiles `templates`, reporting every file that does not parse.
    pub fn compile(templates: &[TemplateFile]) -> Result<Engine, Vec<Diagnostic>> {
        let mut diagnostics = Vec::new();
        // Parse each file alone first, so each syntax error names its file.
        for template in templates {
            let mut alone = Tera::default();
            if let Err(error) = alone.add_raw_template(&template.name, &template.text) {
                diagnostics.push(template_error(template, &error, None));
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![""]);
        tera.set_escape_fn(escape);
        tera.register_filter("yaml", YamlFilter);
        tera.register_function("get_env", no_env);
        let sources = templates.iter().map(|t| (t.name.as_str(), t.text.as_ref()));
        if let Err(error) = tera.add_raw_templates(sources) {
            // Cross-file problems: a missing parent or include.
            let first = templates.first().expect("parsed templates exist");
            return Err(vec![template_error(first, &error, None)]);
        }
        let files = templates
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect();
        Ok(Engine { tera, files })
    }

    /// Renders every top-level template with `context`. `what` names the
    /// unit in messages (`checkout` in `prod-eu-1`).
    pub fn render(&self, context: Value, what: &str) -> (Vec<Resource>, Vec<Diagnostic>) {
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
                return (resources, diagnostics);
            }
        };
        for template in self.files.values().filter(|t| !is_partial(&t.name)) {
            let text = match self.tera.render(&template.name, &tera_context) {
                Ok(text) => text,
                Err(error) => {
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
        (resources, diagnostics)
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
