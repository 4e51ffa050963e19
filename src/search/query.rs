//! The query pipeline: from a member's words to a tantivy query, without a query language.
//!
//! Members type anything: quotes, `AND`, `*`, emoji, a pasted essay. None of it is syntax
//! here: the question is analysed like the knowledge, misspelt words are corrected against the
//! index's own vocabulary, synonym groups are applied, and the query is built from typed
//! tantivy queries. So it can never fail to parse.
//!
//! Each distinct idea in the question (a term, or a synonym group) is a [`Concept`], scored by
//! BM25 over the four fields with the heading and alternative questions weighing more than body
//! text, plus a bonus for consecutive question words found close together in the text.

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::analysis::Analyzer;
use super::index::Fields;
use super::synonyms::{Phrase, SynonymTable};

/// Questions are cut here: enough for any real question, and it bounds the work a pasted
/// essay can cause.
pub const MAX_QUESTION_CHARS: usize = 2_000;
/// The most concepts a query keeps (the most specific ones); BM25 gains nothing from more.
const MAX_CONCEPTS: usize = 32;
/// Words this short have too many one-letter neighbours ("rice" and "price") to be corrected.
const MIN_CORRECTABLE_CHARS: usize = 5;
/// From this length two edits are allowed ("theraputic" is one edit from "therapeutic", but
/// long words often carry two slips).
const TWO_EDIT_CHARS: usize = 9;

/// Field weights. The heading is the question a passage answers, so it weighs most. Aliases
/// weigh less than the title: they are many wordings in one field and belong to the whole
/// document, so they say which document answers, not which passage of it.
const HEADING_BOOST: f32 = 1.5;
const TITLE_BOOST: f32 = 1.0;
const ALIAS_BOOST: f32 = 0.7;
const BODY_BOOST: f32 = 1.0;
/// How far apart two consecutive question words may stand to earn the closeness bonus, and
/// what the bonus weighs against a single term match.
const PROXIMITY_SLOP: u32 = 3;
const PROXIMITY_BOOST: f32 = 0.5;
/// Alternatives of a multi-word synonym may have one extra word between their terms.
const SYNONYM_PHRASE_SLOP: u32 = 1;

/// One idea of the question: a term or a synonym group, with the ways it may be written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Concept {
    /// The first is the wording asked; the others are synonyms.
    pub alternatives: Vec<Phrase>,
    /// How specific the idea is: the BM25 inverse document frequency of the wording asked.
    pub weight: f32,
    /// How sure the wording asked is: 1 as typed, less for a corrected misspelling (the
    /// share of the word the member typed right).
    pub certainty: f32,
    /// How many times the question repeats it.
    pub count: u32,
}

impl Concept {
    /// The wording asked.
    pub fn asked(&self) -> &Phrase {
        &self.alternatives[0]
    }
}

/// A question turned into concepts.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    /// In question order.
    pub concepts: Vec<Concept>,
}

/// What planning needs from the index.
pub(crate) struct Planner<'a> {
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub synonyms: &'a SynonymTable,
}

/// A misspelt word's replacement.
struct Correction {
    /// The replacement's search term.
    term: String,
    doc_freq: u64,
    /// How many letters differ.
    edits: u8,
}

/// A searchable word of the question after spelling correction.
struct Word {
    text: String,
    position: usize,
    doc_freq: u64,
    certainty: f32,
}

