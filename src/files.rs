//! Writing the files people rely on, safely: whole or not at all, one writer at a time across
//! processes, with the file's permissions and its previous version kept.
//!
//! Knowledge files are written by staff (`faqbot teach`, *Save* in Discord) while the bot may
//! write the same file, and the vector cache by every build. Each write goes to a temporary
//! file beside the target, is flushed, and is renamed over it, so a reader or a crash sees
//! the old file or the new one. [`WriteLock`] makes a read-check-backup-write step exclusive
//! across processes (an advisory lock on a file in the data folder), so two saves never
//! interleave. Nothing here knows what the bytes mean.

use std::fs::File;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// The mode of a file that did not exist before: readable by everyone, as `umask 022` makes
/// the files people create by hand.
#[cfg(unix)]
const NEW_FILE_MODE: u32 = 0o644;

/// Writes `bytes` to `path` so that a reader, or a crash, sees the old file or the new one,
/// never half of one: a hidden temporary file of its own beside it (no two writes share one),
/// flushed to disk, then renamed over. The new file keeps the permissions of the one it
/// replaces: a file the bot's user could read stays readable after another user saves it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// [`write_atomically`] for a file written piece by piece by `write` (which may seek in it),
/// so a large file is never whole in memory.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let temporary = temporary_with(path, write)?;
    temporary.persist(path).map_err(|err| err.error)?;
    sync_folder(path)
}

/// Writes `bytes` as a new file at `path`, never over an existing one: `Ok(false)` if one
/// is there.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let temporary = temporary_with(path, |file| file.write_all(bytes))?;
    match temporary.persist_noclobber(path) {
        Ok(_) => sync_folder(path).map(|()| true),
        Err(err) if err.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(err.error),
    }
}

/// A hidden temporary file beside `path` holding what `write` wrote, flushed, with the mode
/// `path` has (or [`NEW_FILE_MODE`]).
fn temporary_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Hidden, so the knowledge folder's reader skips it while it is being written.
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(folder_of(path))?;
    write(temporary.as_file_mut())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(old) => old.permissions().mode(),
            Err(_) => NEW_FILE_MODE,
        };
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))?;
    }
    temporary.as_file().sync_all()?;
    Ok(temporary)
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes a rename in `path`'s folder durable.
fn sync_folder(path: &Path) -> std::io::Result<()> {
    File::open(folder_of(path))?.sync_all()
}

/// An exclusive lock on the data folder's writes, held until dropped: one process (and one
/// thread) at a time reads, checks, backs up and writes a knowledge file.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// The lock file in the data folder.
pub const LOCK_FILE: &str = "writes.lock";

impl WriteLock {
    /// Waits for, and takes, the lock of `data_dir` (made if missing). Each call opens the
    /// lock file anew, and locks of two open files conflict even within one process.
    pub fn take(data_dir: &Path) -> std::io::Result<WriteLock> {
        std::fs::create_dir_all(data_dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join(LOCK_FILE))?;
        file.lock()?;
        Ok(WriteLock { _file: file })
    }
}

/// Backups kept of each file; older ones are deleted when a newer one is made.
pub const BACKUPS_KEPT: usize = 20;

