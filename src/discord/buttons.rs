//! The buttons under an answer: "Helpful", "Not helpful", "More answers" and "Ask staff"; and
//! the staff's buttons, handed to [`staff`] and [`teaching`].
//!
//! Replies are ephemeral: only the member who pressed sees them. Votes are recorded once per
//! member per answer, under a salted hash of the member, never the member id.

use poise::serenity_prelude as serenity;

use super::format::{self, ButtonAction};
use super::{Bot, DiscordError, access, escalate, staff, teaching};
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
    match action {
        ButtonAction::SaveUpload(id) | ButtonAction::CancelUpload(id) => {
            return on_upload_choice(ctx, bot, press, action, id).await;
        }
        ButtonAction::LinkGap(_)
        | ButtonAction::LinkWording(_)
        | ButtonAction::PickSection(_)
        | ButtonAction::SaveLesson(_)
        | ButtonAction::CancelLesson(_) => {
            return teaching::on_press(ctx, bot, press, action).await;
        }
        _ => {}
    }
    let reply = serenity::CreateInteractionResponseMessage::new()
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    let reply = match action {
        ButtonAction::Helpful(id) | ButtonAction::NotHelpful(id) => {
            let vote = match action {
                ButtonAction::Helpful(_) => Vote::Helpful,
                _ => Vote::NotHelpful,
            };
            match bot.recall(id) {
                None => reply.content(TOO_OLD),
                Some(super::Remembered {
                    channel, answer, ..
                }) => {
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
                        let mut offer_staff = false;
                        if vote == Vote::NotHelpful {
                            // "Ask staff" under the thank-you has no message staff can open.
                            if let Some(link) = escalate::public_link(press) {
                                bot.note_link(id, link);
                            }
                            offer_staff = bot.can_escalate();
                            // Staff see unhelpful answers beside unanswered questions.
                            bot.records.asked(Asked {
                                question: answer.question.clone(),
                                at: std::time::SystemTime::now(),
                                channel,
                                answered: true,
                                top_source: Some(source),
                                score: answer.best().map(|best| best.score),
                                not_helpful: true,
                                escalated: false,
                            });
                        }
                        let reply = reply.content(match (vote, offer_staff) {
                            (Vote::Helpful, _) => "Thanks, glad it helped!",
                            (Vote::NotHelpful, false) => {
                                "Thanks for telling us. Staff will use this to improve the answer."
                            }
                            (Vote::NotHelpful, true) => {
                                "Thanks for telling us. Staff will use this to improve the answer. Would you like a person to help? Press Ask staff to send them your question."
                            }
                        });
                        if offer_staff {
                            reply.components(format::ask_staff_button(id))
                        } else {
                            reply
                        }
                    }
                }
            }
        }
        ButtonAction::AskStaff(id) => {
            reply.content(escalate::on_ask_staff(ctx, bot, press, id).await?)
        }
        ButtonAction::More(id) => match bot.recall(id).map(|remembered| remembered.answer) {
            Some(answer) if answer.results.len() > 1 => {
                reply.embeds(format::more_embeds(&answer.results[1..], bot.texts()))
            }
            Some(_) => reply.content("That is everything I found for this question."),
            None => reply.content(TOO_OLD),
        },
        _ => return Ok(()),
    };
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::Message(reply),
        )
        .await?;
    Ok(())
}

/// Save or Cancel under an upload preview: staff only, and only the member who uploaded.
async fn on_upload_choice(
    ctx: &serenity::Context,
    bot: &Bot,
    press: &serenity::ComponentInteraction,
    action: ButtonAction,
    id: u64,
) -> Result<(), DiscordError> {
    let text = if !access::member_is_staff(bot, press.member.as_ref()) {
        "Sorry, only clinic staff can save knowledge files.".to_string()
    } else {
        match staff::take_upload(bot, id, press.user.id.get()) {
            None => "This upload is no longer waiting (it was saved, cancelled, or the bot restarted). Please upload it again.".to_string(),
            Some(_) if matches!(action, ButtonAction::CancelUpload(_)) => {
                "Upload cancelled; nothing was changed.".to_string()
            }
            Some(upload) => {
                let knowledge = std::sync::Arc::clone(&bot.knowledge);
                let settings = std::sync::Arc::clone(&bot.settings);
                match tokio::task::spawn_blocking(move || {
                    staff::save_upload(&knowledge, &settings.data_dir, &upload)
                })
                .await?
                {
                    Ok(text) => text,
                    Err(err) => {
                        tracing::error!(%err, "saving an upload");
                        format!("The file could not be saved ({err}); nothing was changed.")
                    }
                }
            }
        }
    };
    let update = serenity::CreateInteractionResponseMessage::new()
        .content(text)
        .components(Vec::new())
        .allowed_mentions(format::no_pings());
    press
        .create_response(
            &ctx.http,
            serenity::CreateInteractionResponse::UpdateMessage(update),
        )
        .await?;
    Ok(())
}

const TOO_OLD: &str = "This answer is from before my last restart. Please ask again!";
