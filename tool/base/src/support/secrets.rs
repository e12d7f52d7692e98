//! What looks like a secret: by the name a value is stored under
//! (`DB_PASSWORD`, `spring.datasource.password`, `--api-token`) or by the
//! shape of the value itself (a private-key PEM block, a well-known token
//! prefix, a JWT, credentials in a URL, a long high-entropy string).
//!
//! One detector serves every place that must never show or ship a secret:
//! the tenancy check that refuses plaintext secrets in rendered output,
//! the `workload/secret-env` policy rule, `paved diff` (which hides what it
//! flags) and schema messages (which never echo a value that looks
//! secret). It reports why a value looks secret, never the value.
//!
//! Kept deliberately conservative where false positives would be common:
//! a name-based finding needs a value that could be a secret (not empty,
//! not a number, boolean, placeholder or absolute path), names that end in
//! a word describing metadata (`TOKEN_TTL`, `PASSWORD_FILE`, `SECRET_NAME`)
//! do not count, and hexadecimal strings (digests, commit ids) are not
//! taken for high-entropy secrets.

use serde_json::Value;

/// Why a value looks like a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The name it is stored under contains this word.
    Name(&'static str),
    /// The value has this shape.
    Shape(&'static str),
}

impl Reason {
    /// Words for a message: "its name contains `PASSWORD`".
    pub fn describe(&self) -> String {
        match self {
            Reason::Name(word) => format!("its name contains `{word}`"),
            Reason::Shape(shape) => format!("the value looks like {shape}"),
        }
    }
}

/// Words that make a name a secret's name, as consecutive words of the
/// name (`API_KEY` matches `PSP_API_KEY` and `psp.apiKey`). Single words
/// also match at the end of a compound word (`DBPASSWORD`).
const SECRET_WORDS: &[(&str, &[&str])] = &[
    ("PASSWORD", &["PASSWORD"]),
    ("PASSWD", &["PASSWD"]),
    ("PASSPHRASE", &["PASSPHRASE"]),
    ("SECRET", &["SECRET"]),
    ("TOKEN", &["TOKEN"]),
    ("API_KEY", &["API", "KEY"]),
    ("APIKEY", &["APIKEY"]),
    ("PRIVATE_KEY", &["PRIVATE", "KEY"]),
    ("PRIVATEKEY", &["PRIVATEKEY"]),
    ("CREDENTIALS", &["CREDENTIAL"]),
    ("ACCESS_KEY", &["ACCESS", "KEY"]),
    ("SIGNING_KEY", &["SIGNING", "KEY"]),
    ("ENCRYPTION_KEY", &["ENCRYPTION", "KEY"]),
    ("MASTER_KEY", &["MASTER", "KEY"]),
    ("SESSION_KEY", &["SESSION", "KEY"]),
    ("AUTH_KEY", &["AUTH", "KEY"]),
    ("AUTHORIZATION", &["AUTHORIZATION"]),
    ("COOKIE", &["COOKIE"]),
];

/// A last word that says the name is about a secret, not the secret
/// itself: `TOKEN_TTL`, `PASSWORD_FILE`, `SECRET_NAME`.
const METADATA_WORDS: &[&str] = &[
    "ALG",
    "ALGORITHM",
    "AUDIENCE",
    "COUNT",
    "DAYS",
    "DIR",
    "DISABLED",
    "ENABLED",
    "ENDPOINT",
    "EXPIRES",
    "EXPIRY",
    "FIELD",
    "FILE",
    "FORMAT",
    "HEADER",
    "HOST",
    "HOURS",
    "ID",
    "INTERVAL",
    "ISSUER",
    "LEN",
    "LENGTH",
    "LIFETIME",
    "LIMIT",
    "LOCATION",
    "MINUTES",
    "MODE",
    "MS",
    "NAME",
    "PATH",
    "POLICY",
    "PORT",
    "PREFIX",
    "PROVIDER",
    "REF",
    "REGION",
    "ROTATION",
    "SECONDS",
    "SECS",
    "SIZE",
    "TTL",
    "TIMEOUT",
    "TYPE",
    "URI",
    "URL",
    "VERSION",
];

/// The words of a name, upper case: `dbPassword`, `db-password`,
/// `db.password` and `DB_PASSWORD` all give `DB`, `PASSWORD`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn singular(word: &str) -> &str {
    word.strip_suffix('S')
        .filter(|w| w.len() > 2)
        .unwrap_or(word)
}

