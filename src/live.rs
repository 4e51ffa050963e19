//! Live knowledge: the knowledge folder, re-indexed without a restart while the bot answers.
//!
//! Staff edit files while members ask. A reload reads the folder again and builds a new index
//! off to the side; only a finished index is swapped in, atomically, so a question is always
//! answered from a whole index, old or new, never a half-built one. A file that turns bad
//! keeps serving its last good version until it is fixed; its problem is reported meanwhile.
//! A deleted file stops answering.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::notify::event::{
    AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind,
};
use thiserror::Error;
use tracing::{info, info_span, warn};

use crate::hours::Clock;
use crate::knowledge::{
    Diagnostic, Document, KnowledgeBase, KnowledgeError, Problem, SYNONYMS_FILE, Synonyms,
};
use crate::meaning::{MeaningStatus, Semantic};
use crate::search::{Engine, SearchError};
use crate::sync::lock;

/// Edits arrive as bursts of file events (an editor writes, renames, touches); waiting this
/// long after the last one reloads once, and well within "a couple of seconds".
const DEBOUNCE: Duration = Duration::from_millis(400);
/// New texts a watched reload embeds before swapping its index in: about a second's work.
/// With more (a large export just dropped in, minutes of embedding), the new index answers
/// by words alone at once and the embedding goes on in the background, so a file added
/// meanwhile is answered in seconds, not after it.
const EMBED_IN_PLACE: usize = 64;

/// Reloading failed as a whole (the folder vanished, the index could not be built). The
/// previous knowledge keeps serving.
#[derive(Debug, Error)]
pub enum ReloadError {
    /// The folder could not be read.
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    /// The index could not be built.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The file watcher could not start.
    #[error("cannot watch the knowledge folder {path}: {message}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// What a reload found.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Knowledge files serving answers (good now, or their last good version).
    pub files: usize,
    /// Passages in the index.
    pub passages: usize,
    /// When the index was last rebuilt.
    pub reloaded_at: SystemTime,
    /// Every error and warning of the current files.
    pub diagnostics: Vec<Diagnostic>,
    /// Files with an error that still answer from their last good version.
    pub serving_last_good: Vec<String>,
    /// Files whose `last_reviewed` date is older than the review age, with that date.
    pub due_for_review: Vec<(String, jiff::civil::Date)>,
    /// Whether answers match by meaning too.
    pub meaning: MeaningStatus,
}

impl Status {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The `{{FILL IN: ...}}` placeholders still to replace, in file and line order.
    pub fn placeholders(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| matches!(d.problem, Problem::Placeholder(_)))
    }

    /// The lines of each file that still hold a placeholder, file by file: one short line
    /// per file keeps the list readable in a message when the starter knowledge still has
    /// dozens.
    pub fn placeholder_lines(&self) -> std::collections::BTreeMap<&str, Vec<usize>> {
        let mut files: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for placeholder in self.placeholders() {
            let lines = files.entry(placeholder.path.as_str()).or_default();
            if lines.last() != Some(&placeholder.line) {
                lines.push(placeholder.line);
            }
        }
        files
    }
}

/// The knowledge folder and the index built from it, kept current.
pub struct LiveKnowledge {
    dir: PathBuf,
    review_after: Duration,
    semantic: Option<Arc<Semantic>>,
    meaning: MeaningStatus,
    /// Where the engines' "now" comes from, for questions about being open.
    clock: Clock,
    engine: ArcSwap<Engine>,
    state: Mutex<State>,
    /// One reload at a time: two overlapping reloads could swap in the older one last.
    reloading: Mutex<()>,
    /// Counts the indexes swapped in: a background embedding swaps its index in only if no
    /// reload came after the one it embeds for.
    generation: std::sync::atomic::AtomicU64,
}

/// What reading the folder gave: the documents that answer (good, or their last good
/// version), the synonyms, and what to report.
struct Read {
    diagnostics: Vec<Diagnostic>,
    good: BTreeMap<String, Document>,
    synonyms: Synonyms,
    serving_last_good: Vec<String>,
}

impl Read {
    fn passages(&self) -> Vec<crate::knowledge::Passage> {
        self.good
            .values()
            .flat_map(|d| d.passages.iter().cloned())
            .collect()
    }
}

struct State {
    good: BTreeMap<String, Document>,
    synonyms: Synonyms,
    status: Status,
}

