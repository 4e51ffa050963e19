//! Posting the weekly digest ([`crate::digest`]) in the staff channel, once per week.
//!
//! The records hold the end of the last week whose digest was posted, and a week is claimed
//! there before it is posted, so a restart (or a second bot on the same data) never posts it
//! twice; a post Discord refused gives the week back, and it is tried again later. A bot
//! that was stopped when the digest was due posts it when it comes back, within that week.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tracing::{info, warn};

use super::format::{self, EMBED_FIELD_CHARS, EMBED_TITLE_CHARS};
use crate::config::DigestSchedule;
use crate::digest::{Digest, TOP};
use crate::live::LiveKnowledge;
use crate::records::Records;

/// How long after a failed post (Discord unreachable, the channel gone) it is tried again.
const RETRY: Duration = Duration::from_secs(10 * 60);
/// The longest the scheduler sleeps between looks at the clock: a machine's clock can jump
/// (a suspended laptop, a corrected clock), and the digest should not wait a week for it.
const LOOK_EVERY: Duration = Duration::from_secs(60 * 60);
/// The digest's colour: the answers' green, a shade darker, so staff tell it apart.
const DIGEST_COLOUR: u32 = 0x2d5f47;

/// Posts the digest to `channel` every week by `schedule`, until the bot stops.
pub(crate) async fn post_weekly(
    http: Arc<serenity::Http>,
    channel: serenity::ChannelId,
    schedule: DigestSchedule,
    records: Arc<dyn Records>,
    knowledge: Arc<LiveKnowledge>,
) {
    let clock = knowledge.clock();
    let mut told = None;
    loop {
        let now = clock.now();
        let period = crate::digest::period(&schedule, now);
        let end = crate::digest::system_time(&period.end);
        let wait = match post_once(&http, channel, &records, &knowledge, period.clone()).await {
            Ok(true) => {
                info!(week_ending = %period.end, "weekly digest posted in the staff channel");
                None
            }
            Ok(false) => {
                // Once per week in the log, not at every look at the clock.
                if told != Some(end) {
                    info!(week_ending = %period.end, "weekly digest already posted for this week");
                }
                None
            }
            Err(err) => {
                warn!(error = %err, week_ending = %period.end, retry_in_minutes = RETRY.as_secs() / 60, "could not post the weekly digest; trying again later");
                Some(RETRY)
            }
        };
        told = Some(end);
        let until_next = schedule
            .at
            .next(now, schedule.zone.zone())
            .timestamp()
            .duration_since(clock.now());
        let until_next = Duration::try_from(until_next).unwrap_or_default();
        let sleep = wait.unwrap_or(until_next).min(LOOK_EVERY);
        tokio::time::sleep(sleep.max(Duration::from_secs(1))).await;
    }
}

/// Claims the week, gathers its digest and posts it; gives the week back if the post fails.
/// `Ok(false)`: it was posted already.
async fn post_once(
    http: &serenity::Http,
    channel: serenity::ChannelId,
    records: &Arc<dyn Records>,
    knowledge: &Arc<LiveKnowledge>,
    period: crate::hours::Period,
) -> Result<bool, super::DiscordError> {
    let end = crate::digest::system_time(&period.end);
    let claimed = tokio::task::spawn_blocking({
        let (records, knowledge) = (Arc::clone(records), Arc::clone(knowledge));
        move || -> Result<_, crate::records::RecordsError> {
            let Some(claim) = records.claim_digest(end)? else {
                return Ok(None);
            };
            match Digest::gather(records.as_ref(), period, &knowledge.status()) {
                Ok(digest) => Ok(Some((claim, digest))),
                Err(err) => {
                    records.release_digest(claim)?;
                    Err(err)
                }
            }
        }
    })
    .await??;
    let Some((claim, digest)) = claimed else {
        return Ok(false);
    };
    let message = serenity::CreateMessage::new()
        .embed(embed(&digest))
        .components(format::link_wording_buttons(&wording_ids(&digest)))
        .allowed_mentions(format::no_pings());
    if let Err(err) = channel.send_message(http, message).await {
        let records = Arc::clone(records);
        let give_back = tokio::task::spawn_blocking(move || records.release_digest(claim)).await?;
        if let Err(release) = give_back {
            warn!(%release, "could not give the week back; its digest will not be tried again");
        }
        return Err(err.into());
    }
    Ok(true)
}

