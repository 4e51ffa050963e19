//! The staff report: which questions the bot could not answer, and which answers members rated.
//!
//! Members ask the same thing many ways ("can massage help me sleep?", "does massage help
//! with sleep"), and staff should see that as one missing topic asked five times, not five
//! rows. So questions are grouped by their search terms (the same stemming and stop words
//! the engine uses), and the report is written in plain words for clinic staff, not for
//! programmers.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;
use std::time::SystemTime;

use super::{Asked, PassageVotes};

/// How alike two questions' term sets must be (shared terms / all terms) to count as one
/// question, as a fraction: 3/5 joins "massage help sleep" with "massage help sleep night",
/// but keeps "massage help sleep" apart from "massage help back pain". Kept as integers so
/// that comparisons are exact.
const SAME_QUESTION: (usize, usize) = (3, 5);

/// Wordings kept per gap: enough to show staff how members phrase it, short enough to read.
const MAX_WORDINGS: usize = 3;

/// One topic members asked about that the bot could not answer well.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The wording members used most often (the earliest, on a tie).
    pub example: String,
    /// How many times it was asked.
    pub count: usize,
    /// How many of those were answered but marked "Not helpful".
    pub not_helpful: usize,
    /// How many times a member sent it to staff with "Ask staff".
    pub escalated: usize,
    /// Distinct wordings, most frequent first, starting with `example`; at most a few.
    pub wordings: Vec<String>,
    /// When it was last asked.
    pub last_asked: SystemTime,
    /// Every wording of the group exactly as stored, to mark them resolved (see
    /// [`super::Records::resolve`]) once staff taught the answer.
    pub questions: Vec<String>,
}

/// Whether a record belongs in the gap report: not answered, marked not helpful, or sent to
/// staff.
pub fn is_a_gap(asked: &Asked) -> bool {
    !asked.answered || asked.not_helpful || asked.escalated
}

/// How many days back a gap report looks unless told otherwise (CLI and Discord alike).
pub const DEFAULT_DAYS: u32 = 30;

/// The start of a report window reaching `days` back from now.
pub fn since(days: u32) -> SystemTime {
    SystemTime::now()
        .checked_sub(crate::config::days(days))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Groups unanswered and not-helpful questions into gaps, most asked first (ties: most
/// recently asked first). Questions that were answered and not marked unhelpful are ignored.
pub fn gaps(asked: &[Asked]) -> Vec<Gap> {
    let mut asked: Vec<&Asked> = asked.iter().filter(|a| is_a_gap(a)).collect();
    // Oldest first, so each group is keyed by the first way the question was asked and the
    // result does not depend on the order the caller passed.
    asked.sort_by_key(|a| a.at);

    let (groups, _) = group(asked);
    let mut gaps: Vec<Gap> = groups.into_iter().map(Group::into_gap).collect();
    gaps.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_asked.cmp(&a.last_asked))
            .then_with(|| a.example.cmp(&b.example))
    });
    gaps
}

/// Gathers questions (oldest first) into groups; also says how many groups questions were
/// compared with in all, which stays near the number of questions.
fn group(asked: Vec<&Asked>) -> (Vec<Group>, usize) {
    let keys: Vec<Key> = crate::search::terms_each(asked.iter().map(|a| a.question.as_str()))
        .into_iter()
        .zip(&asked)
        .map(|(terms, question)| Key::of(terms, &question.question))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut index = Index::new(&keys);
    for (question, key) in asked.into_iter().zip(keys) {
        match index.best(&key, &groups) {
            Some(group) => groups[group].add(question),
            None => {
                index.insert(&key, groups.len());
                let mut group = Group::new(key);
                group.add(question);
                groups.push(group);
            }
        }
    }
    (groups, index.compared)
}

/// Every gap the records still hold, whenever asked: what a question staff name (by its
/// wording, or a digest's button) is looked up in.
pub fn all_gaps(records: &dyn super::Records) -> Result<Vec<Gap>, super::RecordsError> {
    Ok(gaps(&records.unanswered(SystemTime::UNIX_EPOCH)?))
}

