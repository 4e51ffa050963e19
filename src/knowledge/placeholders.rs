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

/// `text` without what is still to be filled in, and without what would no longer read on
/// its own: a list item or table row holding a placeholder is dropped whole, and a list that
/// lost items loses its lead-in ("in three ways:") and the rest of its items too, so it never
/// claims what it no longer shows; in prose each sentence holding one is dropped, with the
/// sentences after it that point back at it ("This gives you time..."). Paragraphs left
/// empty go too; when nothing is left, the answer shows the staff contact line alone.
pub fn for_members(text: &str) -> ForMembers<'_> {
    if !contains(text) {
        return ForMembers {
            text: Cow::Borrowed(text),
            withheld: false,
        };
    }
    let marked = mark(text);
    let lines: Vec<&str> = marked.lines().collect();
    let mut kept: Vec<Option<String>> = lines.iter().map(|line| Some(line.to_string())).collect();
    let mut at = 0;
    while at < lines.len() {
        if !is_item(lines[at]) {
            if lines[at].contains(MARK) {
                kept[at] = without_marked_sentences(lines[at]);
            }
            at += 1;
            continue;
        }
        // A list: its items, and the line that leads into it, if any.
        let start = at;
        while at < lines.len() && is_item(lines[at]) {
            at += 1;
        }
        if !lines[start..at].iter().any(|line| line.contains(MARK)) {
            continue;
        }
        let lead_in = (0..start)
            .rev()
            .find(|&before| !lines[before].trim().is_empty())
            .filter(|&before| lines[before].trim_end().ends_with(':') && !is_item(lines[before]));
        match lead_in {
            Some(lead_in) => {
                kept[lead_in] = None;
                kept[start..at].fill(None);
            }
            None => {
                for line in start..at {
                    if lines[line].contains(MARK) {
                        kept[line] = None;
                    }
                }
            }
        }
    }
    let mut paragraphs: Vec<String> = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    for (line, kept) in lines.iter().zip(kept) {
        if line.trim().is_empty() {
            if !paragraph.is_empty() {
                paragraphs.push(paragraph.join("\n"));
                paragraph.clear();
            }
        } else if let Some(kept) = kept {
            paragraph.push(kept);
        }
    }
    if !paragraph.is_empty() {
        paragraphs.push(paragraph.join("\n"));
    }
    ForMembers {
        text: Cow::Owned(paragraphs.join("\n\n")),
        withheld: true,
    }
}

/// A prose line without its sentences that hold a placeholder, nor those right after one
/// that point back at it; `None` if nothing is left.
fn without_marked_sentences(line: &str) -> Option<String> {
    let mut kept = String::new();
    let mut after_withheld = false;
    for sentence in line.split_sentence_bounds() {
        if sentence.contains(MARK) || (after_withheld && refers_back(sentence)) {
            after_withheld = true;
        } else {
            after_withheld = false;
            kept.push_str(sentence);
        }
    }
    let kept = kept.trim_end();
    (!kept.trim().is_empty()).then(|| kept.to_string())
}

/// Whether a sentence starts by pointing back at the one before it ("It", "This", "They").
fn refers_back(sentence: &str) -> bool {
    const BACK: &[&str] = &[
        "it", "this", "that", "these", "those", "they", "them", "such",
    ];
    let first = sentence
        .split_whitespace()
        .next()
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .unwrap_or_default();
    BACK.contains(&first.as_str())
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
        let text = "For your first visit, arrive about {{FILL IN: minutes, e.g. 10–15 min. early}} before your time. Bring a water bottle.\n\nOur oils: {{FILL IN: names of the oils}}\n\nTell us about allergies.";
        let shown = for_members(text);
        assert_eq!(
            shown.text,
            "Bring a water bottle.\n\nTell us about allergies."
        );
        assert!(shown.withheld);
    }

    #[test]
    fn list_items_with_a_placeholder_go_whole() {
        let text = "- Online: {{FILL IN: booking link}}\n- By phone: {{FILL IN: phone number}}\n- At the front desk.";
        assert_eq!(for_members(text).text, "- At the front desk.");
        let numbered = "1. Call {{FILL IN: number}}.\n2. Ask for a therapist.";
        assert_eq!(for_members(numbered).text, "2. Ask for a therapist.");
    }

    /// Before: "Our opening hours are:" was shown with nothing after it, "in three ways:" with
    /// one way, and a sentence pointing back at one taken out ("This gives you time...").
    /// What would not read on its own goes too; what does read is kept.
    #[test]
    fn what_would_not_read_on_its_own_goes_too() {
        for (text, shown) in [
            (
                "Our opening hours are:\n\n- Weekdays: {{FILL IN: hours}}\n- Saturday: {{FILL IN: hours}}",
                "",
            ),
            (
                "You can book in three ways:\n\n- Online: {{FILL IN: link}}\n- By phone: {{FILL IN: number}}\n- At the front desk.\n\nTell us the type of massage you want.",
                "Tell us the type of massage you want.",
            ),
            (
                "Arrive about {{FILL IN: minutes}} early. This gives you time to settle in. Bring water.",
                "Bring water.",
            ),
            (
                "We are at {{FILL IN: address}}. It is next to the station.",
                "",
            ),
        ] {
            let members = for_members(text);
            assert_eq!(members.text, shown, "{text:?}");
            assert!(members.withheld);
        }
        // A lead-in whose list is whole still reads.
        assert_eq!(
            for_members("Bring:\n- a towel\n\nParking: {{FILL IN: where}}").text,
            "Bring:\n- a towel"
        );
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
