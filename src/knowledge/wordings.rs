//! Adding members' wordings to a section's alternative wordings (`questions:` in the front
//! matter), as staff do when they teach the bot from the gap report.
//!
//! The file is staff's: the edit inserts lines (or extends one entry's line) and leaves every
//! other byte, comments and formatting included, as it was. Members' text goes in as quoted
//! YAML data, never as markup. The edit is then checked by reading the new text back exactly
//! as a reload would: if it did not give the section precisely the new wordings and change
//! nothing else, it is refused rather than written.

use super::document::{Format, parse, same_heading};
use super::front_matter;

/// Why wordings cannot be added to a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordingsError {
    /// FAQ exports are written by another tool; an edit here would be lost at the next export.
    #[error(
        "{file} is an FAQ export: add the wording to that question's aliases in the tool it is exported from, and export it again"
    )]
    Export {
        /// The file.
        file: String,
    },
    /// The file has an error, so it cannot be edited safely.
    #[error("{file} has an error to fix first: {problem}")]
    Broken {
        /// The file.
        file: String,
        /// The first error, as `faqbot check` shows it.
        problem: String,
    },
    /// No section of the file has the heading.
    #[error("{file} has no section headed \"{heading}\"; its sections are: {sections}")]
    NoSuchHeading {
        /// The file.
        file: String,
        /// The heading asked for.
        heading: String,
        /// The file's headings, quoted, for staff to pick from.
        sections: String,
    },
    /// Every wording is already there.
    #[error("\"{heading}\" in {file} already has every one of these wordings")]
    NothingNew {
        /// The file.
        file: String,
        /// The section.
        heading: String,
    },
    /// The front matter is written in a way this edit does not handle.
    #[error(
        "the front matter of {file} is written in a way I cannot extend safely ({why}); add the wording under questions: by hand"
    )]
    Unusual {
        /// The file.
        file: String,
        /// What was unusual.
        why: String,
    },
}

/// The file's text with the wordings added, and what was added.
#[derive(Debug, Clone, PartialEq)]
pub struct Edited {
    /// The section's heading as the file writes it.
    pub heading: String,
    /// The whole new text.
    pub text: String,
    /// The wordings that were new (the others were already there), in the order given.
    pub added: Vec<String>,
    /// The lines as they now read in the file, for a preview.
    pub lines: Vec<String>,
}

/// Adds `wordings` to the alternative wordings of the section headed `heading` in the file
/// `source` (relative path, for messages) of `format` whose text is `text`.
pub fn add(
    source: &str,
    format: Format,
    text: &str,
    heading: &str,
    wordings: &[String],
) -> Result<Edited, WordingsError> {
    if matches!(format, Format::JsonLines | Format::Csv) {
        return Err(WordingsError::Export {
            file: source.to_string(),
        });
    }
    let before = read(source, format, text)?;
    let section = before
        .passages
        .iter()
        .find(|p| {
            p.heading
                .as_deref()
                .is_some_and(|h| same_heading(h, heading))
        })
        .ok_or_else(|| {
            let mut headings: Vec<String> = before
                .passages
                .iter()
                .filter_map(|p| p.heading.as_ref().map(|h| format!("\"{h}\"")))
                .collect();
            headings.dedup();
            WordingsError::NoSuchHeading {
                file: source.to_string(),
                heading: heading.to_string(),
                sections: if headings.is_empty() {
                    "none (add a heading above the passage first)".to_string()
                } else {
                    headings.join(", ")
                },
            }
        })?;
    let heading = section.heading.clone().unwrap_or_default();
    let known = |w: &str| {
        same_heading(w, &heading)
            || section
                .alternative_questions
                .iter()
                .chain(section.aliases.iter())
                .any(|a| same_heading(a, w))
    };
    let mut added: Vec<String> = Vec::new();
    for wording in wordings {
        let wording = wording.split_whitespace().collect::<Vec<_>>().join(" ");
        if !wording.is_empty()
            && !known(&wording)
            && !added.iter().any(|a| same_heading(a, &wording))
        {
            added.push(wording);
        }
    }
    if added.is_empty() {
        return Err(WordingsError::NothingNew {
            file: source.to_string(),
            heading,
        });
    }
    let unusual = |why: &str| WordingsError::Unusual {
        file: source.to_string(),
        why: why.to_string(),
    };
    if section.alternative_questions.len() + added.len() > super::document::MAX_WORDINGS {
        return Err(unusual(&format!(
            "the section would have more than {} wordings, the most a section may have",
            super::document::MAX_WORDINGS
        )));
    }
    let (edited, lines) = insert_keeping_endings(text, &heading, &added).map_err(unusual)?;
    let after =
        read(source, format, &edited).map_err(|_| unusual("the result would not read back"))?;
    if !only_these_added(&before, &after, &heading, &added) {
        return Err(unusual("the result would not read back as intended"));
    }
    Ok(Edited {
        heading,
        text: edited,
        added,
        lines,
    })
}