/// Keeps `bytes` as a new backup of the file `name` (relative to its folder, perhaps in a
/// sub-folder) under `backups`, named `NAME.TIME` (to the microsecond, and never over an
/// existing backup), and deletes all but the newest [`BACKUPS_KEPT`] backups of that file.
/// Returns the backup's path. Call it holding a [`WriteLock`].
pub fn back_up(backups: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let base = backups.join(name);
    let folder = folder_of(&base).to_path_buf();
    std::fs::create_dir_all(&folder)?;
    let file = base
        .file_name()
        .map(|file| file.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%6fZ")
        .to_string();
    let mut backup = folder.join(format!("{file}.{stamp}"));
    let mut n = 1;
    while !write_new(&backup, bytes)? {
        n += 1;
        backup = folder.join(format!("{file}.{stamp}-{n}"));
    }
    prune_backups(&folder, &file)?;
    Ok(backup)
}

/// Deletes the oldest backups of `file` in `folder` beyond [`BACKUPS_KEPT`]; their names
/// sort by time.
fn prune_backups(folder: &Path, file: &str) -> std::io::Result<()> {
    let prefix = format!("{file}.");
    let mut backups: Vec<(String, PathBuf)> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let stamp = name.strip_prefix(&prefix)?;
            // Only this file's backups: `a.md.2026…`, not `a.md.old.md.2026…`.
            stamp
                .starts_with(|c: char| c.is_ascii_digit())
                .then(|| (stamp_key(stamp), entry.path()))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(BACKUPS_KEPT);
    for (_, path) in backups.into_iter().take(excess) {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// Orders `TIME` and `TIME-N` backups by time, then by N.
fn stamp_key(stamp: &str) -> String {
    match stamp.split_once('-') {
        Some((time, n)) => format!("{time}-{n:0>6}"),
        None => format!("{stamp}-{:0>6}", 1),
    }
}

/// Why a path inside a folder is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Outside {
    /// It climbs out (`..`), is absolute, or is empty.
    NotInside,
    /// It, or a folder on the way to it, is a symbolic link (the folder's reader skips
    /// those, so writing through one would change a file the bot never reads, or one outside
    /// the folder).
    Link(PathBuf),
}

/// `relative` inside `dir`, refused when it leaves the folder or passes a symbolic link.
pub fn inside(dir: &Path, relative: &Path) -> Result<PathBuf, Outside> {
    let mut path = dir.to_path_buf();
    let mut parts = 0;
    for part in relative.components() {
        let Component::Normal(part) = part else {
            return Err(Outside::NotInside);
        };
        path.push(part);
        parts += 1;
        if std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink()) {
            return Err(Outside::Link(path));
        }
    }
    if parts == 0 {
        return Err(Outside::NotInside);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_never_overwrite_and_only_the_newest_are_kept() {
        let data = tempfile::tempdir().unwrap();
        let backups = data.path().join("backups");
        for n in 0..BACKUPS_KEPT + 5 {
            back_up(&backups, "hours.md", format!("v{n}").as_bytes()).unwrap();
        }
        back_up(&backups, "hours.md.old.md", b"other file").unwrap();
        let mut kept: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        kept.sort_by_key(|text| {
            text.trim_start_matches('v')
                .parse::<usize>()
                .unwrap_or(usize::MAX)
        });
        let expected: Vec<String> = (5..BACKUPS_KEPT + 5)
            .map(|n| format!("v{n}"))
            .chain(["other file".to_string()])
            .collect();
        assert_eq!(kept, expected);
    }

    #[test]
    fn a_file_in_a_sub_folder_is_backed_up_and_pruned_beside_its_own() {
        let data = tempfile::tempdir().unwrap();
        let backups = data.path().join("backups");
        for n in 0..BACKUPS_KEPT + 2 {
            let path = back_up(
                &backups,
                "treatments/hot-stone.md",
                format!("{n}").as_bytes(),
            )
            .unwrap();
            assert!(path.starts_with(backups.join("treatments")), "{path:?}");
        }
        let kept = std::fs::read_dir(backups.join("treatments"))
            .unwrap()
            .count();
        assert_eq!(kept, BACKUPS_KEPT);
    }

    #[cfg(unix)]
    #[test]
    fn a_rewritten_file_keeps_its_mode_and_a_new_one_is_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hours.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o640);
        let fresh = dir.path().join("new.md");
        write_atomically(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh), 0o644);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_lock_is_exclusive_between_two_holders() {
        let data = tempfile::tempdir().unwrap();
        let first = WriteLock::take(data.path()).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let path = data.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let _second = WriteLock::take(&path).unwrap();
            tx.send(()).unwrap();
        });
        // The second holder waits while the first holds it...
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(first);
        // ...and gets it once the first lets go.
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("the lock was passed on");
        waiter.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn paths_through_links_or_out_of_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("sub"), dir.path().join("alias.md")).unwrap();
        assert_eq!(
            inside(dir.path(), Path::new("sub/pets.md")),
            Ok(dir.path().join("sub/pets.md"))
        );
        assert!(matches!(
            inside(dir.path(), Path::new("linked/pets.md")),
            Err(Outside::Link(_))
        ));
        assert!(matches!(
            inside(dir.path(), Path::new("alias.md")),
            Err(Outside::Link(_))
        ));
        for bad in ["../x.md", "/etc/passwd", ""] {
            assert_eq!(inside(dir.path(), Path::new(bad)), Err(Outside::NotInside));
        }
    }
}
