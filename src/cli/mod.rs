//! The command line: `ask`, `check` and `eval`, each a thin shell around the library.
//!
//! Answers and reports go to standard output; logs and errors to standard error. Exit codes:
//! 0 when all is well, 1 when a check or evaluation found problems, 2 when the command itself
//! could not run (bad flags, unreadable folder).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::answer::{Answer, Hit};
use crate::config::{CONFIG_ENV, Settings};
use crate::knowledge::{KnowledgeBase, Problem, Severity};
use crate::meaning::{MeaningStatus, Semantic};
use crate::search::Engine;

mod eval;

/// Answers a massage clinic's members from the clinic's own knowledge files.
#[derive(Debug, Parser)]
#[command(name = "faqbot", version, about)]
pub struct Cli {
    /// Config file (default: ./faqbot.toml if it exists).
    #[arg(long, global = true, env = CONFIG_ENV, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer a question from the knowledge files, as the bot would.
    Ask(AskArgs),
    /// Check every knowledge file and list what to fix, as `path:line: message`.
    Check(CheckArgs),
    /// Run golden questions (JSON Lines) or a BEIR retrieval benchmark.
    Eval(eval::EvalArgs),
    /// Connect to Discord and answer members (needs DISCORD_TOKEN).
    Run(RunArgs),
    /// Print what members asked that the bot could not answer, and how answers were rated.
    Report(ReportArgs),
    /// Print the weekly staff digest of the week that ended last (as the bot posts it in the
    /// staff channel when `staff.digest` is set).
    Digest(DigestArgs),
    /// Teach the bot a question: add it to a section's alternative wordings, so it is
    /// answered from that section (the file's front matter gets one quoted line).
    Teach(TeachArgs),
    /// Exit 0 if a `faqbot run` using this data folder is connected to Discord, 1 if not
    /// (for Docker's HEALTHCHECK and monitoring).
    Health(HealthArgs),
}

#[derive(Debug, Args)]
struct HealthArgs {
    /// How old the bot's last heartbeat may be, in seconds (it beats every 10 s while
    /// connected).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::health::DEFAULT_MAX_AGE.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    max_age: u64,
}

#[derive(Debug, Args)]
struct TeachArgs {
    /// The question as members asked it.
    #[arg(value_name = "QUESTION")]
    question: String,
    /// The section that answers it: FILE#HEADING, the file relative to the knowledge folder.
    #[arg(long, value_name = "FILE#HEADING")]
    to: String,
    /// Knowledge folder (default: from the config file, else ./knowledge).
    #[arg(long, value_name = "DIR")]
    knowledge: Option<PathBuf>,
    /// Show the change without saving it.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// How many days back to look.
    #[arg(long, default_value_t = crate::records::report::DEFAULT_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    days: u32,
}

