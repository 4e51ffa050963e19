//! Finding the question inside a member's message.
//!
//! Members write the way they talk: "so I've had a cold since monday, still a bit sniffly.
//! should I cancel my massage on thursday?", "is there anywhere to park? coming by car from
//! out of town". Read whole, the chat's words (days, places, feelings) outnumber the words
//! that carry the question, and neither the words nor the meaning point anywhere. Each
//! sentence is also a reading of the message; the engine tries the whole first and, when that
//! is not answered, the sentences, keeping the best supported.
//!
//! Sentences are cut by hand rather than by Unicode's sentence rules (UAX #29), because
//! those join ". should" when the next word is lowercase, and members rarely capitalise.

/// At most this many sentences of one message are tried on their own: each costs an
/// embedding, and a question hides in the first few sentences of a post, not the tenth.
pub(crate) const MAX_PARTS: usize = 6;
/// A sentence needs this many words to be read alone: "thanks!" or "hi." asks nothing.
const MIN_PART_WORDS: usize = 3;

/// The sentences of `message` worth reading alone, questions first, each as a slice of it;
/// empty when the message is one sentence (the whole is then the only reading).
pub(crate) fn parts(message: &str) -> Vec<&str> {
    let sentences: Vec<&str> = sentences(message)
        .into_iter()
        .filter(|sentence| sentence.split_whitespace().count() >= MIN_PART_WORDS)
        .collect();
    if sentences.len() < 2 {
        return Vec::new();
    }
    let (mut questions, statements): (Vec<&str>, Vec<&str>) = sentences
        .into_iter()
        .partition(|sentence| sentence.trim_end().ends_with('?'));
    questions.extend(statements);
    questions.truncate(MAX_PARTS);
    questions
}

/// The sentences of `text`: cut after `.`, `!` or `?` followed by a space, and at line ends.
fn sentences(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, next)| next);
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if ends {
            let end = at + c.len_utf8();
            push(&mut found, &text[start..end]);
            start = end;
        }
    }
    push(&mut found, &text[start..]);
    found
}

fn push<'t>(found: &mut Vec<&'t str>, sentence: &'t str) {
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        found.push(sentence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_cut_at_stops_lowercase_or_not_and_at_line_ends() {
        assert_eq!(
            sentences("so I've had a cold. should I cancel? ok\nthanks!!"),
            vec!["so I've had a cold.", "should I cancel?", "ok", "thanks!!"]
        );
        // A stop inside a word or number is not the end of a sentence.
        assert_eq!(
            sentences("it costs $9.50 at 5.30pm"),
            vec!["it costs $9.50 at 5.30pm"]
        );
    }

    #[test]
    fn questions_are_read_first_and_greetings_not_at_all() {
        assert_eq!(
            parts("Hi! Coming by car from out of town. Is there anywhere to park? Thanks"),
            vec![
                "Is there anywhere to park?",
                "Coming by car from out of town."
            ]
        );
    }

    #[test]
    fn one_sentence_is_read_only_whole() {
        assert!(parts("can massage help me sleep?").is_empty());
        assert!(parts("can massage help me sleep? thanks!").is_empty());
    }

    #[test]
    fn a_long_post_is_read_in_a_bounded_number_of_parts() {
        let post = "This is a sentence here. ".repeat(40);
        assert_eq!(parts(&post).len(), MAX_PARTS);
    }
}
