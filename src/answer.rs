//! What an answer is, independent of where it is shown (terminal, JSON, Discord).

use serde::Serialize;

/// The engine's reply to one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    /// Whether the knowledge holds an answer; when false, `results` is empty.
    pub answered: bool,
    /// The passages that answer, best first.
    pub results: Vec<Hit>,
    /// When not answered: the closest passages, for a "did you mean" line. Empty otherwise.
    pub near_misses: Vec<Hit>,
    /// For a question about being open: the sentence worked out from the clinic's opening
    /// hours ("Open now, until 19:00 today (Europe/London)"), shown before the passage the
    /// hours come from, which is then the only result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
}

/// One passage found for a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The document's title.
    pub title: String,
    /// The section heading or FAQ question.
    pub heading: Option<String>,
    /// The knowledge file, relative to the knowledge folder.
    pub source: String,
    /// The line the passage starts on.
    pub line: usize,
    /// The passage as written, without sentences whose facts staff have still to fill in.
    pub text: String,
    /// Whether such a sentence was left out: the passage does not tell everything, so a
    /// display should say who can.
    pub withheld: bool,
    /// The ranking score of words and meaning fused; comparable only within one question.
    pub score: f32,
    /// How likely the passage is to answer the question, by the engine's fitted decision
    /// (0 to 1): results are ordered by it.
    pub confidence: f32,
    /// The share of the question's weighted ideas the passage covers (0 to 1).
    pub coverage: f32,
    /// The question's index terms (stemmed) that the passage contains, for highlighting.
    pub matched_terms: Vec<String>,
}

impl Answer {
    /// The best passage, if the question was answered.
    pub fn best(&self) -> Option<&Hit> {
        self.results.first()
    }
}
