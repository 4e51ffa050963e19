//! Turning an [`Answer`] into what Discord shows: embeds, buttons, autocomplete choices.
//!
//! Everything here is a pure function of its inputs, tested without a network. Discord's size
//! limits live here once: text that is too long is cut at a sentence boundary (or, for one
//! overlong sentence, a word boundary), unfinished Markdown is closed, and a marker shows that
//! something was cut.

use std::ops::Range;

use poise::serenity_prelude as serenity;
use unicode_segmentation::UnicodeSegmentation;

use crate::answer::{Answer, Hit};

/// Discord's limits (characters), from its API documentation.
pub const EMBED_TITLE_CHARS: usize = 256;
/// An embed's description.
pub const EMBED_DESCRIPTION_CHARS: usize = 4096;
/// An embed field's value.
pub const EMBED_FIELD_CHARS: usize = 1024;
/// All text of all embeds of one message together.
pub const EMBED_TOTAL_CHARS: usize = 6000;
/// A message's content.
pub const MESSAGE_CHARS: usize = 2000;
/// Autocomplete choices offered at once.
pub const AUTOCOMPLETE_CHOICES: usize = 25;
/// An autocomplete choice's name and value.
pub const CHOICE_CHARS: usize = 100;

/// Footers only name a source; a short cap keeps room for the answer itself.
const FOOTER_CHARS: usize = 256;
/// Each passage under "More answers" is cut to this, so three fit one message.
const MORE_PASSAGE_CHARS: usize = 1200;
/// How many related passages an answer lists under "See also".
const SEE_ALSO: usize = 2;
/// How many passages "More answers" shows.
const MORE_ANSWERS: usize = 3;
/// How many passages to ask the engine for: the best, then those for "See also" and "More".
pub const ANSWER_PASSAGES: usize = 1 + MORE_ANSWERS;
/// Shows that text was cut.
const CUT_MARKER: &str = " …";
/// The clinic's calm green, so answers are recognisable in a busy channel.
const ANSWER_COLOUR: u32 = 0x3a7d5c;

/// Fixed lines from the config.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    /// Shown under every answer.
    pub disclaimer: &'a str,
    /// How to reach staff, shown when the bot does not know.
    pub staff_contact: &'a str,
}

/// What a button under an answer does; its custom id carries the answer's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonAction {
    /// "Helpful".
    Helpful(u64),
    /// "Not helpful".
    NotHelpful(u64),
    /// "More answers".
    More(u64),
    /// "Save" under an upload's preview.
    SaveUpload(u64),
    /// "Cancel" under an upload's preview.
    CancelUpload(u64),
    /// "Ask staff" under an answer the bot did not know, or after "Not helpful".
    AskStaff(u64),
    /// "Link N to an answer" under the gap report: the gap's number.
    LinkGap(u64),
    /// "Link N to an answer" under the weekly digest: the [`crate::records::report::wording_id`]
    /// of the gap's question, which still names it after a restart.
    LinkWording(u64),
    /// The menu of sections to link a gap to.
    PickSection(u64),
    /// "Save" under a teaching preview.
    SaveLesson(u64),
    /// "Cancel" under a teaching preview.
    CancelLesson(u64),
}

const ID_PREFIX: &str = "faqbot";

impl ButtonAction {
    /// The custom id Discord sends back when the button is pressed.
    pub fn custom_id(self) -> String {
        let (verb, id) = match self {
            ButtonAction::Helpful(id) => ("helpful", id),
            ButtonAction::NotHelpful(id) => ("unhelpful", id),
            ButtonAction::More(id) => ("more", id),
            ButtonAction::SaveUpload(id) => ("save", id),
            ButtonAction::CancelUpload(id) => ("cancel", id),
            ButtonAction::AskStaff(id) => ("askstaff", id),
            ButtonAction::LinkGap(id) => ("link", id),
            ButtonAction::LinkWording(id) => ("linkq", id),
            ButtonAction::PickSection(id) => ("pick", id),
            ButtonAction::SaveLesson(id) => ("teach", id),
            ButtonAction::CancelLesson(id) => ("unteach", id),
        };
        format!("{ID_PREFIX}:{verb}:{id}")
    }

