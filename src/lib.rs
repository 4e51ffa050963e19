//! faqbot answers a massage clinic's members from the clinic's own knowledge files.
pub mod knowledge;
pub mod search;
