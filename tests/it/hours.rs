//! Opening hours answered through what members and staff use: `faqbot ask`, `faqbot check`
//! and the bot on the fake Discord, for clinics in two time zones and across
//! daylight-saving changes.

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::discord::{HELP_CHANNEL, no_pings, spawn_bot_at, str_of};
use crate::support::fake_discord::{human, mention_bot};
use crate::support::{faqbot, folder};

/// A clinic's hours file with an `hours:` block; `{zone}` is its time zone. The section
/// about hours, which answers from the block cite, is the second one, on line 21.
const HOURS_FILE: &str = "---
title: Opening hours and location
hours:
  time_zone: {zone}
  monday: 09:00-19:00
  tuesday: 09:00-13:00, 14:00-19:00
  wednesday: 09:00-19:00
  thursday: 09:00-19:00
  friday: 09:00-19:00
  saturday: 10:00-14:00
  sunday: closed
  holidays:
    2026-12-24: 09:00-13:00
    2026-12-25: closed
---

## Where is the clinic?

At 12 Example Street, on the first floor.

## What are your opening hours?

Monday to Friday 09:00 to 19:00 (on Tuesdays closed for lunch from 13:00 to 14:00), Saturday 10:00 to 14:00, closed on Sundays.
";

const SESSION_FILE: &str = "## How long is a session?

A session lasts 60 or 90 minutes, including a few minutes to talk about how you feel.
";

const BOOKING_FILE: &str = "## How do I book a session?

Book online or at the front desk; the calendar shows the free appointments of each day.
";

/// A knowledge folder `kb` with the hours file for a clinic in `zone`.
fn clinic(zone: &str) -> tempfile::TempDir {
    let hours = HOURS_FILE.replace("{zone}", zone);
    folder(&[
        ("kb/opening-hours.md", hours.as_bytes()),
        ("kb/session-length.md", SESSION_FILE.as_bytes()),
        ("kb/booking.md", BOOKING_FILE.as_bytes()),
    ])
}

fn ask_at(dir: &tempfile::TempDir, at: &str, question: &str) -> assert_cmd::assert::Assert {
    faqbot(dir.path())
        .args([
            "ask",
            "--words-only",
            "--knowledge",
            "kb",
            "--at",
            at,
            question,
        ])
        .assert()
        .success()
}

#[test]
fn ask_answers_open_now_with_the_hours_passage_as_source() {
    let dir = clinic("Europe/London");
    ask_at(&dir, "2026-12-05T11:00:00Z", "are you open now?")
        .stdout(contains("Open now, until 14:00 today (Europe/London).\n"))
        .stdout(contains(
            "Opening hours and location › What are your opening hours?",
        ))
        .stdout(contains("Source: opening-hours.md, line 21"));
    ask_at(&dir, "2026-12-05T11:00:00Z", "Are you open on Sunday?").stdout(contains(
        "Closed on Sunday 6 December; we open Monday at 09:00 (Europe/London).",
    ));
    ask_at(&dir, "2026-12-07T12:00:00Z", "open on christmas eve?").stdout(contains(
        "Open on Thursday 24 December: 09:00–13:00, holiday hours (Europe/London).",
    ));
}

