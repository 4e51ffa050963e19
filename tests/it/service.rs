//! The real `faqbot run` binary as a service: configured only by its files and environment,
//! connected to the fake Discord, watched through its log, stopped by signals.
//!
//! What only a whole process shows lives here: the log at its default level, start-up
//! failures that must end the process, the knowledge watcher reacting to other programs, and
//! a clean stop on SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fake_discord::{FakeDiscord, human, mention_bot, slash_command};
use crate::support::{bundled_knowledge, folder};

/// How long a process gets to start, stop or log what is awaited: generous, as a loaded CI
/// machine is slow, while each takes well under a second here.
const WAIT: Duration = Duration::from_secs(30);
/// How often the log and the process are looked at while waiting.
const POLL: Duration = Duration::from_millis(20);
/// The log line of every reload of the knowledge folder.
const RELOADED: &str = "knowledge reloaded";

/// A running `faqbot run`, killed when dropped if it is still running.
struct Service {
    child: std::process::Child,
    log: PathBuf,
    /// The folder the service runs in, with its config; removed last.
    dir: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `faqbot run` in a new folder whose `faqbot.toml` is `config` (which has a
/// `[discord]` table) pointed at `fake`. `RUST_LOG` is unset unless `log_level`
/// gives one, so the log is what a real deployment writes by default.
fn start(fake: &FakeDiscord, config: &str, log_level: Option<&str>) -> Service {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(
        config.contains("[discord]\n"),
        "a config with a [discord] table"
    );
    let text = config.replacen(
        "[discord]\n",
        &format!("[discord]\napi_proxy = {:?}\n", fake.base_url()),
        1,
    );
    std::fs::write(dir.path().join("faqbot.toml"), text).expect("config");
    let log = dir.path().join("faqbot.log");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("faqbot"));
    command
        .arg("run")
        .current_dir(dir.path())
        .env("DISCORD_TOKEN", "fake-token-abc123")
        .env_remove("RUST_LOG")
        .env_remove("FAQBOT_CONFIG")
        .env_remove("FAQBOT_KNOWLEDGE_DIR")
        .env_remove("FAQBOT_DATA_DIR")
        .env_remove("FAQBOT_API_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
    if let Some(level) = log_level {
        command.env("RUST_LOG", level);
    }
    let child = command.spawn().expect("faqbot run starts");
    Service { child, log, dir }
}

/// `key = "path"` for a TOML file.
fn path_key(key: &str, path: &Path) -> String {
    format!("{key} = {:?}\n", path.display().to_string())
}

impl Service {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many lines of the log contain `what`.
    fn count(&self, what: &str) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains(what))
            .count()
    }

