//! Ranking metrics as trec_eval and BEIR compute them (linear gain, log2 discount).

use std::collections::HashMap;

/// nDCG at `k` for a ranking of document ids against graded judgements.
pub(crate) fn ndcg_at(k: usize, ranking: &[&str], relevant: &HashMap<String, u32>) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, id)| gain(relevant.get(*id).copied()) / discount(rank))
        .sum();
    let mut ideal: Vec<u32> = relevant.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, &grade)| gain(Some(grade)) / discount(rank))
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Reciprocal rank of the first relevant document within the top `k`.
pub(crate) fn mrr_at(k: usize, ranking: &[&str], relevant: &HashMap<String, u32>) -> f64 {
    ranking
        .iter()
        .take(k)
        .position(|id| relevant.get(*id).is_some_and(|&g| g > 0))
        .map_or(0.0, |rank| 1.0 / (rank + 1) as f64)
}

/// Share of the relevant documents found within the top `k`.
pub(crate) fn recall_at(k: usize, ranking: &[&str], relevant: &HashMap<String, u32>) -> f64 {
    let wanted = relevant.values().filter(|&&g| g > 0).count();
    if wanted == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|id| relevant.get(**id).is_some_and(|&g| g > 0))
        .count();
    found as f64 / wanted as f64
}

fn gain(grade: Option<u32>) -> f64 {
    f64::from(grade.unwrap_or(0))
}

fn discount(rank: usize) -> f64 {
    ((rank + 2) as f64).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(id, g)| (id.to_string(), *g)).collect()
    }

    #[test]
    fn perfect_ranking_scores_one() {
        let relevant = judged(&[("a", 1), ("b", 1)]);
        assert_eq!(ndcg_at(10, &["a", "b", "c"], &relevant), 1.0);
        assert_eq!(mrr_at(10, &["a", "b"], &relevant), 1.0);
        assert_eq!(recall_at(100, &["b", "x", "a"], &relevant), 1.0);
    }

    #[test]
    fn known_values() {
        let relevant = judged(&[("a", 1)]);
        // Relevant at rank 2: DCG = 1/log2(3), IDCG = 1.
        let ndcg = ndcg_at(10, &["x", "a"], &relevant);
        assert!((ndcg - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(mrr_at(10, &["x", "y", "a"], &relevant), 1.0 / 3.0);
        assert_eq!(mrr_at(2, &["x", "y", "a"], &relevant), 0.0);
        assert_eq!(recall_at(1, &["x", "a"], &relevant), 0.0);
    }

    #[test]
    fn graded_gains_are_linear() {
        let relevant = judged(&[("a", 2), ("b", 1)]);
        let swapped = ndcg_at(10, &["b", "a"], &relevant);
        let expected = (1.0 + 2.0 / 3f64.log2()) / (2.0 + 1.0 / 3f64.log2());
        assert!((swapped - expected).abs() < 1e-12);
    }
}
