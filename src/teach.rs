//! Teaching the bot: staff link a question members asked to the passage that answers it.
//!
//! The members' wordings become alternative wordings of that section in its file's front
//! matter ([`crate::knowledge::wordings`]), saved like an upload (backup, atomic write) and
//! reloaded, so the bot answers them at once. A lesson is planned first, for staff to see
//! exactly what will change, and saved only if the file is still what the plan was made from.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::files::WriteLock;
use crate::knowledge::Format;
use crate::knowledge::save::{self, SaveError};
use crate::knowledge::wordings::{self, WordingsError};
#[cfg(doc)]
use crate::live::LiveKnowledge;

/// Why a lesson cannot be planned or saved.
#[derive(Debug, Error)]
pub enum TeachError {
    /// `--to` is not `FILE#HEADING`.
    #[error(
        "\"{0}\" does not name a section: write FILE#HEADING, e.g. prices.md#Do you take cards?"
    )]
    Target(String),
    /// The file is not a knowledge file in the folder.
    #[error("{file} is not a knowledge file in {}", dir.display())]
    NoSuchFile {
        /// The file named.
        file: String,
        /// The knowledge folder.
        dir: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read {file}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{0} is not UTF-8 text")]
    NotText(String),
    /// The wordings cannot be added to this file.
    #[error(transparent)]
    Wordings(#[from] WordingsError),
    /// The file changed on disk after the preview.
    #[error(
        "{0} was changed since the preview, so nothing was written: look at the change again and save it then"
    )]
    Changed(String),
    /// Writing failed.
    #[error(transparent)]
    Save(SaveError),
}

/// A planned change: the wordings to add to one section, and the file before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// The file, relative to the knowledge folder.
    pub file: String,
    /// The section's heading as the file writes it.
    pub heading: String,
    /// The wordings that are new to the section.
    pub added: Vec<String>,
    /// The front-matter lines as they will read, for a preview.
    pub lines: Vec<String>,
    before: Vec<u8>,
    after: Vec<u8>,
}

/// Splits `FILE#HEADING` at its first `#`.
pub fn target(text: &str) -> Result<(String, String), TeachError> {
    match text.split_once('#') {
        Some((file, heading)) if !file.trim().is_empty() && !heading.trim().is_empty() => {
            Ok((file.trim().to_string(), heading.trim().to_string()))
        }
        _ => Err(TeachError::Target(text.to_string())),
    }
}

/// Plans adding `wordings` (members' text: mentions are taken out) to the section `heading`
/// of `file` in the knowledge folder `dir`.
pub fn plan(
    dir: &Path,
    file: &str,
    heading: &str,
    wordings: &[String],
) -> Result<Lesson, TeachError> {
    let no_such_file = || TeachError::NoSuchFile {
        file: file.to_string(),
        dir: dir.to_path_buf(),
    };
    let format = Format::of(Path::new(file)).ok_or_else(no_such_file)?;
    // A link the folder's reader skips is refused, not followed: reading through it would
    // teach a file the bot never reads, and saving would replace the link with a copy.
    let path = save::path_of(dir, file).map_err(|err| match err {
        SaveError::Outside { link: None, .. } => no_such_file(),
        other => TeachError::Save(other),
    })?;
    let before = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(no_such_file()),
        Err(source) => {
            return Err(TeachError::Read {
                file: file.to_string(),
                source,
            });
        }
    };
    let text = std::str::from_utf8(&before).map_err(|_| TeachError::NotText(file.to_string()))?;
    let wordings: Vec<String> = wordings
        .iter()
        .map(|wording| crate::records::without_mentions(wording))
        .map(|wording| {
            crate::knowledge::cut_at_word(&wording, crate::knowledge::MAX_HEADING_CHARS).to_string()
        })
        .collect();
    let edited = wordings::add(file, format, text, heading, &wordings)?;
    Ok(Lesson {
        file: file.to_string(),
        heading: edited.heading,
        added: edited.added,
        lines: edited.lines,
        before,
        after: edited.text.into_bytes(),
    })
}

/// Saves a planned lesson into the knowledge folder `dir` if the file is still exactly what
/// it was planned from, keeping the old file as a backup in `data_dir`; returns the backup.
/// A running bot's watcher reloads by itself; call [`LiveKnowledge::reload`] to answer from
/// it at once.
pub fn save(dir: &Path, data_dir: &Path, lesson: &Lesson) -> Result<Option<PathBuf>, TeachError> {
    let saved = save::save(
        dir,
        data_dir,
        &lesson.file,
        &lesson.after,
        Some(&lesson.before),
    );
    saved.map_err(from_save)
}

/// Plans and saves a lesson in one step, holding the data folder's [`WriteLock`] from the
/// read to the write: another process teaching the same file meanwhile (the bot's *Save*, a
/// second `faqbot teach`) waits, and each adds its wording to what the other wrote.
pub fn plan_and_save(
    dir: &Path,
    data_dir: &Path,
    file: &str,
    heading: &str,
    wordings: &[String],
) -> Result<(Lesson, Option<PathBuf>), TeachError> {
    let lock = WriteLock::take(data_dir).map_err(|source| {
        TeachError::Save(SaveError::Io {
            name: file.to_string(),
            source,
        })
    })?;
    let lesson = plan(dir, file, heading, wordings)?;
    let backup = save::save_holding(
        &lock,
        dir,
        data_dir,
        &lesson.file,
        &lesson.after,
        Some(&lesson.before),
    )
    .map_err(from_save)?;
    Ok((lesson, backup))
}

fn from_save(err: SaveError) -> TeachError {
    match err {
        SaveError::Changed(file) => TeachError::Changed(file),
        other => TeachError::Save(other),
    }
}