impl Planner<'_> {
    /// Turns a question into concepts.
    pub fn plan(&self, analyzer: &mut Analyzer, question: &str) -> tantivy::Result<Plan> {
        let question = cut_chars(question, MAX_QUESTION_CHARS);
        let mut words = analyzer.words(question);
        // Correct misspellings first, so "insomina" still finds its synonyms.
        let mut searched: Vec<Option<Word>> = Vec::with_capacity(words.len());
        for term in &mut words {
            if term.stop {
                searched.push(None);
                continue;
            }
            let mut word = Word {
                text: term.text.clone(),
                position: term.position,
                doc_freq: self.doc_freq(&term.text)?,
                certainty: 1.0,
            };
            let correction = match word.doc_freq {
                0 => self.correct(analyzer, &term.word)?,
                _ => None,
            };
            if let Some(correction) = correction {
                term.text.clone_from(&correction.term);
                let chars = term.word.chars().count().max(1) as f32;
                word = Word {
                    text: correction.term,
                    doc_freq: correction.doc_freq,
                    certainty: 1.0 - f32::from(correction.edits) / chars,
                    ..word
                };
            }
            searched.push(Some(word));
        }
        let total = self.searcher.num_docs();
        let single = |word: &Word| Concept {
            alternatives: vec![Phrase(vec![(0, word.text.clone())])],
            weight: idf(word.doc_freq, total),
            certainty: word.certainty,
            count: 1,
        };
        let mut concepts: Vec<Concept> = Vec::new();
        let mut next = 0;
        for found in self.synonyms.find(&words) {
            for word in searched[next..found.start].iter().flatten() {
                add(&mut concepts, single(word));
            }
            let span = &searched[found.start..found.end];
            if let Some(concept) = self.group_concept(span, found.group, total)? {
                add(&mut concepts, concept);
            }
            next = found.end;
        }
        for word in searched[next..].iter().flatten() {
            add(&mut concepts, single(word));
        }
        if concepts.len() > MAX_CONCEPTS {
            let mut by_weight: Vec<f32> = concepts.iter().map(|c| c.weight).collect();
            by_weight.sort_by(|a, b| b.total_cmp(a));
            let cutoff = by_weight[MAX_CONCEPTS - 1];
            concepts.retain(|c| c.weight >= cutoff);
            concepts.truncate(MAX_CONCEPTS);
        }
        Ok(Plan { concepts })
    }

    /// The concept of a synonym group found in the question: the words asked first, then the
    /// group's other synonyms. Its weight is that of the words asked or, when they are all
    /// small words ("how much"), the mean weight of the synonyms searched instead.
    fn group_concept(
        &self,
        span: &[Option<Word>],
        group: usize,
        total: u64,
    ) -> tantivy::Result<Option<Concept>> {
        let asked: Vec<&Word> = span.iter().flatten().collect();
        let first = asked.first().map_or(0, |word| word.position);
        let asked_phrase = Phrase(
            asked
                .iter()
                .map(|word| (word.position - first, word.text.clone()))
                .collect(),
        );
        let mut alternatives = Vec::new();
        if !asked_phrase.is_empty() {
            alternatives.push(asked_phrase.clone());
        }
        for synonym in self.synonyms.group(group) {
            if !synonym.search.is_empty() && !alternatives.contains(&synonym.search) {
                alternatives.push(synonym.search.clone());
            }
        }
        if alternatives.is_empty() {
            return Ok(None);
        }
        let weight = if asked.is_empty() {
            let mut sum = 0.0;
            for phrase in &alternatives {
                sum += self.phrase_weight(phrase, total)?;
            }
            sum / alternatives.len() as f32
        } else {
            asked
                .iter()
                .map(|word| idf(word.doc_freq, total))
                .sum::<f32>()
                / asked.len() as f32
        };
        Ok(Some(Concept {
            alternatives,
            weight,
            certainty: asked.iter().map(|word| word.certainty).fold(1.0, f32::min),
            count: 1,
        }))
    }

    fn phrase_weight(&self, phrase: &Phrase, total: u64) -> tantivy::Result<f32> {
        let mut sum = 0.0;
        for term in phrase.terms() {
            sum += idf(self.doc_freq(term)?, total);
        }
        Ok(sum / phrase.0.len().max(1) as f32)
    }

    /// In how many passages the term appears, in the field where it is most common.
    fn doc_freq(&self, term: &str) -> tantivy::Result<u64> {
        let mut most = 0;
        for field in self.fields.text() {
            most = most.max(
                self.searcher
                    .doc_freq(&Term::from_field_text(field, term))?,
            );
        }
        Ok(most)
    }

    /// The known term closest to a word the index does not know: the word is matched against
    /// the index's unstemmed words, fewest edits first, then the most common, so a slip lands
    /// on the word most people mean; the correction is then stemmed like any word.
    fn correct(&self, analyzer: &mut Analyzer, word: &str) -> tantivy::Result<Option<Correction>> {
        let chars = word.chars().count();
        if chars < MIN_CORRECTABLE_CHARS {
            return Ok(None);
        }
        let max_edits = if chars >= TWO_EDIT_CHARS { 2 } else { 1 };
        for edits in 1..=max_edits {
            let fuzzy =
                FuzzyTermQuery::new(Term::from_field_text(self.fields.words, word), edits, true);
            let automaton = fuzzy.automaton()?;
            let mut best: Option<(String, u64)> = None;
            for segment in self.searcher.segment_readers() {
                let inverted = segment.inverted_index(self.fields.words)?;
                let mut stream = inverted.terms().search(&automaton).into_stream()?;
                while stream.advance() {
                    let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let doc_freq = u64::from(stream.value().doc_freq);
                    if best.as_ref().is_none_or(|(_, most)| doc_freq > *most) {
                        best = Some((candidate.to_string(), doc_freq));
                    }
                }
            }
            if let Some((corrected, _)) = best {
                let term = analyzer.stem(&corrected);
                let doc_freq = self.doc_freq(&term)?;
                return Ok(Some(Correction {
                    term,
                    doc_freq,
                    edits,
                }));
            }
        }
        Ok(None)
    }
}

