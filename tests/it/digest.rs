//! The weekly staff digest through the fake Discord: what it counts (a week with a
//! daylight-saving change, in a clinic far from UTC), that it pings nobody and fits Discord's
//! limits, that its *Link to an answer* buttons work after the bot restarted, and that a post
//! Discord refused is given back to be tried again.

use std::sync::Arc;
use std::time::SystemTime;

use faqbot::config::{DigestSchedule, Settings};
use faqbot::hours::Zone;
use faqbot::records::{Asked, Channel, MemoryRecords, Records};
use serde_json::Value;

use crate::discord::{
    STAFF_CHANNEL, no_pings, posts_to_staff, spawn_bot_with, staff_posts, staff_press, str_of,
};
use crate::support::fake_discord::human;

/// A clinic in New York whose digest comes on Mondays at 09:00.
fn new_york_digest(settings: &mut Settings, knowledge: &std::path::Path) {
    settings.knowledge_dir = knowledge.to_path_buf();
    settings.staff.channel_id = Some(STAFF_CHANNEL);
    settings.staff.review_after_days = std::num::NonZeroU32::new(365).expect("365");
    settings.staff.digest = Some(DigestSchedule {
        at: "monday 09:00".parse().expect("a weekly moment"),
        zone: Zone::named("America/New_York").expect("a zone"),
    });
}

fn at(text: &str) -> jiff::Timestamp {
    text.parse::<jiff::Zoned>().expect(text).timestamp()
}

fn when(text: &str) -> SystemTime {
    SystemTime::from(at(text))
}

fn asked(question: &str, at: &str, answered: bool) -> Asked {
    Asked {
        answered,
        ..Asked::unanswered(question, when(at), Channel::Command)
    }
}

/// A knowledge folder with one placeholder and one file not reviewed for years.
fn knowledge() -> tempfile::TempDir {
    crate::support::folder(&[
        (
            "hours.md",
            b"---\nlast_reviewed: 2026-10-01\n---\n## When are you open?\n\nWe open at nine on weekdays. Call {{FILL IN: phone number}}.\n",
        ),
        (
            "prices.md",
            b"---\nlast_reviewed: 2019-01-01\n---\n## How much is a massage?\n\nAn hour costs sixty pounds.\n",
        ),
    ])
}

/// Characters Discord counts against an embed's 6,000.
fn embed_chars(embed: &Value) -> usize {
    let text = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    text(&embed["title"])
        + text(&embed["description"])
        + text(&embed["footer"]["text"])
        + embed["fields"].as_array().map_or(0, |fields| {
            fields
                .iter()
                .map(|f| text(&f["name"]) + text(&f["value"]))
                .sum()
        })
}

fn field<'a>(embed: &'a Value, name: &str) -> &'a str {
    embed["fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| str_of(&f["name"]).starts_with(name)))
        .map(|f| str_of(&f["value"]))
        .unwrap_or_else(|| panic!("no field {name}: {embed}"))
}

