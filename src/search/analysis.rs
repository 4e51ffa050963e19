//! How text becomes search terms, the same way for knowledge and for questions.
//!
//! Words are lowercased, accents folded, common English words dropped and the rest stemmed
//! (Porter2), so "Sleeping", "sleeps" and "sleep" meet. The stop-word list is longer than
//! Lucene's because questions are full of words that say nothing about the topic ("how",
//! "should", "my"), and chat adds its own ("hi", "pls", "thx").

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TextAnalyzerBuilder, TokenStream, Tokenizer,
};

/// The analyzer of the scored text fields: words stemmed.
pub(crate) const STEMMED: &str = "faqbot_english";
/// The analyzer of the spelling field: whole words, so a slip is corrected against the word
/// members meant ("durng" is one edit from "during", but two from its stem "dure").
pub(crate) const SURFACE: &str = "faqbot_words";

/// Longer "words" are pasted links or base64, never something a member asks about.
const MAX_TOKEN_BYTES: usize = 40;

/// Words that carry no topic in a question or an answer. Lucene's English list, plus question
/// words, pronouns, auxiliaries, contraction pieces ("don't" splits into "don" and "t") and
/// chat filler. Words that change what is asked ("after", "before", "during", "long",
/// "often", "first") are deliberately kept.
const STOP_WORDS: &[&str] = &[
    // Lucene's list
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "for",
    "if",
    "in",
    "into",
    "is",
    "it",
    "no",
    "not",
    "of",
    "on",
    "or",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "was",
    "will",
    "with",
    // question words and auxiliaries
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "do",
    "does",
    "did",
    "doing",
    "done",
    "have",
    "has",
    "had",
    "having",
    "am",
    "been",
    "being",
    "were",
    "can",
    "could",
    "should",
    "would",
    "shall",
    "may",
    "might",
    "must",
    "ought",
    // pronouns and determiners
    "i",
    "me",
    "my",
    "mine",
    "myself",
    "we",
    "us",
    "our",
    "ours",
    "you",
    "your",
    "yours",
    "yourself",
    "he",
    "him",
    "his",
    "she",
    "her",
    "hers",
    "its",
    "them",
    "those",
    "any",
    "some",
    "each",
    "every",
    "all",
    "both",
    "either",
    "own",
    "same",
    "other",
    "another",
    // small words
    "about",
    "from",
    "so",
    "than",
    "too",
    "very",
    "just",
    "also",
    "only",
    "here",
    "much",
    "many",
    "lot",
    "lots",
    "really",
    "even",
    "still",
    "ever",
    "etc",
    "because",
    "since",
    "though",
    "although",
    "whether",
    "while",
    "yet",
    "via",
    "per",
    "one",
    "ones",
    // hedges and fillers that say how, not what, a member asks
    "actually",
    "honestly",
    "basically",
    "literally",
    "seriously",
    "probably",
    "maybe",
    "perhaps",
    "definitely",
    "certainly",
    "usually",
    "normally",
    "generally",
    "always",
    "sometimes",
    "completely",
    "totally",
    "quite",
    "rather",
    "pretty",
    "kind",
    "kinda",
    "sort",
    "sorta",
    "thing",
    "things",
    "stuff",
    "something",
    "anything",
    "everything",
    "nothing",
    "somebody",
    "anybody",
    "everyone",
    "everybody",
    "way",
    "bit",
    "able",
    "possible",
    "supposed",
    "allowed",
    "sure",
    "idea",
    "wonder",
    "curious",
    "mean",
    "think",
    "guess",
    "say",
    "said",
    "let",
    "lets",
    "good",
    "nice",
    "great",
    "best",
    "fine",
    // contraction pieces
    "s",
    "t",
    "d",
    "ll",
    "m",
    "re",
    "ve",
    "don",
    "doesn",
    "didn",
    "isn",
    "aren",
    "wasn",
    "weren",
    "won",
    "wouldn",
    "shouldn",
    "couldn",
    "cant",
    "dont",
    "im",
    "ive",
    "whats",
    // chat
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "thx",
    "pls",
    "please",
    "ok",
    "okay",
    "u",
    "ur",
    "r",
    "ya",
    "yeah",
    "yes",
    "hmm",
    "um",
    "guys",
    "anyone",
    "someone",
    "know",
    "tell",
    "wondering",
    "question",
    "wanted",
    "want",
    "wants",
    "need",
    "needs",
    "like",
    "get",
    "gets",
    "getting",
    "got",
    "go",
    "goes",
    "going",
    "gonna",
    "wanna",
    "gotta",
    "lol",
    "tho",
    "plz",
    "ty",
];

/// Words as members write them, lowercased and accent-folded, stop words included.
fn all_words() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
}

/// Words as members write them, without stop words: everything but stemming.
fn words() -> TextAnalyzerBuilder<impl Tokenizer> {
    all_words().filter(StopWordFilter::remove(
        STOP_WORDS.iter().map(|word| (*word).to_string()),
    ))
}

/// The analyzer of the spelling field.
pub(crate) fn surface() -> TextAnalyzer {
    words().build()
}

/// The words of [`surface`], stemmed (Porter2): what the scored fields hold.
pub(crate) fn stemmed() -> TextAnalyzer {
    words().filter(Stemmer::new(Language::English)).build()
}

