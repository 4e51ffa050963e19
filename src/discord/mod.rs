//! The Discord adapter: connects the answer engine to Discord with poise on serenity.
//!
//! Members ask with `/ask`, by mentioning the bot, or in a configured help channel; all three
//! go through [`Bot::ask`], which rate-limits per member, runs the engine off the async
//! runtime, records the question without the member's identity, and hands back what to show.
//! Formatting is in [`format`], pure and tested without a network. Nothing the bot sends can
//! ping anyone: every message carries empty `allowed_mentions`.

mod ask;
mod buttons;
mod escalate;
pub mod format;
mod messages;
mod staff;
mod teaching;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poise::serenity_prelude as serenity;
use thiserror::Error;
use tracing::{Instrument, info, info_span};

use crate::answer::Answer;
use crate::config::Settings;
use crate::live::LiveKnowledge;
use crate::records::{Asked, Channel, Records};
use format::{ANSWER_PASSAGES, Texts};

/// How many answers are kept for their buttons; older ones answer "ask again".
const REMEMBERED_ANSWERS: usize = 2_000;
/// Uploads waiting for Save or Cancel; an abandoned one is forgotten after this many more.
const PENDING_UPLOADS: usize = 50;
/// How many message ids are kept to never answer one twice (Discord may redeliver on resume).
const REMEMBERED_MESSAGES: usize = 5_000;