/// Marks the gap `question` belongs to resolved (every wording of it; just `question` if it
/// is in none), after staff taught the bot its answer. Returns how many records were marked.
pub fn resolve_gap(
    records: &dyn super::Records,
    question: &str,
) -> Result<usize, super::RecordsError> {
    let all = all_gaps(records)?;
    let wanted = wording_key(&normalized(question));
    let wordings = all
        .into_iter()
        .find(|gap| {
            gap.questions
                .iter()
                .any(|q| wording_key(&normalized(q)) == wanted)
        })
        .map_or_else(|| vec![question.to_string()], |gap| gap.questions);
    records.resolve(&wordings)
}

/// A number naming `question`'s wording on a button that outlives the process (the weekly
/// digest's *Link to an answer*, pressed days later): the same in every process, and the
/// same for wordings staff would call the same (case, spacing, closing punctuation).
pub fn wording_id(question: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(wording_key(&normalized(question)).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The gap that holds a wording whose [`wording_id`] is `id`, if it is still among `gaps`.
pub fn gap_with_wording(gaps: Vec<Gap>, id: u64) -> Option<Gap> {
    gaps.into_iter()
        .find(|gap| gap.questions.iter().any(|q| wording_id(q) == id))
}

/// Passages worst first: the largest share of "Not helpful", then the most "Not helpful"
/// presses (four of four is worse news than one of one), then by source for a stable order.
pub fn worst_first(mut votes: Vec<PassageVotes>) -> Vec<PassageVotes> {
    votes.sort_by(|a, b| {
        unhelpful_share(b, a)
            .then(b.not_helpful.cmp(&a.not_helpful))
            .then_with(|| a.source.cmp(&b.source))
    });
    votes
}

/// Compares `a`'s not-helpful share with `b`'s exactly, without floating point.
fn unhelpful_share(a: &PassageVotes, b: &PassageVotes) -> Ordering {
    let total = |v: &PassageVotes| u64::from(v.helpful) + u64::from(v.not_helpful);
    // a.nh / a.total vs b.nh / b.total, cross-multiplied; a passage without votes has share 0
    // (its numerator is 0, so the products are 0 too).
    (u64::from(a.not_helpful) * total(b)).cmp(&(u64::from(b.not_helpful) * total(a)))
}

/// Writes the report `faqbot report` prints: the gaps, then the rated answers, in the order
/// given (pass them through [`gaps`] and [`worst_first`]). `days` is the period covered.
pub fn write_text(
    out: &mut impl Write,
    gaps: &[Gap],
    votes: &[PassageVotes],
    days: u32,
) -> std::io::Result<()> {
    let period = match days {
        1 => "last day".to_string(),
        _ => format!("last {days} days"),
    };
    writeln!(out, "Questions the bot could not answer ({period})")?;
    writeln!(out)?;
    if gaps.is_empty() {
        writeln!(out, "No unanswered questions in the {period}.")?;
    } else {
        let width = gaps
            .iter()
            .map(|gap| gap.count.to_string().len())
            .max()
            .unwrap_or(1);
        for gap in gaps {
            let mut line = format!("  {:>width$}×  {}", gap.count, printable(&gap.example));
            let others: Vec<String> = gap
                .wordings
                .iter()
                .filter(|wording| **wording != gap.example)
                .map(|wording| format!("\"{}\"", printable(wording)))
                .collect();
            if !others.is_empty() {
                line.push_str(&format!("   (also: {})", others.join(", ")));
            }
            if gap.not_helpful > 0 {
                line.push_str(&format!("   [{} not helpful]", gap.not_helpful));
            }
            if gap.escalated > 0 {
                line.push_str(&format!("   [sent to staff {}×]", gap.escalated));
            }
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
        let asked: usize = gaps.iter().map(|gap| gap.count).sum();
        let not_helpful: usize = gaps.iter().map(|gap| gap.not_helpful).sum();
        let line = match not_helpful {
            0 => format!("None were marked not helpful: the bot had no answer for all {asked}."),
            n if n == asked => {
                format!("All {asked} were answered, but a member marked the answer not helpful.")
            }
            n => format!(
                "{n} of {asked} were answered, but a member marked the answer not helpful; \
                 the rest got no answer."
            ),
        };
        writeln!(out, "{line}")?;
    }

    writeln!(out)?;
    writeln!(out, "Answers rated by members (worst first)")?;
    writeln!(out)?;
    if votes.is_empty() {
        writeln!(out, "No answers have been rated yet.")?;
    } else {
        let width = votes
            .iter()
            .map(|v| v.source.chars().count())
            .max()
            .unwrap_or(0);
        for passage in votes {
            writeln!(
                out,
                "  {:<width$}  helpful {}  not helpful {}",
                printable(&passage.source),
                passage.helpful,
                passage.not_helpful
            )?;
        }
    }
    Ok(())
}

/// What two questions are compared by.
#[derive(Debug, PartialEq)]
enum Key {
    /// The question's search terms, without repeats.
    Terms(Vec<String>),
    /// A question with no search terms ("hi?", "what is it"): its lowercased wording.
    Text(String),
}

impl Key {
    fn of(mut terms: Vec<String>, question: &str) -> Key {
        terms.sort();
        terms.dedup();
        if terms.is_empty() {
            Key::Text(normalized(question).to_lowercase())
        } else {
            Key::Terms(terms)
        }
    }
}

/// Finds the group a question belongs to without comparing it with every group, which took
/// 41 s for 16,000 distinct questions. Prefix filtering (as in Bayardo et al., "Scaling up
/// all pairs similarity search"): with the terms of every key in one order, rarest first, two
/// sets alike enough share a term among the first `n - ceil(t n) + 1` of each, so only groups
/// indexed under one of the question's first terms are compared, and the result is the same.
struct Index {
    /// How many questions use each term: the order is rarest first, then alphabetical.
    frequency: HashMap<String, usize>,
    /// Groups by the terms of their key's prefix.
    by_term: HashMap<String, Vec<usize>>,
    /// Groups of questions without terms, by wording.
    by_text: HashMap<String, usize>,
    /// The last question each group was compared with, to compare each group once.
    seen: Vec<usize>,
    question: usize,
    /// How many times a question was compared with a group.
    compared: usize,
}

impl Index {
    fn new(keys: &[Key]) -> Index {
        let mut frequency: HashMap<String, usize> = HashMap::new();
        for key in keys {
            if let Key::Terms(terms) = key {
                for term in terms {
                    *frequency.entry(term.clone()).or_default() += 1;
                }
            }
        }
        Index {
            frequency,
            by_term: HashMap::new(),
            by_text: HashMap::new(),
            seen: Vec::new(),
            question: 0,
            compared: 0,
        }
    }

    /// The first terms of `terms` in the index's order, as many as prefix filtering needs.
    fn prefix<'t>(&self, terms: &'t [String]) -> Vec<&'t str> {
        let mut ordered: Vec<&str> = terms.iter().map(String::as_str).collect();
        ordered.sort_by_key(|term| (self.frequency.get(*term).copied().unwrap_or(0), *term));
        let (num, den) = SAME_QUESTION;
        let needed = (num * terms.len()).div_ceil(den);
        ordered.truncate(terms.len() + 1 - needed.max(1));
        ordered
    }

    fn insert(&mut self, key: &Key, group: usize) {
        self.seen.push(usize::MAX);
        match key {
            Key::Text(text) => {
                self.by_text.entry(text.clone()).or_insert(group);
            }
            Key::Terms(terms) => {
                for term in self.prefix(terms) {
                    self.by_term
                        .entry(term.to_string())
                        .or_default()
                        .push(group);
                }
            }
        }
    }

    /// The most alike group at least [`SAME_QUESTION`] alike; the earliest on a tie, so
    /// earlier topics win.
    fn best(&mut self, key: &Key, groups: &[Group]) -> Option<usize> {
        self.question += 1;
        let terms = match key {
            Key::Text(text) => return self.by_text.get(text).copied(),
            Key::Terms(terms) => terms,
        };
        let mut best: Option<(usize, (usize, usize))> = None;
        for term in self.prefix(terms) {
            let Some(candidates) = self.by_term.get(term) else {
                continue;
            };
            for &group in candidates {
                if std::mem::replace(&mut self.seen[group], self.question) == self.question {
                    continue;
                }
                let Key::Terms(other) = &groups[group].key else {
                    continue;
                };
                self.compared += 1;
                let alike = overlap(terms, other);
                if !at_least(alike, SAME_QUESTION) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((earlier, so_far)) => match compare(alike, so_far) {
                        Ordering::Greater => true,
                        Ordering::Equal => group < earlier,
                        Ordering::Less => false,
                    },
                };
                if better {
                    best = Some((group, alike));
                }
            }
        }
        best.map(|(group, _)| group)
    }
}

