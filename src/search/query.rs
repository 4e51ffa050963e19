//! The query pipeline: from a member's words to a tantivy query, without a query language.
//!
//! Members type anything: quotes, `AND`, `*`, emoji, a pasted essay. None of it is syntax
//! here: the question is analysed like the knowledge, misspelt words are corrected against the
//! index's own vocabulary, synonym groups are applied, and the query is built from typed
//! tantivy queries. So it can never fail to parse.
//!
//! Each distinct idea in the question (a term, or a synonym group) is a [`Concept`], scored by
//! BM25 over the passage's text, plus its heading, alternative questions and title, each with
//! its own weight.

use tantivy::query::{
    BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::analysis::Analyzer;
use super::index::Fields;
use super::synonyms::{Phrase, SynonymTable};
use crate::knowledge::cut_at_word;

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

/// Field weights, added to the content's own score (which already holds title and heading).
/// The heading is the question a passage answers, so it weighs most. Aliases are many
/// wordings in one field and belong to the whole document, so they say which document
/// answers, not which passage of it. The title weighs least: it is shared by all of a
/// document's passages. Set on the golden questions and SciFact's train split together: a
/// title weight of 1 cost SciFact 0.02 nDCG@10, and 0.3 lost one golden question.
const CONTENT_BOOST: f32 = 1.0;
const HEADING_BOOST: f32 = 1.5;
const TITLE_BOOST: f32 = 0.6;
const ALIAS_BOOST: f32 = 0.7;
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
    /// No passage uses the wording asked (nor, when corrected, its correction): a word from
    /// outside the knowledge's world, such as "dentist" or "Netflix".
    pub unknown: bool,
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
    /// The question with its misspellings corrected, as the engine understood it; `None`
    /// when nothing was corrected. This is what is embedded: the model has no spelling
    /// correction, and "theraputic masage" embeds as other words.
    pub understood: Option<String>,
}

impl Plan {
    /// The text to match by meaning: the question as understood.
    pub fn understood<'q>(&'q self, question: &'q str) -> &'q str {
        self.understood.as_deref().unwrap_or(question)
    }
}

/// What planning needs from the index.
pub(crate) struct Planner<'a> {
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub synonyms: &'a SynonymTable,
}

/// A misspelt word's replacement.
struct Correction {
    /// The replacement as written in the knowledge.
    word: String,
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
        let question = cut_at_word(question, MAX_QUESTION_CHARS);
        let mut words = analyzer.words(question);
        // Correct misspellings first, so "insomina" still finds its synonyms.
        let mut searched: Vec<Option<Word>> = Vec::with_capacity(words.len());
        let mut corrections: Vec<(std::ops::Range<usize>, String)> = Vec::new();
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
                corrections.push((term.span.clone(), correction.word));
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
            unknown: word.doc_freq == 0,
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
        Ok(Plan {
            concepts,
            understood: corrected(question, &corrections),
        })
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
            unknown: false,
        }))
    }

    fn phrase_weight(&self, phrase: &Phrase, total: u64) -> tantivy::Result<f32> {
        let mut sum = 0.0;
        for term in phrase.terms() {
            sum += idf(self.doc_freq(term)?, total);
        }
        Ok(sum / phrase.0.len().max(1) as f32)
    }

    /// In how many passages the term appears: in their text or, for a word only the
    /// alternative wordings use, in those.
    fn doc_freq(&self, term: &str) -> tantivy::Result<u64> {
        let in_content = self
            .searcher
            .doc_freq(&Term::from_field_text(self.fields.content, term))?;
        if in_content > 0 {
            return Ok(in_content);
        }
        self.searcher
            .doc_freq(&Term::from_field_text(self.fields.alias, term))
    }

    /// The known term closest to a word the index does not know: the word is matched against
    /// the index's unstemmed words, fewest edits first, then the most common, so a slip lands
    /// on the word most people mean; the correction is then stemmed like any word.
    ///
    /// Only words with the same first letter are considered, as Lucene's spell checker does
    /// by default: first letters are rarely mistyped, and it cuts the dictionary walked to
    /// one letter's words. Words with digits are codes or quantities, never corrected.
    fn correct(&self, analyzer: &mut Analyzer, word: &str) -> tantivy::Result<Option<Correction>> {
        let chars = word.chars().count();
        if chars < MIN_CORRECTABLE_CHARS || word.chars().any(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        let Some((from, to)) = first_letter_range(word) else {
            return Ok(None);
        };
        let max_edits = if chars >= TWO_EDIT_CHARS { 2 } else { 1 };
        for edits in 1..=max_edits {
            let fuzzy =
                FuzzyTermQuery::new(Term::from_field_text(self.fields.words, word), edits, true);
            let automaton = fuzzy.automaton()?;
            let mut best: Option<(String, u64)> = None;
            for segment in self.searcher.segment_readers() {
                let inverted = segment.inverted_index(self.fields.words)?;
                let mut stream = inverted
                    .terms()
                    .search(&automaton)
                    .ge(&from)
                    .lt(&to)
                    .into_stream()?;
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
                    word: corrected,
                    term,
                    doc_freq,
                    edits,
                }));
            }
        }
        Ok(None)
    }
}

/// `question` with each corrected word's bytes replaced by its correction; `None` when there
/// is none.
fn corrected(question: &str, corrections: &[(std::ops::Range<usize>, String)]) -> Option<String> {
    if corrections.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(question.len() + 16);
    let mut from = 0;
    for (span, word) in corrections {
        // Spans come from the same text in order; one that does not fit is skipped.
        let Some(before) = question.get(from..span.start) else {
            continue;
        };
        text.push_str(before);
        text.push_str(word);
        from = span.end;
    }
    text.push_str(question.get(from..).unwrap_or_default());
    Some(text)
}

