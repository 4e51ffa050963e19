//! The clinic's week as staff write it: a time zone, the hours of each weekday and the dates
//! that differ (holidays), read from the hours file's front matter.
//!
//! Each value is checked as it is read, so a wrong one is reported by `faqbot check` on its
//! own line of the file, in words a receptionist can act on. Hours are wall-clock times in
//! the clinic's zone: a clinic opens at 09:00 on both sides of a daylight-saving change.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// How far ahead the next opening is looked for: a clinic closed for longer than a year has
/// no next opening worth telling.
const LOOK_AHEAD_DAYS: i32 = 366;

/// The `hours:` block of the front matter.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// The clinic's time zone, by its IANA name (`Europe/London`).
    pub time_zone: Zone,
    /// Mondays' hours.
    pub monday: Day,
    /// Tuesdays' hours.
    pub tuesday: Day,
    /// Wednesdays' hours.
    pub wednesday: Day,
    /// Thursdays' hours.
    pub thursday: Day,
    /// Fridays' hours.
    pub friday: Day,
    /// Saturdays' hours.
    pub saturday: Day,
    /// Sundays' hours.
    pub sunday: Day,
    /// Dates whose hours differ from their weekday's: closed, or other hours.
    #[serde(default)]
    pub holidays: BTreeMap<Date, Day>,
}

impl OpeningHours {
    /// The hours of `date`, and whether they are a holiday's rather than the weekday's.
    pub fn on(&self, date: Date) -> (&Day, bool) {
        match self.holidays.get(&date) {
            Some(day) => (day, true),
            None => (self.weekly(date.weekday()), false),
        }
    }

    /// The usual hours of a weekday.
    pub fn weekly(&self, weekday: Weekday) -> &Day {
        match weekday {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    /// The stretch of the day that `at` (wall clock) falls in, if the clinic is open then.
    pub fn open_at(&self, at: DateTime) -> Option<Range> {
        let (day, _) = self.on(at.date());
        day.0
            .iter()
            .copied()
            .find(|range| range.start <= at.time() && at.time() < range.end)
    }

    /// The first opening at or after `from` (wall clock), within [`LOOK_AHEAD_DAYS`].
    pub fn next_opening(&self, from: DateTime) -> Option<DateTime> {
        let mut date = from.date();
        for _ in 0..LOOK_AHEAD_DAYS {
            let (day, _) = self.on(date);
            let start = day
                .0
                .iter()
                .map(|range| range.start)
                .find(|start| date > from.date() || *start >= from.time());
            if let Some(start) = start {
                return Some(date.to_datetime(start));
            }
            date = date.tomorrow().ok()?;
        }
        None
    }
}

/// A time zone as staff name it, kept with its name to say it back to members.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    zone: TimeZone,
}

impl Zone {
    /// The zone by its IANA name, from the bundled time zone database.
    pub fn named(name: &str) -> Result<Zone, HoursError> {
        let zone =
            TimeZone::get(name.trim()).map_err(|_| HoursError::UnknownZone(name.to_string()))?;
        Ok(Zone {
            name: name.trim().to_string(),
            zone,
        })
    }

    /// The name as staff wrote it (`Europe/London`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules to turn an instant into the clinic's wall-clock time.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl std::str::FromStr for Zone {
    type Err = HoursError;

    fn from_str(name: &str) -> Result<Zone, HoursError> {
        Zone::named(name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        deserializer.deserialize_str(Written::new("a time zone name such as Europe/London"))
    }
}

/// Reads a value written as text through its `FromStr`. Refusing it inside the visitor lets
/// the reader name the key and its line (`hours.time_zone:` in a front matter, `digest =` in
/// the config), as it does for the days.
pub(super) struct Written<T> {
    expecting: &'static str,
    value: std::marker::PhantomData<T>,
}

impl<T> Written<T> {
    /// A reader of `T`, which the error describes as `expecting`.
    pub(super) fn new(expecting: &'static str) -> Written<T> {
        Written {
            expecting,
            value: std::marker::PhantomData,
        }
    }
}

impl<T> Visitor<'_> for Written<T>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

/// One stretch of a day the clinic is open: from `start` until (not including) `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// When it opens.
    pub start: Time,
    /// When it closes.
    pub end: Time,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", clock_time(self.start), clock_time(self.end))
    }
}