/// Letters every secret word contains, one of them: a name holding none
/// of them (most names) is ruled out without splitting it into words.
const SECRET_STEMS: &[&str] = &[
    "pass",
    "secret",
    "token",
    "key",
    "credential",
    "authorization",
    "cookie",
];

/// Whether `text` contains `needle` (lower case), ignoring ASCII case.
fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The secret word a name contains, if the name is a secret's name.
pub fn secret_name(name: &str) -> Option<&'static str> {
    if !SECRET_STEMS
        .iter()
        .any(|stem| contains_ignoring_case(name, stem))
    {
        return None;
    }
    let words = words(name);
    let last = words.last()?;
    for (label, pattern) in SECRET_WORDS {
        let found = words.windows(pattern.len()).enumerate().find(|(_, w)| {
            w.iter()
                .zip(pattern.iter())
                .all(|(word, want)| singular(word) == *want)
        });
        let at = match found {
            Some((at, _)) => Some(at + pattern.len() - 1),
            None if pattern.len() == 1 => words
                .iter()
                .position(|w| w.len() > pattern[0].len() && singular(w).ends_with(pattern[0])),
            None => None,
        };
        let Some(end) = at else { continue };
        // `TOKEN_TTL`: the last word says what about the secret it holds.
        if end + 1 < words.len() && METADATA_WORDS.contains(&singular(last)) {
            continue;
        }
        return Some(label);
    }
    None
}

/// Whether a value stored under a secret's name could be a secret: not
/// empty, and not a number, boolean, placeholder or absolute path.
fn could_be_secret(value: &str) -> bool {
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if value.is_empty() || value.parse::<f64>().is_ok() {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none" | "~"
    ) {
        return false;
    }
    let placeholder =
        (value.starts_with("${") || value.starts_with("$(") || value.starts_with("{{"))
            && (value.ends_with('}') || value.ends_with(')'));
    let path = value.starts_with('/') && !value.contains(char::is_whitespace);
    !placeholder && !path
}

/// Why a value stored under `name` (if any) looks like a secret.
pub fn detect(name: Option<&str>, value: &str) -> Option<Reason> {
    if let Some(shape) = secret_shape(value) {
        return Some(Reason::Shape(shape));
    }
    let word = secret_name(name?)?;
    could_be_secret(value).then_some(Reason::Name(word))
}

/// Why a value looks like a secret by its shape alone, whatever its name.
pub fn secret_shape(value: &str) -> Option<&'static str> {
    if value.len() < 8 {
        return None;
    }
    if value.contains("-----BEGIN ") && value.contains("PRIVATE KEY") {
        return Some("a private key (PEM block)");
    }
    if authorization(value) {
        return Some("an HTTP authorization header (`Bearer` or `Basic` credentials)");
    }
    if value.contains('@') && value.contains("://") && url_credentials(value) {
        return Some("a URL with a password (`user:password@`)");
    }
    // Every other shape is a run of at least 14 token characters: most
    // values (names, paths, words) are ruled out in one pass.
    let mut run = 0;
    let long_run = value.bytes().any(|byte| {
        if RUN_BYTES[usize::from(byte)] {
            run += 1;
        } else {
            run = 0;
        }
        run >= 14
    });
    if !long_run {
        return None;
    }
    if let Some(shape) = token_prefix(value) {
        return Some(shape);
    }
    if value.contains("eyJ")
        && value
            .split(|c: char| c.is_whitespace() || "\"',;".contains(c))
            .any(is_jwt)
    {
        return Some("a JSON Web Token");
    }
    if token_runs(value).any(high_entropy) {
        return Some("a random key (a long, high-entropy string)");
    }
    None
}

