//! Cutting a section into passages: the pieces the search ranks and the bot quotes.
//!
//! A short section is one passage. A long one is cut between paragraphs into groups that fit
//! [`MAX_PASSAGE_CHARS`]; a single paragraph longer than that is cut between sentences. Small
//! passages rank more precisely (the answer is the paragraph about arms, not the whole page)
//! and fit a chat message.

use unicode_segmentation::UnicodeSegmentation;

use super::markdown::collapse_spaces;
use super::outline::{Block, Section};

/// About 130 words: one screen of a phone's chat, and well under Discord's 4,096-character
/// embed limit once a heading, sources and a disclaimer are added around it.
pub const MAX_PASSAGE_CHARS: usize = 800;

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

/// Cuts one section into pieces no longer than `max_chars` (unless one sentence is longer).
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

/// A block as one or more pieces that each fit, cut between sentences.
fn fit(block: &Block, max_chars: usize) -> Vec<Block> {
    if block.text.chars().count() <= max_chars {
        return vec![block.clone()];
    }
    let mut parts: Vec<String> = Vec::new();
    for sentence in block.text.split_sentence_bounds() {
        match parts.last_mut() {
            Some(part) if part.chars().count() + sentence.chars().count() <= max_chars => {
                part.push_str(sentence);
            }
            _ => parts.push(sentence.to_string()),
        }
    }
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
}
