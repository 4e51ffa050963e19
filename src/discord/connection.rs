//! Connecting to Discord and staying connected: start-up (with command registration retried
//! through Discord's outages, and a refusal turned into what to fix), the event loop, and
//! stopping cleanly, on a signal or a fatal error, whatever the gateway is doing.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tracing::{Instrument, info, info_span};

use super::{Bot, DiscordError, access, ask, buttons, format, handover, messages, staff};
use crate::config::Settings;
use crate::live::LiveKnowledge;
use crate::records::Records;

/// A bot connected to Discord (or to whatever `api_proxy` points at).
pub struct RunningBot {
    shards: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
    /// Hears why start-up failed after the connection (command registration).
    failed: tokio::sync::oneshot::Receiver<DiscordError>,
    records: Arc<dyn Records>,
    /// What runs beside the client until it stops: the heartbeat (see [`crate::health`]),
    /// and the weekly digest when it is on.
    background: Vec<tokio::task::JoinHandle<()>>,
    _watcher: crate::live::KnowledgeWatcher,
}

/// How long stopping may wait for Discord to take the disconnect: with the gateway gone,
/// serenity keeps trying to reconnect and would never finish, and a service manager kills
/// what does not stop (systemd after 90 s, Docker after 10 s).
const DISCONNECT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Disconnects every shard and waits for the client to stop, at most [`DISCONNECT_GRACE`]:
/// past it (Discord unreachable) the client is abandoned, and stopping goes on.
async fn disconnect(
    shards: &serenity::ShardManager,
    task: &mut tokio::task::JoinHandle<Result<(), serenity::Error>>,
) -> Result<(), DiscordError> {
    let stopped = tokio::time::timeout(DISCONNECT_GRACE, async {
        shards.shutdown_all().await;
        (&mut *task).await
    })
    .await;
    match stopped {
        Ok(result) => client_result(result?),
        Err(_) => {
            tracing::warn!(
                seconds = DISCONNECT_GRACE.as_secs(),
                "Discord did not take the disconnect in time; stopping without it"
            );
            task.abort();
            Ok(())
        }
    }
}

impl RunningBot {
    /// Disconnects every shard, waits for the client to stop (at most a few seconds), and
    /// writes every queued record.
    pub async fn shutdown(mut self) -> Result<(), DiscordError> {
        self.background
            .iter()
            .for_each(tokio::task::JoinHandle::abort);
        let result = disconnect(&self.shards, &mut self.task).await;
        flush(self.records).await;
        result
    }

    /// Runs until the client stops by itself (a fatal gateway error), start-up fails, or the
    /// process is told to stop (Ctrl-C, or SIGTERM from a service manager); then disconnects
    /// and writes every queued record before returning.
    pub async fn wait(self) -> Result<(), DiscordError> {
        let RunningBot {
            shards,
            mut task,
            mut failed,
            records,
            background,
            _watcher,
        } = self;
        let result = tokio::select! {
            result = &mut task => client_result(result?),
            Ok(failure) = &mut failed => {
                // The client's own result says only that it was shut down.
                let _ = disconnect(&shards, &mut task).await;
                Err(failure)
            }
            signal = stop_signal() => {
                info!(signal, "stopping: disconnecting from Discord");
                disconnect(&shards, &mut task).await
            }
        };
        background.iter().for_each(tokio::task::JoinHandle::abort);
        flush(records).await;
        result
    }
}

/// Touches the heartbeat file every [`crate::health::BEAT_EVERY`] while every shard is
/// connected, so `faqbot health` can tell a live bot from one that lost Discord. A file that
/// cannot be written is logged once, and again when it can be.
async fn keep_beating(shards: Arc<serenity::ShardManager>, data_dir: std::path::PathBuf) {
    let mut every = tokio::time::interval(crate::health::BEAT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        every.tick().await;
        if !all_connected(&shards).await {
            continue;
        }
        let dir = data_dir.clone();
        match tokio::task::spawn_blocking(move || crate::health::beat(&dir)).await {
            Ok(Ok(())) if failing => {
                failing = false;
                info!("the heartbeat file is written again");
            }
            Ok(Ok(())) => {}
            Ok(Err(err)) if !failing => {
                failing = true;
                tracing::warn!(
                    error = format!("{:#}", anyhow::Error::from(err)),
                    "cannot write the heartbeat; `faqbot health` will report the bot as down"
                );
            }
            Ok(Err(_)) => {}
            Err(err) => tracing::error!(%err, "writing the heartbeat failed"),
        }
    }
}

/// Whether the bot has shards and every one is connected to the gateway (a shard waiting to
/// reconnect is not among them).
async fn all_connected(shards: &serenity::ShardManager) -> bool {
    let runners = shards.runners.lock().await;
    !runners.is_empty()
        && runners
            .values()
            .all(|runner| runner.stage == serenity::ConnectionStage::Connected)
}