/// Well-known token formats: a fixed prefix and a run of token characters.
fn token_prefix(value: &str) -> Option<&'static str> {
    const PREFIXES: &[(&str, usize, &str)] = &[
        ("AKIA", 16, "an AWS access key"),
        ("ASIA", 16, "an AWS access key"),
        ("ABIA", 16, "an AWS access key"),
        ("ACCA", 16, "an AWS access key"),
        ("ghp_", 36, "a GitHub token"),
        ("gho_", 36, "a GitHub token"),
        ("ghu_", 36, "a GitHub token"),
        ("ghs_", 36, "a GitHub token"),
        ("ghr_", 36, "a GitHub token"),
        ("github_pat_", 22, "a GitHub token"),
        ("glpat-", 20, "a GitLab token"),
        ("xoxb-", 10, "a Slack token"),
        ("xoxa-", 10, "a Slack token"),
        ("xoxp-", 10, "a Slack token"),
        ("xoxo-", 10, "a Slack token"),
        ("xoxr-", 10, "a Slack token"),
        ("xoxs-", 10, "a Slack token"),
        ("xapp-", 10, "a Slack token"),
        ("hooks.slack.com/services/T", 8, "a Slack webhook"),
        ("sk_live_", 16, "a Stripe key"),
        ("rk_live_", 16, "a Stripe key"),
        ("sk_test_", 16, "a Stripe key"),
        ("AIza", 35, "a Google API key"),
        ("npm_", 36, "an npm token"),
        ("pypi-AgE", 32, "a PyPI token"),
        ("SG.", 40, "a SendGrid key"),
    ];
    /// The bytes a prefix starts with.
    const FIRST: [bool; 256] = {
        let mut first = [false; 256];
        let mut at = 0;
        while at < PREFIXES.len() {
            first[PREFIXES[at].0.as_bytes()[0] as usize] = true;
            at += 1;
        }
        first
    };
    // One pass over the value: where a prefix may start, the prefixes that
    // do; the first of PREFIXES that fits anywhere wins.
    let bytes = value.as_bytes();
    let mut best: Option<usize> = None;
    for start in 0..bytes.len() {
        // A token is a word of its own: not the middle of a longer
        // identifier.
        if !FIRST[usize::from(bytes[start])]
            || start > 0 && bytes[start - 1].is_ascii_alphanumeric()
        {
            continue;
        }
        for (index, (prefix, length, _)) in PREFIXES.iter().enumerate() {
            if best.is_some_and(|best| best <= index)
                || prefix.as_bytes()[0] != bytes[start]
                || !bytes[start..].starts_with(prefix.as_bytes())
            {
                continue;
            }
            let rest = &value[start + prefix.len()..];
            let run = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "_-/.".contains(*c))
                .count();
            let aws = prefix.len() == 4 && prefix.starts_with('A') && *prefix != "AIza";
            let fits = if aws {
                let upper = rest
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    .count();
                upper == *length
                    && rest[upper..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_ascii_alphanumeric())
            } else {
                run >= *length
            };
            if fits {
                best = Some(index);
            }
        }
    }
    best.map(|index| PREFIXES[index].2)
}

/// `Bearer <token>` or `Basic <credentials>`, as an HTTP header value.
fn authorization(value: &str) -> bool {
    let value = value.trim();
    ["Bearer ", "Basic ", "bearer ", "basic "]
        .iter()
        .any(|scheme| {
            value.strip_prefix(scheme).is_some_and(|credentials| {
                credentials.len() >= 8
                    && !credentials.contains(char::is_whitespace)
                    && could_be_secret(credentials)
            })
        })
}

/// `scheme://user:password@host`, with a password that is not a placeholder.
fn url_credentials(value: &str) -> bool {
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && could_be_secret(password)
            && !password.chars().all(|c| c == '*' || c == 'x' || c == 'X')
            && !password.starts_with('<')
            && !password.starts_with('$')
        {
            return true;
        }
        rest = after;
    }
    false
}

