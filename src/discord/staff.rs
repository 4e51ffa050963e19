//! `/kb`: staff tools for the knowledge base, from Discord.
//!
//! Discord shows the commands only to members with Manage Server (`default_member_permissions`),
//! but a server admin can loosen that, so the bot checks again on every use: Manage Server or
//! the staff role from the config. Uploads are validated exactly like `faqbot check`, previewed,
//! and written only on "Save": atomically, with the replaced file kept as a backup.

use std::path::{Path, PathBuf};

use poise::serenity_prelude as serenity;

use super::format::{self, MESSAGE_CHARS};
use super::{Bot, Context, DiscordError, lock};
use crate::knowledge::{Format, Problem};
use crate::live::{LiveKnowledge, Status, write_atomically};

/// What a refused member is told.
const STAFF_ONLY: &str = "Sorry, the /kb commands are for clinic staff.";

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
    subcommands("status", "reload", "upload", "unanswered", "feedback"),
    subcommand_required
)]
pub(crate) async fn kb(_ctx: Context<'_>) -> Result<(), DiscordError> {
    Ok(())
}

/// Files, passages, last reload, files with errors and files due for review
#[poise::command(slash_command, guild_only, check = "is_staff")]
async fn status(ctx: Context<'_>) -> Result<(), DiscordError> {
    let status = ctx.data().knowledge.status();
    private(ctx, status_text("Knowledge base", &status)).await
}

/// Re-read the knowledge folder now and report the result
#[poise::command(slash_command, guild_only, check = "is_staff")]
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
#[poise::command(slash_command, guild_only, check = "is_staff")]
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
#[poise::command(slash_command, guild_only, check = "is_staff")]
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
    if gaps.is_empty() {
        text.push_str("None. Members found an answer every time.\n");
    }
    for (rank, gap) in gaps.iter().enumerate() {
        let unhelpful = if gap.not_helpful > 0 {
            format!(" ({} marked not helpful)", gap.not_helpful)
        } else {
            String::new()
        };
        // Members' words are shown as they typed them, never as Markdown: a masked link or a
        // code fence in a question must not turn into one in front of staff.
        text.push_str(&format!(
            "{}. {}× {}{unhelpful}\n",
            rank + 1,
            gap.count,
            format::escape_markdown(&gap.example)
        ));
    }
    private(ctx, text).await
}

/// Helpful and not-helpful votes per answer, worst first
#[poise::command(slash_command, guild_only, check = "is_staff")]
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

/// Whether the member may use staff tools: Manage Server, or the staff role.
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

async fn is_staff(ctx: Context<'_>) -> Result<bool, DiscordError> {
    let member = ctx.author_member().await;
    Ok(member_is_staff(ctx.data(), member.as_deref()))
}

/// Tells a member the command is not for them (used by the error handler on a failed check).
pub(crate) async fn refuse(ctx: Context<'_>) -> Result<(), DiscordError> {
    private(ctx, STAFF_ONLY.to_string()).await
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

/// Backups kept of each knowledge file; older ones are deleted when a newer one is made.
pub(crate) const BACKUPS_KEPT: usize = 20;

/// Saves a pending upload: the replaced file goes to the backups folder first, then the new
/// one is written atomically and the knowledge reloaded, so the next question uses it. Two
/// saves never interleave, so each keeps its own backup.
pub(crate) fn save_upload(
    knowledge: &LiveKnowledge,
    data_dir: &Path,
    upload: &PendingUpload,
) -> Result<String, std::io::Error> {
    let target = knowledge.dir().join(&upload.name);
    let backup_note = crate::live::one_write_at_a_time(|| {
        let backup = if target.exists() {
            Some(back_up(data_dir, &upload.name, &std::fs::read(&target)?)?)
        } else {
            None
        };
        write_atomically(&target, &upload.bytes)?;
        Ok::<_, std::io::Error>(backup.map_or(String::new(), |backup| {
            format!(" The previous version is kept as {}.", backup.display())
        }))
    })?;
    let status = knowledge.reload();
    let reloaded = match status {
        Ok(_) => "I'm answering from it now.".to_string(),
        Err(err) => format!(
            "It was saved, but the reload failed ({err}); the previous knowledge keeps answering."
        ),
    };
    Ok(format!("Saved {}. {reloaded}{backup_note}", upload.name))
}

/// Keeps `bytes` as a new backup of the knowledge file `name`, named `NAME.TIME` (to the
/// microsecond, and never over an existing backup), and deletes all but the newest
/// [`BACKUPS_KEPT`] backups of that file. Returns the backup's path.
pub(crate) fn back_up(data_dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let folder = data_dir.join("backups");
    std::fs::create_dir_all(&folder)?;
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%6fZ")
        .to_string();
    let mut backup = folder.join(format!("{name}.{stamp}"));
    let mut n = 1;
    while backup.exists() {
        n += 1;
        backup = folder.join(format!("{name}.{stamp}-{n}"));
    }
    write_atomically(&backup, bytes)?;
    prune_backups(&folder, name)?;
    Ok(backup)
}

/// Deletes the oldest backups of `name` beyond [`BACKUPS_KEPT`]; their names sort by time.
fn prune_backups(folder: &Path, name: &str) -> std::io::Result<()> {
    let prefix = format!("{name}.");
    let mut backups: Vec<(String, PathBuf)> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file = entry.file_name().to_str()?.to_string();
            let stamp = file.strip_prefix(&prefix)?;
            // Only this file's backups: `a.md.2026…`, not `a.md.old.md.2026…`.
            stamp
                .starts_with(|c: char| c.is_ascii_digit())
                .then(|| (stamp_key(stamp), entry.path()))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(BACKUPS_KEPT);
    for (_, path) in backups.into_iter().take(excess) {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// Orders `TIME` and `TIME-N` backups by time, then by N.
fn stamp_key(stamp: &str) -> String {
    match stamp.split_once('-') {
        Some((time, n)) => format!("{time}-{n:0>6}"),
        None => format!("{stamp}-{:0>6}", 1),
    }
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
    let placeholders = placeholder_lines(status);
    if !placeholders.is_empty() {
        text.push_str(&format!(
            "Placeholders still to fill in ({}); members see the staff contact line instead:\n",
            status.placeholders().count()
        ));
        for (path, lines) in placeholders {
            text.push_str(&format!("• {path}: line {}\n", lines.join(", ")));
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

/// The lines of each file that still hold a placeholder, file by file: one short line per file
/// keeps the list readable in a message when the starter knowledge still has dozens.
fn placeholder_lines(status: &Status) -> std::collections::BTreeMap<&str, Vec<String>> {
    let mut files: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for placeholder in status.placeholders() {
        let lines = files.entry(placeholder.path.as_str()).or_default();
        let line = placeholder.line.to_string();
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    files
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

    #[test]
    fn backups_never_overwrite_and_only_the_newest_are_kept() {
        let data = tempfile::tempdir().unwrap();
        let mut made = Vec::new();
        for n in 0..BACKUPS_KEPT + 5 {
            made.push(back_up(data.path(), "hours.md", format!("v{n}").as_bytes()).unwrap());
        }
        back_up(data.path(), "hours.md.old.md", b"other file").unwrap();
        let mut kept: Vec<String> = std::fs::read_dir(data.path().join("backups"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        kept.sort_by_key(|text| {
            text.trim_start_matches('v')
                .parse::<usize>()
                .unwrap_or(usize::MAX)
        });
        let expected: Vec<String> = (5..BACKUPS_KEPT + 5)
            .map(|n| format!("v{n}"))
            .chain(["other file".to_string()])
            .collect();
        assert_eq!(kept, expected);
    }
}
