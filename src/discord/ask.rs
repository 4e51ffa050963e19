//! `/ask`: the slash command members use, with autocomplete of the knowledge's questions.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::format::{self, AUTOCOMPLETE_CHOICES};
use super::{Bot, Context, DiscordError, Outcome};
use crate::records::Channel;

/// Discord drops an interaction not answered within 3 s; past this the reply is deferred
/// ("faqbot is thinking...") so a slow moment never loses the question.
const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// Ask a question about massage or the clinic
#[poise::command(slash_command)]
pub(crate) async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, e.g. \"can massage help me sleep?\""]
    #[autocomplete = "autocomplete_question"]
    question: String,
    #[description = "Only you see the answer (and its buttons)"] private: Option<bool>,
) -> Result<(), DiscordError> {
    let member = ctx.author().id.get();
    let bot = ctx.data();
    let private = private.unwrap_or(bot.settings.discord.private_answers);
    let work = bot.ask(member, &question, Channel::Command);
    tokio::pin!(work);
    let outcome = match tokio::time::timeout(DEFER_AFTER, &mut work).await {
        Ok(outcome) => outcome?,
        Err(_) => {
            if private {
                ctx.defer_ephemeral().await?;
            } else {
                ctx.defer().await?;
            }
            work.await?
        }
    };
    // A wait notice is private whatever was asked.
    let private = private || matches!(outcome, Outcome::TooSoon(_));
    ctx.send(reply(bot, outcome).ephemeral(private)).await?;
    Ok(())
}

/// What `/ask` shows for an outcome.
fn reply(bot: &Bot, outcome: Outcome) -> poise::CreateReply {
    let reply = poise::CreateReply::default().allowed_mentions(format::no_pings());
    match outcome {
        Outcome::TooSoon(wait) => reply.content(format::too_soon(wait)),
        Outcome::Answer { id, answer, .. } if !answer.answered => reply
            .content(format::not_known(&answer, bot.texts()))
            .components(bot.not_known_buttons(id)),
        Outcome::Answer {
            id,
            answer,
            highlights,
        } => reply
            .embed(format::answer_embed(&answer, &highlights, bot.texts()))
            .components(format::answer_buttons(id, answer.results.len() > 1)),
    }
}

/// Suggests the knowledge's questions as the member types.
async fn autocomplete_question(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().knowledge.engine();
    let typed = partial.to_string();
    let suggestions = super::suggest_off_the_runtime("the knowledge's questions", move || {
        engine.suggestions(&typed, AUTOCOMPLETE_CHOICES)
    })
    .await;
    serenity::CreateAutocompleteResponse::new().set_choices(format::choices(suggestions))
}
