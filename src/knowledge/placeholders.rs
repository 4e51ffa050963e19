//! `{{FILL IN: what to write}}` placeholders: facts only the clinic knows, still to be written.
//!
//! The bundled knowledge marks prices, hours and policies this way so that `faqbot check` can
//! list them. Staff see them; members never do: a sentence holding one is left out of what a
//! member is shown, and the answer says that staff can help instead (see [`for_members`]).
//! The index still holds the placeholder's words, so a question about the missing fact finds
//! the passage it belongs in rather than a neighbour.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

use super::diagnostics::{Located, Problem};

/// How a placeholder opens.
pub const PLACEHOLDER_OPEN: &str = "{{FILL IN";
/// How a placeholder closes.
const PLACEHOLDER_CLOSE: &str = "}}";
/// Stands for a placeholder while text is cut into sentences: the hint inside a placeholder
/// ("e.g. 10-15 minutes") has full stops of its own that must not end a sentence.
const MARK: char = '\u{FFFC}';

/// Text as a member may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForMembers<'a> {
    /// The text without any sentence, list item or line that holds a placeholder.
    pub text: Cow<'a, str>,
    /// Whether something was left out, so the answer should point to staff.
    pub withheld: bool,
}

/// Every `{{FILL IN: ...}}` marker, as a warning on its line.
pub(crate) fn find(text: &str) -> Vec<Located> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for (_, what) in spans(line) {
            found.push((index + 1, Problem::Placeholder(what.to_string())));
        }
    }
    found
}

/// Whether `text` holds a placeholder.
pub fn contains(text: &str) -> bool {
    text.contains(PLACEHOLDER_OPEN)
}

/// `text` without what is still to be filled in: each line that is a list item or a table row
/// holding a placeholder is dropped whole, and in prose each sentence holding one. Paragraphs
/// left empty go too.
pub fn for_members(text: &str) -> ForMembers<'_> {
    if !contains(text) {
        return ForMembers {
            text: Cow::Borrowed(text),
            withheld: false,
        };
    }
    let marked = mark(text);
    let mut paragraphs: Vec<String> = Vec::new();
    for paragraph in marked.split("\n\n") {
        let mut lines: Vec<String> = Vec::new();
        for line in paragraph.lines() {
            if !line.contains(MARK) {
                lines.push(line.to_string());
            } else if !is_item(line) {
                let kept: String = line
                    .split_sentence_bounds()
                    .filter(|sentence| !sentence.contains(MARK))
                    .collect();
                if !kept.trim().is_empty() {
                    lines.push(kept.trim_end().to_string());
                }
            }
        }
        let paragraph = lines.join("\n");
        if !paragraph.trim().is_empty() {
            paragraphs.push(paragraph);
        }
    }
    ForMembers {
        text: Cow::Owned(paragraphs.join("\n\n")),
        withheld: true,
    }
}

/// A one-line text (a title, a heading) with its placeholders taken out.
pub fn strip(line: &str) -> Cow<'_, str> {
    if !contains(line) {
        return Cow::Borrowed(line);
    }
    let marked = mark(line);
    let words: Vec<&str> = marked.split(MARK).flat_map(str::split_whitespace).collect();
    Cow::Owned(words.join(" "))
}

/// Each placeholder in `text` replaced by [`MARK`].
fn mark(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(PLACEHOLDER_OPEN) {
        out.push_str(&rest[..start]);
        out.push(MARK);
        let after = &rest[start + PLACEHOLDER_OPEN.len()..];
        // An unclosed placeholder runs to the end of its line.
        let end = after
            .find(PLACEHOLDER_CLOSE)
            .map(|end| end + PLACEHOLDER_CLOSE.len())
            .or_else(|| after.find('\n'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The placeholders of one line: (byte offset, what to write).
fn spans(line: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut offset = 0;
    while let Some(start) = line[offset..].find(PLACEHOLDER_OPEN) {
        let at = offset + start;
        let after = &line[at + PLACEHOLDER_OPEN.len()..];
        let (inside, consumed) = match after.find(PLACEHOLDER_CLOSE) {
            Some(end) => (&after[..end], end + PLACEHOLDER_CLOSE.len()),
            None => (after, after.len()),
        };
        found.push((at, inside.trim_start_matches(':').trim()));
        offset = at + PLACEHOLDER_OPEN.len() + consumed;
    }
    found
}

/// A Markdown list item or table row: a unit of its own, meaningless in part.
fn is_item(line: &str) -> bool {
    let line = line.trim_start();
    let numbered = line.split_once(['.', ')']).is_some_and(|(number, rest)| {
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) && rest.starts_with(' ')
    });
    line.starts_with("- ")
        || line.starts_with("* ")
        || line.starts_with("+ ")
        || line.starts_with('|')
        || numbered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_placeholders_is_untouched() {
        let shown = for_members("Arrive ten minutes early. Bring water.");
        assert!(matches!(shown.text, Cow::Borrowed(_)));
        assert!(!shown.withheld);
    }

    #[test]
    fn sentences_with_a_placeholder_are_left_out() {
        let text = "For your first visit, arrive about {{FILL IN: minutes, e.g. 10–15 min. early}} before your time. This gives you time to settle in.\n\nOur oils: {{FILL IN: names of the oils}}\n\nTell us about allergies.";
        let shown = for_members(text);
        assert_eq!(
            shown.text,
            "This gives you time to settle in.\n\nTell us about allergies."
        );
        assert!(shown.withheld);
    }

    #[test]
    fn list_items_with_a_placeholder_go_whole() {
        let text = "You can book:\n- Online: {{FILL IN: booking link}}\n- By phone: {{FILL IN: phone number}}\n- At the front desk.";
        assert_eq!(
            for_members(text).text,
            "You can book:\n- At the front desk."
        );
        let numbered = "1. Call {{FILL IN: number}}.\n2. Ask for a therapist.";
        assert_eq!(for_members(numbered).text, "2. Ask for a therapist.");
    }

    #[test]
    fn a_passage_of_placeholders_only_becomes_empty() {
        let shown = for_members("{{FILL IN: our hours}}");
        assert_eq!(shown.text, "");
        assert!(shown.withheld);
        let unclosed = for_members("Price: {{FILL IN: price\nStill here.");
        assert_eq!(unclosed.text, "Still here.");
    }

    #[test]
    fn titles_lose_only_the_placeholder() {
        assert_eq!(
            strip("Parking at {{FILL IN: street}} in town"),
            "Parking at in town"
        );
        assert_eq!(strip("Plain title"), "Plain title");
    }

    #[test]
    fn every_placeholder_is_found_on_its_line() {
        let found = find("a\nb {{FILL IN: one}} c {{FILL IN:two}}\n{{FILL IN three");
        let whats: Vec<(usize, String)> = found
            .into_iter()
            .map(|(line, problem)| match problem {
                Problem::Placeholder(what) => (line, what),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            whats,
            vec![
                (2, "one".to_string()),
                (2, "two".to_string()),
                (3, "three".to_string())
            ]
        );
    }
}
