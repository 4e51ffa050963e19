//! Opening hours: the clinic's week, holidays and time zone, stated once by staff in the
//! front matter of the hours file, and questions about being open answered from them.
//!
//! A member asking "are you open now?" wants one sentence worked out for this moment on the
//! clinic's own wall clock, not a list of hours to hold against theirs; the passage the
//! hours come from is still shown as the source. Everything is reckoned in civil dates and
//! times of the clinic's zone, so a daylight-saving change moves nothing: the clinic opens
//! at 09:00 on both sides of it. The moment comes from a [`Clock`], so tests and
//! `faqbot ask --at` can ask at any instant. Nothing here knows about files or Discord.

mod question;
mod schedule;
mod weekly;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};

pub use question::{Asked, When, read};
pub use schedule::{Day, HoursError, OpeningHours, Range, Zone, clock_time};
pub use weekly::{Period, Weekly, WeeklyError};

/// Where "now" comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system's clock: what the bot uses.
    #[default]
    System,
    /// Always this instant: for tests, and for staff checking an answer ahead of time.
    Fixed(Timestamp),
}

impl Clock {
    /// The current instant by this clock.
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(at) => at,
        }
    }
}

/// How many days ahead a next opening is named by its weekday alone ("Monday"); further
/// ones get their date.
const NAMED_BY_WEEKDAY: i32 = 6;

impl OpeningHours {
    /// The sentence answering `question` at `now`, or `None` when it is not about opening.
    pub fn answer(&self, question: &str, now: Timestamp) -> Option<String> {
        let asked = read(question)?;
        let here = now.to_zoned(self.time_zone.zone().clone()).datetime();
        let sentence = match asked {
            Asked::Now => self.now(here),
            Asked::Weekly(weekday) => self.every(weekday),
            Asked::Day(when) => self.day(date_of(when, here.date())?, here),
        };
        Some(format!("{sentence} ({}).", self.time_zone.name()))
    }

    /// "Open now, until 19:00 today", or when it opens next.
    fn now(&self, here: DateTime) -> String {
        let Some(open) = self.open_at(here) else {
            return format!("Closed now; {}", self.next_after(here, here.date()));
        };
        let (today, _) = self.on(here.date());
        let later: Vec<String> = today
            .ranges()
            .iter()
            .filter(|range| range.start >= open.end)
            .map(ToString::to_string)
            .collect();
        let until = clock_time(open.end);
        if later.is_empty() {
            format!("Open now, until {until} today")
        } else {
            format!(
                "Open now, until {until} today, then again {}",
                listed(&later)
            )
        }
    }

    /// "On Sundays we are closed".
    fn every(&self, weekday: Weekday) -> String {
        let day = self.weekly(weekday);
        let name = weekday_name(weekday);
        if day.is_closed() {
            format!("On {name}s we are closed")
        } else {
            format!("On {name}s we are open {}", ranges(day))
        }
    }

    /// "Closed on Sunday 7 December; we open Monday at 09:00", or that day's hours.
    fn day(&self, date: Date, here: DateTime) -> String {
        let (day, holiday) = self.on(date);
        let today = here.date();
        let named = if date == today {
            format!("today, {}", full_date(date, today))
        } else {
            format!("on {}", full_date(date, today))
        };
        let kind = if holiday { ", holiday hours" } else { "" };
        if day.is_closed() {
            let holiday = if holiday { " (holiday)" } else { "" };
            let after = date
                .tomorrow()
                .unwrap_or(date)
                .to_datetime(jiff::civil::Time::MIN);
            return format!("Closed {named}{holiday}; {}", self.next_after(after, today));
        }
        let closed_for_today = date == today
            && day
                .ranges()
                .last()
                .is_some_and(|last| here.time() >= last.end);
        if closed_for_today {
            return format!(
                "Closed for the rest of today (open {}{kind}); {}",
                ranges(day),
                self.next_after(here, today)
            );
        }
        format!("Open {named}: {}{kind}", ranges(day))
    }

    /// "we open Monday at 09:00": the next opening at or after `from`, named from `today`.
    fn next_after(&self, from: DateTime, today: Date) -> String {
        let Some(next) = self.next_opening(from) else {
            return "no opening is planned within the next year".to_string();
        };
        let date = next.date();
        let days = (date - today).get_days();
        let day = if date == today {
            "today".to_string()
        } else if days == 1 {
            "tomorrow".to_string()
        } else if days <= NAMED_BY_WEEKDAY {
            weekday_name(date.weekday()).to_string()
        } else {
            format!("on {}", full_date(date, today))
        };
        format!("we open {day} at {}", clock_time(next.time()))
    }
}

