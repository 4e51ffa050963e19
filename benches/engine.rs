//! Criterion benchmarks of the answer engine: question latency and index build time on the
//! bundled knowledge and on MedQuAD (16,407 consumer-health FAQ entries, from ../shared, loaded
//! as a `.jsonl` knowledge file), and a hot reload of the bundled knowledge.
//!
//! Run with `cargo bench --bench engine`; MedQuAD is skipped when ../shared is not beside the
//! repo (or FAQBOT_SHARED_DIR does not point at it).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use faqbot::knowledge::KnowledgeBase;
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
    c.bench_function("ask/medquad", |b| {
        b.iter(|| engine.answer(next.next().map(String::as_str).unwrap_or_default(), 3))
    });
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

criterion_group!(benches, bundled, medquad_set);
criterion_main!(benches);