/// Shared terms and all terms of two sorted term lists: their Jaccard similarity as a
/// fraction.
fn overlap(a: &[String], b: &[String]) -> (usize, usize) {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (shared, a.len() + b.len() - shared)
}

fn at_least((shared, all): (usize, usize), (num, den): (usize, usize)) -> bool {
    shared * den >= num * all
}

fn compare((a_shared, a_all): (usize, usize), (b_shared, b_all): (usize, usize)) -> Ordering {
    (a_shared * b_all).cmp(&(b_shared * a_all))
}

/// Questions asked the same way (or near enough), being gathered.
struct Group {
    /// The first question's key: later questions are compared with it, not with the whole
    /// group, so a chain of small drifts cannot join unrelated questions.
    key: Key,
    /// Distinct wordings (by lowercase) with how often each was used, first seen first.
    wordings: Vec<(String, usize)>,
    /// Where each wording (by [`wording_key`]) is in `wordings`.
    positions: HashMap<String, usize>,
    count: usize,
    not_helpful: usize,
    escalated: usize,
    last_asked: SystemTime,
    /// Every stored wording, exactly, once each.
    questions: std::collections::BTreeSet<String>,
}

impl Group {
    fn new(key: Key) -> Group {
        Group {
            key,
            wordings: Vec::new(),
            positions: HashMap::new(),
            count: 0,
            not_helpful: 0,
            escalated: 0,
            last_asked: SystemTime::UNIX_EPOCH,
            questions: Default::default(),
        }
    }

