//! A fake Discord on 127.0.0.1 for tests that run the real serenity client.
//!
//! Discord cannot be reached from the test machines (and tests must not need it), so the bot's
//! Discord side is tested against this fake: one axum server that answers the REST API under
//! `/api/v10/...` and speaks the gateway protocol on a WebSocket at `/gateway`. Point serenity at
//! it with `HttpBuilder::new(token).proxy(fake.base_url()).ratelimiter_disabled(true)` (the rate
//! limiter ignores the proxy and would go to the real discord.com).
//!
//! The fake records every REST request (see [`FakeDiscord::wait_request`]), hands out READY on
//! IDENTIFY and RESUMED on RESUME (replaying the dispatches the client missed), and sends
//! dispatches built with the payload builders below ([`message`], [`slash_command`],
//! [`autocomplete`], [`button`]), whose JSON is checked to deserialize in serenity 0.12.5: a
//! malformed event would be dropped silently by serenity's untagged fallback.
//! See `shared/docs/fake-discord.md` for the facts this is built on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

/// How long the `wait_*` methods wait before panicking: generous, as a loaded CI machine can be
/// slow, while a working exchange takes milliseconds.
const WAIT_TIMEOUT: Duration = Duration::from_secs(20);

/// The heartbeat interval announced in HELLO (Discord's usual value).
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// Milliseconds from the Unix epoch to the Discord epoch (2015-01-01), for realistic snowflakes.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// The permissions of an ordinary member in interactions: view channel, send messages, read
/// message history, use application commands. Overwrite `member.permissions` for others.
pub const MEMBER_PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31);

/// A recorded REST request, in the order the fake received it.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, ...
    pub method: String,
    /// The path without the query, e.g. `/api/v10/channels/123/messages`.
    pub path: String,
    /// The query without `?` (serenity sends `&key=value`), empty if none.
    pub query: String,
    /// The JSON body (for multipart uploads, the `payload_json` part); `Null` if none or not JSON.
    pub body: Value,
    /// The status code the fake answered with.
    pub status: u16,
}

impl Request {
    /// Whether this is `method path` (path without the query).
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    /// Whether this registers application commands (globally or in a guild).
    pub fn is_registration(&self) -> bool {
        self.method == "PUT" && self.path.ends_with("/commands")
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if !self.body.is_null() {
            write!(f, " {}", self.body)?;
        }
        Ok(())
    }
}

/// The fake Discord server. Cheap to clone: clones share the same server and records.
#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Inner>,
}

struct Inner {
    addr: SocketAddr,
    shared: Mutex<Shared>,
    /// Bumped after every change of `shared`, so waiters re-check without polling.
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct Shared {
    requests: Vec<Request>,
    gateway: Gateway,
    /// Messages created through REST, by id, so edits and fetches see them.
    messages: HashMap<u64, Value>,
    /// Interaction token to the id of its original response message.
    originals: HashMap<String, u64>,
    /// Files served at `/attachments/...`, as Discord's CDN serves uploads.
    attachments: HashMap<String, Vec<u8>>,
    /// Command registrations still to answer with a server error.
    failing_registrations: usize,
    /// Channels served at `GET /channels/{id}` (threads and forums the tests made).
    channels: HashMap<u64, Value>,
    /// Channels whose next requests fail: the status, and how many more to fail.
    failing_channels: HashMap<u64, (StatusCode, usize)>,
}

#[derive(Default)]
struct Gateway {
    connections: usize,
    identify_count: usize,
    resume_count: usize,
    /// The connection that completed the handshake last and is still open.
    live: Option<Live>,
    session: Option<Session>,
    /// Dispatches made while no connection was live: (event name, data).
    pending: Vec<(String, Value)>,
    /// Close every IDENTIFY with this close code instead of READY (4004: bad token, 4014:
    /// disallowed intents), as Discord does.
    refuse_identify: Option<u16>,
    /// Discord is unreachable: the gateway refuses every connection.
    down: bool,
}

struct Live {
    connection: usize,
    tx: mpsc::UnboundedSender<Outgoing>,
}

struct Session {
    id: String,
    seq: u64,
    /// Every dispatch frame sent in this session, to replay after a RESUME.
    sent: Vec<(u64, String)>,
}

enum Outgoing {
    Frame(String),
    /// Close the socket with this close code.
    Close(u16),
    /// Close the socket without a close frame; answer once it is closed.
    Drop(oneshot::Sender<()>),
}

impl FakeDiscord {
    /// The bot's user id (also in READY and `GET /users/@me`).
    pub const BOT_ID: u64 = 1_100_000_000_000_000_001;
    /// The application id (READY's `application.id`), deliberately not the bot's user id.
    pub const APPLICATION_ID: u64 = 1_100_000_000_000_000_002;
    /// The guild that messages and interactions from the builders belong to.
    pub const GUILD_ID: u64 = 1_100_000_000_000_000_003;
    /// The channel interactions from the builders happen in (and webhook messages are posted to).
    pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_004;
    /// The application owner in `GET /oauth2/applications/@me`.
    pub const OWNER_ID: u64 = 1_100_000_000_000_000_005;

