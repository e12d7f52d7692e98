//! Promotion: a release moves from one environment to the next in the
//! order the environments declare (`promotesFrom`). `plan` copies the
//! release (tag or digest, and chosen settings) into the next
//! environment's entry of each intent, editing the file in place
//! (`input::edit`): only the changed values differ. `order` checks, for a
//! pull request, that every release new in an environment ran in the one
//! before it. Pure: the command writes what `plan` returns.

pub mod order;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use crate::diagnostic::{Diagnostic, Location};
use crate::input::edit::Editor;
use crate::input::repo::{Repo, ServiceEntry};
use crate::input::schema::spec_fields;
use crate::support::pointer::{field_path, pointer_push};
use crate::support::text::{nearest, quote_list};

/// What runs: an image tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Release {
    Tag(String),
    Digest(String),
}

impl Release {
    /// The intent field that holds it.
    pub fn field(&self) -> &'static str {
        match self {
            Release::Tag(_) => "tag",
            Release::Digest(_) => "digest",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Release::Tag(text) | Release::Digest(text) => text,
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Release::Tag(tag) => write!(f, "tag `{tag}`"),
            Release::Digest(digest) => {
                let short: String = digest.chars().take(19).collect();
                write!(f, "digest `{short}…`")
            }
        }
    }
}

/// The release an intent, as written, runs in each environment it lists:
/// layered as `resolve` does (the environment's entry over the service's
/// own fields), a digest winning over a tag.
pub fn releases(intent: &Value) -> BTreeMap<String, Release> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(envs)) = intent.get("environments") else {
        return out;
    };
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    for (env, entry) in envs {
        let digest = text(entry.get("digest")).or_else(|| text(intent.get("digest")));
        let tag = text(entry.get("tag")).or_else(|| text(intent.get("tag")));
        if let Some(release) = digest.map(Release::Digest).or(tag.map(Release::Tag)) {
            out.insert(env.clone(), release);
        }
    }
    out
}

/// One intent edited to promote one service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    pub service: String,
    pub team: String,
    /// The intent, relative to the repository root.
    pub file: String,
    pub from: String,
    pub to: String,
    pub release: Release,
    /// What ran in `to` before, if anything.
    pub previous: Option<Release>,
    /// Settings copied with `--with`.
    pub settings: Vec<String>,
    /// The change, as a unified diff of the intent.
    pub diff: String,
    /// The edited text of the intent.
    #[serde(skip)]
    pub text: String,
}

/// A service left as it is, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub service: String,
    pub reason: String,
}

/// The environment `to` promotes from, or why there is none.
pub fn source_of(repo: &Repo, to: &str) -> Result<String, Diagnostic> {
    let Some(env) = repo.environment(to) else {
        let known: Vec<&String> = repo.environments.iter().map(|e| &e.value.name).collect();
        let mut diagnostic = Diagnostic::error(format!("unknown environment `{to}`"))
            .help(format!("environments: {}", quote_list(&known)));
        if let Some(near) = nearest(to, known.iter().map(|s| s.as_str())) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        return Err(diagnostic);
    };
    env.value.promotes_from.clone().ok_or_else(|| {
        Diagnostic::error(format!(
            "`{to}` promotes from no environment: releases start there"
        ))
        .at(Location::file(&env.file.path))
        .help(format!(
            "set the tag or digest under `environments.{to}` in the intent; `promotesFrom` in `{}` names where releases come from",
            env.file.path
        ))
    })
}

