//! The tantivy index: its schema, and building it from passages.
//!
//! Each passage is one tantivy document. Its `content` field holds its title, heading and text
//! and carries the BM25 ranking, as one text is what BM25 is made for; the title, heading and
//! alternative questions are also indexed on their own, so a question's words can weigh more
//! when they hit the FAQ question a passage answers. Passages themselves stay in memory beside
//! the index; the index only stores each one's position.

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
    /// The passage's text with its title and heading: what BM25 ranks.
    pub content: Field,
    /// The document title.
    pub title: Field,
    /// The section heading or FAQ question.
    pub heading: Field,
    /// Alternative wordings (document aliases and section questions).
    pub alias: Field,
    /// Every word of the other fields unstemmed, only to correct misspellings against.
    pub words: Field,
    /// The passage's position in the engine's passage list.
    pub passage: Field,
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
        content: builder.add_text_field("content", text.clone()),
        title: builder.add_text_field("title", text.clone()),
        heading: builder.add_text_field("heading", text.clone()),
        alias: builder.add_text_field("alias", text),
        words: builder.add_text_field("words", words),
        passage: builder.add_u64_field("passage", INDEXED | FAST | STORED),
    };
    (builder.build(), fields)
}

/// Indexes `passages` in memory and returns a reader on the index.
pub(crate) fn build(passages: &[Passage]) -> tantivy::Result<(IndexReader, Fields)> {
    let (schema, fields) = schema();
    let index = Index::create_in_ram(schema);
    index.tokenizers().register(STEMMED, stemmed());
    index.tokenizers().register(SURFACE, surface());
    // One thread: the index is small, and a second thread would only split it into segments.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
    for (position, passage) in passages.iter().enumerate() {
        let mut document = TantivyDocument::default();
        let mut add = |field: Field, text: &str, in_content: bool| {
            document.add_text(field, text);
            if in_content {
                document.add_text(fields.content, text);
            }
            document.add_text(fields.words, text);
        };
        add(fields.title, &passage.title, true);
        if let Some(heading) = &passage.heading {
            add(fields.heading, heading, true);
        }
        // Alternative wordings stay out of the content: many belong to the whole document,
        // and would make every one of its passages match them in full.
        for alternative in passage.aliases.iter().chain(&passage.alternative_questions) {
            add(fields.alias, alternative, false);
        }
        document.add_text(fields.content, &passage.plain);
        document.add_text(fields.words, &passage.plain);
        document.add_u64(fields.passage, position as u64);
        writer.add_document(document)?;
    }
    writer.commit()?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok((reader, fields))
}
