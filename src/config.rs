//! faqbot's settings, in one typed place: defaults, then `faqbot.toml`, then `FAQBOT_*`
//! environment variables, then command-line flags (applied by the caller).
//!
//! Unknown keys are errors: a misspelt key silently ignored would leave staff wondering why
//! their setting has no effect.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            knowledge_dir: PathBuf::from(DEFAULT_KNOWLEDGE_DIR),
        }
    }
}

/// The keys `faqbot.toml` may hold; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    knowledge_dir: Option<PathBuf>,
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
        if let Some(dir) = std::env::var_os(KNOWLEDGE_ENV).filter(|dir| !dir.is_empty()) {
            settings.knowledge_dir = PathBuf::from(dir);
        }
        Ok(settings)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FileSettings = toml::from_str(&text).map_err(|err| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: err
                .span()
                .map_or(1, |span| 1 + text[..span.start].matches('\n').count()),
            message: err.message().to_string(),
        })?;
        if let Some(dir) = file.knowledge_dir {
            // A relative folder in a config file means relative to that file, not to wherever
            // the bot happens to be started from.
            let base = path.parent().unwrap_or(Path::new(""));
            self.knowledge_dir = base.join(dir);
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
    fn a_named_file_must_exist() {
        let err = Settings::load(Some(Path::new("/nonexistent/faqbot.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }
}