/// The ids the digest's "Link" buttons carry: each gap's most used wording.
fn wording_ids(digest: &Digest) -> Vec<u64> {
    digest
        .gaps
        .iter()
        .map(|gap| crate::records::report::wording_id(&gap.example))
        .collect()
}

/// The digest as an embed, within Discord's limits: each list is cut to what a field holds,
/// saying how many more there are, and members' words are shown as typed, never as Markdown.
pub(crate) fn embed(digest: &Digest) -> serenity::CreateEmbed {
    let gaps: Vec<String> = digest
        .gaps
        .iter()
        .enumerate()
        .map(|(rank, gap)| {
            format!(
                "{}. {}× {}",
                rank + 1,
                gap.count,
                format::escape_markdown(&gap.example)
            )
        })
        .collect();
    let gaps = within(
        gaps,
        digest.all_gaps - digest.gaps.len(),
        "None: members found an answer every time.",
    );
    let not_helpful = digest
        .not_helpful
        .iter()
        .map(|v| {
            // Counts first: a line cut to fit loses the end of the file name, not them.
            format!(
                "• {} not helpful, {} helpful: {}",
                v.not_helpful,
                v.helpful,
                format::escape_markdown(&v.source)
            )
        })
        .collect();
    let due = digest
        .due_for_review
        .iter()
        .map(|(file, date)| format!("• {} (last reviewed {date})", format::escape_markdown(file)))
        .collect();
    let placeholders = digest
        .placeholders
        .iter()
        .map(|(file, lines)| {
            format!(
                "• {}: line {}",
                format::escape_markdown(file),
                crate::knowledge::listed_lines(lines)
            )
        })
        .collect();
    let footer = if digest.gaps.is_empty() {
        "/kb unanswered lists every question the bot could not answer."
    } else {
        "Link a question to the section that answers it with the buttons below (or /kb teach); /kb unanswered lists them all."
    };
    serenity::CreateEmbed::new()
        .footer(serenity::CreateEmbedFooter::new(footer))
        .title(format::fit(
            &format!("Weekly digest: {}", digest.week()),
            EMBED_TITLE_CHARS,
        ))
        .description(format!("**Questions**: {}", digest.counts()))
        .colour(DIGEST_COLOUR)
        .field("Most asked without a good answer", gaps, false)
        .field(
            "Answers most marked “Not helpful”",
            within(not_helpful, 0, "None this week."),
            false,
        )
        .field("Files due for review", within(due, 0, "None."), false)
        .field(
            format!("Placeholders left: {}", digest.placeholders_left),
            within(placeholders, 0, "None."),
            false,
        )
}

