//! `/kb`: staff tools for the knowledge base, from Discord.
//!
//! Discord shows the commands only to members with Manage Server (`default_member_permissions`),
//! but a server admin can loosen that, so the bot checks again on every use: Manage Server or
//! the staff role from the config. Uploads are validated exactly like `faqbot check`, previewed,
//! and written only on "Save": atomically, with the replaced file kept as a backup.

use std::path::Path;

use poise::serenity_prelude as serenity;

use super::format::{self, MESSAGE_CHARS};
use super::{Bot, Context, DiscordError, lock};
use crate::knowledge::{Format, Problem};
use crate::live::{LiveKnowledge, Status};

/// What a refused member is told.
/// An upload waiting for Save or Cancel.
#[derive(Debug, Clone)]
pub(crate) struct PendingUpload {
    name: String,
    bytes: Vec<u8>,
    uploader: u64,
}

/// Staff tools for the knowledge base
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "status",
        "reload",
        "upload",
        "unanswered",
        "feedback",
        "super::teaching::teach"
    ),
    subcommand_required
)]
pub(crate) async fn kb(_ctx: Context<'_>) -> Result<(), DiscordError> {
    Ok(())
}

/// Files, passages, last reload, files with errors and files due for review
#[poise::command(slash_command, guild_only, check = "super::access::is_staff")]
async fn status(ctx: Context<'_>) -> Result<(), DiscordError> {
    let status = ctx.data().knowledge.status();
    private(ctx, status_text("Knowledge base", &status)).await
}

/// Re-read the knowledge folder now and report the result
#[poise::command(slash_command, guild_only, check = "super::access::is_staff")]
async fn reload(ctx: Context<'_>) -> Result<(), DiscordError> {
    // A large folder takes longer than Discord's 3 seconds to answer an interaction.
    ctx.defer_ephemeral().await?;
    let knowledge = std::sync::Arc::clone(&ctx.data().knowledge);
    let status = tokio::task::spawn_blocking(move || knowledge.reload()).await?;
    let text = match status {
        Ok(status) => status_text("Reloaded", &status),
        Err(err) => format!("The reload failed, so the previous knowledge keeps answering: {err}"),
    };
    private(ctx, text).await
}

/// Add or replace a knowledge file (.md or .txt); you see a preview before it is saved
#[poise::command(slash_command, guild_only, check = "super::access::is_staff")]
async fn upload(
    ctx: Context<'_>,
    #[description = "A Markdown (.md) or plain-text (.txt) file"] file: serenity::Attachment,
) -> Result<(), DiscordError> {
    let bot = ctx.data();
    let limit = u64::from(bot.settings.staff.max_upload_kib.get()) * 1024;
    let format = match check_name(&file.filename) {
        Ok(format) => format,
        Err(refusal) => return private(ctx, refusal).await,
    };
    if u64::from(file.size) > limit {
        let text = format!(
            "{} is {} KiB; the limit is {} KiB. Split it into smaller files, one topic each.",
            file.filename,
            file.size.div_ceil(1024),
            limit / 1024
        );
        return private(ctx, text).await;
    }
    ctx.defer_ephemeral().await?;
    let bytes = file.download().await?;
    if bytes.len() as u64 > limit {
        return private(ctx, format!("{} is larger than the limit.", file.filename)).await;
    }
    let parsed = crate::knowledge::parse(&file.filename, format, &bytes);
    let errors: Vec<String> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("• {d}"))
        .collect();
    let Some(document) = parsed.document.filter(|_| errors.is_empty()) else {
        let text = format!(
            "{} was not saved; please fix:\n{}",
            file.filename,
            errors.join("\n")
        );
        return private(ctx, text).await;
    };
    let placeholders = parsed
        .diagnostics
        .iter()
        .filter(|d| matches!(d.problem, Problem::Placeholder(_)))
        .count();
    let replaces = bot.knowledge.dir().join(&file.filename).exists();
    let mut preview = format!(
        "**Preview of {}**{}\nTitle: {}\nSections:\n",
        file.filename,
        if replaces {
            " (replaces the current file; the old one is kept as a backup)"
        } else {
            ""
        },
        document.title
    );
    let mut headings: Vec<&str> = document
        .passages
        .iter()
        .map(|p| p.heading.as_deref().unwrap_or("(introduction)"))
        .collect();
    headings.dedup();
    for heading in headings {
        preview.push_str(&format!("• {heading}\n"));
    }
    if placeholders > 0 {
        preview.push_str(&format!(
            "{placeholders} placeholder(s) still to fill in.\n"
        ));
    }
    preview.push_str("Save it?");
    let id = super::unguessable_id()?;
    lock(&bot.uploads).put(
        id,
        PendingUpload {
            name: file.filename.clone(),
            bytes,
            uploader: ctx.author().id.get(),
        },
    );
    let reply = poise::CreateReply::default()
        .content(format::fit(&preview, MESSAGE_CHARS))
        .components(format::upload_buttons(id))
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}

