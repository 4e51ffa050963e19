//! Knowledge files: what clinic staff write, read into documents and passages.
//!
//! Staff drop Markdown (`.md`) or plain-text (`.txt`) files into the knowledge folder, plus an
//! optional `synonyms.toml`. This module reads a folder, validates every file and splits each
//! into passages small enough to quote in a chat message. Problems are collected as
//! [`Diagnostic`]s with file and line instead of stopping at the first, so one bad file never
//! keeps the others from loading. Nothing here knows about search or Discord.

mod diagnostics;
mod document;
mod faq_rows;
mod front_matter;
mod markdown;
mod outline;
mod passages;
pub mod placeholders;
mod plain;
pub mod save;
mod synonyms;
pub mod wordings;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;
use tracing::{debug, info_span};

use crate::hours::OpeningHours;

pub use diagnostics::{Diagnostic, Problem, Severity, listed_lines};
pub(crate) use document::same_heading;
pub use document::{Document, Format, ParsedFile, Passage, parse};
pub use front_matter::FrontMatter;
pub use passages::{MAX_HEADING_CHARS, MAX_PASSAGE_CHARS, cut_at_word};
pub use synonyms::{SYNONYMS_FILE, SynonymGroup, Synonyms};

/// Larger prose files are almost always a mistake (a book, a pasted export) and would make
/// passages no one reads; 1 MiB is about 150,000 words, far more than any FAQ page.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// FAQ exports (`.jsonl`, `.csv`) are many short entries rather than one text, so they may be
/// larger: MedQuAD's 16,407 question/answer pairs are 22 MB. Beyond this, a file is not an FAQ
/// (and would take more memory than the bot should).
pub const MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;
/// The most bytes of knowledge files read from one folder, and the most passages indexed:
/// what the bot answers from within the speed and memory the README states (measured there
/// at these limits). MedQuAD, a large real FAQ (22 MB, 35,513 passages), fits.
pub const MAX_FOLDER_BYTES: u64 = 64 * 1024 * 1024;
/// See [`MAX_FOLDER_BYTES`].
pub const MAX_PASSAGES: usize = 50_000;
/// How long a file that keeps changing is waited for before it is read as it is: a slow
/// editor's save is over well within this, a log file being written never is.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(10);

pub use faq_rows::MAX_EXPORT_ROWS;
pub use synonyms::MAX_SYNONYM_TERMS;

/// The knowledge folder itself cannot be read.
#[derive(Debug, Error)]
pub enum KnowledgeError {
    /// The folder does not exist or is not a folder.
    #[error("the knowledge folder {0} does not exist or is not a folder")]
    NotAFolder(PathBuf),
    /// Listing the folder failed.
    #[error("cannot list the knowledge folder {path}")]
    Walk {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: walkdir::Error,
    },
}

/// Every document and the synonyms of a knowledge folder, with what is wrong in it.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    /// The folder read.
    pub root: PathBuf,
    /// Files that loaded, sorted by path.
    pub documents: Vec<Document>,
    /// The synonyms file's groups (empty when there is none or it is broken).
    pub synonyms: Synonyms,
    /// Every error and warning, sorted by path and line.
    pub diagnostics: Vec<Diagnostic>,
    /// How many knowledge files were found, loaded or not.
    pub files_seen: usize,
}

impl KnowledgeBase {
    /// Reads every knowledge file under `root` (sub-folders too; hidden files and symbolic
    /// links are skipped, and reported).
    pub fn load(root: &Path) -> Result<KnowledgeBase, KnowledgeError> {
        Self::load_settled(root, Duration::ZERO)
    }

