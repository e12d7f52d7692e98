//! Names the sources this paved is built from (`PAVED_SOURCE_HASH`): the
//! index a render commits beside `rendered/` holds it, so a paved built
//! from other sources, which may render other bytes, never trusts it.

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
    // FNV-1a, 128 bits: specified, so the same sources give the same name
    // on every machine and every Rust release. A name, not a defence
    // (whoever can change paved's sources can change anything it does).
    let mut hash = Fnv::default();
    for (name, file) in &files {
        let bytes = std::fs::read(file).expect("a source file is readable");
        // Line endings as git stores them, whatever a checkout made of them.
        let text: Vec<u8> = bytes
            .iter()
            .enumerate()
            .filter(|(at, byte)| !(**byte == b'\r' && bytes.get(at + 1) == Some(&b'\n')))
            .map(|(_, byte)| *byte)
            .collect();
        hash.write(&(name.len() as u64).to_le_bytes());
        hash.write(name.as_bytes());
        hash.write(&(text.len() as u64).to_le_bytes());
        hash.write(&text);
    }
    println!("cargo::rustc-env=PAVED_SOURCE_HASH={:032x}", hash.0);
}

struct Fnv(u128);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u128::from(*byte);
            self.0 = self
                .0
                .wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }
}

/// Every file under `path`, but hidden ones (an editor's or a system's,
/// which a build never reads).
fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    let hidden = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.') && name != "..");
    if hidden {
        return;
    }
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("a source folder is readable") {
            collect(&entry.expect("a source folder is readable").path(), out);
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}
