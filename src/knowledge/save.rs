//! Saving a knowledge file: staff's upload or a taught wording replaces a file, only if it
//! is still what the change was made from, with the old version kept as a backup.
//!
//! The whole step (read, compare, back up, write) holds the data folder's [`WriteLock`], so a
//! `faqbot teach` racing the bot's *Save*, or two `faqbot teach` processes on one file, each
//! see the other's result and never lose a wording.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::files::{self, Outside, WriteLock};

/// The folder of backups in the data folder.
pub const BACKUPS: &str = "backups";

/// A knowledge file could not be saved.
#[derive(Debug, Error)]
pub enum SaveError {
    /// The file is not what the caller last saw: someone changed it meanwhile.
    #[error("{0} changed since it was read; nothing was written")]
    Changed(String),
    /// The name leaves the knowledge folder (`link` is `None`) or passes a symbolic link,
    /// which the folder's reader skips.
    #[error("{name} is not a file of the knowledge folder{}", link.as_ref().map(|link| format!(": {} is a symbolic link, and the bot does not read through links", link.display())).unwrap_or_default())]
    Outside {
        /// The file.
        name: String,
        /// The link on the way, relative to the folder.
        link: Option<PathBuf>,
    },
    /// Reading, backing up or writing failed.
    #[error("cannot save {name}")]
    Io {
        /// The file.
        name: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The path of the knowledge file `name` in `dir`, refused (as [`SaveError::Outside`]) if it
/// leaves the folder or passes a symbolic link.
pub fn path_of(dir: &Path, name: &str) -> Result<PathBuf, SaveError> {
    files::inside(dir, Path::new(name)).map_err(|outside| SaveError::Outside {
        name: name.to_string(),
        link: match outside {
            Outside::NotInside => None,
            Outside::Link(link) => Some(link.strip_prefix(dir).unwrap_or(&link).to_path_buf()),
        },
    })
}

/// Saves `bytes` as the knowledge file `name` (relative to `dir`, perhaps in a sub-folder):
/// the file it replaces is kept as a backup in `data_dir` first, then the new one is written
/// atomically, keeping its permissions. With `expected`, the file must still hold exactly
/// those bytes (what a preview was made from), or nothing is written. Returns the backup.
pub fn save(
    dir: &Path,
    data_dir: &Path,
    name: &str,
    bytes: &[u8],
    expected: Option<&[u8]>,
) -> Result<Option<PathBuf>, SaveError> {
    let lock = WriteLock::take(data_dir).map_err(io_error(name))?;
    save_holding(&lock, dir, data_dir, name, bytes, expected)
}

/// [`save`], for a caller that already holds the data folder's [`WriteLock`] (and read the
/// file under it).
pub fn save_holding(
    _lock: &WriteLock,
    dir: &Path,
    data_dir: &Path,
    name: &str,
    bytes: &[u8],
    expected: Option<&[u8]>,
) -> Result<Option<PathBuf>, SaveError> {
    let target = path_of(dir, name)?;
    let io = &io_error(name);
    let current = match std::fs::read(&target) {
        Ok(current) => Some(current),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io(err)),
    };
    if let Some(expected) = expected
        && current.as_deref() != Some(expected)
    {
        return Err(SaveError::Changed(name.to_string()));
    }
    let backup = match &current {
        Some(current) => Some(files::back_up(&data_dir.join(BACKUPS), name, current).map_err(io)?),
        None => None,
    };
    if let Some(folder) = target.parent() {
        std::fs::create_dir_all(folder).map_err(io)?;
    }
    files::write_atomically(&target, bytes).map_err(io)?;
    Ok(backup)
}

/// Turns an I/O failure while saving `name` into the error that names it.
fn io_error(name: &str) -> impl Fn(std::io::Error) -> SaveError + '_ {
    move |source| SaveError::Io {
        name: name.to_string(),
        source,
    }
}
