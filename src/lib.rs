//! faqbot answers a massage clinic's members from the clinic's own knowledge files.
//!
//! The flow is question → [`search::Engine`] → [`answer::Answer`]: [`knowledge`] reads the
//! files staff write into passages, [`search`] indexes them with tantivy and finds the passages
//! that answer a question (or says it does not know). The command line ([`cli`]) is a thin
//! shell around the same engine; [`eval`] measures it.
#![warn(missing_docs)]

pub mod answer;
pub mod cli;
pub mod config;
pub mod digest;
pub mod discord;
pub mod eval;
pub mod files;
pub mod health;
pub mod hours;
pub mod knowledge;
pub mod live;
pub mod meaning;
pub mod records;
pub mod search;
mod sync;
pub mod teach;
pub mod telemetry;
