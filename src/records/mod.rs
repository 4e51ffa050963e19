//! What members asked and how they rated answers, kept for staff without member identities.
//!
//! Health questions are sensitive: a question is stored with its time, where it was asked and
//! what was answered, never with who asked. Votes are kept per answer with a salted hash of
//! the voter, only so that each member votes once. [`Records`] is the interface the bot writes
//! to; [`MemoryRecords`] keeps them for the life of the process.

pub mod report;
pub mod sqlite;

pub use sqlite::{RecordsReader, SqliteRecords};

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::SystemTime;

/// A member's text without user, role and channel mentions or `@everyone`/`@here`: they are
/// addressing, not part of the question, and a user mention is someone's identity, which is
/// never kept beside a question (nor written into a knowledge file).
pub fn without_mentions(content: &str) -> String {
    // Taking one out may join the pieces around it into another (`<<@111>@222>` leaves
    // `<@222>`, `@@everyoneeveryone` leaves `@everyone`): strip until nothing changes.
    let mut text = strip_mentions_once(content);
    loop {
        let again = strip_mentions_once(&text);
        if again == text {
            return text;
        }
        text = again;
    }
}

/// One pass of [`without_mentions`].
fn strip_mentions_once(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let is_mention = ["<@", "<#"].iter().any(|p| tail.starts_with(p));
        match tail.find('>') {
            Some(end) if is_mention => {
                let inner = &tail[1..end];
                let id = inner.trim_start_matches(['@', '#', '!', '&']);
                if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
                    rest = &tail[end + 1..];
                    continue;
                }
                out.push('<');
                rest = &tail[1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.replace("@everyone", "")
        .replace("@here", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a question was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The `/ask` command.
    Command,
    /// A message mentioning the bot.
    Mention,
    /// A message in a help channel.
    HelpChannel,
    /// A direct message to the bot.
    Dm,
    /// A message someone else handed to the bot ("Answer with faqbot").
    Requested,
}

/// One question, without the member who asked it.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The question text.
    pub question: String,
    /// When it was asked.
    pub at: SystemTime,
    /// Where.
    pub channel: Channel,
    /// Whether the bot answered.
    pub answered: bool,
    /// The answering passage's source (`file:line`), when answered.
    pub top_source: Option<String>,
    /// The answering passage's score, when answered.
    pub score: Option<f32>,
    /// A member pressed "Not helpful" on the answer (then `answered` is true).
    pub not_helpful: bool,
    /// A member sent the question to staff with "Ask staff": a mark on a question already
    /// recorded, not another asking of it.
    pub escalated: bool,
}

impl Asked {
    /// A question the bot could not answer, asked at `at` in `channel`.
    pub fn unanswered(question: impl Into<String>, at: SystemTime, channel: Channel) -> Asked {
        Asked {
            question: question.into(),
            at,
            channel,
            answered: false,
            top_source: None,
            score: None,
            not_helpful: false,
            escalated: false,
        }
    }
}

/// A member's rating of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vote {
    /// "Helpful".
    Helpful,
    /// "Not helpful".
    NotHelpful,
}

/// A salted hash of a member id: enough to tell the same voter again, not who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoterKey(pub u64);

/// The store failed.
#[derive(Debug, thiserror::Error)]
#[error("the question records failed: {0}")]
pub struct RecordsError(pub String);

/// Votes on one passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageVotes {
    /// `file:line` of the passage.
    pub source: String,
    /// "Helpful" presses.
    pub helpful: u32,
    /// "Not helpful" presses.
    pub not_helpful: u32,
}

/// What happened to the questions of a stretch of time, for the weekly digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Questions members asked.
    pub asked: u64,
    /// Of those, the ones the bot answered.
    pub answered: u64,
    /// Of those, the ones it said it could not answer.
    pub declined: u64,
    /// Questions members sent to staff with "Ask staff".
    pub sent_to_staff: u64,
    /// Answers members marked "Not helpful".
    pub not_helpful: u64,
}

impl Tally {
    /// Counts `asked` into the tally (a mark counts as its mark, not as another question).
    pub fn count(&mut self, asked: &Asked) {
        if asked.escalated {
            self.sent_to_staff += 1;
        } else if asked.not_helpful {
            self.not_helpful += 1;
        } else {
            self.asked += 1;
            if asked.answered {
                self.answered += 1;
            } else {
                self.declined += 1;
            }
        }
    }
}

