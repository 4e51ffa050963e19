//! Staff teach the bot from Discord: a group of unanswered questions from `/kb unanswered` is
//! linked to the section that answers it.
//!
//! "Link N to an answer" under the gap report offers the sections the engine finds closest;
//! `/kb teach` finds any section by its heading. Either way staff see exactly what the file
//! will say before Save, and Save writes only if the file is unchanged since that preview
//! ([`crate::teach`]). Then the knowledge reloads, the wording is answered at once, and the
//! group leaves the gap report. Every step checks again that the member is staff.

use poise::serenity_prelude as serenity;

use super::format::{self, ButtonAction, MESSAGE_CHARS};
use super::{Bot, Context, DiscordError, access, lock};
use crate::knowledge::same_heading;
use crate::records::report::Gap;
use crate::teach::Lesson;

/// Gaps offered a "Link" button: one row of buttons.
pub(crate) const LINKABLE_GAPS: usize = 5;
/// Sections suggested for a gap.
const SUGGESTED_SECTIONS: usize = 5;

/// A gap staff may link to an answer.
#[derive(Debug, Clone)]
pub(crate) struct PendingGap {
    example: String,
    /// The wordings that will be added (the most used first).
    wordings: Vec<String>,
    /// Every stored wording, to mark resolved.
    questions: Vec<String>,
    /// The sections suggested in the menu, as `(file, heading)`.
    sections: Vec<(String, String)>,
}

/// A previewed change waiting for Save or Cancel.
#[derive(Debug, Clone)]
pub(crate) struct PendingLesson {
    lesson: Lesson,
    questions: Vec<String>,
    staff: u64,
}

/// Remembers the first gaps of a report for their "Link" buttons; returns their ids.
pub(crate) fn offer(bot: &Bot, gaps: &[Gap]) -> Result<Vec<u64>, DiscordError> {
    let mut ids = Vec::new();
    for gap in gaps.iter().take(LINKABLE_GAPS) {
        let id = super::unguessable_id()?;
        lock(&bot.gaps).put(id, pending_gap(gap));
        ids.push(id);
    }
    Ok(ids)
}

fn pending_gap(gap: &Gap) -> PendingGap {
    PendingGap {
        example: gap.example.clone(),
        wordings: gap.wordings.clone(),
        questions: gap.questions.clone(),
        sections: Vec::new(),
    }
}

/// Link a question members asked to the section that answers it
#[poise::command(slash_command, guild_only, check = "access::is_staff")]
pub(crate) async fn teach(
    ctx: Context<'_>,
    #[description = "A question from /kb unanswered"]
    #[autocomplete = "autocomplete_gap"]
    question: String,
    #[description = "The section that answers it (type part of its heading)"]
    #[autocomplete = "autocomplete_section"]
    section: String,
) -> Result<(), DiscordError> {
    ctx.defer_ephemeral().await?;
    let bot = ctx.data();
    let records = std::sync::Arc::clone(&bot.records);
    let gaps = tokio::task::spawn_blocking(move || {
        records
            .unanswered(crate::records::report::since(3650))
            .map(|asked| crate::records::report::gaps(&asked))
    })
    .await??;
    let gap = gaps
        .iter()
        .find(|gap| {
            gap.questions
                .iter()
                .chain(&gap.wordings)
                .any(|q| same_heading(q, &question))
        })
        .map_or_else(
            || PendingGap {
                example: question.clone(),
                wordings: vec![question.clone()],
                questions: vec![question.clone()],
                sections: Vec::new(),
            },
            pending_gap,
        );
    let engine = bot.knowledge.engine();
    let Some((file, heading)) = find_section(&engine, &section) else {
        let text = format!(
            "I found no section \"{}\": pick one from the list as you type its heading.",
            format::escape_markdown(&section)
        );
        return reply(ctx, text, Vec::new()).await;
    };
    let (text, components) = preview(bot, &gap, &file, &heading, ctx.author().id.get()).await?;
    reply(ctx, text, components).await
}

async fn reply(
    ctx: Context<'_>,
    text: String,
    components: Vec<serenity::CreateActionRow>,
) -> Result<(), DiscordError> {
    let reply = poise::CreateReply::default()
        .content(format::fit(&text, MESSAGE_CHARS))
        .components(components)
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}

/// Suggests the gap report's questions as staff type.
async fn autocomplete_gap(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let records = std::sync::Arc::clone(&ctx.data().records);
    let typed = partial.to_lowercase();
    let examples = super::suggest_off_the_runtime("unanswered questions", move || {
        let since = crate::records::report::since(crate::records::report::DEFAULT_DAYS);
        records.unanswered(since).map(|asked| {
            crate::records::report::gaps(&asked)
                .into_iter()
                .map(|gap| gap.example)
                .filter(|example| example.to_lowercase().contains(&typed))
                .filter(|example| example.chars().count() <= format::CHOICE_CHARS)
                .collect::<Vec<_>>()
        })
    })
    .await;
    serenity::CreateAutocompleteResponse::new().set_choices(format::choices(examples))
}