    /// Reads a custom id; `None` for ids that are not faqbot's.
    pub fn parse(custom_id: &str) -> Option<ButtonAction> {
        let mut parts = custom_id.split(':');
        if parts.next()? != ID_PREFIX {
            return None;
        }
        let verb = parts.next()?;
        let id = parts.next()?.parse().ok()?;
        match verb {
            "helpful" => Some(ButtonAction::Helpful(id)),
            "unhelpful" => Some(ButtonAction::NotHelpful(id)),
            "more" => Some(ButtonAction::More(id)),
            "save" => Some(ButtonAction::SaveUpload(id)),
            "cancel" => Some(ButtonAction::CancelUpload(id)),
            "askstaff" => Some(ButtonAction::AskStaff(id)),
            "link" => Some(ButtonAction::LinkGap(id)),
            "linkq" => Some(ButtonAction::LinkWording(id)),
            "pick" => Some(ButtonAction::PickSection(id)),
            "teach" => Some(ButtonAction::SaveLesson(id)),
            "unteach" => Some(ButtonAction::CancelLesson(id)),
            _ => None,
        }
    }
}

/// The embed for an answered question: the heading as title, the best passage with the
/// question's words in bold, the disclaimer, related passages, and the source in the footer.
pub fn answer_embed(
    answer: &Answer,
    bold_ranges: &[Range<usize>],
    texts: Texts<'_>,
) -> serenity::CreateEmbed {
    let Some((best, others)) = answer.results.split_first() else {
        return serenity::CreateEmbed::new()
            .description(fit(texts.staff_contact, EMBED_DESCRIPTION_CHARS));
    };
    let title = fit(
        best.heading.as_deref().unwrap_or(&best.title),
        EMBED_TITLE_CHARS,
    );
    let footer = fit(&source_line(best), FOOTER_CHARS);
    let see_also = others
        .iter()
        .take(SEE_ALSO)
        .map(|hit| format!("• {}", label(hit)))
        .collect::<Vec<_>>()
        .join("\n");
    let see_also = fit(&see_also, EMBED_FIELD_CHARS);
    let disclaimer = format!("\n\n*{}*", texts.disclaimer.trim());
    let fixed =
        count(&title) + count(&footer) + count(&see_also) + "See also".len() + count(&disclaimer);
    let room = EMBED_DESCRIPTION_CHARS
        .min(EMBED_TOTAL_CHARS.saturating_sub(fixed))
        .saturating_sub(count(&disclaimer));
    let mut body = completed(bold(&best.text, bold_ranges), best, texts);
    if let Some(hours) = &answer.hours {
        // The worked-out sentence first: it is the answer, the passage its source. It is
        // faqbot's own words around validated times and a zone name, whose only Markdown can
        // be the underscore of `America/New_York`.
        body = format!("**{}**\n\n{body}", hours.replace('_', "\\_"));
    }
    let description = format!("{}{disclaimer}", fit(&body, room));
    let mut embed = serenity::CreateEmbed::new()
        .title(title)
        .description(description)
        .colour(ANSWER_COLOUR)
        .footer(serenity::CreateEmbedFooter::new(footer));
    if !see_also.is_empty() {
        embed = embed.field("See also", see_also, false);
    }
    embed
}

/// The buttons under an answer.
pub fn answer_buttons(answer_id: u64, has_more: bool) -> Vec<serenity::CreateActionRow> {
    let mut buttons = vec![
        serenity::CreateButton::new(ButtonAction::Helpful(answer_id).custom_id())
            .label("Helpful")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(ButtonAction::NotHelpful(answer_id).custom_id())
            .label("Not helpful")
            .style(serenity::ButtonStyle::Secondary),
    ];
    if has_more {
        buttons.push(
            serenity::CreateButton::new(ButtonAction::More(answer_id).custom_id())
                .label("More answers")
                .style(serenity::ButtonStyle::Primary),
        );
    }
    vec![serenity::CreateActionRow::Buttons(buttons)]
}

