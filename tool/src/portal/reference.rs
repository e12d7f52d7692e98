//! The input reference as a portal page: every field of every input file,
//! from `crate::reference` (read from the same JSON Schemas that check the
//! inputs, so it cannot drift from them).

use std::fmt::Write as _;

use super::html::escape;
use crate::input::schema::InputKind;

/// The reference's HTML (a section per input file) and its text for search.
pub fn html() -> (String, String) {
    let mut out = String::new();
    let mut text = String::new();
    out.push_str("<h1>Input reference</h1>\n<p>Every field of every input file, from the JSON Schemas that <code>paved</code> checks the inputs against (also in <code>schemas/</code>, for editors). Fields marked <strong>required</strong> must be set.</p>\n<nav aria-label=\"Input files\"><ul>\n");
    for kind in InputKind::ALL {
        let path = crate::reference::location(kind);
        let id = kind.file_name().trim_end_matches(".json");
        let _ = writeln!(
            out,
            "<li><a href=\"#{id}\"><code>{}</code></a></li>",
            escape(path)
        );
    }
    out.push_str("</ul></nav>\n");
    for kind in InputKind::ALL {
        let path = crate::reference::location(kind);
        let what = kind.schema()["description"]
            .as_str()
            .unwrap_or_default()
            .replace('\n', " ");
        let id = kind.file_name().trim_end_matches(".json");
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"{id}\">\n<h2 id=\"{id}\"><code>{}</code></h2>\n<p>{}</p>",
            escape(path),
            super::html::inline(&what)
        );
        let _ = writeln!(text, "{path} {what}");
        let cells: Vec<Vec<String>> = crate::reference::fields(kind)
            .iter()
            .map(|field| {
                let _ = writeln!(text, "{} {}", field.path, field.description);
                vec![
                    format!(
                        "<code id=\"{id}-{}\">{}</code>",
                        escape(&field.path.replace(['<', '>', '[', ']'], "")),
                        escape(&field.path)
                    ),
                    escape(&field.kind),
                    if field.required {
                        "required".into()
                    } else {
                        "optional".into()
                    },
                    super::html::inline(&field.description),
                ]
            })
            .collect();
        out.push_str(&super::html::table(
            &format!("Fields of {path}"),
            &["Field", "Type", "Required", "Meaning"],
            &cells,
            "reference",
        ));
        out.push_str("</section>\n");
    }
    (out, text)
}
