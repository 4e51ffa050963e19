//! Smoke tests for the fake Discord (`support::fake_discord`): the real serenity client gets
//! READY from it, receives dispatches, survives a dropped gateway, and parses the fake's REST
//! answers and payload builders. If these fail, every Discord test built on the fake is suspect.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::fake_discord::{self, FakeDiscord};

/// How long a test waits for the handler before failing (a working run takes milliseconds).
const WAIT: Duration = Duration::from_secs(20);

/// What the handler heard, and how its reply went.
#[derive(Debug)]
struct Reply {
    heard: String,
    sent: Result<serenity::Message, String>,
}

/// Answers every human message with `echo: <content>`, without pinging anyone.
struct Echo {
    replies: mpsc::UnboundedSender<Reply>,
}

#[serenity::async_trait]
impl serenity::EventHandler for Echo {
    async fn message(&self, ctx: serenity::Context, message: serenity::Message) {
        if message.author.bot {
            return;
        }
        let reply = serenity::CreateMessage::new()
            .content(format!("echo: {}", message.content))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        let sent = message
            .channel_id
            .send_message(&ctx.http, reply)
            .await
            .map_err(|error| error.to_string());
        // The receiver is gone only when the test already ended.
        let _ = self.replies.send(Reply {
            heard: message.content,
            sent,
        });
    }
}

/// serenity's HTTP client pointed at the fake.
fn http(fake: &FakeDiscord) -> serenity::Http {
    serenity::HttpBuilder::new("fake-token")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

/// A running serenity client with the [`Echo`] handler.
struct Bot {
    shard_manager: std::sync::Arc<serenity::ShardManager>,
    replies: mpsc::UnboundedReceiver<Reply>,
    task: tokio::task::JoinHandle<serenity::Result<()>>,
}

impl Bot {
    async fn start(fake: &FakeDiscord) -> Bot {
        let (tx, replies) = mpsc::unbounded_channel();
        let intents = serenity::GatewayIntents::GUILD_MESSAGES
            | serenity::GatewayIntents::MESSAGE_CONTENT
            | serenity::GatewayIntents::GUILDS;
        let mut client = serenity::ClientBuilder::new_with_http(http(fake), intents)
            .event_handler(Echo { replies: tx })
            .await
            .expect("build the serenity client");
        let shard_manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        Bot {
            shard_manager,
            replies,
            task,
        }
    }

    async fn next_reply(&mut self) -> Reply {
        tokio::time::timeout(WAIT, self.replies.recv())
            .await
            .expect("the handler did not answer a MESSAGE_CREATE in time")
            .expect("the handler is gone")
    }

    async fn stop(self) {
        self.shard_manager.shutdown_all().await;
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the client did not stop after shutdown_all")
            .expect("the client task panicked")
            .expect("the client ended with an error");
    }
}

fn is_post_to(channel: u64) -> impl Fn(&fake_discord::Request) -> bool {
    let path = format!("/api/v10/channels/{channel}/messages");
    move |request| request.is("POST", &path)
}

#[tokio::test]
async fn fake_discord_delivers_a_message_and_records_the_reply() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;
    fake.wait_ready().await;
    assert_eq!(fake.identify_count(), 1);
    assert!(
        fake.requests()
            .iter()
            .any(|request| request.is("GET", "/api/v10/gateway")),
        "the client should have asked the fake for the gateway URL"
    );

    let channel = fake_discord::snowflake();
    let ana = fake_discord::human("ana");
    fake.dispatch(
        "MESSAGE_CREATE",
        fake_discord::mention_bot(channel, &ana, "when are you open?"),
    )
    .await;

    let reply = bot.next_reply().await;
    let expected = format!("<@{}> when are you open?", FakeDiscord::BOT_ID);
    assert_eq!(reply.heard, expected);
    let sent = reply.sent.expect("send_message parses the fake's Message");
    assert_eq!(sent.content, format!("echo: {expected}"));
    assert_eq!(sent.author.id.get(), FakeDiscord::BOT_ID);
    assert_eq!(sent.channel_id.get(), channel);

    let request = fake.wait_request(is_post_to(channel)).await;
    assert_eq!(request.body["content"], json!(format!("echo: {expected}")));
    assert_eq!(request.body["allowed_mentions"]["parse"], json!([]));
    bot.stop().await;
}