/// New York's clocks went back at 02:00 on Sunday 1 November 2026, so the week from Monday
/// 26 October 09:00 to Monday 2 November 09:00 has 169 hours; each question just inside or
/// outside it is counted where it belongs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_of_a_week_with_a_clock_change_counts_its_own_questions() {
    let records = Arc::new(MemoryRecords::default());
    let nasty = "do you do **reiki** [here](https://evil.example) @everyone <@&777>?";
    for (question, at, answered) in [
        // The Monday before, a minute early: last week's.
        (
            "do you do reiki?",
            "2026-10-26T08:59[America/New_York]",
            false,
        ),
        (
            "do you do reiki?",
            "2026-10-26T09:00[America/New_York]",
            false,
        ),
        // 01:30 came twice that Sunday: both are in the week.
        (
            "do you do reiki?",
            "2026-11-01T01:30-04:00[America/New_York]",
            false,
        ),
        (nasty, "2026-11-01T01:30-05:00[America/New_York]", false),
        (
            "can massage cure arthritis?",
            "2026-10-28T12:00[America/New_York]",
            false,
        ),
        (
            "can massage cure arthritis",
            "2026-10-29T12:00[America/New_York]",
            false,
        ),
        ("", "2026-10-27T12:00[America/New_York]", true),
        ("", "2026-10-30T12:00[America/New_York]", true),
        ("", "2026-11-02T08:59:59-05:00[America/New_York]", true),
        // The digest's own moment starts the next week.
        (
            "do you do reiki?",
            "2026-11-02T09:00[America/New_York]",
            false,
        ),
        ("", "2026-11-02T09:00[America/New_York]", true),
    ] {
        records.asked(asked(question, at, answered));
    }
    let long = format!("do you sell gift vouchers{}?", " please".repeat(200));
    for question in [
        long.as_str(),
        "is there parking nearby?",
        "can i bring my dog?",
        "do you have a sauna?",
        "do you offer acupuncture?",
    ] {
        records.asked(asked(question, "2026-10-31T10:00[America/New_York]", false));
    }
    records.asked(Asked {
        escalated: true,
        ..asked(
            "can massage cure arthritis?",
            "2026-10-29T12:05[America/New_York]",
            false,
        )
    });
    let knowledge = knowledge();
    let dir = knowledge.path().to_path_buf();
    // Monday 2 November, 10:00 in New York: the digest was due an hour ago.
    let test = spawn_bot_with(
        Arc::clone(&records),
        at("2026-11-02T10:00[America/New_York]"),
        move |s| new_york_digest(s, &dir),
    )
    .await;
    let post = test.fake.wait_request(posts_to_staff).await;
    no_pings(&post.body);
    let embed = &post.body["embeds"][0];
    assert_eq!(
        embed["title"],
        "Weekly digest: Monday 26 October – Monday 2 November, 09:00 (America/New_York)"
    );
    // Not answered in the week: 2 reiki, the one with Markdown, 2 arthritis and 5 others;
    // answered: 3. The arthritis question sent to staff is a mark, not another question.
    assert_eq!(
        embed["description"],
        "**Questions**: 13 asked · 3 answered · 10 declined · 1 sent to staff"
    );
    let gaps = field(embed, "Most asked without a good answer");
    let lines: Vec<&str> = gaps.lines().collect();
    assert_eq!(lines[0], "1. 2× do you do reiki?", "{gaps}");
    assert_eq!(lines[1], "2. 2× can massage cure arthritis?", "{gaps}");
    assert_eq!(lines.len(), 6, "five, then how many more: {gaps}");
    assert_eq!(lines[5], "… and 3 more", "{gaps}");
    // Members' words are shown as typed, never rendered as Markdown.
    assert!(lines[2].contains(r"\*\*reiki\*\*"), "{gaps}");
    assert!(!gaps.contains("**reiki**"), "{gaps}");
    assert!(field(embed, "Files due for review").contains("prices.md (last reviewed 2019-01-01)"));
    assert!(!field(embed, "Files due for review").contains("hours.md"));
    assert_eq!(field(embed, "Placeholders left: 1"), "• hours.md: line 6");
    assert!(embed_chars(embed) <= 6000, "{}", embed_chars(embed));
    for field in embed["fields"].as_array().expect("fields") {
        assert!(str_of(&field["value"]).chars().count() <= 1024, "{field}");
    }
    let buttons = post.body["components"][0]["components"]
        .as_array()
        .expect("a row of buttons");
    let labels: Vec<&str> = buttons.iter().map(|b| str_of(&b["label"])).collect();
    assert_eq!(
        labels,
        (1..=5)
            .map(|n| format!("Link {n} to an answer"))
            .collect::<Vec<_>>()
    );
    // The week is marked posted: the records refuse it again.
    let end = when("2026-11-02T09:00[America/New_York]");
    assert_eq!(records.claim_digest(end).expect("records"), None);
    assert_eq!(staff_posts(&test.fake).len(), 1);

    // Staff press "Link 2" and get the closest sections for the arthritis question.
    let link = str_of(&buttons[1]["custom_id"]).to_string();
    let staff = human("sam");
    let told = test.callback_of(staff_press(&link, &staff)).await;
    let text = str_of(&told["data"]["content"]);
    assert!(
        text.starts_with("Which section answers \"can massage cure arthritis"),
        "{told}"
    );
    // A member who is not staff gets a refusal, not the sections.
    let member = human("mo");
    let refused = test
        .callback_of(crate::support::fake_discord::button(
            &link,
            crate::discord::bot_message(),
            &member,
        ))
        .await;
    assert!(str_of(&refused["data"]["content"]).starts_with("Sorry, only clinic staff"));
    test.stop().await;
}

