//! The container image, run as a clinic runs it, against the fake Discord: the bot inside
//! connects, answers a member's question, reports itself healthy, and stops cleanly.
//!
//! Ignored by default: it needs a container engine and the image built from the repo's
//! `Dockerfile` beforehand. The container shares the host's network, so the bot reaches the
//! fake Discord on 127.0.0.1 through `FAQBOT_API_PROXY`, as a deployment reaches a REST proxy.
//!
//! ```sh
//! docker build -t faqbot .
//! cargo test --test it -- --ignored --nocapture the_container_image
//! ```
//!
//! `FAQBOT_IMAGE` names another image (default `faqbot`), `FAQBOT_CONTAINER` another engine
//! command (default `docker`; words split at spaces, e.g. `podman --runtime runc`), and
//! `FAQBOT_CONTAINER_RUN_ARGS` adds options to `run` (words split at spaces).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_discord::{FakeDiscord, human, slash_command};

/// The image to run.
const IMAGE_ENV: &str = "FAQBOT_IMAGE";
/// The container engine's command.
const ENGINE_ENV: &str = "FAQBOT_CONTAINER";
/// Options added to `run`.
const RUN_ARGS_ENV: &str = "FAQBOT_CONTAINER_RUN_ARGS";
/// How long the container gets to start (it loads the model), to beat, or to stop: generous,
/// as a container on a loaded machine is slow, while each takes seconds here.
const WAIT: Duration = Duration::from_secs(120);
/// How often the log and the container are looked at while waiting.
const POLL: Duration = Duration::from_millis(200);

/// The words of an environment variable, or of `default` when it is unset or blank.
fn words(name: &str, default: &str) -> Vec<String> {
    let value = std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default.to_owned());
    value.split_whitespace().map(str::to_owned).collect()
}

/// The image to run.
fn image() -> String {
    std::env::var(IMAGE_ENV)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "faqbot".to_owned())
}

/// The container engine's command, ready for a subcommand.
fn engine() -> Command {
    let words = words(ENGINE_ENV, "docker");
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]);
    command
}

/// A running `faqbot run` container; removed when dropped.
struct Container {
    name: String,
    /// The engine's `run` in the foreground: its exit status is the container's.
    child: std::process::Child,
    log: tempfile::NamedTempFile,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = engine()
            .args(["rm", "--force", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

impl Container {
    /// Starts the image's default command (`faqbot run`) with `config` mounted read-only as
    /// `FAQBOT_CONFIG` and the hardening compose.yaml asks for.
    fn start(fake: &FakeDiscord, config: &Path) -> Container {
        let name = format!("faqbot-it-{}", std::process::id());
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut command = engine();
        command
            .args(["run", "--rm", "--name", &name, "--network", "host"])
            .args(["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL"])
            .args(["--security-opt", "no-new-privileges"])
            .args(words(RUN_ARGS_ENV, ""))
            .arg("--volume")
            .arg(format!("{}:/etc/faqbot/faqbot.toml:ro", config.display()))
            .args(["--env", "FAQBOT_CONFIG=/etc/faqbot/faqbot.toml"])
            .args(["--env", "DISCORD_TOKEN=fake-token-abc123"])
            .arg("--env")
            .arg(format!("FAQBOT_API_PROXY={}", fake.base_url()))
            // The engine may pass the host's HTTP proxy on; the fake is not behind it.
            .args(["--env", "NO_PROXY=127.0.0.1,localhost"])
            .args(["--env", "no_proxy=127.0.0.1,localhost"])
            .arg(image())
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("log file"))
            .stderr(log.reopen().expect("log file"));
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run the container engine {command:?}: {err}"));
        Container { name, child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits until `done` says yes, or panics with the log; fails at once if the container
    /// stopped.
    fn wait_for(&mut self, what: &str, mut done: impl FnMut(&mut Container) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(self) {
            if let Some(status) = self.child.try_wait().expect("container state") {
                panic!(
                    "the container stopped ({status}) before {what}:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {what}:\n{}",
                self.log()
            );
            std::thread::sleep(POLL);
        }
    }

    /// `faqbot health` inside the container, as the image's HEALTHCHECK runs it.
    fn healthy(&self) -> bool {
        engine()
            .args(["exec", &self.name, "faqbot", "health"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Stops the container as `docker stop` does (SIGTERM) and returns how it exited.
    fn stop(&mut self) -> ExitStatus {
        let stopped = engine()
            .args(["stop", "--time", "30", &self.name])
            .stdout(Stdio::null())
            .status()
            .expect("the engine stops the container");
        assert!(stopped.success(), "stop failed:\n{}", self.log());
        self.child.wait().expect("the container's exit status")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a container engine and the image built from the Dockerfile"]
async fn the_container_image_answers_through_the_fake_discord() {
    let fake = FakeDiscord::start().await;
    let config = tempfile::NamedTempFile::new().expect("config");
    // The container's clock runs in UTC; the digest goes by the clinic's zone.
    let zone = "Australia/Sydney";
    let (moment, _) = crate::support::digest_due_an_hour_ago(zone);
    std::fs::write(
        config.path(),
        format!(
            "[staff]\nchannel_id = {}\ndigest = {moment:?}\ntime_zone = {zone:?}\n\n[discord]\nguild_id = {}\n\n[answers]\ndisclaimer = \"Not advice: see your doctor.\"\n",
            crate::discord::STAFF_CHANNEL,
            FakeDiscord::GUILD_ID
        ),
    )
    .expect("config");
    // Readable by the container's own user, as a file written with the usual umask is.
    std::fs::set_permissions(config.path(), std::fs::Permissions::from_mode(0o644))
        .expect("config mode");
    let mut container = Container::start(&fake, config.path());
    container.wait_for("the bot to connect", |c| {
        c.log().contains("connected; commands registered")
    });
    fake.wait_ready().await;
    let registered = fake.wait_request(|r| r.is_registration()).await;
    assert!(
        registered
            .path
            .contains(&format!("/guilds/{}/", FakeDiscord::GUILD_ID)),
        "the config file was not read: {registered}"
    );

    let interaction = slash_command(
        "ask",
        &[("question", "What happens during a therapeutic massage?")],
        &human("member"),
    );
    let path = format!(
        "/api/v10/interactions/{}/{}/callback",
        interaction["id"].as_str().expect("id"),
        interaction["token"].as_str().expect("token")
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let callback = fake.wait_request(|r| r.is("POST", &path)).await.body;
    let description = callback["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        // Not the question's words, which the answer puts in bold.
        description.contains("relaxing atmosphere"),
        "not the bundled knowledge's answer: {callback}"
    );
    assert!(
        description.contains("Not advice: see your doctor."),
        "{callback}"
    );

    let digest = fake.wait_request(crate::discord::posts_to_staff).await;
    let title = digest.body["embeds"][0]["title"]
        .as_str()
        .unwrap_or_default();
    assert!(title.ends_with(&format!("({zone})")), "{digest}");

    container.wait_for("a healthy `faqbot health`", |c| c.healthy());

    let status = container.stop();
    assert!(
        status.success(),
        "exit status {status}:\n{}",
        container.log()
    );
    let logged = container.log();
    assert!(logged.contains("SIGTERM"), "{logged}");
    assert!(
        !logged.contains("fake-token-abc123"),
        "the token leaked into the log"
    );
}