fn is_base64url(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `header.payload.signature`, the first two base64url JSON objects.
fn is_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    header.starts_with("eyJ")
        && payload.starts_with("eyJ")
        && header.len() >= 10
        && payload.len() >= 10
        && is_base64url(header)
        && is_base64url(payload)
        && is_base64url(signature)
}

/// ASCII letters and digits, and `extra`, as a table by byte.
const fn byte_set(extra: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut byte = 0;
    while byte < 128 {
        set[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    let mut at = 0;
    while at < extra.len() {
        set[extra[at] as usize] = true;
        at += 1;
    }
    set
}

/// What a run of token-like characters is made of: a token's characters,
/// and the dots of a JWT or a dotted key.
const RUN_BYTES: [bool; 256] = byte_set(b"_-+/=.");

/// The characters of a base64 or random token.
const TOKEN_BYTES: [bool; 256] = byte_set(b"+/=_-");

/// The maximal runs of [`TOKEN_BYTES`] in `value`.
pub fn token_runs(value: &str) -> impl Iterator<Item = &str> {
    let bytes = value.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !TOKEN_BYTES[usize::from(bytes[at])] {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && TOKEN_BYTES[usize::from(bytes[at])] {
            at += 1;
        }
        // Runs are ASCII, so they start and end on character boundaries.
        (at > start).then(|| &value[start..at])
    })
}

/// Shannon entropy in bits per character.
fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut total = 0u32;
    for byte in text.bytes().filter(u8::is_ascii) {
        counts[byte as usize] += 1;
        total += 1;
    }
    let total = f64::from(total.max(1));
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

/// A long run of token characters that looks random: mixed case and
/// digits, or letters beyond hexadecimal and digits, with high entropy.
/// Paths, words joined by separators and hexadecimal digests do not count.
fn high_entropy(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    if token.len() < 20 {
        return false;
    }
    // A path or a dashed name: its parts are words, not one random string.
    let parts = token
        .split(['/', '-', '_'])
        .filter(|p| !p.is_empty())
        .count();
    let longest = token
        .split(['/', '-', '_'])
        .map(str::len)
        .max()
        .unwrap_or_default();
    if parts > 1 && longest < 16 {
        return false;
    }
    let upper = token.chars().filter(char::is_ascii_uppercase).count();
    let lower = token.chars().filter(char::is_ascii_lowercase).count();
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let beyond_hex = token
        .chars()
        .any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit());
    let entropy = entropy(token);
    let symbols = token.contains(['+', '/']);
    let mixed = upper >= 2 && lower >= 2 && (digits >= 2 || (digits >= 1 && symbols));
    let lower_digits = upper == 0 && digits >= 4 && beyond_hex && token.len() >= 32;
    (mixed && entropy >= 4.2) || (lower_digits && entropy >= 4.3)
}

/// A value in a rendered resource that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// JSON pointer of the value in the resource.
    pub pointer: String,
    /// What holds it, as people name it: an environment variable, a
    /// ConfigMap key (a file name), `args[1]`, an annotation.
    pub name: String,
    pub reason: Reason,
    /// The text to hide wherever it could be shown. Never printed.
    pub secret: String,
}

