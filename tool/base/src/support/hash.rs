//! Content hashes: short ones for names (`content_hash`), full ones for
//! fingerprints of everything a unit depends on (`Fingerprint`), both over
//! canonical JSON so that key order never changes a hash.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The first ten hex digits of the sha256 of a value in canonical JSON.
pub fn content_hash(value: &Value) -> String {
    let digest = Sha256::digest(canonical(value).as_bytes());
    hex(&digest[..5])
}

/// The sha256 of some bytes, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

/// A sha256 of values as they serialise, without building the text: for
/// fingerprints, where key order is stable and speed matters.
#[derive(Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn add(&mut self, value: &(impl serde::Serialize + ?Sized)) -> &mut Self {
        // serde_json writes a token at a time (a quote, a key, a colon):
        // hashed in blocks, a large value takes a fraction of the time.
        let mut buffered = std::io::BufWriter::with_capacity(1 << 13, Hashing(&mut self.0));
        serde_json::to_writer(&mut buffered, value).expect("values serialise");
        std::io::Write::flush(&mut buffered).expect("hashing never fails");
        drop(buffered);
        self.0.update([0]);
        self
    }

    /// [`add`](Self::add) for a JSON value, compiled here once (and
    /// optimised with this crate) rather than in each caller: fingerprints
    /// of whole template contexts are taken for every unit rendered.
    pub fn add_json(&mut self, value: &Value) -> &mut Self {
        self.add(value)
    }

    /// [`add`](Self::add) for text, compiled here once: template files.
    pub fn add_text(&mut self, text: &str) -> &mut Self {
        self.add(text)
    }

    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// Bytes written are hashed.
struct Hashing<'a>(&'a mut Sha256);

impl std::io::Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON with object keys sorted at every level.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}
