//! The weekly digest for staff: what members asked in the week just ended, what the bot could
//! not answer, and what in the knowledge files needs attention.
//!
//! Staff see the gap report only when they remember to ask for it; the digest brings it to
//! the staff channel once a week (`staff.digest`, on the clinic's clock), and `faqbot digest`
//! prints the same. Gathering is pure over what the records and the knowledge status hold;
//! posting it, and posting it once, is the Discord side's job.

use std::io::Write;
use std::time::SystemTime;

use jiff::Timestamp;

use crate::config::DigestSchedule;
use crate::hours::Period;
use crate::live::Status;
use crate::records::report::{self, Gap};
use crate::records::{Asked, PassageVotes, Records, RecordsError, RecordsReader, Tally};

/// How many entries each list of the digest shows: enough to act on in a week, few enough to
/// read at a glance (and one row of Discord buttons).
pub const TOP: usize = 5;

/// The digest of one week.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// The week covered, in the clinic's zone.
    pub period: Period,
    /// What happened to the week's questions.
    pub tally: Tally,
    /// The most asked questions without a good answer, most asked first; at most [`TOP`].
    pub gaps: Vec<Gap>,
    /// How many such groups there were in all.
    pub all_gaps: usize,
    /// The answers marked "Not helpful" most often this week, most first; at most [`TOP`].
    pub not_helpful: Vec<PassageVotes>,
    /// Files whose `last_reviewed` date is past the review age, with that date.
    pub due_for_review: Vec<(String, jiff::civil::Date)>,
    /// Files still holding `{{FILL IN: ...}}` placeholders, with their lines.
    pub placeholders: Vec<(String, Vec<usize>)>,
    /// How many placeholders are left in all (a line may hold several).
    pub placeholders_left: usize,
}

/// Where a digest's figures come from: the running bot's records, or the read-only view
/// `faqbot digest` opens beside it.
pub trait Source {
    /// As [`crate::records::Records::unanswered`].
    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError>;
    /// As [`crate::records::Records::tally`].
    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError>;
    /// As [`crate::records::Records::votes_between`].
    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError>;
}

impl Source for dyn Records {
    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError> {
        Records::unanswered(self, since)
    }
    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError> {
        Records::tally(self, from, until)
    }
    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError> {
        Records::votes_between(self, from, until)
    }
}

impl Source for RecordsReader {
    fn unanswered(&self, since: SystemTime) -> Result<Vec<Asked>, RecordsError> {
        RecordsReader::unanswered(self, since)
    }
    fn tally(&self, from: SystemTime, until: SystemTime) -> Result<Tally, RecordsError> {
        RecordsReader::tally(self, from, until)
    }
    fn votes_between(
        &self,
        from: SystemTime,
        until: SystemTime,
    ) -> Result<Vec<PassageVotes>, RecordsError> {
        RecordsReader::votes_between(self, from, until)
    }
}

/// The week that ended last at `now` by `schedule`: the one its digest covers.
pub fn period(schedule: &DigestSchedule, now: Timestamp) -> Period {
    schedule.at.period_before(now, schedule.zone.zone())
}

/// An instant of a period as the records keep it.
pub fn system_time(at: &jiff::Zoned) -> SystemTime {
    SystemTime::from(at.timestamp())
}

impl Digest {
    /// The digest of `period` from `records`, with the knowledge's current `status`.
    pub fn gather(
        records: &(impl Source + ?Sized),
        period: Period,
        status: &Status,
    ) -> Result<Digest, RecordsError> {
        let (start, end) = (system_time(&period.start), system_time(&period.end));
        let tally = records.tally(start, end)?;
        let unanswered = records.unanswered(start)?;
        let votes = records.votes_between(start, end)?;
        Ok(Digest::new(period, tally, &unanswered, votes, status))
    }

    /// The digest of `period` from its records: the questions not answered well since its
    /// start (`unanswered`, as [`crate::records::Records::unanswered`] gives them), its tally
    /// and its votes, with the knowledge's current `status`.
    pub fn new(
        period: Period,
        tally: Tally,
        unanswered: &[Asked],
        votes: Vec<PassageVotes>,
        status: &Status,
    ) -> Digest {
        let in_period: Vec<Asked> = unanswered
            .iter()
            .filter(|asked| period.holds(Timestamp::try_from(asked.at).unwrap_or_default()))
            .cloned()
            .collect();
        let mut gaps = report::gaps(&in_period);
        let all_gaps = gaps.len();
        gaps.truncate(TOP);
        let mut not_helpful: Vec<PassageVotes> =
            votes.into_iter().filter(|v| v.not_helpful > 0).collect();
        not_helpful.sort_by(|a, b| {
            b.not_helpful
                .cmp(&a.not_helpful)
                .then(a.helpful.cmp(&b.helpful))
                .then_with(|| a.source.cmp(&b.source))
        });
        not_helpful.truncate(TOP);
        Digest {
            period,
            tally,
            gaps,
            all_gaps,
            not_helpful,
            due_for_review: status.due_for_review.clone(),
            placeholders: status
                .placeholder_lines()
                .into_iter()
                .map(|(file, lines)| (file.to_string(), lines))
                .collect(),
            placeholders_left: status.placeholders().count(),
        }
    }

