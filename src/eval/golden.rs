//! Golden questions: what staff expect the bot to answer, and what it must decline.
//!
//! The format is JSON Lines: `{"q": "...", "expect": ["a", "b"]}` passes when the bot answers
//! and its top passage contains one of the strings (ignoring case); `{"q": "...",
//! "expect_none": true}` passes when the bot says it does not know.

use std::path::Path;

use serde::Deserialize;

use super::{EvalError, json_lines};
use crate::answer::Answer;
use crate::search::{Engine, SearchError};

/// One golden question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenQuestion {
    /// The question as a member would ask it.
    pub q: String,
    /// Strings one of which the top passage must contain.
    #[serde(default)]
    pub expect: Vec<String>,
    /// The question is off-topic and must not be answered.
    #[serde(default)]
    pub expect_none: bool,
}

/// A golden question with the engine's answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The question.
    pub golden: GoldenQuestion,
    /// What the engine said.
    pub answer: Answer,
    /// Whether that is what was expected.
    pub passed: bool,
    /// How long the answer took, in milliseconds.
    pub milliseconds: f64,
}

/// Reads a golden-question file; every line must have `expect` or `expect_none`, not both.
pub fn read(path: &Path) -> Result<Vec<GoldenQuestion>, EvalError> {
    json_lines::<GoldenQuestion>(path)?
        .into_iter()
        .map(|(line, golden)| {
            let has_expect = !golden.expect.is_empty();
            if has_expect == golden.expect_none {
                return Err(EvalError::Line {
                    path: path.to_path_buf(),
                    line,
                    message: "give either \"expect\": [\"text\", ...] or \"expect_none\": true"
                        .to_string(),
                });
            }
            Ok(golden)
        })
        .collect()
}

/// Asks every question and judges the answer.
pub fn run(engine: &Engine, questions: &[GoldenQuestion]) -> Result<Vec<Outcome>, SearchError> {
    questions
        .iter()
        .map(|golden| {
            let started = std::time::Instant::now();
            let answer = engine.answer(&golden.q, 1)?;
            let milliseconds = started.elapsed().as_secs_f64() * 1e3;
            let passed = judge(golden, &answer);
            Ok(Outcome {
                golden: golden.clone(),
                answer,
                passed,
                milliseconds,
            })
        })
        .collect()
}

fn judge(golden: &GoldenQuestion, answer: &Answer) -> bool {
    if golden.expect_none {
        return !answer.answered;
    }
    answer.best().is_some_and(|best| {
        // What the member is shown: the heading (the embed's title) and the passage.
        let text =
            format!("{}\n{}", best.heading.as_deref().unwrap_or(""), best.text).to_lowercase();
        golden
            .expect
            .iter()
            .any(|expected| text.contains(&expected.to_lowercase()))
    })
}
