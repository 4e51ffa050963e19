//! Who may use the staff tools: members who manage the server, or hold the staff role.
//! Checked on every command and every button press, since Discord's own command visibility is
//! a server setting staff may get wrong.

use poise::serenity_prelude as serenity;

use super::format::{self, MESSAGE_CHARS};
use super::{Bot, Context, DiscordError};

/// What a member who is not staff is told.
const STAFF_ONLY: &str = "Sorry, the /kb commands are for clinic staff.";

/// Whether `member` is staff: Manage Server, Administrator, or the configured staff role.
pub(crate) fn member_is_staff(bot: &Bot, member: Option<&serenity::Member>) -> bool {
    let Some(member) = member else {
        return false;
    };
    let manages = member
        .permissions
        .is_some_and(|permissions| permissions.manage_guild() || permissions.administrator());
    let has_role = bot
        .settings
        .staff
        .role_id
        .is_some_and(|role| member.roles.contains(&serenity::RoleId::new(role)));
    manages || has_role
}

/// The check of every staff command.
pub(crate) async fn is_staff(ctx: Context<'_>) -> Result<bool, DiscordError> {
    let member = ctx.author_member().await;
    Ok(member_is_staff(ctx.data(), member.as_deref()))
}

/// Tells a member the command is not for them (used by the error handler on a failed check).
pub(crate) async fn refuse(ctx: Context<'_>) -> Result<(), DiscordError> {
    let reply = poise::CreateReply::default()
        .content(format::fit(STAFF_ONLY, MESSAGE_CHARS))
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}