/// Why the client stopped, in words that say what to fix.
fn client_result(result: Result<(), serenity::Error>) -> Result<(), DiscordError> {
    use serenity::GatewayError;
    match result {
        Ok(()) => Ok(()),
        Err(serenity::Error::Gateway(GatewayError::InvalidAuthentication)) => {
            Err(DiscordError::TokenRejected)
        }
        Err(serenity::Error::Gateway(
            GatewayError::DisallowedGatewayIntents | GatewayError::InvalidGatewayIntents,
        )) => Err(DiscordError::IntentsRefused),
        Err(serenity::Error::Http(err)) if err.status_code().map(|s| s.as_u16()) == Some(401) => {
            Err(DiscordError::TokenRejected)
        }
        Err(err) => Err(err.into()),
    }
}

/// Writes what the records still hold in memory, off the async runtime.
async fn flush(records: Arc<dyn Records>) {
    if let Err(err) = tokio::task::spawn_blocking(move || records.flush()).await {
        tracing::error!(%err, "writing the last question records failed");
    }
}

/// Waits for Ctrl-C or, on Unix, SIGTERM; names the one that came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = terminate.recv() => "SIGTERM",
            },
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM; only Ctrl-C stops the bot cleanly");
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Attempts at registering the slash commands when Discord cannot be reached or is failing.
const REGISTER_ATTEMPTS: u32 = 5;
/// The wait before the second attempt; it doubles after each failure (1, 2, 4, 8 s).
const REGISTER_FIRST_RETRY: Duration = Duration::from_secs(1);

/// Registers the commands in `guild` (or globally), retrying with backoff while the failure
/// is Discord's or the network's; a refusal (wrong server, missing scope) fails at once.
async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Bot, DiscordError>],
    guild: Option<serenity::GuildId>,
) -> Result<(), DiscordError> {
    let mut wait = REGISTER_FIRST_RETRY;
    let mut attempt = 1;
    loop {
        let result = match guild {
            Some(guild) => poise::builtins::register_in_guild(ctx, commands, guild).await,
            None => poise::builtins::register_globally(ctx, commands).await,
        };
        let err = match result {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        if !is_transient(&err) || attempt == REGISTER_ATTEMPTS {
            return Err(registration_error(guild, &err, attempt));
        }
        tracing::warn!(%err, attempt, retry_in = ?wait, "registering the slash commands failed; retrying");
        tokio::time::sleep(wait).await;
        wait *= 2;
        attempt += 1;
    }
}

/// Network failures, rate limits and Discord's own errors pass; refusals do not.
fn is_transient(err: &serenity::Error) -> bool {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            response.status_code.is_server_error() || response.status_code.as_u16() == 429
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) | serenity::Error::Io(_) => true,
        _ => false,
    }
}

fn registration_error(
    guild: Option<serenity::GuildId>,
    err: &serenity::Error,
    attempts: u32,
) -> DiscordError {
    let guild = guild.map(serenity::GuildId::get);
    let reason = match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            let refused = format!(
                "Discord answered {} {} (code {})",
                response.status_code.as_u16(),
                response.error.message,
                response.error.code
            );
            match (response.status_code.as_u16(), guild) {
                (401, _) => return DiscordError::TokenRejected,
                (403 | 404, Some(_)) => format!(
                    "{refused}. Check that discord.guild_id is the id of the server the bot was invited to (right-click the server, Copy Server ID), and that the invite included the applications.commands scope (see the README, Run it on your Discord server)"
                ),
                (403, None) => format!(
                    "{refused}. Invite the bot again with the applications.commands scope (see the README, Run it on your Discord server)"
                ),
                _ if is_transient(err) => format!("{refused}, {attempts} times; try again later"),
                _ => refused,
            }
        }
        _ if is_transient(err) => format!("Discord could not be reached ({err}), {attempts} times"),
        _ => err.to_string(),
    };
    DiscordError::Registration { guild, reason }
}

