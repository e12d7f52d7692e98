//! Markdown to HTML, with pulldown-cmark (CommonMark plus tables,
//! strikethrough and task lists).
//!
//! Docs are written by every team, and the portal is one site: raw HTML in
//! Markdown is shown as text, never passed through, and links keep only
//! safe schemes (`http`, `https`, `mailto`, relative), so no team's page can
//! run script or hide content on the others'. Relative links to `.md` files
//! point at their rendered `.html` pages; headings get stable ids.

use std::collections::BTreeMap;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A rendered document.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The first top-level heading's text, if any.
    pub title: Option<String>,
    pub html: String,
    /// The document's words, for search.
    pub text: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A heading id from its text, as GitHub makes it (`What runs where` →
/// `what-runs-where`), so links written for GitHub work here too.
fn anchor(text: &str) -> String {
    let out = crate::reference::anchor(text);
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

/// Only links that cannot run script: relative, fragment, `http(s):`,
/// `mailto:`. A relative link to `x.md` (or `x.md#y`) becomes `x.html`.
fn safe_link(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        Some("http" | "https" | "mailto") => url.to_owned(),
        Some(_) => "#".to_owned(),
        None => {
            let (path, fragment) = match url.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (url, None),
            };
            let path = match path.strip_suffix(".md") {
                Some(stem) => format!("{stem}.html"),
                None => path.to_owned(),
            };
            match fragment {
                Some(fragment) => format!("{path}#{fragment}"),
                None => path,
            }
        }
    }
}

/// Renders `markdown`. Headings are shifted down by `demote` levels (a doc
/// shown inside a page starts below the page's own heading), and their ids
/// start with `id_prefix` (so they cannot clash with the page's own).
pub fn render(markdown: &str, demote: usize, id_prefix: &str) -> Rendered {
    let events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut title = None;
    let mut text = String::new();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                // The heading's text, up to its end.
                let mut heading = String::new();
                let mut j = i + 1;
                while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                    if let Event::Text(t) | Event::Code(t) = &events[j] {
                        heading.push_str(t);
                    }
                    j += 1;
                }
                if title.is_none() && *level == HeadingLevel::H1 {
                    title = Some(heading.clone());
                }
                let mut id = format!("{id_prefix}{}", anchor(&heading));
                let seen = used.entry(id.clone()).or_insert(0);
                *seen += 1;
                if *seen > 1 {
                    id = format!("{id}-{}", *seen - 1);
                }
                out.push(Event::Start(Tag::Heading {
                    level: shift(*level, demote),
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                out.push(Event::End(TagEnd::Heading(shift(*level, demote))));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => out.push(Event::Start(Tag::Link {
                link_type: *link_type,
                dest_url: CowStr::from(safe_link(dest_url)),
                title: title.clone(),
                id: id.clone(),
            })),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => out.push(Event::Start(Tag::Image {
                link_type: *link_type,
                dest_url: CowStr::from(safe_link(dest_url)),
                title: title.clone(),
                id: id.clone(),
            })),
            // Raw HTML is shown, not run.
            Event::Html(raw) | Event::InlineHtml(raw) => {
                out.push(Event::Text(raw.clone()));
            }
            other => {
                if let Event::Text(t) | Event::Code(t) = other {
                    text.push_str(t);
                    text.push(' ');
                }
                out.push(other.clone());
            }
        }
        i += 1;
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    // A code block that scrolls must be reachable by keyboard.
    let html = html.replace("<pre>", "<pre tabindex=\"0\">");
    Rendered { title, html, text }
}

fn shift(level: HeadingLevel, by: usize) -> HeadingLevel {
    let n = (level as usize + by).min(6);
    HeadingLevel::try_from(n).unwrap_or(HeadingLevel::H6)
}
