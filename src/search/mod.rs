//! The answer engine: a tantivy index over passages, the query pipeline and the decision.
//!
//! A question is planned (analysed, corrected, synonyms applied), scored by BM25 over the
//! index and, with a model, by closeness of meaning; the best [`RERANKED`] passages of each
//! are reordered by how close the question's words stand in them, ranked by words and meaning
//! fused (`fusion.rs`), described by named signals, and judged by a fitted model that orders
//! them and says whether the best answers (`decision.rs`). A chatty message is also read
//! sentence by sentence (`reading.rs`).
//!
//! [`Engine`] is built once from a knowledge base (or any passages, for benchmarks) and then
//! answers questions from any number of threads. It knows nothing about Discord: the CLI's
//! `ask` and the bot call the same [`Engine::answer`].

mod analysis;
mod coverage;
pub mod decision;
pub mod fusion;
mod index;
mod query;
mod reading;
mod rerank;
mod synonyms;

use std::collections::{HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::{DocAddress, IndexReader, Searcher};
use thiserror::Error;
use tracing::{debug, info_span};

pub use crate::knowledge::cut_at_word as cut_question;
pub use query::MAX_QUESTION_CHARS;

use std::sync::Arc;

use crate::answer::{Answer, Hit};
use crate::hours::{Clock, OpeningHours};
use crate::knowledge::{Diagnostic, KnowledgeBase, Passage, Synonyms, placeholders};
use crate::meaning::{Closeness, Embedder, PassageVectors, Semantic};
use analysis::Analyzer;
use decision::{Candidate, Model, Signals};
use fusion::Fusion;
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

/// How many near misses a "did you mean" line may offer.
const NEAR_MISSES: usize = 3;
/// A near miss must be at least this likely to answer: below it, "did you mean" offers
/// topics that only share a word ("who won the world cup" offered pressure and quiet
/// sessions). Measured on members' questions the decision declines (2026-12-05):
///
/// | least probability | off-topic offered topics | not covered, offered | declined with a right section first, offered it |
/// |-------------------|--------------------------|----------------------|--------------------------------------------------|
/// | none              | 125 of 125               | 96 of 96             | 116 of 116                                       |
/// | 0.1               | 81                       | 58                   | 112                                              |
/// | **0.2**           | **53**                   | **39**               | **98**                                           |
/// | 0.3               | 34                       | 22                   | 77                                               |
/// | 0.4               | 22                       | 9                    | 46                                               |
const NEAR_MISS_MIN_PROBABILITY: f32 = 0.2;

/// One reading of a question, planned and, with a model, compared with every passage by
/// meaning.
struct Prepared {
    /// One sentence of a longer message.
    part: bool,
    plan: Plan,
    closeness: Option<Vec<Closeness>>,
}

/// One reading of a question judged: what it would answer.
struct Verdict {
    answered: bool,
    /// How likely the sections it would show answer ([`decision::confidence`]); `None`
    /// without candidates.
    confidence: Option<f32>,
    results: Vec<Hit>,
    near_misses: Vec<Hit>,
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
    /// Each passage's section: passages of one file under one heading share it.
    sections: Vec<u32>,
    /// Each passage's knowledge file.
    files: Vec<u32>,
    /// The clinic's opening hours, when a file states them.
    hours: Option<Hours>,
    /// Where "now" comes from, for questions about being open.
    clock: Clock,
}

/// The opening hours and the passage an answer from them cites.
struct Hours {
    hours: OpeningHours,
    passage: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("passages", &self.passages.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Indexes every passage of a loaded knowledge base with its synonyms, and answers from
    /// its opening hours.
    pub fn from_knowledge(base: &KnowledgeBase) -> Result<Engine, SearchError> {
        Ok(
            Engine::build(base.passages().cloned().collect(), &base.synonyms)?
                .with_hours(base.hours()),
        )
    }

    /// This engine, answering questions about being open from `hours`, stated in the file
    /// `source` (see [`KnowledgeBase::hours`]). Such an answer cites the file's section whose
    /// heading speaks of hours, else its first: staff keep the hours in words there too.
    pub fn with_hours(mut self, hours: Option<(&str, &OpeningHours)>) -> Engine {
        self.hours = hours.and_then(|(source, hours)| {
            let of_file = || {
                self.passages
                    .iter()
                    .enumerate()
                    .filter(|(_, passage)| passage.source == source)
            };
            let about_hours = |passage: &Passage| {
                passage
                    .heading
                    .as_deref()
                    .is_some_and(|heading| heading.to_lowercase().contains("hours"))
            };
            let (passage, _) = of_file()
                .find(|(_, passage)| about_hours(passage))
                .or_else(|| of_file().next())?;
            Some(Hours {
                hours: hours.clone(),
                passage,
            })
        });
        self
    }

    /// This engine, taking "now" from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Engine {
        self.clock = clock;
        self
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
        let mut section_ids: HashMap<(&str, Option<&str>), u32> = HashMap::new();
        let mut file_ids: HashMap<&str, u32> = HashMap::new();
        let (sections, files) = passages
            .iter()
            .map(|passage| {
                let next = section_ids.len() as u32;
                let section = *section_ids
                    .entry((&passage.source, passage.heading.as_deref()))
                    .or_insert(next);
                let next = file_ids.len() as u32;
                let file = *file_ids.entry(&passage.source).or_insert(next);
                (section, file)
            })
            .unzip();
        Ok(Engine {
            reader,
            fields,
            sections,
            files,
            passages,
            synonyms,
            analyzer,
            diagnostics,
            positions,
            weights,
            addresses,
            meaning: None,
            hours: None,
            clock: Clock::System,
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

    /// Forgets the vectors of questions asked so far, so the next ones are embedded again:
    /// for measuring what a new question costs.
    pub fn forget_question_vectors(&self) {
        if let Some(meaning) = &self.meaning {
            meaning.forget_questions();
        }
    }

    /// Answers `question` with up to `limit` passages, or says it does not know.
    ///
    /// The whole message is read first; when it is not answered and it has several
    /// sentences, each is read alone and the best supported answer is kept (see
    /// `reading.rs` and [`decision::choose`]).
    pub fn answer(&self, question: &str, limit: usize) -> Result<Answer, SearchError> {
        let _span = info_span!("answer", chars = question.chars().count()).entered();
        if let Some(answer) = self.answer_hours(question) {
            debug!("answered from the opening hours");
            return Ok(answer);
        }
        let mut analyzer = self.analyzer.clone();
        let searcher = self.reader.searcher();
        let whole = self.prepare(&searcher, &mut analyzer, &[question], false)?;
        let mut verdicts = Vec::new();
        for prepared in &whole {
            verdicts.push(self.verdict(&searcher, prepared, limit)?);
        }
        if verdicts.first().is_some_and(|whole| !whole.answered) {
            // The sentences are embedded together: one pass of the model, not one each.
            let parts = reading::parts(question);
            for prepared in &self.prepare(&searcher, &mut analyzer, &parts, true)? {
                verdicts.push(self.verdict(&searcher, prepared, limit)?);
            }
        }
        let best: Vec<Option<f32>> = verdicts.iter().map(|verdict| verdict.confidence).collect();
        let chosen = decision::choose(&best, self.decision().1);
        let verdict = verdicts.swap_remove(chosen);
        debug!(
            answered = verdict.answered,
            reading = chosen,
            confidence = verdict.confidence,
            "answered"
        );
        Ok(Answer {
            question: question.to_string(),
            answered: verdict.answered,
            results: verdict.results,
            near_misses: verdict.near_misses,
            hours: None,
        })
    }

    /// A question about being open, answered from the opening hours at the clock's "now",
    /// citing the hours passage; `None` for every other question, or without hours.
    fn answer_hours(&self, question: &str) -> Option<Answer> {
        let hours = self.hours.as_ref()?;
        let sentence = hours.hours.answer(question, self.clock.now())?;
        let passage = self.passages.get(hours.passage)?;
        // Certain, not ranked: the answer is worked out, and the passage is where it is from.
        let hit = self.shown(passage, 1.0, 1.0, 1.0, Vec::new());
        Some(Answer {
            question: question.to_string(),
            answered: true,
            results: vec![hit],
            near_misses: Vec::new(),
            hours: Some(sentence),
        })
    }

    /// Every reading of `question` (the whole, then its sentences as [`Engine::answer`] reads
    /// them), each with all its candidates described: what the decision is fitted on.
    pub fn readings(&self, question: &str) -> Result<Vec<Vec<Candidate>>, SearchError> {
        let mut analyzer = self.analyzer.clone();
        let searcher = self.reader.searcher();
        let fusion = self.decision().0;
        let mut prepared = self.prepare(&searcher, &mut analyzer, &[question], false)?;
        prepared.extend(self.prepare(&searcher, &mut analyzer, &reading::parts(question), true)?);
        let mut readings = Vec::new();
        for prepared in &prepared {
            readings.push(self.read(&searcher, prepared, RERANKED, fusion)?.1);
        }
        Ok(readings)
    }

    /// The `limit` best passages for `question`, as (passage index, score), ranked as
    /// [`Engine::answer`] ranks a whole message but without deciding whether any answers:
    /// what retrieval benchmarks measure. The first [`decision::JUDGED`] are in the model's
    /// order, scored by its probability; the rest follow in ranking order, scored below them.
    pub fn rank(&self, question: &str, limit: usize) -> Result<Vec<(usize, f32)>, SearchError> {
        let mut analyzer = self.analyzer.clone();
        let searcher = self.reader.searcher();
        let (fusion, model) = self.decision();
        let mut prepared = self.prepare(&searcher, &mut analyzer, &[question], false)?;
        let Some(prepared) = prepared.pop() else {
            return Ok(Vec::new());
        };
        let (_, candidates) = self.read(&searcher, &prepared, RERANKED.max(limit), fusion)?;
        let judged = decision::judge(&candidates, model);
        let mut ranked: Vec<(usize, f32)> = judged
            .iter()
            .map(|judged| (candidates[judged.at].passage, judged.probability))
            .collect();
        let mut rest: Vec<&Candidate> = candidates
            .iter()
            .enumerate()
            .filter(|(at, _)| !judged.iter().any(|judged| judged.at == *at))
            .map(|(_, candidate)| candidate)
            .collect();
        rest.sort_by(|a, b| b.score.total_cmp(&a.score));
        // Below every probability: a score is only compared within one question.
        ranked.extend(
            rest.iter()
                .map(|candidate| (candidate.passage, candidate.score - 1e3)),
        );
        ranked.truncate(limit);
        Ok(ranked)
    }

    /// The ranking and the decision this engine uses: with meaning, or by words alone.
    fn decision(&self) -> (&'static Fusion, &'static Model) {
        if self.meaning.is_some() {
            (&fusion::WITH_MEANING, &decision::WITH_MEANING)
        } else {
            (&fusion::WORDS_ONLY, &decision::WORDS_ONLY)
        }
    }

    /// One reading of a question (`part` when it is one sentence of a longer message),
    /// judged, with the passages it would show.
    fn verdict(
        &self,
        searcher: &Searcher,
        prepared: &Prepared,
        limit: usize,
    ) -> Result<Verdict, SearchError> {
        let (fusion, model) = self.decision();
        let plan = &prepared.plan;
        let (reranked, candidates) = self.read(searcher, prepared, RERANKED.max(limit), fusion)?;
        let judged = decision::judge(&candidates, model);
        let confidence = decision::confidence(&judged, &candidates);
        let answered = decision::answers(confidence, model);
        let hit = |judged: &decision::Judged| {
            let candidate = &candidates[judged.at];
            let cover = coverage::coverage(plan, |term| reranked.holds(judged.at, term));
            self.hit(candidate, judged.probability, cover.matched_terms)
        };
        // One passage for each section: "also relevant" lists other sections, never the
        // rest of the one already shown.
        let mut shown_sections = Vec::with_capacity(limit);
        let results: Vec<Hit> = judged
            .iter()
            .take_while(|_| answered)
            .filter(|judged| {
                let section = candidates[judged.at].section;
                let new = !shown_sections.contains(&section);
                if new {
                    shown_sections.push(section);
                }
                new
            })
            .take(limit)
            .map(&hit)
            .collect();
        let near_misses: Vec<Hit> = if answered {
            Vec::new()
        } else {
            judged
                .iter()
                .filter(|judged| {
                    judged.probability >= NEAR_MISS_MIN_PROBABILITY
                        && candidates[judged.at].signals.coverage > 0.0
                })
                .take(NEAR_MISSES)
                .map(&hit)
                .collect()
        };
        Ok(Verdict {
            answered,
            confidence,
            results,
            near_misses,
        })
    }

    /// BM25's best `limit` passages and, with a model, the passages closest in meaning,
    /// reranked by closeness of words, each described by its signals and ranked by `fusion`
    /// (in the order of `Reranked::found`).
    fn read<'p>(
        &self,
        searcher: &Searcher,
        prepared: &'p Prepared,
        limit: usize,
        fusion: &Fusion,
    ) -> Result<(rerank::Reranked<'p>, Vec<Candidate>), SearchError> {
        let plan = &prepared.plan;
        let mut found = self.search(searcher, plan, limit)?;
        let closeness = prepared.closeness.as_ref();
        if let Some(closeness) = closeness {
            // The passages closest by any of their vectors: what ranking then makes of them is
            // the fusion's business, so the candidates do not depend on its weights.
            let nearest: Vec<f32> = closeness
                .iter()
                .map(|c| c.content.max(c.wording).max(c.alias))
                .collect();
            found = fusion::with_dense_candidates(
                found,
                &nearest,
                limit.max(fusion::DENSE_CANDIDATES),
                |passage| self.addresses[passage],
            );
        }
        let reranked = rerank::rerank(searcher, &self.lookup(), plan, found)?;
        let best = reranked
            .found
            .iter()
            .map(|(found, _)| found.score)
            .fold(0.0_f32, f32::max);
        let question = coverage::question_signals(plan, prepared.part);
        let mut candidates: Vec<Candidate> = reranked
            .found
            .iter()
            .enumerate()
            .map(|(at, (found, _))| {
                let near = closeness
                    .map(|closeness| closeness[found.passage])
                    .unwrap_or_default();
                let signals = Signals {
                    words: if best > 0.0 { found.score / best } else { 0.0 },
                    coverage: coverage::coverage(plan, |term| reranked.holds(at, term)).share,
                    passage: near.content,
                    wording: near.wording,
                    alias: near.alias,
                    ..question
                };
                Candidate {
                    passage: found.passage,
                    section: self.sections[found.passage],
                    file: self.files[found.passage],
                    score: fusion.score(&signals),
                    signals,
                }
            })
            .collect();
        decision::compare(&mut candidates);
        Ok((reranked, candidates))
    }

    /// Plans each of `texts` and, with a model, compares them all with the passages by
    /// meaning in one pass. The model reads each as the engine understood it: typos corrected.
    fn prepare(
        &self,
        searcher: &Searcher,
        analyzer: &mut Analyzer,
        texts: &[&str],
        part: bool,
    ) -> Result<Vec<Prepared>, SearchError> {
        let mut plans = Vec::with_capacity(texts.len());
        for text in texts {
            let plan = self.plan(searcher, analyzer, text)?;
            tracing::trace!(?plan, "planned");
            plans.push(plan);
        }
        let understood: Vec<&str> = plans
            .iter()
            .zip(texts)
            .map(|(plan, text)| cut_question(plan.understood(text), MAX_QUESTION_CHARS))
            .collect();
        let mut closeness = match &self.meaning {
            Some(meaning) if !texts.is_empty() => meaning.closeness_all(&understood),
            _ => None,
        }
        .map(Vec::into_iter);
        Ok(plans
            .into_iter()
            .map(|plan| Prepared {
                part,
                plan,
                closeness: closeness.as_mut().and_then(Iterator::next),
            })
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

    fn hit(&self, candidate: &Candidate, confidence: f32, matched_terms: Vec<String>) -> Hit {
        let passage = &self.passages[candidate.passage.min(self.passages.len().saturating_sub(1))];
        self.shown(
            passage,
            candidate.score,
            confidence,
            candidate.signals.coverage,
            matched_terms,
        )
    }

    fn shown(
        &self,
        passage: &Passage,
        score: f32,
        confidence: f32,
        coverage: f32,
        matched_terms: Vec<String>,
    ) -> Hit {
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
            confidence,
            matched_terms,
        }
    }
}
