//! The file's schema and its settings: versioned migrations, WAL, the salt, and how values
//! are written in SQL.

use std::fmt::Display;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tracing::{info, warn};

use crate::records::{Channel, RecordsError};

/// The schema, one step per entry: entry `n` takes a database from `user_version` `n` to
/// `n + 1`. Append new steps; never edit a released one, since files in the field already ran it.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema. Times are unix seconds. There is deliberately no member id column
    // anywhere: `voter` is the salted hash from `SqliteRecords::voter`.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE questions (
        id          INTEGER PRIMARY KEY,
        asked_at    INTEGER NOT NULL,
        channel     TEXT NOT NULL,
        question    TEXT NOT NULL,
        answered    INTEGER NOT NULL,
        top_source  TEXT,
        score       REAL,
        not_helpful INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX questions_by_time ON questions (asked_at);
    CREATE TABLE votes (
        answer   INTEGER NOT NULL,
        voter    INTEGER NOT NULL,
        source   TEXT NOT NULL,
        helpful  INTEGER NOT NULL,
        voted_at INTEGER NOT NULL,
        PRIMARY KEY (answer, voter)
    ) WITHOUT ROWID;",
    // 2: "Ask staff" marks, and questions staff have taught the bot to answer.
    "ALTER TABLE questions ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE questions ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0;",
];

/// How long a statement waits for another connection's lock (the writer thread, or a second
/// faqbot process such as `faqbot report`) before failing. Writes are small batches, so a
/// few seconds means something is wrong rather than busy.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Salt length in bytes: as long as the SHA-256 block it is hashed with needs to be unguessable.
pub(super) const SALT_LEN: usize = 32;

/// The key the salt is stored under in `meta`.
pub(super) const SALT_KEY: &str = "salt";

/// The key under which `meta` keeps the end (unix seconds) of the last period whose weekly
/// digest was posted.
pub(super) const DIGEST_KEY: &str = "digest_posted_until";

/// "cannot open /x/faqbot.sqlite3: why".
pub(super) fn failed(what: &str, path: &Path, err: impl Display) -> RecordsError {
    RecordsError(format!("{what} {}: {err}", path.display()))
}

/// A connection with the settings every connection needs.
pub(super) fn connect(path: &Path) -> Result<Connection, RecordsError> {
    let conn = Connection::open(path).map_err(|err| failed("cannot open", path, err))?;
    // Before anything else: switching to WAL takes a lock another process may hold.
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| failed("cannot configure", path, err))?;
    // WAL lets reports read while the writer writes, and keeps the file whole when the
    // process dies mid-write.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|err| failed("cannot configure", path, err))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Some network file systems cannot share memory for WAL; records still work.
        warn!(path = %path.display(), mode, "SQLite refused WAL mode");
    }
    // In WAL mode NORMAL is safe against process crashes; only a power cut can lose the last
    // commits, which is acceptable for question statistics and saves an fsync per batch.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|err| failed("cannot configure", path, err))?;
    Ok(conn)
}

/// Applies the migrations the file has not had yet, each in its own transaction.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), RecordsError> {
    let known = MIGRATIONS.len();
    loop {
        // IMMEDIATE: two processes opening a new file at once must not both run a step.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| failed("cannot migrate", path, err))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|err| failed("cannot read the schema version of", path, err))?;
        let step = usize::try_from(version).map_err(|_| {
            failed(
                "cannot open",
                path,
                format!("the schema version {version} is invalid"),
            )
        })?;
        if step > known {
            return Err(RecordsError(format!(
                "cannot open {}: it was written by a newer faqbot (schema version {version}, this \
                 faqbot knows up to {known}); upgrade faqbot, or move the file away to start afresh",
                path.display()
            )));
        }
        let Some(sql) = MIGRATIONS.get(step) else {
            return Ok(());
        };
        tx.execute_batch(sql).map_err(|err| {
            failed(
                &format!("cannot migrate to version {}", step + 1),
                path,
                err,
            )
        })?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(|err| failed("cannot migrate", path, err))?;
        tx.commit()
            .map_err(|err| failed("cannot migrate", path, err))?;
        info!(path = %path.display(), version = version + 1, "question records schema migrated");
    }
}

/// The file's salt, created on first open.
pub(super) fn load_salt(conn: &Connection, path: &Path) -> Result<[u8; SALT_LEN], RecordsError> {
    // Insert-if-absent, then read: two processes creating the file agree on one salt.
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        params![SALT_KEY, fresh_salt(path)?.as_slice()],
    )
    .map_err(|err| failed("cannot write the salt to", path, err))?;
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [SALT_KEY], |row| {
            row.get(0)
        })
        .optional()
        .map_err(|err| failed("cannot read the salt from", path, err))?;
    let stored = stored.unwrap_or_default();
    <[u8; SALT_LEN]>::try_from(stored.as_slice()).map_err(|_| {
        failed(
            "cannot open",
            path,
            format!(
                "the stored salt is damaged ({} bytes, expected {SALT_LEN})",
                stored.len()
            ),
        )
    })
}

/// Unpredictable bytes for a new salt, from the operating system.
pub(super) fn fresh_salt(path: &Path) -> Result<[u8; SALT_LEN], RecordsError> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|err| failed("cannot make a salt for", path, err))?;
    Ok(salt)
}

pub(super) fn channel_to_sql(channel: Channel) -> &'static str {
    match channel {
        Channel::Command => "command",
        Channel::Mention => "mention",
        Channel::HelpChannel => "help_channel",
        Channel::Dm => "dm",
        Channel::Requested => "requested",
    }
}

pub(super) fn channel_from_sql(text: &str) -> Option<Channel> {
    match text {
        "command" => Some(Channel::Command),
        "mention" => Some(Channel::Mention),
        "help_channel" => Some(Channel::HelpChannel),
        "dm" => Some(Channel::Dm),
        "requested" => Some(Channel::Requested),
        _ => None,
    }
}

/// SQLite integers are signed; ids and hashes use all 64 bits, so keep the bits, not the value.
pub(super) fn as_sql_integer(value: u64) -> i64 {
    i64::from_ne_bytes(value.to_ne_bytes())
}

/// Seconds since 1970; times before it (a wrong clock) count as 1970.
pub(super) fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    })
}

pub(super) fn from_unix_seconds(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_kind_is_stored_under_its_own_name_and_read_back() {
        let all = [
            Channel::Command,
            Channel::Mention,
            Channel::HelpChannel,
            Channel::Dm,
            Channel::Requested,
        ];
        let names: Vec<&str> = all.iter().map(|c| channel_to_sql(*c)).collect();
        assert_eq!(
            names,
            ["command", "mention", "help_channel", "dm", "requested"]
        );
        for channel in all {
            assert_eq!(channel_from_sql(channel_to_sql(channel)), Some(channel));
        }
        assert_eq!(channel_from_sql("whisper"), None);
    }
}
