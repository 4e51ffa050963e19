//! Whether a member's question is about the clinic being open, and for when.
//!
//! Recognising must be precise rather than eager: a question about massage that happens to
//! name a day ("can I book for Sunday?") is answered from the knowledge as before, because
//! booking depends on free appointments, not only on the hours. A question counts when it
//! has a word about opening or closing, says whose opening it means (you, the clinic, or
//! starts with the word itself: "open on Sunday?"), and says when, or asks in a shape that
//! means now or today ("are you open?", "what time do you close?").

use jiff::civil::Weekday;

/// When a member asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// This moment: "are you open now?"
    Now,
    /// One day.
    Day(When),
    /// A weekday in general: "are you open on Sundays?"
    Weekly(Weekday),
}

/// A day, as members name it; which date it is depends on today in the clinic's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Today.
    Today,
    /// Tomorrow.
    Tomorrow,
    /// The next such weekday, today included.
    Next(Weekday),
    /// A day of a month, in the year given or the next time it comes.
    Date {
        /// 1 to 12.
        month: i8,
        /// 1 to 31.
        day: i8,
        /// When written.
        year: Option<i16>,
    },
}

/// Words that ask about opening or closing. "Openings" is not among them: it asks about free
/// appointments.
const OPENING_WORDS: &[&str] = &[
    "open", "opens", "opening", "close", "closes", "closing", "closed", "shut", "shuts",
];
/// Words that say the clinic is the one opening, not a window or a member's eyes.
const CLINIC_WORDS: &[&str] = &[
    "you", "u", "ya", "yall", "youre", "your", "clinic", "it", "its", "we", "studio", "spa",
];
/// Times the hours cannot honestly be worked out for (a weekend is two days, Easter and bank
/// holidays move, the past is past): such questions get the hours passage, as before.
const NOT_WORKED_OUT: &[&str] = &[
    "weekend",
    "weekends",
    "week",
    "month",
    "easter",
    "bank",
    "holiday",
    "holidays",
    "thanksgiving",
    "yesterday",
    "last",
];
/// Parts of a day: "are you open in the evening?" does not mean now, nor "at 8pm", so without
/// a day named they are not worked out either.
const PARTS_OF_DAY: &[&str] = &[
    "morning",
    "mornings",
    "afternoon",
    "afternoons",
    "evening",
    "evenings",
    "night",
    "nights",
    "lunch",
    "lunchtime",
    "late",
    "early",
];
/// Days with fixed dates that members name rather than date: honest to answer, because the
/// date never moves (Easter, which does, is not among them).
const NAMED_DAYS: &[(&[&str], i8, i8)] = &[
    (&["christmas", "eve"], 12, 24),
    (&["xmas", "eve"], 12, 24),
    (&["christmas", "day"], 12, 25),
    (&["xmas", "day"], 12, 25),
    (&["boxing", "day"], 12, 26),
    (&["new", "years", "eve"], 12, 31),
    (&["new", "years", "day"], 1, 1),
    (&["christmas"], 12, 25),
    (&["xmas"], 12, 25),
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// What `question` asks about the clinic's opening, or `None` when it is not about that.
pub fn read(question: &str) -> Option<Asked> {
    let words = words(question);
    let has = |word: &str| words.iter().any(|w| w == word);
    let about_opening = words.iter().enumerate().any(|(at, word)| {
        OPENING_WORDS.contains(&word.as_str())
            // "your hours", "opening hours": the clinic's hours; "two hours" is a duration.
            || (word == "hours"
                && at > 0
                && ["your", "opening", "the", "clinic"].contains(&words[at - 1].as_str()))
    });
    let first = words.first().map(String::as_str).unwrap_or_default();
    let whose = words.iter().any(|w| CLINIC_WORDS.contains(&w.as_str()))
        || OPENING_WORDS.contains(&first)
        || first == "hours";
    let unsure = words.iter().any(|w| NOT_WORKED_OUT.contains(&w.as_str()));
    if !about_opening || !whose || unsure {
        return None;
    }
    if let Some(asked) = when(&words) {
        return Some(asked);
    }
    // A time of day or a date without its month ("8pm", "the 24th") is not now either.
    let other_time = words
        .iter()
        .any(|w| PARTS_OF_DAY.contains(&w.as_str()) || w.bytes().any(|b| b.is_ascii_digit()));
    if other_time {
        return None;
    }
    // Without a day: "are you open?" means now, "what time do you close?" today; "when are
    // you open?" asks for the week, which the passage lists.
    let present = (["are", "r", "is", "you", "u"].contains(&first) || has("still")) && has("open");
    let closing_time = (has("what") && has("time") || first == "when")
        && (has("do") || has("does"))
        && words
            .iter()
            .any(|w| ["open", "close", "shut", "opens", "closes", "shuts"].contains(&w.as_str()));
    if present {
        Some(Asked::Now)
    } else if closing_time {
        Some(Asked::Day(When::Today))
    } else {
        None
    }
}

/// The question's words, lowercased, apostrophes dropped ("year's" is "years"), ordinals'
/// endings dropped ("24th" is "24").
fn words(question: &str) -> Vec<String> {
    question
        .to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .flat_map(|word| {
            // An ISO date stays whole; other hyphens join nothing ("step-free").
            if word.parse::<jiff::civil::Date>().is_ok() {
                vec![word.to_string()]
            } else {
                word.split('-').map(str::to_string).collect()
            }
        })
        .filter(|word| !word.is_empty())
        .map(|word| {
            let ordinal = ["st", "nd", "rd", "th"]
                .iter()
                .find_map(|end| word.strip_suffix(end))
                .filter(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()));
            ordinal.map_or(word.clone(), str::to_string)
        })
        .collect()
}

