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
mod synonyms;

use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;
use tracing::{debug, info_span};

pub use diagnostics::{Diagnostic, Problem, Severity};
pub use document::{Document, Format, ParsedFile, Passage, parse};
pub use front_matter::FrontMatter;
pub use passages::MAX_PASSAGE_CHARS;
pub use synonyms::{SYNONYMS_FILE, SynonymGroup, Synonyms};

/// Larger prose files are almost always a mistake (a book, a pasted export) and would make
/// passages no one reads; 1 MiB is about 150,000 words, far more than any FAQ page.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// FAQ exports (`.jsonl`, `.csv`) are many short entries rather than one text, so they may be
/// larger: MedQuAD's 16,407 question/answer pairs are 22 MB. Beyond this, a file is not an FAQ
/// (and would take more memory than the bot should).
pub const MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;

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
    /// Reads every knowledge file under `root` (sub-folders too; hidden files are skipped).
    pub fn load(root: &Path) -> Result<KnowledgeBase, KnowledgeError> {
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
        for entry in walker {
            let entry = entry.map_err(|source| KnowledgeError::Walk {
                path: root.to_path_buf(),
                source,
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let source = relative_source(root, entry.path());
            if entry.depth() == 1 && entry.file_name() == SYNONYMS_FILE {
                base.read_synonyms(&source, entry.path());
            } else if let Some(format) = Format::of(entry.path()) {
                base.files_seen += 1;
                base.read_document(&source, format, entry.path());
            } else {
                base.diagnostics
                    .push(Diagnostic::new(source, 1, Problem::Ignored));
            }
        }
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

    /// Whether any file has an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn read_document(&mut self, source: &str, format: Format, path: &Path) {
        let parsed = match read_limited(path, format.max_bytes()) {
            Ok(bytes) => parse(source, format, &bytes),
            Err(problem) => ParsedFile {
                document: None,
                diagnostics: vec![Diagnostic::new(source, 1, problem)],
            },
        };
        self.diagnostics.extend(parsed.diagnostics);
        self.documents.extend(parsed.document);
    }

    fn read_synonyms(&mut self, source: &str, path: &Path) {
        let text = read_limited(path, MAX_FILE_BYTES)
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
