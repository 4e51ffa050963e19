//! A moment that comes back every week in the clinic's zone ("monday 09:00"), and the week
//! that ends at it: when the staff digest is posted, and what it covers.
//!
//! Weeks are counted in the clinic's civil dates, so the week holding a daylight-saving
//! change is an hour shorter or longer, and the digest still comes at 09:00 on Monday.

use std::fmt;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// A weekday and a wall-clock time: `monday 09:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekly {
    /// The day of the week.
    pub weekday: Weekday,
    /// The time on that day, in the clinic's zone.
    pub time: Time,
}

/// A weekly moment written wrongly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "\"{0}\" is not a day and time of the week: write a weekday and a 24-hour time, such as \"monday 09:00\""
)]
pub struct WeeklyError(String);

/// The stretch between two of a [`Weekly`]'s moments: from `start` until (not including) `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Where it begins, in the clinic's zone.
    pub start: Zoned,
    /// Where it ends, in the clinic's zone.
    pub end: Zoned,
}

impl Period {
    /// Whether `at` falls within it.
    pub fn holds(&self, at: Timestamp) -> bool {
        self.start.timestamp() <= at && at < self.end.timestamp()
    }
}

impl Weekly {
    /// This week's (or an earlier week's) moment: the latest at or before `now`.
    pub fn last(&self, now: Timestamp, zone: &TimeZone) -> Zoned {
        let today = now.to_zoned(zone.clone()).date();
        let back = (today.weekday().to_monday_zero_offset() - self.weekday.to_monday_zero_offset())
            .rem_euclid(7);
        let mut date = today.saturating_sub(i64::from(back).days());
        loop {
            let moment = self.on(date, zone);
            if moment.timestamp() <= now {
                return moment;
            }
            date = date.saturating_sub(7.days());
        }
    }

    /// The first moment after `now`.
    pub fn next(&self, now: Timestamp, zone: &TimeZone) -> Zoned {
        let last = self.last(now, zone);
        self.on(last.date().saturating_add(7.days()), zone)
    }

    /// The week that ended at the latest moment at or before `now`.
    pub fn period_before(&self, now: Timestamp, zone: &TimeZone) -> Period {
        let end = self.last(now, zone);
        let start = self.on(end.date().saturating_sub(7.days()), zone);
        Period { start, end }
    }

    /// The moment on `date`. A time that a daylight-saving change skips is taken as the same
    /// time after the change (02:30 on the spring-forward night is 03:30); a time it repeats
    /// as the first of the two.
    fn on(&self, date: jiff::civil::Date, zone: &TimeZone) -> Zoned {
        let wall = date.to_datetime(self.time);
        zone.to_ambiguous_zoned(wall)
            .compatible()
            // Only a zone's transitions near the ends of time fail; the clock then is UTC's.
            .unwrap_or_else(|_| wall.to_zoned(TimeZone::UTC).unwrap_or_default())
    }
}

impl std::str::FromStr for Weekly {
    type Err = WeeklyError;

    /// `monday 09:00`, in any case, with or without "at".
    fn from_str(text: &str) -> Result<Weekly, WeeklyError> {
        let wrong = || WeeklyError(text.to_string());
        let words: Vec<&str> = text
            .split_whitespace()
            .filter(|word| !word.eq_ignore_ascii_case("at"))
            .collect();
        let [day, time] = words.as_slice() else {
            return Err(wrong());
        };
        let weekday = super::weekday_named(day.trim_end_matches(',')).ok_or_else(wrong)?;
        let time = super::schedule::time(time).map_err(|_| wrong())?;
        Ok(Weekly { weekday, time })
    }
}

impl fmt::Display for Weekly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            super::weekday_name(self.weekday).to_lowercase(),
            super::clock_time(self.time)
        )
    }
}

impl<'de> Deserialize<'de> for Weekly {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Weekly, D::Error> {
        deserializer.deserialize_str(super::schedule::Written::new(
            "a weekday and a time, such as \"monday 09:00\"",
        ))
    }
}

impl Serialize for Weekly {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    fn weekly(text: &str) -> Weekly {
        text.parse().expect(text)
    }

    fn at(text: &str) -> Timestamp {
        text.parse::<Zoned>().expect(text).timestamp()
    }

