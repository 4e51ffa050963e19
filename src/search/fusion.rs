//! Words and meaning together: which passages are candidates, in what order, and when the
//! engine may trust a passage that shares few of the question's words.
//!
//! BM25 is right about rare terms (a technique's name, "myofascial") where a static sentence
//! model is vague; the model is right about wordings that share no term with the passage
//! ("30 weeks pregnant" and "massage during pregnancy"). So the candidates are the best of
//! both, each is scored by a weighted sum of its BM25 score (relative to the best) and its
//! closeness of meaning, and the abstain rule asks for both kinds of evidence at once.

use crate::meaning::{Closeness, Embedder, PassageVectors};

use super::rerank::Found;

/// How many passages closest in meaning join BM25's best as candidates.
pub(super) const DENSE_CANDIDATES: usize = 20;

/// The embedder and the vectors of an engine's passages.
#[derive(Debug)]
pub(super) struct Meaning {
    pub embedder: std::sync::Arc<Embedder>,
    pub vectors: PassageVectors,
}

/// The weight of BM25 in the fused score, relative to the best candidate's BM25 score. Chosen
/// on data (2026-12-01, all-MiniLM-L6-v2), with [`WORDING_WEIGHT`] and [`COVERAGE_WEIGHT`]:
/// the fixture (`tests/fixtures/bundled-questions.jsonl`, 110 questions, with the abstain
/// rule), the golden files (`tests/golden/` and the shared 12: 138 questions) and SciFact's
/// train split.
///
/// | BM25 | wording | coverage | fixture passed | golden failing | SciFact nDCG@10 |
/// |------|---------|----------|----------------|----------------|-----------------|
/// | 1.0  | -       | 0        | 87             | 0              | 0.7010          |
/// | 0.5  | 1.0     | 0        | 93             | 4              | 0.7304          |
/// | 0.3  | 1.0     | 0        | 98             | 6              |                 |
/// | 0.3  | 0.8     | 0        | 97             | 2              | 0.7349          |
/// | 0.2  | 0.8     | 0.15     | 98             | 0              | 0.7390          |
/// | **0.3** | **0.8** | **0.15** | **98**      | **0**          | **0.7413**      |
/// | 0.4  | 0.8     | 0.15     | 96             | 0              | 0.7415          |
/// | 0.5  | 0.8     | 0.15     |                |                | 0.7345          |
///
/// With every question answered, the best candidate is right for 65 of the 74 on-topic
/// questions at the chosen weights; BM25 alone puts it first for 56, meaning alone for 59.
/// Without the coverage term, a question whose words a passage covers well ("I'm going
/// through chemo, can I still book a massage?") lost to a wording that only sounds alike
/// ("Can I book a massage for someone else?").
pub(super) const BM25_WEIGHT: f32 = 0.3;
/// How much a wording's closeness (a heading, an alias) counts against the passage's whole
/// text: short wordings sit closer to short questions than a passage can, so they are
/// trusted a little less.
pub(super) const WORDING_WEIGHT: f32 = 0.8;
/// What covering all of the question's weighted words adds to the fused score.
pub(super) const COVERAGE_WEIGHT: f32 = 0.15;

/// A passage's closeness of meaning to the question, as one number.
pub(super) fn meaning(closeness: Closeness) -> f32 {
    closeness.content.max(WORDING_WEIGHT * closeness.wording)
}

impl Meaning {
    /// How close `question` is to every passage; `None` (logged) if the model failed.
    pub fn closeness(&self, question: &str) -> Option<Vec<Closeness>> {
        match self.embedder.embed(question) {
            Ok(vector) => Some(self.vectors.closeness(&vector)),
            Err(err) => {
                tracing::error!(%err, "answering this question by words alone");
                None
            }
        }
    }
}

/// Adds to BM25's `found` the passages closest in meaning that it does not have yet (with a
/// BM25 score of 0), so that reranking reads their postings too.
pub(super) fn with_dense_candidates(
    mut found: Vec<Found>,
    meaning: &[f32],
    limit: usize,
    address_of: impl Fn(usize) -> tantivy::DocAddress,
) -> Vec<Found> {
    let mut closest: Vec<usize> = (0..meaning.len()).collect();
    let limit = limit.min(closest.len());
    if limit == 0 {
        return found;
    }
    closest.select_nth_unstable_by(limit - 1, |a, b| meaning[*b].total_cmp(&meaning[*a]));
    closest.truncate(limit);
    for passage in closest {
        if !found.iter().any(|f| f.passage == passage) {
            found.push(Found {
                passage,
                score: 0.0,
                address: address_of(passage),
            });
        }
    }
    found
}

/// The fused score of each candidate: BM25 relative to the best candidate's, meaning, and the
/// share of the question's weighted words it covers.
pub(super) fn fused(bm25: &[f32], meaning: &[f32], coverage: &[f32]) -> Vec<f32> {
    let best = bm25.iter().copied().fold(0.0_f32, f32::max);
    bm25.iter()
        .zip(meaning)
        .zip(coverage)
        .map(|((&score, &meaning), &coverage)| {
            let words = if best > 0.0 { score / best } else { 0.0 };
            BM25_WEIGHT * words + (1.0 - BM25_WEIGHT) * meaning + COVERAGE_WEIGHT * coverage
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_meaning_and_coverage_all_count() {
        // The best BM25 score, middling meaning, full coverage...
        let scores = fused(&[10.0, 5.0, 0.0], &[0.5, 0.9, 0.95], &[1.0, 0.2, 0.0]);
        let expected = [
            BM25_WEIGHT + (1.0 - BM25_WEIGHT) * 0.5 + COVERAGE_WEIGHT,
            BM25_WEIGHT * 0.5 + (1.0 - BM25_WEIGHT) * 0.9 + COVERAGE_WEIGHT * 0.2,
            (1.0 - BM25_WEIGHT) * 0.95,
        ];
        for (got, want) in scores.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{scores:?}");
        }
        assert_eq!(
            fused(&[0.0], &[0.4], &[0.0]),
            vec![(1.0 - BM25_WEIGHT) * 0.4]
        );
        let close = Closeness {
            content: 0.5,
            wording: 0.9,
        };
        assert!((meaning(close) - WORDING_WEIGHT * 0.9).abs() < 1e-6);
    }
}