impl LiveKnowledge {
    /// Reads and indexes the folder, matching by words alone.
    pub fn load(dir: &Path, review_after_days: u32) -> Result<LiveKnowledge, ReloadError> {
        Self::load_with(dir, review_after_days, None, MeaningStatus::Off)
    }

    /// Reads and indexes the folder, matching by meaning too when `semantic` is given;
    /// `meaning` is what status reports say about it.
    pub fn load_with(
        dir: &Path,
        review_after_days: u32,
        semantic: Option<Arc<Semantic>>,
        meaning: MeaningStatus,
    ) -> Result<LiveKnowledge, ReloadError> {
        let empty = Engine::build(Vec::new(), &Synonyms::default())?;
        let live = LiveKnowledge {
            dir: dir.to_path_buf(),
            review_after: crate::config::days(review_after_days),
            semantic,
            meaning: meaning.clone(),
            clock: Clock::System,
            engine: ArcSwap::from_pointee(empty),
            state: Mutex::new(State {
                good: BTreeMap::new(),
                synonyms: Synonyms::default(),
                status: Status {
                    files: 0,
                    passages: 0,
                    reloaded_at: SystemTime::now(),
                    diagnostics: Vec::new(),
                    serving_last_good: Vec::new(),
                    due_for_review: Vec::new(),
                    meaning,
                },
            }),
            reloading: Mutex::new(()),
            generation: std::sync::atomic::AtomicU64::new(0),
        };
        live.reload()?;
        Ok(live)
    }

    /// This knowledge, answering questions about being open at `clock`'s "now" (tests, and
    /// staff trying an answer ahead of time): the folder is indexed again with it.
    pub fn with_clock(mut self, clock: Clock) -> Result<LiveKnowledge, ReloadError> {
        self.clock = clock;
        self.reload()?;
        Ok(self)
    }

    /// The index to answer one question from. Hold it for the whole question.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// Where "now" comes from: the bot's questions about opening and its weekly digest.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The knowledge folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the last reload found.
    pub fn status(&self) -> Status {
        lock(&self.state).status.clone()
    }

    /// Reads the folder again and swaps in a new index, embedding what it must first. Files
    /// with errors keep their last good version; a broken synonyms file keeps the last good
    /// synonyms.
    pub fn reload(&self) -> Result<Status, ReloadError> {
        let _one_at_a_time = lock(&self.reloading);
        let _span = info_span!("reload", dir = %self.dir.display()).entered();
        let read = self.read()?;
        // Embedding new passages takes a while on a large export; the old index answers
        // meanwhile.
        let engine = Engine::build_with(
            read.passages(),
            &read.synonyms,
            self.semantic.as_deref(),
            &log_progress,
        )?;
        let meaning = self.meaning_of(&engine);
        Ok(self.swap(read, engine, meaning))
    }

    /// [`LiveKnowledge::reload`] as the watcher does it: when the new index needs more than
    /// [`EMBED_IN_PLACE`] texts embedded (or another embedding is under way), it answers by
    /// words alone at once and says so (`true`): [`LiveKnowledge::catch_up`] does the rest.
    fn reload_or_defer(&self) -> Result<(Status, bool), ReloadError> {
        let _one_at_a_time = lock(&self.reloading);
        let _span = info_span!("reload", dir = %self.dir.display()).entered();
        let read = self.read()?;
        let passages = read.passages();
        if let Some(semantic) = &self.semantic {
            let missing = semantic.missing(&passages);
            if missing.is_none_or(|missing| missing > EMBED_IN_PLACE) {
                let engine = Engine::build(passages, &read.synonyms)?;
                let waiting = MeaningStatus::CatchingUp(missing.unwrap_or_default());
                info!(
                    texts = missing,
                    "new texts to embed; answering by words meanwhile"
                );
                return Ok((self.swap(read, engine, waiting), true));
            }
        }
        let engine = Engine::build_with(
            passages,
            &read.synonyms,
            self.semantic.as_deref(),
            &log_progress,
        )?;
        let meaning = self.meaning_of(&engine);
        Ok((self.swap(read, engine, meaning), false))
    }

