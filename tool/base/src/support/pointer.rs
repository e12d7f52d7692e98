//! JSON pointers (RFC 6901): building them, reading their tokens, and the
//! dotted field paths people read in messages.

use std::borrow::Cow;

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn escape_token(token: &str) -> Cow<'_, str> {
    if token.bytes().any(|byte| byte == b'~' || byte == b'/') {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Joins a JSON pointer and one more token.
pub fn pointer_push(base: &str, token: &str) -> String {
    format!("{base}/{}", escape_token(token))
}

/// Turns a JSON pointer into the dotted field path people read
/// (`/environments/prod/ports/0` becomes `environments.prod.ports[0]`).
pub fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    out
}

/// Unescapes one JSON pointer reference token (RFC 6901).
pub fn unescape_token(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// The unescaped tokens of a JSON pointer (none for the whole document).
pub fn tokens(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(unescape_token)
}