    #[test]
    fn staff_write_a_weekday_and_a_time() {
        assert_eq!(
            weekly("monday 09:00"),
            Weekly {
                weekday: Weekday::Monday,
                time: time(9, 0, 0, 0)
            }
        );
        assert_eq!(weekly("  Friday at 17:30 "), weekly("friday 17:30"));
        assert_eq!(weekly("Sunday, 8:05").to_string(), "sunday 08:05");
        for bad in [
            "monday",
            "09:00",
            "mon 09:00",
            "monday 25:00",
            "monday 9",
            "every monday 09:00",
            "",
        ] {
            let err = bad.parse::<Weekly>().unwrap_err();
            assert!(err.to_string().contains("monday 09:00"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_period_is_the_week_that_ended_last() {
        let london = TimeZone::get("Europe/London").unwrap();
        let digest = weekly("monday 09:00");
        // Wednesday 9 December 2026: the week ended on Monday 7 December at 09:00.
        let period = digest.period_before(at("2026-12-09T12:00[Europe/London]"), &london);
        assert_eq!(
            period.start.to_string(),
            "2026-11-30T09:00:00+00:00[Europe/London]"
        );
        assert_eq!(
            period.end.to_string(),
            "2026-12-07T09:00:00+00:00[Europe/London]"
        );
        // At the moment itself, the week that ends then is the one just over.
        let exactly = digest.period_before(at("2026-12-07T09:00[Europe/London]"), &london);
        assert_eq!(exactly, period);
        // A second earlier, it is the week before.
        let before = digest.period_before(at("2026-12-07T08:59:59[Europe/London]"), &london);
        assert_eq!(
            before.end.to_string(),
            "2026-11-30T09:00:00+00:00[Europe/London]"
        );
        assert_eq!(
            digest
                .next(at("2026-12-07T09:00[Europe/London]"), &london)
                .to_string(),
            "2026-12-14T09:00:00+00:00[Europe/London]"
        );
        assert!(period.holds(at("2026-11-30T09:00[Europe/London]")));
        assert!(!period.holds(at("2026-12-07T09:00[Europe/London]")));
    }

    /// The week with the change back to winter time has 169 hours, and the spring one 167:
    /// the digest still comes at 09:00 by the clinic's clock.
    #[test]
    fn a_week_with_a_daylight_saving_change_ends_at_the_same_wall_clock_time() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let digest = weekly("monday 09:00");
        // Clocks went back on Sunday 1 November 2026.
        let autumn = digest.period_before(at("2026-11-02T10:00[America/New_York]"), &new_york);
        assert_eq!(
            autumn.start.to_string(),
            "2026-10-26T09:00:00-04:00[America/New_York]"
        );
        assert_eq!(
            autumn.end.to_string(),
            "2026-11-02T09:00:00-05:00[America/New_York]"
        );
        let hours = |p: &Period| (p.end.timestamp() - p.start.timestamp()).get_seconds() / 3600;
        assert_eq!(hours(&autumn), 169);
        // Forward on Sunday 8 March 2026.
        let spring = digest.period_before(at("2026-03-09T09:00[America/New_York]"), &new_york);
        assert_eq!(hours(&spring), 167);
        assert_eq!(
            spring.end.to_string(),
            "2026-03-09T09:00:00-04:00[America/New_York]"
        );
    }

    #[test]
    fn a_time_the_clocks_skip_comes_an_hour_later() {
        let london = TimeZone::get("Europe/London").unwrap();
        // 01:30 did not happen on Sunday 29 March 2026 in London.
        let digest = weekly("sunday 01:30");
        let moment = digest.last(at("2026-03-29T12:00[Europe/London]"), &london);
        assert_eq!(
            moment.to_string(),
            "2026-03-29T02:30:00+01:00[Europe/London]"
        );
    }

    #[test]
    fn a_clinic_far_from_utc_counts_its_own_monday() {
        // Monday 09:00 in Auckland is Sunday 20:00 UTC in December (summer time, +13).
        let auckland = TimeZone::get("Pacific/Auckland").unwrap();
        let digest = weekly("monday 09:00");
        let sunday_utc = at("2026-12-06T20:30:00+00:00[UTC]");
        let end = digest.last(sunday_utc, &auckland);
        assert_eq!(
            end.to_string(),
            "2026-12-07T09:00:00+13:00[Pacific/Auckland]"
        );
        let half_hour_before = at("2026-12-06T19:30:00+00:00[UTC]");
        assert_eq!(
            digest.last(half_hour_before, &auckland).to_string(),
            "2026-11-30T09:00:00+13:00[Pacific/Auckland]"
        );
    }
}
