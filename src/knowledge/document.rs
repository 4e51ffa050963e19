//! A knowledge file after reading: its metadata and its passages, or what is wrong with it.

use serde::Serialize;

use super::diagnostics::{Diagnostic, Located, Problem};
use super::front_matter::{self, FrontMatter, OneOrMany};
use super::outline::Outline;
use super::passages::{self, MAX_HEADING_CHARS, MAX_PASSAGE_CHARS};
use super::{faq_rows, markdown, placeholders, plain};

/// The formats staff can write knowledge in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.md`: headings, lists, emphasis; optional front matter.
    Markdown,
    /// `.txt`: pasted text whose structure is read from its shape; optional front matter.
    PlainText,
    /// `.jsonl`: an FAQ export, one `{"question", "answer"}` object per line.
    JsonLines,
    /// `.csv`: an FAQ export with `question` and `answer` columns.
    Csv,
}

impl Format {
    /// The largest file of this format read: [`super::MAX_EXPORT_BYTES`] for FAQ exports,
    /// [`super::MAX_FILE_BYTES`] for prose.
    pub fn max_bytes(self) -> u64 {
        match self {
            Format::Markdown | Format::PlainText => super::MAX_FILE_BYTES,
            Format::JsonLines | Format::Csv => super::MAX_EXPORT_BYTES,
        }
    }

    /// The format a file name's extension stands for, if it is one faqbot reads.
    pub fn of(path: &std::path::Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "txt" => Some(Format::PlainText),
            "jsonl" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// A knowledge file that loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// Path relative to the knowledge folder, with `/` separators.
    pub source: String,
    /// What the document is about.
    pub title: String,
    /// Other wordings of the whole document's topic.
    pub aliases: Vec<String>,
    /// Staff's labels.
    pub tags: Vec<String>,
    /// When staff last checked the document.
    pub last_reviewed: Option<jiff::civil::Date>,
    /// Who wrote it, from front matter or a byline.
    pub author: Option<String>,
    /// Public sources its health facts rest on.
    pub sources: Vec<String>,
    /// The clinic's opening hours, when this is the file that states them.
    pub hours: Option<crate::hours::OpeningHours>,
    /// The quotable pieces, in file order.
    pub passages: Vec<Passage>,
}

/// One quotable piece of a document: what the search ranks and an answer quotes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Passage {
    /// The document's title.
    pub title: String,
    /// The section heading or FAQ question above the passage, if any.
    pub heading: Option<String>,
    /// Other wordings of this section's question: its `questions` in the front matter, or
    /// an FAQ row's aliases.
    pub alternative_questions: Vec<String>,
    /// The document's aliases: wordings of what the whole file is about, shared by all its
    /// passages (one allocation, however many passages the file has).
    pub aliases: std::sync::Arc<[String]>,
    /// The passage as written (Markdown in `.md` files), for display.
    pub text: String,
    /// The passage's words without markup, for the index.
    pub plain: String,
    /// The file it comes from, relative to the knowledge folder.
    pub source: String,
    /// The 1-based line it starts on.
    pub line: usize,
}

impl Passage {
    /// Whether the passage answers an FAQ question (its heading ends in `?`).
    pub fn is_question(&self) -> bool {
        self.heading
            .as_deref()
            .is_some_and(|h| h.trim_end().ends_with('?'))
    }

    /// Whether `next` is the rest of this passage's section: a section too long for one
    /// passage is cut into several with the same file, title and heading.
    pub fn continued_by(&self, next: &Passage) -> bool {
        self.source == next.source && self.title == next.title && self.heading == next.heading
    }
}

