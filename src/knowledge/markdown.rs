//! Markdown knowledge files, read with pulldown-cmark.
//!
//! Headings split the file into sections; a heading that ends in `?` is an FAQ question. The
//! first `#` heading is the document's title when it comes before any text. Each top-level
//! block keeps its Markdown source for display (Discord renders it) and its plain words for the
//! index, so `**bold**` markers or link targets never become search terms.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::outline::{Block, Lines, Outline};

/// Reads a Markdown body whose first line is line `first_line` of the file.
pub(crate) fn read(body: &str, first_line: usize) -> Outline {
    let lines = Lines::new(body, first_line);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut outline = Outline::default();
    let mut depth = 0usize;
    let mut block_start = 0usize;
    let mut plain = String::new();
    let mut heading: Option<(HeadingLevel, usize, String)> = None;
    let mut skipping_html = false;

    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if depth == 0 => {
                heading = Some((level, lines.at(range.start), String::new()));
            }
            Event::End(TagEnd::Heading(_)) if depth == 0 => {
                if let Some((level, line, text)) = heading.take() {
                    let text = collapse_spaces(&text);
                    let is_title = level == HeadingLevel::H1
                        && outline.title.is_none()
                        && outline.sections.is_empty();
                    if is_title {
                        outline.title = Some(text);
                    } else if !text.is_empty() {
                        outline.open_section(Some(text), line);
                    }
                }
            }
            Event::Start(Tag::HtmlBlock) if depth == 0 => skipping_html = true,
            Event::End(TagEnd::HtmlBlock) if depth == 0 => skipping_html = false,
            Event::Start(_) => {
                if depth == 0 {
                    block_start = range.start;
                    plain.clear();
                }
                depth += 1;
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                if matches!(end, TagEnd::Item | TagEnd::TableRow | TagEnd::TableHead) {
                    plain.push('\n');
                }
                if depth == 0 {
                    let text = body[block_start..range.end].trim_end().to_string();
                    let words = collapse_spaces(&plain);
                    if !words.is_empty() {
                        outline.push_block(Block {
                            line: lines.at(block_start),
                            text,
                            plain: words,
                        });
                    }
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, heading_text)) = heading.as_mut() {
                    heading_text.push_str(&text);
                } else if !skipping_html {
                    plain.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, _, heading_text)) = heading.as_mut() {
                    heading_text.push(' ');
                } else {
                    plain.push(' ');
                }
            }
            Event::TaskListMarker(_) | Event::Html(_) | Event::InlineHtml(_) | Event::Rule => {}
            _ => {}
        }
    }
    outline
}

/// Joins runs of white space into one space, so plain text indexes and compares cleanly.
pub(crate) fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_split_sections_and_h1_is_the_title() {
        let body = "# Prices\n\nIntro text.\n\n## How much is a massage?\n\nIt costs **{{FILL IN: price}}**.\n\n- one\n- two\n\n## Do you take cards\n\nYes.\n";
        let outline = read(body, 1);
        assert_eq!(outline.title.as_deref(), Some("Prices"));
        assert_eq!(outline.sections.len(), 3);
        assert_eq!(outline.sections[0].heading, None);
        assert_eq!(outline.sections[0].blocks[0].line, 3);
        let faq = &outline.sections[1];
        assert_eq!(faq.heading.as_deref(), Some("How much is a massage?"));
        assert_eq!(faq.line, 5);
        assert_eq!(faq.blocks.len(), 2);
        assert_eq!(faq.blocks[0].text, "It costs **{{FILL IN: price}}**.");
        assert_eq!(faq.blocks[0].plain, "It costs {{FILL IN: price}}.");
        assert_eq!(faq.blocks[1].line, 9);
        assert_eq!(faq.blocks[1].text, "- one\n- two");
        assert_eq!(faq.blocks[1].plain, "one two");
    }

    #[test]
    fn link_targets_and_html_are_not_indexed() {
        let body =
            "See [our booking page](https://example.com/book).\n\n<!-- staff note -->\n\nText\n";
        let outline = read(body, 10);
        let blocks = &outline.sections[0].blocks;
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].plain, "See our booking page.");
        assert_eq!(blocks[0].line, 10);
        assert_eq!(blocks[1].plain, "Text");
        assert_eq!(blocks[1].line, 14);
    }

    #[test]
    fn h1_after_text_is_a_section() {
        let outline = read("Intro.\n\n# Later\n\nMore.\n", 1);
        assert_eq!(outline.title, None);
        assert_eq!(outline.sections[1].heading.as_deref(), Some("Later"));
    }

    #[test]
    fn only_headings_have_no_text() {
        let outline = read("# Title\n\n## Section\n", 1);
        assert!(!outline.has_text());
    }
}