    /// Waits until the log holds `n` lines containing `what`; panics with the log otherwise.
    fn wait_count(&self, what: &str, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.count(what) < n {
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {n} log lines with {what:?}:\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the process to exit by itself; panics with the log if it does not.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("process state") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "faqbot run did not exit within {WAIT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Sends SIGTERM, as systemd and container runtimes do to stop a service.
    fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }
}

/// Waits until the bot connected and registered its commands, and the log says so.
async fn connected(fake: &FakeDiscord, service: &Service) {
    fake.wait_ready().await;
    fake.wait_request(|r| r.is_registration()).await;
    service.wait_count("connected; commands registered", 1);
}

/// Dispatches `/ask question` and returns the callback's body.
async fn ask(fake: &FakeDiscord, question: &str) -> Value {
    let interaction = slash_command("ask", &[("question", question)], &human("member"));
    let path = format!(
        "/api/v10/interactions/{}/{}/callback",
        interaction["id"].as_str().expect("id"),
        interaction["token"].as_str().expect("token")
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    fake.wait_request(|r| r.is("POST", &path)).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faqbot_binary_runs_from_its_config_file() {
    let fake = FakeDiscord::start().await;
    let config = format!(
        "{}\n[discord]\nguild_id = {}\n\n[answers]\ndisclaimer = \"Not advice: see your doctor.\"\n",
        path_key("knowledge_dir", &bundled_knowledge()),
        FakeDiscord::GUILD_ID
    );
    let service = start(&fake, &config, Some("debug"));
    connected(&fake, &service).await;
    let registered = fake.wait_request(|r| r.is_registration()).await;
    assert!(
        registered
            .path
            .contains(&format!("/guilds/{}/", FakeDiscord::GUILD_ID)),
        "{registered}"
    );
    let callback = ask(&fake, "can massage help me sleep?").await;
    let description = callback["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.contains("Not advice: see your doctor."),
        "{callback}"
    );
    let logged = service.log();
    assert!(!logged.is_empty(), "debug logging is on");
    assert!(
        !logged.contains("fake-token-abc123"),
        "the token leaked into the log"
    );
}

/// Before: poise took the mention for a command prefix and logged a warning quoting every
/// mentioned question ("Recognized prefix ... but didn't recognize command name").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_questions_stay_out_of_the_default_log() {
    let fake = FakeDiscord::start().await;
    let data = tempfile::tempdir().expect("data");
    let config = format!(
        "{}{}\n[discord]\nguild_id = {}\n",
        path_key("knowledge_dir", &bundled_knowledge()),
        path_key("data_dir", data.path()),
        FakeDiscord::GUILD_ID
    );
    let service = start(&fake, &config, None);
    connected(&fake, &service).await;
    let questions = [
        "can massage help my shoulder after the marathon in Zebraville?",
        "what is the capital of Zebraville?",
    ];
    for question in questions {
        let message = mention_bot(FakeDiscord::CHANNEL_ID, &human("ana"), question);
        let id = message["id"].clone();
        fake.dispatch("MESSAGE_CREATE", message).await;
        fake.wait_request(|r| {
            r.method == "POST" && r.body["message_reference"]["message_id"] == id
        })
        .await;
        ask(&fake, question).await;
    }
    let logged = service.log();
    assert!(
        !logged.contains("Zebraville"),
        "a member's question is in the log:\n{logged}"
    );
    assert!(!logged.contains("Recognized prefix"), "{logged}");
}

/// Before: a wrong `guild_id` failed command registration, printed one line outside the log,
/// and left a process connected that answered nothing, until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_guild_id_stops_the_bot_with_what_to_fix() {
    let fake = FakeDiscord::start().await;
    let wrong_guild = 1_234_567_890_123_456_789_u64;
    let config = format!(
        "{}\n[discord]\nguild_id = {wrong_guild}\n",
        path_key("knowledge_dir", &bundled_knowledge()),
    );
    let mut service = start(&fake, &config, None);
    let status = service.wait_exit();
    assert!(!status.success(), "exit status {status}");
    let logged = service.log();
    for expected in [
        "ERROR",
        &format!("could not register the slash commands in server {wrong_guild}"),
        "Missing Access",
        "discord.guild_id",
        "applications.commands",
    ] {
        assert!(logged.contains(expected), "{expected:?} not in:\n{logged}");
    }
    // Refused means refused: no retries of a request that cannot succeed.
    let attempts = fake
        .requests()
        .iter()
        .filter(|r| r.is_registration())
        .count();
    assert_eq!(attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_content_intent_stops_the_bot_with_what_to_fix() {
    let fake = FakeDiscord::start().await;
    fake.refuse_identify(4014);
    let config = format!(
        "{}\n[discord]\nguild_id = {}\nhelp_channels = [42]\n",
        path_key("knowledge_dir", &bundled_knowledge()),
        FakeDiscord::GUILD_ID
    );
    let mut service = start(&fake, &config, None);
    let status = service.wait_exit();
    assert!(!status.success(), "exit status {status}");
    let logged = service.log();
    assert!(
        logged.contains("turn on Message Content Intent"),
        "{logged}"
    );
}

/// Before: the watcher reacted to files being opened and closed, so any read of the folder
/// (`cat`, `faqbot check`, a backup, a reload's own reads) started reloads that never stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_knowledge_folder_never_reloads_it() {
    /// A reload loop runs about twice a second (the watcher's debounce plus a reload), so
    /// quiet for this long means no loop; a slower machine only makes loops slower to show,
    /// never makes a reload appear.
    const QUIET: Duration = Duration::from_secs(2);
    let fake = FakeDiscord::start().await;
    let knowledge = folder(&[
        (
            "hours.md",
            b"## When are you open?\n\nWe open at nine on weekdays.\n",
        ),
        (
            "parking.md",
            b"## Is there parking?\n\nYes, behind the clinic.\n",
        ),
    ]);
    let data = tempfile::tempdir().expect("data");
    let config = format!(
        "{}{}\n[discord]\nguild_id = {}\n",
        path_key("knowledge_dir", knowledge.path()),
        path_key("data_dir", data.path()),
        FakeDiscord::GUILD_ID
    );
    let service = start(&fake, &config, None);
    connected(&fake, &service).await;
    let loaded = service.count(RELOADED);
    assert_eq!(loaded, 1, "the start-up load:\n{}", service.log());

    // Reading, as `cat`, a backup job or `faqbot check` do.
    for _ in 0..5 {
        for name in ["hours.md", "parking.md"] {
            std::fs::read(knowledge.path().join(name)).expect("read");
        }
    }
    crate::support::faqbot(service.dir.path())
        .arg("check")
        .arg(knowledge.path())
        .assert()
        .success();
    std::thread::sleep(QUIET);
    assert_eq!(
        service.count(RELOADED),
        loaded,
        "reads reloaded:\n{}",
        service.log()
    );

    // A real change reloads once, and that reload's own reads start no other.
    faqbot::files::write_atomically(
        &knowledge.path().join("hours.md"),
        b"## When are you open?\n\nWe open at ten on weekdays.\n",
    )
    .expect("write");
    service.wait_count(RELOADED, loaded + 1);
    let callback = ask(&fake, "when are you open?").await;
    assert!(
        callback["data"]["embeds"][0]["description"]
            .as_str()
            .is_some_and(|text| text.contains("ten on weekdays")),
        "{callback}"
    );
    std::thread::sleep(QUIET);
    assert_eq!(
        service.count(RELOADED),
        loaded + 1,
        "a reload started another:\n{}",
        service.log()
    );
}

/// The fake Discord and `faqbot run` on the bundled knowledge with a data folder of its own
/// (members may ask often), connected.
async fn connected_on_bundled() -> (FakeDiscord, tempfile::TempDir, Service) {
    let fake = FakeDiscord::start().await;
    let data = tempfile::tempdir().expect("data");
    let config = format!(
        "{}{}\n[discord]\nguild_id = {}\ncooldown_questions = 100\n",
        path_key("knowledge_dir", &bundled_knowledge()),
        path_key("data_dir", data.path()),
        FakeDiscord::GUILD_ID
    );
    let service = start(&fake, &config, None);
    connected(&fake, &service).await;
    (fake, data, service)
}

/// Before: SIGTERM (how systemd and container runtimes stop a service) killed the process
/// at once, losing the questions still queued for the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_keeps_every_question() {
    let (fake, data, mut service) = connected_on_bundled().await;
    let questions: Vec<String> = (1..=20)
        .map(|n| format!("what is the capital of country number {n}?"))
        .collect();
    for question in &questions {
        let callback = ask(&fake, question).await;
        assert!(
            callback["data"]["content"]
                .as_str()
                .is_some_and(|text| text.starts_with("Sorry")),
            "{callback}"
        );
    }
    service.terminate();
    let status = service.wait_exit();
    assert!(status.success(), "exit status {status}:\n{}", service.log());
    assert!(service.log().contains("SIGTERM"), "{}", service.log());

    use faqbot::records::Records;
    let records =
        faqbot::records::SqliteRecords::open(data.path(), Duration::from_secs(90 * 86_400))
            .expect("the database");
    let stored: Vec<String> = records
        .unanswered(std::time::UNIX_EPOCH)
        .expect("records")
        .into_iter()
        .map(|asked| asked.question)
        .collect();
    assert_eq!(stored, questions);
}

/// Before: once the gateway had gone away and stayed away, SIGTERM logged "stopping" and the
/// bot ran on, re-queueing its shard every 5 s, until systemd killed it and the queued records
/// were lost. Now it stops within seconds whatever the gateway does, after writing them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_within_seconds_while_discord_is_unreachable() {
    let (fake, data, mut service) = connected_on_bundled().await;
    let question = "what is the capital of france?";
    ask(&fake, question).await;
    // An answered question is counted, without its words (before, every question was kept).
    ask(&fake, "what is a hot stone massage?").await;
    fake.go_down().await;
    // The client notices and starts reconnecting (to a gateway that refuses it).
    tokio::time::sleep(Duration::from_secs(2)).await;
    service.terminate();
    // Before, it never exited: `wait_exit` gives up after its generous wait.
    let status = service.wait_exit();
    assert!(status.success(), "exit status {status}:\n{}", service.log());
    assert!(service.log().contains("SIGTERM"), "{}", service.log());
    let stored = faqbot::records::RecordsReader::open(data.path())
        .expect("the database")
        .unanswered(std::time::UNIX_EPOCH)
        .expect("records");
    assert_eq!(stored.len(), 1, "the question was written before stopping");
    let conn = rusqlite::Connection::open(data.path().join("faqbot.sqlite3")).expect("db");
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT question, answered FROM questions ORDER BY id")
        .expect("query")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(
        rows,
        vec![(question.to_string(), 0), (String::new(), 1)],
        "the answered question is counted without its text"
    );
}

