//! The shape both file formats are read into before they become passages: an optional title,
//! and sections of text blocks under headings, each with the line it starts on.

/// A file's content as read from Markdown or plain text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Outline {
    /// A title found in the text itself (a Markdown `#` heading, or a plain-text question line).
    pub title: Option<String>,
    /// A byline such as "Answered by ...", kept out of the body text.
    pub author: Option<String>,
    /// The sections in file order.
    pub sections: Vec<Section>,
}

/// Text under one heading (or before the first heading).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    /// The heading's text; `None` for text before any heading.
    pub heading: Option<String>,
    /// The line of the heading, or of the first block when there is no heading.
    pub line: usize,
    /// Paragraphs, lists and the like, in order.
    pub blocks: Vec<Block>,
}

/// One paragraph, list or quote: the smallest piece a passage is made of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    /// 1-based line where the block starts.
    pub line: usize,
    /// The block as written (Markdown keeps its markup, which Discord renders).
    pub text: String,
    /// The words only, without markup or link targets: what is indexed.
    pub plain: String,
}

impl Outline {
    /// Starts a new section under `heading`.
    pub fn open_section(&mut self, heading: Option<String>, line: usize) {
        self.sections.push(Section {
            heading,
            line,
            blocks: Vec::new(),
        });
    }

    /// Adds a block to the current section, opening a heading-less one if there is none yet.
    pub fn push_block(&mut self, block: Block) {
        if self.sections.is_empty() {
            self.open_section(None, block.line);
        }
        if let Some(section) = self.sections.last_mut() {
            section.blocks.push(block);
        }
    }

    /// Whether any section has text to quote.
    pub fn has_text(&self) -> bool {
        self.sections
            .iter()
            .flat_map(|section| &section.blocks)
            .any(|block| !block.plain.trim().is_empty())
    }
}

/// Maps byte offsets of a text to 1-based line numbers.
pub(crate) struct Lines {
    starts: Vec<usize>,
    first_line: usize,
}

impl Lines {
    /// Line numbers for `text`, whose first line is line `first_line` of the file.
    pub fn new(text: &str, first_line: usize) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { starts, first_line }
    }

    /// The file line holding byte `offset`.
    pub fn at(&self, offset: usize) -> usize {
        let index = self.starts.partition_point(|&start| start <= offset);
        self.first_line + index.saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_offsets() {
        let lines = Lines::new("ab\ncd\n\nef", 5);
        assert_eq!(lines.at(0), 5);
        assert_eq!(lines.at(2), 5);
        assert_eq!(lines.at(3), 6);
        assert_eq!(lines.at(6), 7);
        assert_eq!(lines.at(7), 8);
    }
}