fn read(source: &str, format: Format, text: &str) -> Result<super::Document, WordingsError> {
    let parsed = parse(source, format, text.as_bytes());
    if let Some(error) = parsed.diagnostics.iter().find(|d| d.is_error()) {
        return Err(WordingsError::Broken {
            file: source.to_string(),
            problem: error.to_string(),
        });
    }
    parsed.document.ok_or_else(|| WordingsError::Broken {
        file: source.to_string(),
        problem: "it does not load".to_string(),
    })
}

/// Whether `after` is `before` with `added` appended to the wordings of `heading`'s
/// passages, and nothing else different.
fn only_these_added(
    before: &super::Document,
    after: &super::Document,
    heading: &str,
    added: &[String],
) -> bool {
    before.passages.len() == after.passages.len()
        && before.title == after.title
        && before.aliases == after.aliases
        && before.tags == after.tags
        && before.last_reviewed == after.last_reviewed
        && before.author == after.author
        && before.sources == after.sources
        && before
            .passages
            .iter()
            .zip(&after.passages)
            .all(|(old, new)| {
                let targeted = old
                    .heading
                    .as_deref()
                    .is_some_and(|h| same_heading(h, heading));
                let mut expected = old.clone();
                // Lines added above a passage move it down.
                expected.line = new.line;
                if targeted {
                    expected.alternative_questions.extend(added.iter().cloned());
                }
                expected == *new
            })
}