    /// Embeds what the newest reload left to do and swaps in its index by meaning; when a
    /// newer reload came meanwhile, goes on with that one (the vectors made so far are kept).
    fn catch_up(&self) -> Result<Status, ReloadError> {
        loop {
            let (generation, passages, synonyms) = {
                let state = lock(&self.state);
                // A reload since embedded in place: nothing is left to do.
                if !matches!(state.status.meaning, MeaningStatus::CatchingUp(_)) {
                    return Ok(state.status.clone());
                }
                let passages: Vec<crate::knowledge::Passage> = state
                    .good
                    .values()
                    .flat_map(|d| d.passages.iter().cloned())
                    .collect();
                (self.generation(), passages, state.synonyms.clone())
            };
            let engine =
                Engine::build_with(passages, &synonyms, self.semantic.as_deref(), &log_progress)?;
            let _one_at_a_time = lock(&self.reloading);
            if self.generation() != generation {
                continue;
            }
            let meaning = self.meaning_of(&engine);
            let engine = self.answering_hours(engine, &lock(&self.state).good);
            let status = {
                let mut state = lock(&self.state);
                state.status.passages = engine.passages().len();
                state.status.meaning = meaning;
                state.status.reloaded_at = SystemTime::now();
                state.status.clone()
            };
            self.engine.store(Arc::new(engine));
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            info!(
                passages = status.passages,
                "knowledge reloaded, by meaning too"
            );
            return Ok(status);
        }
    }

    /// `engine`, answering questions about being open from the hours of `good` by this
    /// knowledge's clock.
    fn answering_hours(&self, engine: Engine, good: &BTreeMap<String, Document>) -> Engine {
        engine
            .with_hours(crate::knowledge::hours_of(good.values()))
            .with_clock(self.clock)
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// What matching by meaning is for `engine`: as loaded, unless its passages could not be
    /// embedded.
    fn meaning_of(&self, engine: &Engine) -> MeaningStatus {
        match (&self.meaning, engine.matches_meaning()) {
            (MeaningStatus::On(_), false) => {
                MeaningStatus::Broken("the passages could not be embedded (see the log)".into())
            }
            (status, _) => status.clone(),
        }
    }

    /// Reads the folder: its documents, each bad one replaced by its last good version.
    fn read(&self) -> Result<Read, ReloadError> {
        let base = KnowledgeBase::load_settled(&self.dir, DEBOUNCE)?;
        let state = lock(&self.state);
        let broken: Vec<&str> = base
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.path.as_str())
            .collect();
        let mut good: BTreeMap<String, Document> = base
            .documents
            .iter()
            .map(|document| (document.source.clone(), document.clone()))
            .collect();
        let mut serving_last_good = Vec::new();
        for path in &broken {
            if let Some(previous) = state.good.get(*path) {
                good.insert((*path).to_string(), previous.clone());
                serving_last_good.push((*path).to_string());
            }
        }
        // A sub-folder that cannot be listed keeps its files' last good versions too.
        let unlistable = base.diagnostics.iter().filter_map(|d| match d.problem {
            Problem::UnreadableFolder(_) => Some(format!("{}/", d.path)),
            _ => None,
        });
        for folder in unlistable {
            for (path, previous) in state.good.range(folder.clone()..) {
                if !path.starts_with(&folder) {
                    break;
                }
                good.insert(path.clone(), previous.clone());
                serving_last_good.push(path.clone());
            }
        }
        let synonyms = if broken.contains(&SYNONYMS_FILE) {
            state.synonyms.clone()
        } else {
            base.synonyms.clone()
        };
        serving_last_good.dedup();
        Ok(Read {
            diagnostics: base.diagnostics,
            good,
            synonyms,
            serving_last_good,
        })
    }

    /// Swaps in `engine`, built from `read`, and makes its status the current one.
    fn swap(&self, read: Read, engine: Engine, meaning: MeaningStatus) -> Status {
        let engine = self.answering_hours(engine, &read.good);
        let mut diagnostics = read.diagnostics;
        diagnostics.extend(engine.diagnostics().iter().cloned());
        let status = Status {
            files: read.good.len(),
            passages: engine.passages().len(),
            reloaded_at: SystemTime::now(),
            diagnostics,
            serving_last_good: read.serving_last_good,
            due_for_review: self.due_for_review(&read.good),
            meaning,
        };
        self.engine.store(Arc::new(engine));
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut state = lock(&self.state);
        state.good = read.good;
        state.synonyms = read.synonyms;
        state.status = status.clone();
        info!(
            files = status.files,
            passages = status.passages,
            errors = status.errors().count(),
            "knowledge reloaded"
        );
        status
    }