#[derive(Debug, Args)]
struct DigestArgs {
    /// The week that ended last at this moment instead of now: a time with its offset
    /// (2026-12-07T09:00:00Z) or its zone (2026-12-07T09:00[Europe/London]).
    #[arg(long, value_name = "TIME", value_parser = instant)]
    at: Option<jiff::Timestamp>,
    /// Knowledge folder (default: from the config file, else ./knowledge).
    #[arg(long, value_name = "DIR")]
    knowledge: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Knowledge folder (default: from the config file, else ./knowledge).
    #[arg(long, value_name = "DIR")]
    knowledge: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct AskArgs {
    /// Knowledge folder (default: from the config file, else ./knowledge).
    #[arg(long, value_name = "DIR")]
    knowledge: Option<PathBuf>,
    /// How many passages to show.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=25))]
    top: u16,
    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
    /// Match words only, without the sentence-embedding model.
    #[arg(long)]
    words_only: bool,
    /// Answer as if asked at this moment, to try the opening hours ahead of time: a time
    /// with its offset (2026-12-24T17:30:00Z, 2026-12-24T17:30+00:00) or its zone
    /// (2026-12-24T17:30[Europe/London]).
    #[arg(long, value_name = "TIME", value_parser = instant)]
    at: Option<jiff::Timestamp>,
    /// The question; several words need no quotes.
    #[arg(required = true, num_args = 1.., value_name = "QUESTION")]
    question: Vec<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Knowledge folder (default: from the config file, else ./knowledge).
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    crate::meaning::one_core_per_text();
    let cli = Cli::parse();
    // The bot is a service whose connection events belong in its log; one-shot commands
    // print only their answer.
    let service = matches!(cli.command, Command::Run(_));
    crate::telemetry::init(if service { "warn,faqbot=info" } else { "warn" });
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`faqbot report | head`): nothing is wrong.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // A service's reason for stopping belongs in its log, beside what led to it.
            if service {
                tracing::error!("faqbot stopped: {err:#}");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Ask(args) => ask(&settings, args),
        Command::Check(args) => {
            let dir = args
                .dir
                .clone()
                .unwrap_or_else(|| settings.knowledge_dir.clone());
            check(&settings, dir)
        }
        Command::Eval(args) => eval::run(&settings, &args),
        Command::Run(args) => run_bot(settings, args),
        Command::Report(args) => report(&settings, args.days),
        Command::Digest(args) => digest(&settings, args),
        Command::Teach(args) => teach(&settings, args),
        Command::Health(args) => health(&settings, &args),
    }
}