/// A weekly digest claimed for posting: the period's end, and the mark it replaced, so that
/// a post that failed can give the period back (see [`Records::release_digest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestClaim {
    /// The end of the period the digest covers.
    pub end: SystemTime,
    /// The end of the period posted before, if any.
    pub previous: Option<SystemTime>,
}

/// Where the bot records questions and votes.
pub trait Records: Send + Sync {
    /// Records a question. Must not block on disk: the answer path calls it.
    fn asked(&self, asked: Asked);
    /// The key a member votes under: a salted hash, so no member id is ever stored.
    fn voter(&self, member: u64) -> VoterKey;
    /// Records a vote on answer `answer` (whose passage came from `source`); `Ok(false)` when
    /// this voter already voted on that answer.
    fn vote(
        &self,
        answer: u64,
        source: &str,
        voter: VoterKey,
        vote: Vote,
    ) -> Result<bool, RecordsError>;
    /// Questions not answered, whose answer was marked not helpful, or sent to staff, asked
    /// since `since` and not resolved, oldest first.
    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError>;
    /// Marks every recorded question with one of these wordings (as [`report::Gap::questions`]
    /// lists them) resolved: staff taught the bot its answer, so it leaves the gap report.
    /// Returns how many records were marked.
    fn resolve(&self, wordings: &[String]) -> Result<usize, RecordsError>;
    /// Votes per passage.
    fn votes(&self) -> Result<Vec<PassageVotes>, RecordsError>;
    /// Votes per passage cast from `from` until (not including) `until`.
    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError>;
    /// What happened to the questions asked from `from` until (not including) `until`.
    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError>;
    /// Claims the weekly digest of the period ending at `end`, so that it is posted once
    /// even across restarts and by two processes at once: `None` when it, or a later one,
    /// was claimed already.
    fn claim_digest(&self, end: SystemTime) -> Result<Option<DigestClaim>, RecordsError>;
    /// Gives back a claim whose post failed, so the digest is tried again; nothing when a
    /// later claim came meanwhile.
    fn release_digest(&self, claim: DigestClaim) -> Result<(), RecordsError>;
    /// Waits until everything recorded so far is stored: the last step before the process
    /// exits. A store that writes at once has nothing to wait for.
    fn flush(&self) {}
}

/// Records kept in memory for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryRecords {
    inner: Mutex<Memory>,
    salt: std::collections::hash_map::RandomState,
}

#[derive(Debug, Default)]
struct Memory {
    /// Each question with whether it was resolved.
    asked: Vec<(Asked, bool)>,
    voters: HashSet<(u64, VoterKey)>,
    /// Each vote: the passage's source, the vote, and when.
    votes: Vec<(String, Vote, SystemTime)>,
    /// The end of the last period whose digest was claimed.
    digest: Option<SystemTime>,
}

/// Votes per passage, by source.
fn per_passage<'a>(
    votes: impl Iterator<Item = &'a (String, Vote, SystemTime)>,
) -> Vec<PassageVotes> {
    let mut counts: HashMap<&str, (u32, u32)> = HashMap::new();
    for (source, vote, _) in votes {
        let entry = counts.entry(source).or_default();
        match vote {
            Vote::Helpful => entry.0 += 1,
            Vote::NotHelpful => entry.1 += 1,
        }
    }
    let mut votes: Vec<PassageVotes> = counts
        .into_iter()
        .map(|(source, (helpful, not_helpful))| PassageVotes {
            source: source.to_string(),
            helpful,
            not_helpful,
        })
        .collect();
    votes.sort_by(|a, b| a.source.cmp(&b.source));
    votes
}

impl MemoryRecords {
    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> T {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        let mut memory = crate::sync::lock(&self.inner);
        f(&mut memory)
    }
}

impl MemoryRecords {
    /// Every question recorded so far, oldest first.
    pub fn recorded(&self) -> Vec<Asked> {
        self.with(|memory| memory.asked.iter().map(|(a, _)| a.clone()).collect())
    }
}

impl Records for MemoryRecords {
    fn asked(&self, asked: Asked) {
        self.with(|memory| memory.asked.push((asked, false)));
    }

    fn voter(&self, member: u64) -> VoterKey {
        use std::hash::BuildHasher;
        VoterKey(self.salt.hash_one(member))
    }