    /// Starts the fake on 127.0.0.1 with a free port. Also makes reqwest skip any HTTP proxy for
    /// 127.0.0.1 (see [`bypass_proxy_for_localhost`]), so call this before building clients.
    pub async fn start() -> FakeDiscord {
        bypass_proxy_for_localhost();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Discord: bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("fake Discord: local address of the listener");
        let fake = FakeDiscord {
            inner: Arc::new(Inner {
                addr,
                shared: Mutex::new(Shared::default()),
                changed: watch::channel(0).0,
            }),
        };
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest)
            .with_state(fake.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("fake Discord: server stopped: {error}");
            }
        });
        fake
    }

    /// Serves `bytes` as an uploaded file and returns its attachment object, as a member's
    /// upload appears in an interaction.
    pub fn host_attachment(&self, filename: &str, bytes: &[u8]) -> Value {
        let id = snowflake();
        let path = format!("/attachments/{id}/{filename}");
        self.update(|shared| {
            shared.attachments.insert(path.clone(), bytes.to_vec());
        });
        let url = format!("{}{path}", self.base_url());
        json!({
            "id": id.to_string(),
            "filename": filename,
            "size": bytes.len(),
            "url": url,
            "proxy_url": url,
        })
    }

    /// `http://127.0.0.1:PORT`: what serenity's `HttpBuilder::proxy` (the bot's API proxy) is
    /// set to.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// `ws://127.0.0.1:PORT/gateway`: what `GET /api/v10/gateway` answers.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.inner.addr)
    }

    /// Every REST request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// How many IDENTIFY (op 2) the gateway received.
    pub fn identify_count(&self) -> usize {
        self.lock().gateway.identify_count
    }

    /// How many RESUME (op 6) the gateway received.
    pub fn resume_count(&self) -> usize {
        self.lock().gateway.resume_count
    }

    /// Waits until a gateway connection is live: IDENTIFY (or RESUME) was received and READY
    /// (or RESUMED) sent. After [`Self::drop_gateway`] this waits for the reconnection.
    /// Panics after a generous timeout.
    pub async fn wait_ready(&self) {
        self.wait_until(
            "a live gateway connection (IDENTIFY or RESUME answered with READY or RESUMED)",
            |shared| shared.gateway.live.as_ref().map(|_| ()),
        )
        .await;
    }

    /// Sends a dispatch (op 0, `"t": event`, the next sequence number `"s"`, `"d": data`) on the
    /// live connection. Without one (before READY, or while reconnecting) it is queued and sent
    /// right after the next READY or RESUMED.
    pub async fn dispatch(&self, event: &str, data: Value) {
        self.update(|shared| shared.gateway.dispatch(event, data));
    }

    /// Waits for a REST request matching `what` (or finds it already recorded) and returns the
    /// first one. Panics after a generous timeout, listing every request seen.
    pub async fn wait_request(&self, what: impl Fn(&Request) -> bool) -> Request {
        self.wait_until("a matching REST request", |shared| {
            shared
                .requests
                .iter()
                .find(|request| what(request))
                .cloned()
        })
        .await
    }

    /// From now on, answers IDENTIFY by closing the connection with `code`, as Discord does for
    /// a bad token (4004) or a privileged intent the application may not use (4014).
    pub fn refuse_identify(&self, code: u16) {
        self.update(|shared| shared.gateway.refuse_identify = Some(code));
    }

    /// Answers the next `n` command registrations with 502 Bad Gateway, as Discord does in an
    /// outage.
    pub fn fail_registrations(&self, n: usize) {
        self.update(|shared| shared.failing_registrations = n);
    }

    /// Closes the live gateway WebSocket abruptly (no close frame), as a network failure would;
    /// the client has to reconnect. Waits for a live connection first, and returns once the
    /// socket is closed. Dispatches made from now on are queued for the next connection.
    pub async fn drop_gateway(&self) {
        self.wait_ready().await;
        let live = self.update(|shared| shared.gateway.live.take());
        let Some(live) = live else {
            return;
        };
        let (done_tx, done_rx) = oneshot::channel();
        if live.tx.send(Outgoing::Drop(done_tx)).is_ok() {
            // An error means the connection ended by itself meanwhile: closed all the same.
            let _ = tokio::time::timeout(WAIT_TIMEOUT, done_rx).await;
        }
    }

    /// Answers the next `times` requests about `channel` (its messages, or the channel itself)
    /// with `status`, as Discord does when the bot lacks access (403) or is having trouble.
    pub fn fail_channel(&self, channel: u64, status: u16, times: usize) {
        let status = StatusCode::from_u16(status).expect("a status code");
        self.update(|shared| shared.failing_channels.insert(channel, (status, times)));
    }

    /// Makes the gateway go away and stay away: the live connection is dropped and every
    /// new one refused (503), as when Discord or the network is down. The client keeps
    /// trying to reconnect.
    pub async fn go_down(&self) {
        self.update(|shared| shared.gateway.down = true);
        self.drop_gateway().await;
    }

    /// Serves `channel` (a channel object, e.g. from [`thread`]) at `GET /channels/{id}`, as
    /// Discord does for channels the bot can see.
    pub fn add_channel(&self, channel: Value) {
        let id = channel["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a channel with an id");
        self.update(|shared| shared.channels.insert(id, channel));
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panicking test thread must not hide the state from the others.
        self.inner
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the shared state and wakes every waiter.
    fn update<T>(&self, change: impl FnOnce(&mut Shared) -> T) -> T {
        let result = change(&mut self.lock());
        self.inner.changed.send_modify(|version| *version += 1);
        result
    }

    /// Waits until `check` finds something, re-checking after every change; panics after
    /// [`WAIT_TIMEOUT`] with `what` and everything the fake saw.
    async fn wait_until<T>(&self, what: &str, check: impl Fn(&Shared) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
        // Subscribing before checking means no change between the check and the wait is missed.
        let mut changes = self.inner.changed.subscribe();
        loop {
            if let Some(found) = check(&self.lock()) {
                return found;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                // The sender lives in `inner`, which `self` holds: cannot happen, but re-check.
                Ok(Err(_)) => tokio::task::yield_now().await,
                Err(_) => panic!(
                    "fake Discord: waited {WAIT_TIMEOUT:?} for {what}, in vain.\n{}",
                    self.describe()
                ),
            }
        }
    }

    /// Everything the fake saw, for failure messages.
    fn describe(&self) -> String {
        let shared = self.lock();
        let gateway = &shared.gateway;
        let mut text = format!(
            "Gateway: {} connection(s), {} IDENTIFY, {} RESUME, live connection: {}, \
             {} queued dispatch(es).\n",
            gateway.connections,
            gateway.identify_count,
            gateway.resume_count,
            gateway
                .live
                .as_ref()
                .map_or("none".to_owned(), |live| format!("#{}", live.connection)),
            gateway.pending.len(),
        );
        text.push_str(&format!(
            "REST requests seen ({}):\n",
            shared.requests.len()
        ));
        for request in &shared.requests {
            text.push_str(&format!("  {request}\n"));
        }
        text
    }
}