    fn add(&mut self, asked: &Asked) {
        self.last_asked = self.last_asked.max(asked.at);
        self.questions.insert(asked.question.clone());
        if asked.escalated {
            // The question itself was recorded when it was asked.
            self.escalated += 1;
            return;
        }
        self.count += 1;
        self.not_helpful += usize::from(asked.not_helpful);
        let wording = normalized(&asked.question);
        match self.positions.entry(wording_key(&wording)) {
            std::collections::hash_map::Entry::Occupied(seen) => self.wordings[*seen.get()].1 += 1,
            std::collections::hash_map::Entry::Vacant(new) => {
                new.insert(self.wordings.len());
                self.wordings.push((wording, 1));
            }
        }
    }

    fn into_gap(mut self) -> Gap {
        // Stable sort: equally frequent wordings stay in the order they were first asked.
        self.wordings
            .sort_by_key(|(_, uses)| std::cmp::Reverse(*uses));
        let wordings: Vec<String> = self
            .wordings
            .into_iter()
            .take(MAX_WORDINGS)
            .map(|(wording, _)| wording)
            .collect();
        Gap {
            example: wordings.first().cloned().unwrap_or_default(),
            count: self.count,
            not_helpful: self.not_helpful,
            escalated: self.escalated,
            wordings,
            last_asked: self.last_asked,
            questions: self.questions.into_iter().collect(),
        }
    }
}

