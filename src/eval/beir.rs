//! BEIR-format retrieval benchmarks (SciFact and the like), run through the bot's own pipeline.
//!
//! Each corpus document becomes one passage (title + text); each judged query is ranked by
//! [`Engine::rank`], the same analysis, typo correction and query building the bot uses, and
//! scored with nDCG@10, MRR@10 and Recall@100 as BEIR reports them. Speed is then timed on
//! the whole path a member's question takes, [`Engine::answer`]: analysis, synonyms, typo
//! correction, the search for the best passages and the decision.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::info_span;

use super::metrics::{mrr_at, ndcg_at, recall_at};
use super::{EvalError, json_lines, percentile, read};
use crate::knowledge::{Passage, Synonyms};
use crate::search::Engine;

/// How deep each query is ranked: Recall@100 needs 100.
const DEPTH: usize = 100;
/// Passages asked of [`Engine::answer`] in the timed run, as the bot asks (any number up to
/// the ten candidates it checks takes the same path).
const ANSWER_PASSAGES: usize = 3;

#[derive(Debug, Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

/// A loaded BEIR dataset.
#[derive(Debug)]
pub struct Dataset {
    documents: Vec<CorpusLine>,
    queries: HashMap<String, String>,
    /// Judgements per query id, in id order for a stable run.
    judgements: BTreeMap<String, HashMap<String, u32>>,
    qrels: PathBuf,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The qrels file used.
    pub qrels: String,
    /// Documents indexed.
    pub documents: usize,
    /// Judged queries run.
    pub queries: usize,
    /// Mean nDCG@10.
    pub ndcg_at_10: f64,
    /// Mean reciprocal rank within the top 10.
    pub mrr_at_10: f64,
    /// Mean share of relevant documents within the top 100.
    pub recall_at_100: f64,
    /// Questions answered per second on one thread, by the bot's whole path: question text
    /// to the ten best passages judged by the decision.
    pub queries_per_second: f64,
    /// Queries ranked per second on one thread to depth 100, as the quality run needs.
    pub ranked_per_second: f64,
    /// Milliseconds to answer one question, by the bot's whole path: the median.
    pub latency_ms_p50: f64,
    /// The 99th percentile.
    pub latency_ms_p99: f64,
    /// The slowest question.
    pub latency_ms_max: f64,
    /// Seconds to build the index.
    pub index_seconds: f64,
}

/// The qrels file used when none is named: the test split, or else the train split.
pub fn default_qrels(dir: &Path) -> PathBuf {
    let test = dir.join("qrels").join("test.tsv");
    if test.is_file() {
        test
    } else {
        dir.join("qrels").join("train.tsv")
    }
}

impl Dataset {
    /// Reads `corpus.jsonl`, `queries.jsonl` and a qrels TSV (`query-id corpus-id score`).
    pub fn load(dir: &Path, qrels: &Path) -> Result<Dataset, EvalError> {
        let documents = json_lines::<CorpusLine>(&dir.join("corpus.jsonl"))?
            .into_iter()
            .map(|(_, line)| line)
            .collect();
        let queries = json_lines::<QueryLine>(&dir.join("queries.jsonl"))?
            .into_iter()
            .map(|(_, line)| (line.id, line.text))
            .collect();
        let mut judgements: BTreeMap<String, HashMap<String, u32>> = BTreeMap::new();
        for (index, line) in read(qrels)?.lines().enumerate() {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let [query, document, grade] = fields.as_slice() else {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(EvalError::Line {
                    path: qrels.to_path_buf(),
                    line: index + 1,
                    message: "expected three tab-separated columns: query-id corpus-id score"
                        .to_string(),
                });
            };
            let Ok(grade) = grade.parse::<u32>() else {
                if index == 0 {
                    continue; // the header line
                }
                return Err(EvalError::Line {
                    path: qrels.to_path_buf(),
                    line: index + 1,
                    message: format!("the score \"{grade}\" is not a whole number"),
                });
            };
            judgements
                .entry((*query).to_string())
                .or_default()
                .insert((*document).to_string(), grade);
        }
        Ok(Dataset {
            documents,
            queries,
            judgements,
            qrels: qrels.to_path_buf(),
        })
    }

    /// Indexes the corpus and ranks every judged query that has a text.
    pub fn run(
        self,
        semantic: Option<&crate::meaning::Semantic>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Report, EvalError> {
        let _span = info_span!("beir", documents = self.documents.len()).entered();
        let ids: Vec<String> = self.documents.iter().map(|doc| doc.id.clone()).collect();
        let passages = self
            .documents
            .into_iter()
            .map(|doc| Passage {
                title: doc.title,
                heading: None,
                alternative_questions: Vec::new(),
                aliases: std::sync::Arc::new([]),
                plain: doc.text.clone(),
                text: doc.text,
                source: doc.id,
                line: 0,
            })
            .collect();
        let started = Instant::now();
        let engine = Engine::build_with(passages, &Synonyms::default(), semantic, progress)?;
        let index_seconds = started.elapsed().as_secs_f64();

        let judged: Vec<(&String, &HashMap<String, u32>)> = self
            .judgements
            .iter()
            .filter(|(query, _)| self.queries.contains_key(*query))
            .collect();
        // Each pass times new questions: members' questions are new to the bot, and a question
        // asked again is nearly free (its vector is kept).
        engine.forget_question_vectors();
        let started = Instant::now();
        let mut rankings = Vec::with_capacity(judged.len());
        for (query, _) in &judged {
            rankings.push(engine.rank(&self.queries[*query], DEPTH)?);
        }
        let ranking_seconds = started.elapsed().as_secs_f64();
        let mut latencies = Vec::with_capacity(judged.len());
        engine.forget_question_vectors();
        let started = Instant::now();
        for (query, _) in &judged {
            let asked = Instant::now();
            std::hint::black_box(engine.answer(&self.queries[*query], ANSWER_PASSAGES)?);
            latencies.push(asked.elapsed().as_secs_f64() * 1e3);
        }
        let answer_seconds = started.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);

        let (mut ndcg, mut mrr, mut recall) = (0.0, 0.0, 0.0);
        for ((_, relevant), ranking) in judged.iter().zip(&rankings) {
            let ranked: Vec<&str> = ranking
                .iter()
                .map(|(position, _)| ids[*position].as_str())
                .collect();
            ndcg += ndcg_at(10, &ranked, relevant);
            mrr += mrr_at(10, &ranked, relevant);
            recall += recall_at(DEPTH, &ranked, relevant);
        }
        let count = judged.len().max(1) as f64;
        Ok(Report {
            qrels: self.qrels.display().to_string(),
            documents: ids.len(),
            queries: judged.len(),
            ndcg_at_10: ndcg / count,
            mrr_at_10: mrr / count,
            recall_at_100: recall / count,
            queries_per_second: per_second(judged.len(), answer_seconds),
            ranked_per_second: per_second(judged.len(), ranking_seconds),
            latency_ms_p50: percentile(&latencies, 0.50),
            latency_ms_p99: percentile(&latencies, 0.99),
            latency_ms_max: latencies.last().copied().unwrap_or_default(),
            index_seconds,
        })
    }
}

fn per_second(count: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_is_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