/// A file read from bytes: the document if it loaded, and every problem found.
#[derive(Debug)]
pub struct ParsedFile {
    /// `None` when an error keeps the file out.
    pub document: Option<Document>,
    /// Errors and warnings, in line order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one knowledge file's bytes. `source` is its path relative to the knowledge folder.
pub fn parse(source: &str, format: Format, bytes: &[u8]) -> ParsedFile {
    parse_within(source, format, bytes, super::MAX_PASSAGES)
}

/// [`parse`], refusing a file that makes more than `max_passages` passages as soon as it
/// does, before it has cost the memory of all of them.
pub(crate) fn parse_within(
    source: &str,
    format: Format,
    bytes: &[u8],
    max_passages: usize,
) -> ParsedFile {
    let located = |(line, problem): Located| Diagnostic::new(source, line, problem);
    match parse_located(source, format, bytes, max_passages) {
        Ok((document, warnings)) => ParsedFile {
            document: Some(document),
            diagnostics: warnings.into_iter().map(located).collect(),
        },
        Err(error) => ParsedFile {
            document: None,
            diagnostics: vec![located(error)],
        },
    }
}

fn parse_located(
    source: &str,
    format: Format,
    bytes: &[u8],
    max_passages: usize,
) -> Result<(Document, Vec<Located>), Located> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err((1, Problem::Empty));
    }
    if bytes.contains(&0) {
        return Err((1, Problem::Binary));
    }
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let line = 1 + bytes[..err.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        (line, Problem::NotUtf8)
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Old Mac files end lines with a lone CR: without this, front matter would not be found
    // and every line would be cited as line 1.
    let text = if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let text = text.as_ref();
    if matches!(format, Format::JsonLines | Format::Csv) {
        return rows_document(source, format, text, max_passages);
    }
    let split = front_matter::split(text)?;
    let outline = match format {
        Format::Markdown => markdown::read(split.body, split.body_line),
        _ => plain::read(split.body, split.body_line),
    };
    if !outline.has_text() {
        return Err((split.body_line, Problem::NoText));
    }
    check_questions(&split.front, &outline, split.yaml)?;
    let mut front = split.front;
    let mut warnings = bound_wordings(&mut front, split.yaml);
    let document = assemble(source, front, outline, max_passages)?;
    warnings.extend(placeholders::find(text));
    warnings.sort_by_key(|(line, _)| *line);
    Ok((document, warnings))
}

/// The most aliases a file, and the most wordings a section, may have. Real files have a
/// handful; a file's aliases stand in every one of its passages, so a file of thousands
/// would cost minutes and gigabytes to index (a 254 KB file took 15 s and 3.45 GB).
pub const MAX_WORDINGS: usize = 64;

/// Cuts the front matter's aliases and each section's wordings to [`MAX_WORDINGS`], with a
/// warning for each list cut.
fn bound_wordings(front: &mut FrontMatter, yaml: Option<(&str, usize)>) -> Vec<Located> {
    let mut warnings = Vec::new();
    let mut cut = |what: &str, line: usize, list: &mut Vec<String>| {
        if list.len() > MAX_WORDINGS {
            warnings.push((
                line,
                Problem::TooManyWordings {
                    what: what.to_string(),
                    count: list.len(),
                    limit: MAX_WORDINGS,
                },
            ));
            list.truncate(MAX_WORDINGS);
        }
    };
    cut(
        "aliases",
        front_matter::line_of(yaml, "aliases"),
        &mut front.aliases,
    );
    for (heading, wordings) in &mut front.questions {
        let mut list = std::mem::replace(wordings, OneOrMany::Many(Vec::new())).into_vec();
        cut(
            &format!("\"{heading}\""),
            front_matter::line_of(yaml, heading),
            &mut list,
        );
        *wordings = OneOrMany::Many(list);
    }
    warnings
}