/// What members asked that the bot could not answer (and answers marked not helpful)
#[poise::command(slash_command, guild_only, check = "super::access::is_staff")]
async fn unanswered(
    ctx: Context<'_>,
    #[description = "How many days back (default 30)"]
    #[min = 1]
    #[max = 3650]
    days: Option<u32>,
) -> Result<(), DiscordError> {
    // Thousands of questions take longer to group than Discord waits for an answer.
    ctx.defer_ephemeral().await?;
    let days = days.unwrap_or(crate::records::report::DEFAULT_DAYS);
    let records = std::sync::Arc::clone(&ctx.data().records);
    let since = crate::records::report::since(days);
    let asked = tokio::task::spawn_blocking(move || records.unanswered(since)).await??;
    let gaps = crate::records::report::gaps(&asked);
    let mut text = format!("**Questions I could not answer (last {days} days)**\n");
    let bot = ctx.data();
    if gaps.is_empty() {
        text.push_str("None. Members found an answer every time.\n");
    }
    for (rank, gap) in gaps.iter().enumerate() {
        let mut unhelpful = if gap.not_helpful > 0 {
            format!(" ({} marked not helpful)", gap.not_helpful)
        } else {
            String::new()
        };
        if gap.escalated > 0 {
            unhelpful.push_str(&format!(" (sent to staff {}×)", gap.escalated));
        }
        // Members' words are shown as they typed them, never as Markdown: a masked link or a
        // code fence in a question must not turn into one in front of staff.
        text.push_str(&format!(
            "{}. {}× {}{unhelpful}\n",
            rank + 1,
            gap.count,
            format::escape_markdown(&gap.example)
        ));
    }
    let linkable = super::teaching::offer(bot, &gaps)?;
    if !linkable.is_empty() {
        text.push_str("Link a question to the section that answers it, and I will answer it from there (or use `/kb teach`).\n");
    }
    let reply = poise::CreateReply::default()
        .content(format::fit(&text, MESSAGE_CHARS))
        .components(format::link_gap_buttons(&linkable))
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}

/// Helpful and not-helpful votes per answer, worst first
#[poise::command(slash_command, guild_only, check = "super::access::is_staff")]
async fn feedback(ctx: Context<'_>) -> Result<(), DiscordError> {
    ctx.defer_ephemeral().await?;
    let records = std::sync::Arc::clone(&ctx.data().records);
    let votes = tokio::task::spawn_blocking(move || records.votes()).await??;
    let votes = crate::records::report::worst_first(votes);
    let mut text = String::from("**Answers rated by members (worst first)**\n");
    if votes.is_empty() {
        text.push_str("No votes yet.\n");
    }
    for vote in votes {
        text.push_str(&format!(
            "• {}: {} helpful, {} not helpful\n",
            vote.source, vote.helpful, vote.not_helpful
        ));
    }
    private(ctx, text).await
}

async fn private(ctx: Context<'_>, text: String) -> Result<(), DiscordError> {
    let reply = poise::CreateReply::default()
        .content(format::fit(&text, MESSAGE_CHARS))
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    ctx.send(reply).await?;
    Ok(())
}

/// A file name staff may upload: a plain `.md` or `.txt` name that stays in the folder. FAQ
/// exports are larger than an upload may be, so they are copied into the folder instead.
fn check_name(name: &str) -> Result<Format, String> {
    let path = Path::new(name);
    let plain = path.components().count() == 1
        && !name.contains(['/', '\\'])
        && !name.starts_with('.')
        && !name.contains("..")
        && !path.is_absolute();
    if !plain {
        return Err(format!(
            "\"{name}\" is not a plain file name: use a name like first-visit.md, without folders or a leading dot."
        ));
    }
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("md") => Ok(Format::Markdown),
        Some("txt") => Ok(Format::PlainText),
        _ => Err(format!(
            "\"{name}\" is not a knowledge file: upload Markdown (.md) or plain text (.txt)."
        )),
    }
}

/// Saves a pending upload (see [`crate::knowledge::save::save`]) and reloads, so the next question
/// uses it.
pub(crate) fn save_upload(
    knowledge: &LiveKnowledge,
    data_dir: &Path,
    upload: &PendingUpload,
) -> Result<String, crate::knowledge::save::SaveError> {
    let backup =
        crate::knowledge::save::save(knowledge.dir(), data_dir, &upload.name, &upload.bytes, None)?;
    let backup_note = backup.map_or(String::new(), |backup| {
        format!(" The previous version is kept as {}.", backup.display())
    });
    let status = knowledge.reload();
    let reloaded = match status {
        Ok(_) => "I'm answering from it now.".to_string(),
        Err(err) => format!(
            "It was saved, but the reload failed ({err}); the previous knowledge keeps answering."
        ),
    };
    Ok(format!("Saved {}. {reloaded}{backup_note}", upload.name))
}

