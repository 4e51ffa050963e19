//! Criterion benchmarks of the answer engine: question latency and index build time on the
//! bundled knowledge and on MedQuAD (16,407 consumer-health FAQ entries, from ../shared), and
//! a hot reload of the bundled knowledge.
//!
//! Run with `cargo bench --bench engine`; MedQuAD is skipped when ../shared is not beside the
//! repo (or FAQBOT_SHARED_DIR does not point at it).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use faqbot::knowledge::{KnowledgeBase, Passage, Synonyms};
use faqbot::live::LiveKnowledge;
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

fn medquad() -> Option<Vec<Passage>> {
    let shared = std::env::var_os("FAQBOT_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let text = std::fs::read_to_string(shared.join("eval/medquad/medquad.jsonl")).ok()?;
    let passages = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or_default().to_string();
            let answer = field("answer");
            Passage {
                title: field("focus"),
                heading: Some(field("question")),
                alternative_questions: Vec::new(),
                plain: answer.clone(),
                text: answer,
                source: field("id"),
                line: 0,
            }
        })
        .collect();
    Some(passages)
}

fn bundled(c: &mut Criterion) {
    let dir = knowledge_dir();
    let base = KnowledgeBase::load(&dir).expect("bundled knowledge");
    let engine = Engine::from_knowledge(&base).expect("index");
    let mut next = QUESTIONS.iter().cycle();
    c.bench_function("ask/bundled", |b| {
        b.iter(|| engine.answer(next.next().copied().unwrap_or_default(), 3))
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
    let Some(passages) = medquad() else {
        eprintln!("MedQuAD not found beside the repo: skipping its benchmarks");
        return;
    };
    let questions: Vec<String> = passages
        .iter()
        .step_by(97)
        .filter_map(|p| p.heading.clone())
        .collect();
    let engine = Engine::build(passages.clone(), &Synonyms::default()).expect("index");
    let mut next = questions.iter().cycle();
    c.bench_function("ask/medquad", |b| {
        b.iter(|| engine.answer(next.next().map(String::as_str).unwrap_or_default(), 3))
    });
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("medquad (index 16k entries)", |b| {
        b.iter(|| Engine::build(passages.clone(), &Synonyms::default()).expect("index"))
    });
    group.finish();
}

criterion_group!(benches, bundled, medquad_set);
criterion_main!(benches);