/// The date a member means, seen from `today`: a weekday or a date without a year is the
/// next one, today included; a date that does not exist (31 February) is none.
fn date_of(when: When, today: Date) -> Option<Date> {
    match when {
        When::Today => Some(today),
        When::Tomorrow => today.tomorrow().ok(),
        When::Next(weekday) => {
            let ahead = (weekday.to_monday_zero_offset() - today.weekday().to_monday_zero_offset())
                .rem_euclid(7);
            today.checked_add(jiff::Span::new().days(ahead)).ok()
        }
        When::Date {
            month,
            day,
            year: Some(year),
        } => Date::new(year, month, day).ok(),
        When::Date {
            month,
            day,
            year: None,
        } => {
            let this_year = Date::new(today.year(), month, day).ok();
            match this_year {
                Some(date) if date >= today => Some(date),
                _ => Date::new(today.year() + 1, month, day).ok(),
            }
        }
    }
}

/// "09:00–13:00 and 14:00–19:00".
fn ranges(day: &Day) -> String {
    let ranges: Vec<String> = day.ranges().iter().map(ToString::to_string).collect();
    listed(&ranges)
}

/// "a", "a and b", "a, b and c".
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Sunday 7 December", with the year when it is not this year's.
pub fn full_date(date: Date, today: Date) -> String {
    let month = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = month[usize::try_from(date.month() - 1).unwrap_or_default()];
    let weekday = weekday_name(date.weekday());
    if date.year() == today.year() {
        format!("{weekday} {} {month}", date.day())
    } else {
        format!("{weekday} {} {month} {}", date.day(), date.year())
    }
}

/// Every weekday with its name, Monday first: the one list that names days, both ways.
const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "Monday"),
    (Weekday::Tuesday, "Tuesday"),
    (Weekday::Wednesday, "Wednesday"),
    (Weekday::Thursday, "Thursday"),
    (Weekday::Friday, "Friday"),
    (Weekday::Saturday, "Saturday"),
    (Weekday::Sunday, "Sunday"),
];

/// "Monday".
pub fn weekday_name(weekday: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(day, _)| *day == weekday)
        .map_or("", |(_, name)| name)
}