impl Gateway {
    fn dispatch(&mut self, event: &str, data: Value) {
        match (&self.live, &mut self.session) {
            (Some(live), Some(session)) => {
                // A lost frame is in `session.sent`: a RESUME replays it.
                let _ = live.tx.send(Outgoing::Frame(session.frame(event, data)));
            }
            _ => self.pending.push((event.to_owned(), data)),
        }
    }

    /// Makes `connection` the live one and sends it what was queued meanwhile.
    fn go_live(&mut self, connection: usize, tx: &mpsc::UnboundedSender<Outgoing>) {
        self.live = Some(Live {
            connection,
            tx: tx.clone(),
        });
        for (event, data) in std::mem::take(&mut self.pending) {
            self.dispatch(&event, data);
        }
    }
}

impl Session {
    /// A dispatch frame with the next sequence number, remembered for replay.
    fn frame(&mut self, event: &str, data: Value) -> String {
        let frame = self.unremembered_frame(event, data);
        self.sent.push((self.seq, frame.clone()));
        frame
    }

    /// A dispatch frame with the next sequence number that a RESUME does not replay (RESUMED).
    fn unremembered_frame(&mut self, event: &str, data: Value) -> String {
        self.seq += 1;
        json!({"op": 0, "t": event, "s": self.seq, "d": data}).to_string()
    }
}

/// Makes reqwest (serenity's HTTP client) connect to 127.0.0.1 directly even when
/// `HTTP_PROXY`/`HTTPS_PROXY` are set, by setting `NO_PROXY` and `no_proxy` once per process.
pub fn bypass_proxy_for_localhost() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in ["NO_PROXY", "no_proxy"] {
            let value = match std::env::var(name) {
                Ok(old) if !old.trim().is_empty() => format!("127.0.0.1,localhost,{old}"),
                _ => "127.0.0.1,localhost".to_owned(),
            };
            // SAFETY: the test threads read the environment only through `std::env` (which
            // locks), and reqwest reads it when a client is built, after this has run.
            unsafe { std::env::set_var(name, value) };
        }
    });
}

