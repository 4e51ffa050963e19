//! Question records kept in a SQLite file, so staff's gap report survives restarts.
//!
//! The bot must answer even when the disk is slow, so [`SqliteRecords::asked`] only hands the
//! question to a background writer thread, which owns its own connection and writes in
//! batches; votes and reports are rare and run on a second connection from `spawn_blocking`.
//! The database runs in WAL mode, so a crash (or a `kill -9`) loses at most the batch being
//! written and never the file. The schema is versioned with `PRAGMA user_version`; each
//! migration runs in its own transaction, and a file written by a newer faqbot is refused
//! rather than misread. Members stay out of the file: questions carry no member, and votes
//! carry only a salted SHA-256 of the member id. The salt is created once and kept in the
//! file, so a member is recognised after a restart; keys from different files cannot be
//! compared. (Whoever holds the file and a list of member ids could still test them one by
//! one, so the file deserves the care of any clinic record.)

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use tracing::{debug, error, info, warn};

use crate::records::{
    Asked, DigestClaim, PassageVotes, Records, RecordsError, Tally, Vote, VoterKey,
};

mod reader;
mod schema;

pub use reader::RecordsReader;
use reader::{read_tally, read_unanswered, read_votes};
use schema::*;

/// The database file inside the data folder.
pub const FILE_NAME: &str = "faqbot.sqlite3";

/// Questions waiting for the writer. At a few questions a second this is many minutes of a
/// stalled disk; past it, dropping a record (with a warning) is better than holding up
/// answers or growing memory without bound.
const QUEUE: usize = 4096;

/// The most questions written in one transaction: large enough that a burst costs one
/// commit, small enough that a flush waits only milliseconds.
const BATCH: usize = 256;

/// How often the writer deletes questions older than the retention. Retention is counted in
/// days, so an hour late is close enough.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Questions and votes in `<data_dir>/faqbot.sqlite3`.
pub struct SqliteRecords {
    path: PathBuf,
    salt: [u8; SALT_LEN],
    /// The connection for votes and reports; the writer thread has its own.
    conn: Mutex<Connection>,
    /// `None` only while dropping, so the writer sees the channel close.
    jobs: Option<SyncSender<Job>>,
    writer: Option<JoinHandle<()>>,
    /// Questions dropped because the queue was full, for rate-limiting the warning.
    dropped: AtomicU64,
}

impl std::fmt::Debug for SqliteRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the salt: with it, voter keys could be matched to member ids.
        f.debug_struct("SqliteRecords")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What the writer thread is asked to do.
enum Job {
    Write(Asked),
    /// Answer on this channel once everything sent before it is written.
    Flush(mpsc::Sender<()>),
}

impl SqliteRecords {
    /// Opens (creating if needed) `data_dir/faqbot.sqlite3`, brings its schema up to date,
    /// deletes questions older than `retention` and starts the writer thread, which deletes
    /// them hourly: the running bot's records.
    pub fn open(data_dir: &Path, retention: Duration) -> Result<SqliteRecords, RecordsError> {
        SqliteRecords::open_with(data_dir, Some(retention))
    }

    /// Opens the records like [`SqliteRecords::open`] but never deletes a question: for a
    /// one-off command (`faqbot teach` marking questions answered) beside the running bot,
    /// which alone applies the retention.
    pub fn open_keeping(data_dir: &Path) -> Result<SqliteRecords, RecordsError> {
        SqliteRecords::open_with(data_dir, None)
    }