/// Errors of the Discord side. Their messages never contain the token.
#[derive(Debug, Error)]
pub enum DiscordError {
    /// No token configured.
    #[error(
        "no Discord bot token: set the DISCORD_TOKEN environment variable (or `token` under [discord] in faqbot.toml)"
    )]
    MissingToken,
    /// serenity failed to start or run the client.
    #[error("the Discord client failed")]
    Client(#[source] Box<serenity::Error>),
    /// The engine failed while answering.
    #[error("the answer engine failed")]
    Engine(#[from] crate::search::SearchError),
    /// The question records failed.
    #[error(transparent)]
    Records(#[from] crate::records::RecordsError),
    /// The knowledge folder could not be watched.
    #[error(transparent)]
    Watch(#[from] crate::live::ReloadError),
    /// The operating system gave no random number.
    #[error("no random number from the operating system")]
    Random(#[source] getrandom::Error),
    /// The engine's worker thread died.
    #[error("the answer engine stopped unexpectedly")]
    Worker(#[from] tokio::task::JoinError),
    /// Discord refused the token.
    #[error(
        "Discord rejected the bot token: copy a new one from the Developer Portal (Bot → Reset Token) into DISCORD_TOKEN"
    )]
    TokenRejected,
    /// Discord refused the Message Content intent that help channels need.
    #[error(
        "Discord refused the Message Content intent, which help channels need: turn on Message Content Intent under Bot → Privileged Gateway Intents in the Developer Portal, or remove help_channels from the config"
    )]
    IntentsRefused,
    /// Start-up failed; the reason went to [`RunningBot::wait`].
    #[error("start-up failed")]
    StartupFailed,
    /// The slash commands could not be registered, so members could not use them.
    #[error("could not register the slash commands{}: {reason}", in_guild(*.guild))]
    Registration {
        /// The server the commands were registered in, if not globally.
        guild: Option<u64>,
        /// What went wrong and what to fix.
        reason: String,
    },
}

impl From<serenity::Error> for DiscordError {
    fn from(err: serenity::Error) -> Self {
        // Boxed: serenity's error is large, and every handler's result carries this type.
        DiscordError::Client(Box::new(err))
    }
}

fn in_guild(guild: Option<u64>) -> String {
    guild.map_or(String::new(), |guild| format!(" in server {guild}"))
}

/// poise's command context with faqbot's state.
pub(crate) type Context<'a> = poise::Context<'a, Bot, DiscordError>;

/// Everything the bot's handlers share.
pub struct Bot {
    knowledge: Arc<LiveKnowledge>,
    settings: Arc<Settings>,
    records: Arc<dyn Records>,
    limiter: DefaultKeyedRateLimiter<u64>,
    answers: Mutex<lru::LruCache<u64, Remembered>>,
    handled_messages: Mutex<lru::LruCache<u64, ()>>,
    uploads: Mutex<lru::LruCache<u64, staff::PendingUpload>>,
    /// When each member's questions reached staff, over the last day: only delivered posts
    /// count against `staff.escalations_per_day`.
    escalations: Mutex<lru::LruCache<u64, std::collections::VecDeque<std::time::Instant>>>,
    /// Answers whose question was sent to staff, so a second press posts nothing.
    escalated: Mutex<lru::LruCache<u64, ()>>,
    /// Gaps shown with a "Link" button, and sections suggested for them.
    gaps: Mutex<lru::LruCache<u64, teaching::PendingGap>>,
    /// Teaching previews waiting for Save or Cancel.
    lessons: Mutex<lru::LruCache<u64, teaching::PendingLesson>>,
    /// Which channels are threads under a help channel (and their titles), as found out.
    threads: Mutex<lru::LruCache<u64, Option<messages::HelpThread>>>,
}

/// An answer kept for its buttons.
#[derive(Debug, Clone)]
pub(crate) struct Remembered {
    /// Where it was asked.
    pub channel: Channel,
    /// What the engine said (answered or not).
    pub answer: Answer,
    /// A link to the answer's message, once known: "Ask staff" pressed from a private
    /// follow-up has no message of its own to link to.
    pub link: Option<String>,
    /// Who asked, so that only they may send it to staff. Kept in memory with the answer for
    /// its buttons, never written anywhere.
    pub asker: u64,
}

/// What a question turned into.
pub(crate) enum Outcome {
    /// The member asked too often; they may ask again after this long.
    TooSoon(Duration),
    /// The engine's answer, numbered for its buttons (answered or not), with the ranges of
    /// the best passage to show in bold.
    Answer {
        id: u64,
        answer: Answer,
        highlights: Vec<std::ops::Range<usize>>,
    },
}

/// A number no member can guess, for a button's custom id: a press carries it back, and a
/// guessable one would let a crafted press vote on someone else's answer or save another
/// staff member's upload.
pub(crate) fn unguessable_id() -> Result<u64, DiscordError> {
    getrandom::u64().map_err(DiscordError::Random)
}

impl Bot {
    /// The bot's shared state.
    pub fn new(
        knowledge: Arc<LiveKnowledge>,
        settings: Arc<Settings>,
        records: Arc<dyn Records>,
    ) -> Self {
        let discord = &settings.discord;
        let period = Duration::from_secs(u64::from(discord.cooldown_seconds.get()))
            / discord.cooldown_questions.get();
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(discord.cooldown_questions))
            .allow_burst(discord.cooldown_questions);
        Bot {
            knowledge,
            records,
            limiter: RateLimiter::keyed(quota),
            answers: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_ANSWERS))),
            handled_messages: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_MESSAGES))),
            uploads: Mutex::new(lru::LruCache::new(nonzero(PENDING_UPLOADS))),
            escalations: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_ANSWERS))),
            escalated: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_ANSWERS))),
            gaps: Mutex::new(lru::LruCache::new(nonzero(PENDING_UPLOADS))),
            lessons: Mutex::new(lru::LruCache::new(nonzero(PENDING_UPLOADS))),
            threads: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_MESSAGES))),
            settings,
        }
    }

    /// The lines from the config that answers carry.
    pub(crate) fn texts(&self) -> Texts<'_> {
        Texts {
            disclaimer: &self.settings.answers.disclaimer,
            staff_contact: &self.settings.answers.staff_contact,
        }
    }

    /// Answers a member's question: rate-limited per member, mentions taken out, cut to the
    /// configured length, searched off the async runtime, and recorded without the member's
    /// identity (nor anyone's mentioned in it).
    pub(crate) async fn ask(
        &self,
        member: u64,
        question: &str,
        channel: Channel,
    ) -> Result<Outcome, DiscordError> {
        if let Err(not_until) = self.limiter.check_key(&member) {
            return Ok(Outcome::TooSoon(
                not_until.wait_time_from(DefaultClock::default().now()),
            ));
        }
        let question = crate::records::without_mentions(question);
        let question = crate::search::cut_question(
            &question,
            self.settings.discord.max_question_chars.get() as usize,
        )
        .to_string();
        // One index for the whole question, even if a reload swaps in a new one meanwhile.
        let engine = self.knowledge.engine();
        let span = info_span!("ask", ?channel);
        let (answer, highlights) = tokio::task::spawn_blocking(move || {
            let _entered = span.entered();
            let answer = engine.answer(&question, ANSWER_PASSAGES)?;
            let highlights = answer
                .best()
                .map(|best| engine.highlights(&best.text, &best.matched_terms))
                .unwrap_or_default();
            Ok::<_, crate::search::SearchError>((answer, highlights))
        })
        .await??;
        let best = answer.best();
        self.records.asked(Asked {
            // The text of an answered question is not kept: the reports count it, and need
            // only the questions the bot could not answer (a *Not helpful* press or *Ask staff*
            // records its question then).
            question: if answer.answered {
                String::new()
            } else {
                answer.question.clone()
            },
            at: std::time::SystemTime::now(),
            channel,
            answered: answer.answered,
            top_source: best.map(|hit| format!("{}:{}", hit.source, hit.line)),
            score: best.map(|hit| hit.score),
            not_helpful: false,
            escalated: false,
        });
        let id = unguessable_id()?;
        // Unanswered too: "Ask staff" needs the question.
        self.remember(id, channel, answer.clone(), member);
        Ok(Outcome::Answer {
            id,
            answer,
            highlights,
        })
    }

    fn remember(&self, id: u64, channel: Channel, answer: Answer, asker: u64) {
        lock(&self.answers).put(
            id,
            Remembered {
                channel,
                answer,
                link: None,
                asker,
            },
        );
    }

    /// Whether `member` may send another question to staff today: fewer than
    /// `staff.escalations_per_day` of theirs reached staff in the last 24 hours.
    pub(crate) fn may_escalate(&self, member: u64) -> bool {
        let mut log = lock(&self.escalations);
        let Some(sent) = log.get_mut(&member) else {
            return true;
        };
        let day_ago = std::time::Instant::now().checked_sub(Duration::from_secs(24 * 60 * 60));
        while sent
            .front()
            .is_some_and(|at| day_ago.is_some_and(|day_ago| *at <= day_ago))
        {
            sent.pop_front();
        }
        sent.len() < self.settings.staff.escalations_per_day.get() as usize
    }

    /// Counts a question of `member` that reached staff.
    pub(crate) fn escalated_now(&self, member: u64) {
        lock(&self.escalations)
            .get_or_insert_mut(member, Default::default)
            .push_back(std::time::Instant::now());
    }

    /// An answer still remembered for its buttons, with where it was asked.
    pub(crate) fn recall(&self, id: u64) -> Option<Remembered> {
        lock(&self.answers).get(&id).cloned()
    }

    /// Notes the link to answer `id`'s message.
    pub(crate) fn note_link(&self, id: u64, link: String) {
        if let Some(remembered) = lock(&self.answers).get_mut(&id) {
            remembered.link.get_or_insert(link);
        }
    }

    /// Whether members can be offered "Ask staff": only with a staff channel to post to.
    pub(crate) fn can_escalate(&self) -> bool {
        self.settings.staff.channel_id.is_some()
    }

    /// The buttons under "I couldn't find an answer" to question `id`: "Ask staff", when
    /// there are staff to ask.
    pub(crate) fn not_known_buttons(&self, id: u64) -> Vec<serenity::CreateActionRow> {
        if self.can_escalate() {
            format::ask_staff_button(id)
        } else {
            Vec::new()
        }
    }

    /// Whether this message is new; marks it handled.
    pub(crate) fn first_time(&self, message: u64) -> bool {
        lock(&self.handled_messages).put(message, ()).is_none()
    }
}

