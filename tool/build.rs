//! Names the sources this paved is built from (`PAVED_SOURCE_HASH`): the
//! index a render commits beside `rendered/` holds it, so a paved built
//! from other sources, which may render other bytes, never trusts it.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// What a render's output can depend on, relative to this crate.
const SOURCES: &[&str] = &[
    "src",
    "data",
    "Cargo.toml",
    "base/src",
    "base/Cargo.toml",
    "../Cargo.lock",
];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    // By a name that is the same on every machine: the source, then the
    // path within it.
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for source in SOURCES {
        let path = root.join(source);
        println!("cargo::rerun-if-changed={}", path.display());
        let mut found = Vec::new();
        collect(&path, &mut found);
        for file in found {
            let within = file.strip_prefix(&path).expect("found under its source");
            let name = within
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .fold(source.to_string(), |name, part| name + "/" + &part);
            files.push((name, file));
        }
    }
    files.sort();
    // Two independent 64-bit hashes: a name, not a defence (whoever can
    // change paved's sources can change anything it does).
    let mut hashers = [
        std::hash::DefaultHasher::new(),
        std::hash::DefaultHasher::new(),
    ];
    hashers[1].write(b"paved");
    for (name, file) in &files {
        let bytes = std::fs::read(file).expect("a source file is readable");
        for hasher in &mut hashers {
            hasher.write_u64(name.len() as u64);
            hasher.write(name.as_bytes());
            hasher.write_u64(bytes.len() as u64);
            hasher.write(&bytes);
        }
    }
    println!(
        "cargo::rustc-env=PAVED_SOURCE_HASH={:016x}{:016x}",
        hashers[0].finish(),
        hashers[1].finish()
    );
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("a source folder is readable") {
            collect(&entry.expect("a source folder is readable").path(), out);
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}