    fn open_with(
        data_dir: &Path,
        retention: Option<Duration>,
    ) -> Result<SqliteRecords, RecordsError> {
        let path = data_dir.join(FILE_NAME);
        std::fs::create_dir_all(data_dir).map_err(|err| {
            RecordsError(format!(
                "cannot create the folder {}: {err}",
                data_dir.display()
            ))
        })?;
        let mut conn = connect(&path)?;
        migrate(&mut conn, &path)?;
        let salt = load_salt(&conn, &path)?;

        let writer_conn = connect(&path)?;
        purge(&writer_conn, &path, retention)?;
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("faqbot-records".into())
            .spawn({
                let path = path.clone();
                move || write_loop(&writer_conn, &path, retention, &queue)
            })
            .map_err(|err| {
                RecordsError(format!(
                    "cannot start the writer for {}: {err}",
                    path.display()
                ))
            })?;
        info!(path = %path.display(), "question records opened");
        Ok(SqliteRecords {
            path,
            salt,
            conn: Mutex::new(conn),
            jobs: Some(jobs),
            writer: Some(writer),
            dropped: AtomicU64::new(0),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable (SQLite rolls back an
        // unfinished statement), so keep serving.
        crate::sync::lock(&self.conn)
    }

    fn failed(&self, what: &str, err: impl Display) -> RecordsError {
        failed(what, &self.path, err)
    }
}

impl Drop for SqliteRecords {
    fn drop(&mut self) {
        // Closing the channel tells the writer to finish what was sent and stop.
        drop(self.jobs.take());
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            error!(path = %self.path.display(), "the question writer panicked");
        }
    }
}

impl Records for SqliteRecords {
    /// Waits until every question sent so far is written (or failed and was logged).
    fn flush(&self) {
        let Some(jobs) = &self.jobs else { return };
        let (done, wait) = mpsc::channel();
        // Blocking here is the point. If the writer is gone, there is nothing to wait for.
        if jobs.send(Job::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    fn asked(&self, asked: Asked) {
        let Some(jobs) = &self.jobs else { return };
        match jobs.try_send(Job::Write(asked)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                // One warning per thousand, not one per question, while the disk is stuck.
                if dropped % 1000 == 1 {
                    warn!(dropped, path = %self.path.display(), "question records queue full; dropping questions");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                error!(path = %self.path.display(), "the question writer has stopped; question not recorded");
            }
        }
    }

    fn voter(&self, member: u64) -> VoterKey {
        let digest = Sha256::new()
            .chain_update(self.salt)
            .chain_update(member.to_le_bytes())
            .finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        VoterKey(u64::from_le_bytes(first))
    }

    fn vote(
        &self,
        answer: u64,
        source: &str,
        voter: VoterKey,
        vote: Vote,
    ) -> Result<bool, RecordsError> {
        let inserted = self
            .conn()
            .execute(
                "INSERT INTO votes (answer, voter, source, helpful, voted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (answer, voter) DO NOTHING",
                params![
                    as_sql_integer(answer),
                    as_sql_integer(voter.0),
                    source,
                    vote == Vote::Helpful,
                    unix_seconds(SystemTime::now()),
                ],
            )
            .map_err(|err| self.failed("cannot write a vote to", err))?;
        Ok(inserted == 1)
    }

    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError> {
        read_unanswered(&self.conn(), &self.path, since)
    }

    fn votes(&self) -> Result<Vec<PassageVotes>, RecordsError> {
        read_votes(&self.conn(), &self.path, None)
    }

    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError> {
        read_votes(&self.conn(), &self.path, Some((from, until)))
    }

    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError> {
        // Questions still in the writer's queue belong to the period too.
        self.flush();
        read_tally(&self.conn(), &self.path, from, until)
    }

    fn claim_digest(&self, end: SystemTime) -> Result<Option<DigestClaim>, RecordsError> {
        let mut conn = self.conn();
        // IMMEDIATE: of two processes claiming at once, the second reads the first's mark.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|err| self.failed("cannot write to", err))?;
        let previous: Option<i64> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [DIGEST_KEY],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| self.failed("cannot read", err))?;
        let end_seconds = unix_seconds(end);
        if previous.is_some_and(|posted| posted >= end_seconds) {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![DIGEST_KEY, end_seconds],
        )
        .map_err(|err| self.failed("cannot write to", err))?;
        tx.commit()
            .map_err(|err| self.failed("cannot write to", err))?;
        Ok(Some(DigestClaim {
            end,
            previous: previous.map(from_unix_seconds),
        }))
    }

    fn release_digest(&self, claim: DigestClaim) -> Result<(), RecordsError> {
        let conn = self.conn();
        let end = unix_seconds(claim.end);
        let result = match claim.previous {
            Some(previous) => conn.execute(
                "UPDATE meta SET value = ?3 WHERE key = ?1 AND value = ?2",
                params![DIGEST_KEY, end, unix_seconds(previous)],
            ),
            None => conn.execute(
                "DELETE FROM meta WHERE key = ?1 AND value = ?2",
                params![DIGEST_KEY, end],
            ),
        };
        result.map_err(|err| self.failed("cannot write to", err))?;
        Ok(())
    }

    fn resolve(&self, wordings: &[String]) -> Result<usize, RecordsError> {
        // A question still in the writer's queue would stay unresolved.
        self.flush();
        let mut conn = self.conn();
        let tx = conn
            .transaction()
            .map_err(|err| self.failed("cannot write to", err))?;
        let mut marked = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE questions SET resolved = 1 WHERE question = ?1 AND resolved = 0",
                )
                .map_err(|err| self.failed("cannot write to", err))?;
            for wording in wordings {
                marked += update
                    .execute([wording])
                    .map_err(|err| self.failed("cannot write to", err))?;
            }
        }
        tx.commit()
            .map_err(|err| self.failed("cannot write to", err))?;
        Ok(marked)
    }
}

/// Deletes questions asked before `now - retention`; nothing without a retention.
fn purge(conn: &Connection, path: &Path, retention: Option<Duration>) -> Result<(), RecordsError> {
    let Some(retention) = retention else {
        return Ok(());
    };
    // A retention longer than the clock reaches back keeps everything.
    let Some(cutoff) = SystemTime::now().checked_sub(retention) else {
        return Ok(());
    };
    let deleted = conn
        .execute(
            "DELETE FROM questions WHERE asked_at < ?1",
            [unix_seconds(cutoff)],
        )
        .map_err(|err| failed("cannot delete old questions from", path, err))?;
    if deleted > 0 {
        info!(deleted, path = %path.display(), "deleted questions past their retention");
    }
    Ok(())
}

/// The writer thread: batches of questions until the channel closes, purging hourly.
fn write_loop(conn: &Connection, path: &Path, retention: Option<Duration>, queue: &Receiver<Job>) {
    let mut next_purge = Instant::now() + PURGE_EVERY;
    loop {
        let first = match queue.recv_timeout(next_purge.saturating_duration_since(Instant::now())) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                if let Err(err) = purge(conn, path, retention) {
                    error!(%err, "purging old questions");
                }
                next_purge = Instant::now() + PURGE_EVERY;
                continue;
            }
            // Every sender is gone, and everything they sent has been received.
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = Vec::new();
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next {
            match job {
                Job::Write(asked) => batch.push(asked),
                Job::Flush(done) => waiting.push(done),
            }
            next = if batch.len() < BATCH {
                queue.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            match write_batch(conn, &batch) {
                Ok(()) => debug!(questions = batch.len(), "questions recorded"),
                Err(err) => {
                    error!(%err, lost = batch.len(), path = %path.display(), "cannot record questions");
                }
            }
        }
        for done in waiting {
            // The flusher may have given up waiting; nothing to do then.
            let _ = done.send(());
        }
        if Instant::now() >= next_purge {
            if let Err(err) = purge(conn, path, retention) {
                error!(%err, "purging old questions");
            }
            next_purge = Instant::now() + PURGE_EVERY;
        }
    }
    debug!(path = %path.display(), "question writer stopped");
}

/// Writes questions in one transaction: one commit for a burst, and all or none of it.
fn write_batch(conn: &Connection, batch: &[Asked]) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO questions
                 (asked_at, channel, question, answered, top_source, score, not_helpful,
                  escalated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for asked in batch {
            insert.execute(params![
                unix_seconds(asked.at),
                channel_to_sql(asked.channel),
                asked.question,
                asked.answered,
                asked.top_source,
                asked.score.map(f64::from),
                asked.not_helpful,
                asked.escalated,
            ])?;
        }
    }
    tx.commit()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Channel;
    use std::time::UNIX_EPOCH;