/// The buttons name the question itself, not something the bot keeps in memory: pressed
/// after a restart, one still finds its question, and one whose question staff answered
/// meanwhile says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_buttons_still_work_after_a_restart() {
    let records = Arc::new(MemoryRecords::default());
    for at in [
        "2026-10-27T10:00[America/New_York]",
        "2026-10-28T10:00[America/New_York]",
    ] {
        records.asked(asked("do you do reiki?", at, false));
    }
    records.asked(asked(
        "can massage cure arthritis?",
        "2026-10-28T11:00[America/New_York]",
        false,
    ));
    let knowledge = knowledge();
    let now = at("2026-11-02T10:00[America/New_York]");
    let dir = knowledge.path().to_path_buf();
    let first = spawn_bot_with(Arc::clone(&records), now, move |s| new_york_digest(s, &dir)).await;
    let post = first.fake.wait_request(posts_to_staff).await;
    first.stop().await;
    let ids: Vec<String> = post.body["components"][0]["components"]
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| str_of(&b["custom_id"]).to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    records
        .resolve(&["can massage cure arthritis?".to_string()])
        .expect("resolved");

    // The same records a restart would read; the week is posted already, so no second post.
    let dir = knowledge.path().to_path_buf();
    let second = spawn_bot_with(Arc::clone(&records), now, move |s| new_york_digest(s, &dir)).await;
    let staff = human("sam");
    let reiki = second.callback_of(staff_press(&ids[0], &staff)).await;
    assert!(
        str_of(&reiki["data"]["content"]).starts_with("Which section answers \"do you do reiki?\""),
        "{reiki}"
    );
    let answered = second.callback_of(staff_press(&ids[1], &staff)).await;
    assert!(
        str_of(&answered["data"]["content"])
            .starts_with("That question is no longer in the gap report"),
        "{answered}"
    );
    assert!(staff_posts(&second.fake).is_empty());
    second.stop().await;
}

/// Discord refused the post (the bot lost access to the staff channel): the week is given
/// back, so the digest is posted once it can be instead of never.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_discord_refused_is_given_back() {
    let records = Arc::new(MemoryRecords::default());
    let knowledge = knowledge();
    let dir = knowledge.path().to_path_buf();
    let fake = crate::support::fake_discord::FakeDiscord::start().await;
    fake.fail_channel(STAFF_CHANNEL, 403, 1);
    let test = crate::discord::spawn_bot_on(
        fake,
        faqbot::hours::Clock::Fixed(at("2026-11-04T10:00[America/New_York]")),
        Arc::clone(&records),
        move |s| new_york_digest(s, &dir),
    )
    .await;
    let refused = test.fake.wait_request(posts_to_staff).await;
    assert_eq!(refused.status, 403);
    let end = when("2026-11-02T09:00[America/New_York]");
    // Giving back follows the refusal; wait for it rather than for a fixed time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if records.claim_digest(end).expect("records").is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the week was never given back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    test.stop().await;
}