/// London's clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October:
/// 08:30 UTC is before opening on one side of each change and after it on the other.
#[test]
fn ask_follows_london_across_daylight_saving() {
    let dir = clinic("Europe/London");
    for (at, expected) in [
        (
            "2026-03-27T08:30:00Z",
            "Closed now; we open today at 09:00 (Europe/London).",
        ),
        (
            "2026-03-28T20:00:00Z",
            "Closed now; we open Monday at 09:00 (Europe/London).",
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
    ] {
        ask_at(&dir, at, "are you open now?").stdout(contains(expected));
    }
}

/// A clinic in New York, whose clocks go forward on Sunday 8 March 2026, answered the same
/// whatever zone the machine is in.
#[test]
fn ask_answers_in_the_clinics_own_time_zone() {
    let dir = clinic("America/New_York");
    for (at, expected) in [
        (
            "2026-03-06T13:30:00Z",
            "Closed now; we open today at 09:00 (America/New_York).",
        ),
        (
            "2026-03-09T13:30:00Z",
            "Open now, until 19:00 today (America/New_York).",
        ),
        (
            "2026-03-09T23:30:00Z",
            "Closed now; we open tomorrow at 09:00 (America/New_York).",
        ),
    ] {
        faqbot(dir.path())
            .env("TZ", "Asia/Tokyo")
            .args(["ask", "--words-only", "--knowledge", "kb", "--at", at])
            .arg("are you open now?")
            .assert()
            .success()
            .stdout(contains(expected));
    }
    // `--at` also takes the clinic's own wall-clock time with its zone.
    ask_at(
        &dir,
        "2026-03-09T09:30[America/New_York]",
        "what time do you close today?",
    )
    .stdout(contains(
        "Open today, Monday 9 March: 09:00–19:00 (America/New_York).",
    ));
}

#[test]
fn questions_that_are_not_about_opening_are_answered_as_before() {
    let dir = clinic("Europe/London");
    for (question, source) in [
        ("How long is a session?", "session-length.md"),
        // Names a day, but asks about free appointments: it goes to search, which finds the
        // booking section (on so small a folder, as a closest topic).
        ("can I book a session for Sunday?", "booking.md"),
    ] {
        ask_at(&dir, "2026-12-05T11:00:00Z", question)
            .stdout(contains(source))
            .stdout(contains("Open now").not())
            .stdout(contains("Closed").not());
    }
}

#[test]
fn ask_json_carries_the_hours_sentence() {
    let dir = clinic("Europe/London");
    let output = faqbot(dir.path())
        .args(["ask", "--json", "--words-only", "--knowledge", "kb"])
        .args(["--at", "2026-12-05T11:00:00Z", "are you open now?"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["hours"],
        "Open now, until 14:00 today (Europe/London)."
    );
    assert_eq!(json["answered"], true);
    assert_eq!(json["results"][0]["source"], "opening-hours.md");
    assert_eq!(json["results"][0]["line"], 21);
}

#[test]
fn check_points_at_a_bad_hours_line_and_names_good_hours() {
    let dir = clinic("Europe/London");
    faqbot(dir.path())
        .args(["check", "kb"])
        .assert()
        .success()
        .stdout(contains(
            "Opening hours: from opening-hours.md (Europe/London)",
        ));
    let bad = HOURS_FILE
        .replace("{zone}", "Europe/London")
        .replace("tuesday: 09:00-13:00, 14:00-19:00", "tuesday: 9-5");
    std::fs::write(dir.path().join("kb/opening-hours.md"), bad).unwrap();
    faqbot(dir.path())
        .args(["check", "kb"])
        .assert()
        .code(1)
        .stdout(contains(
            "kb/opening-hours.md:6: error: front matter: hours.tuesday: \"9\" is not a time",
        ));
    let bad = HOURS_FILE.replace("{zone}", "Europe/Lundon");
    std::fs::write(dir.path().join("kb/opening-hours.md"), bad).unwrap();
    faqbot(dir.path())
        .args(["check", "kb"])
        .assert()
        .code(1)
        .stdout(contains(
            "kb/opening-hours.md:4: error: front matter: hours.time_zone: \"Europe/Lundon\" is not a time zone name",
        ));
}

/// The bot on the fake Discord: `/ask` and a mention are answered with the hours sentence
/// and the hours passage as source, pinging no one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_opening_questions_from_the_hours() {
    let dir = clinic("Europe/London");
    let knowledge = dir.path().join("kb");
    let now = "2026-03-30T08:30:00Z".parse().unwrap();
    let test = spawn_bot_at(now, |settings| settings.knowledge_dir = knowledge).await;
    let callback = test.ask("are you open now?", &human("ana")).await;
    let data = &callback["data"];
    no_pings(data);
    let embed = &data["embeds"][0];
    let description = str_of(&embed["description"]);
    assert!(
        description.starts_with("**Open now, until 19:00 today (Europe/London).**\n\n"),
        "{description}"
    );
    assert!(
        description.contains("Monday to Friday 09:00 to 19:00"),
        "{description}"
    );
    assert_eq!(embed["title"], "What are your opening hours?");
    assert!(
        str_of(&embed["footer"]["text"]).contains("opening-hours.md, line 21"),
        "{embed}"
    );
    let reply = test
        .reply_to(mention_bot(HELP_CHANNEL, &human("ben"), "open on sunday?"))
        .await;
    no_pings(&reply.body);
    let description = str_of(&reply.body["embeds"][0]["description"]);
    assert!(
        description.starts_with(
            "**Closed on Sunday 5 April; we open on Monday 6 April at 09:00 (Europe/London).**"
        ),
        "{description}"
    );
    // Not about opening: answered from the knowledge as before.
    let callback = test.ask("how long is a session?", &human("cy")).await;
    let embed = &callback["data"]["embeds"][0];
    assert!(
        !str_of(&embed["description"]).contains("Open now"),
        "{embed}"
    );
    assert!(
        str_of(&embed["footer"]["text"]).contains("session-length.md"),
        "{embed}"
    );
    test.stop().await;
}

/// A clinic in New York on the Monday after its clocks went forward, asked from Discord.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_in_the_clinics_time_zone() {
    let dir = clinic("America/New_York");
    let knowledge = dir.path().join("kb");
    let now = "2026-03-09T13:30:00Z".parse().unwrap();
    let test = spawn_bot_at(now, |settings| settings.knowledge_dir = knowledge).await;
    let callback = test.ask("r u open?", &human("dee")).await;
    let description = str_of(&callback["data"]["embeds"][0]["description"]);
    assert!(
        description.starts_with("**Open now, until 19:00 today (America/New\\_York).**"),
        "{description}"
    );
    test.stop().await;
}

/// Two files with hours: the first by path answers, the other is a warning on `check`.
#[test]
fn a_second_hours_block_is_a_warning_and_the_first_answers() {
    let london = HOURS_FILE.replace("{zone}", "Europe/London");
    let new_york = HOURS_FILE.replace("{zone}", "America/New_York");
    let dir = folder(&[
        ("kb/a-hours.md", london.as_bytes()),
        ("kb/b-hours.md", new_york.as_bytes()),
    ]);
    let base = faqbot::knowledge::KnowledgeBase::load(&dir.path().join("kb")).unwrap();
    let warnings: Vec<String> = base.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec![
            "b-hours.md:1: warning: front matter: the opening hours are already given in a-hours.md, and only those are used: keep the hours in one file"
        ]
    );
    let (source, hours) = base.hours().expect("hours");
    assert_eq!(
        (source, hours.time_zone.name()),
        ("a-hours.md", "Europe/London")
    );
}
