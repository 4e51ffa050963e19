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
    for record in reader.deserialize::<CsvRow>() {
        match record {
            Ok(row) => {
                // The reader's position is past the record; its own line is kept in errors only,
                // so count from the rows read.
                let at = first_line + rows.len() + errors.len() + 1;
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
            Err(err) => {
                let at = err
                    .position()
                    .map_or(first_line, |p| first_line + p.line() as usize - 1);
                errors.push((at, Problem::Row(err.to_string())));
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
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

/// The rows as an outline: one FAQ section per row.
pub(crate) fn outline(rows: &[Row]) -> Outline {
    let mut outline = Outline::default();
    for row in rows {
        outline.open_section(Some(row.question.clone()), row.line);
        outline.push_block(Block {
            line: row.line,
            plain: collapse_spaces(&row.answer),
            text: row.answer.clone(),
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
}
