//! Staff's synonym groups, analysed like questions so they can be found in one.
//!
//! A group's terms are stemmed phrases ("trouble sleeping" becomes `troubl sleep`). Finding a
//! group in a question compares the question's terms in order, ignoring the small words
//! between them, so "trouble with sleeping" matches too.

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::analyze;
use crate::knowledge::{Diagnostic, Problem, SYNONYMS_FILE, Synonyms};

/// A phrase of search terms, each with its word offset from the first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Phrase(pub Vec<(usize, String)>);

impl Phrase {
    /// The terms without offsets.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, term)| term.as_str())
    }
}

/// Synonym groups ready to match questions.
#[derive(Debug, Clone, Default)]
pub(crate) struct SynonymTable {
    groups: Vec<Vec<Phrase>>,
}

/// A group found in a question: `len` terms starting at term `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub start: usize,
    pub len: usize,
    pub group: usize,
}

impl SynonymTable {
    /// Analyses every group; terms that analyse to nothing are reported and skipped.
    pub fn new(synonyms: &Synonyms, analyzer: &mut TextAnalyzer) -> (Self, Vec<Diagnostic>) {
        let mut warnings = Vec::new();
        let mut groups = Vec::new();
        for group in &synonyms.groups {
            let mut phrases: Vec<Phrase> = Vec::new();
            for term in &group.terms {
                let terms = analyze(analyzer, term);
                let Some(first) = terms.first().map(|t| t.position) else {
                    warnings.push(Diagnostic::new(
                        SYNONYMS_FILE,
                        group.line,
                        Problem::SynonymWithoutWords(term.clone()),
                    ));
                    continue;
                };
                let phrase = Phrase(
                    terms
                        .into_iter()
                        .map(|t| (t.position - first, t.text))
                        .collect(),
                );
                // "massage" and "massages" stem alike; one copy is enough.
                if !phrases.contains(&phrase) {
                    phrases.push(phrase);
                }
            }
            if phrases.len() > 1 {
                groups.push(phrases);
            }
        }
        (SynonymTable { groups }, warnings)
    }

    /// The group's phrases.
    pub fn group(&self, group: usize) -> &[Phrase] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    /// Non-overlapping groups found in `terms`, longest phrase first, in question order.
    pub fn find(&self, terms: &[&str]) -> Vec<Found> {
        let mut candidates: Vec<Found> = Vec::new();
        for (group, phrases) in self.groups.iter().enumerate() {
            for phrase in phrases {
                let len = phrase.0.len();
                for start in 0..terms.len().saturating_sub(len - 1) {
                    if phrase.terms().eq(terms[start..start + len].iter().copied()) {
                        candidates.push(Found { start, len, group });
                    }
                }
            }
        }
        candidates.sort_by_key(|found| (std::cmp::Reverse(found.len), found.start));
        let mut taken = vec![false; terms.len()];
        let mut found = Vec::new();
        for candidate in candidates {
            let span = candidate.start..candidate.start + candidate.len;
            if taken[span.clone()].iter().any(|&t| t) {
                continue;
            }
            taken[span].iter_mut().for_each(|t| *t = true);
            found.push(candidate);
        }
        found.sort_by_key(|found| found.start);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::SynonymGroup;
    use crate::search::analysis::analyzer;

    fn table(groups: &[&[&str]]) -> (SynonymTable, Vec<Diagnostic>) {
        let synonyms = Synonyms {
            groups: groups
                .iter()
                .enumerate()
                .map(|(line, terms)| SynonymGroup {
                    terms: terms.iter().map(|t| t.to_string()).collect(),
                    line: line + 1,
                })
                .collect(),
        };
        SynonymTable::new(&synonyms, &mut analyzer())
    }

    #[test]
    fn phrases_are_found_longest_first() {
        let (table, warnings) = table(&[
            &["insomnia", "trouble sleeping", "sleeplessness"],
            &["sleep", "rest"],
        ]);
        assert!(warnings.is_empty());
        let found = table.find(&["troubl", "sleep", "night"]);
        assert_eq!(found, vec![Found { start: 0, len: 2, group: 0 }]);
        let found = table.find(&["sleep", "insomnia"]);
        assert_eq!(
            found,
            vec![Found { start: 0, len: 1, group: 1 }, Found { start: 1, len: 1, group: 0 }]
        );
    }

    #[test]
    fn stop_word_only_terms_are_reported() {
        let (table, warnings) = table(&[&["price", "how much", "cost"]]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].problem, Problem::SynonymWithoutWords("how much".into()));
        assert_eq!(table.group(0).len(), 2);
    }
}