/// What the bot says when it does not know: kind, short, with near matches and staff contact.
pub fn not_known(answer: &Answer, texts: Texts<'_>) -> String {
    let mut reply = String::from("Sorry, I couldn't find an answer to that in our information.");
    let suggestions: Vec<String> = answer
        .near_misses
        .iter()
        .take(3)
        .map(|hit| format!("• {}", hit.heading.as_deref().unwrap_or(&hit.title)))
        .collect();
    if !suggestions.is_empty() {
        reply.push_str("\nDid you mean:\n");
        reply.push_str(&suggestions.join("\n"));
    }
    reply.push_str("\n\n");
    reply.push_str(texts.staff_contact.trim());
    fit(&reply, MESSAGE_CHARS)
}

/// The Save / Cancel buttons under an upload's preview.
pub fn upload_buttons(upload_id: u64) -> Vec<serenity::CreateActionRow> {
    save_or_cancel(
        ButtonAction::SaveUpload(upload_id),
        ButtonAction::CancelUpload(upload_id),
    )
}

/// The Save / Cancel buttons under a teaching preview.
pub fn lesson_buttons(lesson_id: u64) -> Vec<serenity::CreateActionRow> {
    save_or_cancel(
        ButtonAction::SaveLesson(lesson_id),
        ButtonAction::CancelLesson(lesson_id),
    )
}

fn save_or_cancel(save: ButtonAction, cancel: ButtonAction) -> Vec<serenity::CreateActionRow> {
    vec![serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(save.custom_id())
            .label("Save")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(cancel.custom_id())
            .label("Cancel")
            .style(serenity::ButtonStyle::Secondary),
    ])]
}

/// The "Ask staff" button for the answer `answer_id`.
pub fn ask_staff_button(answer_id: u64) -> Vec<serenity::CreateActionRow> {
    vec![serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(ButtonAction::AskStaff(answer_id).custom_id())
            .label("Ask staff")
            .style(serenity::ButtonStyle::Primary),
    ])]
}

/// One "Link N to an answer" button per gap, numbered as the report numbers them.
pub fn link_gap_buttons(gap_ids: &[u64]) -> Vec<serenity::CreateActionRow> {
    link_buttons(gap_ids.iter().map(|id| ButtonAction::LinkGap(*id)))
}

/// "Link N to an answer" for each of the digest's gaps, named by a wording's id.
pub fn link_wording_buttons(wording_ids: &[u64]) -> Vec<serenity::CreateActionRow> {
    link_buttons(wording_ids.iter().map(|id| ButtonAction::LinkWording(*id)))
}

fn link_buttons(actions: impl Iterator<Item = ButtonAction>) -> Vec<serenity::CreateActionRow> {
    let buttons: Vec<serenity::CreateButton> = actions
        .enumerate()
        .map(|(n, action)| {
            serenity::CreateButton::new(action.custom_id())
                .label(format!("Link {} to an answer", n + 1))
                .style(serenity::ButtonStyle::Secondary)
        })
        .collect();
    if buttons.is_empty() {
        return Vec::new();
    }
    vec![serenity::CreateActionRow::Buttons(buttons)]
}

/// A menu of sections (`(file, heading)`) for the gap `gap_id`; the value is the position.
pub fn section_menu(gap_id: u64, sections: &[(String, String)]) -> Vec<serenity::CreateActionRow> {
    let options = sections
        .iter()
        .enumerate()
        .map(|(n, (file, heading))| {
            serenity::CreateSelectMenuOption::new(fit(heading, CHOICE_CHARS), n.to_string())
                .description(fit(file, CHOICE_CHARS))
        })
        .collect();
    let menu = serenity::CreateSelectMenu::new(
        ButtonAction::PickSection(gap_id).custom_id(),
        serenity::CreateSelectMenuKind::String { options },
    )
    .placeholder("The section that answers it");
    vec![serenity::CreateActionRow::SelectMenu(menu)]
}

