//! Logging, set up in one place: `tracing` to standard error, filtered by `RUST_LOG`.
//!
//! Answers go to standard output and logs to standard error, so `faqbot ask --json` can be
//! piped. The command line is quiet unless asked (`RUST_LOG=faqbot=debug`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `default` applies when `RUST_LOG` is unset.
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A second call (tests running several commands in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