#[tokio::test]
async fn fake_discord_keeps_working_after_the_gateway_drops() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;
    fake.wait_ready().await;
    let channel = fake_discord::snowflake();
    let ben = fake_discord::human("ben");
    fake.dispatch(
        "MESSAGE_CREATE",
        fake_discord::message(channel, &ben, "first"),
    )
    .await;
    assert_eq!(bot.next_reply().await.heard, "first");

    let handshakes = fake.identify_count() + fake.resume_count();
    fake.drop_gateway().await;
    // Sent while the client reconnects: the fake queues it for the new connection.
    fake.dispatch(
        "MESSAGE_CREATE",
        fake_discord::message(channel, &ben, "still there?"),
    )
    .await;
    fake.wait_ready().await;
    assert!(
        fake.identify_count() + fake.resume_count() > handshakes,
        "the client should have resumed or identified again"
    );

    let reply = bot.next_reply().await;
    assert_eq!(reply.heard, "still there?");
    reply.sent.expect("the reply after reconnecting was sent");
    let request = fake
        .wait_request(|request| {
            is_post_to(channel)(request) && request.body["content"] == json!("echo: still there?")
        })
        .await;
    assert_eq!(request.body["allowed_mentions"]["parse"], json!([]));
    bot.stop().await;
}

/// Deserializes `data` as a gateway dispatch of `event`, so a payload that serenity's untagged
/// fallback would turn into an unknown event fails here.
fn dispatch_event(event: &str, data: &Value) -> serenity::Event {
    let frame = json!({"op": 0, "t": event, "s": 1, "d": data});
    match serde_json::from_value::<serenity::GatewayEvent>(frame) {
        Ok(serenity::GatewayEvent::Dispatch(_, event)) => event,
        other => panic!("not a dispatch: {other:?}"),
    }
}

fn interaction(data: &Value) -> serenity::Interaction {
    match dispatch_event("INTERACTION_CREATE", data) {
        serenity::Event::InteractionCreate(event) => event.interaction,
        other => panic!("INTERACTION_CREATE fell back to {other:?}"),
    }
}

