//! The bot end to end: the real serenity client (through poise) against the fake Discord,
//! started through the same `api_proxy` setting a user would set.

use std::sync::Arc;

use faqbot::config::{Secret, Settings};
use faqbot::discord::RunningBot;
use faqbot::hours::Clock;
use faqbot::records::{MemoryRecords, Records};
use serde_json::Value;

use crate::support::bundled_knowledge;
use crate::support::fake_discord::{
    self, FakeDiscord, Request, autocomplete, button, human, mention_bot, message, other_bot,
    slash_command,
};

/// The help channel the tests configure.
pub(crate) const HELP_CHANNEL: u64 = 1_100_000_000_000_000_777;

pub(crate) struct TestBot {
    pub(crate) fake: FakeDiscord,
    bot: RunningBot,
    pub(crate) records: Arc<MemoryRecords>,
    /// The bot's data folder unless the test gives another: the bot writes its heartbeat
    /// there, which must not land in a `data/` folder of the working copy.
    _data: tempfile::TempDir,
}

/// Starts the fake Discord and the bot on the bundled knowledge, and waits until the bot has
/// connected and registered its commands.
pub(crate) async fn spawn_bot(configure: impl FnOnce(&mut Settings)) -> TestBot {
    spawn_bot_on(
        FakeDiscord::start().await,
        Clock::System,
        Default::default(),
        configure,
    )
    .await
}

/// [`spawn_bot`] answering questions about being open as if asked at `now`.
pub(crate) async fn spawn_bot_at(
    now: jiff::Timestamp,
    configure: impl FnOnce(&mut Settings),
) -> TestBot {
    spawn_bot_with(Default::default(), now, configure).await
}

/// [`spawn_bot_at`] with questions and votes recorded beforehand.
pub(crate) async fn spawn_bot_with(
    records: Arc<MemoryRecords>,
    now: jiff::Timestamp,
    configure: impl FnOnce(&mut Settings),
) -> TestBot {
    spawn_bot_on(
        FakeDiscord::start().await,
        Clock::Fixed(now),
        records,
        configure,
    )
    .await
}

/// [`spawn_bot`] on a fake set up beforehand, its "now" from `clock`, its records given.
pub(crate) async fn spawn_bot_on(
    fake: FakeDiscord,
    clock: Clock,
    records: Arc<MemoryRecords>,
    configure: impl FnOnce(&mut Settings),
) -> TestBot {
    // Quiet unless RUST_LOG asks, as when debugging a test.
    faqbot::telemetry::init("off");
    let data = tempfile::tempdir().expect("data dir");
    let mut settings = Settings {
        knowledge_dir: bundled_knowledge(),
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    settings.discord.token = Some(Secret::new("fake-token"));
    settings.discord.api_proxy = Some(fake.base_url());
    settings.discord.guild_id = Some(FakeDiscord::GUILD_ID);
    settings.discord.help_channels = vec![HELP_CHANNEL];
    configure(&mut settings);
    let semantic = crate::support::own_semantic();
    let meaning = faqbot::meaning::MeaningStatus::On(semantic.embedder().id().to_string());
    let knowledge = Arc::new(
        faqbot::live::LiveKnowledge::load_with(
            &settings.knowledge_dir,
            365,
            Some(semantic),
            meaning,
        )
        .expect("knowledge")
        .with_clock(clock)
        .expect("knowledge"),
    );
    let shared: Arc<dyn Records> = records.clone();
    let bot = faqbot::discord::start(Arc::new(settings), knowledge, shared)
        .await
        .expect("bot starts");
    fake.wait_ready().await;
    fake.wait_request(|r| r.is_registration() && r.status == 200)
        .await;
    TestBot {
        fake,
        bot,
        records,
        _data: data,
    }
}

impl TestBot {
    /// Sends `/ask question` and returns the interaction callback's body.
    /// Asks with `/ask` and returns the callback's body; when the bot deferred (its search
    /// outlasted Discord's three seconds, as on a loaded machine), `data` is the follow-up
    /// that carried the answer, so the caller sees what the member finally sees either way.
    pub(crate) async fn ask(&self, question: &str, user: &Value) -> Value {
        let interaction = slash_command("ask", &[("question", question)], user);
        let token = str_of(&interaction["token"]).to_string();
        let callback = self.callback_of(interaction).await;
        if callback["type"] != 5 {
            return callback;
        }
        serde_json::json!({"type": 5, "data": followup(&self.fake, &token).await})
    }

    /// Dispatches an interaction and returns the body of its callback.
    pub(crate) async fn callback_of(&self, interaction: Value) -> Value {
        callback_of(&self.fake, interaction).await
    }

    /// Dispatches a message and returns the bot's reply to it.
    pub(crate) async fn reply_to(&self, message: Value) -> Request {
        let id = str_of(&message["id"]).to_string();
        let channel = str_of(&message["channel_id"]).to_string();
        self.fake.dispatch("MESSAGE_CREATE", message).await;
        self.fake
            .wait_request(|r| {
                r.is("POST", &format!("/api/v10/channels/{channel}/messages"))
                    && r.body["message_reference"]["message_id"] == id.as_str()
            })
            .await
    }

    /// Replies to messages in `channel` that answer the message `id`.
    pub(crate) fn replies_to(&self, channel: u64, id: &Value) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.is("POST", &format!("/api/v10/channels/{channel}/messages")))
            .filter(|r| r.body["message_reference"]["message_id"] == *id)
            .count()
    }

    /// Dispatches `message` and checks the bot leaves it alone: a question sent after it is
    /// answered, so it was handled, and it got no reply.
    pub(crate) async fn assert_left_alone(&self, message: Value) {
        let channel: u64 = str_of(&message["channel_id"])
            .parse()
            .expect("a channel id");
        let id = message["id"].clone();
        self.fake.dispatch("MESSAGE_CREATE", message).await;
        self.reply_to(mention_bot(
            channel,
            &human("probe"),
            "what is a hot stone massage?",
        ))
        .await;
        assert_eq!(self.replies_to(channel, &id), 0, "it was answered");
    }

    pub(crate) async fn stop(self) {
        self.bot.shutdown().await.expect("bot stops cleanly");
    }
}