/// A YAML double-quoted scalar, with every quote and backslash escaped, so no member's text
/// can end the string or start markup, and every character YAML does not allow written as
/// it is (controls such as DEL or U+009B, non-characters such as U+FFFE) escaped by its
/// code: the wording reads back exactly as the member typed it.
fn quoted(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if yaml_printable(c) => out.push(c),
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Whether YAML allows `c` as it is in a double-quoted scalar on one line (its printable
/// set, without line breaks and tabs).
fn yaml_printable(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// One line of text with its byte range and what it says without its line break.
struct Line<'a> {
    start: usize,
    end: usize,
    content: &'a str,
}

fn lines_of(text: &str, from: usize, to: usize) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut start = from;
    for raw in text[from..to].split_inclusive('\n') {
        let end = start + raw.len();
        lines.push(Line {
            start,
            end,
            content: raw.trim_end_matches(['\n', '\r']),
        });
        start = end;
    }
    lines
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that holds YAML content (not blank, not only a comment).
fn has_content(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// The key and the rest of a `key: value` line, the key unquoted; `None` if the line is not
/// a one-line mapping entry.
fn entry(line: &str) -> Option<(String, serde_yaml_ng::Value)> {
    let map: std::collections::BTreeMap<String, serde_yaml_ng::Value> =
        serde_yaml_ng::from_str(line.trim()).ok()?;
    let mut entries = map.into_iter();
    let first = entries.next()?;
    entries.next().is_none().then_some(first)
}

/// [`insert`] into a text as the loader reads it, written back as the file had it: a
/// byte-order mark stays first (the front matter's `---` follows it), and a file with old
/// Mac line endings (lone CR) keeps them.
fn insert_keeping_endings(
    text: &str,
    heading: &str,
    added: &[String],
) -> Result<(String, Vec<String>), &'static str> {
    let (mark, rest) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    if !rest.contains('\r') || rest.contains('\n') {
        let (edited, lines) = insert(rest, heading, added)?;
        return Ok((format!("{mark}{edited}"), lines));
    }
    // Lone CR everywhere: edit with LF, then write CR again (the file has no LF, so the
    // mapping back changes nothing else).
    let (edited, lines) = insert(&rest.replace('\r', "\n"), heading, added)?;
    Ok((format!("{mark}{}", edited.replace('\n', "\r")), lines))
}

/// The text with the wordings inserted, and the inserted lines; or why it could not be done.
fn insert(
    text: &str,
    heading: &str,
    added: &[String],
) -> Result<(String, Vec<String>), &'static str> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let split = front_matter::split(text).map_err(|_| "it does not read")?;
    let Some((yaml, _)) = split.yaml else {
        // No front matter yet: a new block at the very top.
        let mut block = vec!["---".to_string(), "questions:".to_string()];
        block.push(format!("  {}:", quoted(heading)));
        block.extend(added.iter().map(|w| format!("    - {}", quoted(w))));
        block.push("---".to_string());
        let inserted = block.join(newline) + newline;
        return Ok((format!("{inserted}{text}"), block));
    };
    let yaml_start = yaml.as_ptr() as usize - text.as_ptr() as usize;
    let yaml_end = yaml_start + yaml.len();
    let lines = lines_of(text, yaml_start, yaml_end);
    let splice = |at: usize, new_lines: &[String]| {
        let mut out = String::with_capacity(text.len() + 200);
        out.push_str(&text[..at]);
        // The line before `at` may be the file's last without a line break.
        if at > 0 && !text[..at].ends_with('\n') {
            out.push_str(newline);
        }
        for line in new_lines {
            out.push_str(line);
            out.push_str(newline);
        }
        out.push_str(&text[at..]);
        out
    };
    let Some(questions) = lines.iter().position(|l| {
        l.content.starts_with("questions:") || l.content.starts_with("\"questions\":")
    }) else {
        // Front matter without `questions:`: a new key at its end.
        let mut block = vec!["questions:".to_string(), format!("  {}:", quoted(heading))];
        block.extend(added.iter().map(|w| format!("    - {}", quoted(w))));
        return Ok((splice(yaml_end, &block), block));
    };
    let after_key = lines[questions]
        .content
        .split_once(':')
        .map_or("", |(_, rest)| rest);
    if has_content(after_key) {
        return Err("questions: is written on one line");
    }
    // The block under `questions:`: the indented lines after it.
    let mut block_end = questions + 1;
    while block_end < lines.len() {
        let line = lines[block_end].content;
        if has_content(line) && indent(line) == 0 {
            break;
        }
        block_end += 1;
    }
    let body = &lines[questions + 1..block_end];
    let Some(entry_indent) = body
        .iter()
        .find(|l| has_content(l.content))
        .map(|l| indent(l.content))
    else {
        let block = entry_lines(2, heading, added);
        let at = last_content_end(&lines[..=questions]);
        return Ok((splice(at, &block), block));
    };
    let entries: Vec<usize> = (0..body.len())
        .filter(|&i| has_content(body[i].content) && indent(body[i].content) == entry_indent)
        .collect();
    for (n, &i) in entries.iter().enumerate() {
        let Some((key, value)) = entry(body[i].content) else {
            continue;
        };
        if !same_heading(&key, heading) {
            continue;
        }
        let next = entries.get(n + 1).copied().unwrap_or(body.len());
        let items = &body[i + 1..next];
        return match value {
            serde_yaml_ng::Value::Null => {
                let Some(item_indent) = items
                    .iter()
                    .find(|l| has_content(l.content))
                    .map(|l| indent(l.content))
                else {
                    let new: Vec<String> = added
                        .iter()
                        .map(|w| format!("{}- {}", " ".repeat(entry_indent + 2), quoted(w)))
                        .collect();
                    return Ok((splice(body[i].end, &new), new));
                };
                if !items.iter().filter(|l| has_content(l.content)).all(|l| {
                    l.content.trim_start().starts_with("- ") && indent(l.content) == item_indent
                }) {
                    return Err("the wordings are not a simple list");
                }
                let new: Vec<String> = added
                    .iter()
                    .map(|w| format!("{}- {}", " ".repeat(item_indent), quoted(w)))
                    .collect();
                let at = last_content_end(&body[i..next]);
                Ok((splice(at, &new), new))
            }
            other => {
                // One line, `"Heading": text` or `"Heading": [a, b]`: that line is written
                // again as a list in brackets with the new wordings at its end; its key stays
                // as staff wrote it.
                let line = body[i].content;
                let Some((written_key, _)) = split_key(line) else {
                    return Err("a wordings line has a key I cannot read");
                };
                let mut values = texts(other)?;
                values.extend(added.iter().cloned());
                let list: Vec<String> = values.iter().map(|v| quoted(v)).collect();
                // A comment after the value is staff's note: it stays on the line.
                let comment = comment_of(line).map_or(String::new(), |c| format!("  {c}"));
                let new_line = format!("{written_key}: [{}]{comment}", list.join(", "));
                let mut out = String::with_capacity(text.len() + 200);
                out.push_str(&text[..body[i].start]);
                out.push_str(&new_line);
                out.push_str(&text[body[i].start + line.len()..]);
                Ok((out, vec![new_line]))
            }
        };
    }
    // No entry for this heading yet: a new one after the last.
    let block = entry_lines(entry_indent, heading, added);
    let at = last_content_end(&lines[..block_end]);
    Ok((splice(at, &block), block))
}

/// The comment at the end of a YAML line (`# ...`), if any: a `#` after a space, outside
/// quotes.
fn comment_of(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return Some(&line[at..]),
            None => {}
        }
        previous = c;
    }
    None
}

