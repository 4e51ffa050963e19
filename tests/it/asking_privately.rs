//! Asking privately and handing a question to the bot, through the fake Discord with the real
//! serenity client: direct messages, `/ask private:True`, and the "Answer with faqbot" message
//! command.

use faqbot::discord::format::HOW_TO_ASK_HERE;
use faqbot::records::{Channel, Records};
use serde_json::{Value, json};

use crate::discord::{
    HELP_CHANNEL, STAFF, STAFF_CHANNEL, STAFF_ROLE, TestBot, bot_message, button_id, final_reply,
    kb, no_pings, spawn_bot, staff_posts, str_of,
};
use crate::support::fake_discord::{
    self, FakeDiscord, button, direct_message, human, in_direct_messages, mention_bot, message,
    message_command, other_bot, slash_command,
};

const ANSWER_WITH_FAQBOT: &str = "Answer with faqbot";
const OFF_TOPIC: &str = "who won the world cup in 1966?";

/// The member's direct-message channel with the bot.
fn dm_of(member: &Value) -> u64 {
    FakeDiscord::dm_channel_id(str_of(&member["id"]))
}

/// `message` (the bot's) as it stands once it carries what `sent` (a request's or callback's
/// body) set: its text, embeds and buttons.
fn carrying(mut message: Value, sent: &Value) -> Value {
    message["content"] = json!(sent["content"].as_str().unwrap_or(""));
    message["embeds"] = sent.get("embeds").cloned().unwrap_or(json!([]));
    message["components"] = sent.get("components").cloned().unwrap_or(json!([]));
    message
}

/// The message object of the bot's `reply` (a request it sent) in the member's DMs, for a button
/// to be pressed on.
fn posted_in_dms(member: &Value, reply: &Value) -> Value {
    let mut posted = direct_message(member, "");
    posted["author"] = fake_discord::bot_user();
    carrying(posted, reply)
}

/// `/ask question` with its `private` option set to `private`.
fn ask_with_private(question: &str, private: bool, user: &Value) -> Value {
    let mut interaction = slash_command("ask", &[("question", question)], user);
    if let Some(options) = interaction["data"]["options"].as_array_mut() {
        options.push(json!({"name": "private", "type": 5, "value": private}));
    }
    interaction
}

/// An ephemeral message of the bot's with `data`'s embeds and buttons, as Discord hands it
/// over when a button on it is pressed (flags 64).
fn ephemeral_message(data: &Value) -> Value {
    let mut posted = bot_message();
    posted["flags"] = json!(64);
    carrying(posted, data)
}

