//! Golden questions: what staff expect the bot to answer, and what it must decline.
//!
//! The format is JSON Lines. `{"q": "...", "expect": ["a", "b"]}` passes when the bot answers
//! and its top passage contains one of the strings (ignoring case); `{"q": "...", "sections":
//! ["prices.md#How much does a massage cost?"]}` passes when the top passage is of one of
//! those sections (`FILE#HEADING`, or `FILE#TITLE` for text before a file's first heading);
//! `{"q": "...", "expect_none": true}` passes when the bot says it does not know.
//!
//! A line may also say what `kind` of question it is (`faq`, `chatty`, `misspelled`, ...),
//! where it comes from (`source`, `site`) and which cross-validation `fold` it is in: `faqbot
//! eval` then reports right answers per kind, and `--cross-validate` fits the decision on
//! folds (see `fit.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{EvalError, json_lines};
use crate::answer::{Answer, Hit};
use crate::knowledge::Passage;
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
    /// Sections (`FILE#HEADING`) one of which the top passage must be in.
    #[serde(default)]
    pub sections: Vec<String>,
    /// The question is off-topic, or the knowledge does not cover it: it must not be answered.
    #[serde(default)]
    pub expect_none: bool,
    /// What kind of question it is, for the per-kind report.
    #[serde(default)]
    pub kind: Option<String>,
    /// Where it was asked (a web address).
    #[serde(default)]
    pub source: Option<String>,
    /// The site it was asked on: folds never share one.
    #[serde(default)]
    pub site: Option<String>,
    /// Its cross-validation fold.
    #[serde(default)]
    pub fold: Option<u32>,
    /// The real question a variant was made from (misspelled, chat around it).
    #[serde(default)]
    pub variant_of: Option<String>,
}

impl GoldenQuestion {
    /// The kind named in the file, or "golden" when none is.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("golden")
    }

    /// Whether `hit`, as the best passage, is a right answer.
    pub fn is_right(&self, hit: &Hit) -> bool {
        if !self.sections.is_empty() {
            let id = section_id(&hit.source, hit.heading.as_deref(), &hit.title);
            return self.sections.contains(&id);
        }
        // What the member is shown: the heading (the embed's title) and the passage.
        let text = format!("{}\n{}", hit.heading.as_deref().unwrap_or(""), hit.text).to_lowercase();
        self.expect
            .iter()
            .any(|expected| text.contains(&expected.to_lowercase()))
    }

    /// Whether the engine's passage at `position` is in one of the labelled sections.
    pub fn is_right_passage(&self, passage: &Passage) -> bool {
        let id = section_id(&passage.source, passage.heading.as_deref(), &passage.title);
        self.sections.contains(&id)
    }
}

/// A section's name in golden files: `FILE#HEADING`, or `FILE#TITLE` before any heading.
pub fn section_id(source: &str, heading: Option<&str>, title: &str) -> String {
    format!("{source}#{}", heading.unwrap_or(title))
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

/// Reads a golden-question file; every line must have `expect` or `sections`, or
/// `expect_none`.
pub fn read(path: &Path) -> Result<Vec<GoldenQuestion>, EvalError> {
    json_lines::<GoldenQuestion>(path)?
        .into_iter()
        .map(|(line, golden)| {
            let has_expect = !golden.expect.is_empty() || !golden.sections.is_empty();
            if has_expect == golden.expect_none {
                return Err(EvalError::Line {
                    path: path.to_path_buf(),
                    line,
                    message: "give either \"expect\": [\"text\", ...], \"sections\": [\"FILE#HEADING\", ...] or \"expect_none\": true"
                        .to_string(),
                });
            }
            Ok(golden)
        })
        .collect()
}

/// The labelled sections of `questions` that no passage of `passages` is in: labels gone
/// stale after the knowledge changed, as (question, section).
pub fn unknown_sections<'q>(
    questions: &'q [GoldenQuestion],
    passages: &[Passage],
) -> Vec<(&'q str, &'q str)> {
    let known: std::collections::HashSet<String> = passages
        .iter()
        .map(|p| section_id(&p.source, p.heading.as_deref(), &p.title))
        .collect();
    questions
        .iter()
        .flat_map(|golden| {
            golden
                .sections
                .iter()
                .filter(|section| !known.contains(*section))
                .map(|section| (golden.q.as_str(), section.as_str()))
        })
        .collect()
}

