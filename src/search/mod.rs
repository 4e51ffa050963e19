//! The answer engine: a tantivy index over passages, the query pipeline and the abstain rule.
//!
//! A question is planned (analysed, corrected, synonyms applied), scored by BM25 over the
//! index, the best [`RERANKED`] passages are reordered by how close the question's words stand
//! in them, and the first [`CANDIDATES`] are checked by the abstain rule.
//!
//! [`Engine`] is built once from a knowledge base (or any passages, for benchmarks) and then
//! answers questions from any number of threads. It knows nothing about Discord: the CLI's
//! `ask` and the bot call the same [`Engine::answer`].

mod abstain;
mod analysis;
mod fusion;
mod index;
mod query;
mod rerank;
mod synonyms;

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::{DocAddress, IndexReader, Searcher};
use thiserror::Error;
use tracing::{debug, info_span};

pub use crate::knowledge::cut_at_word as cut_question;
pub use abstain::MIN_COVERAGE;
pub use query::MAX_QUESTION_CHARS;

use std::sync::Arc;

use crate::answer::{Answer, Hit};
use crate::knowledge::{Diagnostic, KnowledgeBase, Passage, Synonyms, placeholders};
use crate::meaning::{Embedder, PassageVectors, Semantic};
use analysis::Analyzer;
use index::Fields;
use query::{Plan, Planner, Weights};
use rerank::{Found, Lookup, RERANKED};
use synonyms::SynonymTable;

/// The search terms of `text` (lowercased, stop words dropped, stemmed), in order: what two
/// wordings of the same question have in common, for grouping them.
pub fn terms(text: &str) -> Vec<String> {
    Analyzer::new()
        .terms(text)
        .into_iter()
        .map(|term| term.text)
        .collect()
}

/// [`terms`] of each text, with one analyzer for all: grouping thousands of questions
/// should not build an analyzer for each.
pub fn terms_each<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut analyzer = Analyzer::new();
    texts
        .into_iter()
        .map(|text| {
            analyzer
                .terms(text)
                .into_iter()
                .map(|term| term.text)
                .collect()
        })
        .collect()
}

/// How many top passages are checked for coverage before giving up: the best-scored passage is
/// not always the one that covers the question, but one beyond the first ten rarely is.
const CANDIDATES: usize = 10;
/// How many near misses a "did you mean" line may offer.
const NEAR_MISSES: usize = 3;

/// Candidates in their final order.
struct Ranked<'p> {
    reranked: rerank::Reranked<'p>,
    order: Vec<Candidate>,
}

/// One candidate: its place in `Ranked::reranked`, its final score and its closeness of
/// meaning (with a model).
struct Candidate {
    at: usize,
    score: f32,
    meaning: Option<f32>,
}