#[test]
fn fake_discord_builders_deserialize_in_serenity() {
    let channel = fake_discord::snowflake();
    let ana = fake_discord::human("ana");

    let plain = fake_discord::message(channel, &ana, "hello");
    let parsed: serenity::Message =
        serde_json::from_value(plain.clone()).expect("message() is a serenity Message");
    assert_eq!(parsed.content, "hello");
    assert_eq!(parsed.channel_id.get(), channel);
    assert_eq!(
        parsed.guild_id.map(|id| id.get()),
        Some(FakeDiscord::GUILD_ID)
    );
    assert!(parsed.member.is_some());
    assert!(!parsed.author.bot);
    assert!(parsed.mentions.is_empty());
    assert!(matches!(
        dispatch_event("MESSAGE_CREATE", &plain),
        serenity::Event::MessageCreate(_)
    ));

    let mention: serenity::Message =
        serde_json::from_value(fake_discord::mention_bot(channel, &ana, "hi"))
            .expect("mention_bot() is a serenity Message");
    assert!(mention.mentions_user_id(FakeDiscord::BOT_ID));
    assert_eq!(mention.content, format!("<@{}> hi", FakeDiscord::BOT_ID));

    let from_bot: serenity::Message = serde_json::from_value(fake_discord::message(
        channel,
        &fake_discord::other_bot("helper"),
        "beep",
    ))
    .expect("a message from other_bot() is a serenity Message");
    assert!(from_bot.author.bot);
    let me: serenity::User =
        serde_json::from_value(fake_discord::bot_user()).expect("bot_user() is a serenity User");
    assert!(me.bot);
    assert_eq!(me.id.get(), FakeDiscord::BOT_ID);

    let command_json = fake_discord::slash_command("faq", &[("question", "parking?")], &ana);
    let serenity::Interaction::Command(command) = interaction(&command_json) else {
        panic!("slash_command() is not a command interaction");
    };
    assert_eq!(command.data.name, "faq");
    assert_eq!(command.data.options[0].name, "question");
    assert_eq!(command.data.options[0].value.as_str(), Some("parking?"));
    assert_eq!(json!(command.user.id.to_string()), ana["id"]);
    assert_eq!(
        command.guild_id.map(|id| id.get()),
        Some(FakeDiscord::GUILD_ID)
    );
    let permissions = command
        .member
        .as_ref()
        .and_then(|member| member.permissions)
        .expect("the member has permissions");
    assert!(permissions.contains(serenity::Permissions::SEND_MESSAGES));
    let again = fake_discord::slash_command("faq", &[], &ana);
    assert_ne!(again["id"], command_json["id"]);
    assert_ne!(again["token"], command_json["token"]);

    let serenity::Interaction::Autocomplete(typing) =
        interaction(&fake_discord::autocomplete("faq", "question", "park", &ana))
    else {
        panic!("autocomplete() is not an autocomplete interaction");
    };
    let focused = typing
        .data
        .autocomplete()
        .expect("the focused option is there");
    assert_eq!((focused.name, focused.value), ("question", "park"));

    let serenity::Interaction::Component(press) =
        interaction(&fake_discord::button("more", plain, &ana))
    else {
        panic!("button() is not a component interaction");
    };
    assert_eq!(press.data.custom_id, "more");
    assert!(matches!(
        press.data.kind,
        serenity::ComponentInteractionDataKind::Button
    ));
    assert_eq!(press.message.content, "hello");

    let dm: serenity::Message = serde_json::from_value(fake_discord::direct_message(
        &ana,
        "can massage help me sleep?",
    ))
    .expect("direct_message() is a serenity Message");
    assert_eq!(dm.guild_id, None);
    assert!(dm.member.is_none());
    let dm_channel: serenity::Channel =
        serde_json::from_value(fake_discord::dm_channel(str_of(&ana["id"])))
            .expect("dm_channel() is a serenity Channel");
    let serenity::Channel::Private(dm_channel) = dm_channel else {
        panic!("dm_channel() is not a private channel");
    };
    assert_eq!(dm_channel.id, dm.channel_id);

    let target = fake_discord::message(channel, &ana, "is hot stone massage safe?");
    let serenity::Interaction::Command(handed) = interaction(&fake_discord::message_command(
        "Answer with faqbot",
        &target,
        &fake_discord::human("ben"),
    )) else {
        panic!("message_command() is not a command interaction");
    };
    assert_eq!(handed.data.kind, serenity::CommandType::Message);
    assert_eq!(handed.channel_id.get(), channel);
    let Some(serenity::ResolvedTarget::Message(resolved)) = handed.data.target() else {
        panic!("message_command() has no target message");
    };
    assert_eq!(resolved.content, "is hot stone massage safe?");
    assert_eq!(json!(resolved.author.id.to_string()), ana["id"]);

    let in_dm = fake_discord::in_direct_messages(
        fake_discord::slash_command("faq", &[("question", "parking?")], &ana),
        &ana,
    );
    let serenity::Interaction::Command(in_dm) = interaction(&in_dm) else {
        panic!("in_direct_messages() is not a command interaction");
    };
    assert_eq!(in_dm.guild_id, None);
    assert!(in_dm.member.is_none());
    assert_eq!(json!(in_dm.user.id.to_string()), ana["id"]);
    assert_eq!(in_dm.channel_id, dm.channel_id);
}

fn str_of(value: &Value) -> &str {
    value.as_str().expect("a string")
}

