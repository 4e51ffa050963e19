//! The synonyms file: staff's list of words and phrases members use for the same thing.
//!
//! `knowledge/synonyms.toml` holds lines like `insomnia = ["can't sleep", "trouble sleeping"]`;
//! every term in a line means the same as every other. This module only reads and validates
//! the file; the search decides how the terms are analysed and applied to a question.

use std::collections::BTreeMap;

use super::diagnostics::{Diagnostic, Problem};

/// The synonyms file's name inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.toml";

/// Groups of terms that mean the same thing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synonyms {
    /// One group per line of the file.
    pub groups: Vec<SynonymGroup>,
}

/// Terms that are interchangeable in a question.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymGroup {
    /// The key first, then the listed terms.
    pub terms: Vec<String>,
    /// The line of the group in the synonyms file.
    pub line: usize,
}

impl Synonyms {
    /// Reads the synonyms file's text. Errors make the whole file unusable (the previous
    /// search keeps no synonyms rather than wrong ones); warnings are returned beside it.
    pub fn parse(source: &str, text: &str) -> Result<(Synonyms, Vec<Diagnostic>), Diagnostic> {
        let table: BTreeMap<String, Vec<String>> = toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map_or(1, |span| 1 + text[..span.start].matches('\n').count());
            Diagnostic::new(source, line, Problem::Synonyms(err.message().to_string()))
        })?;
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut groups = Vec::new();
        for (key, terms) in table {
            let line = line_of_key(text, &key);
            let mut group = Vec::new();
            for term in std::iter::once(key).chain(terms) {
                let normalized = term.trim().to_lowercase();
                if normalized.is_empty() {
                    continue;
                }
                if seen.insert(normalized.clone(), line).is_some() {
                    warnings.push(Diagnostic::new(
                        source,
                        line,
                        Problem::DuplicateSynonym(term.clone()),
                    ));
                    continue;
                }
                group.push(normalized);
            }
            if group.len() > 1 {
                groups.push(SynonymGroup { terms: group, line });
            }
        }
        groups.sort_by_key(|group| group.line);
        Ok((Synonyms { groups }, warnings))
    }
}

/// TOML tables do not keep their keys' places; find the line that defines `key`.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            let bare = line.strip_prefix(key);
            let quoted = line
                .strip_prefix('"')
                .and_then(|rest| rest.strip_prefix(key))
                .and_then(|rest| rest.strip_prefix('"'));
            bare.or(quoted)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_with_lines() {
        let text = "# comment\ninsomnia = [\"can't sleep\", \"Trouble Sleeping\"]\n\"deep tissue\" = [\"firm pressure\"]\n";
        let (synonyms, warnings) = Synonyms::parse("synonyms.toml", text).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            synonyms.groups,
            vec![
                SynonymGroup {
                    terms: vec![
                        "insomnia".into(),
                        "can't sleep".into(),
                        "trouble sleeping".into()
                    ],
                    line: 2
                },
                SynonymGroup {
                    terms: vec!["deep tissue".into(), "firm pressure".into()],
                    line: 3
                },
            ]
        );
    }

    #[test]
    fn broken_toml_is_an_error_with_its_line() {
        let err = Synonyms::parse("synonyms.toml", "a = [\"b\"]\nc = [\"d\"\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(matches!(err.problem, Problem::Synonyms(_)));
    }

    #[test]
    fn wrong_shape_is_an_error() {
        let err = Synonyms::parse("synonyms.toml", "a = \"b\"\n").unwrap_err();
        assert!(err.to_string().contains("synonyms"), "{err}");
    }

    #[test]
    fn a_term_in_two_lines_is_a_warning() {
        let (synonyms, warnings) =
            Synonyms::parse("s.toml", "a = [\"b\"]\nc = [\"b\", \"d\"]\n").unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 2);
        assert_eq!(synonyms.groups.len(), 2);
    }
}