/// The time the words name, the first that does.
fn when(words: &[String]) -> Option<Asked> {
    for (at, word) in words.iter().enumerate() {
        let word = word.as_str();
        match word {
            "now" | "currently" => return Some(Asked::Now),
            "today" | "tonight" => return Some(Asked::Day(When::Today)),
            "tomorrow" | "tmrw" | "tmr" | "tomorow" => return Some(Asked::Day(When::Tomorrow)),
            _ => {}
        }
        if let Ok(date) = word.parse::<jiff::civil::Date>() {
            return Some(Asked::Day(When::Date {
                month: date.month(),
                day: date.day(),
                year: Some(date.year()),
            }));
        }
        if let Some(weekday) = super::weekday_named(word) {
            return Some(Asked::Day(When::Next(weekday)));
        }
        if let Some(weekday) = word.strip_suffix('s').and_then(super::weekday_named) {
            return Some(Asked::Weekly(weekday));
        }
        for (names, month, day) in NAMED_DAYS {
            if starts_with(&words[at..], names) {
                return Some(Asked::Day(When::Date {
                    month: *month,
                    day: *day,
                    year: None,
                }));
            }
        }
        if let Some(month) = month(word) {
            let day = |at: Option<usize>| {
                at.and_then(|at| words.get(at))
                    .and_then(|w| w.parse::<i8>().ok())
                    .filter(|day| (1..=31).contains(day))
            };
            // "24 December", "24 of December", "December 24".
            let before = at
                .checked_sub(1)
                .filter(|&b| words[b] != "of")
                .or_else(|| at.checked_sub(2).filter(|&b| words[b + 1] == "of"));
            if let Some(day) = day(before).or_else(|| day(Some(at + 1))) {
                let year = words
                    .iter()
                    .skip(at + 1)
                    .take(2)
                    .find_map(|w| w.parse::<i16>().ok().filter(|y| *y >= 1000));
                return Some(Asked::Day(When::Date { month, day, year }));
            }
        }
    }
    None
}

/// A month by its name or its three-letter short form ("dec"); "may" only in full, and
/// short forms never clash with a word a member writes ("mar" aside, which is harmless here).
fn month(word: &str) -> Option<i8> {
    MONTHS
        .iter()
        .position(|name| *name == word || (word.len() == 3 && name.starts_with(word)))
        .and_then(|index| i8::try_from(index + 1).ok())
}

fn starts_with(words: &[String], prefix: &[&str]) -> bool {
    words.len() >= prefix.len() && words.iter().zip(prefix).all(|(word, want)| word == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_opening_are_read_with_their_day() {
        let cases = [
            ("Are you open now?", Asked::Now),
            ("r u open?", Asked::Now),
            ("is the clinic still open", Asked::Now),
            ("you still open?", Asked::Now),
            (
                "are you open late on thursdays",
                Asked::Weekly(Weekday::Thursday),
            ),
            ("Open on Sunday?", Asked::Day(When::Next(Weekday::Sunday))),
            ("are you open on sundays", Asked::Weekly(Weekday::Sunday)),
            ("What time do you close today?", Asked::Day(When::Today)),
            ("what time do you close?", Asked::Day(When::Today)),
            ("when do you open", Asked::Day(When::Today)),
            ("Are you open tomorrow", Asked::Day(When::Tomorrow)),
            ("closed tomorrow?", Asked::Day(When::Tomorrow)),
            (
                "Open on 24 December?",
                Asked::Day(When::Date {
                    month: 12,
                    day: 24,
                    year: None,
                }),
            ),
            (
                "are you open on december 24th 2027",
                Asked::Day(When::Date {
                    month: 12,
                    day: 24,
                    year: Some(2027),
                }),
            ),
            (
                "is the clinic open on the 31st of dec?",
                Asked::Day(When::Date {
                    month: 12,
                    day: 31,
                    year: None,
                }),
            ),
            (
                "open on christmas eve?",
                Asked::Day(When::Date {
                    month: 12,
                    day: 24,
                    year: None,
                }),
            ),
            (
                "are you open on new year's day",
                Asked::Day(When::Date {
                    month: 1,
                    day: 1,
                    year: None,
                }),
            ),
            (
                "are you open on 2026-12-24?",
                Asked::Day(When::Date {
                    month: 12,
                    day: 24,
                    year: Some(2026),
                }),
            ),
            (
                "what are your hours on saturday",
                Asked::Day(When::Next(Weekday::Saturday)),
            ),
        ];
        for (question, expected) in cases {
            assert_eq!(read(question), Some(expected), "{question}");
        }
    }

    /// The other side: questions that are not about the clinic's hours keep their answers
    /// from the knowledge. "Can I book for Sunday?" names a day but asks about booking, which
    /// depends on free appointments; the booking passage says how to find them.
    #[test]
    fn other_questions_are_left_alone() {
        for question in [
            "What happens during a therapeutic massage?",
            "Can massage help me sleep?",
            "How long is a session?",
            "Can I book for Sunday?",
            "do you have any openings tomorrow?",
            "should I keep my eyes closed during the massage today?",
            "how many hours after a massage can I shower today?",
            "is the clinic close to the station?",
            "What are your opening hours?",
            "When are you open?",
            "can i cancel on monday",
            "is it safe to get a massage in may",
            "are you open on the 24th?",
            "are you open this weekend?",
            "are you open on easter monday?",
            "are you open in the evening?",
            "are you open at 8pm?",
            "were you open last sunday?",
        ] {
            assert_eq!(read(question), None, "{question}");
        }
    }
}
