//! The module graph follows the pipeline, and output has one channel: every module of the library
//! (`src/`, and the leaf helpers of `base/src/`) has a
//! place in `LAYERS`, and uses only modules placed before it. So no stage
//! reaches back up the pipeline, and there are no cycles. A new module must
//! be given its place here, which is where a reader learns what it may use.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::support::repo_root;

/// Every module, in order: each may use only those before it (and its own
/// children, which come before it).
const LAYERS: &[&str] = &[
    // Helpers every stage shares.
    "support::text",
    "support::limits",
    "support::pointer",
    "support::date",
    "support::hash",
    "support::kept",
    "support::kube",
    "support::block_yaml",
    "support::secrets",
    "support",
    "diagnostic",
    // Stages 1 and 2: read and check the inputs.
    "input::source",
    "input::source::recorded",
    "input::yaml::core_schema",
    "input::yaml::fast",
    "input::yaml::emit",
    "input::yaml",
    "input::edit",
    "input::load",
    "input::source::git",
    "input::source::git::history",
    "input::model",
    "input::schema",
    "input::findings",
    "input::classes",
    "input::repo",
    "input::consent",
    "input::intents",
    "input",
    // The input format's reference, from the schemas (docs/reference/).
    "reference",
    // The Rego language.
    "rego::sprintf",
    "rego::analysis",
    "rego::index",
    "rego",
    "rego::config",
    // Stages 3 to 6 and the pipeline.
    "render::template",
    "render::summary",
    "render::infra",
    "render::context",
    "render::resolve",
    "render::unit",
    "render::blame",
    "render::focus",
    "render::patch",
    "render::fence",
    "render::postprocess",
    "render::gatekeeper",
    "render::crossplane",
    "render::cluster",
    "render::rerun",
    "render::finished",
    "render::tenancy",
    "render::recall",
    "render",
    // What the organisation runs, as facts (list, show, catalog, portal).
    "inventory",
    "listing",
    // Why a value is what it is (explain).
    "explain",
    // Stage 7: the manifests as the API server sees them.
    "check::kubernetes",
    "check::timezones",
    "check::catalog",
    "check::cross",
    "check::apiserver",
    "check",
    // Golden paths rendered against their samples.
    "samples",
    // Stage 8: policy.
    "policy::baseline",
    "policy",
    "policy::sarif",
    // A change proven in memory before it is written (new, promote).
    "verify",
    "scaffold",
    // What the organisation publishes: the Backstage catalog and the portal.
    "catalog",
    "portal::html",
    "portal::markdown",
    "portal::graph",
    "portal::reference",
    "portal",
    // Insights: cost, metrics from git history, scorecards, maturity.
    "cost",
    "metrics::history",
    "metrics::dora",
    "metrics::platform",
    "metrics",
    "scorecard",
    "maturity",
    // What comes out: comparisons and the written tree.
    "diff",
    "ownership",
    "promote::order",
    "promote",
    "write::stamps",
    "write::verdicts",
    "write",
    "index",
    "export",
    "serve",
    // The command line, and the one output channel.
    "output",
    "cli",
    "commands::settings",
    "commands::catalog",
    "commands::check",
    "commands::codeowners",
    "commands::diff",
    "commands::explain",
    "commands::metrics",
    "commands::cost",
    "commands::maturity",
    "commands::golden_path",
    "commands::list",
    "commands::new",
    "commands::policy",
    "commands::promote",
    "commands::portal",
    "commands::render",
    "commands::schema",
    "commands::show",
    "commands::scorecard",
    "commands::validate",
    "commands",
    "",
];

/// The module a source file defines (`render::unit`, `` for `lib.rs`).
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

fn sources(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = module_of(path.strip_prefix(root).unwrap());
            let text = fs::read_to_string(&path).unwrap();
            // `main.rs` is the binary: it may use the whole library.
            if path.file_name().is_some_and(|n| n != "main.rs") {
                out.insert(module, text);
            }
        }
    }
}

/// Every module of the library, by its path in `paved`: paved's own
/// (`tool/src/`) and the leaf helpers of `paved-base` (`tool/base/src/`),
/// which paved re-exports where they always lived (`support`,
/// `diagnostic`, `input::yaml`) and which can use nothing of paved.
fn library() -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let src = repo_root().join("tool/src");
    sources(&src, &src, &mut modules);
    let base = repo_root().join("tool/base/src");
    let mut leaves = BTreeMap::new();
    sources(&base, &base, &mut leaves);
    // Its root only declares the modules.
    leaves.remove("");
    for (module, text) in leaves {
        assert!(
            modules.insert(module.clone(), text).is_none(),
            "`{module}` is defined in both paved and paved-base"
        );
    }
    modules
}

