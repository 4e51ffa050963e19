//! Messages: answering direct messages and mentions, and in help channels when confident.
//!
//! Every direct message to the bot is a question, answered privately there; a mention is
//! answered in any channel or thread the bot can see. Both are always answered (or told kindly
//! that the bot does not know), and a greeting or a thank-you gets how to ask. In a help
//! channel the bot was not asked directly, so it speaks only when a message reads like a
//! question and the answer covers it well; otherwise it stays quiet and lets people talk. A
//! help channel may be a forum: each new post there (a thread whose first message has the
//! thread's own id) is a question, read from its title and first message, and answered once, in
//! its thread, when confident. Messages in any thread under a help channel count as asked in
//! that channel.

use poise::serenity_prelude as serenity;

use super::format;
use super::{Bot, DiscordError, Outcome};
use crate::answer::Answer;
use crate::records::{Channel, without_mentions};

/// In help channels the answer's best passage must be at least this likely to answer, by the
/// engine's decision (stricter than answering at all): an unasked-for wrong answer is worse
/// than silence. It is judged on the reading the engine answered from, so a question with a
/// sentence of context is judged as the question. On members' questions (2026-12-05), of
/// those the decision answers:
///
/// | least probability | answered | right | precision | of 317 to decline, answered |
/// |-------------------|----------|-------|-----------|-----------------------------|
/// | none              | 458      | 363   | 0.79      | 36                          |
/// | 0.5               | 403      | 331   | 0.82      | 28                          |
/// | **0.6**           | **349**  | **291** | **0.83** | **22**                     |
/// | 0.7               | 274      | 241   | 0.88      | 17                          |
///
/// 0.7 would keep quiet on "Can massage help me sleep? I've had insomnia for months." (0.67:
/// two sections of the insomnia article share it), which members in a help channel expect
/// answered; at 0.6 it answers 22 of the questions it should leave alone, where a direct
/// question gets 36.
const HELP_CHANNEL_MIN_CONFIDENCE: f32 = 0.6;
/// Words a question often starts with.
const QUESTION_OPENERS: &[&str] = &[
    "what", "how", "why", "when", "where", "which", "who", "can", "could", "should", "would", "is",
    "are", "do", "does", "did", "will", "may", "any", "anyone",
];
/// Fewer words are greetings or reactions, not questions.
const MIN_QUESTION_WORDS: usize = 3;
/// Words of greetings, thanks and acknowledgements; a message of only these, asked directly,
/// gets how to ask rather than "I don't know".
const SMALL_TALK: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "heya",
    "howdy",
    "yo",
    "greetings",
    "good",
    "morning",
    "afternoon",
    "evening",
    "there",
    "all",
    "thanks",
    "thank",
    "thx",
    "ty",
    "tysm",
    "cheers",
    "you",
    "so",
    "very",
    "much",
    "a",
    "lot",
    "ok",
    "okay",
    "k",
    "kk",
    "cool",
    "great",
    "nice",
    "awesome",
    "perfect",
    "bye",
    "goodbye",
    "see",
    "ya",
    "later",
    "lol",
    "got",
    "it",
    "appreciate",
    "appreciated",
    "that",
    "helps",
    "helped",
    "yes",
    "yep",
    "yeah",
    "no",
    "nope",
    "sure",
    "faqbot",
    "bot",
];
/// Longer messages say more than hello or thanks.
const MAX_SMALL_TALK_WORDS: usize = 6;