/// Takes a pending upload for `member`, if it is theirs.
pub(crate) fn take_upload(bot: &Bot, id: u64, member: u64) -> Option<PendingUpload> {
    let mut uploads = lock(&bot.uploads);
    match uploads.peek(&id) {
        Some(upload) if upload.uploader == member => uploads.pop(&id),
        _ => None,
    }
}

/// The status as staff read it.
pub(crate) fn status_text(heading: &str, status: &Status) -> String {
    let reloaded = status
        .reloaded_at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let mut text = format!(
        "**{heading}**\nFiles: {} · Passages: {} · Last reload: <t:{reloaded}:R>\n",
        status.files, status.passages
    );
    text.push_str(&format!("Matching by meaning: {}\n", status.meaning));
    let errors: Vec<_> = status.errors().collect();
    if errors.is_empty() {
        text.push_str("No file has errors.\n");
    } else {
        text.push_str(&format!("Files with errors ({}):\n", errors.len()));
        for error in errors {
            let still = if status.serving_last_good.contains(&error.path) {
                " (still answering from its last good version)"
            } else {
                ""
            };
            text.push_str(&format!("• {error}{still}\n"));
        }
    }
    let placeholders = status.placeholder_lines();
    if !placeholders.is_empty() {
        text.push_str(&format!(
            "Placeholders still to fill in ({}); members see the staff contact line instead:\n",
            status.placeholders().count()
        ));
        for (path, lines) in placeholders {
            text.push_str(&format!(
                "• {path}: line {}\n",
                crate::knowledge::listed_lines(&lines)
            ));
        }
    }
    if !status.due_for_review.is_empty() {
        text.push_str(&format!(
            "Due for review ({}):\n",
            status.due_for_review.len()
        ));
        for (path, date) in &status.due_for_review {
            text.push_str(&format!("• {path} (last reviewed {date})\n"));
        }
    }
    text
}

/// Posts knowledge-file problems to the staff channel as reloads find them: new errors when
/// they appear, and a short all-clear once every file is fine again.
pub(crate) async fn tell_staff(
    http: std::sync::Arc<serenity::Http>,
    channel: Option<serenity::ChannelId>,
    mut reloads: tokio::sync::mpsc::UnboundedReceiver<Result<Status, crate::live::ReloadError>>,
    mut known: std::collections::BTreeSet<String>,
) {
    while let Some(result) = reloads.recv().await {
        let status = match result {
            Ok(status) => status,
            Err(err) => {
                tracing::error!(%err, "reloading the knowledge failed; the previous knowledge keeps answering");
                continue;
            }
        };
        let current: std::collections::BTreeSet<String> =
            status.errors().map(ToString::to_string).collect();
        let new: Vec<&crate::knowledge::Diagnostic> = status
            .errors()
            .filter(|error| !known.contains(&error.to_string()))
            .collect();
        for error in &new {
            tracing::warn!("knowledge file problem: {error}");
        }
        let text = if !new.is_empty() {
            let lines: Vec<String> = new
                .iter()
                .map(|error| {
                    let still = if status.serving_last_good.contains(&error.path) {
                        " (still answering from its last good version)"
                    } else {
                        ""
                    };
                    format!("• {error}{still}")
                })
                .collect();
            Some(format!(
                "**Knowledge file problems**\n{}\nRun `/kb status` to see all.",
                lines.join("\n")
            ))
        } else if current.is_empty() && !known.is_empty() {
            Some("**Knowledge files are all fine again.**".to_string())
        } else {
            None
        };
        known = current;
        let (Some(channel), Some(text)) = (channel, text) else {
            continue;
        };
        let message = serenity::CreateMessage::new()
            .content(format::fit(&text, MESSAGE_CHARS))
            .allowed_mentions(format::no_pings());
        if let Err(err) = channel.send_message(&http, message).await {
            tracing::warn!(%err, "could not post to the staff channel");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_knowledge_file_names_are_accepted() {
        assert_eq!(check_name("first-visit.md"), Ok(Format::Markdown));
        assert_eq!(check_name("Prices.TXT"), Ok(Format::PlainText));
        for bad in [
            "../escape.md",
            "/etc/passwd.md",
            "sub/dir.md",
            "..\\win.md",
            ".hidden.md",
            "notes.pdf",
            "noext",
            "faq.csv",
            "faq.jsonl",
            "notes.markdown",
        ] {
            assert!(check_name(bad).is_err(), "{bad} accepted");
        }
    }
}