/// Connects to Discord with `settings` and starts answering; returns once the client runs.
pub async fn start(
    settings: Arc<Settings>,
    knowledge: Arc<LiveKnowledge>,
    records: Arc<dyn Records>,
) -> Result<RunningBot, DiscordError> {
    let discord = &settings.discord;
    let token = discord.token.clone().ok_or(DiscordError::MissingToken)?;
    let mut http = serenity::HttpBuilder::new(token.expose());
    if let Some(proxy) = &discord.api_proxy {
        // serenity's rate limiter sends to discord.com directly, bypassing the proxy, and the
        // proxy owns rate limits anyway.
        http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
    }
    let http = http.build();
    let mut intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::DIRECT_MESSAGES;
    if !discord.help_channels.is_empty() {
        // Privileged: only needed to read help-channel messages that do not mention the bot.
        intents |= serenity::GatewayIntents::MESSAGE_CONTENT;
    }
    let guild = discord.guild_id.map(serenity::GuildId::new);
    let watched_knowledge = Arc::clone(&knowledge);
    let bot = Bot::new(knowledge, Arc::clone(&settings), Arc::clone(&records));
    let (fail, failed) = tokio::sync::oneshot::channel();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ask::ask(), handover::answer_with_faqbot(), staff::kb()],
            // faqbot has only application commands. Taking a mention as a command prefix made poise
            // parse every mention as a command and log the member's question as unknown.
            prefix_options: poise::PrefixFrameworkOptions {
                prefix: None,
                mention_as_prefix: false,
                ..Default::default()
            },
            allowed_mentions: Some(format::no_pings()),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                match register(ctx, &framework.options().commands, guild).await {
                    Ok(()) => {
                        info!(user = %ready.user.name, ?guild, "connected; commands registered");
                        Ok(bot)
                    }
                    Err(err) => {
                        // `wait` disconnects and returns the error; the process must not stay
                        // connected answering nothing.
                        let _ = fail.send(err);
                        Err(DiscordError::StartupFailed)
                    }
                }
            })
        })
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .await?;
    let shards = Arc::clone(&client.shard_manager);
    let (reloads, reloaded) = tokio::sync::mpsc::unbounded_channel();
    let watcher = watched_knowledge.watch(move |result| {
        // The receiver is gone only when the bot stopped.
        let _ = reloads.send(result);
    })?;
    let known = watched_knowledge
        .status()
        .errors()
        .map(ToString::to_string)
        .collect();
    tokio::spawn(staff::tell_staff(
        Arc::clone(&client.http),
        settings.staff.channel_id.map(serenity::ChannelId::new),
        reloaded,
        known,
    ));
    let mut background = vec![tokio::spawn(keep_beating(
        Arc::clone(&shards),
        settings.data_dir.clone(),
    ))];
    // The config refuses a digest without a staff channel.
    if let (Some(schedule), Some(channel)) = (&settings.staff.digest, settings.staff.channel_id) {
        background.push(tokio::spawn(
            super::digest::post_weekly(
                Arc::clone(&client.http),
                serenity::ChannelId::new(channel),
                schedule.clone(),
                Arc::clone(&records),
                watched_knowledge,
            )
            .instrument(info_span!("digest")),
        ));
    }
    let task = tokio::spawn(async move { client.start().await }.instrument(info_span!("discord")));
    Ok(RunningBot {
        shards,
        task,
        failed,
        records,
        background,
        _watcher: watcher,
    })
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Bot, DiscordError>,
    event: &serenity::FullEvent,
) -> Result<(), DiscordError> {
    match event {
        serenity::FullEvent::Message { new_message } => {
            messages::on_message(framework.serenity_context, framework.user_data, new_message).await
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(press),
        } => buttons::on_press(framework.serenity_context, framework.user_data, press).await,
        serenity::FullEvent::ThreadCreate { thread } => {
            messages::on_thread(framework.user_data, thread);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// One place for errors: the whole chain goes to the log, the member gets a kind sentence.
async fn on_error(error: poise::FrameworkError<'_, Bot, DiscordError>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(
                error = format!("{:#}", anyhow::Error::from(error)),
                "command failed"
            );
            tell_privately(
                ctx,
                "Sorry, something went wrong on my side. Please try again in a moment.",
            )
            .await;
        }
        poise::FrameworkError::CommandCheckFailed { ctx, error, .. } => {
            if let Some(error) = error {
                tracing::error!(
                    error = format!("{:#}", anyhow::Error::from(error)),
                    "check failed"
                );
            }
            tracing::info!(command = %ctx.command().qualified_name, "refused: not staff");
            if let Err(err) = access::refuse(ctx).await {
                tracing::warn!(%err, "could not tell the member they were refused");
            }
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            tell_privately(
                ctx,
                "That command works only in the clinic's server, not in direct messages.",
            )
            .await;
        }
        // Reported by `RunningBot::wait`, which stops the bot.
        poise::FrameworkError::Setup { .. } => {}
        poise::FrameworkError::EventHandler { error, .. } => {
            tracing::error!(
                error = format!("{:#}", anyhow::Error::from(error)),
                "event handler failed"
            );
        }
        other => {
            if let Err(err) = poise::builtins::on_error(other).await {
                tracing::error!(%err, "error while handling an error");
            }
        }
    }
}

/// Tells the member who used a command `text`, for their eyes only; a failure is logged.
async fn tell_privately(ctx: poise::Context<'_, Bot, DiscordError>, text: &str) {
    let reply = poise::CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(format::no_pings());
    if let Err(err) = ctx.send(reply).await {
        tracing::warn!(%err, text, "could not tell the member");
    }
}
