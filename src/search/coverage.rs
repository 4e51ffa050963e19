//! How much of a question a passage covers, and what the question itself looks like: the
//! word-based signals the decision (`decision.rs`) weighs.
//!
//! BM25 always ranks something first, even for "what is the capital of France?". A raw score
//! cannot tell whether that first passage is an answer: scores grow with the question's length
//! and its words' rarity. What does carry over is *coverage*: the share of the question's
//! ideas, each weighted by how specific it is (its inverse document frequency), that the
//! passage contains. A word the knowledge never uses ("France", "sourdough") weighs the most,
//! so a question about something else leaves most of its weight uncovered, however well
//! "massage" matched.

use super::decision::Signals;
use super::query::{Concept, Plan};

/// How much of a question a passage covers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Coverage {
    /// Between 0 and 1.
    pub share: f32,
    /// The index terms of the question found in the passage, for highlighting.
    pub matched_terms: Vec<String>,
}

/// The signals of a reading of a question that are the same for every candidate: the share
/// of its words the knowledge never uses, the share read through a corrected typo, its
/// length, and whether it is one sentence of a longer message (`part`).
pub(crate) fn question_signals(plan: &Plan, part: bool) -> Signals {
    Signals {
        unknown: unknown_share(plan),
        corrected: weighted_share(plan, |concept| 1.0 - concept.certainty),
        length: (1.0 + plan.concepts.len() as f32).ln(),
        part: if part { 1.0 } else { 0.0 },
        ..Signals::default()
    }
}

/// The weighted share of the question's concepts that no passage uses at all.
pub(crate) fn unknown_share(plan: &Plan) -> f32 {
    weighted_share(plan, |concept| if concept.unknown { 1.0 } else { 0.0 })
}

/// The weighted mean of `value` over `plan`'s concepts; 0 for a question without any.
fn weighted_share(plan: &Plan, value: impl Fn(&Concept) -> f32) -> f32 {
    let total: f32 = plan.concepts.iter().map(|c| c.weight).sum();
    let part: f32 = plan.concepts.iter().map(|c| c.weight * value(c)).sum();
    if total > 0.0 { part / total } else { 0.0 }
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
            unknown: false,
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
            ..Default::default()
        };
        let cover = coverage(&plan, |t| terms(&["massag", "back"]).contains(t));
        assert!(cover.share < 0.1);
        assert_eq!(cover.matched_terms, vec!["massag"]);
    }

    #[test]
    fn any_synonym_covers_its_concept() {
        let plan = Plan {
            concepts: vec![concept(&["insomnia", "sleep"], 3.0, 1.0)],
            ..Default::default()
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
            ..Default::default()
        };
        let cover = coverage(&plan, |t| terms(&["speak"]).contains(t));
        assert!((cover.share - 0.4).abs() < 1e-6);
    }

    #[test]
    fn the_question_signals_weigh_unknown_and_corrected_words() {
        let mut dentist = concept(&["dentist"], 3.0, 1.0);
        dentist.unknown = true;
        let plan = Plan {
            concepts: vec![dentist, concept(&["appoint"], 1.0, 0.5)],
            ..Default::default()
        };
        let signals = question_signals(&plan, true);
        assert!((signals.unknown - 0.75).abs() < 1e-6);
        assert!((signals.corrected - 0.125).abs() < 1e-6);
        assert!((signals.length - 3.0_f32.ln()).abs() < 1e-6);
        assert_eq!(signals.part, 1.0);
        assert_eq!(
            question_signals(&Plan::default(), false),
            Signals::default()
        );
    }

    #[test]
    fn an_empty_question_covers_nothing() {
        assert_eq!(
            coverage(&Plan::default(), |t| terms(&["a"]).contains(t)).share,
            0.0
        );
    }
}