/// Each question recorded so far (its text, which is kept only when it was not answered),
/// where it was asked and whether it was answered, oldest first; without the marks that
/// votes and "Ask staff" add to a question.
fn recorded(test: &TestBot) -> Vec<(String, Channel, bool)> {
    test.records
        .recorded()
        .into_iter()
        .filter(|a| !a.escalated && !a.not_helpful)
        .map(|a| (a.question, a.channel, a.answered))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_is_a_question_answered_there_and_recorded_as_dm() {
    let test = spawn_bot(|_| {}).await;
    let member = human("ada");
    let reply = test
        .reply_to(direct_message(&member, "can massage help me sleep?"))
        .await;
    assert!(
        reply
            .path
            .ends_with(&format!("/{}/messages", dm_of(&member)))
    );
    let embed = &reply.body["embeds"][0];
    assert!(
        str_of(&embed["description"])
            .to_lowercase()
            .contains("sleep"),
        "{}",
        reply.body
    );
    no_pings(&reply.body);
    let buttons = reply.body["components"].to_string();
    assert!(
        buttons.contains("Helpful") && buttons.contains("Not helpful"),
        "{buttons}"
    );

    let declined = test.reply_to(direct_message(&member, OFF_TOPIC)).await;
    assert!(
        str_of(&declined.body["content"]).starts_with("Sorry, I couldn't find"),
        "{}",
        declined.body
    );
    no_pings(&declined.body);
    assert_eq!(
        recorded(&test),
        [
            (String::new(), Channel::Dm, true),
            (OFF_TOPIC.to_string(), Channel::Dm, false),
        ]
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greetings_and_thanks_in_a_dm_get_how_to_ask_and_are_not_recorded() {
    let test = spawn_bot(|_| {}).await;
    let member = human("bea");
    for polite in ["hi", "Hello there!", "thanks so much!", "ok got it 👍"] {
        let reply = test.reply_to(direct_message(&member, polite)).await;
        assert_eq!(reply.body["content"], HOW_TO_ASK_HERE, "{polite}");
        assert!(reply.body["embeds"].as_array().is_none_or(Vec::is_empty));
        no_pings(&reply.body);
    }
    // A greeting with a question is a question.
    let asked = test
        .reply_to(direct_message(
            &member,
            "hi! what should I wear to my massage?",
        ))
        .await;
    assert!(asked.body["embeds"][0].is_object(), "{}", asked.body);
    assert_eq!(recorded(&test), [(String::new(), Channel::Dm, true)]);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_no_bot_in_direct_messages_not_even_itself() {
    let test = spawn_bot(|_| {}).await;
    let member = human("cal");
    // What the bot itself posts in a member's DMs comes back to it as a message there.
    let mut own = direct_message(&member, "can massage help me sleep?");
    own["author"] = fake_discord::bot_user();
    let helper = other_bot("helper");
    let from_bot = direct_message(&helper, "can massage help me sleep?");
    let (own_id, bot_id) = (own["id"].clone(), from_bot["id"].clone());
    test.fake.dispatch("MESSAGE_CREATE", own).await;
    test.fake.dispatch("MESSAGE_CREATE", from_bot).await;
    // Handled in order: once this is answered, the two before it were seen.
    test.reply_to(direct_message(&member, "what is a hot stone massage?"))
        .await;
    assert_eq!(test.replies_to(dm_of(&member), &own_id), 0);
    assert_eq!(test.replies_to(dm_of(&helper), &bot_id), 0);
    let sent_to_bots = test
        .fake
        .requests()
        .iter()
        .filter(|r| {
            r.is(
                "POST",
                &format!("/api/v10/channels/{}/messages", dm_of(&helper)),
            )
        })
        .count();
    assert_eq!(sent_to_bots, 0);
    assert_eq!(recorded(&test).len(), 1, "{:?}", recorded(&test));
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_too_often_in_a_dm_is_told_there() {
    let test = spawn_bot(|s| {
        s.discord.cooldown_questions = std::num::NonZeroU32::new(1).expect("1");
    })
    .await;
    let member = human("dot");
    test.reply_to(direct_message(&member, "what is a hot stone massage?"))
        .await;
    let second = direct_message(&member, "what is trigger point therapy?");
    let second_id = second["id"].clone();
    test.fake.dispatch("MESSAGE_CREATE", second).await;
    let dm = dm_of(&member);
    let notice = test
        .fake
        .wait_request(|r| {
            r.is("POST", &format!("/api/v10/channels/{dm}/messages"))
                && r.body["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("Please wait"))
        })
        .await;
    no_pings(&notice.body);
    assert_eq!(test.replies_to(dm, &second_id), 0, "not answered");
    assert_eq!(recorded(&test).len(), 1);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_work_in_a_dm_and_staff_are_told_the_question_was_private() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
        s.staff.role_id = Some(STAFF_ROLE);
    })
    .await;
    let member = human("eli");
    let answered = test
        .reply_to(direct_message(&member, "how often should I get a massage?"))
        .await;
    let posted = posted_in_dms(&member, &answered.body);
    let helpful = button_id(&answered.body, "Helpful");
    let thanks = test
        .callback_of(in_direct_messages(
            button(&helpful, posted, &member),
            &member,
        ))
        .await;
    assert!(
        str_of(&thanks["data"]["content"]).starts_with("Thanks"),
        "{thanks}"
    );

    let declined = test.reply_to(direct_message(&member, OFF_TOPIC)).await;
    let ask_staff = button_id(&declined.body, "Ask staff");
    let press = in_direct_messages(
        button(&ask_staff, posted_in_dms(&member, &declined.body), &member),
        &member,
    );
    let told = test.callback_of(press).await;
    assert!(
        str_of(&told["data"]["content"]).contains("passed your question"),
        "{told}"
    );
    let posts = staff_posts(&test.fake);
    assert_eq!(posts.len(), 1);
    let post = str_of(&posts[0].body["content"]);
    let member_id = str_of(&member["id"]);
    assert!(
        post.contains(&format!("Asked privately by <@{member_id}>")),
        "{post}"
    );
    assert!(!post.contains("discord.com/channels"), "no link: {post}");
    assert_eq!(
        posts[0].body["allowed_mentions"]["roles"],
        json!([STAFF_ROLE.to_string()])
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_for_where_they_work_and_staff_commands_refuse_dms() {
    let test = spawn_bot(|_| {}).await;
    let registration = test
        .fake
        .wait_request(|r| r.is_registration() && r.status == 200)
        .await;
    let commands = registration.body.as_array().expect("commands");
    let named = |name: &str| {
        commands
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} registered: {commands:?}"))
    };
    let handover = named(ANSWER_WITH_FAQBOT);
    assert_eq!(handover["type"], 3, "a message command: {handover}");
    assert_eq!(handover["contexts"], json!([0]), "servers only: {handover}");
    assert_eq!(named("kb")["contexts"], json!([0]));
    let private = named("ask")["options"]
        .as_array()
        .and_then(|options| options.iter().find(|o| o["name"] == "private"))
        .cloned()
        .expect("/ask has a private option");
    assert_eq!(private["type"], 5, "a boolean: {private}");
    assert_ne!(private["required"], true);

    // Discord would not offer them in DMs; a stale client may still send them.
    let member = human("fin");
    let status = in_direct_messages(kb("status", vec![], &[], &member, STAFF), &member);
    let refused = test.callback_of(status).await;
    assert_eq!(refused["data"]["flags"], 64, "{refused}");
    assert!(
        str_of(&refused["data"]["content"]).contains("only in the clinic's server"),
        "{refused}"
    );
    let target = direct_message(&member, "can massage help me sleep?");
    let handed = in_direct_messages(
        message_command(ANSWER_WITH_FAQBOT, &target, &member),
        &member,
    );
    let refused = test.callback_of(handed).await;
    assert!(
        str_of(&refused["data"]["content"]).contains("only in the clinic's server"),
        "{refused}"
    );
    assert_eq!(test.replies_to(dm_of(&member), &target["id"]), 0);

    // `/ask` works in DMs too, where it is private anyway.
    let asked = in_direct_messages(
        slash_command(
            "ask",
            &[("question", "what is a hot stone massage?")],
            &member,
        ),
        &member,
    );
    let answer = final_reply(&test.fake, asked).await;
    assert!(answer["embeds"][0].is_object(), "{answer}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ask_is_seen_only_by_the_asker_and_its_buttons_still_work() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
        s.staff.role_id = Some(STAFF_ROLE);
    })
    .await;
    let member = human("gil");
    let callback = test
        .callback_of(ask_with_private(
            "how often should I get a massage?",
            true,
            &member,
        ))
        .await;
    let data = &callback["data"];
    assert_eq!(data["flags"], 64, "ephemeral: {callback}");
    assert!(data["embeds"][0].is_object(), "{callback}");
    no_pings(data);
    let on_it = ephemeral_message(data);
    let press = |label: &str| button(&button_id(data, label), on_it.clone(), &member);
    let more = test.callback_of(press("More answers")).await;
    assert_eq!(more["data"]["flags"], 64, "{more}");
    assert!(more["data"]["embeds"][0].is_object(), "{more}");
    let helpful = test.callback_of(press("Helpful")).await;
    assert!(str_of(&helpful["data"]["content"]).starts_with("Thanks"));
    let votes = test.records.votes().expect("votes");
    assert_eq!(votes.iter().map(|v| v.helpful).sum::<u32>(), 1, "{votes:?}");

    let declined = test
        .callback_of(ask_with_private(OFF_TOPIC, true, &member))
        .await;
    assert_eq!(declined["data"]["flags"], 64, "{declined}");
    let ask_staff = button_id(&declined["data"], "Ask staff");
    let told = test
        .callback_of(button(
            &ask_staff,
            ephemeral_message(&declined["data"]),
            &member,
        ))
        .await;
    assert!(str_of(&told["data"]["content"]).contains("passed your question"));
    let posts = staff_posts(&test.fake);
    let post = str_of(&posts[0].body["content"]);
    assert!(post.contains("Asked privately by"), "{post}");
    assert!(!post.contains("discord.com/channels"), "no link: {post}");
    let kinds: Vec<Channel> = recorded(&test).into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(kinds, [Channel::Command, Channel::Command]);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_helpful_on_a_private_answer_sends_staff_no_link() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
    })
    .await;
    let member = human("hub");
    let callback = test
        .callback_of(ask_with_private(
            "what is a hot stone massage?",
            true,
            &member,
        ))
        .await;
    let on_it = ephemeral_message(&callback["data"]);
    let not_helpful = button_id(&callback["data"], "Not helpful");
    let thanks = test.callback_of(button(&not_helpful, on_it, &member)).await;
    let ask_staff = button_id(&thanks["data"], "Ask staff");
    let told = test
        .callback_of(button(
            &ask_staff,
            ephemeral_message(&thanks["data"]),
            &member,
        ))
        .await;
    assert!(str_of(&told["data"]["content"]).contains("passed your question"));
    let post = staff_posts(&test.fake)
        .first()
        .map(|p| str_of(&p.body["content"]).to_string())
        .expect("a staff post");
    assert!(post.contains("Asked privately by"), "{post}");
    assert!(!post.contains("discord.com/channels"), "{post}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_makes_ask_private_by_default_and_members_may_still_answer_in_public() {
    let test = spawn_bot(|s| s.discord.private_answers = true).await;
    let member = human("ida");
    let private = test.ask("what is a hot stone massage?", &member).await;
    assert_eq!(private["data"]["flags"], 64, "{private}");
    let public = test
        .callback_of(ask_with_private(
            "what is a hot stone massage?",
            false,
            &member,
        ))
        .await;
    assert!(public["data"]["embeds"][0].is_object(), "{public}");
    assert_ne!(public["data"]["flags"], 64, "in public: {public}");
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_config_ask_answers_in_public_and_a_wait_notice_is_still_private() {
    let test = spawn_bot(|s| {
        s.discord.cooldown_questions = std::num::NonZeroU32::new(1).expect("1");
    })
    .await;
    let member = human("jay");
    let public = test.ask("what is a hot stone massage?", &member).await;
    assert!(public["data"]["embeds"][0].is_object(), "{public}");
    assert_ne!(public["data"]["flags"], 64, "{public}");
    let wait = test
        .callback_of(ask_with_private(
            "what is a hot stone massage?",
            false,
            &member,
        ))
        .await;
    assert_eq!(wait["data"]["flags"], 64, "{wait}");
    assert!(str_of(&wait["data"]["content"]).contains("Please wait"));
    test.stop().await;
}

/// Hands `target` to the bot as `requester` and returns what the requester is told privately.
async fn hand_over(test: &TestBot, target: &Value, requester: &Value) -> String {
    let interaction = message_command(ANSWER_WITH_FAQBOT, target, requester);
    let told = final_reply(&test.fake, interaction).await;
    assert_eq!(told["flags"], 64, "only the requester sees it: {told}");
    no_pings(&told);
    str_of(&told["content"]).to_string()
}

/// The bot's public replies to `target` in its channel.
fn public_replies(test: &TestBot, target: &Value) -> Vec<fake_discord::Request> {
    let channel = str_of(&target["channel_id"]);
    test.fake
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", &format!("/api/v10/channels/{channel}/messages")))
        .filter(|r| r.body["message_reference"]["message_id"] == target["id"])
        .collect()
}

/// The link `told` gives, after "Answered: " or "already answered that message: ".
fn link_in(told: &str) -> &str {
    told.split_whitespace()
        .find(|word| word.starts_with("https://discord.com/channels/"))
        .unwrap_or_else(|| panic!("a link in {told:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_with_faqbot_replies_in_public_once_and_links_there() {
    let test = spawn_bot(|_| {}).await;
    let (author, requester) = (human("kit"), human("lou"));
    let target = message(
        FakeDiscord::CHANNEL_ID,
        &author,
        "what should I wear to my first massage?",
    );
    // Not a mention and not a help channel: the bot leaves it until someone hands it over.
    test.assert_left_alone(target.clone()).await;

    let told = hand_over(&test, &target, &requester).await;
    assert!(told.starts_with("Answered: "), "{told}");
    let link = link_in(&told).to_string();
    assert!(
        link.starts_with(&format!(
            "https://discord.com/channels/{}/{}/",
            FakeDiscord::GUILD_ID,
            FakeDiscord::CHANNEL_ID
        )),
        "{link}"
    );
    let replies = public_replies(&test, &target);
    assert_eq!(replies.len(), 1);
    let reply = &replies[0].body;
    assert!(reply["embeds"][0].is_object(), "{reply}");
    assert_ne!(reply["flags"], 64, "in public: {reply}");
    no_pings(reply);
    assert_eq!(reply["allowed_mentions"]["replied_user"], false, "{reply}");

    let again = hand_over(&test, &target, &human("max")).await;
    assert!(again.contains("already answered"), "{again}");
    assert_eq!(link_in(&again), link);
    assert_eq!(public_replies(&test, &target).len(), 1, "answered once");
    let kinds: Vec<(String, Channel)> = recorded(&test)
        .into_iter()
        .map(|(q, c, _)| (q, c))
        .filter(|(_, c)| *c == Channel::Requested)
        .collect();
    assert_eq!(kinds, [(String::new(), Channel::Requested)]);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_bot_answered_already_is_linked_not_answered_again() {
    let test = spawn_bot(|_| {}).await;
    let question = mention_bot(HELP_CHANNEL, &human("ned"), "can massage help me sleep?");
    test.reply_to(question.clone()).await;
    let told = hand_over(&test, &question, &human("oli")).await;
    assert!(told.contains("already answered"), "{told}");
    assert!(
        link_in(&told).starts_with(&format!(
            "https://discord.com/channels/{}/{HELP_CHANNEL}/",
            FakeDiscord::GUILD_ID
        )),
        "{told}"
    );
    assert_eq!(public_replies(&test, &question).len(), 1);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_messages_and_messages_without_text_are_not_handed_over() {
    let test = spawn_bot(|_| {}).await;
    let requester = human("pat");
    let targets = [
        (
            message(
                FakeDiscord::CHANNEL_ID,
                &other_bot("helper"),
                "can massage help me sleep?",
            ),
            "not messages from bots",
        ),
        (
            message(
                FakeDiscord::CHANNEL_ID,
                &fake_discord::bot_user(),
                "can massage help me sleep?",
            ),
            "not messages from bots",
        ),
        (
            message(FakeDiscord::CHANNEL_ID, &human("quin"), ""),
            "no text",
        ),
        (
            message(
                FakeDiscord::CHANNEL_ID,
                &human("quin"),
                &format!("<@{}> ?!", FakeDiscord::BOT_ID),
            ),
            "no text",
        ),
    ];
    for (target, why) in &targets {
        let told = hand_over(&test, target, &requester).await;
        assert!(told.contains(why), "{told}");
        assert!(public_replies(&test, target).is_empty(), "{told}");
    }
    assert!(recorded(&test).is_empty(), "{:?}", recorded(&test));
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handed_over_question_the_bot_cannot_answer_goes_to_staff_only_by_its_author() {
    let test = spawn_bot(|s| {
        s.staff.channel_id = Some(STAFF_CHANNEL);
        s.staff.role_id = Some(STAFF_ROLE);
    })
    .await;
    let (author, requester) = (human("rae"), human("sal"));
    let target = message(FakeDiscord::CHANNEL_ID, &author, OFF_TOPIC);
    let told = hand_over(&test, &target, &requester).await;
    assert!(told.starts_with("Answered: "), "{told}");
    let reply = public_replies(&test, &target)
        .pop()
        .expect("a public reply")
        .body;
    assert!(
        str_of(&reply["content"]).starts_with("Sorry, I couldn't find"),
        "{reply}"
    );
    no_pings(&reply);
    let ask_staff = button_id(&reply, "Ask staff");
    let mut posted = message(
        FakeDiscord::CHANNEL_ID,
        &fake_discord::bot_user(),
        str_of(&reply["content"]),
    );
    posted["components"] = reply["components"].clone();
    let refused = test
        .callback_of(button(&ask_staff, posted.clone(), &requester))
        .await;
    assert!(
        str_of(&refused["data"]["content"]).contains("Only the member who asked"),
        "{refused}"
    );
    assert!(staff_posts(&test.fake).is_empty());
    let sent = test
        .callback_of(button(&ask_staff, posted.clone(), &author))
        .await;
    assert!(str_of(&sent["data"]["content"]).contains("passed your question"));
    let posts = staff_posts(&test.fake);
    assert_eq!(posts.len(), 1);
    let post = str_of(&posts[0].body["content"]);
    let link = format!(
        "https://discord.com/channels/{}/{}/{}",
        FakeDiscord::GUILD_ID,
        FakeDiscord::CHANNEL_ID,
        str_of(&posted["id"])
    );
    assert!(
        post.contains(&format!(
            "Asked by <@{}> here: {link}",
            str_of(&author["id"])
        )),
        "{post}"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_the_bot_cannot_post_in_is_told_and_the_message_can_be_handed_over_later() {
    let test = spawn_bot(|_| {}).await;
    let target = message(
        FakeDiscord::CHANNEL_ID,
        &human("tom"),
        "can massage help me sleep?",
    );
    test.fake.fail_channel(FakeDiscord::CHANNEL_ID, 403, 1);
    let requester = human("uma");
    let told = hand_over(&test, &target, &requester).await;
    assert!(told.contains("couldn't post in this channel"), "{told}");
    let told = hand_over(&test, &target, &requester).await;
    assert!(told.starts_with("Answered: "), "{told}");
    let sent: Vec<_> = public_replies(&test, &target)
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(sent.len(), 1);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handing_over_spends_the_requesters_rate_limit_not_the_authors() {
    let test = spawn_bot(|s| {
        s.discord.cooldown_questions = std::num::NonZeroU32::new(1).expect("1");
    })
    .await;
    let (author, requester) = (human("val"), human("wes"));
    let first = message(
        FakeDiscord::CHANNEL_ID,
        &author,
        "what is a hot stone massage?",
    );
    assert!(
        hand_over(&test, &first, &requester)
            .await
            .starts_with("Answered")
    );
    let second = message(
        FakeDiscord::CHANNEL_ID,
        &author,
        "what is trigger point therapy?",
    );
    let told = hand_over(&test, &second, &requester).await;
    assert!(told.contains("Please wait"), "{told}");
    assert!(public_replies(&test, &second).is_empty());
    // The author has asked nothing themselves, so their own question is answered.
    let own = test.ask("what is trigger point therapy?", &author).await;
    assert!(own["data"]["embeds"][0].is_object(), "{own}");
    // And the message can still be handed over once the requester may ask again.
    let third = hand_over(&test, &second, &human("xia")).await;
    assert!(third.starts_with("Answered"), "{third}");
    test.stop().await;
}