    fn due_for_review(
        &self,
        good: &BTreeMap<String, Document>,
    ) -> Vec<(String, jiff::civil::Date)> {
        let Ok(age) = jiff::SignedDuration::try_from(self.review_after) else {
            return Vec::new();
        };
        let Ok(cutoff) = jiff::Timestamp::now().checked_sub(age) else {
            return Vec::new();
        };
        let cutoff = cutoff.to_zoned(jiff::tz::TimeZone::UTC).date();
        good.values()
            .filter_map(|d| d.last_reviewed.map(|date| (d.source.clone(), date)))
            .filter(|(_, date)| *date < cutoff)
            .collect()
    }

    /// Watches the folder and reloads after every change; `on_reload` hears each outcome (on
    /// threads of the watch's own). Reloads run one after another on a thread of their own,
    /// so the watcher never waits for one; changes made during a reload are read by the next.
    /// A reload with many texts to embed answers by words at once and embeds on another
    /// thread (see [`EMBED_IN_PLACE`]). The watch stops when the returned value is dropped.
    pub fn watch(
        self: &Arc<Self>,
        on_reload: impl Fn(Result<Status, ReloadError>) + Send + Sync + 'static,
    ) -> Result<KnowledgeWatcher, ReloadError> {
        let on_reload = Arc::new(on_reload);
        let watch_error = |err: notify_debouncer_full::notify::Error| ReloadError::Watch {
            path: self.dir.clone(),
            message: err.to_string(),
        };
        let spawn_error = |err: std::io::Error| ReloadError::Watch {
            path: self.dir.clone(),
            message: err.to_string(),
        };
        let (changes, changed) = std::sync::mpsc::channel::<()>();
        let (embeds, embed_wanted) = std::sync::mpsc::channel::<()>();
        let (live, report) = (Arc::clone(self), Arc::clone(&on_reload));
        std::thread::Builder::new()
            .name("faqbot-reload".into())
            .spawn(move || {
                // Ends when the watch is dropped (the last sender goes with the debouncer).
                while changed.recv().is_ok() {
                    // Changes that came during the last reload: one reload reads them all.
                    while changed.try_recv().is_ok() {}
                    match live.reload_or_defer() {
                        Ok((status, deferred)) => {
                            report(Ok(status));
                            if deferred {
                                let _ = embeds.send(());
                            }
                        }
                        Err(err) => report(Err(err)),
                    }
                }
            })
            .map_err(spawn_error)?;
        let (live, report) = (Arc::clone(self), on_reload);
        std::thread::Builder::new()
            .name("faqbot-embed".into())
            .spawn(move || {
                while embed_wanted.recv().is_ok() {
                    while embed_wanted.try_recv().is_ok() {}
                    report(live.catch_up());
                }
            })
            .map_err(spawn_error)?;
        let mut debouncer = notify_debouncer_full::new_debouncer(
            DEBOUNCE,
            None,
            move |events: notify_debouncer_full::DebounceEventResult| match events {
                Ok(events) if !events.iter().any(|event| is_change(&event.kind)) => {}
                Ok(_) => {
                    let _ = changes.send(());
                }
                Err(errors) => {
                    for err in errors {
                        warn!(%err, "watching the knowledge folder");
                    }
                    let _ = changes.send(());
                }
            },
        )
        .map_err(watch_error)?;
        debouncer
            .watch(&self.dir, RecursiveMode::Recursive)
            .map_err(watch_error)?;
        Ok(KnowledgeWatcher {
            _debouncer: debouncer,
        })
    }
}

/// Whether a file event may have changed what the folder holds. Opening, reading and closing
/// a file unchanged are not changes: reacting to them made every reload (which reads every
/// file) trigger the next, and any `cat` or backup job start an endless loop of reloads.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Any
        | EventKind::Create(_)
        | EventKind::Modify(_)
        | EventKind::Remove(_)
        | EventKind::Other => true,
    }
}

/// Keeps the folder watched while alive.
pub struct KnowledgeWatcher {
    _debouncer: notify_debouncer_full::Debouncer<
        notify_debouncer_full::notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
}

/// Logs the progress of a long embedding, every few thousand passages.
fn log_progress(done: usize, total: usize) {
    /// Fewer take seconds at most: not worth a line.
    const LOG_FROM: usize = 2_000;
    if total >= LOG_FROM {
        info!(done, total, "embedding passages");
    }
}
