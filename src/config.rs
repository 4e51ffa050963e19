//! faqbot's settings, in one typed place: defaults, then `faqbot.toml`, then `FAQBOT_*`
//! environment variables, then command-line flags (applied by the caller).
//!
//! Unknown keys are errors: a misspelt key silently ignored would leave staff wondering why
//! their setting has no effect.

use std::num::{NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::hours::{Weekly, Zone};

/// The config file read when no other is named.
pub const DEFAULT_CONFIG_FILE: &str = "faqbot.toml";
/// The knowledge folder used when nothing else is set.
pub const DEFAULT_KNOWLEDGE_DIR: &str = "knowledge";
/// Names the config file instead of `./faqbot.toml`.
pub const CONFIG_ENV: &str = "FAQBOT_CONFIG";
/// Overrides the knowledge folder of the config file.
pub const KNOWLEDGE_ENV: &str = "FAQBOT_KNOWLEDGE_DIR";

/// The config file is missing or wrong.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A config file that was asked for cannot be read.
    #[error("cannot read the config file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An environment variable has a wrong value.
    #[error("{name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The config file is not valid TOML, has an unknown key or a wrong value.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong, from the TOML reader.
        message: String,
    },
}

/// Everything faqbot can be configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The folder of knowledge files.
    pub knowledge_dir: PathBuf,
    /// How the bot connects to Discord and where it listens.
    pub discord: DiscordSettings,
    /// Lines added to answers.
    pub answers: AnswerSettings,
    /// Where faqbot keeps its database (asked questions, votes) and knowledge backups.
    pub data_dir: PathBuf,
    /// Asked questions older than this many days are deleted.
    pub question_retention_days: NonZeroU32,
    /// Who counts as staff, and what staff tools do.
    pub staff: StaffSettings,
    /// Matching by meaning beside matching by words.
    pub semantic: SemanticSettings,
}

/// The sentence-embedding model that matches questions to passages by meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticSettings {
    /// Off: answers come from BM25 alone.
    pub enabled: bool,
    /// The model folder; `None` looks for [`DEFAULT_MODEL_DIR`] in the working folder, then
    /// beside the `faqbot` binary (and two folders up, where Cargo builds it).
    pub model_dir: Option<PathBuf>,
    /// How the model multiplies.
    pub precision: ModelPrecision,
}

/// How the sentence-embedding model multiplies (`semantic.precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelPrecision {
    /// 8-bit integer products where the processor has AVX-512 VNNI (float32 elsewhere):
    /// about five times faster, every vector within cosine 0.99 of float32's.
    #[default]
    Int8,
    /// float32 throughout, as the model was trained.
    Float32,
}

/// The model shipped in the repository, relative to its root.
pub const DEFAULT_MODEL_DIR: &str = "models/all-minilm-l6-v2";

impl SemanticSettings {
    /// The model folder to load: the configured one, else the first default place that has
    /// one (the working folder's when none has, so the error names a sensible path).
    pub fn model_dir(&self) -> PathBuf {
        if let Some(dir) = &self.model_dir {
            return dir.clone();
        }
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        let mut candidates = vec![PathBuf::from(DEFAULT_MODEL_DIR)];
        if let Some(exe_dir) = exe_dir {
            candidates.push(exe_dir.join(DEFAULT_MODEL_DIR));
            candidates.push(exe_dir.join("../..").join(DEFAULT_MODEL_DIR));
        }
        candidates
            .iter()
            .find(|dir| dir.join("model.safetensors").is_file())
            .cloned()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_MODEL_DIR))
    }
}

impl Default for SemanticSettings {
    fn default() -> Self {
        SemanticSettings {
            enabled: true,
            model_dir: None,
            precision: ModelPrecision::default(),
        }
    }
}

