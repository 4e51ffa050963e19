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
mod index;
mod query;
mod synonyms;

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, IndexReader, Searcher, Term};
use thiserror::Error;
use tracing::{debug, info_span};

pub use abstain::MIN_COVERAGE;
pub use query::{MAX_QUESTION_CHARS, cut_chars as cut_question};

use crate::answer::{Answer, Hit};
use crate::knowledge::{Diagnostic, KnowledgeBase, Passage, Synonyms};
use analysis::Analyzer;
use index::Fields;
use query::{Plan, Planner, Weights};
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

/// How many top passages are checked for coverage before giving up: the best-scored passage is
/// not always the one that covers the question, but one beyond the first ten rarely is.
const CANDIDATES: usize = 10;
/// How many of the best-scored passages are reordered by closeness.
const RERANKED: usize = 20;
/// Two question words this many positions apart or fewer stand close ("deep tissue", "tissue
/// is deep", "deep, slow tissue work").
const CLOSE_WORDS: u32 = 3;
/// What a close pair adds to a passage's score, times the pair's weight.
const CLOSENESS_BONUS: f32 = 0.5;
/// A section too long for one passage is cut into several; the first answers its heading
/// most directly, the others continue it, so they weigh a little less and a short closing
/// paragraph does not outrank the answer's opening.
const CONTINUATION_WEIGHT: f32 = 0.95;
/// How many near misses a "did you mean" line may offer.
const NEAR_MISSES: usize = 3;

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
    /// For each passage, whether it continues the section of the passage before it.
    continues: Vec<bool>,
}

/// Found passages in their final order, and which of the question's terms each holds.
struct Reranked<'p> {
    /// The question's terms, sorted.
    terms: Vec<&'p str>,
    /// Each passage with its row in `contained`.
    found: Vec<(Found, usize)>,
    /// Whether a passage holds a term in any field: a row per passage, a column per term.
    contained: Vec<bool>,
}

impl Reranked<'_> {
    /// Whether the `at`-th passage in order holds `term`.
    fn holds(&self, at: usize, term: &str) -> bool {
        let row = self.found[at].1;
        self.terms
            .binary_search(&term)
            .is_ok_and(|index| self.contained[row * self.terms.len() + index])
    }
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
struct Found {
    /// Its position in the engine's passage list.
    passage: usize,
    score: f32,
    address: DocAddress,
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
        let continues = passages
            .iter()
            .enumerate()
            .map(|(at, passage)| {
                at.checked_sub(1)
                    .and_then(|before| passages.get(before))
                    .is_some_and(|before| before.continued_by(passage))
            })
            .collect();
        let mut analyzer = Analyzer::new();
        let (synonyms, diagnostics) = SynonymTable::new(synonyms, &mut analyzer);
        let positions = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().u64("passage"))
            .collect::<Result<_, _>>()?;
        let weights = Weights::of_index(&reader.searcher(), &fields)?;
        Ok(Engine {
            reader,
            fields,
            passages,
            synonyms,
            analyzer,
            diagnostics,
            positions,
            weights,
            continues,
        })
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
        let found = self.search(&searcher, &plan, RERANKED.max(limit))?;
        let reranked = self.rerank(&searcher, &plan, found)?;
        for (at, (found, _)) in reranked
            .found
            .iter()
            .enumerate()
            .take(CANDIDATES.max(limit))
        {
            let cover = abstain::coverage(&plan, |term| reranked.holds(at, term));
            // Passages are copied into the answer only when it will show them.
            if cover.is_enough() {
                if results.len() < limit {
                    let hit =
                        self.hit(found.passage, found.score, cover.share, cover.matched_terms);
                    results.push(hit);
                }
            } else if cover.share > 0.0 && results.is_empty() && misses.len() < NEAR_MISSES {
                misses.push(self.hit(found.passage, found.score, cover.share, cover.matched_terms));
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
        let found = self.search(&searcher, &plan, RERANKED.max(limit))?;
        let reranked = self.rerank(&searcher, &plan, found)?;
        Ok(reranked
            .found
            .into_iter()
            .take(limit)
            .map(|(found, _)| (found.passage, found.score))
            .collect())
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

    /// Reorders found passages, the best first, after adding to each score a bonus for each
    /// pair of consecutive question words standing close together in it ("deep tissue" near
    /// each other says more than both words somewhere), and returns each passage with the
    /// question's terms it contains.
    ///
    /// Both come from the index's postings of the question's terms, read for the found
    /// passages only: tantivy's phrase queries would find the same pairs but score every
    /// passage holding both words, which cost a third of a question's time on SciFact.
    fn rerank<'p>(
        &self,
        searcher: &Searcher,
        plan: &'p Plan,
        found: Vec<Found>,
    ) -> Result<Reranked<'p>, SearchError> {
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
        let mut fields = vec![self.fields.content];
        if self.weights.has(self.fields.alias) {
            fields.push(self.fields.alias);
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
                    let read_positions = paired[index] && field == self.fields.content;
                    let option = if read_positions {
                        IndexRecordOption::WithFreqsAndPositions
                    } else {
                        IndexRecordOption::Basic
                    };
                    let key = Term::from_field_text(field, term);
                    let Some(mut postings) = inverted
                        .read_postings(&key, option)
                        .map_err(tantivy::TantivyError::from)?
                    else {
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
                if self.continues.get(found.passage).copied().unwrap_or(false) {
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
        Hit {
            title: passage.title.clone(),
            heading: passage.heading.clone(),
            source: passage.source.clone(),
            line: passage.line,
            text: passage.text.clone(),
            score,
            coverage,
            matched_terms,
        }
    }
}