pub(crate) async fn on_message(
    ctx: &serenity::Context,
    bot: &Bot,
    message: &serenity::Message,
) -> Result<(), DiscordError> {
    let me = ctx.cache.current_user().id;
    if message.author.bot || message.author.id == me {
        return Ok(());
    }
    // Only what a member wrote: not Discord's notices (a thread was created, a member
    // joined, a message was pinned).
    if !matches!(
        message.kind,
        serenity::MessageType::Regular | serenity::MessageType::InlineReply
    ) {
        return Ok(());
    }
    // Discord sends a server's messages with its id; a message without one is a direct
    // message to the bot.
    let direct = message.guild_id.is_none();
    let mentioned = !direct && mentions(&message.content, me.get());
    // Found even when the bot is mentioned: a forum post that only mentions it asks its title.
    let place = if direct {
        None
    } else {
        help_place(ctx, bot, message).await
    };
    if !direct && !mentioned && place.is_none() {
        return Ok(());
    }
    let question = match &place {
        // A forum post's title is the question; its first message adds the details.
        Some(Place::ForumPost { title }) => {
            without_mentions(&format!("{title}\n{}", message.content))
        }
        _ => without_mentions(&message.content),
    };
    // Asked directly, a message is always answered; one in a help channel only when it is a
    // question the bot is sure of.
    let asked = direct || mentioned;
    let is_post = matches!(place, Some(Place::ForumPost { .. }));
    if !asked && !is_post && !looks_like_question(&question) {
        return Ok(());
    }
    if !bot.first_time(message.id.get()) {
        return Ok(());
    }
    if !has_words(&question) || (asked && is_small_talk(&question)) {
        // Someone finding out what the bot does, or being polite: not a question to record.
        let text = if direct {
            format::HOW_TO_ASK_HERE.to_string()
        } else {
            format::how_to_ask(&ctx.cache.current_user().name)
        };
        let reply = serenity::CreateMessage::new()
            .reference_message(reply_reference(message))
            .allowed_mentions(format::no_pings())
            .content(text);
        message.channel_id.send_message(&ctx.http, reply).await?;
        return Ok(());
    }
    let channel = if direct {
        Channel::Dm
    } else if mentioned {
        Channel::Mention
    } else {
        Channel::HelpChannel
    };
    let outcome = bot.ask(message.author.id.get(), &question, channel).await?;
    let (id, answer, highlights) = match outcome {
        Outcome::TooSoon(wait) => {
            let notice = serenity::CreateMessage::new()
                .content(format::too_soon(wait))
                .allowed_mentions(format::no_pings());
            if direct {
                message.channel_id.send_message(&ctx.http, notice).await?;
            } else if mentioned {
                // Told privately, as `/ask` tells it: a direct message, or nothing when the
                // member does not take them.
                if let Err(err) = message.author.direct_message(&ctx.http, notice).await {
                    tracing::debug!(%err, "could not tell a member privately to wait");
                }
            }
            return Ok(());
        }
        Outcome::Answer {
            id,
            answer,
            highlights,
        } => (id, answer, highlights),
    };
    let confident = answer.answered
        && answer
            .best()
            .is_some_and(|best| best.confidence >= HELP_CHANNEL_MIN_CONFIDENCE);
    if !asked && !confident {
        return Ok(());
    }
    // Someone handed the message to the bot meanwhile, and that answer stands.
    if bot.claim_reply(message.id.get()).is_err() {
        return Ok(());
    }
    let reply = answer_reply(bot, id, &answer, &highlights);
    reply_with(ctx, bot, message, message.guild_id, reply).await?;
    Ok(())
}

/// The public reply that answers a member's message: the answer's embed and buttons, or "I
/// couldn't find an answer" with *Ask staff*; it pings no one.
pub(crate) fn answer_reply(
    bot: &Bot,
    id: u64,
    answer: &Answer,
    highlights: &[std::ops::Range<usize>],
) -> serenity::CreateMessage {
    let reply = serenity::CreateMessage::new().allowed_mentions(format::no_pings());
    if answer.answered {
        reply
            .embed(format::answer_embed(answer, highlights, bot.texts()))
            .components(format::answer_buttons(id, answer.results.len() > 1))
    } else {
        reply
            .content(format::not_known(answer, bot.texts()))
            .components(bot.not_known_buttons(id))
    }
}

/// Sends `reply` as a reply to the member's `message` (claimed with [`Bot::claim_reply`]) and
/// notes where it is; a reply that failed gives the claim up.
pub(crate) async fn reply_with(
    ctx: &serenity::Context,
    bot: &Bot,
    message: &serenity::Message,
    guild: Option<serenity::GuildId>,
    reply: serenity::CreateMessage,
) -> Result<serenity::Message, serenity::Error> {
    let reply = reply.reference_message(reply_reference(message));
    match message.channel_id.send_message(&ctx.http, reply).await {
        Ok(sent) => {
            let link = super::escalate::message_link(guild, sent.channel_id, sent.id);
            bot.replied(message.id.get(), link);
            Ok(sent)
        }
        Err(err) => {
            bot.release_reply(message.id.get());
            Err(err)
        }
    }
}