/// The index could not be built or searched.
#[derive(Debug, Error)]
pub enum SearchError {
    /// tantivy failed (in memory, this means a bug or memory exhaustion).
    #[error("the search index failed")]
    Index(#[from] tantivy::TantivyError),
}

/// A searchable knowledge base.
pub struct Engine {
    reader: IndexReader,
    fields: Fields,
    passages: Vec<Passage>,
    synonyms: SynonymTable,
    analyzer: Analyzer,
    diagnostics: Vec<Diagnostic>,
    /// Each segment's column of passage positions, opened once: opening it for every hit cost
    /// a fifth of a question's time.
    positions: Vec<Column<u64>>,
    /// The fields questions are scored in, with their weights.
    weights: Weights,
    /// Each passage's document in the index, to read the postings of passages that BM25 did
    /// not find but meaning did.
    addresses: Vec<DocAddress>,
    /// Matching by meaning, when a model is loaded.
    meaning: Option<fusion::Meaning>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("passages", &self.passages.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Indexes every passage of a loaded knowledge base with its synonyms.
    pub fn from_knowledge(base: &KnowledgeBase) -> Result<Engine, SearchError> {
        Engine::build(base.passages().cloned().collect(), &base.synonyms)
    }

    /// Indexes `passages`, applying `synonyms` to questions.
    pub fn build(passages: Vec<Passage>, synonyms: &Synonyms) -> Result<Engine, SearchError> {
        let _span = info_span!("build_index", passages = passages.len()).entered();
        let (reader, fields) = index::build(&passages)?;
        let mut analyzer = Analyzer::new();
        let (synonyms, diagnostics) = SynonymTable::new(synonyms, &mut analyzer);
        let positions = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().u64("passage"))
            .collect::<Result<_, _>>()?;
        let weights = Weights::of_index(&reader.searcher(), &fields)?;
        let mut addresses = vec![DocAddress::new(0, 0); passages.len()];
        for (ord, (segment, column)) in reader
            .searcher()
            .segment_readers()
            .iter()
            .zip(&positions)
            .enumerate()
        {
            let column: &Column<u64> = column;
            for doc in 0..segment.max_doc() {
                if let Some(position) = column.first(doc)
                    && let Some(address) = addresses.get_mut(position as usize)
                {
                    *address = DocAddress::new(ord as u32, doc);
                }
            }
        }
        Ok(Engine {
            reader,
            fields,
            passages,
            synonyms,
            analyzer,
            diagnostics,
            positions,
            weights,
            addresses,
            meaning: None,
        })
    }

    /// Indexes `passages` like [`Engine::build`], and with `semantic` their vectors too,
    /// embedding only what its cache lacks; `progress` hears (done, to do) while it embeds.
    pub fn build_with(
        passages: Vec<Passage>,
        synonyms: &Synonyms,
        semantic: Option<&Semantic>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<Engine, SearchError> {
        let Some(semantic) = semantic else {
            return Engine::build(passages, synonyms);
        };
        let started = std::time::Instant::now();
        let vectors = semantic.vectors(&passages, progress);
        let engine = Engine::build(passages, synonyms)?;
        match vectors {
            Ok((vectors, usage)) => {
                debug!(
                    reused = usage.reused,
                    embedded = usage.embedded,
                    seconds = started.elapsed().as_secs_f64(),
                    "passage vectors ready"
                );
                Ok(engine.with_meaning(semantic.embedder(), vectors))
            }
            // Degrade, never fail: the words still answer.
            Err(err) => {
                tracing::error!(%err, "matching by words alone");
                Ok(engine)
            }
        }
    }

    /// This engine, matching by meaning too: `vectors` are its passages' (see
    /// [`PassageVectors::build`]), made by `embedder`.
    pub fn with_meaning(mut self, embedder: Arc<Embedder>, vectors: PassageVectors) -> Engine {
        if vectors.len() == self.passages.len() {
            self.meaning = Some(fusion::Meaning { embedder, vectors });
        } else {
            tracing::error!(
                vectors = vectors.len(),
                passages = self.passages.len(),
                "passage vectors do not fit the passages; answering by words alone"
            );
        }
        self
    }

    /// Whether questions are matched by meaning as well as by words.
    pub fn matches_meaning(&self) -> bool {
        self.meaning.is_some()
    }

    /// Where the words of `terms` (as in [`Hit::matched_terms`]) stand in `text`, as byte
    /// ranges in order: what a display may highlight.
    pub fn highlights(&self, text: &str, terms: &[String]) -> Vec<std::ops::Range<usize>> {
        let stems: HashSet<&str> = terms.iter().map(String::as_str).collect();
        self.analyzer.clone().spans_of(text, &stems)
    }

    /// Questions and headings to suggest while a member types: with nothing typed, the FAQ
    /// questions in the order staff wrote them; otherwise headings containing what is typed,
    /// then the headings of the passages that best match it.
    pub fn suggestions(&self, typed: &str, limit: usize) -> Result<Vec<String>, SearchError> {
        let typed = typed.trim();
        let mut found: Vec<&str> = Vec::new();
        fn push<'a>(heading: &'a str, found: &mut Vec<&'a str>, limit: usize) {
            // A heading still to be written is no question to suggest to a member.
            if placeholders::contains(heading) {
                return;
            }
            if found.len() < limit && !found.iter().any(|seen| seen.eq_ignore_ascii_case(heading)) {
                found.push(heading);
            }
        }
        if typed.is_empty() {
            for passage in self.passages.iter().filter(|p| p.is_question()) {
                push(
                    passage.heading.as_deref().unwrap_or(&passage.title),
                    &mut found,
                    limit,
                );
            }
            return Ok(found.into_iter().map(str::to_string).collect());
        }
        let lower = typed.to_lowercase();
        for passage in &self.passages {
            let heading = passage.heading.as_deref().unwrap_or(&passage.title);
            if heading.to_lowercase().contains(&lower) {
                push(heading, &mut found, limit);
            }
        }
        for (position, _) in self.rank(typed, limit * 2)? {
            let passage = &self.passages[position];
            push(
                passage.heading.as_deref().unwrap_or(&passage.title),
                &mut found,
                limit,
            );
        }
        Ok(found.into_iter().map(str::to_string).collect())
    }

