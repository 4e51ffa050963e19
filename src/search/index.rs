//! The tantivy index: its schema, and building it from passages.
//!
//! Each passage is one tantivy document with four text fields, so a question's words can weigh
//! more when they hit the heading or FAQ question than when they hit body text. Passages
//! themselves stay in memory beside the index; the index only stores each one's position.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use super::analysis::{STEMMED, SURFACE, stemmed, surface};
use crate::knowledge::Passage;

/// Memory for the index writer. tantivy's minimum per thread is 15 MB; 64 MB indexes the
/// 16,000-entry MedQuAD set without flushing to many small segments.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The document title.
    pub title: Field,
    /// The section heading or FAQ question.
    pub heading: Field,
    /// Alternative wordings (document aliases and section questions).
    pub alias: Field,
    /// The passage's words.
    pub body: Field,
    /// Every word of the other fields unstemmed, only to correct misspellings against.
    pub words: Field,
    /// The passage's position in the engine's passage list.
    pub passage: Field,
}

impl Fields {
    /// The text fields, for looking a term up everywhere.
    pub fn text(&self) -> [Field; 4] {
        [self.title, self.heading, self.alias, self.body]
    }
}

fn schema() -> (Schema, Fields) {
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(SURFACE)
            .set_index_option(IndexRecordOption::Basic),
    );
    let mut builder = Schema::builder();
    let fields = Fields {
        title: builder.add_text_field("title", text.clone()),
        heading: builder.add_text_field("heading", text.clone()),
        alias: builder.add_text_field("alias", text.clone()),
        body: builder.add_text_field("body", text),
        words: builder.add_text_field("words", words),
        passage: builder.add_u64_field("passage", INDEXED | FAST | STORED),
    };
    (builder.build(), fields)
}

/// Indexes `passages` in memory and returns the index with a reader on it.
pub(crate) fn build(passages: &[Passage]) -> tantivy::Result<(Index, IndexReader, Fields)> {
    let (schema, fields) = schema();
    let index = Index::create_in_ram(schema);
    index.tokenizers().register(STEMMED, stemmed());
    index.tokenizers().register(SURFACE, surface());
    // One thread: the index is small, and a second thread would only split it into segments.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
    for (position, passage) in passages.iter().enumerate() {
        let mut document = TantivyDocument::default();
        let mut add = |field: Field, text: &str| {
            document.add_text(field, text);
            document.add_text(fields.words, text);
        };
        add(fields.title, &passage.title);
        if let Some(heading) = &passage.heading {
            add(fields.heading, heading);
        }
        for alternative in &passage.alternative_questions {
            add(fields.alias, alternative);
        }
        add(fields.body, &passage.plain);
        document.add_u64(fields.passage, position as u64);
        writer.add_document(document)?;
    }
    writer.commit()?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok((index, reader, fields))
}