/// The module a path written in `from` names: the longest known module
/// that prefixes it, for `crate::`, `paved_base::`, `super::` and
/// child-module paths.
fn target(from: &str, path: &[&str], known: &BTreeMap<String, String>) -> Option<String> {
    let mut absolute: Vec<String> = match path.first().copied() {
        // The leaf crate's modules are named as paved re-exports them.
        Some("crate" | "paved_base") => Vec::new(),
        Some("super") => {
            let mut base: Vec<String> = from.split("::").map(str::to_owned).collect();
            let mut rest = path;
            while rest.first() == Some(&"super") {
                base.pop();
                rest = &rest[1..];
            }
            base.retain(|p| !p.is_empty());
            let mut out = base;
            out.extend(rest.iter().map(|s| (*s).to_owned()));
            return longest(&out, known);
        }
        Some("self") => from.split("::").map(str::to_owned).collect(),
        Some(child) if known.contains_key(&join(from, child)) => {
            from.split("::").map(str::to_owned).collect()
        }
        _ => return None,
    };
    absolute.retain(|p| !p.is_empty());
    let skip = usize::from(matches!(
        path.first(),
        Some(&"crate" | &"self" | &"paved_base")
    ));
    absolute.extend(path[skip..].iter().map(|s| (*s).to_owned()));
    longest(&absolute, known)
}

fn join(module: &str, child: &str) -> String {
    if module.is_empty() {
        child.to_owned()
    } else {
        format!("{module}::{child}")
    }
}

fn longest(parts: &[String], known: &BTreeMap<String, String>) -> Option<String> {
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| known.contains_key(candidate))
}

/// Every path of the form `a::b::c` in `text` (comments and strings
/// included, which at worst asks for a false arrow to be explained).
fn paths(text: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < text.len() {
        if !is_ident(bytes[start] as char)
            || (start > 0 && (is_ident(bytes[start - 1] as char) || bytes[start - 1] == b':'))
        {
            start += 1;
            continue;
        }
        let mut parts = Vec::new();
        let mut at = start;
        loop {
            let end = text[at..]
                .find(|c: char| !is_ident(c))
                .map_or(text.len(), |n| at + n);
            parts.push(&text[at..end]);
            if text[end..].starts_with("::")
                && text[end + 2..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            {
                at = end + 2;
            } else {
                start = end.max(start + 1);
                break;
            }
        }
        if parts.len() > 1 {
            out.push(parts);
        }
    }
    out
}

#[test]
fn modules_use_only_what_comes_before_them_in_the_pipeline() {
    let modules = library();
    let rank = |module: &str| LAYERS.iter().position(|m| *m == module);

    let unplaced: Vec<&String> = modules.keys().filter(|m| rank(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "give these modules a place in LAYERS (tests/architecture.rs): {unplaced:?}"
    );
    let mut upward = Vec::new();
    for (module, text) in &modules {
        let own = rank(module).unwrap();
        for path in paths(text) {
            let Some(used) = target(module, &path, &modules) else {
                continue;
            };
            if used == *module || used.starts_with(&format!("{module}::")) && !module.is_empty() {
                continue;
            }
            if rank(&used).unwrap() > own {
                upward.push(format!("{module} uses {used} (`{}`)", path.join("::")));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "modules reaching back up the pipeline:\n{}",
        upward.join("\n")
    );
}

#[test]
fn only_the_printer_writes_to_stdout_and_stderr() {
    let modules = library();
    let mut writers = Vec::new();
    for (module, text) in &modules {
        // The printer itself; and clap's own usage errors, printed before
        // any command (and so any printer) exists.
        if module == "output" {
            continue;
        }
        for needle in [
            "println!",
            "print!(",
            "eprint",
            "io::stdout()",
            "io::stderr()",
        ] {
            if text.contains(needle) && !(module.is_empty() && needle == "io::stderr()") {
                writers.push(format!("{module}: {needle}"));
            }
        }
    }
    assert!(
        writers.is_empty(),
        "print through `output::Printer` instead:\n{}",
        writers.join("\n")
    );
}

#[test]
fn only_the_git_source_calls_git2() {
    let modules = library();
    let callers: Vec<&String> = modules
        .iter()
        .filter(|(module, text)| {
            text.contains("git2::")
                && *module != "input::source::git"
                && !module.starts_with("input::source::git::")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(
        callers.is_empty(),
        "only `input/source/git.rs` (and its child modules) may call git2: {callers:?}"
    );
}

/// The library is not compiled with `--test` (`test = false` in
/// `tool/Cargo.toml`, so `cargo test` builds it once): a test written in
/// `src/` would never run. Tests of a module go to `tests/units/`.
#[test]
fn no_test_hides_in_the_library() {
    let modules = library();
    let hidden: Vec<&String> = modules
        .iter()
        .filter(|(_, text)| text.contains("#[test]") || text.contains("cfg(test)"))
        .map(|(module, _)| module)
        .collect();
    assert!(
        hidden.is_empty(),
        "move these tests to tests/units/, where they run: {hidden:?}"
    );
}