/// Adds a concept, or counts it again when the question already has it.
fn add(concepts: &mut Vec<Concept>, concept: Concept) {
    match concepts.iter_mut().find(|c| c.asked() == concept.asked()) {
        Some(existing) => existing.count += 1,
        None => concepts.push(concept),
    }
}

/// BM25's inverse document frequency; a term in no passage gets the highest value.
pub(crate) fn idf(doc_freq: u64, total: u64) -> f32 {
    let (doc_freq, total) = (doc_freq as f32, total as f32);
    (1.0 + (total - doc_freq + 0.5) / (doc_freq + 0.5)).ln()
}

/// The tantivy query for a plan; `None` when the question has no searchable words.
pub(crate) fn build(plan: &Plan, fields: &Fields) -> Option<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for concept in &plan.concepts {
        let mut alternatives: Vec<Box<dyn Query>> = concept
            .alternatives
            .iter()
            .map(|phrase| phrase_in_fields(phrase, fields))
            .collect();
        let query: Box<dyn Query> = if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            Box::new(DisjunctionMaxQuery::new(alternatives))
        };
        let query: Box<dyn Query> = match concept.count {
            1 => query,
            count => Box::new(BoostQuery::new(query, count as f32)),
        };
        clauses.push((Occur::Should, query));
    }
    for pair in plan.concepts.windows(2) {
        let (Some(first), Some(second)) = (single_term(&pair[0]), single_term(&pair[1])) else {
            continue;
        };
        for field in [fields.heading, fields.body] {
            let terms = vec![
                (0, Term::from_field_text(field, first)),
                (1, Term::from_field_text(field, second)),
            ];
            let near = PhraseQuery::new_with_offset_and_slop(terms, PROXIMITY_SLOP);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(near), PROXIMITY_BOOST)),
            ));
        }
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn single_term(concept: &Concept) -> Option<&str> {
    match concept.asked().0.as_slice() {
        [(_, term)] => Some(term),
        _ => None,
    }
}

/// One wording searched in every text field, each field with its weight.
fn phrase_in_fields(phrase: &Phrase, fields: &Fields) -> Box<dyn Query> {
    let weighted = [
        (fields.heading, HEADING_BOOST),
        (fields.alias, ALIAS_BOOST),
        (fields.title, TITLE_BOOST),
        (fields.body, BODY_BOOST),
    ];
    let clauses = weighted
        .into_iter()
        .map(|(field, boost)| {
            let query = phrase_in(phrase, field);
            let boosted: Box<dyn Query> = Box::new(BoostQuery::new(query, boost));
            (Occur::Should, boosted)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

fn phrase_in(phrase: &Phrase, field: Field) -> Box<dyn Query> {
    match phrase.0.as_slice() {
        [(_, term)] => Box::new(TermQuery::new(
            Term::from_field_text(field, term),
            IndexRecordOption::WithFreqs,
        )),
        terms => Box::new(PhraseQuery::new_with_offset_and_slop(
            terms
                .iter()
                .map(|(offset, term)| (*offset, Term::from_field_text(field, term)))
                .collect(),
            SYNONYM_PHRASE_SLOP,
        )),
    }
}

/// The first `max` characters of `text`, cut on a character boundary.
pub fn cut_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_is_highest_for_unknown_terms() {
        assert!(idf(0, 100) > idf(1, 100));
        assert!(idf(1, 100) > idf(50, 100));
        assert!(idf(100, 100) > 0.0);
    }

    #[test]
    fn cut_chars_respects_character_boundaries() {
        assert_eq!(cut_chars("héllo", 2), "hé");
        assert_eq!(cut_chars("hi", 10), "hi");
        assert_eq!(cut_chars("😴😴😴", 1), "😴");
    }
}
