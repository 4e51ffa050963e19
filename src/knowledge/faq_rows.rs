//! FAQ exports: one question and its answer per row, as JSON Lines (`.jsonl`) or CSV (`.csv`).
//!
//! Clinics often have their FAQ in a booking system or a spreadsheet; exporting it is easier
//! than rewriting it as Markdown. Each row becomes an FAQ section: the question as heading,
//! the answer as text, an optional title (or `focus`) naming its topic, and optional other
//! wordings (`aliases`; in CSV separated by `|`). Other fields are ignored, so exports with
//! ids or URLs load as they are. A bad row is reported with its line.

use serde::Deserialize;

use super::diagnostics::{Located, Problem};
use super::markdown::collapse_spaces;
use super::outline::{Block, Outline};

#[derive(Debug, Deserialize)]
struct JsonRow {
    question: Option<String>,
    answer: Option<String>,
    #[serde(alias = "focus")]
    title: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    question: Option<String>,
    answer: Option<String>,
    #[serde(alias = "focus")]
    title: Option<String>,
    aliases: Option<String>,
}

/// The most rows one export may have. Each row is a passage with its own index entries and
/// wordings, so rows cost time and memory however short they are: 1.46 million tiny rows (a
/// 64 MiB CSV) took 33 s and 1.3 GB to load. MedQuAD's 16,407 rows fit with room to spare;
/// the worst case at this limit is measured in the README.
pub const MAX_EXPORT_ROWS: usize = 25_000;

/// One row read: its line, question, answer, topic and other wordings.
pub(crate) struct Row {
    pub line: usize,
    pub question: String,
    pub answer: String,
    pub title: Option<String>,
    pub aliases: Vec<String>,
}