/// Every value in `resource` that looks like a secret: ConfigMap data,
/// containers' environment values, arguments and commands, ExternalSecret
/// templates, and annotations (by shape). Secrets themselves are not
/// scanned: their data is secret by definition.
pub fn scan(resource: &Value) -> Vec<Hit> {
    let mut hits = Vec::new();
    let kind = resource["kind"].as_str().unwrap_or_default();
    scan_metadata(&resource["metadata"], "/metadata", &mut hits);
    match kind {
        "ConfigMap" => {
            scan_map(&resource["data"], "/data", &mut hits);
            for (key, value) in resource["binaryData"].as_object().into_iter().flatten() {
                if let (Some(word), Some(text)) = (secret_name(key), value.as_str()) {
                    hits.push(Hit {
                        pointer: crate::support::pointer::pointer_push("/binaryData", key),
                        name: key.clone(),
                        reason: Reason::Name(word),
                        secret: text.to_owned(),
                    });
                }
            }
        }
        "ExternalSecret" => {
            scan_map(
                &resource["spec"]["target"]["template"]["data"],
                "/spec/target/template/data",
                &mut hits,
            );
        }
        _ => {}
    }
    let pod = match kind {
        "Pod" => Some("/spec".to_owned()),
        other => crate::support::kube::pod_template_pointer(other).map(|p| format!("{p}/spec")),
    };
    if let Some(base) = pod
        && let Some(spec) = resource.pointer(&base)
    {
        if let Some(template) = base.strip_suffix("/spec").filter(|t| !t.is_empty())
            && let Some(metadata) = resource.pointer(&format!("{template}/metadata"))
        {
            scan_metadata(metadata, &format!("{template}/metadata"), &mut hits);
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (c, container) in spec[list].as_array().into_iter().flatten().enumerate() {
                let at = format!("{base}/{list}/{c}");
                scan_container(container, &at, &mut hits);
                // Anything else in the container (probe commands, lifecycle
                // hooks, headers) by shape.
                let mut found = Vec::new();
                shapes(container, &at, &mut found);
                for hit in found {
                    if !hits.iter().any(|h| h.pointer == hit.pointer) {
                        hits.push(hit);
                    }
                }
            }
        }
    }
    hits
}

/// Labels and annotations, by the shape of their values.
fn scan_metadata(metadata: &Value, base: &str, hits: &mut Vec<Hit>) {
    for field in ["labels", "annotations"] {
        for (key, value) in metadata[field].as_object().into_iter().flatten() {
            if let Some(text) = value.as_str()
                && let Some(shape) = secret_shape(text)
            {
                hits.push(Hit {
                    pointer: crate::support::pointer::pointer_push(&format!("{base}/{field}"), key),
                    name: key.clone(),
                    reason: Reason::Shape(shape),
                    secret: text.to_owned(),
                });
            }
        }
    }
}

/// Every string under `value` shaped like a secret, named by its field
/// (or list and index).
fn shapes(value: &Value, pointer: &str, hits: &mut Vec<Hit>) {
    shapes_under(value, pointer, &mut Vec::new(), hits);
}

/// One step down from a value: a field or an item.
enum Step<'a> {
    Field(&'a str),
    Item(usize),
}

/// [`shapes`] below `base` then `path`; the pointer of a hit is only
/// written out for the hit.
fn shapes_under<'a>(value: &'a Value, base: &str, path: &mut Vec<Step<'a>>, hits: &mut Vec<Hit>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Field(key));
                shapes_under(child, base, path, hits);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Item(index));
                shapes_under(child, base, path, hits);
                path.pop();
            }
        }
        // Short strings (names, quantities, enums) hold no token.
        Value::String(text) if text.len() >= 12 => {
            if let Some(shape) = secret_shape(text) {
                let pointer = path
                    .iter()
                    .fold(base.to_owned(), |pointer, step| match step {
                        Step::Field(key) => crate::support::pointer::pointer_push(&pointer, key),
                        Step::Item(index) => format!("{pointer}/{index}"),
                    });
                hits.push(Hit {
                    name: crate::support::pointer::field_path(&pointer)
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    pointer,
                    reason: Reason::Shape(shape),
                    secret: text.clone(),
                });
            }
        }
        _ => {}
    }
}

