//! Plain-text knowledge files, as staff paste them from a website.
//!
//! Such text has no markup, so structure is read from its shape: blank lines separate
//! paragraphs; a first line ending in `?` is the question the file answers; a short line that
//! reads like a title and is followed by text is a heading; a byline such as "Answered by ..."
//! is about the text, not part of it.

use super::markdown::collapse_spaces;
use super::outline::{Block, Outline};

/// A heading is a line a reader takes in at a glance; longer lines are sentences.
const MAX_HEADING_CHARS: usize = 90;
const MAX_HEADING_WORDS: usize = 12;
/// A question line longer than this is a paragraph that happens to end in `?`.
const MAX_QUESTION_CHARS: usize = 200;

/// Words that open a byline, lowercased.
const BYLINE_OPENERS: &[&str] = &[
    "answered by ",
    "written by ",
    "posted by ",
    "reviewed by ",
    "medically reviewed by ",
    "by ",
];

/// Reads a plain-text body whose first line is line `first_line` of the file.
pub(crate) fn read(body: &str, first_line: usize) -> Outline {
    let paragraphs = paragraphs(body, first_line);
    let mut outline = Outline::default();
    for (index, paragraph) in paragraphs.iter().enumerate() {
        let single_line = paragraph.lines.len() == 1;
        let line_text = paragraph.lines[0].trim();
        let followed_by_text = paragraphs.get(index + 1).is_some();
        if single_line && index == 0 && is_question(line_text) {
            outline.title = Some(line_text.to_string());
            outline.open_section(Some(line_text.to_string()), paragraph.line);
        } else if single_line && outline.author.is_none() && is_byline(line_text) {
            outline.author = Some(byline_name(line_text));
        } else if single_line && followed_by_text && is_heading(line_text) {
            outline.open_section(Some(line_text.to_string()), paragraph.line);
        } else {
            let text = paragraph
                .lines
                .iter()
                .map(|line| line.trim())
                .collect::<Vec<_>>()
                .join("\n");
            outline.push_block(Block {
                line: paragraph.line,
                plain: collapse_spaces(&text),
                text,
            });
        }
    }
    outline
}

struct Paragraph<'a> {
    line: usize,
    lines: Vec<&'a str>,
}

fn paragraphs(body: &str, first_line: usize) -> Vec<Paragraph<'_>> {
    let mut paragraphs: Vec<Paragraph<'_>> = Vec::new();
    let mut open = false;
    for (index, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            open = false;
            continue;
        }
        match paragraphs.last_mut() {
            Some(paragraph) if open => paragraph.lines.push(line),
            _ => paragraphs.push(Paragraph {
                line: first_line + index,
                lines: vec![line],
            }),
        }
        open = true;
    }
    paragraphs
}

fn is_question(line: &str) -> bool {
    line.ends_with('?') && line.chars().count() <= MAX_QUESTION_CHARS
}

fn is_byline(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.chars().count() <= MAX_HEADING_CHARS
        && BYLINE_OPENERS.iter().any(|opener| {
            lower.starts_with(opener)
                && line[opener.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase)
        })
}

fn byline_name(line: &str) -> String {
    let lower = line.to_lowercase();
    BYLINE_OPENERS
        .iter()
        .find(|opener| lower.starts_with(*opener))
        .map_or(line, |opener| &line[opener.len()..])
        .trim()
        .to_string()
}

fn is_heading(line: &str) -> bool {
    let starts_like_a_title = line
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    let ends_like_a_sentence = line.ends_with(['.', ',', ';', ':', '!']);
    starts_like_a_title
        && !ends_like_a_sentence
        && line.chars().count() <= MAX_HEADING_CHARS
        && line.split_whitespace().count() <= MAX_HEADING_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_byline_and_paragraphs() {
        let text = "What happens during a massage?\n\nAnswered by Jane Doe\n\nFirst paragraph\nwraps here.\n\nSecond paragraph.";
        let outline = read(text, 1);
        assert_eq!(
            outline.title.as_deref(),
            Some("What happens during a massage?")
        );
        assert_eq!(outline.author.as_deref(), Some("Jane Doe"));
        assert_eq!(outline.sections.len(), 1);
        let section = &outline.sections[0];
        assert_eq!(
            section.heading.as_deref(),
            Some("What happens during a massage?")
        );
        assert_eq!(section.blocks.len(), 2);
        assert_eq!(section.blocks[0].line, 5);
        assert_eq!(section.blocks[0].plain, "First paragraph wraps here.");
        assert_eq!(section.blocks[1].line, 8);
    }

    #[test]
    fn short_title_lines_become_headings() {
        let text = "A long opening paragraph that explains the topic in a full sentence.\n\nMassage Can Help Produce Melatonin\n\nThe first way is this.\n\nThe Relaxation Caused by Massage Improves Sleep\n\nAnother way.";
        let outline = read(text, 1);
        assert_eq!(outline.title, None);
        let headings: Vec<_> = outline
            .sections
            .iter()
            .map(|s| s.heading.as_deref())
            .collect();
        assert_eq!(
            headings,
            vec![
                None,
                Some("Massage Can Help Produce Melatonin"),
                Some("The Relaxation Caused by Massage Improves Sleep")
            ]
        );
        assert_eq!(outline.sections[1].line, 3);
    }

    #[test]
    fn a_short_last_line_is_text_not_a_heading() {
        let outline = read("Intro sentence here.\n\nCall us today", 1);
        assert_eq!(outline.sections.len(), 1);
        assert_eq!(outline.sections[0].blocks.len(), 2);
    }

    #[test]
    fn sentences_are_not_headings() {
        assert!(!is_heading("This ends like a sentence."));
        assert!(!is_heading("lowercase start"));
        assert!(is_heading("Booking and Cancelling"));
        assert!(is_heading("Is it safe when pregnant?"));
    }

    #[test]
    fn bylines_need_a_name() {
        assert!(is_byline("Answered by Jarrod Smith"));
        assert!(is_byline("By Dr. Lee"));
        assert!(!is_byline("by the way this is text"));
    }

    #[test]
    fn windows_line_endings() {
        let outline = read("Question here?\r\n\r\nAnswer text.\r\n", 1);
        assert_eq!(outline.sections[0].blocks[0].text, "Answer text.");
    }
}
