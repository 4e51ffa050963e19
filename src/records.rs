//! What members asked and how they rated answers, kept for staff without member identities.
//!
//! Health questions are sensitive: a question is stored with its time, where it was asked and
//! what was answered, never with who asked. Votes are kept per answer with a salted hash of
//! the voter, only so that each member votes once. This is the interface the bot writes to;
//! the store behind it is in memory for now.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::SystemTime;

/// Where a question was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The `/ask` command.
    Command,
    /// A message mentioning the bot.
    Mention,
    /// A message in a help channel.
    HelpChannel,
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

/// Where the bot records questions and votes.
pub trait Records: Send + Sync {
    /// Records a question.
    fn asked(&self, asked: Asked);
    /// Records a vote on answer `answer` (whose passage came from `source`); false when this
    /// voter already voted on that answer.
    fn vote(&self, answer: u64, source: &str, voter: VoterKey, vote: Vote) -> bool;
    /// Questions the bot could not answer, oldest first.
    fn unanswered(&self) -> Vec<Asked>;
    /// Helpful and not-helpful counts per passage source.
    fn votes(&self) -> HashMap<String, (u32, u32)>;
}

/// Records kept in memory for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryRecords {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    asked: Vec<Asked>,
    voters: HashSet<(u64, VoterKey)>,
    votes: HashMap<String, (u32, u32)>,
}

impl MemoryRecords {
    fn with<T>(&self, f: impl FnOnce(&mut Memory) -> T) -> T {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        let mut memory = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut memory)
    }
}

impl Records for MemoryRecords {
    fn asked(&self, asked: Asked) {
        self.with(|memory| memory.asked.push(asked));
    }

    fn vote(&self, answer: u64, source: &str, voter: VoterKey, vote: Vote) -> bool {
        self.with(|memory| {
            if !memory.voters.insert((answer, voter)) {
                return false;
            }
            let counts = memory.votes.entry(source.to_string()).or_default();
            match vote {
                Vote::Helpful => counts.0 += 1,
                Vote::NotHelpful => counts.1 += 1,
            }
            true
        })
    }

    fn unanswered(&self) -> Vec<Asked> {
        self.with(|memory| {
            memory
                .asked
                .iter()
                .filter(|a| !a.answered)
                .cloned()
                .collect()
        })
    }

    fn votes(&self) -> HashMap<String, (u32, u32)> {
        self.with(|memory| memory.votes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vote_per_voter_per_answer() {
        let records = MemoryRecords::default();
        assert!(records.vote(1, "a.md:3", VoterKey(9), Vote::Helpful));
        assert!(!records.vote(1, "a.md:3", VoterKey(9), Vote::NotHelpful));
        assert!(records.vote(2, "a.md:3", VoterKey(9), Vote::NotHelpful));
        assert_eq!(records.votes()["a.md:3"], (1, 1));
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
            });
        }
        let unanswered = records.unanswered();
        assert_eq!(unanswered.len(), 1);
        assert_eq!(unanswered[0].question, "b");
    }
}
