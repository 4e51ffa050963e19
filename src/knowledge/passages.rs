//! Cutting a section into passages: the pieces the search ranks and the bot quotes.
//!
//! A short section is one passage. A long one is cut between paragraphs into groups that fit
//! [`MAX_PASSAGE_CHARS`]; a single paragraph longer than that is cut between sentences, then
//! words, then characters, so no passage is ever longer. Small
//! passages rank more precisely (the answer is the paragraph about arms, not the whole page)
//! and fit a chat message.

use unicode_segmentation::UnicodeSegmentation;

use super::markdown::collapse_spaces;
use super::outline::{Block, Section};

/// About 130 words: one screen of a phone's chat, and well under Discord's 4,096-character
/// embed limit once a heading, sources and a disclaimer are added around it.
pub const MAX_PASSAGE_CHARS: usize = 800;

/// Headings and titles longer than this are cut (between words): a heading is a question or
/// a topic, and a pasted paragraph in a heading line would otherwise be indexed and shown
/// whole as an embed's title.
pub const MAX_HEADING_CHARS: usize = 300;

/// The start of `text` of at most `max` characters, ending between words: a cut word would
/// search for a different word ("sleep" cut to "slee") and change the answer. Only a single
/// word longer than `max` is cut inside.
pub fn cut_at_word(text: &str, max: usize) -> &str {
    let Some((end, next)) = text.char_indices().nth(max) else {
        return text;
    };
    let head = &text[..end];
    if !next.is_alphanumeric() {
        return head;
    }
    match head.rfind(|c: char| !c.is_alphanumeric()) {
        Some(boundary) => head[..boundary].trim_end(),
        None => head,
    }
}

/// The text of one passage, before the document's metadata is attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    /// 1-based line the passage starts on.
    pub line: usize,
    /// As written, for display.
    pub text: String,
    /// Words only, for the index.
    pub plain: String,
}

/// Cuts one section into pieces no longer than `max_chars`.
pub(crate) fn split(section: &Section, max_chars: usize) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut current: Option<Piece> = None;
    for block in section
        .blocks
        .iter()
        .flat_map(|block| fit(block, max_chars))
    {
        match current.as_mut() {
            Some(piece)
                if piece.text.chars().count() + 2 + block.text.chars().count() <= max_chars =>
            {
                piece.text.push_str("\n\n");
                piece.text.push_str(&block.text);
                piece.plain.push(' ');
                piece.plain.push_str(&block.plain);
            }
            _ => {
                pieces.extend(current.take());
                current = Some(Piece {
                    line: block.line,
                    text: block.text,
                    plain: block.plain,
                });
            }
        }
    }
    pieces.extend(current);
    // The first passage of a section cites the heading's line: that is where staff look.
    if let (Some(first), Some(_)) = (pieces.first_mut(), section.heading.as_ref()) {
        first.line = section.line;
    }
    pieces
}

/// A block as one or more pieces that each fit: cut between sentences, a sentence too long
/// for a passage between words, and a word too long (a pasted string with no spaces) between
/// characters. No piece is ever longer than `max_chars`.
fn fit(block: &Block, max_chars: usize) -> Vec<Block> {
    if block.text.chars().count() <= max_chars {
        return vec![block.clone()];
    }
    let mut parts: Vec<String> = Vec::new();
    let mut part = String::new();
    let mut part_chars = 0;
    for unit in units(&block.text, max_chars) {
        let unit_chars = unit.chars().count();
        if part_chars + unit_chars > max_chars && !part.is_empty() {
            parts.push(std::mem::take(&mut part));
            part_chars = 0;
        }
        part.push_str(unit);
        part_chars += unit_chars;
    }
    parts.push(part);
    parts
        .into_iter()
        .map(|part| {
            let text = part.trim().to_string();
            Block {
                line: block.line,
                plain: collapse_spaces(&text),
                text,
            }
        })
        .filter(|block| !block.text.is_empty())
        .collect()
}

