//! Shared helpers: fixture folders, the bundled knowledge, and the `faqbot` binary.

use std::path::{Path, PathBuf};

use faqbot::knowledge::KnowledgeBase;
use faqbot::search::Engine;

pub mod fake_discord;

/// The knowledge folder shipped in the repo.
pub fn bundled_knowledge() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The project's shared data (`../shared` beside the repo, as CI has it).
pub fn shared() -> PathBuf {
    let dir = std::env::var_os("FAQBOT_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("eval").is_dir(),
        "the shared data folder {} is missing: clone the repo beside ../shared or set FAQBOT_SHARED_DIR",
        dir.display()
    );
    dir
}

/// A test fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A temporary folder holding `files` (relative path, bytes).
pub fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(path, bytes).expect("write fixture");
    }
    dir
}

/// Loads and indexes a folder.
pub fn engine(dir: &Path) -> Engine {
    let base = KnowledgeBase::load(dir).expect("load knowledge");
    Engine::from_knowledge(&base).expect("build index")
}

/// The bundled knowledge, indexed once per test binary.
pub fn bundled() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| engine(&bundled_knowledge()))
}

/// The `faqbot` binary with a clean environment, run in `dir`.
pub fn faqbot(dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("faqbot").expect("faqbot binary");
    command
        .current_dir(dir)
        .env_remove("FAQBOT_CONFIG")
        .env_remove("FAQBOT_KNOWLEDGE_DIR")
        .env_remove("RUST_LOG");
    command
}

/// The sentence-embedding model shipped in the repo, with an in-memory vector cache of its
/// own seeded by the bundled knowledge's shipped vectors, as one running bot has. The cache
/// keeps the vectors of the last knowledge it was asked for only, so bots on different
/// knowledge sharing one would embed each other's passages again, one at a time (tests
/// waited 20 s for a reload behind that).
pub fn own_semantic() -> std::sync::Arc<faqbot::meaning::Semantic> {
    let settings = faqbot::config::SemanticSettings::default();
    let semantic = faqbot::meaning::Semantic::load(&settings, None, faqbot::meaning::KNOWLEDGE)
        .expect("the model loads")
        .expect("matching by meaning is on by default");
    std::sync::Arc::new(semantic)
}

/// The bundled knowledge indexed by words and meaning, once per test binary.
pub fn bundled_with_meaning() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let base = KnowledgeBase::load(&bundled_knowledge()).expect("load knowledge");
        Engine::build_with(
            base.passages().cloned().collect(),
            &base.synonyms,
            Some(&own_semantic()),
            &|_, _| {},
        )
        .expect("build index")
    })
}

/// A `staff.digest` moment an hour ago on the clock of `zone` (`"sunday 14:05"`), and that
/// moment: a bot started now posts that week's digest at once.
pub fn digest_due_an_hour_ago(zone: &str) -> (String, jiff::Zoned) {
    let due = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(1))
        .expect("an hour ago")
        .in_tz(zone)
        .expect("the zone");
    let moment = format!(
        "{} {:02}:{:02}",
        faqbot::hours::weekday_name(due.weekday()),
        due.hour(),
        due.minute()
    );
    (moment, due)
}