    /// "Monday 30 November – Monday 7 December, 09:00 (Europe/London)".
    pub fn week(&self) -> String {
        let (start, end) = (&self.period.start, &self.period.end);
        format!(
            "{} – {}, {} ({})",
            crate::hours::full_date(start.date(), end.date()),
            crate::hours::full_date(end.date(), end.date()),
            crate::hours::clock_time(end.time()),
            end.time_zone().iana_name().unwrap_or("UTC"),
        )
    }

    /// "42 asked · 30 answered · 12 declined · 3 sent to staff".
    pub fn counts(&self) -> String {
        let t = &self.tally;
        format!(
            "{} asked · {} answered · {} declined · {} sent to staff",
            t.asked, t.answered, t.declined, t.sent_to_staff
        )
    }
}

/// Writes the digest as `faqbot digest` prints it.
pub fn write_text(out: &mut impl Write, digest: &Digest) -> std::io::Result<()> {
    writeln!(out, "Weekly digest: {}", digest.week())?;
    writeln!(out)?;
    writeln!(out, "Questions: {}", digest.counts())?;
    writeln!(out)?;
    writeln!(out, "Most asked without a good answer")?;
    if digest.gaps.is_empty() {
        writeln!(out, "  None: members found an answer every time.")?;
    }
    for (rank, gap) in digest.gaps.iter().enumerate() {
        writeln!(
            out,
            "  {}. {}× {}",
            rank + 1,
            gap.count,
            report::printable(&gap.example)
        )?;
    }
    if digest.all_gaps > digest.gaps.len() {
        writeln!(
            out,
            "  ({} more: faqbot report --days 7)",
            digest.all_gaps - digest.gaps.len()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Answers most marked \"Not helpful\"")?;
    if digest.not_helpful.is_empty() {
        writeln!(out, "  None this week.")?;
    }
    for passage in &digest.not_helpful {
        writeln!(
            out,
            "  {}: {} not helpful, {} helpful",
            report::printable(&passage.source),
            passage.not_helpful,
            passage.helpful
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Files due for review")?;
    if digest.due_for_review.is_empty() {
        writeln!(out, "  None.")?;
    }
    for (file, date) in &digest.due_for_review {
        writeln!(out, "  {file} (last reviewed {date})")?;
    }
    writeln!(out)?;
    writeln!(out, "Placeholders left: {}", digest.placeholders_left)?;
    for (file, lines) in &digest.placeholders {
        writeln!(
            out,
            "  {file}: line {}",
            crate::knowledge::listed_lines(lines)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Channel;

    fn status() -> Status {
        Status {
            files: 1,
            passages: 1,
            reloaded_at: SystemTime::now(),
            diagnostics: Vec::new(),
            serving_last_good: Vec::new(),
            due_for_review: vec![("prices.md".into(), jiff::civil::date(2019, 1, 1))],
            meaning: crate::meaning::MeaningStatus::Off,
        }
    }

    #[test]
    fn only_the_weeks_questions_and_its_worst_answers_are_listed() {
        let schedule = DigestSchedule {
            at: "monday 09:00".parse().unwrap(),
            zone: crate::hours::Zone::named("Europe/London").unwrap(),
        };
        let now: Timestamp = "2026-12-08T12:00:00Z".parse().unwrap();
        let period = period(&schedule, now);
        let at = |text: &str| SystemTime::from(text.parse::<Timestamp>().unwrap());
        let unanswered = vec![
            Asked::unanswered("before the week", at("2026-11-30T08:59:59Z"), Channel::Dm),
            Asked::unanswered("in the week", at("2026-11-30T09:00:00Z"), Channel::Dm),
            Asked::unanswered("in the week", at("2026-12-07T08:59:59Z"), Channel::Dm),
            Asked::unanswered("after the week", at("2026-12-07T09:00:00Z"), Channel::Dm),
        ];
        let votes = |source: &str, helpful, not_helpful| PassageVotes {
            source: source.into(),
            helpful,
            not_helpful,
        };
        let digest = Digest::new(
            period,
            Tally::default(),
            &unanswered,
            vec![
                votes("liked.md:1", 9, 0),
                votes("mixed.md:1", 5, 2),
                votes("bad.md:1", 0, 2),
                votes("worst.md:1", 1, 4),
            ],
            &status(),
        );
        assert_eq!(digest.all_gaps, 1);
        assert_eq!(digest.gaps[0].example, "in the week");
        assert_eq!(digest.gaps[0].count, 2);
        let rated: Vec<&str> = digest
            .not_helpful
            .iter()
            .map(|v| v.source.as_str())
            .collect();
        assert_eq!(rated, ["worst.md:1", "bad.md:1", "mixed.md:1"]);
        assert_eq!(digest.due_for_review.len(), 1);
        assert_eq!(
            digest.week(),
            "Monday 30 November – Monday 7 December, 09:00 (Europe/London)"
        );
    }
}
