//! Integration tests, one binary: the engine on fixture folders, and the real `faqbot` binary.

mod asking_privately;
mod cli;
mod container;
mod digest;
mod discord;
mod engine;
mod fake_discord_smoke;
mod hours;
mod knowledge;
mod live;
mod service;
mod support;