/// A fresh, unique snowflake (realistic: its timestamp part is about now).
pub fn snowflake() -> u64 {
    static BASE: LazyLock<u64> = LazyLock::new(|| {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        now_ms.saturating_sub(DISCORD_EPOCH_MS) << 22
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    *BASE + NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The current time as Discord writes it (RFC 3339).
fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

/// The fake's bot user (`"bot": true`, id [`FakeDiscord::BOT_ID`]).
pub fn bot_user() -> Value {
    user(FakeDiscord::BOT_ID, "faqbot", true)
}

/// A new human user (a guild member in the builders) with a unique id.
pub fn human(name: &str) -> Value {
    user(snowflake(), name, false)
}

/// A new user for another bot (`"bot": true`) with a unique id.
pub fn other_bot(name: &str) -> Value {
    user(snowflake(), name, true)
}

/// A message object with the fields serenity requires, no guild.
fn message_object(id: u64, channel_id: u64, author: Value, content: &str) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": content,
        "timestamp": now(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "reactions": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
    })
}

/// A MESSAGE_CREATE payload: `author` (from [`human`] or [`other_bot`]) says `content` in
/// `channel_id` of the guild [`FakeDiscord::GUILD_ID`]; `mentions` is empty (see [`mention_bot`]).
pub fn message(channel_id: u64, author: &Value, content: &str) -> Value {
    let mut message = message_object(snowflake(), channel_id, author.clone(), content);
    message["guild_id"] = json!(FakeDiscord::GUILD_ID.to_string());
    message["member"] = json!({
        "roles": [],
        "joined_at": now(),
        "deaf": false,
        "mute": false,
        "flags": 0,
    });
    message
}

/// A MESSAGE_CREATE payload of a direct message from `author` to the bot, as Discord sends it:
/// in the member's DM channel ([`FakeDiscord::dm_channel_id`], a channel of type 1, see
/// [`dm_channel`]), with no `guild_id` and no `member`.
pub fn direct_message(author: &Value, content: &str) -> Value {
    let channel = FakeDiscord::dm_channel_id(author["id"].as_str().unwrap_or("0"));
    message_object(snowflake(), channel, author.clone(), content)
}

/// The DM channel (type 1) between the bot and the user with id `recipient`, as
/// `POST /users/@me/channels` and `GET /channels/{id}` return it.
pub fn dm_channel(recipient: &str) -> Value {
    json!({
        "id": FakeDiscord::dm_channel_id(recipient).to_string(),
        "type": 1,
        "last_message_id": null,
        "recipients": [{
            "id": recipient, "username": "member", "discriminator": "0",
            "global_name": null, "avatar": null,
        }],
    })
}

/// Like [`message`], mentioning the bot: content `<@BOT_ID> text`, the bot in `mentions`.
pub fn mention_bot(channel_id: u64, author: &Value, text: &str) -> Value {
    let content = format!("<@{}> {text}", FakeDiscord::BOT_ID);
    let mut message = message(channel_id, author, &content);
    message["mentions"] = json!([bot_user()]);
    message
}

/// Like [`message`], a reply to `replied` (a message the bot posted), as Discord sends it with
/// the reply's default ping: the bot is in `mentions`, though `text` does not mention it.
pub fn reply_to(replied: &Value, author: &Value, text: &str) -> Value {
    let channel_id = replied["channel_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or(FakeDiscord::CHANNEL_ID);
    let mut message = message(channel_id, author, text);
    message["type"] = json!(19);
    message["mentions"] = json!([replied["author"].clone()]);
    message["message_reference"] = json!({
        "type": 0,
        "message_id": replied["id"].clone(),
        "channel_id": channel_id.to_string(),
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
    });
    message["referenced_message"] = replied.clone();
    message
}

/// A public thread (type 11) named `name` under the channel `parent` (a text or forum channel)
/// of the guild, started by `owner`, as THREAD_CREATE carries it and `GET /channels/{id}`
/// returns it (THREAD_CREATE adds `newly_created: true`, which serenity ignores).
pub fn thread(id: u64, parent: u64, name: &str, owner: &Value) -> Value {
    json!({
        "id": id.to_string(),
        "type": 11,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
        "parent_id": parent.to_string(),
        "owner_id": owner["id"].clone(),
        "name": name,
        "last_message_id": id.to_string(),
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": [],
        "thread_metadata": {
            "archived": false,
            "auto_archive_duration": 4320,
            "archive_timestamp": now(),
            "locked": false,
            "create_timestamp": now(),
        },
        "newly_created": true,
    })
}

/// A new post in the forum `forum`: the THREAD_CREATE payload (the thread, titled `title`),
/// then the MESSAGE_CREATE of its first message, which has the thread's own id, as Discord
/// sends them.
pub fn forum_post(forum: u64, author: &Value, title: &str, content: &str) -> (Value, Value) {
    let id = snowflake();
    let thread = thread(id, forum, title, author);
    let mut first = message(id, author, content);
    first["id"] = json!(id.to_string());
    first["position"] = json!(0);
    (thread, first)
}

/// An INTERACTION_CREATE payload of `kind` by `user` (a member of the guild, in
/// [`FakeDiscord::CHANNEL_ID`]), with a unique id and token.
fn interaction(kind: u8, data: Value, user: &Value) -> Value {
    let id = snowflake();
    json!({
        "id": id.to_string(),
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "type": kind,
        "data": data,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
        "channel_id": FakeDiscord::CHANNEL_ID.to_string(),
        "channel": {
            "id": FakeDiscord::CHANNEL_ID.to_string(),
            "type": 0,
            "guild_id": FakeDiscord::GUILD_ID.to_string(),
            "name": "general",
        },
        "member": {
            "user": user,
            "nick": null,
            "roles": [],
            "joined_at": now(),
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "permissions": MEMBER_PERMISSIONS.to_string(),
        },
        "token": format!("fake-interaction-token-{id}"),
        "version": 1,
        "app_permissions": MEMBER_PERMISSIONS.to_string(),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": FakeDiscord::GUILD_ID.to_string()},
        "context": 0,
        "attachment_size_limit": 10_485_760,
    })
}

fn command_data(name: &str, options: Vec<Value>) -> Value {
    json!({
        "id": snowflake().to_string(),
        "name": name,
        "type": 1,
        "options": options,
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
    })
}

/// An INTERACTION_CREATE payload for the slash command `/name` (type 2) with string options
/// (type 3) `(name, value)`, used by `user` in the guild.
pub fn slash_command(name: &str, options: &[(&str, &str)], user: &Value) -> Value {
    let options = options
        .iter()
        .map(|(option, value)| json!({"name": option, "type": 3, "value": value}))
        .collect();
    interaction(2, command_data(name, options), user)
}

/// An INTERACTION_CREATE payload for the subcommand `/name sub` with `options` (JSON option
/// objects), used by a member with `permissions`; attachments named by attachment options go in
/// `resolved`.
pub fn slash_subcommand(
    name: &str,
    sub: &str,
    options: Vec<Value>,
    attachments: &[Value],
    user: &Value,
    permissions: u64,
) -> Value {
    let subcommand = json!({"name": sub, "type": 1, "options": options});
    let mut data = command_data(name, vec![subcommand]);
    if !attachments.is_empty() {
        let resolved: serde_json::Map<String, Value> = attachments
            .iter()
            .map(|a| (a["id"].as_str().unwrap_or_default().to_owned(), a.clone()))
            .collect();
        data["resolved"] = json!({"attachments": resolved});
    }
    let mut interaction = interaction(2, data, user);
    interaction["member"]["permissions"] = json!(permissions.to_string());
    interaction
}

/// An INTERACTION_CREATE payload for the message command `name` (type 2, command type 3:
/// Discord's *Apps* menu on a message) used by `user` on `target` (a message object from
/// [`message`]), which Discord hands over in `resolved.messages` without its `member`.
pub fn message_command(name: &str, target: &Value, user: &Value) -> Value {
    let target_id = target["id"].as_str().unwrap_or("0").to_owned();
    let mut resolved = target.clone();
    if let Some(fields) = resolved.as_object_mut() {
        fields.remove("member");
    }
    let data = json!({
        "id": snowflake().to_string(),
        "name": name,
        "type": 3,
        "target_id": target_id,
        "resolved": {"messages": {target_id.clone(): resolved}},
        "guild_id": FakeDiscord::GUILD_ID.to_string(),
    });
    let mut interaction = interaction(2, data, user);
    if let Some(channel) = target["channel_id"].as_str() {
        interaction["channel_id"] = json!(channel);
        interaction["channel"]["id"] = json!(channel);
    }
    interaction
}

/// `interaction` (from a builder above) as `user` makes it in their direct messages with the
/// bot: no guild, `user` instead of `member`, the DM channel (type 1), context 1 (bot DM).
pub fn in_direct_messages(mut interaction: Value, user: &Value) -> Value {
    let channel = FakeDiscord::dm_channel_id(user["id"].as_str().unwrap_or("0"));
    if let Some(fields) = interaction.as_object_mut() {
        fields.remove("guild_id");
        fields.remove("member");
        fields.remove("guild_locale");
    }
    if let Some(data) = interaction["data"].as_object_mut() {
        data.remove("guild_id");
    }
    interaction["user"] = user.clone();
    interaction["channel_id"] = json!(channel.to_string());
    interaction["channel"] = json!({"id": channel.to_string(), "type": 1});
    interaction["context"] = json!(1);
    interaction["authorizing_integration_owners"] = json!({"1": user["id"].clone()});
    interaction
}

/// An INTERACTION_CREATE payload for autocomplete (type 4) of the string option
/// `focused_option` of `/name`, where `user` has typed `typed`.
pub fn autocomplete(name: &str, focused_option: &str, typed: &str, user: &Value) -> Value {
    let option = json!({"name": focused_option, "type": 3, "value": typed, "focused": true});
    interaction(4, command_data(name, vec![option]), user)
}

/// An INTERACTION_CREATE payload for `user` pressing the button `custom_id` (type 3,
/// component_type 2) on `message` (a message object, e.g. one the bot posted).
pub fn button(custom_id: &str, message: Value, user: &Value) -> Value {
    let mut interaction = interaction(
        3,
        json!({"custom_id": custom_id, "component_type": 2}),
        user,
    );
    interaction["message"] = message;
    interaction
}

/// An INTERACTION_CREATE payload for `user` picking `values` in the string select menu
/// `custom_id` (component_type 3) on `message`.
pub fn select(custom_id: &str, values: &[&str], message: Value, user: &Value) -> Value {
    let mut interaction = interaction(
        3,
        json!({"custom_id": custom_id, "component_type": 3, "values": values}),
        user,
    );
    interaction["message"] = message;
    interaction
}

/// `GET /oauth2/applications/@me`: a minimal application owned by [`FakeDiscord::OWNER_ID`].
fn application_info() -> Value {
    json!({
        "id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": "faqbot",
        "icon": null,
        "description": "",
        "bot_public": false,
        "bot_require_code_grant": false,
        "owner": user(FakeDiscord::OWNER_ID, "clinic-owner", false),
        "verify_key": "0".repeat(64),
        "team": null,
        "flags": 0,
        "bot": bot_user(),
    })
}

/// The message Discord would create from a create-message body (JSON or `payload_json`).
fn message_from_body(id: u64, channel_id: u64, body: &Value) -> Value {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let mut message = message_object(id, channel_id, bot_user(), content);
    apply_edit(&mut message, body);
    if let Some(tts) = body.get("tts").filter(|tts| tts.is_boolean()) {
        message["tts"] = tts.clone();
    }
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let mut reference = reference.clone();
        if reference.get("channel_id").is_none() {
            reference["channel_id"] = json!(channel_id.to_string());
        }
        message["message_reference"] = reference;
        message["type"] = json!(19);
    }
    message
}

/// Copies the fields an edit (or create) body sets onto `message`.
fn apply_edit(message: &mut Value, body: &Value) {
    for field in ["content", "embeds", "components", "flags"] {
        if let Some(value) = body.get(field).filter(|value| !value.is_null()) {
            message[field] = value.clone();
        }
    }
}

/// A message the bot posts through the interaction webhook (token) of the application.
fn webhook_message(id: u64, body: &Value) -> Value {
    let mut message = message_from_body(id, FakeDiscord::CHANNEL_ID, body);
    message["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
    message["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
    message
}

/// `PUT .../commands`: the commands echoed back as registered.
fn registered_commands(application_id: &str, guild_id: Option<&str>, body: &Value) -> Value {
    let commands = body.as_array().cloned().unwrap_or_default();
    let registered: Vec<Value> = commands
        .into_iter()
        .map(|mut command| {
            if !command.is_object() {
                command = json!({});
            }
            command["id"] = json!(snowflake().to_string());
            command["application_id"] = json!(application_id);
            command["version"] = json!(snowflake().to_string());
            if command.get("type").is_none_or(Value::is_null) {
                command["type"] = json!(1);
            }
            if command.get("description").is_none_or(Value::is_null) {
                command["description"] = json!("");
            }
            if command.get("name").is_none_or(Value::is_null) {
                command["name"] = json!("");
            }
            if let Some(guild_id) = guild_id {
                command["guild_id"] = json!(guild_id);
            }
            command
        })
        .collect();
    Value::Array(registered)
}

/// The request body as JSON: the `payload_json` part of a multipart upload, else the body.
fn body_json(headers: &HeaderMap, body: &[u8]) -> Value {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        return multipart_payload_json(content_type, body).unwrap_or(Value::Null);
    }
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn multipart_payload_json(content_type: &str, body: &[u8]) -> Option<Value> {
    let boundary = content_type
        .split(';')
        .find_map(|part| part.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let text = String::from_utf8_lossy(body);
    text.split(&format!("--{boundary}")).find_map(|part| {
        let (headers, content) = part.split_once("\r\n\r\n")?;
        if !headers.contains("name=\"payload_json\"") {
            return None;
        }
        serde_json::from_str(content.trim_end_matches("\r\n")).ok()
    })
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn not_found(message: &str, code: u64) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        json!({"message": message, "code": code}),
    )
}

/// Every REST request: answered, and recorded with the status it got.
async fn rest(
    State(fake): State<FakeDiscord>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut request = Request {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        body: body_json(&headers, &body),
        status: 0,
    };
    let response = fake.answer(&request);
    request.status = response.status().as_u16();
    fake.update(|shared| shared.requests.push(request));
    response
}

impl FakeDiscord {
    fn answer(&self, request: &Request) -> Response {
        if request.path.starts_with("/attachments/") {
            let file = self.lock().attachments.get(&request.path).cloned();
            return match file {
                Some(bytes) => (StatusCode::OK, bytes).into_response(),
                None => not_found("Unknown attachment", 0),
            };
        }
        let Some(route) = request.path.strip_prefix("/api/v10/") else {
            return not_found("Unknown route", 0);
        };
        let segments: Vec<&str> = route.trim_end_matches('/').split('/').collect();
        let body = &request.body;
        let ok = |value| json_response(StatusCode::OK, value);
        let registering = request.is_registration();
        if registering && self.take_failing_registration() {
            return json_response(
                StatusCode::BAD_GATEWAY,
                json!({"message": "502: Bad Gateway", "code": 0}),
            );
        }
        if let ["channels", channel, ..] = segments.as_slice()
            && let Some(status) = channel.parse().ok().and_then(|id| self.take_failure(id))
        {
            return json_response(status, json!({"message": "Missing Access", "code": 50001}));
        }
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => ok(json!({"url": self.gateway_url()})),
            ("GET", ["gateway", "bot"]) => ok(json!({
                "url": self.gateway_url(),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1,
                },
            })),
            ("GET", ["users", "@me"]) => ok(bot_user()),
            ("GET", ["oauth2", "applications", "@me"]) => ok(application_info()),
            ("PUT", ["applications", app, "commands"]) => ok(registered_commands(app, None, body)),
            ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
                // Like Discord, for a server the bot is not in (a wrong guild id, or an invite
                // without the applications.commands scope).
                if *guild != Self::GUILD_ID.to_string() {
                    return json_response(
                        StatusCode::FORBIDDEN,
                        json!({"message": "Missing Access", "code": 50001}),
                    );
                }
                ok(registered_commands(app, Some(guild), body))
            }
            ("POST", ["channels", channel, "messages"]) => {
                let Ok(channel_id) = channel.parse::<u64>() else {
                    return not_found("Unknown Channel", 10003);
                };
                let id = snowflake();
                let message = message_from_body(id, channel_id, body);
                self.update(|shared| shared.messages.insert(id, message.clone()));
                ok(message)
            }
            ("POST", ["channels", _, "typing"]) => StatusCode::NO_CONTENT.into_response(),
            ("POST", ["users", "@me", "channels"]) => {
                // A direct-message channel with the recipient, one per member.
                ok(dm_channel(body["recipient_id"].as_str().unwrap_or("0")))
            }
            ("GET", ["channels", channel]) => {
                let found = channel
                    .parse::<u64>()
                    .ok()
                    .and_then(|id| self.lock().channels.get(&id).cloned());
                match found {
                    Some(channel) => ok(channel),
                    None => not_found("Unknown Channel", 10003),
                }
            }
            ("PATCH", ["channels", _, "messages", id]) => self.edit_message(id, body),
            ("DELETE", ["channels", _, "messages", id]) => self.delete_message(id),
            ("POST", ["interactions", _, token, "callback"]) => {
                self.interaction_callback(token, body);
                StatusCode::NO_CONTENT.into_response()
            }
            ("POST", ["webhooks", _, _]) => {
                let id = snowflake();
                let message = webhook_message(id, body);
                self.update(|shared| shared.messages.insert(id, message.clone()));
                ok(message)
            }
            ("GET", ["webhooks", _, token, "messages", "@original"]) => {
                let original = {
                    let shared = self.lock();
                    shared
                        .originals
                        .get(*token)
                        .and_then(|id| shared.messages.get(id))
                        .cloned()
                };
                match original {
                    Some(message) => ok(message),
                    None => not_found("Unknown Message", 10008),
                }
            }
            ("PATCH", ["webhooks", _, token, "messages", "@original"]) => {
                let id = self.original_id(token);
                self.edit_message(&id.to_string(), body)
            }
            ("PATCH", ["webhooks", _, _, "messages", id]) => self.edit_message(id, body),
            ("GET", ["webhooks", _, _, "messages", id]) => {
                let found = id
                    .parse::<u64>()
                    .ok()
                    .and_then(|id| self.lock().messages.get(&id).cloned());
                match found {
                    Some(message) => ok(message),
                    None => not_found("Unknown Message", 10008),
                }
            }
            ("DELETE", ["webhooks", _, token, "messages", "@original"]) => {
                let id = self.original_id(token);
                self.update(|shared| shared.originals.remove(*token));
                self.delete_message(&id.to_string())
            }
            ("DELETE", ["webhooks", _, _, "messages", id]) => self.delete_message(id),
            _ => not_found("Unknown route", 0),
        }
    }

    /// The direct-message channel of the member with id `recipient`, the same for each call.
    pub fn dm_channel_id(recipient: &str) -> u64 {
        // Far from the snowflakes of everything else, and one per member.
        2_000_000_000_000_000_000 + recipient.parse::<u64>().unwrap_or(0) % 1_000_000_000_000
    }

    /// The status to fail a request about `channel` with, if it is to fail; counts it.
    fn take_failure(&self, channel: u64) -> Option<StatusCode> {
        self.update(|shared| {
            let (status, left) = shared.failing_channels.get_mut(&channel)?;
            if *left == 0 {
                return None;
            }
            *left -= 1;
            Some(*status)
        })
    }

    /// Whether this registration is one to fail; counts it.
    fn take_failing_registration(&self) -> bool {
        self.update(|shared| {
            let failing = shared.failing_registrations > 0;
            shared.failing_registrations = shared.failing_registrations.saturating_sub(1);
            failing
        })
    }

    /// Type 4 (message) and 5 (deferred) callbacks create the interaction's original message;
    /// type 7 (update) edits the message of a component interaction, which the fake does not keep.
    fn interaction_callback(&self, token: &str, body: &Value) {
        let kind = body.get("type").and_then(Value::as_u64);
        if !matches!(kind, Some(4 | 5)) {
            return;
        }
        let id = snowflake();
        let data = body.get("data").cloned().unwrap_or(Value::Null);
        let message = webhook_message(id, &data);
        self.update(|shared| {
            shared.messages.insert(id, message);
            shared.originals.insert(token.to_owned(), id);
        });
    }

    /// The id of the interaction's original message, creating an empty one if there is none.
    fn original_id(&self, token: &str) -> u64 {
        self.update(|shared| {
            if let Some(id) = shared.originals.get(token) {
                return *id;
            }
            let id = snowflake();
            shared
                .messages
                .insert(id, webhook_message(id, &Value::Null));
            shared.originals.insert(token.to_owned(), id);
            id
        })
    }

    fn edit_message(&self, id: &str, body: &Value) -> Response {
        let Ok(id) = id.parse::<u64>() else {
            return not_found("Unknown Message", 10008);
        };
        let message = self.update(|shared| {
            let message = shared
                .messages
                .entry(id)
                .or_insert_with(|| webhook_message(id, &Value::Null));
            apply_edit(message, body);
            message["edited_timestamp"] = json!(now());
            message.clone()
        });
        json_response(StatusCode::OK, message)
    }

    fn delete_message(&self, id: &str) -> Response {
        if let Ok(id) = id.parse::<u64>() {
            self.update(|shared| shared.messages.remove(&id));
        }
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn gateway_upgrade(State(fake): State<FakeDiscord>, upgrade: WebSocketUpgrade) -> Response {
    if fake.lock().gateway.down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    upgrade.on_upgrade(move |socket| fake.gateway_connection(socket))
}

impl FakeDiscord {
    /// One gateway connection: HELLO, then answers the client's frames and sends what the test
    /// dispatches, until either side drops it.
    async fn gateway_connection(self, mut socket: WebSocket) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let connection = self.update(|shared| {
            shared.gateway.connections += 1;
            shared.gateway.connections
        });
        let hello = json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}});
        let mut dropped = None;
        if send_text(&mut socket, hello.to_string()).await {
            loop {
                tokio::select! {
                    incoming = socket.recv() => match incoming {
                        Some(Ok(WsMessage::Text(text))) => {
                            if let Some(reply) = self.on_frame(connection, &tx, text.as_str())
                                && !send_text(&mut socket, reply).await
                            {
                                break;
                            }
                        }
                        Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    outgoing = rx.recv() => match outgoing {
                        Some(Outgoing::Frame(frame)) => {
                            if !send_text(&mut socket, frame).await {
                                break;
                            }
                        }
                        Some(Outgoing::Close(code)) => {
                            let close = axum::extract::ws::CloseFrame {
                                code,
                                reason: "refused by the fake Discord".into(),
                            };
                            let _ = socket.send(WsMessage::Close(Some(close))).await;
                            break;
                        }
                        Some(Outgoing::Drop(done)) => {
                            dropped = Some(done);
                            break;
                        }
                        None => break,
                    },
                }
            }
        }
        // Dropping the socket closes the TCP connection without a close frame.
        drop(socket);
        self.update(|shared| {
            if shared
                .gateway
                .live
                .as_ref()
                .is_some_and(|live| live.connection == connection)
            {
                shared.gateway.live = None;
            }
        });
        if let Some(done) = dropped {
            let _ = done.send(());
        }
    }

    /// Handles one frame from the client; returns a frame to send back at once, if any. Frames
    /// that must stay in order with dispatches go through `tx`.
    fn on_frame(
        &self,
        connection: usize,
        tx: &mpsc::UnboundedSender<Outgoing>,
        text: &str,
    ) -> Option<String> {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            eprintln!("fake Discord: gateway frame is not JSON: {text}");
            return None;
        };
        let data = frame.get("d").cloned().unwrap_or(Value::Null);
        match frame.get("op").and_then(Value::as_u64) {
            Some(1) => Some(json!({"op": 11}).to_string()),
            Some(2) => {
                if let Some(code) = self.lock().gateway.refuse_identify {
                    let _ = tx.send(Outgoing::Close(code));
                    return None;
                }
                let session_id = format!("fake-session-{}", snowflake());
                let ready = json!({
                    "v": 10,
                    "user": bot_user(),
                    "guilds": [],
                    "session_id": session_id,
                    "resume_gateway_url": self.gateway_url(),
                    "shard": data.get("shard").cloned().unwrap_or(json!([0, 1])),
                    "application": {"id": Self::APPLICATION_ID.to_string(), "flags": 0},
                });
                self.update(|shared| {
                    let gateway = &mut shared.gateway;
                    gateway.identify_count += 1;
                    let mut session = Session {
                        id: session_id,
                        seq: 0,
                        sent: Vec::new(),
                    };
                    let _ = tx.send(Outgoing::Frame(session.frame("READY", ready)));
                    gateway.session = Some(session);
                    gateway.go_live(connection, tx);
                });
                None
            }
            Some(6) => {
                let session_id = data.get("session_id").and_then(Value::as_str);
                let seq = data.get("seq").and_then(Value::as_u64).unwrap_or(0);
                self.update(|shared| {
                    let gateway = &mut shared.gateway;
                    gateway.resume_count += 1;
                    match &mut gateway.session {
                        Some(session) if Some(session.id.as_str()) == session_id => {
                            // Like Discord: replay what the client missed, then RESUMED.
                            for (_, frame) in session.sent.iter().filter(|(s, _)| *s > seq) {
                                let _ = tx.send(Outgoing::Frame(frame.clone()));
                            }
                            let resumed = session.unremembered_frame("RESUMED", json!({}));
                            let _ = tx.send(Outgoing::Frame(resumed));
                            gateway.go_live(connection, tx);
                        }
                        // Unknown session: not resumable, the client must IDENTIFY again.
                        _ => {
                            let _ =
                                tx.send(Outgoing::Frame(json!({"op": 9, "d": false}).to_string()));
                        }
                    }
                });
                None
            }
            _ => None,
        }
    }
}

/// Sends a text frame; false if the connection is gone.
async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}
