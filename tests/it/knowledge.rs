//! Reading knowledge folders: formats, the seeds' quirks, and every kind of bad file.

use faqbot::knowledge::{KnowledgeBase, MAX_EXPORT_BYTES, MAX_FILE_BYTES, Problem};

use crate::support::{bundled_knowledge, folder};

const GOOD: &[u8] = b"---\ntitle: Booking\n---\n\n## How do I book?\n\nCall the front desk.\n";

#[test]
fn the_seeds_are_read_with_their_quirks() {
    let base = KnowledgeBase::load(&bundled_knowledge()).unwrap();
    let seed = base
        .documents
        .iter()
        .find(|d| d.source == "what-happens-during-a-therapeutic-massage.txt")
        .expect("seed loaded");
    assert_eq!(seed.title, "What happens during a therapeutic massage?");
    assert_eq!(seed.author.as_deref(), Some("Jarrod Smith"));
    assert!(
        seed.passages
            .iter()
            .all(|p| !p.text.contains("Answered by"))
    );
    assert!(seed.passages.iter().all(|p| p.is_question()));
    assert!(
        seed.passages.len() >= 3,
        "a long answer is cut into passages"
    );
    assert_eq!(seed.passages[0].line, 1);
    assert!(
        seed.passages[0]
            .text
            .starts_with("During a therapeutic massage")
    );

    let insomnia = base
        .documents
        .iter()
        .find(|d| d.source == "massage-therapy-for-insomnia.txt")
        .expect("seed loaded");
    assert_eq!(insomnia.title, "Massage therapy for insomnia");
    let mut headings: Vec<_> = insomnia
        .passages
        .iter()
        .map(|p| p.heading.as_deref())
        .collect();
    headings.dedup();
    assert_eq!(
        headings,
        vec![
            None,
            Some("Massage Can Help Produce Melatonin"),
            Some("The Relaxation Caused by Massage Improves Sleep"),
            Some("A Variety of Techniques May Be Used"),
        ]
    );
    let melatonin = &insomnia.passages[1];
    assert_eq!(melatonin.line, 3);
    assert!(melatonin.text.starts_with("The first way massage may help"));
}

#[test]
fn the_seeds_keep_the_clinic_text() {
    let shared = crate::support::shared();
    for seed in [
        "what-happens-during-a-therapeutic-massage.txt",
        "massage-therapy-for-insomnia.txt",
    ] {
        let ours = std::fs::read(bundled_knowledge().join(seed)).unwrap();
        let theirs = std::fs::read(shared.join("seeds").join(seed)).unwrap();
        assert_eq!(ours, theirs, "{seed} differs from the clinic's text");
    }
}

#[test]
fn bundled_knowledge_has_no_errors_and_enough_files() {
    let base = KnowledgeBase::load(&bundled_knowledge()).unwrap();
    let errors: Vec<String> = base
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(base.documents.len() >= 20);
    for passage in base.passages() {
        assert!(
            passage.text.chars().count() <= faqbot::knowledge::MAX_PASSAGE_CHARS,
            "{}:{} is too long to quote",
            passage.source,
            passage.line
        );
    }
    assert!(base.synonyms.groups.len() >= 10);
}

#[test]
fn every_bad_file_is_reported_and_the_good_ones_still_load() {
    let huge = vec![b'a'; usize::try_from(MAX_FILE_BYTES).unwrap() + 1];
    let dir = folder(&[
        ("good.md", GOOD),
        ("empty.md", b""),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ("latin1.txt", b"Caf\xe9 opening hours\n"),
        ("huge.txt", &huge),
        (
            "broken-front-matter.md",
            b"---\ntitle: [oops\n---\n\nText.\n",
        ),
        ("unclosed.md", b"---\ntitle: Oops\n\nText.\n"),
        ("only-headings.md", b"# Title\n\n## Section\n"),
        ("picture.png", b"\x89PNG"),
        ("notes/deeper.md", GOOD),
        (".hidden.md", b""),
    ]);
    let base = KnowledgeBase::load(dir.path()).unwrap();
    let loaded: Vec<&str> = base.documents.iter().map(|d| d.source.as_str()).collect();
    assert_eq!(loaded, vec!["good.md", "notes/deeper.md"]);
    let found: Vec<(&str, usize, &Problem)> = base
        .diagnostics
        .iter()
        .map(|d| (d.path.as_str(), d.line, &d.problem))
        .collect();
    let expected_kinds = [
        ("binary.txt", 1, "not a text file"),
        ("broken-front-matter.md", 2, "front matter"),
        ("empty.md", 1, "empty"),
        ("huge.txt", 1, "more than the limit"),
        ("latin1.txt", 1, "UTF-8"),
        ("only-headings.md", 1, "no text"),
        ("picture.png", 1, "ignored"),
        ("unclosed.md", 1, "not closed"),
    ];
    assert_eq!(found.len(), expected_kinds.len(), "{found:#?}");
    for ((path, line, problem), (want_path, want_line, words)) in found.iter().zip(expected_kinds) {
        assert_eq!((*path, *line), (want_path, want_line), "{problem}");
        assert!(problem.to_string().contains(words), "{path}: {problem}");
    }
    assert!(base.has_errors());
    assert_eq!(
        base.files_seen, 9,
        "hidden files are skipped, the PNG is not knowledge"
    );
}

