//! A recorded source's transcript holds for another source exactly when
//! that source answers every question the reader asked as before.

use paved::input::source::recorded::Recorded;
use paved::input::source::{MemoryFile, MemoryTree, Source};

fn tree(files: &[(&str, &str)]) -> MemoryTree {
    let mut tree = MemoryTree::default();
    for (path, text) in files {
        tree.insert(*path, MemoryFile::Text((*text).to_owned()));
    }
    tree
}

/// What a reader asks: the files of `teams/`, read, and whether
/// `platform/dora.yaml` exists.
fn read_teams(source: &dyn Source) {
    for entry in source.list("teams").unwrap() {
        let _ = source.read(&format!("teams/{}", entry.name));
    }
    source.exists("platform/dora.yaml");
}

const FILES: &[(&str, &str)] = &[
    ("teams/a.yaml", "a: 1\n"),
    ("teams/b.yaml", "b: 2\n"),
    ("platform/platform.yaml", "p: 1\n"),
];

fn holds(before: &MemoryTree, after: &MemoryTree) -> bool {
    let recorded = Recorded::new(before);
    read_teams(&recorded);
    let transcript = recorded.transcript();
    Recorded::new(after).gives(&transcript)
}

#[test]
fn a_transcript_holds_while_every_answer_is_the_same() {
    let before = tree(FILES);
    assert!(holds(&before, &tree(FILES)));
    // What the reader never asked about may change.
    let mut unasked = FILES.to_vec();
    unasked[2].1 = "p: 2\n";
    assert!(holds(&before, &tree(&unasked)));
    // A file's text, a file added where it lists, a file it asked about
    // appearing: each fails it.
    let mut edited = FILES.to_vec();
    edited[1].1 = "b: 3\n";
    assert!(!holds(&before, &tree(&edited)));
    let mut added = FILES.to_vec();
    added.push(("teams/c.yaml", "c: 1\n"));
    assert!(!holds(&before, &tree(&added)));
    let mut appeared = FILES.to_vec();
    appeared.push(("platform/dora.yaml", "bands: {}\n"));
    assert!(!holds(&before, &tree(&appeared)));
    // So does a file that can no longer be read.
    let mut broken = tree(FILES);
    broken.insert("teams/a.yaml", MemoryFile::TooLarge(1 << 30));
    assert!(!holds(&before, &broken));
}

#[test]
fn the_transcript_names_every_path_asked_about_and_counts_what_was_read() {
    let files = tree(FILES);
    let recorded = Recorded::new(&files);
    read_teams(&recorded);
    // Comparing with another transcript asks questions too, but those are
    // not the reader's.
    let other = Recorded::new(&files);
    other.exists("elsewhere");
    assert!(recorded.gives(&other.transcript()));
    let transcript = recorded.transcript();
    assert_eq!(
        transcript.paths().into_iter().collect::<Vec<_>>(),
        [
            "platform/dora.yaml",
            "teams",
            "teams/a.yaml",
            "teams/b.yaml"
        ]
    );
    assert_eq!(transcript.bytes(), 10);
}
