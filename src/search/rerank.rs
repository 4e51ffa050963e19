//! Reordering the best passages by what their postings say, and what the decision needs.
//!
//! BM25 scores each question word on its own. For the best few passages the engine then reads
//! the postings of the question's terms: whether each passage holds each term (the
//! decision's coverage), and where, so that consecutive question words standing close together
//! ("deep tissue") add to the score.

use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, Term};

use super::index::Fields;
use super::query::{self, Plan, Weights};
use crate::knowledge::Passage;

/// How many of the best-scored passages are reordered by closeness.
pub(super) const RERANKED: usize = 20;
/// Two question words this many positions apart or fewer stand close ("deep tissue", "tissue
/// is deep", "deep, slow tissue work").
const CLOSE_WORDS: u32 = 3;
/// What a close pair adds to a passage's score, times the pair's weight.
const CLOSENESS_BONUS: f32 = 0.5;
/// A section too long for one passage is cut into several; the first answers its heading
/// most directly, the others continue it, so they weigh a little less and a short closing
/// paragraph does not outrank the answer's opening.
const CONTINUATION_WEIGHT: f32 = 0.95;

/// What reranking reads beside the postings.
pub(super) struct Lookup<'e> {
    pub fields: &'e Fields,
    pub weights: &'e Weights,
    /// The engine's passages, in index order.
    pub passages: &'e [Passage],
}

/// Found passages in their final order, and which of the question's terms each holds.
pub(super) struct Reranked<'p> {
    /// The question's terms, sorted.
    pub terms: Vec<&'p str>,
    /// Each passage with its row in `contained`.
    pub found: Vec<(Found, usize)>,
    /// Whether a passage holds a term in any field: a row per passage, a column per term.
    contained: Vec<bool>,
}

impl Reranked<'_> {
    /// Whether the `at`-th passage in order holds `term`.
    pub fn holds(&self, at: usize, term: &str) -> bool {
        let row = self.found[at].1;
        self.terms
            .binary_search(&term)
            .is_ok_and(|index| self.contained[row * self.terms.len() + index])
    }
}

/// Whether the passage at `at` continues the section of the passage before it.
fn continues_section(passages: &[Passage], at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|before| passages.get(before));
    before
        .zip(passages.get(at))
        .is_some_and(|(before, this)| before.continued_by(this))
}

/// Whether two words stand within [`CLOSE_WORDS`] of each other, in either order.
fn close(first: &[u32], second: &[u32]) -> bool {
    // Both lists are sorted: walk them together.
    let (mut i, mut j) = (0, 0);
    while i < first.len() && j < second.len() {
        let (a, b) = (first[i], second[j]);
        if a.abs_diff(b) <= CLOSE_WORDS {
            return true;
        }
        if a < b {
            i += 1;
        } else {
            j += 1;
        }
    }
    false
}

/// A passage found by a search.
pub(super) struct Found {
    /// Its position in the engine's passage list.
    pub passage: usize,
    pub score: f32,
    pub address: DocAddress,
}

/// Reorders found passages, the best first, after adding to each score a bonus for each
/// pair of consecutive question words standing close together in it ("deep tissue" near
/// each other says more than both words somewhere), and returns each passage with the
/// question's terms it contains.
///
/// Both come from the index's postings of the question's terms, read for the found
/// passages only: tantivy's phrase queries would find the same pairs but score every
/// passage holding both words, which cost a third of a question's time on SciFact.
pub(super) fn rerank<'p>(
    searcher: &Searcher,
    lookup: &Lookup<'_>,
    plan: &'p Plan,
    found: Vec<Found>,
) -> tantivy::Result<Reranked<'p>> {
    let mut terms: Vec<&str> = plan
        .concepts
        .iter()
        .flat_map(|concept| {
            concept
                .alternatives
                .iter()
                .flat_map(|phrase| phrase.terms())
        })
        .collect();
    terms.sort_unstable();
    terms.dedup();
    // The pairs whose closeness counts, by their terms' places in `terms`.
    let pairs: Vec<(usize, usize, f32)> = query::consecutive_terms(plan)
        .into_iter()
        .filter_map(|(first, second, weight)| {
            let first = terms.binary_search(&first).ok()?;
            let second = terms.binary_search(&second).ok()?;
            Some((first, second, weight))
        })
        .collect();
    let mut paired = vec![false; terms.len()];
    for &(first, second, _) in &pairs {
        paired[first] = true;
        paired[second] = true;
    }
    // Flat tables, a row per found passage and a column per term: two allocations per
    // question rather than two per passage.
    let width = terms.len();
    let mut contained = vec![false; found.len() * width];
    let mut positions: Vec<Vec<u32>> = vec![Vec::new(); found.len() * width];
    let mut fields = vec![lookup.fields.content];
    if lookup.weights.has(lookup.fields.alias) {
        fields.push(lookup.fields.alias);
    }
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut docs: Vec<(DocId, usize)> = found
            .iter()
            .enumerate()
            .filter(|(_, found)| found.address.segment_ord as usize == ord)
            .map(|(at, found)| (found.address.doc_id, at))
            .collect();
        if docs.is_empty() {
            continue;
        }
        docs.sort_unstable();
        for &field in &fields {
            let inverted = segment.inverted_index(field)?;
            for (index, &term) in terms.iter().enumerate() {
                // Positions are read only where closeness needs them: in the content.
                let read_positions = paired[index] && field == lookup.fields.content;
                let option = if read_positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::Basic
                };
                let key = Term::from_field_text(field, term);
                let Some(mut postings) = inverted.read_postings(&key, option)? else {
                    continue;
                };
                for &(doc, at) in &docs {
                    if postings.doc() < doc {
                        postings.seek(doc);
                    }
                    if postings.doc() != doc {
                        continue;
                    }
                    contained[at * width + index] = true;
                    if read_positions {
                        postings.positions(&mut positions[at * width + index]);
                    }
                }
            }
        }
    }
    let mut found: Vec<(Found, usize)> = found
        .into_iter()
        .enumerate()
        .map(|(at, mut found)| {
            let row = &positions[at * width..(at + 1) * width];
            for &(first, second, weight) in &pairs {
                if close(&row[first], &row[second]) {
                    found.score += CLOSENESS_BONUS * weight;
                }
            }
            if continues_section(lookup.passages, found.passage) {
                found.score *= CONTINUATION_WEIGHT;
            }
            (found, at)
        })
        .collect();
    found.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
    Ok(Reranked {
        terms,
        found,
        contained,
    })
}

#[cfg(test)]
mod tests {
    use super::close;

    #[test]
    fn words_within_three_positions_are_close_in_either_order() {
        assert!(close(&[4], &[5]));
        assert!(close(&[10], &[7]));
        assert!(close(&[1, 30], &[20, 33]));
        assert!(!close(&[1, 30], &[20, 34]));
        assert!(!close(&[], &[1]));
    }
}