/// The edits that promote each of `services` into `to`, copying the
/// release and the settings named in `with` from the environment before.
/// Services with nothing to promote are skipped, with the reason.
pub fn plan(
    repo: &Repo,
    services: &[&ServiceEntry],
    to: &str,
    with: &[String],
) -> Result<(Vec<Promotion>, Vec<Skipped>), Vec<Diagnostic>> {
    let from = source_of(repo, to).map_err(|d| vec![d])?;
    let fields = spec_fields();
    let mut problems = Vec::new();
    for field in with {
        if matches!(field.as_str(), "tag" | "digest") || !fields.contains(field) {
            let mut diagnostic = Diagnostic::error(format!(
                "`--with {field}` names no setting that can be copied"
            ));
            if let Some(near) = nearest(field, fields.iter().map(String::as_str)) {
                diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
            }
            diagnostic = diagnostic.help(format!(
                "the release (tag or digest) is always copied; `--with` adds any of: {}",
                quote_list(
                    &fields
                        .iter()
                        .filter(|f| *f != "tag" && *f != "digest")
                        .collect::<Vec<_>>()
                )
            ));
            problems.push(diagnostic);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut promotions = Vec::new();
    let mut skipped = Vec::new();
    for service in services {
        match promote_one(repo, service, &from, to, with) {
            Ok(promotion) => promotions.push(promotion),
            Err(Refusal::Skip(reason)) => skipped.push(Skipped {
                service: service.value.name.clone(),
                reason,
            }),
            Err(Refusal::Error(diagnostic)) => problems.push(*diagnostic),
        }
    }
    if problems.is_empty() {
        Ok((promotions, skipped))
    } else {
        Err(problems)
    }
}

enum Refusal {
    Skip(String),
    Error(Box<Diagnostic>),
}

fn promote_one(
    repo: &Repo,
    service: &ServiceEntry,
    from: &str,
    to: &str,
    with: &[String],
) -> Result<Promotion, Refusal> {
    let name = &service.value.name;
    let file = &service.file;
    let intent = &file.doc.value;
    let releases = releases(intent);
    let Some(release) = releases.get(from).cloned() else {
        return Err(Refusal::Skip(format!("`{name}` does not run in `{from}`")));
    };
    let previous = releases.get(to).cloned();
    let copies: Vec<(&String, Option<&Value>)> = with
        .iter()
        .map(|field| {
            (
                field,
                intent.pointer(&format!("{}/{field}", pointer_push("/environments", from))),
            )
        })
        .collect();
    let target = pointer_push("/environments", to);
    let settings_differ = copies
        .iter()
        .any(|(field, value)| intent.pointer(&format!("{target}/{field}")) != *value);
    if previous.as_ref() == Some(&release) && !settings_differ {
        return Err(Refusal::Skip(format!(
            "`{name}` already runs {release} in `{to}`, as in `{from}`: nothing newer to promote"
        )));
    }
    if let (Some(Release::Tag(old)), Release::Tag(new)) = (&previous, &release)
        && let (Some(old_version), Some(new_version)) = (semver(old), semver(new))
        && new_version < old_version
    {
        return Err(Refusal::Skip(format!(
            "`{name}` runs tag `{old}` in `{to}`, newer than `{new}` in `{from}`: promoting would go back"
        )));
    }
    let text = repo
        .sources
        .get(&file.path)
        .map(|text| text.to_string())
        .unwrap_or_default();
    let mut editor = Editor::new(&text, &file.doc);
    let edit_error = |error: crate::input::edit::EditError| {
        Refusal::Error(Box::new(
            Diagnostic::error(format!("cannot edit `{}`: {error}", file.path))
                .in_file(&file.path)
                .help(format!("edit `environments.{to}` by hand")),
        ))
    };
    let value = Value::String(release.text().to_owned());
    let field = release.field();
    let other = if field == "tag" { "digest" } else { "tag" };
    let mut changed = Vec::new();
    if file.doc.node(&target).is_none() {
        // A new entry for the environment, after the one it promotes from.
        let mut entry = serde_json::Map::new();
        entry.insert(field.to_owned(), value.clone());
        for (setting, copied) in &copies {
            if let Some(copied) = copied {
                entry.insert((*setting).clone(), (*copied).clone());
                changed.push((*setting).clone());
            }
        }
        editor
            .set(&target, &Value::Object(entry), Some(from))
            .map_err(edit_error)?;
    } else {
        let has = |key: &str| file.doc.node(&format!("{target}/{key}")).is_some();
        if has(field) {
            editor
                .set(&format!("{target}/{field}"), &value, None)
                .map_err(edit_error)?;
            if has(other) {
                editor
                    .remove(&format!("{target}/{other}"))
                    .map_err(edit_error)?;
            }
        } else if has(other) {
            editor
                .rename(&format!("{target}/{other}"), field, &value)
                .map_err(edit_error)?;
        } else {
            editor
                .set(&format!("{target}/{field}"), &value, None)
                .map_err(edit_error)?;
        }
        for (setting, copied) in &copies {
            let pointer = format!("{target}/{setting}");
            match copied {
                Some(copied) if intent.pointer(&pointer) != Some(*copied) => {
                    editor.set(&pointer, copied, None).map_err(edit_error)?;
                    changed.push((*setting).clone());
                }
                // `from` takes it from the service's own field: so does `to`.
                None if has(setting) => {
                    editor.remove(&pointer).map_err(edit_error)?;
                    changed.push((*setting).clone());
                }
                _ => {}
            }
        }
    }
    let edited = editor.finish();
    // What the edit must achieve, read back from the edited text.
    let reread = crate::input::yaml::parse_document(&file.path, &edited)
        .map(|doc| self::releases(&doc.value).get(to).cloned());
    if reread.as_ref().ok() != Some(&Some(release.clone())) {
        let pointer = format!("/{field}");
        let span = file.doc.span_for(&pointer, true);
        return Err(Refusal::Error(Box::new(
            Diagnostic::error(format!(
                "promoting `{name}` would not change what runs in `{to}`: the service's own `{other}` wins"
            ))
            .at(match span {
                Some(span) => Location::at(&file.path, span),
                None => Location::file(&file.path),
            })
            .field(field_path(&pointer))
            .help(format!("move `{other}` under each environment, then promote")),
        )));
    }
    let diff = TextDiff::from_lines(&text, &edited)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
        .to_string();
    let diff = if diff.ends_with('\n') {
        diff
    } else {
        format!("{diff}\n\\ No newline at end of file\n")
    };
    Ok(Promotion {
        service: name.clone(),
        team: service.team.clone(),
        file: file.path.clone(),
        from: from.to_owned(),
        to: to.to_owned(),
        release,
        previous,
        settings: changed,
        diff,
        text: edited,
    })
}

/// `1.2.3` (or `v1.2.3`, pre-release and build ignored) as numbers.
pub fn semver(tag: &str) -> Option<(u64, u64, u64)> {
    let core = tag.strip_prefix('v').unwrap_or(tag);
    let core = core.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}