/// A thread under a help channel, as remembered from its creation.
#[derive(Debug, Clone)]
pub(crate) struct HelpThread {
    /// The thread's name: a forum post's title.
    title: String,
}

/// Where a message without a mention was written, when the bot may answer there.
enum Place {
    /// A help channel, or a thread under one.
    HelpChannel,
    /// The first message of a post in a help forum.
    ForumPost { title: String },
}

/// Remembers a new thread under a help channel (THREAD_CREATE comes before the thread's first
/// message).
pub(crate) fn on_thread(bot: &Bot, thread: &serenity::GuildChannel) {
    let Some(parent) = thread.parent_id else {
        return;
    };
    if bot.settings.discord.help_channels.contains(&parent.get()) {
        let title = thread.name.clone();
        super::lock(&bot.threads).put(thread.id.get(), Some(HelpThread { title }));
    }
}

/// Whether the bot may answer `message` unasked: in a help channel, or in a thread under one
/// (known from its creation, from serenity's cache, or asked of Discord once per channel).
async fn help_place(
    ctx: &serenity::Context,
    bot: &Bot,
    message: &serenity::Message,
) -> Option<Place> {
    let help = &bot.settings.discord.help_channels;
    let channel = message.channel_id;
    if help.contains(&channel.get()) {
        return Some(Place::HelpChannel);
    }
    message.guild_id?;
    let known = super::lock(&bot.threads).get(&channel.get()).cloned();
    let thread = match known {
        Some(known) => known,
        None => {
            // A failed lookup is not remembered: the next message asks again.
            let found = find_help_thread(ctx, help, channel).await.ok()?;
            super::lock(&bot.threads).put(channel.get(), found.clone());
            found
        }
    }?;
    // A forum post's first message has the same id as its thread; in a thread of a text
    // channel no message does (the one it was started from stays in the channel).
    if message.id.get() == channel.get() {
        Some(Place::ForumPost {
            title: thread.title,
        })
    } else {
        Some(Place::HelpChannel)
    }
}

/// The help thread `channel` is, or `None` when it is not one; `Err` when Discord could not
/// say (that is not remembered).
async fn find_help_thread(
    ctx: &serenity::Context,
    help: &[u64],
    channel: serenity::ChannelId,
) -> Result<Option<HelpThread>, ()> {
    let guild_channel = match channel.to_channel(ctx).await {
        Ok(serenity::Channel::Guild(guild_channel)) => guild_channel,
        Ok(_) => return Ok(None),
        Err(err) => {
            tracing::warn!(%err, "could not look up a channel; not answering unasked there this time");
            return Err(());
        }
    };
    let Some(parent) = guild_channel.parent_id else {
        return Ok(None);
    };
    let is_thread = matches!(
        guild_channel.kind,
        serenity::ChannelType::PublicThread | serenity::ChannelType::PrivateThread
    );
    Ok(
        (is_thread && help.contains(&parent.get())).then(|| HelpThread {
            title: guild_channel.name.clone(),
        }),
    )
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
pub(crate) fn has_words(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Whether a message asked directly is only a greeting, a thank-you or an acknowledgement
/// ("hi", "thanks so much!", "ok, got it"): every word is one of those, and there are few.
fn is_small_talk(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    !words.is_empty()
        && words.len() <= MAX_SMALL_TALK_WORDS
        && words.iter().all(|word| SMALL_TALK.contains(&word.as_str()))
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

    #[test]
    fn greetings_and_thanks_are_told_from_questions() {
        for polite in [
            "hi",
            "Hello there!",
            "thanks so much 🙏",
            "Thank you, that helped",
            "ok got it",
            "good morning",
        ] {
            assert!(is_small_talk(polite), "{polite}");
        }
        for question in [
            "hi, can massage help me sleep?",
            "prices",
            "thanks, what should I wear?",
            "",
            "is it ok to massage a bruise",
        ] {
            assert!(!is_small_talk(question), "{question}");
        }
    }
}