/// Asks every question and judges the answer.
pub fn run(engine: &Engine, questions: &[GoldenQuestion]) -> Result<Vec<Outcome>, SearchError> {
    questions
        .iter()
        .map(|golden| {
            // Timed as a new question: a set may word one question twice.
            engine.forget_question_vectors();
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
    answer.best().is_some_and(|best| golden.is_right(best))
}

/// Right answers among some questions: answered from a right section, or declined when
/// nothing answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Questions counted.
    pub questions: usize,
    /// Of those, judged right.
    pub right: usize,
}

impl Tally {
    /// Counts one question.
    pub fn add(&mut self, right: bool) {
        self.questions += 1;
        self.right += usize::from(right);
    }

    /// The share right, in percent (0 for no questions).
    pub fn percent(&self) -> f64 {
        if self.questions == 0 {
            0.0
        } else {
            100.0 * self.right as f64 / self.questions as f64
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>4}/{:<4} {:5.1}%",
            self.right,
            self.questions,
            self.percent()
        )
    }
}

/// Right answers by kind, and over the questions that have an answer and those that have
/// none: what the per-kind report prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// By the question's kind, in name order.
    pub kinds: BTreeMap<String, Tally>,
    /// Questions that have an answer, answered from a right section.
    pub answerable: Tally,
    /// Questions that have none, declined.
    pub unanswerable: Tally,
}

impl Report {
    /// Counts one question and whether it was judged right.
    pub fn add(&mut self, golden: &GoldenQuestion, right: bool) {
        self.kinds
            .entry(golden.kind().to_string())
            .or_default()
            .add(right);
        if golden.expect_none {
            self.unanswerable.add(right);
        } else {
            self.answerable.add(right);
        }
    }

    /// The report of `outcomes`.
    pub fn of(outcomes: &[Outcome]) -> Report {
        let mut report = Report::default();
        for outcome in outcomes {
            report.add(&outcome.golden, outcome.passed);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(source: &str, heading: Option<&str>, text: &str) -> Hit {
        Hit {
            title: "Massage prices".into(),
            heading: heading.map(str::to_string),
            source: source.into(),
            line: 1,
            text: text.into(),
            withheld: false,
            score: 1.0,
            coverage: 1.0,
            confidence: 1.0,
            matched_terms: Vec::new(),
        }
    }

    fn golden(line: &str) -> GoldenQuestion {
        serde_json::from_str(line).expect("a golden line")
    }

    #[test]
    fn a_section_label_is_right_only_for_that_files_heading() {
        let question =
            golden(r#"{"q": "how much?", "sections": ["prices.md#What does it cost?"]}"#);
        assert!(question.is_right(&hit("prices.md", Some("What does it cost?"), "")));
        assert!(!question.is_right(&hit("other.md", Some("What does it cost?"), "")));
        assert!(!question.is_right(&hit("prices.md", Some("Packages"), "What does it cost?")));
        let intro = golden(r#"{"q": "x", "sections": ["prices.md#Massage prices"]}"#);
        assert!(intro.is_right(&hit("prices.md", None, "")));
    }

    #[test]
    fn kinds_and_answerability_are_tallied_apart() {
        let mut report = Report::default();
        report.add(
            &golden(r#"{"q": "a", "expect": ["x"], "kind": "faq"}"#),
            true,
        );
        report.add(
            &golden(r#"{"q": "b", "expect": ["x"], "kind": "faq"}"#),
            false,
        );
        report.add(&golden(r#"{"q": "c", "expect_none": true}"#), true);
        assert_eq!(
            report.kinds["faq"],
            Tally {
                questions: 2,
                right: 1
            }
        );
        assert_eq!(
            report.kinds["golden"],
            Tally {
                questions: 1,
                right: 1
            }
        );
        assert_eq!(report.answerable.percent(), 50.0);
        assert_eq!(report.unanswerable.right, 1);
    }
}
