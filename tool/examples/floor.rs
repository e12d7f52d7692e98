//! The floor under a render: the time merely to parse and emit the bytes
//! a render writes, and to create the files that hold them, with nothing
//! else in between: by serde_yaml both ways, then by paved's own quick
//! reader and writer (`paved::input::yaml`, which a render uses, one
//! document at a time as a render reads its templates' output).
//! `tool/benches/scale.sh` runs it on each organisation it renders:
//!
//!     cargo run --release --example floor -- /tmp/org/rendered
//!
//! Reads every `.yaml` file under the directory. Prints, on stderr, one
//! line per step: its wall time on every core (rayon, as paved runs), and
//! what that is per second.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let Some(rendered) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: floor <rendered directory>");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    collect(&rendered, &rendered, &mut files);
    files.sort();
    if files.is_empty() {
        eprintln!("no `.yaml` files under `{}`", rendered.display());
        std::process::exit(2);
    }
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|relative| {
            let text = std::fs::read_to_string(rendered.join(&relative)).expect("readable");
            (relative, text)
        })
        .collect();
    let bytes: usize = texts.iter().map(|(_, text)| text.len()).sum();
    let megabytes = bytes as f64 / 1e6;
    eprintln!("{} files, {megabytes:.1} MB", texts.len());

    let emitted = parse_and_emit(
        "serde_yaml",
        &texts,
        megabytes,
        |text| {
            serde_yaml::Deserializer::from_str(text)
                .map(|document| serde::Deserialize::deserialize(document).expect("YAML"))
                .collect::<Vec<serde_yaml::Value>>()
        },
        |document| serde_yaml::to_string(document).expect("emits"),
    );
    parse_and_emit(
        "paved's own reader and writer",
        &texts,
        megabytes,
        |text| {
            text.split("\n---\n")
                .flat_map(|document| {
                    paved::input::yaml::parse_values("floor", document).expect("YAML")
                })
                .collect()
        },
        paved::input::yaml::to_string,
    );

    let out =
        tempfile::tempdir_in(rendered.parent().unwrap_or(Path::new("."))).expect("a directory");
    let started = Instant::now();
    texts
        .par_iter()
        .zip(&emitted)
        .for_each(|((relative, _), text)| {
            let path = out.path().join(relative);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
            std::fs::write(path, text).expect("written");
        });
    let create = started.elapsed().as_secs_f64();
    eprintln!(
        "create the files: {create:.2} s ({:.0} µs per file)",
        create * 1e6 / texts.len() as f64
    );
}

/// Parses every text with `parse` and emits every document again with
/// `emit`, printing how long each took; the emitted texts.
fn parse_and_emit<V: Send + Sync>(
    name: &str,
    texts: &[(PathBuf, String)],
    megabytes: f64,
    parse: impl Fn(&str) -> Vec<V> + Sync,
    emit: impl Fn(&V) -> String + Sync,
) -> Vec<String> {
    let started = Instant::now();
    let values: Vec<Vec<V>> = texts.par_iter().map(|(_, text)| parse(text)).collect();
    let parsed = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let emitted: Vec<String> = values
        .par_iter()
        .map(|documents| {
            let mut text = String::new();
            for document in documents {
                text.push_str("---\n");
                text.push_str(&emit(document));
            }
            text
        })
        .collect();
    let emitting = started.elapsed().as_secs_f64();
    eprintln!(
        "{name}: parse {parsed:.2} s ({:.0} MB/s), emit {emitting:.2} s ({:.0} MB/s)",
        megabytes / parsed,
        megabytes / emitting
    );
    emitted
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| {
        eprintln!("cannot read `{}`: {error}", dir.display());
        std::process::exit(2);
    });
    for entry in entries {
        let path = entry.expect("readable").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path.strip_prefix(root).expect("inside").to_path_buf());
        }
    }
}