    use std::process::{Command, Stdio};

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    const RETENTION: Duration = Duration::from_secs(90 * 24 * 60 * 60);

    fn question(text: &str, at: SystemTime, answered: bool) -> Asked {
        Asked {
            question: text.into(),
            at,
            channel: Channel::HelpChannel,
            answered,
            top_source: answered.then(|| "prices.md:3".to_string()),
            score: answered.then_some(2.5),
            not_helpful: false,
            escalated: false,
        }
    }

    fn raw(dir: &Path) -> Connection {
        Connection::open(dir.join(FILE_NAME)).expect("open the test database directly")
    }

    #[test]
    fn questions_and_votes_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let now = SystemTime::now();
        records.asked(question("what are your prices", now - DAY, true));
        records.asked(question("can massage help me sleep?", now - DAY, false));
        records.asked(Asked {
            not_helpful: true,
            channel: Channel::Mention,
            ..question("do you take insurance", now, true)
        });
        records.asked(question("old unanswered", now - 10 * DAY, false));
        records.flush();

        let unanswered = records.unanswered(now - 2 * DAY).unwrap();
        let texts: Vec<&str> = unanswered.iter().map(|a| a.question.as_str()).collect();
        assert_eq!(
            texts,
            ["can massage help me sleep?", "do you take insurance"]
        );
        let insurance = &unanswered[1];
        assert_eq!(insurance.channel, Channel::Mention);
        assert!(insurance.answered && insurance.not_helpful);
        assert_eq!(insurance.top_source.as_deref(), Some("prices.md:3"));
        assert_eq!(insurance.score, Some(2.5));
        assert_eq!(unix_seconds(insurance.at), unix_seconds(now));
        assert_eq!(unanswered[0].channel, Channel::HelpChannel);

