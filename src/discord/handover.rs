//! "Answer with faqbot": anyone hands a message in the chat to the bot, from Discord's *Apps*
//! menu on it.
//!
//! It is the help-channel answer on demand: the bot answers the message's text in public, as a
//! reply to it, as if its author had asked (the answer, or "I couldn't find an answer"), and
//! pings no one. Only the author may send the question to staff; the member who handed it over
//! spends their own rate limit, and is told privately where the answer is. A message is
//! answered once: handing it over again (or after the bot answered it as a mention or in a
//! help channel) links to that answer.

use poise::serenity_prelude as serenity;

use super::{Context, DiscordError, Outcome, format, messages};
use crate::records::Channel;

/// Answer this message's question here, as a reply to it
#[poise::command(context_menu_command = "Answer with faqbot", guild_only)]
pub(crate) async fn answer_with_faqbot(
    ctx: Context<'_>,
    message: serenity::Message,
) -> Result<(), DiscordError> {
    // Searching can take longer than Discord waits for an answer; what the member who handed
    // the message over is told is for them alone.
    ctx.defer_ephemeral().await?;
    let note = hand_over(ctx, &message).await?;
    let reply = poise::CreateReply::default()
        .content(note)
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}

/// Answers `message` in its channel; returns what the member who handed it over is told.
async fn hand_over(ctx: Context<'_>, message: &serenity::Message) -> Result<String, DiscordError> {
    let bot = ctx.data();
    if message.author.bot {
        return Ok("I answer members' questions, not messages from bots (or my own).".into());
    }
    let question = crate::records::without_mentions(&message.content);
    if !messages::has_words(&question) {
        return Ok("That message has no text I could answer.".into());
    }
    match bot.claim_reply(message.id.get()) {
        Ok(()) => {}
        Err(Some(link)) => return Ok(format!("I already answered that message: {link}")),
        Err(None) => return Ok("I'm answering that message right now.".into()),
    }
    let outcome = bot
        .ask_for(
            ctx.author().id.get(),
            message.author.id.get(),
            &question,
            Channel::Requested,
        )
        .await;
    let (id, answer, highlights) = match outcome {
        Ok(Outcome::Answer {
            id,
            answer,
            highlights,
        }) => (id, answer, highlights),
        Ok(Outcome::TooSoon(wait)) => {
            bot.release_reply(message.id.get());
            return Ok(format::too_soon(wait));
        }
        Err(err) => {
            bot.release_reply(message.id.get());
            return Err(err);
        }
    };
    let reply = messages::answer_reply(bot, id, &answer, &highlights);
    let guild = ctx.guild_id();
    match messages::reply_with(ctx.serenity_context(), bot, message, guild, reply).await {
        Ok(sent) => Ok(format!(
            "Answered: {}",
            super::escalate::message_link(guild, sent.channel_id, sent.id)
        )),
        Err(err) => {
            tracing::warn!(%err, "could not post an answer to a message handed over");
            Ok("I couldn't post in this channel. Staff can let me send messages and read the message history here.".into())
        }
    }
}
