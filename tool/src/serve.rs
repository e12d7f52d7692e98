//! A local preview server for a built site: plain HTTP/1.1 on 127.0.0.1
//! only (std's `TcpListener`, one short-lived thread per connection),
//! `GET` and `HEAD` of files under one directory, and a watcher that polls
//! the inputs and rebuilds when they change.
//!
//! Not for production: the portal is static files for any static host.
//! Paths are decoded and checked to stay inside the directory; symbolic
//! links are not served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Largest request head read (request line and headers).
const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("port {port} on 127.0.0.1 is already in use")]
    PortTaken { port: u16 },
    #[error("cannot listen on 127.0.0.1:{port}: {message}")]
    Listen { port: u16, message: String },
}

/// Binds 127.0.0.1:`port` (0 picks a free port).
pub fn bind(port: u16) -> Result<TcpListener, ServeError> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AddrInUse {
            ServeError::PortTaken { port }
        } else {
            ServeError::Listen {
                port,
                message: error.to_string(),
            }
        }
    })
}

/// Serves `dir` on `listener` from a background thread, for as long as the
/// process runs.
pub fn spawn(listener: TcpListener, dir: PathBuf) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &dir);
            });
        }
    });
}

/// The content type of a file, by extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("yaml" | "yml") => "application/yaml; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// `%2F`-style escapes decoded; `None` if they do not make UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file a request path names under `dir`, if it is a plain file there.
pub fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path)?;
    let mut file = dir.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    // No symbolic link anywhere below `dir`.
    let mut at = dir.to_path_buf();
    for component in file.strip_prefix(dir).ok()?.components() {
        at.push(component);
        if std::fs::symlink_metadata(&at)
            .ok()?
            .file_type()
            .is_symlink()
        {
            return None;
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    std::fs::symlink_metadata(&file)
        .ok()
        .filter(|m| m.is_file())
        .map(|_| file)
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    kind: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

fn handle(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(MAX_HEAD as u64));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read (and ignore) the headers up to the blank line.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let text = "text/plain; charset=utf-8";
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            text,
            b"only GET and HEAD\n",
            false,
        );
    }
    let head_only = method == "HEAD";
    match resolve(dir, target) {
        Some(file) => match std::fs::read(&file) {
            Ok(body) => respond(&mut stream, "200 OK", content_type(&file), &body, head_only),
            Err(_) => respond(
                &mut stream,
                "404 Not Found",
                text,
                b"not found\n",
                head_only,
            ),
        },
        None => respond(
            &mut stream,
            "404 Not Found",
            text,
            b"not found\n",
            head_only,
        ),
    }
}

/// A summary of the files under `dirs` (relative to `root`): paths, sizes
/// and modification times. Changes when any input changes.
pub fn snapshot(root: &Path, dirs: &[&str]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut pending: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                pending.push(path);
            } else {
                out.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}