fn health(settings: &Settings, args: &HealthArgs) -> Result<ExitCode> {
    let max_age = std::time::Duration::from_secs(args.max_age);
    match crate::health::check(&settings.data_dir, max_age) {
        Ok(age) => {
            println!(
                "ok: the bot was connected to Discord {} s ago",
                age.as_secs()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err @ crate::health::HealthError::Io { .. }) => Err(err.into()),
        Err(err) => {
            println!("down: {err}");
            Ok(ExitCode::from(1))
        }
    }
}

fn teach(settings: &Settings, args: TeachArgs) -> Result<ExitCode> {
    let dir = args
        .knowledge
        .unwrap_or_else(|| settings.knowledge_dir.clone());
    let (file, heading) = crate::teach::target(&args.to)?;
    let wordings = std::slice::from_ref(&args.question);
    let mut out = std::io::stdout().lock();
    let show = |out: &mut std::io::StdoutLock<'_>, lesson: &crate::teach::Lesson| -> Result<()> {
        writeln!(
            out,
            "{} · \"{}\": the front matter will read",
            lesson.file, lesson.heading
        )?;
        for line in &lesson.lines {
            writeln!(out, "    {line}")?;
        }
        Ok(())
    };
    if args.dry_run {
        show(
            &mut out,
            &crate::teach::plan(&dir, &file, &heading, wordings)?,
        )?;
        writeln!(out, "Nothing saved (--dry-run).")?;
        return Ok(ExitCode::SUCCESS);
    }
    // Read and written under one lock, so a save racing this one is never lost; a running
    // bot's watcher sees the change and reloads.
    let (lesson, backup) =
        crate::teach::plan_and_save(&dir, &settings.data_dir, &file, &heading, wordings)?;
    show(&mut out, &lesson)?;
    write!(out, "Saved {}.", lesson.file)?;
    if let Some(backup) = &backup {
        write!(
            out,
            " The previous version is kept as {}.",
            backup.display()
        )?;
    }
    writeln!(out)?;
    // Questions already recorded leave the gap report; a data folder without records has
    // none to mark, and none is made for it.
    if settings
        .data_dir
        .join(crate::records::sqlite::FILE_NAME)
        .is_file()
    {
        // Marking only: the running bot alone deletes questions past their retention.
        let records = crate::records::SqliteRecords::open_keeping(&settings.data_dir)
            .with_context(|| format!("opening the records in {}", settings.data_dir.display()))?;
        let marked = crate::records::report::resolve_gap(&records, &args.question)?;
        if marked > 0 {
            writeln!(
                out,
                "{marked} recorded question(s) marked answered: they leave the gap report."
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn records_for(settings: &Settings) -> Result<crate::records::SqliteRecords> {
    let retention = crate::config::days(settings.question_retention_days.get());
    crate::records::SqliteRecords::open(&settings.data_dir, retention)
        .with_context(|| format!("opening the records in {}", settings.data_dir.display()))
}

fn report(settings: &Settings, days: u32) -> Result<ExitCode> {
    let records = crate::records::RecordsReader::open(&settings.data_dir)?;
    let since = crate::records::report::since(days);
    let gaps = crate::records::report::gaps(&records.unanswered(since)?);
    let votes = crate::records::report::worst_first(records.votes()?);
    let mut out = std::io::stdout().lock();
    crate::records::report::write_text(&mut out, &gaps, &votes, days)?;
    Ok(ExitCode::SUCCESS)
}

fn digest(settings: &Settings, args: DigestArgs) -> Result<ExitCode> {
    let schedule = settings.staff.digest.as_ref().context(
        "no weekly digest is set: add digest = \"monday 09:00\", time_zone and channel_id under [staff] in faqbot.toml",
    )?;
    let now = args.at.unwrap_or_else(jiff::Timestamp::now);
    let period = crate::digest::period(schedule, now);
    let records = crate::records::RecordsReader::open(&settings.data_dir)?;
    let dir = args.knowledge.as_ref().unwrap_or(&settings.knowledge_dir);
    let knowledge = crate::live::LiveKnowledge::load_with(
        dir,
        settings.staff.review_after_days.get(),
        None,
        MeaningStatus::Off,
    )
    .with_context(|| format!("loading {}", dir.display()))?;
    let digest = crate::digest::Digest::gather(&records, period, &knowledge.status())?;
    crate::digest::write_text(&mut std::io::stdout().lock(), &digest)?;
    Ok(ExitCode::SUCCESS)
}

fn run_bot(mut settings: Settings, args: RunArgs) -> Result<ExitCode> {
    if settings.discord.token.is_none() {
        return Err(crate::discord::DiscordError::MissingToken.into());
    }
    if let Some(dir) = args.knowledge {
        settings.knowledge_dir = dir;
    }
    let (semantic, meaning) = Semantic::load_reported(&settings.semantic, Some(&settings.data_dir));
    match &meaning {
        MeaningStatus::On(model) => tracing::info!(%model, "matching by meaning"),
        MeaningStatus::CatchingUp(texts) => tracing::info!(texts, "embedding new texts"),
        MeaningStatus::Off => tracing::info!("matching by words only (semantic.enabled = false)"),
        MeaningStatus::Broken(why) => tracing::warn!("matching by words only: {why}"),
    }
    let knowledge = std::sync::Arc::new(
        crate::live::LiveKnowledge::load_with(
            &settings.knowledge_dir,
            settings.staff.review_after_days.get(),
            semantic.map(std::sync::Arc::new),
            meaning,
        )
        .with_context(|| format!("loading {}", settings.knowledge_dir.display()))?,
    );
    let status = knowledge.status();
    for error in status.errors() {
        tracing::warn!("{}: {error}", settings.knowledge_dir.display());
    }
    let placeholders = status.placeholders().count();
    if placeholders > 0 {
        tracing::warn!(
            placeholders,
            "{{{{FILL IN: ...}}}} placeholders are still to be replaced; members are shown the staff contact line in their place (`faqbot check` and /kb status list them)"
        );
    }
    let records = records_for(&settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async move {
        let records = std::sync::Arc::new(records);
        let bot = crate::discord::start(std::sync::Arc::new(settings), knowledge, records)
            .await
            .context("connecting to Discord")?;
        bot.wait().await.map_err(anyhow::Error::from)
    });
    // The records are written by now; what may still run (a reconnecting shard, an answer
    // being computed) is not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the knowledge folder and indexes it (by meaning too, unless `words_only` or the
/// model cannot be used), logging files that could not be loaded.
fn engine_for(settings: &Settings, dir: &Path, words_only: bool) -> Result<Engine> {
    let base = KnowledgeBase::load(dir)?;
    for diagnostic in base.diagnostics.iter().filter(|d| d.is_error()) {
        tracing::warn!(
            "{}: {diagnostic} (run `faqbot check` for all problems)",
            dir.display()
        );
    }
    let semantic = semantic_for(settings, words_only);
    let engine = Engine::build_with(
        base.passages().cloned().collect(),
        &base.synonyms,
        semantic.as_ref(),
        &progress_bar("Embedding passages"),
    )
    .context("building the search index")?;
    Ok(engine.with_hours(base.hours()))
}

/// `--at`: an instant, written with its offset or its time zone.
fn instant(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>()
        .or_else(|_| text.parse::<jiff::Zoned>().map(|zoned| zoned.timestamp()))
        .map_err(|_| {
            "write a time with its offset or zone, such as 2026-12-24T17:30:00Z or 2026-12-24T17:30[Europe/London]".to_string()
        })
}

/// The model the settings name, with its cache in the data folder; `None` (with a warning
/// saying why) when it cannot be used, or when the command asks for words only.
fn semantic_for(settings: &Settings, words_only: bool) -> Option<Semantic> {
    if words_only {
        return None;
    }
    let (semantic, status) = Semantic::load_reported(&settings.semantic, Some(&settings.data_dir));
    if let MeaningStatus::Broken(why) = &status {
        tracing::warn!("matching by meaning is off: {why}");
    }
    semantic
}

/// Shows a progress bar on a terminal while a long embedding runs (a first run on a large
/// FAQ export); short ones, and output to files, stay quiet.
fn progress_bar(what: &'static str) -> impl Fn(usize, usize) {
    /// Fewer texts embed in well under a second: no bar.
    const SHOW_FROM: usize = 5_000;
    let bar: std::sync::OnceLock<Option<indicatif::ProgressBar>> = std::sync::OnceLock::new();
    move |done, total| {
        let bar = bar.get_or_init(|| {
            (total >= SHOW_FROM && std::io::stderr().is_terminal()).then(|| {
                let bar = indicatif::ProgressBar::new(total as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg} {bar:40} {pos}/{len} ({eta} left)",
                ) {
                    bar.set_style(style);
                }
                bar.set_message(what);
                bar
            })
        });
        if let Some(bar) = bar {
            bar.set_position(done as u64);
            if done >= total {
                bar.finish_and_clear();
            }
        }
    }
}

fn ask(settings: &Settings, args: AskArgs) -> Result<ExitCode> {
    let dir = args
        .knowledge
        .unwrap_or_else(|| settings.knowledge_dir.clone());
    let mut engine = engine_for(settings, &dir, args.words_only)?;
    if let Some(at) = args.at {
        engine = engine.with_clock(crate::hours::Clock::Fixed(at));
    }
    let question = args.question.join(" ");
    let answer = engine.answer(&question, usize::from(args.top))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &JsonAnswer::from(&answer))?;
        writeln!(out)?;
    } else {
        write_answer(&mut out, &answer, &settings.answers.staff_contact)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `faqbot ask --json`: exactly these keys, so scripts can rely on them.
#[derive(Serialize)]
struct JsonAnswer<'a> {
    question: &'a str,
    answered: bool,
    /// Only for questions about being open, so other answers keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    hours: Option<&'a str>,
    results: Vec<JsonHit<'a>>,
}

#[derive(Serialize)]
struct JsonHit<'a> {
    title: &'a str,
    heading: Option<&'a str>,
    source: &'a str,
    line: usize,
    text: &'a str,
    score: f32,
    confidence: f32,
}

impl<'a> From<&'a Answer> for JsonAnswer<'a> {
    fn from(answer: &'a Answer) -> Self {
        JsonAnswer {
            question: &answer.question,
            answered: answer.answered,
            hours: answer.hours.as_deref(),
            results: answer
                .results
                .iter()
                .map(|hit| JsonHit {
                    title: &hit.title,
                    heading: hit.heading.as_deref(),
                    source: &hit.source,
                    line: hit.line,
                    text: &hit.text,
                    score: hit.score,
                    confidence: hit.confidence,
                })
                .collect(),
        }
    }
}

fn write_answer(out: &mut impl Write, answer: &Answer, staff_contact: &str) -> Result<()> {
    let Some((best, others)) = answer.results.split_first() else {
        writeln!(out, "I don't know the answer to that yet.")?;
        if !answer.near_misses.is_empty() {
            writeln!(out, "\nClosest topics in the knowledge files:")?;
            for hit in &answer.near_misses {
                writeln!(out, "  - {} ({}:{})", label(hit), hit.source, hit.line)?;
            }
        }
        return Ok(());
    };
    if let Some(hours) = &answer.hours {
        writeln!(out, "{hours}\n")?;
    }
    writeln!(out, "{}\n", label(best))?;
    if !best.text.is_empty() {
        writeln!(out, "{}\n", best.text)?;
    }
    if best.withheld {
        // Part of the passage is still a placeholder, left out as it is for members.
        writeln!(out, "{}\n", staff_contact.trim())?;
    }
    writeln!(out, "Source: {}, line {}", best.source, best.line)?;
    if !others.is_empty() {
        writeln!(out, "\nAlso relevant:")?;
        for (rank, hit) in others.iter().enumerate() {
            writeln!(
                out,
                "  {}. {} ({}:{})",
                rank + 2,
                label(hit),
                hit.source,
                hit.line
            )?;
        }
    }
    Ok(())
}

/// "Title › Heading", or the title alone when the heading says the same.
fn label(hit: &Hit) -> String {
    match hit.heading.as_deref() {
        Some(heading) if heading != hit.title => format!("{} › {heading}", hit.title),
        _ => hit.title.clone(),
    }
}

fn check(settings: &Settings, dir: PathBuf) -> Result<ExitCode> {
    let base = KnowledgeBase::load(&dir)?;
    let engine = Engine::from_knowledge(&base).context("building the search index")?;
    let mut out = std::io::stdout().lock();
    let diagnostics = base.diagnostics.iter().chain(engine.diagnostics());
    let (mut errors, mut placeholders, mut warnings) = (0, 0, 0);
    let mut bad_files = std::collections::BTreeSet::new();
    for diagnostic in diagnostics {
        match (&diagnostic.problem, diagnostic.severity()) {
            (_, Severity::Error) => {
                errors += 1;
                bad_files.insert(diagnostic.path.clone());
            }
            (Problem::Placeholder(_), _) => placeholders += 1,
            _ => warnings += 1,
        }
        writeln!(out, "{}", diagnostic.under(&dir))?;
    }
    writeln!(
        out,
        "\nChecked {} knowledge files in {}: {} loaded, {} with errors; {} passages; {} errors, {} warnings, {} placeholders to fill in.",
        base.files_seen,
        dir.display(),
        base.documents.len(),
        bad_files.len(),
        engine.passages().len(),
        errors,
        warnings,
        placeholders,
    )?;
    match base.hours() {
        Some((source, hours)) => writeln!(
            out,
            "Opening hours: from {source} ({}); questions about being open are answered from them.",
            hours.time_zone.name()
        )?,
        None => writeln!(
            out,
            "Opening hours: not given (an `hours:` block in the front matter; see the README)."
        )?,
    }
    let (_, meaning) = Semantic::load_reported(&settings.semantic, None);
    writeln!(out, "Matching by meaning: {meaning}")?;
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