/// Staff tools: who may use them and their limits.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffSettings {
    /// A role whose members may use the `/kb` commands, besides those with Manage Server.
    pub role_id: Option<u64>,
    /// A channel where knowledge-file problems are posted when they appear.
    pub channel_id: Option<u64>,
    /// Files not reviewed for this many days are listed as due for review.
    pub review_after_days: NonZeroU32,
    /// The largest knowledge file `/kb upload` accepts, in KiB.
    pub max_upload_kib: NonZeroU32,
    /// How many questions one member may send to staff with "Ask staff" per day.
    pub escalations_per_day: NonZeroU32,
    /// When the weekly digest is posted in the staff channel; `None`: never.
    pub digest: Option<DigestSchedule>,
}

/// When the weekly staff digest is posted (`staff.digest`, in `staff.time_zone`).
#[derive(Debug, Clone, PartialEq)]
pub struct DigestSchedule {
    /// The weekday and time, on the clinic's clock.
    pub at: Weekly,
    /// The clinic's time zone.
    pub zone: Zone,
}

/// The Discord side of the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordSettings {
    /// The bot token: from `DISCORD_TOKEN`, else the config file.
    pub token: Option<Secret>,
    /// A server to register the slash commands in at once (during setup); without it they are
    /// registered globally, which Discord may take up to an hour to show.
    pub guild_id: Option<u64>,
    /// Channels where the bot answers questions without being mentioned.
    pub help_channels: Vec<u64>,
    /// Base URL of a Discord REST proxy; when set, every REST call and the gateway lookup go
    /// through it and serenity's own rate limiter is off (the proxy owns rate limits).
    pub api_proxy: Option<String>,
    /// How many questions one member may ask per `cooldown_seconds`.
    pub cooldown_questions: NonZeroU32,
    /// The window of the cooldown, in seconds.
    pub cooldown_seconds: NonZeroU32,
    /// Longer questions are cut to this many characters (not rejected).
    pub max_question_chars: NonZeroU32,
    /// Whether `/ask` answers privately (only the asker sees it) unless the member says
    /// otherwise with its `private` option.
    pub private_answers: bool,
}

/// Fixed lines the bot adds to what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerSettings {
    /// Shown under every answer: health content is general information.
    pub disclaimer: String,
    /// How to reach a person, shown when the bot does not know.
    pub staff_contact: String,
}

/// A secret that never prints itself, so it cannot leak into logs or error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Overrides `data_dir`.
pub const DATA_ENV: &str = "FAQBOT_DATA_DIR";
/// The data folder used when nothing else is set.
pub const DEFAULT_DATA_DIR: &str = "data";

/// `n` days as a duration: retention, review age and report windows are all set in days.
pub fn days(n: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(n) * 24 * 60 * 60)
}

/// The bot token's environment variable, as Discord's own documentation names it.
pub const TOKEN_ENV: &str = "DISCORD_TOKEN";
/// Overrides `discord.api_proxy`.
pub const API_PROXY_ENV: &str = "FAQBOT_API_PROXY";

/// The disclaimer shown under answers unless the config sets another.
pub const DEFAULT_DISCLAIMER: &str =
    "General information, not medical advice. If you have a health condition, ask your doctor.";
/// The staff contact line shown when the bot does not know, unless the config sets another.
pub const DEFAULT_STAFF_CONTACT: &str =
    "Our staff are happy to help: ask at the front desk or call the clinic.";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            knowledge_dir: PathBuf::from(DEFAULT_KNOWLEDGE_DIR),
            discord: DiscordSettings::default(),
            answers: AnswerSettings::default(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            question_retention_days: nonzero(90),
            staff: StaffSettings::default(),
            semantic: SemanticSettings::default(),
        }
    }
}

