//! How text becomes search terms, the same way for knowledge and for questions.
//!
//! Words are lowercased, accents folded, common English words dropped and the rest stemmed
//! (Porter2), so "Sleeping", "sleeps" and "sleep" meet. The stop-word list is longer than
//! Lucene's because questions are full of words that say nothing about the topic ("how",
//! "should", "my"), and chat adds its own ("hi", "pls", "thx").

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};

/// The name the analyzer is registered under in the index.
pub(crate) const ANALYZER_NAME: &str = "faqbot_english";

/// Longer "words" are pasted links or base64, never something a member asks about.
const MAX_TOKEN_BYTES: usize = 40;

/// Words that carry no topic in a question or an answer. Lucene's English list, plus question
/// words, pronouns, auxiliaries, contraction pieces ("don't" splits into "don" and "t") and
/// chat filler. Words that change what is asked ("after", "before", "during", "long",
/// "often", "first") are deliberately kept.
const STOP_WORDS: &[&str] = &[
    // Lucene's list
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
    // question words and auxiliaries
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does",
    "did", "doing", "done", "have", "has", "had", "having", "am", "been", "being", "were",
    "can", "could", "should", "would", "shall", "may", "might", "must", "ought",
    // pronouns and determiners
    "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you", "your", "yours",
    "yourself", "he", "him", "his", "she", "her", "hers", "its", "them", "those", "any",
    "some", "each", "every", "all", "both", "either", "own", "same", "other", "another",
    // small words
    "about", "from", "so", "than", "too", "very", "just", "also", "only", "there's", "here",
    "much", "many", "lot", "lots", "really", "even", "still", "ever", "etc",
    // contraction pieces
    "s", "t", "d", "ll", "m", "re", "ve", "don", "doesn", "didn", "isn", "aren", "wasn",
    "weren", "won", "wouldn", "shouldn", "couldn", "cant", "dont", "im", "ive", "whats",
    // chat
    "hi", "hello", "hey", "thanks", "thank", "thx", "pls", "please", "ok", "okay", "u", "ur",
    "r", "ya", "yeah", "yes", "hmm", "um", "guys", "anyone", "someone", "know", "tell",
    "wondering", "question", "wanted", "want", "need", "like", "get", "got", "go", "going",
];

/// The analyzer used for every text field and every question.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|word| (*word).to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// A search term and its word position in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnalyzedTerm {
    /// The stemmed, lowercased term as indexed.
    pub text: String,
    /// Word position, counting dropped stop words, so phrases keep their gaps.
    pub position: usize,
}

/// The terms of `text`, in order.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalyzedTerm> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while let Some(token) = stream.next() {
        terms.push(AnalyzedTerm {
            text: token.text.clone(),
            position: token.position,
        });
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        analyze(&mut analyzer(), text)
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
        let terms = analyze(&mut analyzer(), "trouble with sleeping");
        assert_eq!(terms[0].position + 2, terms[1].position);
    }

    #[test]
    fn typos_stem_close_to_the_real_word() {
        assert_eq!(words("theraputic masage"), vec!["theraput", "masag"]);
    }
}
