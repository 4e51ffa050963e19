//! Reading the records without ever writing: `faqbot report`'s read-only view, and the
//! queries the running bot's reports share with it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::Connection;
use tracing::warn;

use crate::records::{Asked, PassageVotes, RecordsError, Tally};

use super::FILE_NAME;
use super::schema::*;

/// The records opened only to be read, as `faqbot report` does: read-only, so it never
/// creates a database, changes its schema, makes a salt or deletes a question (retention
/// belongs to the running bot alone), and it works on a read-only data folder.
pub struct RecordsReader {
    path: PathBuf,
    conn: Connection,
}

impl RecordsReader {
    /// Opens `data_dir/faqbot.sqlite3` read-only; a missing file is an error saying where it
    /// was looked for.
    pub fn open(data_dir: &Path) -> Result<RecordsReader, RecordsError> {
        let path = data_dir.join(FILE_NAME);
        if !path.is_file() {
            return Err(RecordsError(format!(
                "there are no question records in {}: the bot writes {FILE_NAME} there once it runs (check data_dir in faqbot.toml)",
                data_dir.display()
            )));
        }
        let conn = match open_read_only(&path, false) {
            Ok(conn) => conn,
            // WAL needs to create its shared-memory file beside the database; in a read-only
            // folder no writer can be running, so the file is read as it stands.
            Err(_) => open_read_only(&path, true)?,
        };
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|err| failed("cannot read the schema version of", &path, err))?;
        let known = MIGRATIONS.len() as i64;
        if version != known {
            let what = if version > known {
                "a newer faqbot wrote it: upgrade faqbot"
            } else {
                "an older faqbot wrote it: start the bot once to bring it up to date"
            };
            return Err(failed(
                "cannot read",
                &path,
                format!("schema version {version}, this faqbot reads {known}; {what}"),
            ));
        }
        Ok(RecordsReader { path, conn })
    }

    /// Like [`Records::unanswered`].
    pub fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError> {
        read_unanswered(&self.conn, &self.path, since)
    }

    /// Like [`Records::votes`].
    pub fn votes(&self) -> Result<Vec<PassageVotes>, RecordsError> {
        read_votes(&self.conn, &self.path, None)
    }

    /// Like [`Records::votes_between`].
    pub fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError> {
        read_votes(&self.conn, &self.path, Some((from, until)))
    }

    /// Like [`Records::tally`].
    pub fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError> {
        read_tally(&self.conn, &self.path, from, until)
    }
}

/// A read-only connection; `immutable` also skips locking and the WAL's shared memory.
pub(super) fn open_read_only(path: &Path, immutable: bool) -> Result<Connection, RecordsError> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let uri = format!(
        "file:{}?mode=ro{}",
        uri_path(path),
        if immutable { "&immutable=1" } else { "" }
    );
    let conn =
        Connection::open_with_flags(uri, flags).map_err(|err| failed("cannot open", path, err))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| failed("cannot configure", path, err))?;
    // Opening is lazy: read once to find out whether the file can be read at all.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(|err| failed("cannot read", path, err))?;
    Ok(conn)
}

/// `path` as the path part of an SQLite `file:` URI.
pub(super) fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'%' | b'?' | b'#' | b' ' => out.push_str(&format!("%{byte:02X}")),
            _ => out.push(char::from(byte)),
        }
    }
    out
}

/// Questions not answered or marked not helpful since `since`, oldest first. A row that
/// cannot be read (an unknown channel, a wrong type) is skipped with a warning, so one bad
/// row never hides the rest of the report.
pub(super) fn read_unanswered(
    conn: &Connection,
    path: &Path,
    since: SystemTime,
) -> Result<Vec<Asked>, RecordsError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT id, asked_at, channel, question, answered, top_source, score, not_helpful,
                    escalated
             FROM questions
             WHERE (answered = 0 OR not_helpful = 1 OR escalated = 1) AND resolved = 0
                   AND asked_at >= ?1
             ORDER BY asked_at, id",
        )
        .map_err(|err| failed("cannot read", path, err))?;
    let mut rows = statement
        .query([unix_seconds(since)])
        .map_err(|err| failed("cannot read", path, err))?;
    let mut asked = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(|err| failed("cannot read", path, err))?
    {
        let id: Option<i64> = row.get(0).ok();
        match asked_of(row) {
            Ok(question) => asked.push(question),
            Err(err) => {
                warn!(row = ?id, %err, path = %path.display(), "skipping a question record that cannot be read")
            }
        }
    }
    Ok(asked)
}