/// A time as members read it on a 24-hour clock: `09:00`.
pub fn clock_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// The hours of one day, in order; none when the clinic is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Day(Vec<Range>);

impl Day {
    /// The day's open stretches, in order.
    pub fn ranges(&self) -> &[Range] {
        &self.0
    }

    /// Whether the clinic is closed all day.
    pub fn is_closed(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::str::FromStr for Day {
    type Err = HoursError;

    /// `closed`, `09:00-17:00`, or several stretches separated by commas.
    fn from_str(text: &str) -> Result<Day, HoursError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("closed") {
            return Ok(Day::default());
        }
        let mut ranges: Vec<Range> = Vec::new();
        for written in text.split([',', ';']).map(str::trim) {
            let range = range(written)?;
            if let Some(before) = ranges.last()
                && range.start < before.end
            {
                return Err(HoursError::Overlap {
                    first: before.to_string(),
                    second: range.to_string(),
                });
            }
            ranges.push(range);
        }
        Ok(Day(ranges))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_closed() {
            return f.write_str("closed");
        }
        let ranges: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&ranges.join(", "))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        deserializer.deserialize_any(DayVisitor)
    }
}

/// Reads a day written as one text or as a list of stretches.
struct DayVisitor;

impl<'de> Visitor<'de> for DayVisitor {
    type Value = Day;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("opening hours such as 09:00-17:00, 09:00-13:00, 14:00-19:00, or closed")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Day, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Day, A::Error> {
        let mut parts = Vec::new();
        while let Some(part) = seq.next_element::<String>()? {
            parts.push(part);
        }
        parts.join(", ").parse().map_err(de::Error::custom)
    }
}

/// What can be wrong in the hours block, worded for the staff member who fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    /// Not `HH:MM-HH:MM`.
    #[error(
        "\"{0}\" is not a stretch of opening hours: write it as 09:00-17:00, several as 09:00-13:00, 14:00-19:00, or write closed"
    )]
    NotARange(String),
    /// A time that is not `HH:MM` on a 24-hour clock.
    #[error(
        "\"{0}\" is not a time: write hours and minutes on a 24-hour clock, such as 09:00 or 17:30"
    )]
    NotATime(String),
    /// A stretch that ends when or before it starts.
    #[error(
        "{0} ends before it starts: write the earlier time first (hours past midnight are not supported)"
    )]
    Backwards(String),
    /// Stretches out of order or overlapping.
    #[error(
        "{first} and {second} overlap or are out of order: write each day's stretches once, earliest first"
    )]
    Overlap {
        /// The earlier stretch as written.
        first: String,
        /// The one that overlaps it.
        second: String,
    },
    /// A time zone name the bundled database does not know.
    #[error(
        "\"{0}\" is not a time zone name: use the clinic's IANA zone, such as Europe/London or America/New_York"
    )]
    UnknownZone(String),
}

fn range(written: &str) -> Result<Range, HoursError> {
    let (start, end) = written
        .split_once(['-', '–'])
        .or_else(|| written.split_once(" to "))
        .ok_or_else(|| HoursError::NotARange(written.to_string()))?;
    let range = Range {
        start: time(start)?,
        end: time(end)?,
    };
    if range.end <= range.start {
        return Err(HoursError::Backwards(written.to_string()));
    }
    Ok(range)
}