/// Reads JSON Lines rows; every bad line is an error.
pub(crate) fn read_jsonl(text: &str, first_line: usize) -> Result<Vec<Row>, Vec<Located>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = first_line + index;
        if rows.len() == MAX_EXPORT_ROWS {
            return Err(vec![(at, too_many_rows())]);
        }
        match serde_json::from_str::<JsonRow>(line) {
            Ok(row) => match checked(at, row.question, row.answer) {
                Ok((question, answer)) => rows.push(Row {
                    line: at,
                    question,
                    answer,
                    title: row.title.filter(|t| !t.trim().is_empty()),
                    aliases: row.aliases,
                }),
                Err(problem) => errors.push(problem),
            },
            Err(err) => errors.push((at, Problem::Row(format!("not a JSON object: {err}")))),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Reads CSV rows with a header line naming `question` and `answer` columns.
pub(crate) fn read_csv(text: &str, first_line: usize) -> Result<Vec<Row>, Vec<Located>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| vec![(first_line, Problem::Row(err.to_string()))])?
        .clone();
    let has = |name: &str| headers.iter().any(|h| h.trim().eq_ignore_ascii_case(name));
    if !has("question") || !has("answer") {
        return Err(vec![(
            first_line,
            Problem::Row(
                "the first line must name the columns, with at least `question` and `answer`"
                    .into(),
            ),
        )]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        // The record's own position: after an answer quoted over several lines, counting
        // rows would cite the next row on the wrong line.
        let read = reader.read_record(&mut record);
        let at = record
            .position()
            .map_or(first_line, |p| first_line + p.line() as usize - 1);
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let at = err
                    .position()
                    .map_or(at, |p| first_line + p.line() as usize - 1);
                errors.push((at, Problem::Row(err.to_string())));
                continue;
            }
        }
        if rows.len() == MAX_EXPORT_ROWS {
            return Err(vec![(at, too_many_rows())]);
        }
        let row = match record.deserialize::<CsvRow>(Some(&headers)) {
            Ok(row) => row,
            Err(err) => {
                errors.push((at, Problem::Row(err.to_string())));
                continue;
            }
        };
        match checked(at, row.question, row.answer) {
            Ok((question, answer)) => rows.push(Row {
                line: at,
                question,
                answer,
                title: row.title.filter(|t| !t.trim().is_empty()),
                aliases: row
                    .aliases
                    .unwrap_or_default()
                    .split('|')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
            }),
            Err(problem) => errors.push(problem),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn too_many_rows() -> Problem {
    Problem::TooManyRows {
        limit: MAX_EXPORT_ROWS,
    }
}

/// A warning for every row asking a question an earlier row asks (ignoring case and spaces).
pub(crate) fn duplicates(rows: &[Row]) -> Vec<Located> {
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut warnings = Vec::new();
    for row in rows {
        let key = row.question.to_lowercase();
        match first.get(&key) {
            Some(&first_line) => warnings.push((
                row.line,
                Problem::DuplicateQuestion {
                    question: row.question.clone(),
                    first_line,
                },
            )),
            None => {
                first.insert(key, row.line);
            }
        }
    }
    warnings
}

fn checked(
    line: usize,
    question: Option<String>,
    answer: Option<String>,
) -> Result<(String, String), Located> {
    let question = question.unwrap_or_default();
    let answer = answer.unwrap_or_default();
    if question.trim().is_empty() {
        return Err((line, Problem::Row("the question is empty".into())));
    }
    if answer.trim().is_empty() {
        return Err((line, Problem::Row("the answer is empty".into())));
    }
    Ok((collapse_spaces(&question), answer.trim().to_string()))
}

/// The rows as an outline: one FAQ section per row. The answers move into it (a large export
/// holds tens of megabytes of them); the rows keep their other fields.
pub(crate) fn outline(rows: &mut [Row]) -> Outline {
    let mut outline = Outline::default();
    for row in rows {
        outline.open_section(Some(row.question.clone()), row.line);
        let text = std::mem::take(&mut row.answer);
        outline.push_block(Block {
            line: row.line,
            plain: collapse_spaces(&text),
            text,
        });
    }
    outline
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_rows_with_extra_fields() {
        let text = "{\"id\": 1, \"question\": \"What is it?\", \"answer\": \"A thing.\", \"focus\": \"Things\", \"url\": \"x\"}\n\n{\"question\": \"Why?\", \"answer\": \"Because.\", \"aliases\": [\"how come\"]}\n";
        let rows = read_jsonl(text, 1).unwrap_or_else(|_| panic!("reads"));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].title.as_deref(), Some("Things"));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].aliases, vec!["how come"]);
    }

    #[test]
    fn bad_jsonl_rows_are_located() {
        let text =
            "{\"question\": \"Q?\", \"answer\": \"A.\"}\nnot json\n{\"question\": \"Q2?\"}\n";
        let errors = read_jsonl(text, 1).err().expect("errors");
        let lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert!(errors[1].1.to_string().contains("answer is empty"));
    }

    #[test]
    fn csv_rows() {
        let text = "question,answer,title,aliases\n\"How much?\",\"Fifty, for an hour.\",Prices,cost|price\n";
        let rows = read_csv(text, 1).unwrap_or_else(|_| panic!("reads"));
        assert_eq!(rows[0].answer, "Fifty, for an hour.");
        assert_eq!(rows[0].aliases, vec!["cost", "price"]);
        assert_eq!(rows[0].line, 2);
        let errors = read_csv("q,a\nx,y\n", 1).err().expect("needs headers");
        assert!(errors[0].1.to_string().contains("question"));
    }

    /// Before: after an answer quoted over several lines, the next row was cited on the
    /// wrong line.
    #[test]
    fn csv_rows_are_cited_on_their_own_lines() {
        let text = "question,answer\n\"Q1?\",\"Line one.\nLine two.\nLine three.\"\n\"Q2?\",\"A2.\"\n\"Q3?\",\"\"\n";
        let errors = read_csv(text, 1).err().expect("Q3 has no answer");
        assert_eq!(errors[0].0, 6, "{errors:?}");
        let rows = read_csv(&text.replace(",\"\"\n", ",\"A3.\"\n"), 1).unwrap_or_else(|_| panic!());
        let lines: Vec<usize> = rows.iter().map(|row| row.line).collect();
        assert_eq!(lines, vec![2, 5, 6]);
    }

    #[test]
    fn an_export_over_the_row_limit_is_refused_at_the_first_row_too_many() {
        let mut text = String::from("question,answer\n");
        for n in 0..=MAX_EXPORT_ROWS {
            text.push_str(&format!("q{n}?,a{n}.\n"));
        }
        let errors = read_csv(&text, 1).err().expect("too many rows");
        assert_eq!(errors[0].0, MAX_EXPORT_ROWS + 2);
        assert!(matches!(errors[0].1, Problem::TooManyRows { .. }));
        let jsonl = "{\"question\": \"q?\", \"answer\": \"a.\"}\n".repeat(MAX_EXPORT_ROWS + 1);
        let errors = read_jsonl(&jsonl, 1).err().expect("too many rows");
        assert_eq!(errors[0].0, MAX_EXPORT_ROWS + 1);
    }
}