    /// Every passage indexed, in index order.
    pub fn passages(&self) -> &[Passage] {
        &self.passages
    }

    /// Warnings found while building (synonyms that can never match).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Answers `question` with up to `limit` passages, or says it does not know.
    pub fn answer(&self, question: &str, limit: usize) -> Result<Answer, SearchError> {
        let _span = info_span!("answer", chars = question.chars().count()).entered();
        let mut analyzer = self.analyzer.clone();
        let searcher = self.reader.searcher();
        let plan = self.plan(&searcher, &mut analyzer, question)?;
        tracing::trace!(?plan, "planned");
        let mut results = Vec::new();
        let mut misses = Vec::new();
        let ranked = self.candidates(&searcher, &plan, question, RERANKED.max(limit))?;
        for candidate in ranked.order.iter().take(CANDIDATES.max(limit)) {
            let at = candidate.at;
            let found = &ranked.reranked.found[at].0;
            let cover = abstain::coverage(&plan, |term| ranked.reranked.holds(at, term));
            // Passages are copied into the answer only when it will show them.
            if abstain::is_answer(&cover, candidate.meaning, &plan) {
                if results.len() < limit {
                    let hit = self.hit(
                        found.passage,
                        candidate.score,
                        cover.share,
                        cover.matched_terms,
                    );
                    results.push(hit);
                }
            } else if cover.share > 0.0 && results.is_empty() && misses.len() < NEAR_MISSES {
                misses.push(self.hit(
                    found.passage,
                    candidate.score,
                    cover.share,
                    cover.matched_terms,
                ));
            }
        }
        let answered = !results.is_empty();
        if answered {
            misses.clear();
        }
        debug!(
            answered,
            concepts = plan.concepts.len(),
            best = results.first().map(|hit| hit.coverage),
            "answered"
        );
        Ok(Answer {
            question: question.to_string(),
            answered,
            results,
            near_misses: misses,
        })
    }

    /// The `limit` best passages for `question`, as (passage index, score), ranked as
    /// [`Engine::answer`] ranks them but without the abstain rule: what retrieval benchmarks
    /// measure.
    pub fn rank(&self, question: &str, limit: usize) -> Result<Vec<(usize, f32)>, SearchError> {
        let mut analyzer = self.analyzer.clone();
        let searcher = self.reader.searcher();
        let plan = self.plan(&searcher, &mut analyzer, question)?;
        let ranked = self.candidates(&searcher, &plan, question, RERANKED.max(limit))?;
        Ok(ranked
            .order
            .iter()
            .take(limit)
            .map(|candidate| {
                (
                    ranked.reranked.found[candidate.at].0.passage,
                    candidate.score,
                )
            })
            .collect())
    }