        let (alice, bob) = (records.voter(1001), records.voter(1002));
        assert!(records.vote(7, "a.md:3", alice, Vote::Helpful).unwrap());
        assert!(!records.vote(7, "a.md:3", alice, Vote::NotHelpful).unwrap());
        assert!(records.vote(7, "a.md:3", bob, Vote::NotHelpful).unwrap());
        assert!(records.vote(8, "a.md:3", alice, Vote::NotHelpful).unwrap());
        assert!(
            records
                .vote(u64::MAX, "b.md:1", alice, Vote::Helpful)
                .unwrap()
        );
        assert_eq!(
            records.votes().unwrap(),
            [
                PassageVotes {
                    source: "a.md:3".into(),
                    helpful: 1,
                    not_helpful: 2
                },
                PassageVotes {
                    source: "b.md:1".into(),
                    helpful: 1,
                    not_helpful: 0
                },
            ]
        );
    }

    #[test]
    fn escalations_are_marks_and_resolved_questions_leave_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let now = SystemTime::now();
        records.asked(question("is the yoga class on", now - DAY, false));
        records.asked(Asked {
            escalated: true,
            ..question("is the yoga class on", now, false)
        });
        records.asked(question("do you sell gift cards", now, false));
        records.flush();
        let gaps = super::super::report::gaps(&records.unanswered(UNIX_EPOCH).unwrap());
        let yoga = gaps
            .iter()
            .find(|g| g.example == "is the yoga class on")
            .unwrap();
        assert_eq!((yoga.count, yoga.escalated), (1, 1));
        assert_eq!(records.resolve(&yoga.questions).unwrap(), 2);
        let left: Vec<String> = records
            .unanswered(UNIX_EPOCH)
            .unwrap()
            .into_iter()
            .map(|a| a.question)
            .collect();
        assert_eq!(left, ["do you sell gift cards"]);
        drop(records);
        // Kept across a restart, and readable by `faqbot report`.
        let reader = RecordsReader::open(dir.path()).unwrap();
        assert_eq!(reader.unanswered(UNIX_EPOCH).unwrap().len(), 1);
    }

    #[test]
    fn a_week_is_tallied_from_its_own_questions_and_votes() {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let now = SystemTime::now();
        let (from, until) = (now - 7 * DAY, now - DAY);
        let in_week = now - 3 * DAY;
        records.asked(question("", in_week, true));
        records.asked(question("", in_week, true));
        records.asked(question("can massage help me sleep?", in_week, false));
        records.asked(Asked {
            not_helpful: true,
            ..question("do you take insurance", in_week, true)
        });
        records.asked(Asked {
            escalated: true,
            ..question("can massage help me sleep?", in_week, false)
        });
        // Just outside, on either side: the start counts, the end does not.
        records.asked(question("", from - Duration::from_secs(1), true));
        records.asked(question("", until, false));
        records.asked(question("", from, false));
        // Written through the writer's queue: the tally waits for it.
        let tally = records.tally(from, until).unwrap();
        assert_eq!(
            tally,
            Tally {
                asked: 4,
                answered: 2,
                declined: 2,
                sent_to_staff: 1,
                not_helpful: 1,
            }
        );
        let memory = crate::records::MemoryRecords::default();
        for asked in [
            question("", in_week, true),
            question("x", in_week, false),
            question("", until, false),
        ] {
            memory.asked(asked);
        }
        assert_eq!(memory.tally(from, until).unwrap().asked, 2);

        let voter = records.voter(1);
        records.vote(1, "a.md:3", voter, Vote::NotHelpful).unwrap();
        let now_votes = records.votes_between(now - DAY, now + DAY).unwrap();
        assert_eq!(now_votes.len(), 1);
        assert_eq!(now_votes[0].not_helpful, 1);
        assert!(records.votes_between(from, until).unwrap().is_empty());
    }

    /// The digest of a period is claimed once, by one process, and a failed post gives it
    /// back; the mark is in the file, so a restart knows it.
    #[test]
    fn a_digest_is_claimed_once_across_restarts_and_processes() {
        let dir = tempfile::tempdir().unwrap();
        let week = UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        {
            let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
            let claim = records
                .claim_digest(week)
                .unwrap()
                .expect("the first claim");
            assert_eq!(claim.previous, None);
            assert_eq!(records.claim_digest(week).unwrap(), None);
            // The post failed: the period is free again, and claimed again.
            records.release_digest(claim).unwrap();
            assert!(records.claim_digest(week).unwrap().is_some());
        }
        let reopened = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let other_process = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        assert_eq!(
            reopened.claim_digest(week).unwrap(),
            None,
            "after a restart"
        );
        assert_eq!(
            reopened.claim_digest(week - DAY).unwrap(),
            None,
            "an older week"
        );
        let next = week + 7 * DAY;
        let claim = other_process
            .claim_digest(next)
            .unwrap()
            .expect("next week");
        assert_eq!(claim.previous, Some(week));
        assert_eq!(reopened.claim_digest(next).unwrap(), None);
        // Releasing puts back the week before, not nothing.
        other_process.release_digest(claim).unwrap();
        assert_eq!(reopened.claim_digest(week).unwrap(), None);
        assert!(reopened.claim_digest(next).unwrap().is_some());
    }

    #[test]
    fn dropping_writes_what_was_sent() {
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        for n in 0..1000 {
            records.asked(question(&format!("question {n}"), SystemTime::now(), false));
        }
        drop(records);
        let count: i64 = raw(dir.path())
            .query_row("SELECT count(*) FROM questions", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1000);
    }

    #[test]
    fn voter_keys_are_stable_across_restarts_and_differ_per_member() {
        let dir = tempfile::tempdir().unwrap();
        let first = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let key = first.voter(42);
        assert_eq!(key, first.voter(42));
        assert_ne!(key, first.voter(43));
        assert!(first.vote(1, "a.md:1", key, Vote::Helpful).unwrap());
        drop(first);

        let again = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        assert_eq!(again.voter(42), key);
        // The same member is still recognised as having voted.
        assert!(
            !again
                .vote(1, "a.md:1", again.voter(42), Vote::NotHelpful)
                .unwrap()
        );

        // Another file has another salt, so keys cannot be compared across clinics.
        let elsewhere = tempfile::tempdir().unwrap();
        let other = SqliteRecords::open(elsewhere.path(), RETENTION).unwrap();
        assert_ne!(other.voter(42), key);
    }

    #[test]
    fn no_member_id_is_stored() {
        const MEMBER: u64 = 731_594_288_305_617_402;
        let digits = MEMBER.to_string();
        let dir = tempfile::tempdir().unwrap();
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        let voter = records.voter(MEMBER);
        records.asked(question(
            "can massage help me sleep?",
            SystemTime::now(),
            false,
        ));
        assert!(records.vote(5, "a.md:3", voter, Vote::NotHelpful).unwrap());
        records.flush();
        drop(records);

        let conn = raw(dir.path());
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(tables.len() >= 3, "tables: {tables:?}");
        let mut cells = 0;
        for table in &tables {
            let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = statement.column_count();
            let mut rows = statement.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for column in 0..columns {
                    cells += 1;
                    let text = match row.get_ref(column).unwrap() {
                        rusqlite::types::ValueRef::Null => String::new(),
                        rusqlite::types::ValueRef::Integer(n) => {
                            assert_ne!(n as u64, MEMBER, "member id in {table}");
                            n.to_string()
                        }
                        rusqlite::types::ValueRef::Real(x) => x.to_string(),
                        rusqlite::types::ValueRef::Text(bytes)
                        | rusqlite::types::ValueRef::Blob(bytes) => {
                            assert!(
                                !bytes
                                    .windows(8)
                                    .any(|w| w == MEMBER.to_le_bytes() || w == MEMBER.to_be_bytes()),
                                "member id bytes in {table}"
                            );
                            String::from_utf8_lossy(bytes).into_owned()
                        }
                    };
                    assert!(!text.contains(&digits), "member id in {table}: {text}");
                }
            }
        }
        assert!(cells > 0);
    }

    #[test]
    fn migrations_run_once_and_set_the_version() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteRecords::open(dir.path(), RETENTION).unwrap());
        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        records.asked(question("still works", SystemTime::now(), false));
        records.flush();
        assert_eq!(records.unanswered(UNIX_EPOCH).unwrap().len(), 1);
        let version: i64 = raw(dir.path())
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let mode: String = raw(dir.path())
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteRecords::open(dir.path(), RETENTION).unwrap());
        raw(dir.path())
            .pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1)
            .unwrap();
        let err = SqliteRecords::open(dir.path(), RETENTION)
            .expect_err("a newer schema must not be opened")
            .to_string();
        assert!(err.contains("newer faqbot"), "{err}");
        assert!(err.contains(FILE_NAME), "{err}");
    }

    #[test]
    fn an_unopenable_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the database file should be.
        std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
        let err = SqliteRecords::open(dir.path(), RETENTION)
            .expect_err("a folder is not a database")
            .to_string();
        assert!(
            err.contains(&dir.path().join(FILE_NAME).display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn old_questions_are_purged_at_open() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteRecords::open(dir.path(), 30 * DAY).unwrap());
        let now = SystemTime::now();
        let conn = raw(dir.path());
        for (text, at) in [("too old", now - 31 * DAY), ("recent", now - DAY)] {
            conn.execute(
                "INSERT INTO questions (asked_at, channel, question, answered)
                 VALUES (?1, 'command', ?2, 0)",
                params![unix_seconds(at), text],
            )
            .unwrap();
        }
        drop(conn);

        let records = SqliteRecords::open(dir.path(), 30 * DAY).unwrap();
        let kept: Vec<String> = records
            .unanswered(UNIX_EPOCH)
            .unwrap()
            .into_iter()
            .map(|a| a.question)
            .collect();
        assert_eq!(kept, ["recent"]);
    }

    /// Set in the child process of the kill test: the folder to write questions into.
    const CHILD_ENV: &str = "FAQBOT_RECORDS_CHILD";
    /// Rows the child must have committed before it is killed: enough that the kill lands
    /// while batches are streaming, not during start-up.
    const ROWS_BEFORE_KILL: i64 = 500;
    /// How long the writer may take to reach that, on a slow CI machine.
    const KILL_TEST_TIMEOUT: Duration = Duration::from_secs(120);
    /// How often the parent looks at the row count.
    const POLL: Duration = Duration::from_millis(10);

    /// Kills the child if the test fails before it does.
    struct KillOnDrop(std::process::Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn row_count(path: &Path) -> Option<i64> {
        if !path.exists() {
            return None;
        }
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        conn.busy_timeout(BUSY_TIMEOUT).ok()?;
        // The table does not exist until the child has migrated: not yet.
        conn.query_row("SELECT count(*) FROM questions", [], |row| row.get(0))
            .ok()
    }

    #[test]
    fn killed_writer_leaves_a_readable_database() {
        if let Some(dir) = std::env::var_os(CHILD_ENV) {
            // The child: write until killed.
            let records =
                SqliteRecords::open(Path::new(&dir), RETENTION).expect("the child opens the store");
            for n in 0u64.. {
                records.asked(question(&format!("question {n}"), SystemTime::now(), false));
            }
            unreachable!("the child is killed while writing");
        }

        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(FILE_NAME);
        let stderr_path = dir.path().join("child-stderr.txt");
        let this_test = format!(
            "{}::killed_writer_leaves_a_readable_database",
            module_path!()
                .split_once("::")
                .map_or(module_path!(), |(_, rest)| rest)
        );
        let mut child = KillOnDrop(
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", &this_test, "--nocapture"])
                .env(CHILD_ENV, dir.path())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&stderr_path).unwrap())
                .spawn()
                .expect("start the writer child"),
        );

        let started = Instant::now();
        let mut rows = 0;
        while rows < ROWS_BEFORE_KILL {
            if let Some(status) = child.0.try_wait().unwrap() {
                panic!(
                    "the writer child exited ({status}) before being killed:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < KILL_TEST_TIMEOUT,
                "the writer child wrote only {rows} rows in {KILL_TEST_TIMEOUT:?}; expected \
                 {ROWS_BEFORE_KILL}. Its stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
            std::thread::sleep(POLL);
            rows = row_count(&db).unwrap_or(0);
        }
        // SIGKILL on Unix: no destructor, no flush, mid-batch.
        child.0.kill().unwrap();
        child.0.wait().unwrap();

        let conn = raw(dir.path());
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        let questions: Vec<String> = conn
            .prepare("SELECT question FROM questions ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(questions.len() as i64 >= rows, "rows lost after the kill");
        assert!(
            questions
                .iter()
                .all(|q| q.starts_with("question ") && q[9..].parse::<u64>().is_ok()),
            "a damaged row"
        );
        drop(conn);

        let records = SqliteRecords::open(dir.path(), RETENTION).unwrap();
        assert_eq!(
            records.unanswered(UNIX_EPOCH).unwrap().len(),
            questions.len()
        );
        records.asked(question("after the crash", SystemTime::now(), false));
        records.flush();
        assert_eq!(
            records.unanswered(UNIX_EPOCH).unwrap().len(),
            questions.len() + 1
        );
    }
}
