//! Measuring the engine: staff's golden questions, and standard retrieval benchmarks.
//!
//! Golden questions are a regression test for a knowledge base (does this question still get
//! that answer?). BEIR datasets measure ranking quality against published figures with the same
//! analysis and query pipeline the bot uses.

pub mod beir;
pub mod fit;
pub mod golden;
mod metrics;

use std::path::PathBuf;

use thiserror::Error;

/// An evaluation input file is missing or malformed.
#[derive(Debug, Error)]
pub enum EvalError {
    /// The file cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not what the format needs.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The engine failed.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}

fn read(path: &std::path::Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Non-empty lines of a JSON Lines file, parsed, each error naming its line.
fn json_lines<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<Vec<(usize, T)>, EvalError> {
    let text = read(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line)
                .map(|value| (index + 1, value))
                .map_err(|err| EvalError::Line {
                    path: path.to_path_buf(),
                    line: index + 1,
                    message: err.to_string(),
                })
        })
        .collect()
}

/// The value below which `share` of the sorted `values` fall (nearest rank).
pub fn percentile(values: &[f64], share: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let rank = (share * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}