impl Default for StaffSettings {
    fn default() -> Self {
        StaffSettings {
            role_id: None,
            channel_id: None,
            // Health information drifts; a yearly look keeps it honest.
            review_after_days: nonzero(365),
            // A long FAQ is a few dozen KiB; a larger upload is almost surely the wrong file.
            max_upload_kib: nonzero(256),
            escalations_per_day: nonzero(3),
            digest: None,
        }
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Default for DiscordSettings {
    fn default() -> Self {
        DiscordSettings {
            token: None,
            guild_id: None,
            help_channels: Vec::new(),
            api_proxy: None,
            // A member with a real question asks a few in a row; more than five a minute is
            // a script or a game.
            cooldown_questions: nonzero(5),
            cooldown_seconds: nonzero(60),
            // Enough for a question with its story; the search cuts at 2,000 anyway.
            max_question_chars: nonzero(1_000),
            private_answers: false,
        }
    }
}

impl Default for AnswerSettings {
    fn default() -> Self {
        AnswerSettings {
            disclaimer: DEFAULT_DISCLAIMER.to_string(),
            staff_contact: DEFAULT_STAFF_CONTACT.to_string(),
        }
    }
}

/// The keys `faqbot.toml` may hold; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    knowledge_dir: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    question_retention_days: Option<NonZeroU32>,
    #[serde(default)]
    staff: FileStaff,
    #[serde(default)]
    discord: FileDiscord,
    #[serde(default)]
    answers: FileAnswers,
    #[serde(default)]
    semantic: FileSemantic,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSemantic {
    enabled: Option<bool>,
    model_dir: Option<PathBuf>,
    precision: Option<ModelPrecision>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDiscord {
    token: Option<String>,
    // Discord ids are never 0, and serenity panics on one: refuse it here, on its line.
    guild_id: Option<NonZeroU64>,
    help_channels: Option<Vec<NonZeroU64>>,
    #[serde(default, deserialize_with = "proxy_url")]
    api_proxy: Option<String>,
    cooldown_questions: Option<NonZeroU32>,
    cooldown_seconds: Option<NonZeroU32>,
    max_question_chars: Option<NonZeroU32>,
    private_answers: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStaff {
    role_id: Option<NonZeroU64>,
    channel_id: Option<NonZeroU64>,
    review_after_days: Option<NonZeroU32>,
    max_upload_kib: Option<NonZeroU32>,
    escalations_per_day: Option<NonZeroU32>,
    digest: Option<toml::Spanned<Weekly>>,
    time_zone: Option<toml::Spanned<Zone>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAnswers {
    disclaimer: Option<String>,
    staff_contact: Option<String>,
}

fn proxy_url<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(deserializer)?;
    check_proxy_url(&url).map_err(serde::de::Error::custom)?;
    Ok(Some(url.trim_end_matches('/').to_string()))
}

fn check_proxy_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("api_proxy must start with http:// or https://, not \"{url}\""))?;
    if rest.trim_matches('/').is_empty() {
        return Err(format!("api_proxy \"{url}\" has no host"));
    }
    Ok(())
}

impl Settings {
    /// Loads settings. `path` is a config file named on the command line or in
    /// `FAQBOT_CONFIG`; it must exist. Without one, `./faqbot.toml` is read if it exists.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        let default_path = Path::new(DEFAULT_CONFIG_FILE);
        let file = match path {
            Some(path) => Some(path),
            None if default_path.is_file() => Some(default_path),
            None => None,
        };
        if let Some(path) = file {
            settings.apply_file(path)?;
        }
        settings.apply_env()?;
        Ok(settings)
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        if let Some(dir) = var(KNOWLEDGE_ENV) {
            self.knowledge_dir = PathBuf::from(dir);
        }
        if let Some(dir) = var(DATA_ENV) {
            self.data_dir = PathBuf::from(dir);
        }
        if let Some(token) = var(TOKEN_ENV) {
            self.discord.token = Some(Secret::new(token.trim()));
        }
        if let Some(url) = var(API_PROXY_ENV) {
            check_proxy_url(&url).map_err(|message| ConfigError::Env {
                name: API_PROXY_ENV,
                message,
            })?;
            self.discord.api_proxy = Some(url.trim_end_matches('/').to_string());
        }
        Ok(())
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let line_of = |span: Option<std::ops::Range<usize>>| {
            span.map_or(1, |span| 1 + text[..span.start].matches('\n').count())
        };
        let invalid =
            |span: Option<std::ops::Range<usize>>, message: String| ConfigError::Invalid {
                path: path.to_path_buf(),
                line: line_of(span),
                message,
            };
        let file: FileSettings =
            toml::from_str(&text).map_err(|err| invalid(err.span(), err.message().to_string()))?;
        // A relative folder in a config file means relative to that file, not to wherever
        // the bot happens to be started from.
        let base = path.parent().unwrap_or(Path::new(""));
        if let Some(dir) = file.knowledge_dir {
            self.knowledge_dir = base.join(dir);
        }
        if let Some(dir) = file.data_dir {
            self.data_dir = base.join(dir);
        }
        if let Some(days) = file.question_retention_days {
            self.question_retention_days = days;
        }
        let staff = &mut self.staff;
        staff.role_id = file.staff.role_id.map(NonZeroU64::get).or(staff.role_id);
        staff.channel_id = file
            .staff
            .channel_id
            .map(NonZeroU64::get)
            .or(staff.channel_id);
        staff.review_after_days = file
            .staff
            .review_after_days
            .unwrap_or(staff.review_after_days);
        staff.max_upload_kib = file.staff.max_upload_kib.unwrap_or(staff.max_upload_kib);
        staff.escalations_per_day = file
            .staff
            .escalations_per_day
            .unwrap_or(staff.escalations_per_day);
        staff.digest = match (file.staff.digest, file.staff.time_zone) {
            (None, _) => None,
            (Some(at), None) => {
                return Err(invalid(
                    Some(at.span()),
                    "the digest needs the clinic's time zone: add time_zone under [staff], such as time_zone = \"Europe/London\"".to_string(),
                ));
            }
            (Some(at), Some(zone)) => {
                if staff.channel_id.is_none() {
                    return Err(invalid(
                        Some(at.span()),
                        "the digest is posted in the staff channel: add channel_id under [staff]"
                            .to_string(),
                    ));
                }
                Some(DigestSchedule {
                    at: at.into_inner(),
                    zone: zone.into_inner(),
                })
            }
        };
        let discord = &mut self.discord;
        let d = file.discord;
        discord.token = d.token.map(Secret::new).or(discord.token.take());
        discord.guild_id = d.guild_id.map(NonZeroU64::get).or(discord.guild_id);
        discord.help_channels = d.help_channels.map_or_else(
            || std::mem::take(&mut discord.help_channels),
            |channels| channels.into_iter().map(NonZeroU64::get).collect(),
        );
        discord.api_proxy = d.api_proxy.or(discord.api_proxy.take());
        discord.cooldown_questions = d.cooldown_questions.unwrap_or(discord.cooldown_questions);
        discord.cooldown_seconds = d.cooldown_seconds.unwrap_or(discord.cooldown_seconds);
        discord.max_question_chars = d.max_question_chars.unwrap_or(discord.max_question_chars);
        discord.private_answers = d.private_answers.unwrap_or(discord.private_answers);
        if let Some(disclaimer) = file.answers.disclaimer {
            self.answers.disclaimer = disclaimer;
        }
        if let Some(contact) = file.answers.staff_contact {
            self.answers.staff_contact = contact;
        }
        if let Some(enabled) = file.semantic.enabled {
            self.semantic.enabled = enabled;
        }
        if let Some(precision) = file.semantic.precision {
            self.semantic.precision = precision;
        }
        if let Some(dir) = file.semantic.model_dir {
            self.semantic.model_dir = Some(base.join(dir));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sets_the_folder_relative_to_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faqbot.toml");
        std::fs::write(&path, "knowledge_dir = \"kb\"\n").unwrap();
        let mut settings = Settings::default();
        settings.apply_file(&path).unwrap();
        assert_eq!(settings.knowledge_dir, dir.path().join("kb"));
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faqbot.toml");
        std::fs::write(&path, "# settings\nknowledge = \"kb\"\n").unwrap();
        let err = Settings::default().apply_file(&path).unwrap_err();
        let ConfigError::Invalid { line, message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*line, 2);
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn every_key_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faqbot.toml");
        std::fs::write(
            &path,
            r#"
knowledge_dir = "kb"
[discord]
token = "from-file"
guild_id = 42
help_channels = [1, 2]
api_proxy = "http://127.0.0.1:8080/"
cooldown_questions = 3
cooldown_seconds = 30
max_question_chars = 500
private_answers = true
[answers]
disclaimer = "Not advice."
staff_contact = "Call us."
[staff]
role_id = 7
channel_id = 8
review_after_days = 180
max_upload_kib = 64
digest = "Monday 09:00"
time_zone = "America/New_York"
"#,
        )
        .unwrap();
        let mut settings = Settings::default();
        settings.apply_file(&path).unwrap();
        let discord = &settings.discord;
        assert_eq!(discord.token, Some(Secret::new("from-file")));
        assert_eq!(discord.guild_id, Some(42));
        assert_eq!(discord.help_channels, vec![1, 2]);
        assert_eq!(discord.api_proxy.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(discord.cooldown_questions.get(), 3);
        assert_eq!(discord.cooldown_seconds.get(), 30);
        assert_eq!(discord.max_question_chars.get(), 500);
        assert!(discord.private_answers);
        assert_eq!(settings.answers.disclaimer, "Not advice.");
        assert_eq!(settings.answers.staff_contact, "Call us.");
        assert_eq!(settings.staff.role_id, Some(7));
        assert_eq!(settings.staff.channel_id, Some(8));
        assert_eq!(settings.staff.review_after_days.get(), 180);
        assert_eq!(settings.staff.max_upload_kib.get(), 64);
        let digest = settings.staff.digest.expect("a digest");
        assert_eq!(digest.at.to_string(), "monday 09:00");
        assert_eq!(digest.zone.name(), "America/New_York");
    }

    #[test]
    fn bad_values_are_errors_on_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faqbot.toml");
        for (text, line, words) in [
            ("[discord]\ncooldown_questions = 0\n", 2, "nonzero"),
            (
                "[discord]\n\napi_proxy = \"localhost:8080\"\n",
                3,
                "http://",
            ),
            (
                "[discord]\nhelp_channels = [\"general\"]\n",
                2,
                "invalid type",
            ),
            ("[answers]\ndisclaimr = \"x\"\n", 2, "unknown field"),
            ("[staff]\n\nchannel_id = 0\n", 3, "nonzero"),
            ("[discord]\nhelp_channels = [5, 0]\n", 2, "nonzero"),
            (
                "[staff]\nchannel_id = 1\ntime_zone = \"Europe/London\"\ndigest = \"mondays at nine\"\n",
                4,
                "monday 09:00",
            ),
            (
                "[staff]\nchannel_id = 1\ndigest = \"monday 09:00\"\ntime_zone = \"London\"\n",
                4,
                "Europe/London",
            ),
            (
                "[staff]\nchannel_id = 1\n\ndigest = \"monday 09:00\"\n",
                4,
                "time_zone",
            ),
            (
                "[staff]\ndigest = \"monday 09:00\"\ntime_zone = \"Europe/London\"\n",
                2,
                "channel_id",
            ),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Settings::default().apply_file(&path).unwrap_err();
            let ConfigError::Invalid {
                line: at, message, ..
            } = &err
            else {
                panic!("{err:?}");
            };
            assert_eq!(*at, line, "{text}: {message}");
            assert!(message.contains(words), "{text}: {message}");
        }
    }

    #[test]
    fn the_token_never_prints() {
        let mut settings = Settings::default();
        settings.discord.token = Some(Secret::new("super-secret-token"));
        assert!(!format!("{settings:?}").contains("super-secret"));
    }

    #[test]
    fn a_named_file_must_exist() {
        let err = Settings::load(Some(Path::new("/nonexistent/faqbot.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }
}