/// `lines`, one under the other, as many as a field holds, then how many did not fit (and
/// `beyond` more that were never listed); `empty` when there are none.
fn within(lines: Vec<String>, beyond: usize, empty: &str) -> String {
    if lines.is_empty() && beyond == 0 {
        return empty.to_string();
    }
    let total = lines.len() + beyond;
    // Room kept for the last line, "… and 12345 more".
    const MORE_LINE: usize = 24;
    let mut out = String::new();
    let mut shown = 0;
    for line in lines {
        // One line may be as long as a member's question: cut it rather than drop the rest.
        let line = format::fit(&line, EMBED_FIELD_CHARS / TOP);
        let needed = line.chars().count() + usize::from(!out.is_empty());
        if out.chars().count() + needed > EMBED_FIELD_CHARS - MORE_LINE {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
        shown += 1;
    }
    if shown < total {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("… and {} more", total - shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::PassageVotes;
    use crate::records::report::Gap;

    /// A digest as large as a neglected clinic's: every list longer than a field holds, and
    /// every entry longer than a line.
    fn huge() -> Digest {
        let zone = "America/Argentina/ComodRivadavia";
        let period = crate::hours::Period {
            start: "2026-11-30T09:00[America/Argentina/ComodRivadavia]"
                .parse()
                .unwrap(),
            end: format!("2026-12-07T09:00[{zone}]").parse().unwrap(),
        };
        let long = "why ".repeat(600);
        let gap = |n: usize| Gap {
            example: format!("{n} {long} **bold** <@&1> @everyone"),
            count: 100 - n,
            not_helpful: 0,
            escalated: 0,
            wordings: Vec::new(),
            last_asked: std::time::SystemTime::now(),
            questions: Vec::new(),
        };
        Digest {
            period,
            tally: crate::records::Tally::default(),
            gaps: (0..TOP).map(gap).collect(),
            all_gaps: 4000,
            not_helpful: (0..TOP)
                .map(|n| PassageVotes {
                    source: format!("{n}-{}.md:12", "a-very-long-file-name".repeat(20)),
                    helpful: 1,
                    not_helpful: 9,
                })
                .collect(),
            due_for_review: (0..500)
                .map(|n| (format!("file-{n}.md"), jiff::civil::date(2019, 1, 1)))
                .collect(),
            placeholders: (0..500)
                .map(|n| (format!("file-{n}.md"), (1..200).collect()))
                .collect(),
            placeholders_left: 500 * 199,
        }
    }

    #[test]
    fn the_largest_digest_fits_discords_embed_limits() {
        let embed = serde_json::to_value(embed(&huge())).unwrap();
        let chars = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
        assert!(
            chars(&embed["title"]) <= EMBED_TITLE_CHARS,
            "{}",
            embed["title"]
        );
        assert!(chars(&embed["footer"]["text"]) <= 2048);
        let fields = embed["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 4);
        let mut total =
            chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
        for (n, field) in fields.iter().enumerate() {
            assert!(chars(&field["name"]) <= 256);
            let value = field["value"].as_str().unwrap();
            assert!(value.chars().count() <= EMBED_FIELD_CHARS, "{value}");
            // The five rated answers fit; the other lists say how many did not.
            let last = value.lines().last().unwrap();
            assert_eq!(last.contains("more"), n != 1, "{value}");
            total += chars(&field["name"]) + value.chars().count();
        }
        assert!(total <= format::EMBED_TOTAL_CHARS, "{total}");
        // Each question is cut, so all five show; none can ping or render.
        let gaps = fields[0]["value"].as_str().unwrap();
        assert_eq!(
            gaps.lines().filter(|l| l.contains(". ")).count(),
            TOP,
            "{gaps}"
        );
        assert!(gaps.ends_with("… and 3995 more"), "{gaps}");
        assert_eq!(fields[3]["name"], "Placeholders left: 99500");
        let rated = fields[1]["value"].as_str().unwrap();
        assert!(
            rated
                .lines()
                .all(|l| l.starts_with("• 9 not helpful, 1 helpful: ")),
            "{rated}"
        );
    }

    #[test]
    fn a_long_list_is_cut_with_how_many_more() {
        let lines: Vec<String> = (0..200)
            .map(|n| format!("• file-{n}.md: line 1, 2, 3"))
            .collect();
        let text = within(lines, 0, "None.");
        assert!(text.chars().count() <= EMBED_FIELD_CHARS, "{}", text.len());
        let shown = text.lines().filter(|l| l.starts_with('•')).count();
        assert!(
            text.ends_with(&format!("… and {} more", 200 - shown)),
            "{text}"
        );
        assert_eq!(within(Vec::new(), 0, "None."), "None.");
        assert_eq!(within(vec!["a".into()], 3, "None."), "a\n… and 3 more");
    }
}