/// Suggests sections by heading as staff type; the value is `FILE#HEADING` (cut to what
/// Discord allows, and found again by [`find_section`]).
async fn autocomplete_section(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().knowledge.engine();
    let typed = partial.to_lowercase();
    let choices: Vec<serenity::AutocompleteChoice> = sections(&engine)
        .into_iter()
        .filter(|(_, heading)| heading.to_lowercase().contains(&typed))
        .take(format::AUTOCOMPLETE_CHOICES)
        .map(|(file, heading)| {
            let value: String = format!("{file}#{heading}")
                .chars()
                .take(format::CHOICE_CHARS)
                .collect();
            serenity::AutocompleteChoice::new(
                format::fit(&format!("{heading} ({file})"), format::CHOICE_CHARS),
                value,
            )
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Every section with a heading, once, in the engine's order.
fn sections(engine: &crate::search::Engine) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    engine
        .passages()
        .iter()
        .filter_map(|p| Some((p.source.clone(), p.heading.clone()?)))
        .filter(|section| seen.insert(section.clone()))
        .collect()
}

/// The section `FILE#HEADING` names: the heading exactly (case aside), else the only one it
/// begins (an autocomplete value cut to Discord's length).
fn find_section(engine: &crate::search::Engine, value: &str) -> Option<(String, String)> {
    let (file, heading) = crate::teach::target(value).ok()?;
    let in_file: Vec<(String, String)> = sections(engine)
        .into_iter()
        .filter(|(source, _)| *source == file)
        .collect();
    if let Some(exact) = in_file.iter().find(|(_, h)| same_heading(h, &heading)) {
        return Some(exact.clone());
    }
    let lower = heading.to_lowercase();
    let mut starting = in_file
        .into_iter()
        .filter(|(_, h)| h.to_lowercase().starts_with(&lower));
    let first = starting.next()?;
    starting.next().is_none().then_some(first)
}

/// Plans linking `gap` to a section and says what will change, with Save and Cancel; or why
/// it cannot be done.
async fn preview(
    bot: &Bot,
    gap: &PendingGap,
    file: &str,
    heading: &str,
    member: u64,
) -> Result<(String, Vec<serenity::CreateActionRow>), DiscordError> {
    let dir = bot.knowledge.dir().to_path_buf();
    let (owned_file, owned_heading, wordings) =
        (file.to_string(), heading.to_string(), gap.wordings.clone());
    let planned = tokio::task::spawn_blocking(move || {
        crate::teach::plan(&dir, &owned_file, &owned_heading, &wordings)
    })
    .await?;
    let lesson = match planned {
        Ok(lesson) => lesson,
        Err(err) => return Ok((format!("I cannot link it there: {err}"), Vec::new())),
    };
    let mut text = format!(
        "**Preview**: \"{}\" will be answered from **{}** ({}).\nIts front matter will read:\n",
        format::escape_markdown(&gap.example),
        format::escape_markdown(heading),
        format::escape_markdown(file),
    );
    for line in &lesson.lines {
        text.push_str(&format!("> {}\n", format::escape_markdown(line.trim_end())));
    }
    text.push_str("Nothing else in the file changes. Save it?");
    let id = super::unguessable_id()?;
    lock(&bot.lessons).put(
        id,
        PendingLesson {
            lesson,
            questions: gap.questions.clone(),
            staff: member,
        },
    );
    Ok((text, format::lesson_buttons(id)))
}

/// The staff's presses: Link, a pick from the menu, Save and Cancel.
pub(crate) async fn on_press(
    ctx: &serenity::Context,
    bot: &Bot,
    press: &serenity::ComponentInteraction,
    action: ButtonAction,
) -> Result<(), DiscordError> {
    let member = press.user.id.get();
    if !access::member_is_staff(bot, press.member.as_ref()) {
        let refusal = serenity::CreateInteractionResponseMessage::new()
            .content("Sorry, only clinic staff can teach the bot.")
            .ephemeral(true)
            .allowed_mentions(format::no_pings());
        press
            .create_response(
                &ctx.http,
                serenity::CreateInteractionResponse::Message(refusal),
            )
            .await?;
        return Ok(());
    }
    let (new_message, text, components) = match action {
        ButtonAction::LinkGap(id) => {
            let (text, components) = suggest(bot, id).await?;
            (true, text, components)
        }
        ButtonAction::LinkWording(wording) => {
            let (text, components) = match gap_of_wording(bot, wording).await? {
                Some(gap) => {
                    let id = super::unguessable_id()?;
                    lock(&bot.gaps).put(id, pending_gap(&gap));
                    suggest(bot, id).await?
                }
                None => (ANSWERED.to_string(), Vec::new()),
            };
            (true, text, components)
        }
        ButtonAction::PickSection(id) => {
            let picked = match &press.data.kind {
                serenity::ComponentInteractionDataKind::StringSelect { values } => {
                    values.first().and_then(|value| value.parse::<usize>().ok())
                }
                _ => None,
            };
            let gap = lock(&bot.gaps).get(&id).cloned();
            match (gap, picked) {
                (Some(gap), Some(n)) if n < gap.sections.len() => {
                    let (file, heading) = gap.sections[n].clone();
                    let (text, components) = preview(bot, &gap, &file, &heading, member).await?;
                    (false, text, components)
                }
                _ => (false, GONE.to_string(), Vec::new()),
            }
        }
        ButtonAction::SaveLesson(id) => (false, save(bot, id, member).await?, Vec::new()),
        ButtonAction::CancelLesson(id) => {
            let taken = take(bot, id, member);
            let text = if taken.is_some() {
                "Cancelled; nothing was changed."
            } else {
                GONE
            };
            (false, text.to_string(), Vec::new())
        }
        _ => return Ok(()),
    };
    let message = serenity::CreateInteractionResponseMessage::new()
        .content(format::fit(&text, MESSAGE_CHARS))
        .components(components)
        .allowed_mentions(format::no_pings());
    let response = if new_message {
        serenity::CreateInteractionResponse::Message(message.ephemeral(true))
    } else {
        serenity::CreateInteractionResponse::UpdateMessage(message)
    };
    press.create_response(&ctx.http, response).await?;
    Ok(())
}

/// What staff are told when a button outlived what it was for.
const GONE: &str = "This is no longer waiting (it was saved, cancelled, or the bot restarted). Run /kb unanswered again.";

/// What staff are told when a digest's question has left the gap report.
const ANSWERED: &str = "That question is no longer in the gap report: it was linked to an answer already (or is past the records' retention).";

/// The gap of the records that holds the wording `wording` names, if it is still unanswered.
async fn gap_of_wording(bot: &Bot, wording: u64) -> Result<Option<Gap>, DiscordError> {
    let records = std::sync::Arc::clone(&bot.records);
    let gaps =
        tokio::task::spawn_blocking(move || crate::records::report::all_gaps(records.as_ref()))
            .await??;
    Ok(crate::records::report::gap_with_wording(gaps, wording))
}

/// The closest sections for gap `id`, as a menu.
async fn suggest(
    bot: &Bot,
    id: u64,
) -> Result<(String, Vec<serenity::CreateActionRow>), DiscordError> {
    let Some(gap) = lock(&bot.gaps).get(&id).cloned() else {
        return Ok((GONE.to_string(), Vec::new()));
    };
    let engine = bot.knowledge.engine();
    let example = gap.example.clone();
    let sections = tokio::task::spawn_blocking(move || {
        let ranked = engine.rank(&example, SUGGESTED_SECTIONS * 4)?;
        let mut seen = std::collections::HashSet::new();
        Ok::<_, crate::search::SearchError>(
            ranked
                .into_iter()
                .filter_map(|(index, _)| {
                    let passage = engine.passages().get(index)?;
                    Some((passage.source.clone(), passage.heading.clone()?))
                })
                .filter(|section| seen.insert(section.clone()))
                .take(SUGGESTED_SECTIONS)
                .collect::<Vec<_>>(),
        )
    })
    .await??;
    if let Some(pending) = lock(&bot.gaps).get_mut(&id) {
        pending.sections.clone_from(&sections);
    }
    let mut text = format!(
        "Which section answers \"{}\"?",
        format::escape_markdown(&gap.example)
    );
    if sections.is_empty() {
        text.push_str(" I found none close: use `/kb teach` and type part of its heading.");
        return Ok((text, Vec::new()));
    }
    text.push_str(" These are the closest; if it is not among them, use `/kb teach` and type part of its heading.");
    Ok((text, format::section_menu(id, &sections)))
}

/// Takes the lesson `id` if `member` previewed it.
fn take(bot: &Bot, id: u64, member: u64) -> Option<PendingLesson> {
    let mut lessons = lock(&bot.lessons);
    match lessons.peek(&id) {
        Some(pending) if pending.staff == member => lessons.pop(&id),
        _ => None,
    }
}

/// Saves lesson `id`, reloads, and takes its questions out of the gap report.
async fn save(bot: &Bot, id: u64, member: u64) -> Result<String, DiscordError> {
    let Some(pending) = take(bot, id, member) else {
        return Ok(GONE.to_string());
    };
    let knowledge = std::sync::Arc::clone(&bot.knowledge);
    let records = std::sync::Arc::clone(&bot.records);
    let data_dir = bot.settings.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        let lesson = &pending.lesson;
        if let Err(err) = crate::teach::save(knowledge.dir(), &data_dir, lesson) {
            tracing::warn!(%err, file = %lesson.file, "teaching was not saved");
            return Ok(format!("Not saved: {err}"));
        }
        let reloaded = match knowledge.reload() {
            Ok(_) => "I answer it from there now".to_string(),
            Err(err) => format!(
                "it was saved, but the reload failed ({err}); the previous knowledge keeps answering"
            ),
        };
        let marked = records.resolve(&pending.questions)?;
        tracing::info!(file = %lesson.file, marked, "staff taught a wording");
        Ok(format!(
            "Saved {}: {}, and the question left the gap report.",
            lesson.file, reloaded
        ))
    })
    .await?
}
