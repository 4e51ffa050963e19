//! The buttons under an answer: "Helpful", "Not helpful" and "More answers".
//!
//! Replies are ephemeral: only the member who pressed sees them. Votes are recorded once per
//! member per answer, under a salted hash of the member, never the member id.

use poise::serenity_prelude as serenity;

use super::format::{self, ButtonAction};
use super::{Bot, DiscordError};
use crate::records::{Asked, Vote};

pub(crate) async fn on_press(
    ctx: &serenity::Context,
    bot: &Bot,
    press: &serenity::ComponentInteraction,
) -> Result<(), DiscordError> {
    let Some(action) = ButtonAction::parse(&press.data.custom_id) else {
        return Ok(());
    };
    let member = press.user.id.get();
    let reply = serenity::CreateInteractionResponseMessage::new()
        .ephemeral(true)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    let reply = match action {
        ButtonAction::Helpful(id) | ButtonAction::NotHelpful(id) => {
            let vote = match action {
                ButtonAction::Helpful(_) => Vote::Helpful,
                _ => Vote::NotHelpful,
            };
            match bot.recall(id) {
                None => reply.content(TOO_OLD),
                Some((channel, answer)) => {
                    let source = answer
                        .best()
                        .map(|best| format!("{}:{}", best.source, best.line))
                        .unwrap_or_default();
                    let voter = bot.records.voter(member);
                    let records = std::sync::Arc::clone(&bot.records);
                    let recorded = tokio::task::spawn_blocking({
                        let source = source.clone();
                        move || records.vote(id, &source, voter, vote)
                    })
                    .await??;
                    if !recorded {
                        reply.content("You already rated this answer. Thank you!")
                    } else {
                        if vote == Vote::NotHelpful {
                            // Staff see unhelpful answers beside unanswered questions.
                            bot.records.asked(Asked {
                                question: answer.question.clone(),
                                at: std::time::SystemTime::now(),
                                channel,
                                answered: true,
                                top_source: Some(source),
                                score: answer.best().map(|best| best.score),
                                not_helpful: true,
                            });
                        }
                        reply.content(match vote {
                            Vote::Helpful => "Thanks, glad it helped!",
                            Vote::NotHelpful => {
                                "Thanks for telling us. Staff will use this to improve the answer."
                            }
                        })
                    }
                }
            }
        }
        ButtonAction::More(id) => match bot.recall(id).map(|(_, answer)| answer) {
            Some(answer) if answer.results.len() > 1 => {
                reply.embeds(format::more_embeds(&answer.results[1..]))
            }
            Some(_) => reply.content("That is everything I found for this question."),
            None => reply.content(TOO_OLD),
        },
    };
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Message(reply),
        )
        .await?;
    Ok(())
}

const TOO_OLD: &str = "This answer is from before my last restart. Please ask again!";
