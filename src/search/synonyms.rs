//! Staff's synonym groups, analysed like questions so they can be found in one.
//!
//! A synonym is matched on all its words, small ones included, so "how much" can stand for
//! "price" even though "how" and "much" are never searched. A synonym without small words
//! ("trouble sleeping") is matched on its search terms only, so "trouble with sleeping" matches
//! too. What is searched for a group is each synonym's search terms (stemmed: `troubl sleep`).

use super::analysis::{AnalyzedTerm, Analyzer};
use crate::knowledge::{Diagnostic, Problem, SYNONYMS_FILE, Synonyms};

/// A phrase of search terms, each with its word offset from the first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Phrase(pub Vec<(usize, String)>);

impl Phrase {
    /// The terms without offsets.
    pub fn terms(&self) -> impl Iterator<Item = &str> + Clone {
        self.0.iter().map(|(_, term)| term.as_str())
    }

    /// The search terms among `words`, with offsets from the first of them.
    pub fn of(words: &[AnalyzedTerm]) -> Phrase {
        let mut terms = words.iter().filter(|word| !word.stop).peekable();
        let first = terms.peek().map_or(0, |word| word.position);
        Phrase(
            terms
                .map(|word| (word.position - first, word.text.clone()))
                .collect(),
        )
    }

    /// Whether there is nothing to search.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One synonym: how it is matched in a question and what is searched for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Synonym {
    /// The stems of all its words, when it has small words to match; `None` otherwise.
    all_words: Option<Vec<String>>,
    /// Its search terms.
    pub search: Phrase,
}

/// Synonym groups ready to match questions.
#[derive(Debug, Clone, Default)]
pub(crate) struct SynonymTable {
    groups: Vec<Vec<Synonym>>,
}

/// A group found in a question: words `start..end` of the question's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub start: usize,
    pub end: usize,
    pub group: usize,
}

impl SynonymTable {
    /// Analyses every group; terms without any word are reported and skipped.
    pub fn new(synonyms: &Synonyms, analyzer: &mut Analyzer) -> (Self, Vec<Diagnostic>) {
        let mut warnings = Vec::new();
        let mut groups = Vec::new();
        for group in &synonyms.groups {
            let mut members: Vec<Synonym> = Vec::new();
            for term in &group.terms {
                let words = analyzer.words(term);
                if words.is_empty() {
                    warnings.push(Diagnostic::new(
                        SYNONYMS_FILE,
                        group.line,
                        Problem::SynonymWithoutWords(term.clone()),
                    ));
                    continue;
                }
                let has_small_words = words.iter().any(|word| word.stop);
                let synonym = Synonym {
                    all_words: has_small_words
                        .then(|| words.iter().map(|word| word.text.clone()).collect()),
                    search: Phrase::of(&words),
                };
                // "massage" and "massages" stem alike; one copy is enough.
                if !members.contains(&synonym) {
                    members.push(synonym);
                }
            }
            if members.len() > 1 {
                groups.push(members);
            }
        }
        (SynonymTable { groups }, warnings)
    }

    /// The group's synonyms.
    pub fn group(&self, group: usize) -> &[Synonym] {
        self.groups.get(group).map_or(&[], Vec::as_slice)
    }

    /// Non-overlapping groups found in a question's words (stop words included), the longest
    /// match first, returned in question order.
    pub fn find(&self, words: &[AnalyzedTerm]) -> Vec<Found> {
        let all: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        let searchable: Vec<usize> = (0..words.len()).filter(|&i| !words[i].stop).collect();
        let terms: Vec<&str> = searchable.iter().map(|&i| all[i]).collect();
        let mut candidates: Vec<Found> = Vec::new();
        for (group, synonyms) in self.groups.iter().enumerate() {
            for synonym in synonyms {
                match &synonym.all_words {
                    Some(phrase) => {
                        for start in occurrences(&all, phrase.iter().map(String::as_str)) {
                            let end = start + phrase.len();
                            candidates.push(Found { start, end, group });
                        }
                    }
                    None => {
                        let len = synonym.search.0.len();
                        for at in occurrences(&terms, synonym.search.terms()) {
                            let (start, end) = (searchable[at], searchable[at + len - 1] + 1);
                            candidates.push(Found { start, end, group });
                        }
                    }
                }
            }
        }
        candidates.sort_by_key(|found| (std::cmp::Reverse(found.end - found.start), found.start));
        let mut taken = vec![false; words.len()];
        let mut found = Vec::new();
        for candidate in candidates {
            let span = candidate.start..candidate.end;
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

/// Where `needle` starts in `haystack`, every time.
fn occurrences<'a>(haystack: &[&str], needle: impl Iterator<Item = &'a str> + Clone) -> Vec<usize> {
    let len = needle.clone().count();
    if len == 0 || len > haystack.len() {
        return Vec::new();
    }
    (0..=haystack.len() - len)
        .filter(|&start| {
            needle
                .clone()
                .eq(haystack[start..start + len].iter().copied())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::SynonymGroup;

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
        SynonymTable::new(&synonyms, &mut Analyzer::new())
    }

    fn find(table: &SynonymTable, question: &str) -> Vec<(usize, usize, usize)> {
        let words = Analyzer::new().words(question);
        table
            .find(&words)
            .into_iter()
            .map(|f| (f.start, f.end, f.group))
            .collect()
    }

    #[test]
    fn phrases_are_found_longest_first() {
        let (table, warnings) = table(&[
            &["insomnia", "trouble sleeping", "sleeplessness"],
            &["sleep", "rest"],
        ]);
        assert!(warnings.is_empty());
        assert_eq!(find(&table, "trouble sleeping at night"), vec![(0, 2, 0)]);
        assert_eq!(
            find(&table, "sleep or insomnia"),
            vec![(0, 1, 1), (2, 3, 0)]
        );
    }

    #[test]
    fn phrases_without_small_words_skip_the_question_s_small_words() {
        let (table, _) = table(&[&["insomnia", "trouble sleeping"]]);
        assert_eq!(
            find(&table, "I have trouble with sleeping"),
            vec![(2, 5, 0)]
        );
    }

    #[test]
    fn phrases_of_small_words_match_all_their_words() {
        let (table, warnings) = table(&[&["price", "how much", "cost"], &["no-show", "miss"]]);
        assert!(warnings.is_empty());
        assert_eq!(find(&table, "How much is it?"), vec![(0, 2, 0)]);
        assert_eq!(find(&table, "much how"), vec![]);
        // "no show" keeps its "no": "show up" alone is not a no-show.
        assert_eq!(find(&table, "what should I show up in"), vec![]);
        assert_eq!(find(&table, "what if I no-show"), vec![(3, 5, 1)]);
        let price = table.group(0);
        assert!(price.iter().any(|synonym| synonym.search.is_empty()));
    }

    #[test]
    fn terms_without_words_are_reported() {
        let (table, warnings) = table(&[&["price", "!!!", "cost"]]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].problem,
            Problem::SynonymWithoutWords("!!!".into())
        );
        assert_eq!(table.group(0).len(), 2);
    }
}
