//! The synonyms file: staff's list of words and phrases members use for the same thing.
//!
//! `knowledge/synonyms.toml` holds lines like `insomnia = ["can't sleep", "trouble sleeping"]`;
//! every term in a line means the same as every other. This module only reads and validates
//! the file; the search decides how the terms are analysed and applied to a question.

use std::collections::{BTreeMap, HashMap};

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

/// The most terms one line may list. A line is a handful of true equivalents; each term
/// of a matched line becomes an alternative in the query, so a huge line (a pasted word list)
/// would make every question and keystroke that touches it slow: 10,000 terms cost 270 ms a
/// question. The worst case at this limit is measured in the README.
pub const MAX_SYNONYM_TERMS: usize = 32;

impl Synonyms {
    /// Reads the synonyms file's text. Errors make the whole file unusable (the previous
    /// search keeps no synonyms rather than wrong ones); warnings are returned beside it.
    pub fn parse(source: &str, text: &str) -> Result<(Synonyms, Vec<Diagnostic>), Diagnostic> {
        let line_at = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
        let table: BTreeMap<toml::Spanned<String>, Vec<String>> =
            toml::from_str(text).map_err(|err| {
                let line = err.span().map_or(1, |span| line_at(span.start));
                Diagnostic::new(source, line, Problem::Synonyms(err.message().to_string()))
            })?;
        // In file order: a warning about a term in two lines points at the second one.
        let mut lines: Vec<(usize, String, Vec<String>)> = table
            .into_iter()
            .map(|(key, terms)| (line_at(key.span().start), key.into_inner(), terms))
            .collect();
        lines.sort_by_key(|(line, _, _)| *line);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut warnings = Vec::new();
        let mut groups = Vec::new();
        for (line, key, terms) in lines {
            let count = 1 + terms.len();
            if count > MAX_SYNONYM_TERMS {
                return Err(Diagnostic::new(
                    source,
                    line,
                    Problem::TooManySynonyms {
                        terms: count,
                        limit: MAX_SYNONYM_TERMS,
                    },
                ));
            }
            let mut group: Vec<String> = Vec::new();
            for term in std::iter::once(key).chain(terms) {
                let normalized = term.trim().to_lowercase();
                if normalized.is_empty() {
                    continue;
                }
                if group.contains(&normalized) {
                    warnings.push(Diagnostic::new(
                        source,
                        line,
                        Problem::RepeatedSynonym(term.clone()),
                    ));
                    continue;
                }
                if let Some(&first_line) = seen.get(&normalized) {
                    warnings.push(Diagnostic::new(
                        source,
                        line,
                        Problem::DuplicateSynonym {
                            term: term.clone(),
                            first_line,
                        },
                    ));
                    continue;
                }
                seen.insert(normalized.clone(), line);
                group.push(normalized);
            }
            if group.len() > 1 {
                groups.push(SynonymGroup { terms: group, line });
            }
        }
        Ok((Synonyms { groups }, warnings))
    }
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

    /// Before: keys were read in alphabetical order, so the warning named the wrong line.
    #[test]
    fn duplicate_warnings_point_at_the_later_line_in_file_order() {
        let text = "zebra = [\"massage\"]\napple = [\"massage\", \"rub\"]\n";
        let (_, warnings) = Synonyms::parse("s.toml", text).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, 2);
        assert_eq!(
            warnings[0].problem,
            Problem::DuplicateSynonym {
                term: "massage".into(),
                first_line: 1
            }
        );
    }

    /// Before: a term repeated in its own line was called "already in another line".
    #[test]
    fn a_term_repeated_in_its_own_line_says_so() {
        let (synonyms, warnings) =
            Synonyms::parse("s.toml", "price = [\"cost\", \"Cost\"]\n").unwrap();
        assert_eq!(warnings[0].problem, Problem::RepeatedSynonym("Cost".into()));
        assert!(
            warnings[0]
                .to_string()
                .contains("listed twice in this line")
        );
        assert_eq!(synonyms.groups[0].terms, vec!["price", "cost"]);
    }

    #[test]
    fn a_line_over_the_term_limit_is_an_error_with_its_line() {
        let terms: Vec<String> = (0..MAX_SYNONYM_TERMS)
            .map(|n| format!("\"t{n}\""))
            .collect();
        let text = format!("ok = [\"fine\"]\nhuge = [{}]\n", terms.join(", "));
        let err = Synonyms::parse("s.toml", &text).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            matches!(err.problem, Problem::TooManySynonyms { .. }),
            "{err}"
        );
        let fits: Vec<String> = (1..MAX_SYNONYM_TERMS)
            .map(|n| format!("\"t{n}\""))
            .collect();
        assert!(Synonyms::parse("s.toml", &format!("t0 = [{}]\n", fits.join(", "))).is_ok());
    }
}