/// The modification time of the service's heartbeat file, once it has one.
fn heartbeat_time(data: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(faqbot::health::heartbeat_path(data))
        .and_then(|meta| meta.modified())
        .ok()
}

/// `faqbot health` reports what a container runtime's health check needs: alive while the
/// gateway connection is up, down once it has been gone for longer than the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_gateway_connection() {
    let (fake, data, service) = connected_on_bundled().await;
    let deadline = Instant::now() + WAIT;
    while heartbeat_time(data.path()).is_none() {
        assert!(
            Instant::now() < deadline,
            "no heartbeat within {WAIT:?}:\n{}",
            service.log()
        );
        std::thread::sleep(POLL);
    }
    crate::support::faqbot(service.dir.path())
        .arg("health")
        .assert()
        .success()
        .stdout(predicates::str::starts_with("ok: "));

    fake.go_down().await;
    // The client notices and starts reconnecting (to a gateway that refuses it); a beat may
    // still come while it has not.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let last = heartbeat_time(data.path());
    // Absence can only be shown by waiting: longer than a beat, with a margin.
    tokio::time::sleep(faqbot::health::BEAT_EVERY + Duration::from_secs(2)).await;
    assert_eq!(
        heartbeat_time(data.path()),
        last,
        "the bot beat while Discord was down:\n{}",
        service.log()
    );
    crate::support::faqbot(service.dir.path())
        .args([
            "health",
            "--max-age",
            &faqbot::health::BEAT_EVERY.as_secs().to_string(),
        ])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("not connected to Discord"));
}