/// A map of names to text (ConfigMap data, template data): each value by
/// its name and shape, and each `key: value` or `key=value` line of a
/// multi-line value (a configuration file) by the line's key.
fn scan_map(map: &Value, base: &str, hits: &mut Vec<Hit>) {
    for (key, value) in map.as_object().into_iter().flatten() {
        let Some(text) = value.as_str() else { continue };
        let pointer = crate::support::pointer::pointer_push(base, key);
        if let Some(reason) = detect(Some(key), text) {
            hits.push(Hit {
                pointer,
                name: key.clone(),
                reason,
                secret: text.to_owned(),
            });
            continue;
        }
        if text.contains('\n') {
            for line in text.lines() {
                if let Some((name, value)) = assignment(line)
                    && let Some(word) = secret_name(name)
                    && could_be_secret(value)
                {
                    hits.push(Hit {
                        pointer: pointer.clone(),
                        name: key.clone(),
                        reason: Reason::Name(word),
                        secret: value.to_owned(),
                    });
                }
            }
        }
    }
}

/// `key: value`, `key = value`, `"key": "value",` or `export KEY=value`:
/// the key and the value, unquoted.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let line = line.strip_prefix('-').map_or(line, str::trim_start);
    let quoted = line.starts_with('"') || line.starts_with('\'');
    let body = if quoted { &line[1..] } else { line };
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))?;
    let (name, rest) = body.split_at(end);
    let rest = if quoted {
        rest.strip_prefix(['"', '\''])?
    } else {
        rest
    };
    let rest = rest.trim_start();
    let value = rest.strip_prefix([':', '='])?.trim();
    let value = value.trim_end_matches(',').trim();
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    (!name.is_empty() && !value.is_empty()).then_some((name, value))
}

fn scan_container(container: &Value, base: &str, hits: &mut Vec<Hit>) {
    // HTTP headers of probes and lifecycle hooks, by the header's name.
    for (probe, path) in [
        ("readinessProbe", "/readinessProbe/httpGet"),
        ("livenessProbe", "/livenessProbe/httpGet"),
        ("startupProbe", "/startupProbe/httpGet"),
        ("postStart", "/lifecycle/postStart/httpGet"),
        ("preStop", "/lifecycle/preStop/httpGet"),
    ] {
        let Some(get) = container.pointer(path) else {
            continue;
        };
        for (h, header) in get["httpHeaders"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let name = header["name"].as_str().unwrap_or_default();
            if let Some(value) = header["value"].as_str()
                && let Some(reason) = detect(Some(name), value)
            {
                hits.push(Hit {
                    pointer: format!("{base}{path}/httpHeaders/{h}/value"),
                    name: format!("{probe} header {name}"),
                    reason,
                    secret: value.to_owned(),
                });
            }
        }
    }
    for (e, var) in container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = var["name"].as_str().unwrap_or_default();
        if let Some(value) = var["value"].as_str()
            && let Some(reason) = detect(Some(name), value)
        {
            hits.push(Hit {
                pointer: format!("{base}/env/{e}/value"),
                name: name.to_owned(),
                reason,
                secret: value.to_owned(),
            });
        }
    }
    for list in ["command", "args"] {
        let items: Vec<&str> = container[list]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default())
            .collect();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("{base}/{list}/{i}");
            let name = format!("{list}[{i}]");
            // `--db-password=hunter2`, or `--db-password hunter2`.
            let flagged = match item.split_once('=') {
                Some((flag, value)) if flag.starts_with('-') => Some((flag, value)),
                _ => items
                    .get(i.wrapping_sub(1))
                    .filter(|flag| flag.starts_with('-') && !flag.contains('='))
                    .filter(|_| !item.starts_with('-'))
                    .map(|flag| (*flag, *item)),
            };
            let reason = secret_shape(item).map(Reason::Shape).or_else(|| {
                let (flag, value) = flagged?;
                let word = secret_name(flag)?;
                could_be_secret(value).then_some(Reason::Name(word))
            });
            if let Some(reason) = reason {
                let secret = match (reason, flagged) {
                    (Reason::Name(_), Some((_, value))) => value.to_owned(),
                    _ => (*item).to_owned(),
                };
                hits.push(Hit {
                    pointer,
                    name,
                    reason,
                    secret,
                });
            }
        }
    }
}
