//! Whether a running bot is alive, for service managers that ask (Docker's `HEALTHCHECK`,
//! a monitoring script): a process can run on while its Discord connection is gone for good.
//!
//! While its gateway connection is up, `faqbot run` touches a heartbeat file in its data
//! folder every [`BEAT_EVERY`]; `faqbot health` reads how long ago that was and calls the bot
//! alive while it is under a limit. A file is what a second process in the same container or
//! on the same machine can read without a port, a socket or the token.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use thiserror::Error;

/// The heartbeat file, in the data folder.
pub const HEARTBEAT_FILE: &str = "heartbeat";
/// How often a connected bot touches the heartbeat file.
pub const BEAT_EVERY: Duration = Duration::from_secs(10);
/// How old a heartbeat may be for the bot to count as alive: six beats, so one slow write or a
/// brief reconnection (Discord asks bots to reconnect now and then) is not called a failure.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60);

/// The bot is not known to be alive, or the heartbeat cannot be written.
#[derive(Debug, Error)]
pub enum HealthError {
    /// No heartbeat was ever written there: the bot has not connected yet (or uses another
    /// data folder).
    #[error(
        "no heartbeat at {path}: the bot has not connected to Discord yet, or its data folder is another one"
    )]
    Missing {
        /// The heartbeat file.
        path: PathBuf,
    },
    /// The last heartbeat is too old: the bot stopped, hangs, or has lost Discord.
    #[error(
        "the bot's last heartbeat is {age} s old (limit {limit} s): it is not connected to Discord",
        age = age.as_secs(),
        limit = limit.as_secs()
    )]
    Stale {
        /// How long ago the bot last beat.
        age: Duration,
        /// The limit it is over.
        limit: Duration,
    },
    /// The heartbeat file cannot be read or written.
    #[error("cannot use the heartbeat file {path}")]
    Io {
        /// The heartbeat file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The heartbeat file of a data folder.
pub fn heartbeat_path(data_dir: &Path) -> PathBuf {
    data_dir.join(HEARTBEAT_FILE)
}

/// Records that the bot is connected now. The file holds the time in seconds since 1970 for
/// people; [`check`] reads its modification time.
pub fn beat(data_dir: &Path) -> Result<(), HealthError> {
    let path = heartbeat_path(data_dir);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    std::fs::write(&path, format!("{now}\n")).map_err(|source| HealthError::Io { path, source })
}

/// How long ago the bot last beat, if that is within `max_age`.
pub fn check(data_dir: &Path, max_age: Duration) -> Result<Duration, HealthError> {
    let path = heartbeat_path(data_dir);
    let modified = match std::fs::metadata(&path).and_then(|meta| meta.modified()) {
        Ok(modified) => modified,
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(HealthError::Missing { path });
        }
        Err(source) => return Err(HealthError::Io { path, source }),
    };
    // A heartbeat from the future (a clock set back) counts as now.
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    if age > max_age {
        return Err(HealthError::Stale {
            age,
            limit: max_age,
        });
    }
    Ok(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_heartbeat_is_alive() {
        let dir = tempfile::tempdir().expect("temp dir");
        beat(dir.path()).expect("beat");
        let age = check(dir.path(), DEFAULT_MAX_AGE).expect("alive");
        assert!(age < DEFAULT_MAX_AGE, "{age:?}");
    }

    #[test]
    fn no_heartbeat_is_not_alive() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = check(dir.path(), DEFAULT_MAX_AGE).expect_err("not alive");
        assert!(matches!(err, HealthError::Missing { .. }), "{err}");
    }

    #[test]
    fn an_old_heartbeat_is_stale() {
        let dir = tempfile::tempdir().expect("temp dir");
        beat(dir.path()).expect("beat");
        let old = SystemTime::now() - Duration::from_secs(120);
        std::fs::File::options()
            .write(true)
            .open(heartbeat_path(dir.path()))
            .and_then(|file| file.set_modified(old))
            .expect("set the time");
        let err = check(dir.path(), DEFAULT_MAX_AGE).expect_err("stale");
        assert!(
            matches!(err, HealthError::Stale { age, .. } if age >= Duration::from_secs(120)),
            "{err}"
        );
        assert!(err.to_string().contains("limit 60 s"), "{err}");
    }
}