/// The weekday a word names in full, in any case ("monday", "Monday").
pub fn weekday_named(word: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(word))
        .map(|(day, _)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEK: &str = "monday: 09:00-19:00\ntuesday: 09:00-13:00, 14:00-19:00\nwednesday: 09:00-19:00\nthursday: 09:00-19:00\nfriday: 09:00-19:00\nsaturday: 10:00-14:00\nsunday: closed\nholidays:\n  2026-12-24: 09:00-13:00\n  2026-12-25: closed\n  2026-12-26: closed\n";

    fn clinic(zone: &str) -> OpeningHours {
        serde_yaml_ng::from_str(&format!("time_zone: {zone}\n{WEEK}")).expect("hours")
    }

    fn at(instant: &str) -> Timestamp {
        instant.parse().expect(instant)
    }

    fn answer(zone: &str, question: &str, instant: &str) -> String {
        clinic(zone)
            .answer(question, at(instant))
            .unwrap_or_else(|| panic!("{question}: not about opening"))
    }

    #[test]
    fn open_now_says_until_when() {
        // Saturday 5 December 2026, 11:00 in London (UTC in winter).
        assert_eq!(
            answer("Europe/London", "are you open now?", "2026-12-05T11:00:00Z"),
            "Open now, until 14:00 today (Europe/London)."
        );
        // Tuesday's split day: the afternoon is still to come.
        assert_eq!(
            answer("Europe/London", "are you open now?", "2026-12-08T10:00:00Z"),
            "Open now, until 13:00 today, then again 14:00–19:00 (Europe/London)."
        );
    }

    #[test]
    fn closed_now_says_when_it_opens() {
        assert_eq!(
            answer("Europe/London", "are you open now?", "2026-12-05T15:00:00Z"),
            "Closed now; we open Monday at 09:00 (Europe/London)."
        );
        assert_eq!(
            answer("Europe/London", "r u open?", "2026-12-08T13:30:00Z"),
            "Closed now; we open today at 14:00 (Europe/London)."
        );
        assert_eq!(
            answer("Europe/London", "are you open now", "2026-12-07T07:00:00Z"),
            "Closed now; we open today at 09:00 (Europe/London)."
        );
    }

    #[test]
    fn a_named_day_gets_its_hours_or_the_next_opening() {
        assert_eq!(
            answer(
                "Europe/London",
                "Are you open on Sunday?",
                "2026-12-05T11:00:00Z"
            ),
            "Closed on Sunday 6 December; we open Monday at 09:00 (Europe/London)."
        );
        assert_eq!(
            answer(
                "Europe/London",
                "are you open tomorrow",
                "2026-12-06T11:00:00Z"
            ),
            "Open on Monday 7 December: 09:00–19:00 (Europe/London)."
        );
        assert_eq!(
            answer(
                "Europe/London",
                "what time do you close today?",
                "2026-12-08T09:00:00Z"
            ),
            "Open today, Tuesday 8 December: 09:00–13:00 and 14:00–19:00 (Europe/London)."
        );
        assert_eq!(
            answer(
                "Europe/London",
                "are you open today",
                "2026-12-07T20:00:00Z"
            ),
            "Closed for the rest of today (open 09:00–19:00); we open tomorrow at 09:00 (Europe/London)."
        );
        assert_eq!(
            answer("Europe/London", "open on sundays?", "2026-12-07T20:00:00Z"),
            "On Sundays we are closed (Europe/London)."
        );
    }

    #[test]
    fn holidays_and_the_turn_of_the_year() {
        assert_eq!(
            answer(
                "Europe/London",
                "open on christmas eve?",
                "2026-12-07T12:00:00Z"
            ),
            "Open on Thursday 24 December: 09:00–13:00, holiday hours (Europe/London)."
        );
        assert_eq!(
            answer(
                "Europe/London",
                "are you open on 25 December?",
                "2026-12-07T12:00:00Z"
            ),
            "Closed on Friday 25 December (holiday); we open on Monday 28 December at 09:00 (Europe/London)."
        );
        // Asked after New Year's Day this year: next year's.
        assert_eq!(
            answer(
                "Europe/London",
                "are you open on 5 January?",
                "2026-12-07T12:00:00Z"
            ),
            "Open on Tuesday 5 January 2027: 09:00–13:00 and 14:00–19:00 (Europe/London)."
        );
    }

    /// The clocks go forward in London at 01:00 UTC on Sunday 29 March 2026 and back at
    /// 01:00 UTC on Sunday 25 October 2026: 08:30 UTC is before opening on one side of each
    /// change and after it on the other.
    #[test]
    fn london_across_daylight_saving() {
        let cases = [
            (
                "2026-03-27T08:30:00Z",
                "Closed now; we open today at 09:00 (Europe/London).",
            ),
            (
                "2026-03-30T08:30:00Z",
                "Open now, until 19:00 today (Europe/London).",
            ),
            (
                "2026-10-23T08:30:00Z",
                "Open now, until 19:00 today (Europe/London).",
            ),
            (
                "2026-10-26T08:30:00Z",
                "Closed now; we open today at 09:00 (Europe/London).",
            ),
            // Saturday night before the change: Monday 09:00 is wall-clock time, whatever
            // the change in between.
            (
                "2026-03-28T20:00:00Z",
                "Closed now; we open Monday at 09:00 (Europe/London).",
            ),
        ];
        for (instant, expected) in cases {
            assert_eq!(
                answer("Europe/London", "are you open now?", instant),
                expected,
                "{instant}"
            );
        }
    }

    /// New York moves from UTC-5 to UTC-4 on Sunday 8 March 2026.
    #[test]
    fn new_york_across_daylight_saving() {
        let cases = [
            (
                "2026-03-06T13:30:00Z",
                "Closed now; we open today at 09:00 (America/New_York).",
            ),
            (
                "2026-03-09T13:30:00Z",
                "Open now, until 19:00 today (America/New_York).",
            ),
            // 23:30 UTC on Monday is 19:30 in New York: closed, though 18:30 in winter.
            (
                "2026-03-09T23:30:00Z",
                "Closed now; we open tomorrow at 09:00 (America/New_York).",
            ),
            (
                "2026-03-02T23:30:00Z",
                "Open now, until 19:00 today (America/New_York).",
            ),
        ];
        for (instant, expected) in cases {
            assert_eq!(
                answer("America/New_York", "are you open now?", instant),
                expected,
                "{instant}"
            );
        }
        // Late on Saturday in New York is already Sunday in UTC: the clinic's day counts.
        assert_eq!(
            answer(
                "America/New_York",
                "are you open today?",
                "2026-03-08T02:00:00Z"
            ),
            "Closed for the rest of today (open 10:00–14:00); we open Monday at 09:00 (America/New_York)."
        );
    }

    #[test]
    fn other_questions_get_no_sentence() {
        let clinic = clinic("Europe/London");
        for question in ["how long is a session?", "can I book for Sunday?"] {
            assert_eq!(clinic.answer(question, at("2026-12-05T11:00:00Z")), None);
        }
    }
}