/// An FAQ export: every row an FAQ section with its own topic and wordings.
fn rows_document(
    source: &str,
    format: Format,
    text: &str,
    max_passages: usize,
) -> Result<(Document, Vec<Located>), Located> {
    let rows = match format {
        Format::Csv => faq_rows::read_csv(text, 1),
        _ => faq_rows::read_jsonl(text, 1),
    };
    // The first bad row stops the file; `check` shows it, and fixing rows one at a time is
    // how staff work through an export.
    let mut rows = rows.map_err(|mut errors| errors.remove(0))?;
    if rows.is_empty() {
        return Err((1, Problem::NoText));
    }
    let mut warnings = faq_rows::duplicates(&rows);
    let outline = faq_rows::outline(&mut rows);
    let mut document = assemble(source, FrontMatter::default(), outline, max_passages)?;
    // Each row's own topic (MedQuAD's `focus`) and wordings go to its own passages, found by
    // the row's line: rows may ask the same question and still keep their own.
    let by_line: std::collections::HashMap<usize, &faq_rows::Row> =
        rows.iter().map(|row| (row.line, row)).collect();
    for passage in &mut document.passages {
        if let Some(row) = by_line.get(&passage.line) {
            if let Some(title) = &row.title {
                passage.title = passages::cut_at_word(title, MAX_HEADING_CHARS).to_string();
            }
            passage.alternative_questions.clone_from(&row.aliases);
        }
    }
    warnings.extend(placeholders::find(text));
    warnings.sort_by_key(|(line, _)| *line);
    Ok((document, warnings))
}

/// Every `questions:` key must name a heading, or the alternative wordings would be lost.
fn check_questions(
    front: &FrontMatter,
    outline: &Outline,
    yaml: Option<(&str, usize)>,
) -> Result<(), Located> {
    for heading in front.questions.keys() {
        let known = outline.sections.iter().any(|section| {
            section
                .heading
                .as_deref()
                .is_some_and(|h| same_heading(h, heading))
        });
        if !known {
            let line = front_matter::line_of(yaml, heading);
            return Err((line, Problem::UnknownHeading(heading.clone())));
        }
    }
    Ok(())
}

/// Whether two headings name the same section (as `questions:` keys are matched).
pub(crate) fn same_heading(a: &str, b: &str) -> bool {
    // Headings are kept cut to MAX_HEADING_CHARS: a longer one written in full elsewhere
    // (front matter, `faqbot teach --to`) is the same heading when its cut is.
    let cut = |text: &str| passages::cut_at_word(text.trim(), MAX_HEADING_CHARS).to_string();
    cut(a).eq_ignore_ascii_case(&cut(b))
}

fn assemble(
    source: &str,
    front: FrontMatter,
    outline: Outline,
    max_passages: usize,
) -> Result<Document, Located> {
    let title = front
        .title
        .clone()
        .or(outline.title)
        .unwrap_or_else(|| title_from_file_name(source));
    let title = passages::cut_at_word(&title, MAX_HEADING_CHARS).to_string();
    let mut passages = Vec::new();
    let aliases: std::sync::Arc<[String]> = front.aliases.clone().into();
    for section in &outline.sections {
        let heading = section
            .heading
            .as_deref()
            .map(|heading| passages::cut_at_word(heading, MAX_HEADING_CHARS).to_string());
        let mut alternatives = Vec::new();
        if let Some(heading) = &section.heading {
            for (named, wordings) in &front.questions {
                if same_heading(heading, named) {
                    alternatives.extend(wordings.clone().into_vec());
                }
            }
        }
        if passages.len() > max_passages {
            return Err(too_many_passages());
        }
        for piece in passages::split(section, MAX_PASSAGE_CHARS) {
            passages.push(Passage {
                title: title.clone(),
                heading: heading.clone(),
                alternative_questions: alternatives.clone(),
                aliases: std::sync::Arc::clone(&aliases),
                text: piece.text,
                plain: piece.plain,
                source: source.to_string(),
                line: piece.line,
            });
        }
    }
    if passages.len() > max_passages {
        return Err(too_many_passages());
    }
    Ok(Document {
        source: source.to_string(),
        title,
        aliases: front.aliases,
        tags: front.tags,
        last_reviewed: front.last_reviewed,
        author: front.author.or(outline.author),
        sources: front.sources,
        hours: front.hours,
        passages,
    })
}