/// The post in the staff channel for a member's "Ask staff": the staff role (the only
/// mention faqbot ever makes), the question as the member typed it but escaped, who asked
/// (shown, not pinged) and a link to where, or that they asked privately (in a direct message
/// or a private `/ask`, which staff cannot open).
pub fn staff_request(
    role: Option<u64>,
    question: &str,
    member: u64,
    answered: bool,
    link: Option<&str>,
) -> String {
    let mut text = String::new();
    if let Some(role) = role {
        text.push_str(&format!("<@&{role}> "));
    }
    text.push_str(if answered {
        "A member found my answer not helpful and asks for a person:\n"
    } else {
        "A member asked something I could not answer and asks for a person:\n"
    });
    let footer = match link {
        Some(link) => format!("Asked by <@{member}> here: {link}"),
        None => format!(
            "Asked privately by <@{member}>: only they can see the answer, so reply to them directly."
        ),
    };
    // The question is cut, never the post: who asked and where always arrive.
    let budget = MESSAGE_CHARS.saturating_sub(count(&text) + count(&footer));
    text.push_str(&quoted_within(question, budget));
    text.push_str(&footer);
    text
}

/// `question` escaped and quoted (`> ` before each line, a line break after each), in at most
/// `budget` characters: cut at a character of the question, never inside an escape, with
/// `…` where it was cut.
fn quoted_within(question: &str, budget: usize) -> String {
    let quote = |text: &str| -> String {
        escape_markdown(text)
            .lines()
            .map(|line| format!("> {line}\n"))
            .collect()
    };
    let whole = quote(question);
    if count(&whole) <= budget {
        return whole;
    }
    // The longest prefix whose quoted form, with the marker, still fits.
    let marker = count(CUT_MARKER);
    let ends: Vec<usize> = question
        .char_indices()
        .map(|(at, _)| at)
        .chain([question.len()])
        .collect();
    let (mut low, mut high) = (0, ends.len() - 1);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if count(&quote(&question[..ends[middle]])) + marker <= budget {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let mut cut = quote(question[..ends[low]].trim_end());
    if cut.ends_with('\n') {
        cut.pop();
    }
    format!("{cut}{CUT_MARKER}\n")
}

/// Mentions for the staff post: the staff role, and nobody else.
pub fn staff_role_only(role: Option<u64>) -> serenity::CreateAllowedMentions {
    let mentions = no_pings();
    match role {
        Some(role) => mentions.roles(vec![serenity::RoleId::new(role)]),
        None => mentions,
    }
}

/// The ephemeral notice for a member who asks too often.
pub fn too_soon(wait: std::time::Duration) -> String {
    let seconds = wait.as_secs().max(1);
    format!(
        "You've asked a lot of questions in a short time. Please wait {seconds} second{} and ask again.",
        if seconds == 1 { "" } else { "s" }
    )
}

/// What a bare mention gets: how to ask.
pub fn how_to_ask(bot_name: &str) -> String {
    format!(
        "Hi! Ask me a question in the same message, for example \"@{bot_name} can massage help me sleep?\", or use `/ask`."
    )
}

/// The reply to a greeting or a thank-you in a direct message: how to ask, in one line.
pub const HOW_TO_ASK_HERE: &str = "Hi! Just type your question here, for example \"can massage help me sleep?\", and I'll answer from the clinic's information. Nobody else in the server sees this conversation.";

/// `text` shown exactly as typed: every character Discord's Markdown could read inline
/// (masked links, code, emphasis, spoilers, quotes, `</command:id>` and `<#channel>` links,
/// `:emoji:`, links) is escaped, and control characters become spaces. For members' words
/// shown to staff, on lines that start with the bot's own text (so line-start Markdown such as
/// headings or lists cannot form).
pub fn escape_markdown(text: &str) -> String {
    const MARKDOWN: &[char] = &[
        '\\', '*', '_', '~', '`', '|', '[', ']', '(', ')', '<', '>', ':', '#',
    ];
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if MARKDOWN.contains(&c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Mentions that may ping: none. Members' text is echoed in answers and reports, so an
/// `@everyone` or a role mention in it must stay text; and a reply does not ping its author.
pub fn no_pings() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new().replied_user(false)
}

/// A passage's text as shown, with the staff contact line where staff have still to fill in
/// part of it: the member learns whom to ask instead of being shown a placeholder.
fn completed(text: String, hit: &Hit, texts: Texts<'_>) -> String {
    let contact = texts.staff_contact.trim();
    match (hit.withheld, text.trim().is_empty()) {
        (false, _) => text,
        (true, true) => contact.to_string(),
        (true, false) => format!("{text}\n\n{contact}"),
    }
}

/// The next passages, for "More answers": one small embed each.
pub fn more_embeds(hits: &[Hit], texts: Texts<'_>) -> Vec<serenity::CreateEmbed> {
    hits.iter()
        .take(MORE_ANSWERS)
        .map(|hit| {
            serenity::CreateEmbed::new()
                .title(fit(
                    hit.heading.as_deref().unwrap_or(&hit.title),
                    EMBED_TITLE_CHARS,
                ))
                .description(fit(
                    &completed(hit.text.clone(), hit, texts),
                    MORE_PASSAGE_CHARS,
                ))
                .colour(ANSWER_COLOUR)
                .footer(serenity::CreateEmbedFooter::new(fit(
                    &source_line(hit),
                    FOOTER_CHARS,
                )))
        })
        .collect()
}

/// Autocomplete choices: at most 25, each name and value at most 100 characters.
pub fn choices(suggestions: Vec<String>) -> Vec<serenity::AutocompleteChoice> {
    suggestions
        .into_iter()
        .take(AUTOCOMPLETE_CHOICES)
        .map(|suggestion| {
            let text = cut_words(&suggestion, CHOICE_CHARS);
            serenity::AutocompleteChoice::new(text.clone(), text)
        })
        .collect()
}

/// "Title › Heading" or the title alone.
fn label(hit: &Hit) -> String {
    match hit.heading.as_deref() {
        Some(heading) if heading != hit.title => format!("{heading} ({})", hit.title),
        _ => hit.title.clone(),
    }
}

fn source_line(hit: &Hit) -> String {
    format!("Source: {} ({}, line {})", hit.title, hit.source, hit.line)
}

fn count(text: &str) -> usize {
    text.chars().count()
}

/// Wraps each range of `text` in `**`, joining ranges separated only by spaces, and leaving
/// alone words that already touch Markdown markup.
pub fn bold(text: &str, ranges: &[Range<usize>]) -> String {
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges {
        if range.end > text.len()
            || !text.is_char_boundary(range.start)
            || !text.is_char_boundary(range.end)
        {
            continue;
        }
        match merged.last_mut() {
            Some(last)
                if last.end <= range.start && text[last.end..range.start].trim().is_empty() =>
            {
                last.end = range.end;
            }
            Some(last) if last.end > range.start => {}
            _ => merged.push(range.clone()),
        }
    }
    let touches_markup = |range: &Range<usize>| {
        let before = text[..range.start].chars().next_back();
        let after = text[range.end..].chars().next();
        [before, after]
            .into_iter()
            .flatten()
            .any(|c| matches!(c, '*' | '_' | '`' | '~' | '|' | '[' | ']'))
    };
    let mut out = String::with_capacity(text.len() + merged.len() * 4);
    let mut at = 0;
    for range in merged.iter().filter(|range| !touches_markup(range)) {
        out.push_str(&text[at..range.start]);
        out.push_str("**");
        out.push_str(&text[range.clone()]);
        out.push_str("**");
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` cut to at most `max` characters: whole sentences if any fit, else whole words, with
/// unclosed Markdown closed and a marker added. Text that fits is returned as it is.
pub fn fit(text: &str, max: usize) -> String {
    if count(text) <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(count(CUT_MARKER) + MAX_CLOSERS);
    let mut kept = String::new();
    for sentence in text.split_sentence_bounds() {
        if count(&kept) + count(sentence) > budget {
            break;
        }
        kept.push_str(sentence);
    }
    if kept.trim().is_empty() {
        kept = cut_words(text, budget);
    }
    let mut kept = kept.trim_end().to_string();
    kept.push_str(&closers(&kept));
    kept.push_str(CUT_MARKER);
    kept
}

/// Room kept for closing Markdown markers: `**`, `__`, `~~`, `||`, `` ` ``, `*`.
const MAX_CLOSERS: usize = 10;

/// Whole words of `text` within `max` characters (a single huge word is cut by characters).
fn cut_words(text: &str, max: usize) -> String {
    if count(text) <= max {
        return text.to_string();
    }
    let mut kept = String::new();
    for word in text.split_word_bounds() {
        if count(&kept) + count(word) > max {
            break;
        }
        kept.push_str(word);
    }
    if kept.trim().is_empty() {
        kept = text.chars().take(max).collect();
    }
    kept.trim_end().to_string()
}

/// The markers that close Markdown left open in `text`, innermost first.
fn closers(text: &str) -> String {
    const PAIRS: [&str; 4] = ["**", "__", "~~", "||"];
    let mut open: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            rest = &rest[c.len_utf8()..];
            if let Some(escaped) = rest.chars().next() {
                rest = &rest[escaped.len_utf8()..];
            }
            continue;
        }
        if c == '`' {
            toggle(&mut open, "`");
            rest = &rest[1..];
            continue;
        }
        if open.last() == Some(&"`") {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if let Some(pair) = PAIRS.iter().find(|pair| rest.starts_with(**pair)) {
            toggle(&mut open, pair);
            rest = &rest[2..];
            continue;
        }
        if c == '*' {
            toggle(&mut open, "*");
        }
        rest = &rest[c.len_utf8()..];
    }
    open.iter().rev().copied().collect()
}

fn toggle<'a>(open: &mut Vec<&'a str>, marker: &'a str) {
    match open.iter().rposition(|m| *m == marker) {
        Some(index) => {
            open.remove(index);
        }
        None => open.push(marker),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(heading: &str, text: &str) -> Hit {
        Hit {
            title: "Doc".into(),
            heading: Some(heading.into()),
            source: "doc.md".into(),
            line: 3,
            text: text.into(),
            withheld: false,
            score: 1.0,
            coverage: 1.0,
            confidence: 1.0,
            matched_terms: vec![],
        }
    }

    fn answered(hits: Vec<Hit>) -> Answer {
        Answer {
            question: "q".into(),
            answered: true,
            results: hits,
            near_misses: vec![],
            hours: None,
        }
    }

    const TEXTS: Texts<'static> = Texts {
        disclaimer: "Not medical advice.",
        staff_contact: "Ask at the front desk.",
    };

    fn json(embed: &serenity::CreateEmbed) -> serde_json::Value {
        serde_json::to_value(embed).expect("embeds serialize")
    }

    fn total_chars(embed: &serde_json::Value) -> usize {
        let text = |v: &serde_json::Value| v.as_str().map_or(0, |s| s.chars().count());
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

    #[test]
    fn an_answer_has_heading_bold_words_disclaimer_source_and_see_also() {
        let answer = answered(vec![
            hit(
                "Can massage help me sleep?",
                "Massage may help you sleep better.",
            ),
            hit("Melatonin", "More."),
            hit("Relaxation", "More."),
            hit("Third", "More."),
        ]);
        let embed = json(&answer_embed(&answer, &[17..20, 21..26], TEXTS));
        assert_eq!(embed["title"], "Can massage help me sleep?");
        assert_eq!(
            embed["description"],
            "Massage may help **you sleep** better.\n\n*Not medical advice.*"
        );
        assert_eq!(embed["footer"]["text"], "Source: Doc (doc.md, line 3)");
        assert_eq!(embed["fields"][0]["name"], "See also");
        assert_eq!(
            embed["fields"][0]["value"],
            "• Melatonin (Doc)\n• Relaxation (Doc)"
        );
    }

    #[test]
    fn every_discord_limit_holds_for_huge_passages() {
        let sentence = "This is a long sentence about **massage** and sleep. ";
        let huge = sentence.repeat(400);
        let heading = "Why? ".repeat(100);
        let answer = answered(vec![
            hit(&heading, &huge),
            hit(&heading, &huge),
            hit(&heading, &huge),
        ]);
        let embed = json(&answer_embed(&answer, &[], TEXTS));
        assert!(embed["title"].as_str().unwrap().chars().count() <= EMBED_TITLE_CHARS);
        let description = embed["description"].as_str().unwrap();
        assert!(description.chars().count() <= EMBED_DESCRIPTION_CHARS);
        assert!(
            description.contains(" …\n\n*Not medical advice.*"),
            "cut with a marker"
        );
        assert!(
            description.matches("**").count().is_multiple_of(2),
            "no open bold"
        );
        assert!(
            embed["fields"][0]["value"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= EMBED_FIELD_CHARS
        );
        assert!(
            total_chars(&embed) <= EMBED_TOTAL_CHARS,
            "{}",
            total_chars(&embed)
        );
        let more: Vec<_> = more_embeds(&answer.results, TEXTS)
            .iter()
            .map(json)
            .collect();
        assert!(more.iter().map(total_chars).sum::<usize>() <= EMBED_TOTAL_CHARS);
    }

    #[test]
    fn fit_cuts_at_sentences_then_words_and_closes_markdown() {
        assert_eq!(fit("Short.", 10), "Short.");
        assert_eq!(
            fit("One sentence here. Two sentences here. Three.", 35),
            "One sentence here. …"
        );
        let cut = fit("A **bold claim that goes on and on and on without end", 30);
        assert!(cut.ends_with("** …"), "{cut}");
        assert!(!cut.contains("wit "), "never mid-word: {cut}");
        assert!(fit(&"x".repeat(500), 50).chars().count() <= 50);
        let code = fit(
            "Use `a very long inline code span that never closes in time`",
            30,
        );
        assert!(code.ends_with("` …"), "{code}");
    }

    #[test]
    fn bold_leaves_markup_alone_and_joins_neighbours() {
        assert_eq!(
            bold("trigger point therapy", &[0..7, 8..13]),
            "**trigger point** therapy"
        );
        assert_eq!(
            bold("a **massage** b", std::slice::from_ref(&(4..11))),
            "a **massage** b"
        );
        assert_eq!(
            bold("héllo wörld", std::slice::from_ref(&(0..6))),
            "**héllo** wörld"
        );
        assert_eq!(bold("short", std::slice::from_ref(&(0..50))), "short");
    }

    #[test]
    fn not_known_offers_near_matches_and_staff() {
        let mut answer = answered(vec![]);
        answer.answered = false;
        answer.near_misses = vec![hit("What is a hot stone massage?", "x")];
        let reply = not_known(&answer, TEXTS);
        assert!(reply.starts_with("Sorry, I couldn't find"));
        assert!(reply.contains("Did you mean:\n• What is a hot stone massage?"));
        assert!(reply.ends_with("Ask at the front desk."));
    }

    #[test]
    fn choices_respect_discord_limits() {
        let long = "word ".repeat(60);
        let choices: Vec<_> = choices(vec![long; 40])
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        assert_eq!(choices.len(), AUTOCOMPLETE_CHOICES);
        let name = choices[0]["name"].as_str().unwrap();
        assert!(name.chars().count() <= CHOICE_CHARS && name.ends_with("word"));
    }

    #[test]
    fn button_ids_round_trip() {
        for action in [
            ButtonAction::Helpful(7),
            ButtonAction::NotHelpful(8),
            ButtonAction::More(9),
        ] {
            assert_eq!(ButtonAction::parse(&action.custom_id()), Some(action));
        }
        assert_eq!(ButtonAction::parse("other:helpful:1"), None);
        assert_eq!(ButtonAction::parse("faqbot:helpful:x"), None);
    }

    #[test]
    fn members_markdown_is_shown_as_text() {
        let hostile =
            "[re-verify your staff account](http://evil.example) ```x``` </kb status:1> **b**\n# h";
        let escaped = escape_markdown(hostile);
        assert_eq!(
            escaped,
            "\\[re-verify your staff account\\]\\(http\\://evil.example\\) \\`\\`\\`x\\`\\`\\` \\</kb status\\:1\\> \\*\\*b\\*\\* \\# h"
        );
        assert_eq!(
            escape_markdown("can massage help me sleep"),
            "can massage help me sleep"
        );
    }
}