/// A search term and where it came from in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnalyzedTerm {
    /// The stemmed, lowercased term as indexed.
    pub text: String,
    /// The word before stemming, for spelling correction.
    pub word: String,
    /// Word position, counting dropped stop words, so phrases keep their gaps.
    pub position: usize,
    /// A stop word: matched in synonym phrases ("how much"), never searched.
    pub stop: bool,
    /// Where the word stands in the text, in bytes.
    pub span: std::ops::Range<usize>,
}

/// Turns text into search terms. Cheap to clone; one per thread.
#[derive(Clone)]
pub(crate) struct Analyzer {
    words: TextAnalyzer,
    /// The same words stemmed, in the same order: one stemmer per text, as a stemmer per word
    /// cost a fifth of a question's time.
    stemmed_words: TextAnalyzer,
    stemmer: TextAnalyzer,
    stop_words: std::sync::Arc<std::collections::HashSet<&'static str>>,
}

impl Analyzer {
    /// The analyzer for questions, synonyms and passages.
    pub fn new() -> Self {
        Analyzer {
            words: all_words().build(),
            stemmed_words: all_words().filter(Stemmer::new(Language::English)).build(),
            stop_words: std::sync::Arc::new(STOP_WORDS.iter().copied().collect()),
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        }
    }

    /// The search terms of `text`, in order: what the index holds for it.
    pub fn terms(&mut self, text: &str) -> Vec<AnalyzedTerm> {
        let mut terms = self.words(text);
        terms.retain(|term| !term.stop);
        terms
    }

    /// Every word of `text`, stop words marked, in order.
    pub fn words(&mut self, text: &str) -> Vec<AnalyzedTerm> {
        let mut words = Vec::new();
        {
            let mut stream = self.words.token_stream(text);
            while let Some(token) = stream.next() {
                words.push((
                    token.text.clone(),
                    token.position,
                    token.offset_from..token.offset_to,
                ));
            }
        }
        let mut stems = Vec::with_capacity(words.len());
        {
            let mut stream = self.stemmed_words.token_stream(text);
            while let Some(token) = stream.next() {
                stems.push(token.text.clone());
            }
        }
        // Stemming keeps every token, so the two lists line up; should they ever not, each
        // word is stemmed on its own.
        if stems.len() != words.len() {
            stems = words.iter().map(|(word, ..)| self.stem(word)).collect();
        }
        words
            .into_iter()
            .zip(stems)
            .map(|((word, position, span), text)| AnalyzedTerm {
                text,
                stop: self.stop_words.contains(word.as_str()),
                word,
                position,
                span,
            })
            .collect()
    }

    /// Where in `text` the words whose stem is in `stems` stand, as byte ranges.
    pub fn spans_of(
        &mut self,
        text: &str,
        stems: &std::collections::HashSet<&str>,
    ) -> Vec<std::ops::Range<usize>> {
        let mut words = Vec::new();
        {
            let mut stream = self.words.token_stream(text);
            while let Some(token) = stream.next() {
                words.push((token.text.clone(), token.offset_from..token.offset_to));
            }
        }
        let mut spans = Vec::new();
        for (word, range) in words {
            if !self.stop_words.contains(word.as_str()) && stems.contains(self.stem(&word).as_str())
            {
                spans.push(range);
            }
        }
        spans
    }

    /// The stem of one lowercased word.
    pub fn stem(&mut self, word: &str) -> String {
        let mut stream = self.stemmer.token_stream(word);
        match stream.next() {
            Some(token) => token.text.clone(),
            None => word.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Analyzer::new()
            .terms(text)
            .into_iter()
            .map(|term| term.text)
            .collect()
    }

    #[test]
    fn questions_lose_their_question_words_and_are_stemmed() {
        assert_eq!(
            words("What happens during a therapeutic massage?"),
            vec!["happen", "dure", "therapeut", "massag"]
        );
        assert_eq!(words("Can't SLEEP, pls help!!"), vec!["sleep", "help"]);
    }

    #[test]
    fn accents_are_folded_and_emoji_dropped() {
        assert_eq!(words("Café 😴 massage"), vec!["cafe", "massag"]);
    }

    #[test]
    fn positions_keep_gaps_of_dropped_words() {
        let terms = Analyzer::new().terms("trouble with sleeping");
        assert_eq!(terms[0].position + 2, terms[1].position);
    }

    #[test]
    fn surface_words_are_kept_beside_stems() {
        let terms = Analyzer::new().terms("Durng sleeping");
        assert_eq!(terms[0].word, "durng");
        assert_eq!(terms[1].word, "sleeping");
        assert_eq!(terms[1].text, "sleep");
    }

    #[test]
    fn index_and_question_analysis_agree() {
        let text = "Therapists' techniques: kneading, gliding & stretching!";
        let mut indexed = Vec::new();
        let mut analyzer = stemmed();
        let mut stream = analyzer.token_stream(text);
        while let Some(token) = stream.next() {
            indexed.push(token.text.clone());
        }
        assert_eq!(words(text), indexed);
    }

    #[test]
    fn typos_stem_close_to_the_real_word() {
        assert_eq!(words("theraputic masage"), vec!["theraput", "masag"]);
    }
}