fn too_many_passages() -> Located {
    (
        1,
        Problem::FolderFull(format!("{} passages", super::MAX_PASSAGES)),
    )
}

/// `massage-therapy-for-insomnia.txt` reads as "Massage therapy for insomnia".
fn title_from_file_name(source: &str) -> String {
    let stem = std::path::Path::new(source)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or(source);
    let words = stem.replace(['-', '_'], " ");
    let words = words.trim();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(file: &ParsedFile) -> Vec<(usize, Problem)> {
        file.diagnostics
            .iter()
            .map(|d| (d.line, d.problem.clone()))
            .collect()
    }

    #[test]
    fn markdown_with_front_matter_and_questions() {
        let text = "---\ntitle: Prices\naliases: [how much]\nquestions:\n  \"Do you take cards?\": [can i pay by card]\n---\n\n## What does it cost?\n\n{{FILL IN: price of 60 minutes}} for an hour.\n\n## Do you take cards?\n\nYes.\n";
        let file = parse("prices.md", Format::Markdown, text.as_bytes());
        let document = file.document.clone().expect("loads");
        assert_eq!(document.title, "Prices");
        assert_eq!(document.passages.len(), 2);
        let first = &document.passages[0];
        assert_eq!(first.heading.as_deref(), Some("What does it cost?"));
        assert!(first.is_question());
        assert_eq!(first.line, 8);
        assert!(first.alternative_questions.is_empty());
        assert_eq!(&*first.aliases, ["how much"]);
        assert_eq!(
            document.passages[1].alternative_questions,
            vec!["can i pay by card"]
        );
        assert_eq!(&*document.passages[1].aliases, ["how much"]);
        assert_eq!(
            errors(&file),
            vec![(10, Problem::Placeholder("price of 60 minutes".into()))]
        );
    }

    #[test]
    fn plain_text_title_comes_from_the_question_or_the_file_name() {
        let asked = parse("a.txt", Format::PlainText, b"Is it safe?\n\nYes it is.");
        assert_eq!(asked.document.unwrap().title, "Is it safe?");
        let named = parse(
            "sub/massage-for-insomnia.txt",
            Format::PlainText,
            b"Some text about sleep.",
        );
        assert_eq!(named.document.unwrap().title, "Massage for insomnia");
    }

    #[test]
    fn bad_inputs_are_located_errors() {
        let cases: Vec<(&[u8], usize, Problem)> = vec![
            (b"", 1, Problem::Empty),
            (b"  \n\n ", 1, Problem::Empty),
            (b"PDF\0\x01\x02", 1, Problem::Binary),
            (b"line one\nline \xff two\n", 2, Problem::NotUtf8),
            (b"---\ntitle: x\n", 1, Problem::UnclosedFrontMatter),
            (
                b"---\ntitle: x\n---\n# Only a heading\n",
                4,
                Problem::NoText,
            ),
        ];
        for (bytes, line, problem) in cases {
            let file = parse("bad.md", Format::Markdown, bytes);
            assert!(file.document.is_none(), "{bytes:?} loaded");
            assert_eq!(errors(&file), vec![(line, problem)], "{bytes:?}");
        }
    }

    #[test]
    fn questions_must_name_a_heading() {
        let text = "---\nquestions:\n  \"Nope?\": [x]\n---\n## Yes?\n\nText.\n";
        let file = parse("q.md", Format::Markdown, text.as_bytes());
        assert_eq!(
            errors(&file),
            vec![(3, Problem::UnknownHeading("Nope?".into()))]
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let file = parse(
            "bom.txt",
            Format::PlainText,
            "\u{feff}Hello there, friend.".as_bytes(),
        );
        assert_eq!(
            file.document.unwrap().passages[0].text,
            "Hello there, friend."
        );
    }

    /// Before: lone-CR line endings hid the front matter (its YAML was quoted to members) and
    /// every line was cited as line 1.
    #[test]
    fn lone_cr_line_endings_read_like_newlines() {
        let text = "---\rtitle: Parking\r---\r\r## Is there parking?\r\rYes, behind the clinic.\r\r## Is it free?\r\rFor two hours.\r";
        let file = parse("parking.md", Format::Markdown, text.as_bytes());
        let document = file.document.expect("loads");
        assert_eq!(document.title, "Parking");
        let cited: Vec<(usize, &str)> = document
            .passages
            .iter()
            .map(|p| (p.line, p.text.as_str()))
            .collect();
        assert_eq!(
            cited,
            vec![(5, "Yes, behind the clinic."), (9, "For two hours.")]
        );
        assert!(document.passages.iter().all(|p| !p.text.contains("title:")));
    }

    /// Before: two rows asking the same question shared one row's aliases (the other's were
    /// lost) and one row's topic.
    #[test]
    fn rows_asking_the_same_question_keep_their_own_answers_and_wordings() {
        let text = concat!(
            "{\"question\": \"Do you sell gift cards?\", \"answer\": \"Yes, at the desk.\", \"title\": \"Gifts\", \"aliases\": [\"voucher\"]}\n",
            "{\"question\": \"do you sell gift cards?\", \"answer\": \"Also online.\", \"title\": \"Shop\", \"aliases\": [\"e-gift\"]}\n",
        );
        let file = parse("faq.jsonl", Format::JsonLines, text.as_bytes());
        let document = file.document.clone().expect("loads");
        let passages: Vec<(&str, &str, Vec<String>)> = document
            .passages
            .iter()
            .map(|p| {
                (
                    p.title.as_str(),
                    p.text.as_str(),
                    p.alternative_questions.clone(),
                )
            })
            .collect();
        assert_eq!(
            passages,
            vec![
                ("Gifts", "Yes, at the desk.", vec!["voucher".to_string()]),
                ("Shop", "Also online.", vec!["e-gift".to_string()]),
            ]
        );
        assert_eq!(
            errors(&file),
            vec![(
                2,
                Problem::DuplicateQuestion {
                    question: "do you sell gift cards?".into(),
                    first_line: 1
                }
            )]
        );
    }

    /// Before: a file's aliases stood in every one of its passages without bound, so a
    /// 254 KB file of aliases took 15 s and 3.45 GB to index. Each list is cut at
    /// MAX_WORDINGS, with a warning on its line.
    #[test]
    fn aliases_and_section_wordings_are_bounded() {
        let aliases: String = (0..100)
            .map(|n| format!("  - alias number {n}\n"))
            .collect();
        let wordings: String = (0..70).map(|n| format!("    - wording {n}\n")).collect();
        let text = format!(
            "---\naliases:\n{aliases}questions:\n  \"Is there parking?\":\n{wordings}---\n\n## Is there parking?\n\nYes.\n"
        );
        let file = parse("parking.md", Format::Markdown, text.as_bytes());
        let document = file.document.expect("loads: only a warning");
        assert_eq!(document.aliases.len(), MAX_WORDINGS);
        assert_eq!(document.passages[0].aliases.len(), MAX_WORDINGS);
        assert_eq!(
            document.passages[0].alternative_questions.len(),
            MAX_WORDINGS
        );
        let warnings: Vec<String> = file.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0]
                .starts_with("parking.md:2: warning: front matter: aliases has 100 wordings"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].contains("\"Is there parking?\" has 70 wordings"),
            "{warnings:?}"
        );
    }

    #[test]
    fn headings_and_titles_are_bounded() {
        let long = "why ".repeat(500);
        let text = format!("# {long}\n\n## {long}?\n\nBecause.\n");
        let document = parse("long.md", Format::Markdown, text.as_bytes())
            .document
            .expect("loads");
        let passage = &document.passages[0];
        assert!(passage.title.chars().count() <= MAX_HEADING_CHARS);
        let heading = passage.heading.as_deref().unwrap_or_default();
        assert!(heading.chars().count() <= MAX_HEADING_CHARS && heading.ends_with("why"));
    }
}
