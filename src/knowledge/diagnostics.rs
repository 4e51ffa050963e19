//! What `faqbot check` reports about a knowledge file: a problem, where it is, and how bad.
//!
//! Staff are not programmers, so every problem says what to fix in plain words, and points at the
//! file and line like a compiler does. Errors keep a file out of the index; warnings (a
//! placeholder still to fill in, a file type that is ignored) do not.

use std::fmt;

use thiserror::Error;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something staff may want to look at; the file still loads.
    Warning,
    /// The file cannot be used until it is fixed.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Everything that can be wrong with a knowledge file, worded for the person who fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    /// The file has no bytes at all, or only white space.
    #[error("the file is empty: write the answer in it, or delete it")]
    Empty,
    /// The file is over the size limit.
    #[error(
        "the file is {size} bytes, more than the limit of {limit} bytes: split it into smaller files, one topic each"
    )]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The largest size accepted.
        limit: u64,
    },
    /// The file holds NUL bytes: a picture, a PDF, a Word document...
    #[error(
        "this is not a text file (it looks like a binary file, such as a PDF, an image or a Word document): save it as plain text (.txt) or Markdown (.md)"
    )]
    Binary,
    /// The bytes are not UTF-8.
    #[error(
        "the text is not valid UTF-8 (the encoding problem starts in this line): save the file with UTF-8 encoding"
    )]
    NotUtf8,
    /// A `---` line opens front matter and nothing closes it.
    #[error("the front matter that starts here is not closed: add a line with only `---` after it")]
    UnclosedFrontMatter,
    /// The front matter is not valid YAML, or has a wrong key or value.
    #[error("front matter: {0}")]
    FrontMatter(String),
    /// `questions:` in the front matter names a heading the file does not have.
    #[error(
        "front matter: `questions` names the heading \"{0}\", but the file has no heading with that text"
    )]
    UnknownHeading(String),
    /// After front matter, headings and bylines there is nothing to quote.
    #[error("the file has no text to answer from (only a title, headings or front matter)")]
    NoText,
    /// The synonyms file is not valid TOML or not of the expected shape.
    #[error("synonyms: {0}")]
    Synonyms(String),
    /// A row of an FAQ export (`.jsonl`, `.csv`) is not usable.
    #[error("row: {0}")]
    Row(String),
    /// The file could not be read at all.
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// A `{{FILL IN: ...}}` marker that staff still have to replace.
    #[error("placeholder to fill in: {0}")]
    Placeholder(String),
    /// A file in the knowledge folder that is neither Markdown nor plain text.
    #[error(
        "ignored: only Markdown (.md), plain-text (.txt) and FAQ export (.jsonl, .csv) files are read as knowledge"
    )]
    Ignored,
    /// A sub-folder that cannot be listed; the files in it are not read.
    #[error("cannot read this folder, so its files are left out: {0}")]
    UnreadableFolder(String),
    /// A symbolic link: links are not followed, so a link can never bring in a file from
    /// outside the knowledge folder.
    #[error(
        "skipped: this is a symbolic link, and links are not followed; copy the file into the knowledge folder instead"
    )]
    Symlink,
    /// Two rows of an FAQ export ask the same question.
    #[error(
        "row: the question \"{question}\" is also asked on line {first_line}; both rows are kept, each with its own answer and wordings, but members will find the first one: merge them, or word them apart"
    )]
    DuplicateQuestion {
        /// The question, as written in this row.
        question: String,
        /// The line of the row that asks it first.
        first_line: usize,
    },
    /// An FAQ export with more rows than the limit.
    #[error(
        "the export has more than {limit} rows: split it into several files of at most {limit} rows"
    )]
    TooManyRows {
        /// The most rows one export may have.
        limit: usize,
    },
    /// The knowledge folder already holds as much as the bot answers from within its
    /// promises (files are read in path order).
    #[error(
        "left out: with this file the knowledge folder would hold more than {0}, the most faqbot reads; move files you do not need elsewhere"
    )]
    FolderFull(String),
    /// A synonym line with more terms than the limit.
    #[error(
        "synonyms: this line has {terms} terms, more than the limit of {limit}: a line lists words that mean the same, so split it into lines of true equivalents"
    )]
    TooManySynonyms {
        /// How many terms the line has.
        terms: usize,
        /// The most terms a line may have.
        limit: usize,
    },
    /// A synonym without any word (only punctuation or emoji), so it can never match.
    #[error("synonyms: \"{0}\" has no words to match, so it is ignored")]
    SynonymWithoutWords(String),
    /// A term that stands in two synonym lines, which would silently merge them.
    #[error(
        "synonyms: \"{term}\" is already in line {first_line}; each word or phrase may stand in one line only"
    )]
    DuplicateSynonym {
        /// The term as written here.
        term: String,
        /// The line where it stands first.
        first_line: usize,
    },
    /// A term listed twice in its own synonym line.
    #[error("synonyms: \"{0}\" is listed twice in this line; the second is ignored")]
    RepeatedSynonym(String),
    /// More other wordings than one file or section may have: each costs index and memory
    /// in every passage it belongs to.
    #[error(
        "front matter: {what} has {count} wordings, more than the limit of {limit}; only the first {limit} are used: keep the ways members really ask"
    )]
    TooManyWordings {
        /// `aliases`, or the section's heading in `questions`.
        what: String,
        /// How many there are.
        count: usize,
        /// The most that are used.
        limit: usize,
    },
    /// A second file with an `hours:` block: members are answered from one.
    #[error(
        "front matter: the opening hours are already given in {0}, and only those are used: keep the hours in one file"
    )]
    HoursTwice(String),
}