/// Stored text as it may reach a terminal: control characters (escape sequences that could
/// clear the screen, move the cursor or retitle the window) and the invisible marks that
/// reorder text become `�`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if text.chars().any(unsafe_char) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A question on one line: runs of whitespace (newlines included) become one space.
fn normalized(question: &str) -> String {
    question.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// When two wordings are the same for staff: case and closing punctuation do not matter.
fn wording_key(wording: &str) -> String {
    wording
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    use crate::records::Channel;

    fn at(minutes: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + minutes * 60)
    }

    fn unanswered(question: &str, minutes: u64) -> Asked {
        Asked::unanswered(question, at(minutes), Channel::Command)
    }

    fn not_helpful(question: &str, minutes: u64) -> Asked {
        Asked {
            answered: true,
            not_helpful: true,
            top_source: Some("sleep.md:4".into()),
            ..unanswered(question, minutes)
        }
    }

    fn votes(source: &str, helpful: u32, not_helpful: u32) -> PassageVotes {
        PassageVotes {
            source: source.into(),
            helpful,
            not_helpful,
        }
    }

    #[test]
    fn near_duplicates_are_one_gap() {
        let gaps = gaps(&[
            unanswered("can massage help me sleep?", 1),
            unanswered("what are your prices", 2),
            unanswered("Can massage help me sleep", 3),
            not_helpful("does massage help with sleep", 4),
        ]);
        assert_eq!(gaps.len(), 2, "{gaps:#?}");
        let sleep = &gaps[0];
        assert_eq!(sleep.count, 3);
        assert_eq!(sleep.not_helpful, 1);
        assert_eq!(sleep.example, "can massage help me sleep?");
        assert_eq!(
            sleep.wordings,
            ["can massage help me sleep?", "does massage help with sleep"]
        );
        assert_eq!(sleep.last_asked, at(4));
        assert_eq!(gaps[1].example, "what are your prices");
        assert_eq!(gaps[1].count, 1);
    }

    #[test]
    fn different_topics_stay_apart() {
        let gaps = gaps(&[
            unanswered("can massage help me sleep?", 1),
            unanswered("can massage help my back pain?", 2),
            unanswered("do you sell gift cards", 3),
        ]);
        assert_eq!(gaps.len(), 3, "{gaps:#?}");
    }

    #[test]
    fn questions_without_terms_group_by_text() {
        let gaps = gaps(&[
            unanswered("Hi?", 1),
            unanswered("hi?", 2),
            unanswered("what is it", 3),
        ]);
        let counts: Vec<(&str, usize)> = gaps
            .iter()
            .map(|gap| (gap.example.as_str(), gap.count))
            .collect();
        assert_eq!(counts, [("Hi?", 2), ("what is it", 1)]);
    }

    #[test]
    fn answered_helpful_questions_are_not_gaps() {
        let answered = Asked {
            answered: true,
            ..unanswered("what are your prices", 1)
        };
        assert!(gaps(&[answered]).is_empty());
    }

    #[test]
    fn gaps_are_most_asked_first_then_most_recent() {
        let gaps = gaps(&[
            unanswered("do you sell gift cards", 1),
            unanswered("is there parking", 2),
            unanswered("what are your prices", 3),
            unanswered("what are your prices?", 4),
        ]);
        let order: Vec<&str> = gaps.iter().map(|gap| gap.example.as_str()).collect();
        assert_eq!(
            order,
            [
                "what are your prices",
                "is there parking",
                "do you sell gift cards"
            ]
        );
    }

    #[test]
    fn the_most_frequent_wording_is_the_example() {
        let gaps = gaps(&[
            unanswered("does massage help with sleep", 1),
            unanswered("can massage help me sleep?", 2),
            unanswered("can massage help me sleep", 3),
            unanswered("massage sleep help??", 4),
            unanswered("sleep: does massage help", 5),
        ]);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].example, "can massage help me sleep?");
        assert_eq!(gaps[0].wordings.len(), MAX_WORDINGS);
        assert_eq!(gaps[0].count, 5);
    }

    #[test]
    fn worst_rated_passages_come_first() {
        let sorted = worst_first(vec![
            votes("good.md:1", 9, 1),
            votes("one_bad.md:1", 0, 1),
            votes("four_bad.md:1", 0, 4),
            votes("half.md:1", 2, 2),
        ]);
        let order: Vec<&str> = sorted.iter().map(|v| v.source.as_str()).collect();
        assert_eq!(
            order,
            ["four_bad.md:1", "one_bad.md:1", "half.md:1", "good.md:1"]
        );
    }

    #[test]
    fn the_text_report_reads_plainly() {
        let gaps = gaps(&[
            unanswered("can massage help me sleep?", 1),
            unanswered("Can massage help me sleep", 2),
            not_helpful("does massage help with sleep", 3),
            unanswered("what are your prices", 4),
        ]);
        let votes = worst_first(vec![votes("prices.md:3", 5, 1), votes("sleep.md:4", 0, 2)]);
        let mut out = Vec::new();
        write_text(&mut out, &gaps, &votes, 7).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "Questions the bot could not answer (last 7 days)\n\
             \n  \
             3×  can massage help me sleep?   (also: \"does massage help with sleep\")   [1 not helpful]\n  \
             1×  what are your prices\n\
             \n\
             1 of 4 were answered, but a member marked the answer not helpful; the rest got no answer.\n\
             \n\
             Answers rated by members (worst first)\n\
             \n  \
             sleep.md:4   helpful 0  not helpful 2\n  \
             prices.md:3  helpful 5  not helpful 1\n"
        );
    }

    #[test]
    fn an_empty_report_says_so() {
        let mut out = Vec::new();
        write_text(&mut out, &[], &[], 30).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("No unanswered questions in the last 30 days."),
            "{text}"
        );
        assert!(text.contains("No answers have been rated yet."), "{text}");
    }

    /// The grouping before the index: every question against every group.
    fn gaps_by_comparing_all(asked: &[Asked]) -> Vec<(String, usize)> {
        let mut asked: Vec<&Asked> = asked
            .iter()
            .filter(|a| !a.answered || a.not_helpful)
            .collect();
        asked.sort_by_key(|a| a.at);
        let mut groups: Vec<(Key, String, usize)> = Vec::new();
        for question in asked {
            let key = Key::of(crate::search::terms(&question.question), &question.question);
            let mut best: Option<(usize, (usize, usize))> = None;
            for (index, (other, _, _)) in groups.iter().enumerate() {
                let alike = match (&key, other) {
                    (Key::Terms(a), Key::Terms(b)) => overlap(a, b),
                    (Key::Text(a), Key::Text(b)) if a == b => (1, 1),
                    _ => (0, 1),
                };
                if at_least(alike, SAME_QUESTION)
                    && best.is_none_or(|(_, so_far)| compare(alike, so_far) == Ordering::Greater)
                {
                    best = Some((index, alike));
                }
            }
            match best {
                Some((index, _)) => groups[index].2 += 1,
                None => groups.push((key, normalized(&question.question), 1)),
            }
        }
        let mut found: Vec<(String, usize)> = groups
            .into_iter()
            .map(|(_, first, count)| (first, count))
            .collect();
        found.sort();
        found
    }

    /// Questions from a small vocabulary, so that many are alike and many are not.
    fn many_questions(n: usize) -> Vec<Asked> {
        let words = [
            "massage",
            "sleep",
            "back",
            "pain",
            "price",
            "gift",
            "card",
            "parking",
            "hours",
            "pregnant",
            "oil",
            "allergy",
            "neck",
            "deep",
            "tissue",
            "hot",
            "stone",
            "cancel",
            "late",
            "tip",
            "insurance",
            "receipt",
            "child",
            "shower",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n)
            .map(|i| {
                let mut next = || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                let len = 2 + (next() % 4) as usize;
                let question: Vec<&str> = (0..len)
                    .map(|_| words[(next() % words.len() as u64) as usize])
                    .collect();
                unanswered(&question.join(" "), i as u64)
            })
            .collect()
    }

    #[test]
    fn the_index_groups_exactly_as_comparing_every_pair_did() {
        let asked = many_questions(3_000);
        let (groups, _) = group(asked.iter().collect());
        let mut found: Vec<(String, usize)> = groups
            .into_iter()
            .map(|group| (group.wordings[0].0.clone(), group.count))
            .collect();
        found.sort();
        assert!(found.len() > 300 && found.len() < 2_500, "{}", found.len());
        assert_eq!(found, gaps_by_comparing_all(&asked));
    }

    /// Before: each question was compared with every group, 128 million comparisons for
    /// 16,000 distinct questions (41 s). Speed is measured in `benches/`; this checks the
    /// work grows with the number of questions, not its square.
    #[test]
    fn grouping_compares_each_question_with_few_groups() {
        let distinct: Vec<Asked> = (0..16_000)
            .map(|n| unanswered(&format!("question about topic{n} and subject{}", n * 7), n))
            .collect();
        let (groups, compared) = group(distinct.iter().collect());
        assert_eq!(groups.len(), 16_000);
        assert!(compared <= 16_000, "{compared} comparisons");
        let (_, compared) = group(many_questions(16_000).iter().collect());
        assert!(compared < 16_000 * 200, "{compared} comparisons");
    }

    #[test]
    fn the_report_never_writes_control_characters() {
        let hostile = unanswered("hi\u{1b}]0;pwned\u{7}\u{1b}[2J \u{202e}txt.exe", 1);
        let mut out = Vec::new();
        write_text(
            &mut out,
            &gaps(&[hostile]),
            &[votes("a\u{1b}[31m.md:1", 0, 1)],
            30,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(text.contains("hi�]0;pwned��[2J"), "{text}");
    }
}
