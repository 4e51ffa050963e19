//! Front matter: the optional YAML block between `---` lines at the top of a knowledge file.
//!
//! It carries what is about the file rather than in it: the title, other wordings members use
//! for the topic, tags, when staff last reviewed it, the sources a health fact rests on, and
//! in the hours file the clinic's opening hours (read and checked by [`crate::hours`]).
//! Unknown keys are errors, because a misspelt `alias:` silently ignored would be a lost answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::diagnostics::{Located, Problem};

/// The metadata staff may put at the top of a file.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The document's title; otherwise the first `#` heading or the file name.
    pub title: Option<String>,
    /// Other wordings of the whole file's topic, as members type them.
    #[serde(
        default,
        alias = "alternative_questions",
        deserialize_with = "one_or_many"
    )]
    pub aliases: Vec<String>,
    /// Free-form labels.
    #[serde(default, deserialize_with = "one_or_many")]
    pub tags: Vec<String>,
    /// When staff last checked the file is still true (`YYYY-MM-DD`).
    pub last_reviewed: Option<jiff::civil::Date>,
    /// Other wordings of single sections: heading text to alternative questions.
    #[serde(default)]
    pub questions: BTreeMap<String, OneOrMany>,
    /// Public sources that the file's health facts rest on.
    #[serde(default, deserialize_with = "one_or_many")]
    pub sources: Vec<String>,
    /// Who wrote the answer.
    pub author: Option<String>,
    /// The clinic's weekly hours, holidays and time zone, in the one file that states them.
    pub hours: Option<crate::hours::OpeningHours>,
}

/// A YAML value that may be written as one string or as a list of strings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// `key: text`
    One(String),
    /// `key: [a, b]`
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::deserialize(deserializer)?.into_vec())
}

/// A file's text cut into its front matter and its body.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// The parsed front matter, or the default when there is none.
    pub front: FrontMatter,
    /// The YAML text and the file line it starts on, to locate later checks.
    pub yaml: Option<(&'a str, usize)>,
    /// Everything after the closing `---`.
    pub body: &'a str,
    /// The file line the body starts on (1-based).
    pub body_line: usize,
}

/// Cuts `text` into front matter and body and parses the front matter.
pub(crate) fn split(text: &str) -> Result<Split<'_>, Located> {
    let mut lines = text.split_inclusive('\n');
    let opens = lines.next().is_some_and(|first| first.trim_end() == "---");
    if !opens {
        return Ok(Split {
            front: FrontMatter::default(),
            yaml: None,
            body: text,
            body_line: 1,
        });
    }
    let yaml_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        let marker = line.trim_end();
        if marker == "---" || marker == "..." {
            let yaml = &text[yaml_start..offset];
            let body = &text[offset + line.len()..];
            // Line 1 is the opening `---`; YAML starts on line 2; the closing marker is on
            // line `index + 2`, so the body starts one line after it.
            let front = parse(yaml, 2)?;
            return Ok(Split {
                front,
                yaml: Some((yaml, 2)),
                body,
                body_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err((1, Problem::UnclosedFrontMatter))
}

fn parse(yaml: &str, first_line: usize) -> Result<FrontMatter, Located> {
    if yaml.trim().is_empty() {
        return Ok(FrontMatter::default());
    }
    serde_yaml_ng::from_str::<Option<FrontMatter>>(yaml)
        .map(Option::unwrap_or_default)
        .map_err(|err| {
            let line = err
                .location()
                .map_or(first_line, |at| first_line + at.line().saturating_sub(1));
            (
                line,
                Problem::FrontMatter(without_location(&err.to_string())),
            )
        })
}

/// serde_yaml appends " at line L column C" in YAML coordinates; the diagnostic already
/// carries the file line, and the YAML one would only confuse.
fn without_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// The file line on which `needle` first appears in the front matter, for checks made after
/// parsing (such as `questions` naming a heading that does not exist).
pub(crate) fn line_of(yaml: Option<(&str, usize)>, needle: &str) -> usize {
    let Some((yaml, first_line)) = yaml else {
        return 1;
    };
    yaml.lines()
        .position(|line| line.contains(needle))
        .map_or(first_line, |index| first_line + index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_front_matter_leaves_the_text_alone() {
        let split = split("# Title\n\nBody\n").unwrap();
        assert_eq!(split.front, FrontMatter::default());
        assert_eq!(split.body, "# Title\n\nBody\n");
        assert_eq!(split.body_line, 1);
    }

    #[test]
    fn front_matter_is_parsed_and_body_line_counted() {
        let text = "---\ntitle: Prices\naliases: how much is it\ntags: [cost, money]\nlast_reviewed: 2026-01-31\n---\n\n## What does it cost?\n";
        let split = split(text).unwrap();
        assert_eq!(split.front.title.as_deref(), Some("Prices"));
        assert_eq!(split.front.aliases, vec!["how much is it"]);
        assert_eq!(split.front.tags, vec!["cost", "money"]);
        assert_eq!(
            split.front.last_reviewed,
            Some(jiff::civil::date(2026, 1, 31))
        );
        assert_eq!(split.body_line, 7);
        assert!(split.body.starts_with("\n## What"));
    }

    #[test]
    fn unknown_key_is_an_error_on_its_line() {
        let (line, problem) = split("---\ntitle: A\nalias: oops\n---\nbody\n").unwrap_err();
        assert_eq!(line, 3);
        let Problem::FrontMatter(message) = problem else {
            panic!("wrong problem: {problem:?}");
        };
        assert!(message.contains("unknown field `alias`"), "{message}");
        assert!(!message.contains("at line"), "{message}");
    }

    #[test]
    fn bad_date_is_an_error_on_its_line() {
        let (line, problem) =
            split("---\ntitle: A\nlast_reviewed: 31/01/2026\n---\nbody\n").unwrap_err();
        assert_eq!(line, 3, "{problem}");
    }

    #[test]
    fn broken_yaml_is_an_error() {
        let (line, problem) = split("---\ntitle: [unclosed\n---\nbody\n").unwrap_err();
        assert!(matches!(problem, Problem::FrontMatter(_)));
        assert!((2..=3).contains(&line), "line {line}");
    }

    #[test]
    fn unclosed_front_matter_is_an_error_on_line_one() {
        let located = split("---\ntitle: A\n\nbody\n").unwrap_err();
        assert_eq!(located, (1, Problem::UnclosedFrontMatter));
    }

    #[test]
    fn empty_front_matter_is_fine() {
        let split = split("---\n---\nbody\n").unwrap();
        assert_eq!(split.front, FrontMatter::default());
        assert_eq!(split.body, "body\n");
        assert_eq!(split.body_line, 3);
    }
}