/// Dispatches an interaction and returns the body of its callback.
pub(crate) async fn callback_of(fake: &FakeDiscord, interaction: Value) -> Value {
    let path = format!(
        "/api/v10/interactions/{}/{}/callback",
        str_of(&interaction["id"]),
        str_of(&interaction["token"])
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    fake.wait_request(|r| r.is("POST", &path)).await.body
}

pub(crate) fn str_of(value: &Value) -> &str {
    value.as_str().expect("a string id")
}

pub(crate) fn no_pings(body: &Value) {
    let mentions = &body["allowed_mentions"];
    assert_eq!(mentions["parse"], serde_json::json!([]), "{body}");
    for list in ["users", "roles"] {
        assert!(
            mentions[list].as_array().is_none_or(Vec::is_empty),
            "{list} would be pinged: {body}"
        );
    }
    assert_ne!(mentions["replied_user"], true, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_with_an_embed_of_the_seed_passage() {
    let test = spawn_bot(|_| {}).await;
    let callback = test
        .ask("What happens during a therapeutic massage?", &human("ana"))
        .await;
    assert_eq!(callback["type"], 4, "an immediate reply: {callback}");
    let data = &callback["data"];
    no_pings(data);
    let embed = &data["embeds"][0];
    assert_eq!(embed["title"], "What happens during a therapeutic massage?");
    let description = str_of(&embed["description"]);
    assert!(
        description.contains("**therapeutic massage**, the"),
        "bold: {description}"
    );
    assert!(
        description.contains("not medical advice"),
        "disclaimer: {description}"
    );
    assert!(
        str_of(&embed["footer"]["text"]).contains("what-happens-during-a-therapeutic-massage.txt")
    );
    assert_eq!(embed["fields"][0]["name"], "See also");
    let buttons = &data["components"][0]["components"];
    let labels: Vec<&str> = buttons
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| str_of(&b["label"]))
        .collect();
    assert_eq!(labels, vec!["Helpful", "Not helpful", "More answers"]);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autocomplete_suggests_questions_from_the_knowledge() {
    let test = spawn_bot(|_| {}).await;
    let user = human("ben");
    for typed in ["", "hot stone", "insomnia"] {
        let callback = test
            .callback_of(autocomplete("ask", "question", typed, &user))
            .await;
        assert_eq!(callback["type"], 8, "{callback}");
        let choices = callback["data"]["choices"].as_array().expect("choices");
        assert!(
            !choices.is_empty() && choices.len() <= 25,
            "{typed:?}: {callback}"
        );
        for choice in choices {
            assert!(str_of(&choice["name"]).chars().count() <= 100);
        }
        if !typed.is_empty() {
            let first = str_of(&choices[0]["name"]).to_lowercase();
            assert!(
                first.contains(typed.split(' ').next().unwrap_or(typed)),
                "{typed}: {first}"
            );
        }
    }
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_is_answered_as_a_reply() {
    let test = spawn_bot(|_| {}).await;
    let question = mention_bot(
        FakeDiscord::CHANNEL_ID,
        &human("cleo"),
        "can massage help me sleep?",
    );
    let reply = test.reply_to(question).await;
    no_pings(&reply.body);
    let description = str_of(&reply.body["embeds"][0]["description"]);
    assert!(
        description.to_lowercase().contains("sleep"),
        "{description}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_help_channel_question_is_answered_and_chat_is_not() {
    let test = spawn_bot(|_| {}).await;
    let user = human("dev");
    let chat = message(HELP_CHANNEL, &user, "thanks everyone, see you next week");
    let chat_id = chat["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", chat).await;
    let question = message(HELP_CHANNEL, &user, "what is trigger point therapy?");
    let reply = test.reply_to(question).await;
    assert!(str_of(&reply.body["embeds"][0]["description"]).contains("rigger point"));
    // A later mention is answered after the chat line was handled; the chat line never is.
    test.reply_to(mention_bot(
        HELP_CHANNEL,
        &user,
        "is hot stone massage safe?",
    ))
    .await;
    assert_eq!(test.replies_to(HELP_CHANNEL, &chat_id), 0);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_ignores_itself_other_bots_and_repeats() {
    let test = spawn_bot(|_| {}).await;
    let from_bot = mention_bot(
        HELP_CHANNEL,
        &other_bot("helper"),
        "can massage help me sleep?",
    );
    let from_self = message(
        HELP_CHANNEL,
        &fake_discord::bot_user(),
        "can massage help me sleep?",
    );
    let (bot_id, self_id) = (from_bot["id"].clone(), from_self["id"].clone());
    test.fake.dispatch("MESSAGE_CREATE", from_bot).await;
    test.fake.dispatch("MESSAGE_CREATE", from_self).await;
    let question = mention_bot(HELP_CHANNEL, &human("eve"), "what is a hot stone massage?");
    let question_id = question["id"].clone();
    test.reply_to(question.clone()).await;
    // Discord may deliver a message twice (a resumed session): it is answered once.
    test.fake.dispatch("MESSAGE_CREATE", question).await;
    test.reply_to(mention_bot(
        HELP_CHANNEL,
        &human("eve"),
        "what is myofascial release?",
    ))
    .await;
    assert_eq!(test.replies_to(HELP_CHANNEL, &bot_id), 0);
    assert_eq!(test.replies_to(HELP_CHANNEL, &self_id), 0);
    assert_eq!(test.replies_to(HELP_CHANNEL, &question_id), 1);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_record_one_vote_and_show_more_answers_to_the_presser() {
    let test = spawn_bot(|_| {}).await;
    let user = human("fay");
    let callback = test.ask("how often should I get a massage?", &user).await;
    let data = &callback["data"];
    let buttons = data["components"][0]["components"]
        .as_array()
        .expect("buttons");
    let id_of = |label: &str| {
        buttons
            .iter()
            .find(|b| b["label"] == label)
            .map(|b| str_of(&b["custom_id"]).to_string())
            .expect(label)
    };
    let mut posted = bot_message();
    posted["embeds"] = data["embeds"].clone();
    posted["components"] = data["components"].clone();
    let press = |label: &str, who: &Value| button(&id_of(label), posted.clone(), who);

    let first = test.callback_of(press("Helpful", &user)).await;
    assert_eq!(first["data"]["flags"], 64, "ephemeral: {first}");
    assert!(str_of(&first["data"]["content"]).starts_with("Thanks"));
    no_pings(&first["data"]);
    let again = test.callback_of(press("Not helpful", &user)).await;
    assert!(
        str_of(&again["data"]["content"]).contains("already rated"),
        "{again}"
    );
    let other = test.callback_of(press("Not helpful", &human("gus"))).await;
    assert!(str_of(&other["data"]["content"]).starts_with("Thanks"));
    let votes = test.records.votes().expect("votes");
    let counts: Vec<(u32, u32)> = votes.iter().map(|v| (v.helpful, v.not_helpful)).collect();
    assert_eq!(counts, vec![(1, 1)], "{votes:?}");
    let unhelpful = test
        .records
        .unanswered(std::time::SystemTime::UNIX_EPOCH)
        .expect("records");
    assert!(
        unhelpful
            .iter()
            .any(|a| a.not_helpful && a.question == "how often should I get a massage?")
    );

    let more = test.callback_of(press("More answers", &user)).await;
    assert_eq!(
        more["data"]["flags"], 64,
        "only the presser sees more: {more}"
    );
    let embeds = more["data"]["embeds"].as_array().expect("embeds");
    assert!(!embeds.is_empty() && embeds.len() <= 3, "{more}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_off_topic_question_gets_a_kind_dont_know_and_is_recorded_without_the_member() {
    let test = spawn_bot(|settings| {
        settings.answers.staff_contact = "Call the front desk on 555-0100.".into();
    })
    .await;
    let user = human("hal");
    let callback = test.ask("what is the capital of France?", &user).await;
    let content = str_of(&callback["data"]["content"]);
    assert!(content.starts_with("Sorry, I couldn't find"), "{content}");
    assert!(
        content.ends_with("Call the front desk on 555-0100."),
        "{content}"
    );
    assert!(
        callback["data"]["embeds"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    let unanswered = test
        .records
        .unanswered(std::time::SystemTime::UNIX_EPOCH)
        .expect("records");
    assert_eq!(unanswered.len(), 1);
    assert_eq!(unanswered[0].question, "what is the capital of France?");
    let recorded = format!("{unanswered:?}");
    assert!(
        !recorded.contains(str_of(&user["id"])),
        "no member id is stored: {recorded}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_injection_pings_nobody() {
    let test = spawn_bot(|_| {}).await;
    let user = human("ivy");
    let nasty = "@everyone @here <@&123456> <@987654> can massage help me sleep?";
    let callback = test.ask(nasty, &user).await;
    no_pings(&callback["data"]);
    let off_topic = test
        .ask("@everyone what is the capital of France? <@&1>", &user)
        .await;
    no_pings(&off_topic["data"]);
    let reply = test
        .reply_to(mention_bot(FakeDiscord::CHANNEL_ID, &user, nasty))
        .await;
    no_pings(&reply.body);
    for request in test.fake.requests().iter().filter(|r| r.method == "POST") {
        let body = &request.body;
        let data = if body["data"].is_object() {
            &body["data"]
        } else {
            body
        };
        if data.get("content").is_some() || data.get("embeds").is_some() {
            no_pings(data);
        }
    }
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_asking_too_often_get_a_private_notice() {
    let test = spawn_bot(|settings| {
        settings.discord.cooldown_questions = std::num::NonZeroU32::new(2).expect("2");
        settings.discord.cooldown_seconds = std::num::NonZeroU32::new(3600).expect("3600");
    })
    .await;
    let user = human("jon");
    for _ in 0..2 {
        let callback = test.ask("what is a hot stone massage?", &user).await;
        assert!(callback["data"]["embeds"][0].is_object(), "{callback}");
    }
    let third = test.ask("what is a hot stone massage?", &user).await;
    assert_eq!(third["data"]["flags"], 64, "{third}");
    assert!(
        str_of(&third["data"]["content"]).contains("Please wait"),
        "{third}"
    );
    let someone_else = test
        .ask("what is a hot stone massage?", &human("kim"))
        .await;
    assert!(
        someone_else["data"]["embeds"][0].is_object(),
        "per member: {someone_else}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_questions_are_cut_not_rejected() {
    let test = spawn_bot(|settings| {
        settings.discord.max_question_chars = std::num::NonZeroU32::new(60).expect("60");
    })
    .await;
    let long = format!(
        "what is a hot stone massage? {}",
        "please tell me more ".repeat(300)
    );
    let callback = test.ask(&long, &human("lea")).await;
    assert!(
        callback["data"]["embeds"][0]["title"]
            .as_str()
            .is_some_and(|title| title.to_lowercase().contains("hot stone"))
    );
    test.stop().await;
}

/// Discord's outages are brief: registration is retried, and the bot then answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_registration_is_retried_while_discord_fails() {
    let fake = FakeDiscord::start().await;
    fake.fail_registrations(2);
    let test = spawn_bot_on(fake, Clock::System, Default::default(), |_| {}).await;
    let attempts: Vec<u16> = test
        .fake
        .requests()
        .iter()
        .filter(|r| r.is_registration())
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, vec![502, 502, 200]);
    let callback = test
        .ask("what is a hot stone massage?", &human("rio"))
        .await;
    assert!(callback["data"]["embeds"][0].is_object(), "{callback}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_gateway_drops_the_bot_reconnects_and_answers() {
    let test = spawn_bot(|_| {}).await;
    let connections = test.fake.identify_count() + test.fake.resume_count();
    test.fake.drop_gateway().await;
    test.fake.wait_ready().await;
    assert!(test.fake.identify_count() + test.fake.resume_count() > connections);
    let callback = test
        .ask("what is trigger point therapy?", &human("max"))
        .await;
    assert!(callback["data"]["embeds"][0].is_object(), "{callback}");
    test.stop().await;
}

/// Gateway dispatch to REST reply, over 100 questions. A measurement, not a test: run with
/// `cargo test --release --test it -- --ignored --nocapture reply_latency`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; prints figures"]
async fn reply_latency() {
    let test = spawn_bot(|settings| {
        settings.discord.cooldown_questions = std::num::NonZeroU32::new(1000).expect("1000");
    })
    .await;
    let questions = [
        "What happens during a therapeutic massage?",
        "can massage help me sleep?",
        "what is trigger point therapy",
        "r u supposed to tip",
        "what is the capital of France?",
    ];
    let user = human("timer");
    let mut times = Vec::new();
    for index in 0..100 {
        let started = std::time::Instant::now();
        test.ask(questions[index % questions.len()], &user).await;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "dispatch to reply over {} questions: median {:?}, p90 {:?}, worst {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times[times.len() - 1]
    );
    test.stop().await;
}

// ---- Staff tools (/kb) ----

/// Manage Server, the permission staff commands need.
const MANAGE_GUILD: u64 = 1 << 5;
pub(crate) const STAFF: u64 = fake_discord::MEMBER_PERMISSIONS | MANAGE_GUILD;

/// A bot on a small, writable knowledge folder with its own data folder.
async fn spawn_staff_bot(
    configure: impl FnOnce(&mut Settings),
) -> (TestBot, tempfile::TempDir, tempfile::TempDir) {
    let knowledge = crate::support::folder(&[(
        "hours.md",
        b"## When are you open?\n\nWe open at nine on weekdays.\n",
    )]);
    let data = tempfile::tempdir().expect("data dir");
    let (k, d) = (knowledge.path().to_path_buf(), data.path().to_path_buf());
    let test = spawn_bot(move |settings| {
        settings.knowledge_dir = k;
        settings.data_dir = d;
        configure(settings);
    })
    .await;
    (test, knowledge, data)
}

/// The text the bot finally shows for an interaction: its immediate reply, or the edit of a
/// deferred one.
pub(crate) async fn final_reply(fake: &FakeDiscord, interaction: Value) -> Value {
    let token = str_of(&interaction["token"]).to_string();
    let callback = callback_of(fake, interaction).await;
    if callback["type"] != 5 {
        return callback["data"].clone();
    }
    followup(fake, &token).await
}

/// What the bot sent after deferring the interaction of `token`: the edit of the deferred
/// reply, or a follow-up message.
async fn followup(fake: &FakeDiscord, token: &str) -> Value {
    let webhook = format!("/api/v10/webhooks/{}/{token}", FakeDiscord::APPLICATION_ID);
    let original = format!("{webhook}/messages/@original");
    fake.wait_request(|r| r.is("PATCH", &original) || r.is("POST", &webhook))
        .await
        .body
}

pub(crate) fn kb(
    sub: &str,
    options: Vec<Value>,
    attachments: &[Value],
    user: &Value,
    permissions: u64,
) -> Value {
    fake_discord::slash_subcommand("kb", sub, options, attachments, user, permissions)
}

fn upload(fake: &FakeDiscord, name: &str, bytes: &[u8], user: &Value, permissions: u64) -> Value {
    let attachment = fake.host_attachment(name, bytes);
    let option = serde_json::json!({"name": "file", "type": 11, "value": attachment["id"]});
    kb("upload", vec![option], &[attachment], user, permissions)
}

/// A message of the bot's, for a button to be on.
pub(crate) fn bot_message() -> Value {
    message(FakeDiscord::CHANNEL_ID, &fake_discord::bot_user(), "")
}

/// `user`, with Manage Server, pressing the button `custom_id` on a message of the bot's.
pub(crate) fn staff_press(custom_id: &str, user: &Value) -> Value {
    let mut press = button(custom_id, bot_message(), user);
    press["member"]["permissions"] = serde_json::json!(STAFF.to_string());
    press
}

/// Every file of a folder with its bytes, to show nothing changed.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_without_staff_rights_are_refused_every_kb_command() {
    let (test, knowledge, _data) = spawn_staff_bot(|_| {}).await;
    let before = snapshot(knowledge.path());
    let member = human("nosy");
    let plain = fake_discord::MEMBER_PERMISSIONS;
    let interactions = vec![
        kb("status", vec![], &[], &member, plain),
        kb("reload", vec![], &[], &member, plain),
        upload(
            &test.fake,
            "evil.md",
            b"## Hacked?\n\nYes.\n",
            &member,
            plain,
        ),
    ];
    for interaction in interactions {
        let reply = final_reply(&test.fake, interaction).await;
        assert_eq!(
            reply["content"], "Sorry, the /kb commands are for clinic staff.",
            "{reply}"
        );
        assert_eq!(reply["flags"], 64);
    }
    assert_eq!(snapshot(knowledge.path()), before);
    let registered = test
        .fake
        .requests()
        .into_iter()
        .find(|r| r.is_registration())
        .expect("registration");
    let kb_command = registered
        .body
        .as_array()
        .expect("commands")
        .iter()
        .find(|c| c["name"] == "kb")
        .cloned()
        .expect("kb registered");
    assert_eq!(
        kb_command["default_member_permissions"],
        MANAGE_GUILD.to_string()
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_status_and_the_staff_role_counts_as_staff() {
    let role = 4242;
    let (test, _knowledge, _data) = spawn_staff_bot(|s| s.staff.role_id = Some(role)).await;
    let reply = final_reply(&test.fake, kb("status", vec![], &[], &human("boss"), STAFF)).await;
    let text = str_of(&reply["content"]);
    assert!(text.contains("Files: 1 · Passages: 1"), "{text}");
    assert!(text.contains("No file has errors."), "{text}");
    assert!(
        text.contains("Matching by meaning: on (model all-minilm-l6-v2-"),
        "{text}"
    );
    let mut by_role = kb(
        "reload",
        vec![],
        &[],
        &human("desk"),
        fake_discord::MEMBER_PERMISSIONS,
    );
    by_role["member"]["roles"] = serde_json::json!([role.to_string()]);
    let reply = final_reply(&test.fake, by_role).await;
    assert!(
        str_of(&reply["content"]).starts_with("**Reloaded**"),
        "{reply}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_nothing_changes() {
    let (test, knowledge, _data) = spawn_staff_bot(|s| {
        s.staff.max_upload_kib = std::num::NonZeroU32::new(1).expect("1");
    })
    .await;
    let before = snapshot(knowledge.path());
    let staff = human("boss");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "../escape.md",
            b"## Q?\n\nA.\n".to_vec(),
            "not a plain file name",
        ),
        (
            ".hidden.md",
            b"## Q?\n\nA.\n".to_vec(),
            "not a plain file name",
        ),
        ("notes.pdf", b"%PDF-1.4".to_vec(), "not a knowledge file"),
        ("big.md", vec![b'a'; 2048], "the limit is 1 KiB"),
        ("latin1.txt", b"Caf\xe9 hours\n".to_vec(), "UTF-8"),
        (
            "broken.md",
            b"---\ntitle: [oops\n---\n\nText.\n".to_vec(),
            "broken.md:2: error: front matter",
        ),
    ];
    for (name, bytes, expected) in cases {
        let reply = final_reply(&test.fake, upload(&test.fake, name, &bytes, &staff, STAFF)).await;
        let text = str_of(&reply["content"]);
        assert!(text.contains(expected), "{name}: {text}");
        assert!(
            reply["components"].as_array().is_none_or(Vec::is_empty),
            "{name}: no Save button"
        );
    }
    assert_eq!(snapshot(knowledge.path()), before);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_upload_is_previewed_saved_answered_from_and_backed_up() {
    let (test, knowledge, data) = spawn_staff_bot(|_| {}).await;
    let staff = human("boss");
    let new_hours = b"---\ntitle: Opening hours\n---\n\n## When are you open?\n\nWe open at eight on weekdays and ten on Saturdays.\n";
    let preview = final_reply(
        &test.fake,
        upload(&test.fake, "hours.md", new_hours, &staff, STAFF),
    )
    .await;
    let text = str_of(&preview["content"]);
    assert!(
        text.contains("Preview of hours.md") && text.contains("replaces the current file"),
        "{text}"
    );
    assert!(
        text.contains("Title: Opening hours") && text.contains("• When are you open?"),
        "{text}"
    );
    assert_eq!(
        snapshot(knowledge.path()).len(),
        1,
        "nothing saved before Save"
    );
    let save = button_id(&preview, "Save");

    // Someone else pressing Save does nothing.
    let refused = callback_of(&test.fake, staff_press(&save, &human("other"))).await;
    assert!(
        str_of(&refused["data"]["content"]).contains("no longer waiting"),
        "{refused}"
    );

    let saved = callback_of(&test.fake, staff_press(&save, &staff)).await;
    assert_eq!(saved["type"], 7, "the preview is replaced: {saved}");
    assert!(
        str_of(&saved["data"]["content"]).starts_with("Saved hours.md. I'm answering from it now."),
        "{saved}"
    );

    let answer = test.ask("when are you open?", &human("member")).await;
    assert!(str_of(&answer["data"]["embeds"][0]["description"]).contains("eight on weekdays"));
    assert_eq!(
        std::fs::read(knowledge.path().join("hours.md")).unwrap(),
        new_hours
    );
    let backups: Vec<_> = std::fs::read_dir(data.path().join("backups"))
        .expect("backups folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(backups.len(), 1);
    assert!(
        std::fs::read_to_string(&backups[0])
            .unwrap()
            .contains("nine on weekdays")
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_breaks_is_reported_in_the_staff_channel_and_keeps_answering() {
    let staff_channel = 1_100_000_000_000_000_888;
    let (test, knowledge, _data) =
        spawn_staff_bot(|s| s.staff.channel_id = Some(staff_channel)).await;
    let posts = format!("/api/v10/channels/{staff_channel}/messages");
    faqbot::files::write_atomically(
        &knowledge.path().join("hours.md"),
        b"---\ntitle: [oops\n---\n\nWe open at noon.\n",
    )
    .expect("write");
    let report = test
        .fake
        .wait_request(|r| {
            r.is("POST", &posts)
                && r.body["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("hours.md:2"))
        })
        .await;
    let text = str_of(&report.body["content"]);
    assert!(
        text.contains("still answering from its last good version"),
        "{text}"
    );
    no_pings(&report.body);
    let answer = test.ask("when are you open?", &human("member")).await;
    assert!(str_of(&answer["data"]["embeds"][0]["description"]).contains("nine on weekdays"));

    faqbot::files::write_atomically(
        &knowledge.path().join("hours.md"),
        b"## When are you open?\n\nWe open at ten.\n",
    )
    .expect("write");
    test.fake
        .wait_request(|r| {
            r.is("POST", &posts)
                && r.body["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("all fine again"))
        })
        .await;
    let answer = test.ask("when are you open?", &human("member")).await;
    assert!(str_of(&answer["data"]["embeds"][0]["description"]).contains("ten"));
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_reports_show_what_was_asked_and_rated() {
    let (test, _knowledge, _data) = spawn_staff_bot(|_| {}).await;
    let member = human("member");
    for question in [
        "do you sell gift cards?",
        "Do you sell gift cards",
        "what is the capital of France?",
    ] {
        let reply = test.ask(question, &member).await;
        assert!(
            str_of(&reply["data"]["content"]).starts_with("Sorry"),
            "{reply}"
        );
    }
    let answered = test.ask("when are you open?", &member).await;
    let not_helpful = answered["data"]["components"][0]["components"]
        .as_array()
        .expect("buttons")
        .iter()
        .find(|b| b["label"] == "Not helpful")
        .map(|b| str_of(&b["custom_id"]).to_string())
        .expect("button");
    let press = button(&not_helpful, bot_message(), &member);
    callback_of(&test.fake, press).await;

    let staff = human("boss");
    let unanswered = final_reply(&test.fake, kb("unanswered", vec![], &[], &staff, STAFF)).await;
    let text = str_of(&unanswered["content"]);
    assert!(
        text.contains("1. 2× do you sell gift cards"),
        "near-duplicates count together: {text}"
    );
    assert!(text.contains("1× what is the capital of France?"), "{text}");
    assert!(
        text.contains("when are you open? (1 marked not helpful)"),
        "{text}"
    );
    let feedback = final_reply(&test.fake, kb("feedback", vec![], &[], &staff, STAFF)).await;
    let text = str_of(&feedback["content"]);
    assert!(
        text.contains("hours.md:1: 0 helpful, 1 not helpful"),
        "{text}"
    );
    test.stop().await;
}

// ---- Replies, bare mentions, placeholders ----

/// A message the bot posted in `channel`, as members see it and reply to it.
fn posted_by_the_bot(channel: u64) -> Value {
    message(channel, &fake_discord::bot_user(), "an answer")
}

/// Before: Discord lists the replied-to author in `mentions`, so every reply to an answer
/// ("thanks, that helped!", "ok") was taken as a new question to the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_the_bot_is_a_question_only_by_the_help_channel_rule() {
    let test = spawn_bot(|_| {}).await;
    let user = human("oli");
    let mut ignored = Vec::new();
    for (channel, text) in [
        (FakeDiscord::CHANNEL_ID, "thanks, that helped!"),
        (FakeDiscord::CHANNEL_ID, "ok"),
        (FakeDiscord::CHANNEL_ID, "what is trigger point therapy?"),
        (HELP_CHANNEL, "thanks, that helped!"),
        (HELP_CHANNEL, "ok"),
    ] {
        let reply = fake_discord::reply_to(&posted_by_the_bot(channel), &user, text);
        ignored.push((channel, reply["id"].clone()));
        test.fake.dispatch("MESSAGE_CREATE", reply).await;
    }
    // In a help channel a reply that is a question is answered, as any message there.
    let question = fake_discord::reply_to(
        &posted_by_the_bot(HELP_CHANNEL),
        &user,
        "what is trigger point therapy?",
    );
    let answer = test.reply_to(question).await;
    assert!(answer.body["embeds"][0].is_object(), "{answer}");
    // A reply that does mention the bot is a mention.
    let mut mentioning = fake_discord::reply_to(
        &posted_by_the_bot(FakeDiscord::CHANNEL_ID),
        &user,
        &format!("<@{}> and is hot stone massage safe?", FakeDiscord::BOT_ID),
    );
    mentioning["mentions"] = serde_json::json!([fake_discord::bot_user()]);
    test.reply_to(mentioning).await;
    for (channel, id) in &ignored {
        assert_eq!(test.replies_to(*channel, id), 0, "reply {id} was answered");
    }
    let unanswered = test
        .records
        .unanswered(std::time::SystemTime::UNIX_EPOCH)
        .expect("records");
    assert!(unanswered.is_empty(), "{unanswered:?}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_mention_gets_how_to_ask_and_is_not_recorded() {
    let test = spawn_bot(|_| {}).await;
    for text in ["", "?", " !! "] {
        let reply = test
            .reply_to(mention_bot(FakeDiscord::CHANNEL_ID, &human("pia"), text))
            .await;
        let content = str_of(&reply.body["content"]);
        assert!(content.contains("/ask"), "{text:?}: {content}");
        assert!(reply.body["embeds"].as_array().is_none_or(Vec::is_empty));
        no_pings(&reply.body);
    }
    let unanswered = test
        .records
        .unanswered(std::time::SystemTime::UNIX_EPOCH)
        .expect("records");
    assert!(unanswered.is_empty(), "{unanswered:?}");
    test.stop().await;
}

/// A reply is still sent when the question was deleted meanwhile, and never pings its author.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_survive_a_deleted_question_and_ping_no_one() {
    let test = spawn_bot(|_| {}).await;
    let reply = test
        .reply_to(mention_bot(
            FakeDiscord::CHANNEL_ID,
            &human("quin"),
            "can massage help me sleep?",
        ))
        .await;
    assert_eq!(
        reply.body["message_reference"]["fail_if_not_exists"], false,
        "{reply}"
    );
    assert_eq!(
        reply.body["allowed_mentions"]["replied_user"], false,
        "{reply}"
    );
    test.stop().await;
}

/// Before: "Our massage oils and lotions: {{FILL IN: names of the oils...}}" was the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_never_reach_members_and_staff_see_them_listed() {
    let knowledge = crate::support::folder(&[(
        "oils.md",
        b"## Which oils do you use?\n\nOur massage oils and lotions: {{FILL IN: names of the oils, e.g. sweet almond}}. Tell your therapist about any allergy before the massage.\n\n## Can I bring my own oil?\n\n{{FILL IN: whether clients may bring their own oil}}\n",
    )]);
    let dir = knowledge.path().to_path_buf();
    let test = spawn_bot(move |settings| {
        settings.knowledge_dir = dir;
        settings.answers.staff_contact = "Ask at the front desk.".into();
    })
    .await;
    let member = human("rae");
    for (question, kept) in [
        (
            "which oils do you use?",
            Some("Tell your therapist about any allergy"),
        ),
        ("can I bring my own oil?", None),
    ] {
        let callback = test.ask(question, &member).await;
        let shown = callback.to_string();
        assert!(!shown.contains("FILL IN"), "{shown}");
        assert!(!shown.contains("{{"), "{shown}");
        let description = str_of(&callback["data"]["embeds"][0]["description"]);
        assert!(
            description.contains("Ask at the front desk."),
            "{description}"
        );
        if let Some(kept) = kept {
            assert!(description.contains(kept), "{description}");
        }
        let buttons = &callback["data"]["components"][0]["components"];
        if let Some(more) = buttons
            .as_array()
            .and_then(|b| b.iter().find(|b| b["label"] == "More answers"))
        {
            let mut posted = bot_message();
            posted["components"] = callback["data"]["components"].clone();
            let more = test
                .callback_of(button(str_of(&more["custom_id"]), posted, &member))
                .await;
            assert!(!more.to_string().contains("FILL IN"), "{more}");
        }
    }
    let choices = test
        .callback_of(autocomplete("ask", "question", "oil", &member))
        .await;
    assert!(!choices.to_string().contains("FILL IN"), "{choices}");

    let status = final_reply(&test.fake, kb("status", vec![], &[], &human("boss"), STAFF)).await;
    let text = str_of(&status["content"]);
    assert!(
        text.contains("Placeholders still to fill in (2)") && text.contains("• oils.md: line 3, 7"),
        "{text}"
    );
    test.stop().await;
}

// ---- Hardening ----

/// The custom id of the button labelled `label` in a reply's components.
pub(crate) fn button_id(data: &Value, label: &str) -> String {
    data["components"][0]["components"]
        .as_array()
        .and_then(|buttons| buttons.iter().find(|b| b["label"] == label))
        .map(|b| str_of(&b["custom_id"]).to_string())
        .unwrap_or_else(|| panic!("no {label} button: {data}"))
}

/// Before: two Saves of one file in the same second kept one backup (the second overwrote
/// the first), and two writes at once shared one temporary file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_saves_in_the_same_second_keep_both_backups() {
    let (test, knowledge, data) = spawn_staff_bot(|_| {}).await;
    let staff = human("boss");
    let versions: [&[u8]; 2] = [
        b"## When are you open?\n\nWe open at eight.\n",
        b"## When are you open?\n\nWe open at seven.\n",
    ];
    let mut saves = Vec::new();
    for bytes in versions {
        let preview = final_reply(
            &test.fake,
            upload(&test.fake, "hours.md", bytes, &staff, STAFF),
        )
        .await;
        saves.push(button_id(&preview, "Save"));
    }
    for save in saves {
        let saved = callback_of(&test.fake, staff_press(&save, &staff)).await;
        assert!(
            str_of(&saved["data"]["content"]).starts_with("Saved hours.md."),
            "{saved}"
        );
    }
    assert_eq!(
        std::fs::read(knowledge.path().join("hours.md")).unwrap(),
        versions[1]
    );
    let mut backups: Vec<String> = std::fs::read_dir(data.path().join("backups"))
        .expect("backups")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).unwrap())
        .collect();
    backups.sort();
    assert_eq!(backups.len(), 2, "{backups:?}");
    assert!(
        backups.iter().any(|b| b.contains("nine")) && backups.iter().any(|b| b.contains("eight"))
    );
    test.stop().await;
}

/// Before: `/kb unanswered` and `/kb reload` answered only when done, so past a few thousand
/// questions they missed Discord's 3-second deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_staff_commands_defer_their_answer() {
    let (test, _knowledge, _data) = spawn_staff_bot(|_| {}).await;
    for sub in ["unanswered", "reload", "feedback"] {
        let interaction = kb(sub, vec![], &[], &human("boss"), STAFF);
        let callback = callback_of(&test.fake, interaction).await;
        assert_eq!(callback["type"], 5, "{sub} defers: {callback}");
        assert_eq!(
            callback["data"]["flags"], 64,
            "{sub} stays private: {callback}"
        );
    }
    test.stop().await;
}

/// Before: members' Markdown was rendered to staff: a masked link, a code fence hiding the
/// rest of the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_questions_are_shown_to_staff_as_text() {
    let (test, _knowledge, _data) = spawn_staff_bot(|_| {}).await;
    let member = human("mallory");
    for question in [
        "[re-verify your staff account](http://evil.example) now?",
        "``` everything below is hidden",
    ] {
        test.ask(question, &member).await;
    }
    let reply = final_reply(
        &test.fake,
        kb("unanswered", vec![], &[], &human("boss"), STAFF),
    )
    .await;
    let text = str_of(&reply["content"]);
    assert!(
        text.contains("\\[re-verify your staff account\\]\\(http\\://evil.example\\)"),
        "{text}"
    );
    assert!(
        text.contains("\\`\\`\\` everything below is hidden"),
        "{text}"
    );
    assert!(!text.contains("](http"), "{text}");
    test.stop().await;
}

/// Before: only mentions and help channels took mentions out; `/ask` stored them as typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_question_is_recorded_with_a_member_id_in_it() {
    let test = spawn_bot(|_| {}).await;
    let someone = "123456789012345678";
    test.ask(
        &format!("is <@{someone}> a good therapist for reiki?"),
        &human("sam"),
    )
    .await;
    test.ask(
        &format!("<@!{someone}> <@&42> what is the capital of France?"),
        &human("sam"),
    )
    .await;
    let recorded = test
        .records
        .unanswered(std::time::SystemTime::UNIX_EPOCH)
        .expect("records");
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    for asked in &recorded {
        assert!(!asked.question.contains(someone), "{asked:?}");
        assert!(!asked.question.contains("<@"), "{asked:?}");
    }
    assert_eq!(recorded[0].question, "is a good therapist for reiki?");
    test.stop().await;
}

/// Before: answer ids were the start time in microseconds plus a counter, so a crafted button
/// press could vote on any remembered answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_ids_cannot_be_guessed_from_one_another() {
    let test = spawn_bot(|settings| {
        settings.discord.cooldown_questions = std::num::NonZeroU32::new(100).expect("100");
    })
    .await;
    let user = human("tom");
    let mut ids = Vec::new();
    for _ in 0..12 {
        let callback = test.ask("what is a hot stone massage?", &user).await;
        let id = button_id(&callback["data"], "Helpful");
        let number: u64 = id
            .rsplit(':')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number");
        ids.push(number);
    }
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            // Random 64-bit ids: two within 2^40 of each other is a one-in-ten-thousand
            // chance for all these pairs together; counters and clocks are always that close.
            assert!(a.abs_diff(*b) > 1 << 40, "{ids:?}");
        }
    }
    // A press on an id next to a real one finds nothing.
    let guessed = format!("faqbot:helpful:{}", ids[0] + 1);
    let press = button(&guessed, bot_message(), &user);
    let reply = callback_of(&test.fake, press).await;
    assert!(
        str_of(&reply["data"]["content"]).contains("before my last restart"),
        "{reply}"
    );
    test.stop().await;
}

/// Before: `/kb upload` took `.csv`, `.jsonl` and `.markdown` though its help and the README
/// say `.md` and `.txt`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_take_only_the_documented_file_types() {
    let (test, knowledge, _data) = spawn_staff_bot(|_| {}).await;
    let before = snapshot(knowledge.path());
    for name in ["faq.csv", "faq.jsonl", "notes.markdown"] {
        let reply = final_reply(
            &test.fake,
            upload(
                &test.fake,
                name,
                b"question,answer\nq?,a.\n",
                &human("boss"),
                STAFF,
            ),
        )
        .await;
        assert!(
            str_of(&reply["content"]).contains("upload Markdown (.md) or plain text (.txt)"),
            "{name}: {reply}"
        );
    }
    assert_eq!(snapshot(knowledge.path()), before);
    test.stop().await;
}

/// A forum help channel in the tests (configured beside [`HELP_CHANNEL`]).
const FORUM: u64 = 1_100_000_000_000_000_888;

/// Replies posted in `channel` to the message `id`.
fn replies_in(fake: &FakeDiscord, channel: &str, id: &Value) -> Vec<Request> {
    fake.requests()
        .into_iter()
        .filter(|r| r.is("POST", &format!("/api/v10/channels/{channel}/messages")))
        .filter(|r| r.body["message_reference"]["message_id"] == *id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forum_post_is_answered_once_in_its_thread_and_one_it_cannot_answer_is_left_alone() {
    let test = spawn_bot(|s| s.discord.help_channels.push(FORUM)).await;
    let member = human("fay");
    let post = |title: &str, content: &str| {
        let (thread, first) = fake_discord::forum_post(FORUM, &member, title, content);
        // Discord serves the thread too, whichever event the bot handles first.
        test.fake.add_channel(thread.clone());
        (thread, first)
    };
    let (unknown_thread, unknown) = post("Who won the world cup?", "asking for a friend");
    let (thread, first) = post(
        "Hot stones",
        "Is hot stone massage safe for everyone? I have sensitive skin.",
    );
    let thread_id = str_of(&thread["id"]).to_string();
    test.fake.dispatch("THREAD_CREATE", unknown_thread).await;
    test.fake.dispatch("MESSAGE_CREATE", unknown.clone()).await;
    test.fake.dispatch("THREAD_CREATE", thread).await;
    let reply = test.reply_to(first.clone()).await;
    assert!(
        reply
            .path
            .ends_with(&format!("/channels/{thread_id}/messages")),
        "answered in the post's thread: {}",
        reply.path
    );
    assert!(
        str_of(&reply.body["embeds"][0]["title"])
            .to_lowercase()
            .contains("hot stone"),
        "{}",
        reply.body
    );
    no_pings(&reply.body);
    // Redelivered (a resumed session), and a later message in the same thread that is chat.
    test.fake.dispatch("MESSAGE_CREATE", first.clone()).await;
    let chat = message(
        thread_id.parse().expect("id"),
        &member,
        "thanks, that's what I needed",
    );
    let chat_id = chat["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", chat).await;
    // A question after them is answered, so they were all handled before it.
    test.reply_to(mention_bot(
        HELP_CHANNEL,
        &member,
        "what is myofascial release?",
    ))
    .await;
    assert_eq!(replies_in(&test.fake, &thread_id, &first["id"]).len(), 1);
    assert_eq!(replies_in(&test.fake, &thread_id, &chat_id).len(), 0);
    let unknown_channel = str_of(&unknown["channel_id"]).to_string();
    assert_eq!(
        test.fake
            .requests()
            .iter()
            .filter(|r| r.is(
                "POST",
                &format!("/api/v10/channels/{unknown_channel}/messages")
            ))
            .count(),
        0,
        "a post the bot cannot answer is left to people"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_under_a_help_channel_count_as_the_channel_and_mentions_work_in_any_thread() {
    let test = spawn_bot(|_| {}).await;
    let member = human("gus");
    // Threads that existed before the bot started: known only by asking Discord.
    let help_thread = fake_discord::thread(
        fake_discord::snowflake(),
        HELP_CHANNEL,
        "sore back",
        &member,
    );
    let other_thread = fake_discord::thread(
        fake_discord::snowflake(),
        FakeDiscord::CHANNEL_ID,
        "chat",
        &member,
    );
    test.fake.add_channel(help_thread.clone());
    test.fake.add_channel(other_thread.clone());
    let in_help: u64 = str_of(&help_thread["id"]).parse().expect("id");
    let in_other: u64 = str_of(&other_thread["id"]).parse().expect("id");

    let reply = test
        .reply_to(message(in_help, &member, "what is trigger point therapy?"))
        .await;
    assert!(str_of(&reply.body["embeds"][0]["description"]).contains("rigger point"));
    let unasked = message(in_other, &member, "what is trigger point therapy?");
    let unasked_id = unasked["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", unasked).await;
    let reply = test
        .reply_to(mention_bot(
            in_other,
            &member,
            "what is a hot stone massage?",
        ))
        .await;
    assert!(
        reply.body["embeds"][0]["title"].is_string(),
        "{}",
        reply.body
    );
    assert_eq!(
        replies_in(&test.fake, &in_other.to_string(), &unasked_id).len(),
        0,
        "outside help channels only a mention is answered"
    );
    test.stop().await;
}

/// The staff channel and role of the escalation tests.
pub(crate) const STAFF_CHANNEL: u64 = 1_100_000_000_000_000_999;
pub(crate) const STAFF_ROLE: u64 = 1_100_000_000_000_000_998;

/// The bot's reply to `question` (a message), as the message object the button sits on.
async fn replied_message(test: &TestBot, question: Value) -> (Request, Value) {
    let reply = test.reply_to(question).await;
    let mut posted = message(
        FakeDiscord::CHANNEL_ID,
        &fake_discord::bot_user(),
        reply.body["content"].as_str().unwrap_or(""),
    );
    posted["components"] = reply.body["components"].clone();
    (reply, posted)
}

/// `member` asks `question` with `/ask`, presses its Ask staff button, and gets this back.
async fn ask_and_send_to_staff(test: &TestBot, question: &str, member: &Value) -> String {
    let asked = test.ask(question, member).await;
    let press = button_id(&asked["data"], "Ask staff");
    let told = test
        .callback_of(button(&press, bot_message(), member))
        .await;
    str_of(&told["data"]["content"]).to_string()
}

pub(crate) fn staff_posts(fake: &FakeDiscord) -> Vec<Request> {
    fake.requests().into_iter().filter(posts_to_staff).collect()
}

/// Whether `request` posts a message in the staff channel.
pub(crate) fn posts_to_staff(request: &Request) -> bool {
    request.is(
        "POST",
        &format!("/api/v10/channels/{STAFF_CHANNEL}/messages"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_staff_posts_once_pings_only_the_staff_role_and_escapes_the_members_text() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
        s.staff.role_id = Some(STAFF_ROLE);
        s.staff.escalations_per_day = std::num::NonZeroU32::new(2).expect("2");
    })
    .await;
    let member = human("hal");
    let nasty = "who won the **world cup** in [1966](https://evil.example) @everyone <@&777>?";
    let (reply, posted) = replied_message(&test, mention_bot(HELP_CHANNEL, &member, nasty)).await;
    assert!(str_of(&reply.body["content"]).starts_with("Sorry, I couldn't find"));
    let ask_staff = button_id(&reply.body, "Ask staff");

    let told = callback_of(&test.fake, button(&ask_staff, posted.clone(), &member)).await;
    assert_eq!(told["data"]["flags"], 64, "told privately: {told}");
    assert!(
        str_of(&told["data"]["content"]).contains("passed your question"),
        "{told}"
    );
    let posts = staff_posts(&test.fake);
    assert_eq!(posts.len(), 1);
    let post = &posts[0].body;
    let content = str_of(&post["content"]);
    assert!(
        content.starts_with(&format!("<@&{STAFF_ROLE}> ")),
        "{content}"
    );
    assert!(content.contains(r"\*\*world cup\*\*"), "escaped: {content}");
    assert!(
        content.contains(r"\[1966\]\(https\:"),
        "no masked link: {content}"
    );
    assert!(
        !content.contains("@everyone") && !content.contains("<@&777>"),
        "{content}"
    );
    assert!(
        content.contains(&format!(
            "https://discord.com/channels/{}/",
            FakeDiscord::GUILD_ID
        )),
        "{content}"
    );
    assert_eq!(
        post["allowed_mentions"]["parse"],
        serde_json::json!([]),
        "{post}"
    );
    assert_eq!(
        post["allowed_mentions"]["roles"],
        serde_json::json!([STAFF_ROLE.to_string()]),
        "{post}"
    );
    assert!(
        post["allowed_mentions"]["users"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );

    // The same press again posts nothing.
    let again = callback_of(&test.fake, button(&ask_staff, posted, &member)).await;
    assert!(
        str_of(&again["data"]["content"]).contains("already sent"),
        "{again}"
    );

    // "Not helpful" offers it too; a member may use it escalations_per_day times a day.
    let answered = test.ask("can massage help me sleep?", &member).await;
    let not_helpful = button_id(&answered["data"], "Not helpful");
    let voted = callback_of(&test.fake, button(&not_helpful, bot_message(), &member)).await;
    let second = button_id(&voted["data"], "Ask staff");
    let told = callback_of(&test.fake, button(&second, bot_message(), &member)).await;
    assert!(
        str_of(&told["data"]["content"]).contains("passed your question"),
        "{told}"
    );
    let (reply, posted) = replied_message(
        &test,
        mention_bot(HELP_CHANNEL, &member, "who will win the next world cup?"),
    )
    .await;
    let third = button_id(&reply.body, "Ask staff");
    let limited = callback_of(&test.fake, button(&third, posted, &member)).await;
    assert!(
        str_of(&limited["data"]["content"]).contains("several times today"),
        "{limited}"
    );
    assert_eq!(staff_posts(&test.fake).len(), 2);

    let asked = test
        .records
        .unanswered(std::time::UNIX_EPOCH)
        .expect("records");
    let gaps = faqbot::records::report::gaps(&asked);
    let world_cup = gaps
        .iter()
        .find(|gap| gap.example.contains("world cup") && gap.example.contains("1966"))
        .expect("the gap");
    assert_eq!((world_cup.count, world_cup.escalated), (1, 1), "{gaps:?}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_staff_channel_ask_staff_is_not_offered() {
    let test = spawn_bot(|_| {}).await;
    let reply = test
        .reply_to(mention_bot(
            HELP_CHANNEL,
            &human("ida"),
            "who won the world cup?",
        ))
        .await;
    assert!(str_of(&reply.body["content"]).starts_with("Sorry, I couldn't find"));
    assert!(
        reply.body["components"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{}",
        reply.body
    );
    test.stop().await;
}

/// `user` with Manage Server picking `values` in the menu `custom_id`.
fn staff_select(custom_id: &str, values: &[&str], user: &Value) -> Value {
    let mut pick = fake_discord::select(custom_id, values, bot_message(), user);
    pick["member"]["permissions"] = serde_json::json!(STAFF.to_string());
    pick
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_link_a_gap_to_a_section_and_members_get_that_answer_at_once() {
    let (test, knowledge, data) = spawn_staff_bot(|_| {}).await;
    let member = human("jo");
    let staff = human("boss");
    let question = "is the tuesday yoga class still on";
    let not_known = test
        .reply_to(mention_bot(HELP_CHANNEL, &member, question))
        .await;
    assert!(str_of(&not_known.body["content"]).starts_with("Sorry, I couldn't find"));

    let report = final_reply(&test.fake, kb("unanswered", vec![], &[], &staff, STAFF)).await;
    assert!(str_of(&report["content"]).contains(question), "{report}");
    let link = button_id(&report, "Link 1 to an answer");

    // A member pressing it (a forwarded id) is refused.
    let refused = callback_of(&test.fake, button(&link, bot_message(), &member)).await;
    assert!(
        str_of(&refused["data"]["content"]).contains("only clinic staff"),
        "{refused}"
    );

    let menu = callback_of(&test.fake, staff_press(&link, &staff)).await;
    let select = &menu["data"]["components"][0]["components"][0];
    let options = select["options"].as_array().expect("a menu of sections");
    let open = options
        .iter()
        .find(|o| o["label"] == "When are you open?")
        .expect("the hours section suggested");
    let before = std::fs::read(knowledge.path().join("hours.md")).expect("file");
    let preview = callback_of(
        &test.fake,
        staff_select(
            str_of(&select["custom_id"]),
            &[str_of(&open["value"])],
            &staff,
        ),
    )
    .await;
    assert_eq!(preview["type"], 7, "{preview}");
    let text = str_of(&preview["data"]["content"]);
    assert!(
        text.contains("When are you open?") && text.contains(question),
        "{text}"
    );
    assert_eq!(
        std::fs::read(knowledge.path().join("hours.md")).expect("file"),
        before,
        "nothing before Save"
    );
    let save = button_id(&preview["data"], "Save");
    let saved = callback_of(&test.fake, staff_press(&save, &staff)).await;
    assert!(
        str_of(&saved["data"]["content"]).starts_with("Saved hours.md"),
        "{saved}"
    );

    let after = String::from_utf8(std::fs::read(knowledge.path().join("hours.md")).expect("file"))
        .expect("text");
    assert_eq!(
        after,
        format!(
            "---\nquestions:\n  \"When are you open?\":\n    - \"{question}\"\n---\n{}",
            String::from_utf8(before).expect("text")
        )
    );
    assert_eq!(
        std::fs::read_dir(data.path().join("backups"))
            .expect("backups")
            .count(),
        1
    );
    let answer = test.ask(question, &human("kim")).await;
    assert!(
        str_of(&answer["data"]["embeds"][0]["description"]).contains("nine on weekdays"),
        "{answer}"
    );
    let report = final_reply(&test.fake, kb("unanswered", vec![], &[], &staff, STAFF)).await;
    assert!(
        !str_of(&report["content"]).contains(question),
        "left the report: {report}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kb_teach_finds_any_section_and_a_file_changed_since_the_preview_is_not_written() {
    let (test, knowledge, _data) = spawn_staff_bot(|_| {}).await;
    let staff = human("boss");
    let option =
        |name: &str, value: &str| serde_json::json!({"name": name, "type": 3, "value": value});
    // The section box finds any section by part of its heading.
    let mut typing = kb(
        "teach",
        vec![
            option("question", "can I bring my dog"),
            serde_json::json!({"name": "section", "type": 3, "value": "OPEN", "focused": true}),
        ],
        &[],
        &staff,
        STAFF,
    );
    typing["type"] = serde_json::json!(4);
    let choices = callback_of(&test.fake, typing).await;
    assert_eq!(choices["type"], 8, "{choices}");
    assert_eq!(
        choices["data"]["choices"],
        serde_json::json!([{"name": "When are you open? (hours.md)", "value": "hours.md#When are you open?"}]),
        "{choices}"
    );
    let preview = final_reply(
        &test.fake,
        kb(
            "teach",
            vec![
                option("question", "can I bring my dog"),
                option("section", "hours.md#When are you open?"),
            ],
            &[],
            &staff,
            STAFF,
        ),
    )
    .await;
    assert!(
        str_of(&preview["content"]).contains("can I bring my dog"),
        "{preview}"
    );
    let save = button_id(&preview, "Save");
    let edited = b"## When are you open?\n\nWe open at ten on weekdays now.\n";
    faqbot::files::write_atomically(&knowledge.path().join("hours.md"), edited).expect("edit");
    let refused = callback_of(&test.fake, staff_press(&save, &staff)).await;
    assert!(
        str_of(&refused["data"]["content"])
            .contains("was changed since the preview, so nothing was written"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read(knowledge.path().join("hours.md")).expect("file"),
        edited
    );

    let member = human("lea");
    let mut by_member = kb(
        "teach",
        vec![
            option("question", "x"),
            option("section", "hours.md#When are you open?"),
        ],
        &[],
        &member,
        fake_discord::MEMBER_PERMISSIONS,
    );
    by_member["member"]["roles"] = serde_json::json!([]);
    let reply = final_reply(&test.fake, by_member).await;
    assert_eq!(
        reply["content"], "Sorry, the /kb commands are for clinic staff.",
        "{reply}"
    );
    assert_eq!(
        std::fs::read(knowledge.path().join("hours.md")).expect("file"),
        edited
    );
    test.stop().await;
}

/// Before: the "I couldn't find an answer" reply to `/ask` is public and carries Ask staff;
/// another member pressing it posted the question as theirs, the asker could then post it
/// again, and the gap report counted more escalations than questions. Failed posts used up
/// the member's daily quota. Now only the asker may send it, once per answer, and a post
/// that did not arrive costs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_staff_is_the_askers_alone_once_and_failed_posts_cost_nothing() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
        s.staff.role_id = Some(STAFF_ROLE);
        s.staff.escalations_per_day = std::num::NonZeroU32::new(2).expect("2");
        s.discord.cooldown_questions = std::num::NonZeroU32::new(100).expect("100");
    })
    .await;
    let (asker, other) = (human("ivy"), human("jon"));
    let asked = test.ask("who won the world cup in 1966?", &asker).await;
    let ask_staff = button_id(&asked["data"], "Ask staff");
    let press = |member: &Value| {
        let press = button(&ask_staff, bot_message(), member);
        async { test.callback_of(press).await }
    };
    let refused = press(&other).await;
    assert!(
        str_of(&refused["data"]["content"]).contains("Only the member who asked"),
        "{refused}"
    );
    assert_eq!(refused["data"]["flags"], 64);
    assert!(
        staff_posts(&test.fake).is_empty(),
        "nothing was posted for another member"
    );
    for (member, told) in [
        (&asker, "passed your question"),
        (&asker, "already sent"),
        (&other, "Only the member who asked"),
    ] {
        let reply = press(member).await;
        assert!(str_of(&reply["data"]["content"]).contains(told), "{reply}");
    }
    assert_eq!(staff_posts(&test.fake).len(), 1);

    // Three posts the staff channel refuses: the member is told each time, and none counts.
    test.fake.fail_channel(STAFF_CHANNEL, 403, 3);
    for n in 0..3 {
        let question = format!("is the car wash open on day {n}?");
        let told = ask_and_send_to_staff(&test, &question, &asker).await;
        assert!(told.contains("could not reach staff"), "{told}");
    }
    // One more reaches staff (2 a day, one used); the next is over the limit.
    let told = ask_and_send_to_staff(&test, "who will win the next world cup?", &asker).await;
    assert!(told.contains("passed your question"), "{told}");
    let told = ask_and_send_to_staff(&test, "who won the tour de france?", &asker).await;
    assert!(told.contains("several times today"), "{told}");
    let delivered = staff_posts(&test.fake)
        .into_iter()
        .filter(|post| post.status == 200)
        .count();
    assert_eq!(delivered, 2);
    let gaps = faqbot::records::report::gaps(
        &test
            .records
            .unanswered(std::time::UNIX_EPOCH)
            .expect("records"),
    );
    for gap in &gaps {
        assert!(
            gap.escalated <= gap.count,
            "more escalations than questions: {gap:?}"
        );
    }
    test.stop().await;
}

/// Before: a long question full of Markdown characters reached staff as the header line
/// only (escaping doubled it past 2,000 characters and the cut kept whole sentences), while
/// the member was told staff had it. Now the question is cut, never the post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_question_full_of_markdown_reaches_staff_with_who_and_where() {
    let test = spawn_bot(|s| s.staff.channel_id = Some(STAFF_CHANNEL)).await;
    let member = human("kit");
    let question = format!("who won the world cup {}", "**_~`|[]()<>:#".repeat(120));
    let asked = test.ask(&question, &member).await;
    let press = button_id(&asked["data"], "Ask staff");
    test.callback_of(button(&press, bot_message(), &member))
        .await;
    let posts = staff_posts(&test.fake);
    let content = str_of(&posts[0].body["content"]);
    assert!(
        content.chars().count() <= 2000,
        "{} characters",
        content.chars().count()
    );
    assert!(content.contains("> who won the world cup"), "{content}");
    assert!(content.contains("Asked by <@"), "{content}");
    assert!(
        content.contains("https://discord.com/channels/"),
        "{content}"
    );
    assert!(
        content.contains(" …"),
        "the question says it was cut: {content}"
    );
    test.stop().await;
}

/// Before: `<<@111>@222> x` was recorded as `<@222> x` and `@@everyoneeveryone` as
/// `@everyone`. Mentions are taken out until none is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_mentions_never_reach_the_records() {
    let test = spawn_bot(|_| {}).await;
    test.ask(
        "<<@111>@222> who won the world cup @@everyoneeveryone <@&<@&3>4>",
        &human("lou"),
    )
    .await;
    let stored = test
        .records
        .unanswered(std::time::UNIX_EPOCH)
        .expect("records");
    let question = &stored.last().expect("recorded").question;
    assert_eq!(question, "who won the world cup");
    test.stop().await;
}

/// Before: a forum post whose first message only mentioned the bot got the how-to-ask line
/// instead of an answer to its title; one failed `GET /channels/{thread}` silenced that
/// thread until a restart; a system message (type 18, a thread was created) was taken for a
/// question.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forum_posts_are_read_with_their_title_and_a_failed_lookup_is_asked_again() {
    let test = spawn_bot(|s| s.discord.help_channels.push(FORUM)).await;
    let member = human("max");
    let (thread, first) = fake_discord::forum_post(
        FORUM,
        &member,
        "Is hot stone massage safe for everyone?",
        &format!("<@{}>", FakeDiscord::BOT_ID),
    );
    test.fake.add_channel(thread.clone());
    test.fake.dispatch("THREAD_CREATE", thread).await;
    let reply = test.reply_to(first).await;
    assert!(
        str_of(&reply.body["embeds"][0]["title"])
            .to_lowercase()
            .contains("hot stone"),
        "answered from the title: {}",
        reply.body
    );

    // A thread under the help channel that Discord fails to describe once.
    let help_thread =
        fake_discord::thread(fake_discord::snowflake(), HELP_CHANNEL, "sore", &member);
    let in_thread: u64 = str_of(&help_thread["id"]).parse().expect("id");
    test.fake.add_channel(help_thread);
    test.fake.fail_channel(in_thread, 500, 1);
    let unanswered = message(in_thread, &member, "what is trigger point therapy?");
    let unanswered_id = unanswered["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", unanswered).await;
    let lookup = format!("/api/v10/channels/{in_thread}");
    test.fake
        .wait_request(|r| r.is("GET", &lookup) && r.status == 500)
        .await;
    let reply = test
        .reply_to(message(in_thread, &member, "what is myofascial release?"))
        .await;
    assert!(
        reply.body["embeds"][0]["title"].is_string(),
        "{}",
        reply.body
    );
    assert_eq!(
        replies_in(&test.fake, &in_thread.to_string(), &unanswered_id).len(),
        0
    );

    // Discord's own notice in a help channel is not a question.
    let mut notice = message(HELP_CHANNEL, &member, "what is trigger point therapy?");
    notice["type"] = serde_json::json!(18);
    test.assert_left_alone(notice).await;
    test.stop().await;
}

/// Before: "Can massage help me sleep?" was answered in a help channel, and "Can massage help
/// me sleep? I've had insomnia for months." got nothing. The question inside the message is
/// judged; chat still gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_help_channel_question_with_context_is_answered_and_chat_is_not() {
    let test = spawn_bot(|_| {}).await;
    let member = human("ned");
    let reply = test
        .reply_to(message(
            HELP_CHANNEL,
            &member,
            "Can massage help me sleep? I've had insomnia for months.",
        ))
        .await;
    assert!(
        str_of(&reply.body["embeds"][0]["title"]).contains("Relaxation"),
        "{}",
        reply.body
    );
    test.assert_left_alone(message(
        HELP_CHANNEL,
        &member,
        "How are you all doing? see you at the clinic tomorrow",
    ))
    .await;
    test.stop().await;
}

/// Before: "who won the world cup" was told the closest topics were pressure, coffee and quiet
/// sessions. Only topics the decision finds at least 20% likely are offered (coffee, for its
/// cup, still is).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn did_you_mean_offers_only_close_topics() {
    let test = spawn_bot(|_| {}).await;
    let callback = test.ask("who won the world cup", &human("ola")).await;
    let content = str_of(&callback["data"]["content"]);
    assert!(content.starts_with("Sorry, I couldn't find"), "{content}");
    for unrelated in ["pressure", "quiet"] {
        assert!(!content.to_lowercase().contains(unrelated), "{content}");
    }
    test.stop().await;
}

/// Before: the wait notice for a mention over the rate limit was posted in the channel for
/// everyone, though the example config promises it privately. It comes as a direct message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_notice_on_a_mention_is_private() {
    let test = spawn_bot(|s| {
        s.discord.cooldown_questions = std::num::NonZeroU32::new(1).expect("1");
    })
    .await;
    let member = human("pam");
    test.reply_to(mention_bot(
        HELP_CHANNEL,
        &member,
        "what is a hot stone massage?",
    ))
    .await;
    let second = mention_bot(HELP_CHANNEL, &member, "what is trigger point therapy?");
    let second_id = second["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", second).await;
    let dm = FakeDiscord::dm_channel_id(str_of(&member["id"]));
    let notice = test
        .fake
        .wait_request(|r| r.is("POST", &format!("/api/v10/channels/{dm}/messages")))
        .await;
    assert!(
        str_of(&notice.body["content"]).contains("Please wait"),
        "{}",
        notice.body
    );
    no_pings(&notice.body);
    assert_eq!(
        test.replies_to(HELP_CHANNEL, &second_id),
        0,
        "nothing in the channel"
    );
    test.stop().await;
}
