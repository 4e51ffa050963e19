//! Criterion benchmarks of the answer engine: question latency and index build time on the
//! bundled knowledge and on MedQuAD (16,407 consumer-health FAQ entries, from ../shared, loaded
//! as a `.jsonl` knowledge file), and a hot reload of the bundled knowledge.
//!
//! The worst cases the documented limits admit are measured too: a folder at the passage limit,
//! questions and autocomplete against synonym lines at their term limit, and grouping 16,000
//! distinct unanswered questions for the gap report.
//!
//! Run with `cargo bench --bench engine`; MedQuAD is skipped when ../shared is not beside the
//! repo (or FAQBOT_SHARED_DIR does not point at it).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use faqbot::knowledge::KnowledgeBase;
use faqbot::live::LiveKnowledge;
use faqbot::meaning::Semantic;
use faqbot::search::Engine;

/// Questions members ask, asked in turn so caches do not flatter one question.
const QUESTIONS: &[&str] = &[
    "What happens during a therapeutic massage?",
    "can massage help me sleep?",
    "r u supposed to tip",
    "how much is a one hour session?",
    "theraputic masage",
    "what is the capital of France?",
    "I broke my wrist 3 weeks ago, can I still get a massage?",
    "is deep tissue gonna be really painful?",
];

fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// MedQuAD loaded as staff would load it: its `.jsonl` export dropped into a knowledge folder.
fn medquad() -> Option<(tempfile::TempDir, KnowledgeBase)> {
    let shared = std::env::var_os("FAQBOT_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let export = shared.join("eval/medquad/medquad.jsonl");
    if !export.is_file() {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&export, dir.path().join("medquad.jsonl")).expect("copy MedQuAD");
    let base = KnowledgeBase::load(dir.path()).expect("MedQuAD knowledge");
    assert!(!base.has_errors(), "MedQuAD loads without errors");
    Some((dir, base))
}

/// The model shipped in the repo, with an in-memory vector cache seeded by the bundled
/// knowledge's shipped vectors.
fn semantic(collection: &str) -> Semantic {
    Semantic::load(
        &faqbot::config::SemanticSettings::default(),
        None,
        collection,
    )
    .expect("the model loads")
    .expect("matching by meaning is on")
}

fn with_meaning(base: &KnowledgeBase, semantic: &Semantic) -> Engine {
    Engine::build_with(
        base.passages().cloned().collect(),
        &base.synonyms,
        Some(semantic),
        &|_, _| {},
    )
    .expect("index")
}

fn embedding(c: &mut Criterion) {
    let semantic = semantic(faqbot::meaning::KNOWLEDGE);
    let embedder = semantic.embedder();
    let base = KnowledgeBase::load(&knowledge_dir()).expect("bundled knowledge");
    // A passage of about 150 tokens, the usual length of a full one.
    let passage = base
        .passages()
        .map(|p| p.plain.clone())
        .min_by_key(|text| text.len().abs_diff(700))
        .unwrap_or_default();
    let mut next = QUESTIONS.iter().cycle();
    c.bench_function("embed/question", |b| {
        b.iter(|| embedder.embed(next.next().copied().unwrap_or_default()))
    });
    c.bench_function("embed/passage (about 150 tokens)", |b| {
        b.iter(|| embedder.embed(&passage))
    });
}

fn bundled(c: &mut Criterion) {
    let dir = knowledge_dir();
    let base = KnowledgeBase::load(&dir).expect("bundled knowledge");
    let engine = with_meaning(&base, &semantic(faqbot::meaning::KNOWLEDGE));
    let mut next = QUESTIONS.iter().cycle();
    // A new question each time, as members' are: its vector is not kept from before.
    c.bench_function("ask/bundled", |b| {
        b.iter(|| {
            engine.forget_question_vectors();
            engine.answer(next.next().copied().unwrap_or_default(), 3)
        })
    });
    c.bench_function("ask/bundled, a question asked again", |b| {
        b.iter(|| engine.answer("can massage help me sleep?", 3))
    });
    let words = Engine::from_knowledge(&base).expect("index");
    c.bench_function("ask/bundled, words only", |b| {
        b.iter(|| words.answer(next.next().copied().unwrap_or_default(), 3))
    });
    c.bench_function("build/bundled (read files + index)", |b| {
        b.iter(|| {
            let base = KnowledgeBase::load(&dir).expect("bundled knowledge");
            Engine::from_knowledge(&base).expect("index")
        })
    });
    let live = LiveKnowledge::load(&dir, 365).expect("live knowledge");
    c.bench_function("reload/bundled (hot reload)", |b| b.iter(|| live.reload()));
}

fn medquad_set(c: &mut Criterion) {
    let Some((dir, base)) = medquad() else {
        eprintln!("MedQuAD not found beside the repo: skipping its benchmarks");
        return;
    };
    let questions: Vec<String> = base
        .passages()
        .step_by(97)
        .filter_map(|p| p.heading.clone())
        .collect();
    let engine = Engine::from_knowledge(&base).expect("index");
    let mut next = questions.iter().cycle();
    c.bench_function("ask/medquad, words only", |b| {
        b.iter(|| engine.answer(next.next().map(String::as_str).unwrap_or_default(), 3))
    });
    // Embedding MedQuAD takes most of an hour on one core: measured only when asked.
    if std::env::var_os("FAQBOT_BENCH_MEDQUAD_MEANING").is_some() {
        let engine = with_meaning(&base, &semantic("bench-medquad"));
        c.bench_function("ask/medquad", |b| {
            b.iter(|| {
                engine.forget_question_vectors();
                engine.answer(next.next().map(String::as_str).unwrap_or_default(), 3)
            })
        });
    }
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("medquad (read the export + index)", |b| {
        b.iter(|| {
            let base = KnowledgeBase::load(dir.path()).expect("MedQuAD knowledge");
            Engine::from_knowledge(&base).expect("index")
        })
    });
    group.finish();
}

/// A folder at the passage limit: FAQ exports of [`MAX_EXPORT_ROWS`] rows each, every answer
/// `answer_chars` long, up to [`MAX_PASSAGES`] passages.
fn folder_at_the_limit(answer_chars: usize) -> tempfile::TempDir {
    use faqbot::knowledge::{MAX_EXPORT_ROWS, MAX_PASSAGES};
    let dir = tempfile::tempdir().expect("temp dir");
    let words = [
        "massage",
        "pressure",
        "session",
        "therapist",
        "muscle",
        "relax",
        "booking",
    ];
    let mut row = 0;
    for file in 0..MAX_PASSAGES / MAX_EXPORT_ROWS {
        let mut text = String::from("question,answer\n");
        for _ in 0..MAX_EXPORT_ROWS {
            let mut answer = String::new();
            while answer.len() < answer_chars {
                answer.push_str(words[(row + answer.len()) % words.len()]);
                answer.push(' ');
            }
            text.push_str(&format!(
                "\"Question {row} about topic{row}?\",\"{}\"\n",
                answer.trim()
            ));
            row += 1;
        }
        std::fs::write(dir.path().join(format!("export-{file}.csv")), text).expect("write");
    }
    dir
}

/// The bundled knowledge with a synonyms file of lines at [`MAX_SYNONYM_TERMS`] terms, each
/// term a word the knowledge uses, and a question that touches as many lines as it can.
fn synonyms_at_the_limit() -> (tempfile::TempDir, String) {
    use faqbot::knowledge::MAX_SYNONYM_TERMS;
    let base = KnowledgeBase::load(&knowledge_dir()).expect("bundled knowledge");
    let mut words: Vec<String> = base
        .passages()
        .flat_map(|p| {
            p.plain
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() > 4 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    words.sort();
    words.dedup();
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(knowledge_dir()).expect("bundled knowledge") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|name| name != "synonyms.toml") {
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let mut synonyms = String::new();
    let mut first_words = Vec::new();
    for line in words.chunks(MAX_SYNONYM_TERMS).take(64) {
        let quoted: Vec<String> = line[1..].iter().map(|w| format!("{w:?}")).collect();
        synonyms.push_str(&format!("{:?} = [{}]\n", line[0], quoted.join(", ")));
        first_words.push(line[0].clone());
    }
    std::fs::write(dir.path().join("synonyms.toml"), synonyms).expect("synonyms");
    let question =
        faqbot::search::cut_question(&first_words.join(" "), faqbot::search::MAX_QUESTION_CHARS)
            .to_string();
    (dir, question)
}

fn limits(c: &mut Criterion) {
    let mut group = c.benchmark_group("limits");
    group.sample_size(10);
    for (name, answer_chars) in [("tiny rows", 20), ("full passages", 790)] {
        let dir = folder_at_the_limit(answer_chars);
        group.bench_function(format!("build/passage limit, {name} (read + index)"), |b| {
            b.iter(|| {
                let base = KnowledgeBase::load(dir.path()).expect("knowledge");
                assert!(!base.has_errors(), "{:?}", base.diagnostics.first());
                Engine::from_knowledge(&base).expect("index")
            })
        });
        let base = KnowledgeBase::load(dir.path()).expect("knowledge");
        let engine = Engine::from_knowledge(&base).expect("index");
        group.bench_function(format!("ask/passage limit, {name}"), |b| {
            b.iter(|| engine.answer("question about topic777 and the massage pressure", 3))
        });
    }
    group.finish();

    let (dir, question) = synonyms_at_the_limit();
    let base = KnowledgeBase::load(dir.path()).expect("knowledge");
    assert!(!base.has_errors(), "{:?}", base.diagnostics.first());
    let engine = Engine::from_knowledge(&base).expect("index");
    c.bench_function("limits/ask with synonym lines at the term limit", |b| {
        b.iter(|| engine.answer(&question, 3))
    });
    c.bench_function(
        "limits/autocomplete with synonym lines at the term limit",
        |b| b.iter(|| engine.suggestions(&question, 25)),
    );
}

fn gap_report(c: &mut Criterion) {
    use faqbot::records::{Asked, Channel};
    let asked: Vec<Asked> = (0..16_000)
        .map(|n| {
            Asked::unanswered(
                format!("can massage help with problem{n} in my body{}", n % 97),
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(n),
                Channel::Command,
            )
        })
        .collect();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("gaps of 16,000 distinct questions", |b| {
        b.iter(|| faqbot::records::report::gaps(&asked))
    });
    group.finish();
}

criterion_group!(benches, embedding, bundled, medquad_set, limits, gap_report);
criterion_main!(benches);