    fn vote(
        &self,
        answer: u64,
        source: &str,
        voter: VoterKey,
        vote: Vote,
    ) -> Result<bool, RecordsError> {
        Ok(self.with(|memory| {
            if !memory.voters.insert((answer, voter)) {
                return false;
            }
            memory
                .votes
                .push((source.to_string(), vote, SystemTime::now()));
            true
        }))
    }

    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError> {
        Ok(self.with(|memory| {
            memory
                .asked
                .iter()
                .filter(|(a, resolved)| !resolved && report::is_a_gap(a) && a.at >= since)
                .map(|(a, _)| a.clone())
                .collect()
        }))
    }

    fn resolve(&self, wordings: &[String]) -> Result<usize, RecordsError> {
        let wordings: HashSet<&str> = wordings.iter().map(String::as_str).collect();
        Ok(self.with(|memory| {
            let mut marked = 0;
            for (asked, resolved) in &mut memory.asked {
                if !*resolved && wordings.contains(asked.question.as_str()) {
                    *resolved = true;
                    marked += 1;
                }
            }
            marked
        }))
    }

    fn votes(&self) -> Result<Vec<PassageVotes>, RecordsError> {
        Ok(self.with(|memory| per_passage(memory.votes.iter())))
    }

    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError> {
        Ok(self.with(|memory| {
            per_passage(
                memory
                    .votes
                    .iter()
                    .filter(|(_, _, at)| from <= *at && *at < until),
            )
        }))
    }

    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError> {
        Ok(self.with(|memory| {
            let mut tally = Tally::default();
            for (asked, _) in &memory.asked {
                if from <= asked.at && asked.at < until {
                    tally.count(asked);
                }
            }
            tally
        }))
    }

    fn claim_digest(&self, end: SystemTime) -> Result<Option<DigestClaim>, RecordsError> {
        Ok(self.with(|memory| {
            let previous = memory.digest;
            if previous.is_some_and(|posted| posted >= end) {
                return None;
            }
            memory.digest = Some(end);
            Some(DigestClaim { end, previous })
        }))
    }

    fn release_digest(&self, claim: DigestClaim) -> Result<(), RecordsError> {
        self.with(|memory| {
            if memory.digest == Some(claim.end) {
                memory.digest = claim.previous;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_removed() {
        assert_eq!(
            without_mentions(
                "<@123> can massage help <@!456> me sleep? <@&789> @everyone @here <#42>"
            ),
            "can massage help me sleep?"
        );
        assert_eq!(without_mentions("a <b> c <@x>"), "a <b> c <@x>");
    }

    /// Before: one pass left `<<@111>@222> x` as `<@222> x` and `@@everyoneeveryone` as
    /// `@everyone`, in records and in taught files.
    #[test]
    fn nested_mentions_are_removed_to_the_last() {
        assert_eq!(without_mentions("<<@111>@222> x"), "x");
        assert_eq!(without_mentions("@@everyoneeveryone hi"), "hi");
        assert_eq!(without_mentions("@@@hereherehere hi <<<@1>@2>@3>"), "hi");
        for text in [
            "<<@111>@222> x",
            "@@everyoneeveryone",
            "<#<#1>2> <@&<@&3>4>",
        ] {
            let clean = without_mentions(text);
            assert!(
                !clean.contains("<@") && !clean.contains("<#") && !clean.contains("@everyone"),
                "{clean}"
            );
        }
    }

    #[test]
    fn one_vote_per_voter_per_answer() {
        let records = MemoryRecords::default();
        let voter = records.voter(42);
        assert_eq!(voter, records.voter(42));
        assert_ne!(voter, records.voter(43));
        assert!(records.vote(1, "a.md:3", voter, Vote::Helpful).unwrap());
        assert!(!records.vote(1, "a.md:3", voter, Vote::NotHelpful).unwrap());
        assert!(records.vote(2, "a.md:3", voter, Vote::NotHelpful).unwrap());
        let votes = records.votes().unwrap();
        assert_eq!((votes[0].helpful, votes[0].not_helpful), (1, 1));
    }

    #[test]
    fn unanswered_questions_are_listed() {
        let records = MemoryRecords::default();
        for (question, answered) in [("a", true), ("b", false)] {
            records.asked(Asked {
                question: question.into(),
                at: SystemTime::now(),
                channel: Channel::Command,
                answered,
                top_source: None,
                score: None,
                not_helpful: false,
                escalated: false,
            });
        }
        let unanswered = records.unanswered(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(unanswered.len(), 1);
        assert_eq!(unanswered[0].question, "b");
    }
}