/// The byte range of the words starting with `word`'s first letter: from the letter's UTF-8
/// bytes up to (not including) the same bytes with the last one raised by one.
fn first_letter_range(word: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let first = word.chars().next()?;
    let mut from = [0u8; 4];
    let from = first.encode_utf8(&mut from).as_bytes().to_vec();
    let mut to = from.clone();
    // The last byte of a UTF-8 character is at most 0xBF, so it can always be raised.
    *to.last_mut()? += 1;
    Some((from, to))
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

/// The fields a question's words are scored in, each with its weight: what
/// [`build`] searches. Fields no passage uses are left out, as searching them costs time and
/// finds nothing.
#[derive(Debug, Clone)]
pub(crate) struct Weights(Vec<(Field, f32)>);

impl Weights {
    /// The weights of the fields that hold text in `searcher`'s index.
    pub fn of_index(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Weights> {
        let all = [
            (fields.content, CONTENT_BOOST),
            (fields.heading, HEADING_BOOST),
            (fields.alias, ALIAS_BOOST),
            (fields.title, TITLE_BOOST),
        ];
        let mut used = Vec::with_capacity(all.len());
        for (field, boost) in all {
            let mut tokens = 0;
            for segment in searcher.segment_readers() {
                tokens += segment.inverted_index(field)?.total_num_tokens();
            }
            if tokens > 0 {
                used.push((field, boost));
            }
        }
        Ok(Weights(used))
    }

    /// Whether `field` is searched: some passage has text in it.
    pub fn has(&self, field: Field) -> bool {
        self.0.iter().any(|&(searched, _)| searched == field)
    }
}

/// The tantivy query for a plan; `None` when the question has no searchable words.
///
/// Each idea adds its wording's clauses, one per field with its weight (a synonym group
/// searches every wording and keeps the best), and a passage's score is their sum. The sum is
/// asked of a disjunction with a tie-breaker of 1 rather than of a boolean query because the
/// boolean query of terms runs block-max WAND, whose bookkeeping pays off on millions of
/// documents but costs more than it skips on a knowledge base's thousands: measured on
/// SciFact (5,183 passages), 4,434 against 7,427 questions a second, with the same ranking.
pub(crate) fn build(plan: &Plan, weights: &Weights) -> Option<Box<dyn Query>> {
    let mut clauses: Vec<Box<dyn Query>> = Vec::new();
    for concept in &plan.concepts {
        let repeated = concept.count as f32;
        match concept.alternatives.as_slice() {
            [phrase] => {
                for &(field, boost) in &weights.0 {
                    clauses.push(Box::new(BoostQuery::new(
                        phrase_in(phrase, field),
                        boost * repeated,
                    )));
                }
            }
            alternatives => {
                let alternatives: Vec<Box<dyn Query>> = alternatives
                    .iter()
                    .map(|phrase| phrase_in_fields(phrase, weights))
                    .collect();
                let best: Box<dyn Query> = Box::new(DisjunctionMaxQuery::new(alternatives));
                clauses.push(Box::new(BoostQuery::new(best, repeated)));
            }
        }
    }
    if clauses.is_empty() {
        return None;
    }
    Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(
        clauses, 1.0,
    )))
}

/// One wording searched in every field, each field with its weight, summed.
fn phrase_in_fields(phrase: &Phrase, weights: &Weights) -> Box<dyn Query> {
    let clauses = weights
        .0
        .iter()
        .map(|&(field, boost)| -> Box<dyn Query> {
            Box::new(BoostQuery::new(phrase_in(phrase, field), boost))
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(clauses, 1.0))
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

/// Consecutive ideas of the question asked in one word each, as their two terms and the
/// pair's weight: the pairs whose closeness in a passage counts. A pair weighs as its more
/// specific word, since "massage session" together says more than "session" alone.
pub(crate) fn consecutive_terms(plan: &Plan) -> Vec<(&str, &str, f32)> {
    plan.concepts
        .windows(2)
        .filter_map(|pair| {
            let (first, second) = (single(&pair[0])?, single(&pair[1])?);
            Some((first, second, pair[0].weight.max(pair[1].weight)))
        })
        .collect()
}

/// The term of a concept asked in one word.
fn single(concept: &Concept) -> Option<&str> {
    match concept.asked().0.as_slice() {
        [(_, term)] => Some(term),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_replace_the_words_they_correct() {
        let question = "theraputic masage, what happens?";
        let fixes = vec![
            (0..10, "therapeutic".to_string()),
            (11..17, "massage".to_string()),
        ];
        assert_eq!(
            corrected(question, &fixes).as_deref(),
            Some("therapeutic massage, what happens?")
        );
        assert_eq!(corrected(question, &[]), None);
    }

    #[test]
    fn idf_is_highest_for_unknown_terms() {
        assert!(idf(0, 100) > idf(1, 100));
        assert!(idf(1, 100) > idf(50, 100));
        assert!(idf(100, 100) > 0.0);
    }

    #[test]
    fn first_letter_range_spans_one_letter() {
        assert_eq!(
            first_letter_range("massage"),
            Some((b"m".to_vec(), b"n".to_vec()))
        );
        let (from, to) = first_letter_range("épaule").unwrap_or_default();
        assert!(from.as_slice() < "épaule".as_bytes() && "épaule".as_bytes() < to.as_slice());
        assert!("f".as_bytes() < from.as_slice() || to.as_slice() <= "f".as_bytes());
        assert_eq!(first_letter_range(""), None);
    }
}