/// The weekly digest is posted once per week even when the bot restarts within it: the
/// second process reads in the records that the week was posted, and posts nothing. The
/// clinic is in India (UTC+05:30), and the digest was due an hour ago by its clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_digest_is_posted_once_across_a_restart() {
    use crate::discord::STAFF_CHANNEL;
    let zone = "Asia/Kolkata";
    let (moment, due) = crate::support::digest_due_an_hour_ago(zone);
    let data = tempfile::tempdir().expect("data");
    let config = format!(
        "{}{}\n[staff]\nchannel_id = {STAFF_CHANNEL}\ndigest = {moment:?}\ntime_zone = {zone:?}\n\n[discord]\nguild_id = {}\n",
        path_key("knowledge_dir", &bundled_knowledge()),
        path_key("data_dir", data.path()),
        FakeDiscord::GUILD_ID
    );
    let posts_in = crate::discord::staff_posts;

    let fake = FakeDiscord::start().await;
    let mut first = start(&fake, &config, None);
    connected(&fake, &first).await;
    let post = fake.wait_request(crate::discord::posts_to_staff).await;
    let title = post.body["embeds"][0]["title"].as_str().unwrap_or_default();
    assert!(title.starts_with("Weekly digest: "), "{post}");
    assert!(
        title.ends_with(&format!(
            "{} ({zone})",
            faqbot::hours::clock_time(due.time())
        )),
        "{title}"
    );
    first.wait_count("weekly digest posted in the staff channel", 1);
    first.terminate();
    assert!(first.wait_exit().success(), "{}", first.log());
    assert_eq!(posts_in(&fake).len(), 1);

    let fake = FakeDiscord::start().await;
    let second = start(&fake, &config, None);
    connected(&fake, &second).await;
    second.wait_count("weekly digest already posted for this week", 1);
    // The bot is up and answering, and the week's digest is not posted again.
    ask(&fake, "can massage help me sleep?").await;
    assert!(
        posts_in(&fake).is_empty(),
        "posted twice: {:?}",
        posts_in(&fake)
    );
    assert_eq!(second.count("weekly digest posted"), 0, "{}", second.log());
}
