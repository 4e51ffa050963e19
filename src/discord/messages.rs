//! Messages: answering when mentioned, and in help channels when confident.
//!
//! A mention is always answered (or told kindly that the bot does not know). In a help channel
//! the bot was not asked directly, so it speaks only when a message reads like a question and
//! the answer covers it well; otherwise it stays quiet and lets people talk.

use poise::serenity_prelude as serenity;

use super::format;
use super::{Bot, DiscordError, Outcome};
use crate::records::{Channel, without_mentions};

/// In help channels an answer must cover this much of the question (stricter than the
/// engine's own threshold): an unasked-for wrong answer is worse than silence.
const HELP_CHANNEL_MIN_COVERAGE: f32 = 0.75;
/// Words a question often starts with.
const QUESTION_OPENERS: &[&str] = &[
    "what", "how", "why", "when", "where", "which", "who", "can", "could", "should", "would", "is",
    "are", "do", "does", "did", "will", "may", "any", "anyone",
];
/// Fewer words are greetings or reactions, not questions.
const MIN_QUESTION_WORDS: usize = 3;

pub(crate) async fn on_message(
    ctx: &serenity::Context,
    bot: &Bot,
    message: &serenity::Message,
) -> Result<(), DiscordError> {
    let me = ctx.cache.current_user().id;
    if message.author.bot || message.author.id == me {
        return Ok(());
    }
    let mentioned = mentions(&message.content, me.get());
    let in_help_channel = bot
        .settings
        .discord
        .help_channels
        .contains(&message.channel_id.get());
    if !mentioned && !in_help_channel {
        return Ok(());
    }
    let question = without_mentions(&message.content);
    if !mentioned && !looks_like_question(&question) {
        return Ok(());
    }
    if !bot.first_time(message.id.get()) {
        return Ok(());
    }
    let reply = serenity::CreateMessage::new()
        .reference_message(reply_reference(message))
        .allowed_mentions(format::no_pings());
    if !has_words(&question) {
        // A bare mention is someone finding out what the bot does, not a question to record.
        let name = ctx.cache.current_user().name.clone();
        let reply = reply.content(format::how_to_ask(&name));
        message.channel_id.send_message(&ctx.http, reply).await?;
        return Ok(());
    }
    let channel = if mentioned {
        Channel::Mention
    } else {
        Channel::HelpChannel
    };
    let outcome = bot.ask(message.author.id.get(), &question, channel).await?;
    let reply = match outcome {
        Outcome::TooSoon(_) if !mentioned => return Ok(()),
        Outcome::TooSoon(wait) => reply.content(format::too_soon(wait)),
        Outcome::Answer { answer, .. } if !answer.answered => {
            if !mentioned {
                return Ok(());
            }
            reply.content(format::not_known(&answer, bot.texts()))
        }
        Outcome::Answer {
            id,
            answer,
            highlights,
        } => {
            let confident = answer
                .best()
                .is_some_and(|best| best.coverage >= HELP_CHANNEL_MIN_COVERAGE);
            if !mentioned && !confident {
                return Ok(());
            }
            reply
                .embed(format::answer_embed(&answer, &highlights, bot.texts()))
                .components(format::answer_buttons(id, answer.results.len() > 1))
        }
    };
    message.channel_id.send_message(&ctx.http, reply).await?;
    Ok(())
}

/// Whether the text itself mentions the user `id` (`<@id>` or `<@!id>`). Discord also lists the
/// author of a replied-to message in `mentions` (a reply "pings" by default), so that list
/// would take every "thanks!" in reply to an answer for a new question to the bot.
pub(crate) fn mentions(content: &str, id: u64) -> bool {
    let id = id.to_string();
    content.match_indices("<@").any(|(start, _)| {
        let rest = &content[start + 2..];
        let rest = rest.strip_prefix('!').unwrap_or(rest);
        rest.strip_prefix(id.as_str())
            .is_some_and(|after| after.starts_with('>'))
    })
}

/// A reply to `message` that is still sent, as a plain message, if the question was deleted
/// meanwhile: Discord's default fails the whole reply then.
fn reply_reference(message: &serenity::Message) -> serenity::MessageReference {
    let mut reference = serenity::MessageReference::from(message);
    reference.fail_if_not_exists = Some(false);
    reference
}

/// Whether a text has anything to search for: a bare mention, or one with only "?", has not.
fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Whether a help-channel message reads like a question: it ends in `?`, or opens with a
/// question word, and has a few words.
pub(crate) fn looks_like_question(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() < MIN_QUESTION_WORDS {
        return false;
    }
    let first = words[0]
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    text.trim_end().ends_with('?') || QUESTION_OPENERS.contains(&first.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_mention_in_the_text_counts() {
        assert!(mentions("<@42> hi", 42));
        assert!(mentions("hi <@!42>", 42));
        assert!(!mentions("thanks, that helped!", 42));
        assert!(!mentions("<@421> hi", 42));
        assert!(!mentions("<@&42> hi", 42));
        assert!(!mentions("<@4", 4));
    }

    #[test]
    fn questions_are_told_from_chat() {
        assert!(looks_like_question("can massage help me sleep?"));
        assert!(looks_like_question("how often should I come in"));
        assert!(looks_like_question("my back hurts after yoga, normal?"));
        assert!(!looks_like_question("thanks everyone!"));
        assert!(!looks_like_question("see you tomorrow at the clinic"));
        assert!(!looks_like_question("ok?"));
    }
}
