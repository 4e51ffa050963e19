//! Search.
mod analysis;