    /// BM25's best `limit` passages and, with a model, the passages closest in meaning,
    /// reranked by closeness of words and put in their final order.
    fn candidates<'p>(
        &self,
        searcher: &Searcher,
        plan: &'p Plan,
        question: &str,
        limit: usize,
    ) -> Result<Ranked<'p>, SearchError> {
        let mut found = self.search(searcher, plan, limit)?;
        let meaning: Option<Vec<f32>> = self.meaning.as_ref().and_then(|meaning| {
            let closeness = meaning.closeness(cut_question(question, MAX_QUESTION_CHARS))?;
            Some(closeness.into_iter().map(fusion::meaning).collect())
        });
        if let Some(meaning) = &meaning {
            found = fusion::with_dense_candidates(
                found,
                meaning,
                limit.max(fusion::DENSE_CANDIDATES),
                |passage| self.addresses[passage],
            );
        }
        let reranked = rerank::rerank(searcher, &self.lookup(), plan, found)?;
        let bm25: Vec<f32> = reranked
            .found
            .iter()
            .map(|(found, _)| found.score)
            .collect();
        let order = match &meaning {
            None => bm25
                .iter()
                .enumerate()
                .map(|(at, &score)| Candidate {
                    at,
                    score,
                    meaning: None,
                })
                .collect(),
            Some(meaning) => {
                let closeness: Vec<f32> = reranked
                    .found
                    .iter()
                    .map(|(found, _)| meaning[found.passage])
                    .collect();
                let coverage: Vec<f32> = (0..reranked.found.len())
                    .map(|at| abstain::coverage(plan, |term| reranked.holds(at, term)).share)
                    .collect();
                let mut order: Vec<Candidate> = fusion::fused(&bm25, &closeness, &coverage)
                    .into_iter()
                    .zip(closeness)
                    .enumerate()
                    .map(|(at, (score, meaning))| Candidate {
                        at,
                        score,
                        meaning: Some(meaning),
                    })
                    .collect();
                order.sort_by(|a, b| b.score.total_cmp(&a.score));
                order
            }
        };
        Ok(Ranked { reranked, order })
    }

    fn plan(
        &self,
        searcher: &Searcher,
        analyzer: &mut Analyzer,
        question: &str,
    ) -> Result<Plan, SearchError> {
        let planner = Planner {
            searcher,
            fields: &self.fields,
            synonyms: &self.synonyms,
        };
        Ok(planner.plan(analyzer, question)?)
    }

    fn search(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        limit: usize,
    ) -> Result<Vec<Found>, SearchError> {
        let Some(query) = query::build(plan, &self.weights) else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let top = searcher.search(&*query, &TopDocs::with_limit(limit).order_by_score())?;
        Ok(top
            .into_iter()
            .map(|(score, address)| Found {
                passage: self.passage_of(address),
                score,
                address,
            })
            .collect())
    }

    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            fields: &self.fields,
            weights: &self.weights,
            passages: &self.passages,
        }
    }

    fn passage_of(&self, address: DocAddress) -> usize {
        let position = self
            .positions
            .get(address.segment_ord as usize)
            .and_then(|column| column.first(address.doc_id))
            .unwrap_or_default();
        usize::try_from(position).unwrap_or_default()
    }

    fn hit(&self, position: usize, score: f32, coverage: f32, matched_terms: Vec<String>) -> Hit {
        let passage = &self.passages[position.min(self.passages.len().saturating_sub(1))];
        // A hit is what a member is shown: nothing still to be filled in.
        let shown = placeholders::for_members(&passage.text);
        Hit {
            title: placeholders::strip(&passage.title).into_owned(),
            heading: passage
                .heading
                .as_deref()
                .map(|heading| placeholders::strip(heading).into_owned()),
            source: passage.source.clone(),
            line: passage.line,
            text: shown.text.into_owned(),
            withheld: shown.withheld,
            score,
            coverage,
            matched_terms,
        }
    }
}