pub(super) fn time(written: &str) -> Result<Time, HoursError> {
    let written = written.trim();
    let not_a_time = || HoursError::NotATime(written.to_string());
    let (hour, minute) = written.split_once([':', '.']).ok_or_else(not_a_time)?;
    let digits = |text: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<i8>().ok())
            .flatten()
    };
    let hour = digits(hour, 1..=2).ok_or_else(not_a_time)?;
    let minute = digits(minute, 2..=2).ok_or_else(not_a_time)?;
    Time::new(hour, minute, 0, 0).map_err(|_| not_a_time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn day(text: &str) -> Day {
        text.parse().expect(text)
    }

    #[test]
    fn days_are_read_as_staff_write_them() {
        assert!(day("closed").is_closed());
        assert!(day(" Closed ").is_closed());
        assert_eq!(day("9:00-17:30").to_string(), "09:00–17:30");
        assert_eq!(
            day("09:00-13:00, 14:00 - 19:00").to_string(),
            "09:00–13:00, 14:00–19:00"
        );
        assert_eq!(day("10.00 to 16.00").to_string(), "10:00–16:00");
    }

    #[test]
    fn wrong_days_say_what_to_write() {
        let cases = [
            ("9-5", HoursError::NotATime("9".into())),
            ("nine to five", HoursError::NotATime("nine".into())),
            ("open", HoursError::NotARange("open".into())),
            ("25:00-26:00", HoursError::NotATime("25:00".into())),
            ("17:00-09:00", HoursError::Backwards("17:00-09:00".into())),
            (
                "09:00-14:00, 13:00-19:00",
                HoursError::Overlap {
                    first: "09:00–14:00".into(),
                    second: "13:00–19:00".into(),
                },
            ),
        ];
        for (written, expected) in cases {
            assert_eq!(written.parse::<Day>(), Err(expected), "{written}");
        }
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert_eq!(
            Zone::named("Europe/Lundon"),
            Err(HoursError::UnknownZone("Europe/Lundon".into()))
        );
        assert_eq!(
            Zone::named("America/New_York").unwrap().name(),
            "America/New_York"
        );
    }

    fn week() -> OpeningHours {
        serde_yaml_ng::from_str(
            "time_zone: Europe/London\nmonday: 09:00-19:00\ntuesday: 09:00-13:00, 14:00-19:00\nwednesday: 09:00-19:00\nthursday: 09:00-19:00\nfriday: 09:00-19:00\nsaturday: [10:00-14:00]\nsunday: closed\nholidays:\n  2026-12-24: 09:00-13:00\n  2026-12-25: closed\n",
        )
        .expect("week")
    }

    #[test]
    fn holidays_replace_their_weekday() {
        let week = week();
        assert_eq!(week.on(date(2026, 12, 24)).0.to_string(), "09:00–13:00");
        assert!(week.on(date(2026, 12, 24)).1);
        assert!(week.on(date(2026, 12, 25)).0.is_closed());
        assert_eq!(week.on(date(2026, 12, 23)), (&week.wednesday, false));
    }

    #[test]
    fn open_at_and_next_opening_read_the_wall_clock() {
        let week = week();
        let tuesday = date(2026, 12, 8);
        assert!(week.open_at(tuesday.at(12, 59, 0, 0)).is_some());
        assert_eq!(week.open_at(tuesday.at(13, 0, 0, 0)), None);
        assert_eq!(
            week.next_opening(tuesday.at(13, 30, 0, 0)),
            Some(tuesday.to_datetime(time(14, 0, 0, 0)))
        );
        // Thursday 24 closes early, Christmas is closed, Saturday opens at ten.
        assert_eq!(
            week.next_opening(date(2026, 12, 24).at(13, 0, 0, 0)),
            Some(date(2026, 12, 26).at(10, 0, 0, 0))
        );
    }

    #[test]
    fn a_clinic_never_open_has_no_next_opening() {
        let mut week = week();
        for weekday in [
            &mut week.monday,
            &mut week.tuesday,
            &mut week.wednesday,
            &mut week.thursday,
            &mut week.friday,
            &mut week.saturday,
        ] {
            *weekday = Day::default();
        }
        // Christmas Eve's short day was the last opening left.
        week.holidays.clear();
        assert_eq!(week.next_opening(date(2026, 12, 7).at(8, 0, 0, 0)), None);
    }
}
