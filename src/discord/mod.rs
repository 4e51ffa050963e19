//! The Discord adapter: connects the answer engine to Discord with poise on serenity.
//!
//! Members ask with `/ask` (in public or privately), in a direct message, by mentioning the
//! bot, or in a configured help channel, and anyone may hand a message in the chat to the bot
//! ("Answer with faqbot"); all of them go through [`Bot::ask`], which rate-limits per member,
//! runs the engine off the async runtime, records the question without the member's identity,
//! and hands back what to show. Formatting is in [`format`], pure and tested without a network.
//! Nothing the bot sends can ping anyone: every message carries empty `allowed_mentions`.

mod access;
mod ask;
mod buttons;
mod connection;
mod digest;
mod escalate;
pub mod format;
mod handover;
mod messages;
mod staff;
mod teaching;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::Mutex;

use crate::sync::lock;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poise::serenity_prelude as serenity;
use thiserror::Error;
use tracing::info_span;

use crate::answer::Answer;
use crate::config::Settings;
use crate::live::LiveKnowledge;
use crate::records::{Asked, Channel, Records};
use format::{ANSWER_PASSAGES, Texts};

pub use connection::{RunningBot, start};

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
    /// Members' messages the bot replied to, with a link to the reply (`None` while it is
    /// being written), so a message handed to the bot is answered once.
    replies: Mutex<lru::LruCache<u64, Option<String>>>,
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
            replies: Mutex::new(lru::LruCache::new(nonzero(REMEMBERED_MESSAGES))),
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
        self.ask_for(member, member, question, channel).await
    }

    /// [`Bot::ask`] for a question `asker` wrote and `requester` handed to the bot: the
    /// requester's rate limit is spent, and the asker alone may send it to staff.
    pub(crate) async fn ask_for(
        &self,
        requester: u64,
        asker: u64,
        question: &str,
        channel: Channel,
    ) -> Result<Outcome, DiscordError> {
        if let Err(not_until) = self.limiter.check_key(&requester) {
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
        self.remember(id, channel, answer.clone(), asker);
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

    /// Claims the reply to a member's message: `Ok` when none was written or is being written
    /// (it is now), else where the reply is (`None` while still being written).
    pub(crate) fn claim_reply(&self, message: u64) -> Result<(), Option<String>> {
        let mut replies = lock(&self.replies);
        match replies.get(&message) {
            Some(link) => Err(link.clone()),
            None => {
                replies.put(message, None);
                Ok(())
            }
        }
    }

    /// Notes where the reply to `message` is.
    pub(crate) fn replied(&self, message: u64, link: String) {
        lock(&self.replies).put(message, Some(link));
    }

    /// Gives up a claimed reply that was not sent, so the message may be answered later.
    pub(crate) fn release_reply(&self, message: u64) {
        let mut replies = lock(&self.replies);
        if replies.peek(&message).is_some_and(Option::is_none) {
            replies.pop(&message);
        }
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

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}