/// The wordings of a one-line entry: one text, or a list of texts.
fn texts(value: serde_yaml_ng::Value) -> Result<Vec<String>, &'static str> {
    use serde_yaml_ng::Value;
    match value {
        Value::String(one) => Ok(vec![one]),
        Value::Sequence(many) => many
            .into_iter()
            .map(|v| match v {
                Value::String(text) => Ok(text),
                _ => Err("a wording is not text"),
            })
            .collect(),
        _ => Err("the wordings are not a list"),
    }
}

/// `"Heading":` and its list of wordings, the key at `indent` spaces.
fn entry_lines(indent: usize, heading: &str, added: &[String]) -> Vec<String> {
    let mut block = vec![format!("{}{}:", " ".repeat(indent), quoted(heading))];
    block.extend(
        added
            .iter()
            .map(|w| format!("{}- {}", " ".repeat(indent + 2), quoted(w))),
    );
    block
}

/// Where the last line holding content among `lines` ends: new lines go there, before any
/// blank lines or comments that follow (which likely introduce what comes next).
fn last_content_end(lines: &[Line<'_>]) -> usize {
    lines
        .iter()
        .rev()
        .find(|l| has_content(l.content))
        .map_or_else(|| lines.last().map_or(0, |l| l.end), |l| l.end)
}

/// The key of a `key: value` line as written (with its indentation and quotes), and the rest.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let trimmed = line.trim_start();
    let offset = line.len() - trimmed.len();
    let key_end = match trimmed.chars().next()? {
        quote @ ('"' | '\'') => {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in trimmed.char_indices().skip(1) {
                if quote == '"' && c == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if c == quote && !escaped {
                    end = Some(i + 1);
                    break;
                }
                escaped = false;
            }
            end?
        }
        _ => trimmed
            .find(": ")
            .or_else(|| trimmed.strip_suffix(':').map(str::len))?,
    };
    let rest = trimmed[key_end..].strip_prefix(':')?;
    Some((&line[..offset + key_end], rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTIONS: &str =
        "## Do you take cards?\n\nYes.\n\n## Is there parking?\n\nA car park behind the clinic.\n";

    fn add_to(text: &str, heading: &str, wordings: &[&str]) -> Result<Edited, WordingsError> {
        let wordings: Vec<String> = wordings.iter().map(ToString::to_string).collect();
        add("prices.md", Format::Markdown, text, heading, &wordings)
    }

    fn wordings_of(text: &str, heading: &str) -> Vec<String> {
        let document = parse("prices.md", Format::Markdown, text.as_bytes())
            .document
            .expect("loads");
        document
            .passages
            .iter()
            .find(|p| p.heading.as_deref() == Some(heading))
            .expect("section")
            .alternative_questions
            .clone()
    }

    /// `after` is `before` with lines inserted at one place and nothing else changed.
    fn only_inserted(before: &str, after: &str) -> String {
        let common_start = before
            .bytes()
            .zip(after.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let common_end = before[common_start..]
            .bytes()
            .rev()
            .zip(after[common_start..].bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        assert_eq!(
            common_start + common_end,
            before.len(),
            "more than an insertion:\n{before}\n---\n{after}"
        );
        after[common_start..after.len() - common_end].to_string()
    }

    #[test]
    fn a_file_without_front_matter_gets_one_at_the_top() {
        let edited = add_to(SECTIONS, "Is there parking?", &["where do i park"]).unwrap();
        assert_eq!(
            only_inserted(SECTIONS, &edited.text),
            "---\nquestions:\n  \"Is there parking?\":\n    - \"where do i park\"\n---\n"
        );
        assert_eq!(
            wordings_of(&edited.text, "Is there parking?"),
            ["where do i park"]
        );
    }

    #[test]
    fn an_existing_list_grows_and_comments_stay() {
        let text = format!(
            "---\ntitle: Prices   # shown in answers\nquestions:\n  # cards first\n  \"Do you take cards?\":\n    - can i pay by card   # the usual one\n    - visa ok?\n\n  Is there parking?:\n    - car park\ntags: [money]\n---\n{SECTIONS}"
        );
        let edited = add_to(&text, "do you take cards?", &["apple pay?", "Visa ok?"]).unwrap();
        assert_eq!(
            edited.added,
            ["apple pay?"],
            "a wording already there is skipped"
        );
        assert_eq!(only_inserted(&text, &edited.text), "    - \"apple pay?\"\n");
        assert_eq!(
            wordings_of(&edited.text, "Do you take cards?"),
            ["can i pay by card", "visa ok?", "apple pay?"]
        );
        let edited = add_to(&text, "Is there parking?", &["where do i park"]).unwrap();
        assert_eq!(
            only_inserted(&text, &edited.text),
            "    - \"where do i park\"\n"
        );
    }

    #[test]
    fn a_new_section_entry_and_a_new_questions_key() {
        let text = format!(
            "---\ntitle: Prices\nquestions:\n  \"Do you take cards?\": [visa]\n---\n{SECTIONS}"
        );
        let edited = add_to(&text, "Is there parking?", &["parking"]).unwrap();
        assert_eq!(
            only_inserted(&text, &edited.text),
            "  \"Is there parking?\":\n    - \"parking\"\n"
        );
        let text = format!(
            "---\ntitle: Prices\r\n---\r\n{}",
            SECTIONS.replace('\n', "\r\n")
        );
        let edited = add_to(&text, "Is there parking?", &["parking"]).unwrap();
        assert_eq!(
            only_inserted(&text, &edited.text),
            "questions:\r\n  \"Is there parking?\":\r\n    - \"parking\"\r\n"
        );
    }

    #[test]
    fn a_one_line_entry_is_written_again_as_a_list() {
        let text = format!("---\nquestions:\n  'Do you take cards?': visa ok\n---\n{SECTIONS}");
        let edited = add_to(&text, "Do you take cards?", &["amex?"]).unwrap();
        assert!(
            edited.text.starts_with(
                "---\nquestions:\n  'Do you take cards?': [\"visa ok\", \"amex?\"]\n---\n## Do"
            ),
            "{}",
            edited.text
        );
    }

    #[test]
    fn members_text_is_data_never_markup() {
        let hostile = "x\"]\n  evil: [\n---\n# Heading <@&1> \\ done";
        let edited = add_to(SECTIONS, "Is there parking?", &[hostile]).unwrap();
        let expected = hostile.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(wordings_of(&edited.text, "Is there parking?"), [expected]);
        let document = parse("prices.md", Format::Markdown, edited.text.as_bytes())
            .document
            .expect("loads");
        assert_eq!(document.passages.len(), 2, "no new section");
    }

    #[test]
    fn refusals_say_why() {
        assert!(matches!(
            add_to(SECTIONS, "Do you sell gift cards?", &["x"]),
            Err(WordingsError::NoSuchHeading { .. })
        ));
        assert!(matches!(
            add_to(SECTIONS, "Is there parking?", &["is there parking?"]),
            Err(WordingsError::NothingNew { .. })
        ));
        assert!(matches!(
            add(
                "faq.csv",
                Format::Csv,
                "question,answer\n",
                "Q",
                &["x".into()]
            ),
            Err(WordingsError::Export { .. })
        ));
        let broken = format!("---\ntitle: [oops\n---\n{SECTIONS}");
        assert!(matches!(
            add_to(&broken, "Is there parking?", &["x"]),
            Err(WordingsError::Broken { .. })
        ));
        let one_line = format!("---\nquestions: {{\"Is there parking?\": [a]}}\n---\n{SECTIONS}");
        assert!(matches!(
            add_to(&one_line, "Is there parking?", &["x"]),
            Err(WordingsError::Unusual { .. })
        ));
    }

    /// Before: a file starting with a byte-order mark got a second front matter above the
    /// mark, its own became body text, and its `last_reviewed` and `tags` were gone.
    #[test]
    fn a_byte_order_mark_stays_first_and_the_front_matter_stays_whole() {
        let text = format!(
            "\u{feff}---\ntitle: Prices\ntags: [money]\nlast_reviewed: 2026-11-23\n---\n{SECTIONS}"
        );
        let edited = add_to(&text, "Is there parking?", &["where do i park"]).unwrap();
        assert_eq!(
            only_inserted(&text, &edited.text),
            "questions:\n  \"Is there parking?\":\n    - \"where do i park\"\n"
        );
        let document = parse("prices.md", Format::Markdown, edited.text.as_bytes())
            .document
            .expect("loads");
        assert_eq!(document.tags, ["money"]);
        assert!(document.last_reviewed.is_some());
        // Without front matter, the new block goes after the mark, not before it.
        let bare = format!("\u{feff}{SECTIONS}");
        let edited = add_to(&bare, "Is there parking?", &["car park?"]).unwrap();
        assert!(
            edited.text.starts_with("\u{feff}---\nquestions:\n"),
            "{:?}",
            edited.text
        );
        assert_eq!(
            wordings_of(&edited.text, "Is there parking?"),
            ["car park?"]
        );
    }

    /// Before: a file with lone CR line endings was read as one line, so its front matter
    /// was not seen and a second one was written above it.
    #[test]
    fn a_file_with_lone_cr_line_endings_keeps_them() {
        let text = "---\rtitle: Parking\rtags: [car]\r---\r\r## Is there parking?\r\rYes.\r";
        let edited = add_to(text, "Is there parking?", &["where do i park"]).unwrap();
        assert!(!edited.text.contains('\n'), "{:?}", edited.text);
        assert_eq!(
            only_inserted(text, &edited.text),
            "questions:\r  \"Is there parking?\":\r    - \"where do i park\"\r"
        );
        assert_eq!(
            wordings_of(&edited.text, "Is there parking?"),
            ["where do i park"]
        );
    }

    /// Before: `"Is there parking?": visa parking  # note` lost its note when extended.
    #[test]
    fn a_comment_on_a_one_line_entry_is_kept() {
        let text = format!(
            "---\nquestions:\n  \"Is there parking?\": \"car # park\"  # staff note\n---\n{SECTIONS}"
        );
        let edited = add_to(&text, "Is there parking?", &["where do i park"]).unwrap();
        assert!(
            edited.text.contains(
                "  \"Is there parking?\": [\"car # park\", \"where do i park\"]  # staff note\n"
            ),
            "{}",
            edited.text
        );
        assert_eq!(comment_of("  a: 'it''s # not' # yes"), Some("# yes"));
        assert_eq!(comment_of("  a: b#c"), None);
    }

    /// Before: a wording with DEL, U+009B or U+FFFE made YAML that would not read back, and
    /// the refusal blamed the file.
    #[test]
    fn characters_yaml_does_not_allow_are_escaped_and_read_back_as_typed() {
        let odd = "where\u{7f} do \u{9b}i park\u{fffe} 😀";
        let edited = add_to(SECTIONS, "Is there parking?", &[odd]).unwrap();
        assert_eq!(wordings_of(&edited.text, "Is there parking?"), [odd]);
    }

    /// Before: a heading over 300 characters could not be taught (the key was cut, then not
    /// found).
    #[test]
    fn a_very_long_heading_can_be_taught() {
        let heading = format!("Is there parking {}?", "near the clinic ".repeat(30));
        let text = format!("## {heading}\n\nYes.\n");
        let edited = add_to(&text, &heading, &["car park?"]).unwrap();
        let document = parse("prices.md", Format::Markdown, edited.text.as_bytes())
            .document
            .expect("loads");
        assert_eq!(document.passages[0].alternative_questions, ["car park?"]);
    }
}