/// Runs an autocomplete's search off the async runtime; a failure is logged, and suggests
/// nothing rather than an error the member cannot act on.
pub(crate) async fn suggest_off_the_runtime<
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
>(
    what: &str,
    search: impl FnOnce() -> Result<Vec<T>, E> + Send + 'static,
) -> Vec<T> {
    match tokio::task::spawn_blocking(search).await {
        Ok(Ok(found)) => found,
        Ok(Err(err)) => {
            tracing::warn!(%err, "autocomplete of {what} failed");
            Vec::new()
        }
        Err(err) => {
            tracing::warn!(%err, "autocomplete worker failed");
            Vec::new()
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// A bot connected to Discord (or to whatever `api_proxy` points at).
pub struct RunningBot {
    shards: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
    /// Hears why start-up failed after the connection (command registration).
    failed: tokio::sync::oneshot::Receiver<DiscordError>,
    records: Arc<dyn Records>,
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
        flush(records).await;
        result
    }
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
            commands: vec![ask::ask(), staff::kb()],
            // faqbot has only slash commands. Taking a mention as a command prefix made poise
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
    let task = tokio::spawn(async move { client.start().await }.instrument(info_span!("discord")));
    Ok(RunningBot {
        shards,
        task,
        failed,
        records,
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
            let reply = poise::CreateReply::default()
                .content("Sorry, something went wrong on my side. Please try again in a moment.")
                .ephemeral(true)
                .allowed_mentions(format::no_pings());
            if let Err(err) = ctx.send(reply).await {
                tracing::warn!(%err, "could not tell the member about the error");
            }
        }
        poise::FrameworkError::CommandCheckFailed { ctx, error, .. } => {
            if let Some(error) = error {
                tracing::error!(
                    error = format!("{:#}", anyhow::Error::from(error)),
                    "check failed"
                );
            }
            tracing::info!(command = %ctx.command().qualified_name, "refused: not staff");
            if let Err(err) = staff::refuse(ctx).await {
                tracing::warn!(%err, "could not tell the member they were refused");
            }
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
