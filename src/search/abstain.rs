//! Knowing when not to answer.
//!
//! BM25 always ranks something first, even for "what is the capital of France?". A raw score
//! cannot tell whether that first passage is an answer: scores grow with the question's length
//! and its words' rarity, so no fixed cut-off fits every question. What does carry over is
//! *coverage*: the share of the question's ideas, each weighted by how specific it is (its
//! inverse document frequency), that the passage contains. A word the knowledge never uses
//! ("France", "sourdough") weighs the most, so a question about something else leaves most of
//! its weight uncovered, however well "massage" matched.
//!
//! The threshold was set on data, not on two examples. On the repo's question set for the
//! bundled knowledge (`tests/fixtures/bundled-questions.jsonl`: 74 questions members ask, many
//! chatty, and 36 off-topic ones, many sharing a word with the clinic's topics), with the
//! knowledge and engine as of 2026-11-23 (measured again after the engine's ranking changed):
//!
//! | threshold | on-topic answered right | off-topic declined | shared golden | repo golden |
//! |-----------|-------------------------|--------------------|---------------|-------------|
//! | 0.30      | 55 / 74                 | 22 / 36            | 11 / 12       | 116 / 126   |
//! | 0.40      | 53 / 74                 | 31 / 36            | 12 / 12       | 121 / 126   |
//! | 0.45      | 52 / 74                 | 33 / 36            | 12 / 12       | 123 / 126   |
//! | **0.50**  | **51 / 74**             | **36 / 36**        | **12 / 12**   | **126 / 126** |
//! | 0.60      | 44 / 74                 | 36 / 36            | 12 / 12       | 114 / 126   |
//!
//! 0.5 is the lowest threshold that declines every off-topic question: an unrelated answer
//! costs a member's trust more than an honest "I don't know" that points to staff. The
//! on-topic questions it misses are mostly long and chatty, where the words that carry the
//! question are outnumbered by words the knowledge never uses; better aliases in the knowledge
//! files recover them without loosening the rule.

use super::query::Plan;

/// A passage must cover at least this share of the question's weighted ideas: more than half
/// of what the question is about, judged by its most specific words.
pub const MIN_COVERAGE: f32 = 0.5;

/// How much of a question a passage covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Coverage {
    /// Between 0 and 1.
    pub share: f32,
    /// The index terms of the question found in the passage, for highlighting.
    pub matched_terms: Vec<String>,
}

impl Coverage {
    /// Whether the passage covers enough of the question to be given as an answer.
    pub fn is_enough(&self) -> bool {
        self.share >= MIN_COVERAGE
    }
}

/// The weighted share of `plan`'s concepts whose wording (any synonym) a passage contains,
/// `contains` telling whether it holds a term.
pub(crate) fn coverage(plan: &Plan, contains: impl Fn(&str) -> bool) -> Coverage {
    let mut total = 0.0;
    let mut covered = 0.0;
    let mut matched_terms = Vec::new();
    for concept in &plan.concepts {
        total += concept.weight;
        let found = concept
            .alternatives
            .iter()
            .find(|phrase| phrase.terms().all(&contains));
        if let Some(phrase) = found {
            // A corrected misspelling is a guess ("steak" may become "speak"): it covers only
            // as much as the member typed right.
            covered += concept.certainty * concept.weight;
            matched_terms.extend(phrase.terms().map(str::to_string));
        }
    }
    let share = if total > 0.0 { covered / total } else { 0.0 };
    Coverage {
        share,
        matched_terms,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::search::query::Concept;
    use crate::search::synonyms::Phrase;

    fn concept(words: &[&str], weight: f32, certainty: f32) -> Concept {
        Concept {
            alternatives: words
                .iter()
                .map(|w| Phrase(vec![(0, w.to_string())]))
                .collect(),
            weight,
            certainty,
            count: 1,
        }
    }

    fn terms(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn specific_words_outweigh_common_ones() {
        // "how do I massage my dataset": "massag" is everywhere, "dataset" nowhere.
        let plan = Plan {
            concepts: vec![
                concept(&["massag"], 0.4, 1.0),
                concept(&["dataset"], 5.0, 1.0),
            ],
        };
        let cover = coverage(&plan, |t| terms(&["massag", "back"]).contains(t));
        assert!(cover.share < 0.1);
        assert!(!cover.is_enough());
        assert_eq!(cover.matched_terms, vec!["massag"]);
    }

    #[test]
    fn any_synonym_covers_its_concept() {
        let plan = Plan {
            concepts: vec![concept(&["insomnia", "sleep"], 3.0, 1.0)],
        };
        let cover = coverage(&plan, |t| terms(&["sleep"]).contains(t));
        assert_eq!(cover.share, 1.0);
        assert_eq!(cover.matched_terms, vec!["sleep"]);
    }

    #[test]
    fn corrections_count_as_much_as_was_typed_right() {
        // "steak" corrected to "speak": one letter of five was wrong.
        let plan = Plan {
            concepts: vec![concept(&["speak"], 2.0, 0.8), concept(&["grill"], 2.0, 1.0)],
        };
        let cover = coverage(&plan, |t| terms(&["speak"]).contains(t));
        assert!((cover.share - 0.4).abs() < 1e-6);
    }

    #[test]
    fn an_empty_question_covers_nothing() {
        assert_eq!(
            coverage(&Plan::default(), |t| terms(&["a"]).contains(t)).share,
            0.0
        );
    }
}