#[tokio::test]
async fn fake_discord_rest_answers_parse_in_serenity() {
    let fake = FakeDiscord::start().await;
    let http = http(&fake);

    let me = http.get_current_user().await.expect("GET /users/@me");
    assert!(me.bot);
    assert_eq!(me.id.get(), FakeDiscord::BOT_ID);
    let app = http
        .get_current_application_info()
        .await
        .expect("GET /oauth2/applications/@me");
    assert_eq!(app.id.get(), FakeDiscord::APPLICATION_ID);
    assert_eq!(
        app.owner.map(|owner| owner.id.get()),
        Some(FakeDiscord::OWNER_ID)
    );
    let gateway = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(gateway.url, fake.gateway_url());
    assert_eq!(gateway.shards, 1);

    // Command registration echoes the commands back.
    http.set_application_id(serenity::ApplicationId::new(FakeDiscord::APPLICATION_ID));
    let faq = || {
        serenity::CreateCommand::new("faq")
            .description("Ask the clinic")
            .default_member_permissions(serenity::Permissions::SEND_MESSAGES)
            .add_option(
                serenity::CreateCommandOption::new(
                    serenity::CommandOptionType::String,
                    "question",
                    "What to ask",
                )
                .required(true)
                .set_autocomplete(true),
            )
    };
    let global = serenity::Command::set_global_commands(&http, vec![faq()])
        .await
        .expect("PUT global commands");
    assert_eq!(global[0].name, "faq");
    assert_eq!(global[0].options[0].name, "question");
    assert_eq!(global[0].application_id.get(), FakeDiscord::APPLICATION_ID);
    let guild = serenity::GuildId::new(FakeDiscord::GUILD_ID)
        .set_commands(&http, vec![faq()])
        .await
        .expect("PUT guild commands");
    assert_eq!(
        guild[0].guild_id.map(|id| id.get()),
        Some(FakeDiscord::GUILD_ID)
    );
    assert_eq!(
        guild[0].default_member_permissions,
        Some(serenity::Permissions::SEND_MESSAGES)
    );

    // A message with an embed and a button comes back as sent.
    let channel = fake_discord::snowflake();
    let sent = serenity::ChannelId::new(channel)
        .send_message(
            &http,
            serenity::CreateMessage::new()
                .content("See below")
                .embed(
                    serenity::CreateEmbed::new()
                        .title("Opening hours")
                        .description("Mon-Fri")
                        .field("Sat", "10-14", true),
                )
                .components(vec![serenity::CreateActionRow::Buttons(vec![
                    serenity::CreateButton::new("more").label("More"),
                ])]),
        )
        .await
        .expect("POST /channels/{id}/messages");
    assert_eq!(sent.embeds[0].title.as_deref(), Some("Opening hours"));
    assert_eq!(sent.embeds[0].fields[0].value, "10-14");
    let serenity::ActionRowComponent::Button(more) = &sent.components[0].components[0] else {
        panic!("the button did not come back");
    };
    assert_eq!(
        more.data,
        serenity::ButtonKind::NonLink {
            custom_id: "more".to_owned(),
            style: serenity::ButtonStyle::Primary
        }
    );

    // An interaction: deferred, edited, fetched, followed up, deleted.
    let ana = fake_discord::human("ana");
    let serenity::Interaction::Command(command) = interaction(&fake_discord::slash_command(
        "faq",
        &[("question", "parking?")],
        &ana,
    )) else {
        panic!("slash_command() is not a command interaction");
    };
    command.defer(&http).await.expect("deferred response");
    let edited = command
        .edit_response(
            &http,
            serenity::EditInteractionResponse::new().content("Behind the clinic."),
        )
        .await
        .expect("PATCH @original");
    assert_eq!(edited.content, "Behind the clinic.");
    let original = command.get_response(&http).await.expect("GET @original");
    assert_eq!(original.id, edited.id);
    assert_eq!(original.content, "Behind the clinic.");
    let followup = command
        .create_followup(
            &http,
            serenity::CreateInteractionResponseFollowup::new()
                .content("Anything else?")
                .ephemeral(true),
        )
        .await
        .expect("POST follow-up");
    assert_eq!(followup.content, "Anything else?");
    assert!(
        followup
            .flags
            .is_some_and(|flags| flags.contains(serenity::MessageFlags::EPHEMERAL))
    );
    command
        .delete_response(&http)
        .await
        .expect("DELETE @original");

    let callback = format!(
        "/api/v10/interactions/{}/{}/callback",
        command.id, command.token
    );
    let deferred = fake
        .wait_request(|request| request.is("POST", &callback))
        .await;
    assert_eq!(deferred.body["type"], json!(5));

    // Channels the test added are served, and parse as serenity's threads.
    let thread_id = fake_discord::snowflake();
    let owner = fake_discord::human("poster");
    fake.add_channel(fake_discord::thread(
        thread_id,
        channel,
        "Sore after yoga?",
        &owner,
    ));
    let thread = http
        .get_channel(serenity::ChannelId::new(thread_id))
        .await
        .expect("GET /channels/{id} of an added thread")
        .guild()
        .expect("a guild channel");
    assert_eq!(thread.kind, serenity::ChannelType::PublicThread);
    assert_eq!(thread.parent_id, Some(serenity::ChannelId::new(channel)));
    assert_eq!(thread.name, "Sore after yoga?");
    let unknown = http
        .get_channel(serenity::ChannelId::new(channel))
        .await
        .expect_err("a channel not added is unknown");
    assert!(unknown.to_string().contains("Unknown Channel"), "{unknown}");

    // Unknown routes are recorded and answered 404.
    let error = http
        .get_guild_roles(serenity::GuildId::new(FakeDiscord::GUILD_ID))
        .await
        .expect_err("GET /guilds/{id}/roles is not faked");
    assert!(error.to_string().contains("Unknown route"), "{error}");
    let requests = fake.requests();
    let last = requests.last().expect("requests were recorded");
    assert!(
        last.is(
            "GET",
            &format!("/api/v10/guilds/{}/roles", FakeDiscord::GUILD_ID)
        ),
        "{last}"
    );
}
