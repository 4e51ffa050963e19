//! The vectors of a knowledge base's passages: what a question's vector is compared with.
//!
//! Each passage has a vector of its whole text (title, heading and words), the vectors of its
//! section's wordings (its heading alone, and the other ways members ask it: the section's
//! `questions`), and those of its file's `aliases`. The three kinds are kept apart so the
//! engine can weigh them: an alias says which file answers, a section's own wording which
//! section of it.

use std::collections::HashMap;

use super::cache::{CacheUse, VectorCache};
use super::{Embedder, MeaningError, closeness_to_rows};
use crate::knowledge::Passage;

/// The vectors of every passage, in the engine's passage order.
#[derive(Debug, Clone)]
pub struct PassageVectors {
    dim: usize,
    /// A row per passage (its whole text), then a row per distinct wording.
    rows: Vec<f32>,
    /// For each passage, its section's wordings' rows.
    wordings_of: Vec<Vec<u32>>,
    /// For each passage, its file's aliases' rows.
    aliases_of: Vec<Vec<u32>>,
}

/// How close a question is to one passage.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Closeness {
    /// To the passage's whole text.
    pub content: f32,
    /// To the closest of its section's wordings (0 when it has none).
    pub wording: f32,
    /// To the closest of its file's aliases (0 when it has none).
    pub alias: f32,
}

impl PassageVectors {
    /// Embeds (or finds in `cache`) every passage's texts. `progress` hears (done, to do).
    pub fn build(
        embedder: &Embedder,
        cache: &mut VectorCache,
        passages: &[Passage],
        progress: &dyn Fn(usize, usize),
    ) -> Result<(PassageVectors, CacheUse), MeaningError> {
        let layout = Layout::of(passages);
        // The texts are the passages, then the wordings: the rows come in that order.
        let (rows, usage) = cache.vectors(embedder, &layout.texts, progress)?;
        Ok((
            PassageVectors {
                dim: embedder.dim(),
                rows,
                wordings_of: layout.wordings_of,
                aliases_of: layout.aliases_of,
            },
            usage,
        ))
    }

    /// How many of `passages`' texts `cache` lacks: what [`PassageVectors::build`] would
    /// embed.
    pub fn missing(cache: &VectorCache, passages: &[Passage]) -> usize {
        cache.missing(&Layout::of(passages).texts)
    }

    /// How many passages there are vectors for.
    pub fn len(&self) -> usize {
        self.wordings_of.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.wordings_of.is_empty()
    }

    /// How close `question` (a unit vector) is to every passage, in passage order.
    pub fn closeness(&self, question: &[f32]) -> Vec<Closeness> {
        if question.len() != self.dim || self.dim == 0 {
            return vec![Closeness::default(); self.len()];
        }
        let (content, wordings) = self
            .rows
            .split_at((self.len() * self.dim).min(self.rows.len()));
        let wording = closeness_to_rows(question, wordings);
        let closest = |rows: &[u32]| {
            rows.iter()
                .map(|&row| wording[row as usize])
                .fold(0.0, f32::max)
        };
        closeness_to_rows(question, content)
            .into_iter()
            .zip(self.wordings_of.iter().zip(&self.aliases_of))
            .map(|(content, (own, aliases))| Closeness {
                content,
                wording: closest(own),
                alias: closest(aliases),
            })
            .collect()
    }
}

/// The texts to embed for some passages, in row order (each passage's whole text, then each
/// distinct wording once), and which wording rows belong to each passage.
struct Layout {
    texts: Vec<String>,
    wordings_of: Vec<Vec<u32>>,
    aliases_of: Vec<Vec<u32>>,
}

impl Layout {
    fn of(passages: &[Passage]) -> Layout {
        let mut texts: Vec<String> = passages.iter().map(content_text).collect();
        let mut rows: HashMap<String, u32> = HashMap::new();
        let mut wordings_of = Vec::with_capacity(passages.len());
        let mut aliases_of = Vec::with_capacity(passages.len());
        let mut row_of = |wordings: &mut dyn Iterator<Item = &String>| {
            let mut own = Vec::new();
            for wording in wordings {
                let next = rows.len() as u32;
                let row = *rows
                    .entry(wording.trim().to_lowercase())
                    .or_insert_with(|| {
                        texts.push(wording.clone());
                        next
                    });
                if !own.contains(&row) {
                    own.push(row);
                }
            }
            own
        };
        for passage in passages {
            wordings_of.push(row_of(
                &mut passage.heading.iter().chain(&passage.alternative_questions),
            ));
            aliases_of.push(row_of(&mut passage.aliases.iter()));
        }
        Layout {
            texts,
            wordings_of,
            aliases_of,
        }
    }
}

/// What a passage's whole-text vector is made from: its title, heading and words.
fn content_text(passage: &Passage) -> String {
    let mut text = passage.title.clone();
    if let Some(heading) = &passage.heading {
        text.push('\n');
        text.push_str(heading);
    }
    text.push('\n');
    text.push_str(&passage.plain);
    text
}
