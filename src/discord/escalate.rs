//! "Ask staff": a member who did not get an answer hands the question to a person.
//!
//! Nothing is shared unless the member presses the button. The question goes to the staff
//! channel with a link to where it was asked (or word that it was asked privately), mentioning
//! the staff role and nobody else (the one ping faqbot ever sends); the member is told
//! privately. Only the member who asked may send it, once per answer, and a few times a day
//! (posts that failed do not count), and the gap report counts it.

use poise::serenity_prelude as serenity;

use super::format;
use super::{Bot, DiscordError, lock};
use crate::records::Asked;

/// What the member is told once staff have the question.
const SENT: &str =
    "Thanks, I've passed your question to the clinic's staff. Someone will get back to you soon.";

/// Handles a press of "Ask staff" on answer `id`; returns what the member is told.
pub(crate) async fn on_ask_staff(
    ctx: &serenity::Context,
    bot: &Bot,
    press: &serenity::ComponentInteraction,
    id: u64,
) -> Result<String, DiscordError> {
    let contact = bot.texts().staff_contact.trim().to_string();
    let Some(channel) = bot.settings.staff.channel_id else {
        return Ok(contact);
    };
    let Some(remembered) = bot.recall(id) else {
        return Ok(format!(
            "This answer is from before my last restart, so I no longer have the question. {contact}"
        ));
    };
    let member = press.user.id.get();
    if member != remembered.asker {
        return Ok(format!(
            "Only the member who asked this question can send it to staff. If you have a question of your own, ask it with /ask. {contact}"
        ));
    }
    // Taken in one step, so two presses at once post once.
    if lock(&bot.escalated).put(id, ()).is_some() {
        return Ok("You already sent this question to staff; they'll get back to you.".into());
    }
    if !bot.may_escalate(member) {
        lock(&bot.escalated).pop(&id);
        return Ok(format!(
            "You've asked staff for help several times today already. {contact}"
        ));
    }
    let link = remembered.link.clone().or_else(|| public_link(press));
    let role = bot.settings.staff.role_id;
    let answer = &remembered.answer;
    let post = serenity::CreateMessage::new()
        .content(format::staff_request(
            role,
            &answer.question,
            member,
            answer.answered,
            link.as_deref(),
        ))
        .allowed_mentions(format::staff_role_only(role));
    if let Err(err) = serenity::ChannelId::new(channel)
        .send_message(&ctx.http, post)
        .await
    {
        // The member may try again, and it costs nothing: their press reached no one.
        lock(&bot.escalated).pop(&id);
        tracing::error!(%err, "could not post an Ask staff question to the staff channel");
        return Ok(format!(
            "Sorry, I could not reach staff just now. {contact}"
        ));
    }
    bot.records.asked(Asked {
        question: answer.question.clone(),
        at: std::time::SystemTime::now(),
        channel: remembered.channel,
        answered: answer.answered,
        top_source: answer
            .best()
            .map(|hit| format!("{}:{}", hit.source, hit.line)),
        score: answer.best().map(|hit| hit.score),
        not_helpful: false,
        escalated: true,
    });
    bot.escalated_now(member);
    tracing::info!("a question was sent to staff");
    Ok(SENT.to_string())
}

/// A link staff can open to the message a button was pressed on; `None` when only the member
/// sees it (a private answer, or a direct message).
pub(crate) fn public_link(press: &serenity::ComponentInteraction) -> Option<String> {
    let private = press.guild_id.is_none()
        || press
            .message
            .flags
            .is_some_and(|flags| flags.contains(serenity::MessageFlags::EPHEMERAL));
    (!private).then(|| message_link(press.guild_id, press.channel_id, press.message.id))
}

/// A link to a message, as Discord's "Copy Message Link" makes it.
pub(crate) fn message_link(
    guild: Option<serenity::GuildId>,
    channel: serenity::ChannelId,
    message: serenity::MessageId,
) -> String {
    let guild = guild.map_or_else(|| "@me".to_string(), |guild| guild.to_string());
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}