impl Problem {
    /// Whether this problem stops the file from loading.
    pub fn severity(&self) -> Severity {
        match self {
            Problem::Placeholder(_)
            | Problem::Ignored
            | Problem::Symlink
            | Problem::DuplicateQuestion { .. }
            | Problem::SynonymWithoutWords(_)
            | Problem::DuplicateSynonym { .. }
            | Problem::RepeatedSynonym(_)
            | Problem::TooManyWordings { .. }
            | Problem::HoursTwice(_) => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// Lines of a file as staff read them in a list: "3, 7, 12".
pub fn listed_lines(lines: &[usize]) -> String {
    lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A [`Problem`] at a place in a knowledge file, shown as `path:line: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}:{line}: {severity}: {problem}", quoted(.path), severity = self.severity())]
pub struct Diagnostic {
    /// The file, relative to the knowledge folder, with `/` separators.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: Problem,
}

impl Diagnostic {
    /// A problem at `line` of `path`.
    pub fn new(path: impl Into<String>, line: usize, problem: Problem) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            problem,
        }
    }

    /// How serious the problem is.
    pub fn severity(&self) -> Severity {
        self.problem.severity()
    }

    /// Whether the problem keeps the file out of the index.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// The diagnostic with its path under `root`, as `check` prints it.
    pub fn under(&self, root: &std::path::Path) -> String {
        let path = root.join(&self.path).display().to_string();
        format!(
            "{}:{}: {}: {}",
            quoted(&path),
            self.line,
            self.severity(),
            self.problem
        )
    }
}

/// A file name as it can be shown on one `path:line:` line: quoted and escaped when it holds
/// what would break or forge such a line (a newline, a `:`, a quote, control characters, or
/// spaces at its ends).
pub fn quoted(path: &str) -> std::borrow::Cow<'_, str> {
    let plain = !path.is_empty()
        && path.trim() == path
        && !path
            .chars()
            .any(|c| c == ':' || c == '"' || c == '\\' || c.is_control());
    if plain {
        std::borrow::Cow::Borrowed(path)
    } else {
        std::borrow::Cow::Owned(format!("{path:?}"))
    }
}

/// A problem found at a line of a file, before the file's path is attached.
pub(crate) type Located = (usize, Problem);