    /// Like [`KnowledgeBase::load`], but a file changed less than `settle` ago is read only
    /// once it has been left alone that long, and read again if it changes while being read:
    /// an editor that rewrites a file in place, pausing between writes, is never read halfway.
    pub fn load_settled(root: &Path, settle: Duration) -> Result<KnowledgeBase, KnowledgeError> {
        let _span = info_span!("load_knowledge", root = %root.display()).entered();
        if !root.is_dir() {
            return Err(KnowledgeError::NotAFolder(root.to_path_buf()));
        }
        let mut base = KnowledgeBase {
            root: root.to_path_buf(),
            ..KnowledgeBase::default()
        };
        let walker = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
        let mut budget = Budget::default();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                // The folder itself: nothing to answer from.
                Err(source) if source.depth() == 0 => {
                    return Err(KnowledgeError::Walk {
                        path: root.to_path_buf(),
                        source,
                    });
                }
                // One sub-folder (a `lost+found`, no permission, a path too long): the rest
                // of the folder still loads.
                Err(err) => {
                    let source = err
                        .path()
                        .map_or_else(|| ".".to_string(), |path| relative_source(root, path));
                    let why = err
                        .io_error()
                        .map_or_else(|| err.to_string(), ToString::to_string);
                    base.diagnostics.push(Diagnostic::new(
                        source,
                        1,
                        Problem::UnreadableFolder(why),
                    ));
                    continue;
                }
            };
            let source = relative_source(root, entry.path());
            if entry.depth() > 0 && entry.path_is_symlink() {
                base.diagnostics
                    .push(Diagnostic::new(source, 1, Problem::Symlink));
                continue;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            if entry.depth() == 1 && entry.file_name() == SYNONYMS_FILE {
                base.read_synonyms(&source, entry.path(), settle);
            } else if let Some(format) = Format::of(entry.path()) {
                base.files_seen += 1;
                base.read_document(&source, format, entry.path(), settle, &mut budget);
            } else {
                base.diagnostics
                    .push(Diagnostic::new(source, 1, Problem::Ignored));
            }
        }
        base.diagnostics.extend(hours_twice(&base.documents));
        base.diagnostics
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        debug!(
            documents = base.documents.len(),
            diagnostics = base.diagnostics.len(),
            "knowledge loaded"
        );
        Ok(base)
    }

    /// Every passage of every document, in path order.
    pub fn passages(&self) -> impl Iterator<Item = &Passage> {
        self.documents
            .iter()
            .flat_map(|document| &document.passages)
    }

    /// The clinic's opening hours and the file that states them: the first, by path, that
    /// has an `hours:` block.
    pub fn hours(&self) -> Option<(&str, &OpeningHours)> {
        hours_of(&self.documents)
    }

    /// Whether any file has an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn read_document(
        &mut self,
        source: &str,
        format: Format,
        path: &Path,
        settle: Duration,
        budget: &mut Budget,
    ) {
        let refuse = |problem| ParsedFile {
            document: None,
            diagnostics: vec![Diagnostic::new(source, 1, problem)],
        };
        let folder_full = || Problem::FolderFull(format!("{} MiB", MAX_FOLDER_BYTES >> 20));
        let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
        // A file over its own limit is told so first: that is what to fix.
        let read = if size <= format.max_bytes() && budget.bytes + size > MAX_FOLDER_BYTES {
            Err(folder_full())
        } else {
            read_settled(path, format.max_bytes(), settle)
        };
        let parsed = match read {
            Ok(bytes) if budget.bytes + bytes.len() as u64 > MAX_FOLDER_BYTES => {
                refuse(folder_full())
            }
            Ok(bytes) => {
                budget.bytes += bytes.len() as u64;
                document::parse_within(source, format, &bytes, MAX_PASSAGES - budget.passages)
            }
            Err(problem) => refuse(problem),
        };
        if let Some(document) = &parsed.document {
            budget.passages += document.passages.len();
        }
        self.diagnostics.extend(parsed.diagnostics);
        self.documents.extend(parsed.document);
    }

    fn read_synonyms(&mut self, source: &str, path: &Path, settle: Duration) {
        let text = read_settled(path, MAX_FILE_BYTES, settle)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| Problem::NotUtf8));
        match text {
            Ok(text) => match Synonyms::parse(source, &text) {
                Ok((synonyms, warnings)) => {
                    self.synonyms = synonyms;
                    self.diagnostics.extend(warnings);
                }
                Err(error) => self.diagnostics.push(error),
            },
            Err(problem) => self.diagnostics.push(Diagnostic::new(source, 1, problem)),
        }
    }
}

/// What a folder has used of its limits so far.
#[derive(Debug, Default)]
struct Budget {
    bytes: u64,
    passages: usize,
}

/// Reads a file once it has not changed for `settle`, and again if it changed while being
/// read; a file that never stops changing is read as it is after [`MAX_SETTLE_WAIT`].
fn read_settled(path: &Path, limit: u64, settle: Duration) -> Result<Vec<u8>, Problem> {
    let give_up = std::time::Instant::now() + MAX_SETTLE_WAIT;
    while std::time::Instant::now() < give_up {
        let before = stamp(path);
        if let Some(wait) = before
            .as_ref()
            .and_then(|(_, modified)| modified.elapsed().ok())
            .and_then(|age| settle.checked_sub(age))
            .filter(|wait| !wait.is_zero())
        {
            std::thread::sleep(wait);
            continue;
        }
        let bytes = read_limited(path, limit)?;
        if before.is_some() && stamp(path) == before {
            return Ok(bytes);
        }
    }
    read_limited(path, limit)
}

/// What tells that a file changed: its size and modification time.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.len(), metadata.modified().ok()?))
}

/// Reads a file, refusing it before reading when it is over `limit` bytes.
fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Problem> {
    let unreadable = |err: std::io::Error| Problem::Unreadable(err.to_string());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > limit {
        return Err(Problem::TooLarge { size, limit });
    }
    let mut bytes = Vec::new();
    // `take` guards against a file that grows while it is read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    Ok(bytes)
}

/// The opening hours of the first of `documents` (in path order) that states them, with its
/// path.
pub fn hours_of<'a>(
    documents: impl IntoIterator<Item = &'a Document>,
) -> Option<(&'a str, &'a OpeningHours)> {
    documents
        .into_iter()
        .find_map(|document| Some((document.source.as_str(), document.hours.as_ref()?)))
}

/// A warning for each file after the first that states opening hours: two blocks that
/// disagree would leave members with whichever file sorts first, so staff should know.
fn hours_twice(documents: &[Document]) -> Vec<Diagnostic> {
    let mut stating = documents.iter().filter(|document| document.hours.is_some());
    let Some(first) = stating.next() else {
        return Vec::new();
    };
    stating
        .map(|other| {
            Diagnostic::new(
                other.source.clone(),
                1,
                Problem::HoursTwice(first.source.clone()),
            )
        })
        .collect()
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

fn relative_source(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