pub(super) fn asked_of(row: &rusqlite::Row<'_>) -> Result<Asked, String> {
    let get_err = |err: rusqlite::Error| err.to_string();
    let channel: String = row.get(2).map_err(get_err)?;
    Ok(Asked {
        at: from_unix_seconds(row.get(1).map_err(get_err)?),
        channel: channel_from_sql(&channel).ok_or(format!("unknown channel {channel:?}"))?,
        question: row.get(3).map_err(get_err)?,
        answered: row.get(4).map_err(get_err)?,
        top_source: row.get(5).map_err(get_err)?,
        score: row
            .get::<_, Option<f64>>(6)
            .map_err(get_err)?
            .map(|score| score as f32),
        not_helpful: row.get(7).map_err(get_err)?,
        escalated: row.get(8).map_err(get_err)?,
    })
}

/// What happened to the questions asked from `from` until `until`: a plain row is a question
/// asked, a row marked not helpful or sent to staff is that mark (see [`Tally::count`]).
pub(super) fn read_tally(
    conn: &Connection,
    path: &Path,
    from: SystemTime,
    until: SystemTime,
) -> Result<Tally, RecordsError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT
                 COALESCE(SUM(escalated = 0 AND not_helpful = 0), 0),
                 COALESCE(SUM(escalated = 0 AND not_helpful = 0 AND answered = 1), 0),
                 COALESCE(SUM(escalated = 0 AND not_helpful = 0 AND answered = 0), 0),
                 COALESCE(SUM(escalated = 1), 0),
                 COALESCE(SUM(escalated = 0 AND not_helpful = 1), 0)
             FROM questions WHERE asked_at >= ?1 AND asked_at < ?2",
        )
        .map_err(|err| failed("cannot read", path, err))?;
    statement
        .query_row([unix_seconds(from), unix_seconds(until)], |row| {
            let count = |n: usize| row.get::<_, i64>(n).map(|n| u64::try_from(n).unwrap_or(0));
            Ok(Tally {
                asked: count(0)?,
                answered: count(1)?,
                declined: count(2)?,
                sent_to_staff: count(3)?,
                not_helpful: count(4)?,
            })
        })
        .map_err(|err| failed("cannot read", path, err))
}

/// Votes per passage, all of them or those cast within `window`; a row that cannot be read
/// is skipped with a warning.
pub(super) fn read_votes(
    conn: &Connection,
    path: &Path,
    window: Option<(SystemTime, SystemTime)>,
) -> Result<Vec<PassageVotes>, RecordsError> {
    let mut statement = conn
        .prepare_cached(
            "SELECT source, SUM(helpful), SUM(1 - helpful)
             FROM votes WHERE voted_at >= ?1 AND voted_at < ?2
             GROUP BY source ORDER BY source",
        )
        .map_err(|err| failed("cannot read", path, err))?;
    let (from, until) = window.map_or((i64::MIN, i64::MAX), |(from, until)| {
        (unix_seconds(from), unix_seconds(until))
    });
    let mut rows = statement
        .query([from, until])
        .map_err(|err| failed("cannot read", path, err))?;
    let mut votes = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(|err| failed("cannot read", path, err))?
    {
        let read = || -> rusqlite::Result<PassageVotes> {
            Ok(PassageVotes {
                source: row.get(0)?,
                helpful: row.get(1)?,
                not_helpful: row.get(2)?,
            })
        };
        match read() {
            Ok(passage) => votes.push(passage),
            Err(err) => {
                warn!(%err, path = %path.display(), "skipping a vote record that cannot be read")
            }
        }
    }
    Ok(votes)
}