#[test]
fn a_missing_folder_is_an_error() {
    let err = KnowledgeBase::load(std::path::Path::new("/nonexistent/knowledge")).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn faq_exports_load_as_faq_sections() {
    let dir = folder(&[
        (
            "export.jsonl",
            b"{\"id\": \"1\", \"question\": \"Do you take walk-ins?\", \"answer\": \"Only when a therapist is free.\", \"focus\": \"Booking\"}\n{\"question\": \"Is parking free?\", \"answer\": \"Yes, behind the clinic.\", \"aliases\": [\"where do i park\"]}\n",
        ),
        (
            "sheet.csv",
            b"question,answer,title,aliases\n\"Do you sell gift cards?\",\"Yes, at the front desk.\",Gifts,voucher|present\n",
        ),
        ("broken.jsonl", b"{\"question\": \"Q?\", \"answer\": \"A.\"}\n{\"question\": \"No answer?\"}\n"),
    ]);
    let base = KnowledgeBase::load(dir.path()).unwrap();
    let errors: Vec<String> = base.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        vec!["broken.jsonl:2: error: row: the answer is empty"]
    );
    let passages: Vec<_> = base.passages().collect();
    assert_eq!(passages.len(), 3);
    assert_eq!(passages[0].title, "Booking");
    assert_eq!(
        passages[0].heading.as_deref(),
        Some("Do you take walk-ins?")
    );
    assert_eq!(passages[1].alternative_questions, vec!["where do i park"]);
    assert_eq!(passages[1].line, 2);
    assert_eq!(passages[2].title, "Gifts");
    assert_eq!(
        passages[2].alternative_questions,
        vec!["voucher", "present"]
    );
    let engine = crate::support::engine(dir.path());
    let answer = engine.answer("where do i park", 1).unwrap();
    assert_eq!(
        answer.best().map(|b| b.source.as_str()),
        Some("export.jsonl")
    );
}

#[test]
fn faq_exports_may_be_larger_than_prose_but_not_unbounded() {
    // An export over the 1 MiB prose limit (about 2 MiB of rows) loads whole.
    let mut export = Vec::new();
    let mut rows = 0;
    while export.len() as u64 <= 2 * MAX_FILE_BYTES {
        rows += 1;
        export.extend_from_slice(
            format!(
                "{{\"question\": \"What is treatment number {rows}?\", \"answer\": \"Treatment number {rows} is one of our many treatments, booked at the front desk.\"}}\n"
            )
            .as_bytes(),
        );
    }
    let dir = folder(&[("export.jsonl", &export), ("notes.txt", &export)]);
    // An export over its own limit is refused before it is read: a sparse file costs no disk.
    let oversized = std::fs::File::create(dir.path().join("dump.csv")).unwrap();
    oversized.set_len(MAX_EXPORT_BYTES + 1).unwrap();

    let base = KnowledgeBase::load(dir.path()).unwrap();
    let loaded: Vec<&str> = base.documents.iter().map(|d| d.source.as_str()).collect();
    assert_eq!(loaded, vec!["export.jsonl"]);
    assert_eq!(base.passages().count(), rows);
    let refused: Vec<String> = base.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(refused[0].starts_with("dump.csv:1:") && refused[0].contains("more than the limit"));
    assert!(refused[1].starts_with("notes.txt:1:") && refused[1].contains("more than the limit"));
}