/// The pieces of `text` in order, each at most `max_chars` long: its sentences, with the
/// longer ones broken into words and the longer words into characters.
fn units(text: &str, max_chars: usize) -> impl Iterator<Item = &str> {
    text.split_sentence_bounds().flat_map(move |sentence| {
        let words: Box<dyn Iterator<Item = &str>> = if sentence.chars().count() <= max_chars {
            Box::new(std::iter::once(sentence))
        } else {
            Box::new(sentence.split_word_bounds())
        };
        words.flat_map(move |word| chunks(word, max_chars))
    })
}

/// `word` cut into runs of at most `max_chars` characters (one run when it fits).
fn chunks(word: &str, max_chars: usize) -> impl Iterator<Item = &str> {
    let max_chars = max_chars.max(1);
    let mut rest = word;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .char_indices()
            .nth(max_chars)
            .map_or(rest.len(), |(end, _)| end);
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(line: usize, text: &str) -> Block {
        Block {
            line,
            text: text.to_string(),
            plain: text.to_string(),
        }
    }

    fn section(blocks: Vec<Block>) -> Section {
        Section {
            heading: Some("Heading?".into()),
            line: 1,
            blocks,
        }
    }

    #[test]
    fn short_section_is_one_passage_citing_the_heading() {
        let pieces = split(&section(vec![block(3, "One."), block(5, "Two.")]), 100);
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].text, "One.\n\nTwo.");
        assert_eq!(pieces[0].plain, "One. Two.");
        assert_eq!(pieces[0].line, 1);
    }

    #[test]
    fn long_section_is_cut_between_paragraphs() {
        let a = "a".repeat(60);
        let b = "b".repeat(60);
        let c = "c".repeat(30);
        let pieces = split(
            &section(vec![block(3, &a), block(5, &b), block(7, &c)]),
            100,
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].text, a);
        assert_eq!(pieces[1].text, format!("{b}\n\n{c}"));
        assert_eq!(pieces[1].line, 5);
    }

    #[test]
    fn long_paragraph_is_cut_between_sentences() {
        let sentence = "This sentence has some words in it. ";
        let paragraph = sentence.repeat(10);
        let pieces = split(&section(vec![block(3, paragraph.trim())]), 100);
        assert!(pieces.len() >= 4, "{pieces:?}");
        for piece in &pieces {
            assert!(piece.text.chars().count() <= 100, "{piece:?}");
            assert!(piece.text.ends_with("in it."), "{piece:?}");
        }
    }

    /// Before: a paragraph with no sentence break, or no space at all, stayed one passage of
    /// any size (800,009 characters from one pasted string).
    #[test]
    fn no_passage_is_longer_than_the_limit_whatever_the_text() {
        let no_breaks = "word ".repeat(2_000);
        let no_spaces = "é".repeat(50_000);
        for text in [no_breaks.trim(), no_spaces.as_str()] {
            let pieces = split(&section(vec![block(3, text)]), 100);
            assert!(pieces.len() > 10, "{}", pieces.len());
            for piece in &pieces {
                assert!(piece.text.chars().count() <= 100, "{}", piece.text.len());
            }
            let joined: String = pieces.iter().map(|p| p.text.replace(' ', "")).collect();
            assert_eq!(joined, text.replace(' ', ""), "nothing is lost");
        }
        let words = split(&section(vec![block(3, no_breaks.trim())]), 100);
        assert!(
            words
                .iter()
                .all(|p| p.text.starts_with("word") && p.text.ends_with("word"))
        );
    }

    #[test]
    fn cuts_fall_between_words() {
        assert_eq!(
            cut_at_word("can massage help me sleep", 23),
            "can massage help me"
        );
        assert_eq!(
            cut_at_word("can massage help me sleep", 20),
            "can massage help me"
        );
        assert_eq!(
            cut_at_word("can massage help me sleep", 19),
            "can massage help me"
        );
        assert_eq!(cut_at_word("short", 10), "short");
        assert_eq!(cut_at_word("abcdefghij", 4), "abcd");
        assert_eq!(cut_at_word("héllo wörld", 9), "héllo");
    }
}
