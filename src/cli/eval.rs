//! `faqbot eval`: golden questions, with right answers per kind by meaning and by words side
//! by side; fitting the engine's decision on them by cross-validation; BEIR benchmarks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{engine_for, label, progress_bar};
use crate::config::Settings;
use crate::eval::beir;
use crate::eval::fit::{self, Described, Scored};
use crate::eval::golden::{self, GoldenQuestion, Report};
use crate::meaning::Semantic;
use crate::search::Engine;
use crate::search::decision::{Model, SIGNAL_NAMES};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["file", "beir"])))]
pub(super) struct EvalArgs {
    /// Golden questions: one `{"q": ..., "expect": [...]}`, `{"q": ..., "sections":
    /// ["FILE#HEADING", ...]}` or `{"q": ..., "expect_none": true}` per line, optionally with
    /// a "kind" (reported apart) and a "fold" (for --cross-validate).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// Knowledge folder for golden questions (default: from the config file, else ./knowledge).
    #[arg(long, value_name = "DIR", conflicts_with = "beir")]
    knowledge: Option<PathBuf>,
    /// Fit the engine's decision on the golden questions' folds, judging each fold on the
    /// decision fitted without it, and print what was tried and the fitted weights.
    #[arg(long, requires = "file", conflicts_with = "words_only")]
    cross_validate: bool,
    /// A BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/).
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    beir: Option<PathBuf>,
    /// The qrels file (default: DIR/qrels/test.tsv, else DIR/qrels/train.tsv).
    #[arg(long, value_name = "FILE", requires = "beir")]
    qrels: Option<PathBuf>,
    /// Print the BEIR figures as JSON.
    #[arg(long, requires = "beir")]
    json: bool,
    /// Match words only, without the sentence-embedding model.
    #[arg(long)]
    words_only: bool,
}

/// Runs `faqbot eval`.
pub(super) fn run(settings: &Settings, args: &EvalArgs) -> Result<ExitCode> {
    match (&args.file, &args.beir) {
        (Some(file), _) => {
            let dir = args
                .knowledge
                .clone()
                .unwrap_or_else(|| settings.knowledge_dir.clone());
            if args.cross_validate {
                cross_validate(settings, file, &dir)
            } else {
                golden_questions(settings, file, &dir, args.words_only)
            }
        }
        (None, Some(dir)) => beir(
            settings,
            dir,
            args.qrels.clone(),
            args.json,
            args.words_only,
        ),
        (None, None) => anyhow::bail!("give a golden-question FILE or --beir DIR"),
    }
}

/// Reads a golden file and refuses labels that name no section of `engine`'s knowledge: a
/// stale label would count every answer wrong.
fn questions_for(file: &Path, engine: &Engine) -> Result<Vec<GoldenQuestion>> {
    let questions = golden::read(file)?;
    let stale = golden::unknown_sections(&questions, engine.passages());
    if let Some((question, section)) = stale.first() {
        anyhow::bail!(
            "{}: {} label(s) name no section of the knowledge, the first \"{section}\" (for {question:?}): write FILE#HEADING as `faqbot ask --json` shows source and heading",
            file.display(),
            stale.len()
        );
    }
    Ok(questions)
}

fn golden_questions(
    settings: &Settings,
    file: &Path,
    dir: &Path,
    words_only: bool,
) -> Result<ExitCode> {
    let engine = engine_for(settings, dir, words_only)?;
    let questions = questions_for(file, &engine)?;
    let outcomes = golden::run(&engine, &questions)?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for outcome in outcomes.iter().filter(|outcome| !outcome.passed) {
        failed += 1;
        let expected = if outcome.golden.expect_none {
            "no answer (off-topic)".to_string()
        } else if outcome.golden.sections.is_empty() {
            format!("a passage containing one of {:?}", outcome.golden.expect)
        } else {
            format!("a passage of {:?}", outcome.golden.sections)
        };
        writeln!(out, "FAIL {:?}\n     expected {expected}", outcome.golden.q)?;
        match outcome.answer.best() {
            Some(hit) => writeln!(
                out,
                "     answered {} ({}:{}, confidence {:.2}): {}",
                label(hit),
                hit.source,
                hit.line,
                hit.confidence,
                snippet(&hit.text)
            )?,
            None => writeln!(out, "     answered nothing (not confident)")?,
        }
    }
    let mut times: Vec<f64> = outcomes
        .iter()
        .map(|outcome| outcome.milliseconds)
        .collect();
    times.sort_by(f64::total_cmp);
    writeln!(
        out,
        "{} passed, {} failed (answered in {:.1} ms median, {:.1} ms p99)",
        outcomes.len() - failed,
        failed,
        crate::eval::percentile(&times, 0.5),
        crate::eval::percentile(&times, 0.99)
    )?;
    if questions.iter().any(|golden| golden.kind.is_some()) {
        // The same questions by words alone, beside: no kind may do worse with meaning.
        let by_words = if engine.matches_meaning() {
            let words = engine_for(settings, dir, true)?;
            Some(Report::of(&golden::run(&words, &questions)?))
        } else {
            None
        };
        writeln!(out)?;
        write_kinds(
            &mut out,
            &Report::of(&outcomes),
            by_words.as_ref(),
            engine.matches_meaning(),
        )?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The per-kind table: right answers of `first` (with meaning, or by words when
/// `first_has_meaning` is false) and, when given, by words alone beside it.
fn write_kinds(
    out: &mut impl Write,
    first: &Report,
    by_words: Option<&Report>,
    first_has_meaning: bool,
) -> Result<()> {
    let first_name = if first_has_meaning {
        "with meaning"
    } else {
        "by words"
    };
    write!(out, "{:<22} {:>17}", "kind (right)", first_name)?;
    if by_words.is_some() {
        write!(out, " {:>17}", "by words")?;
    }
    writeln!(out)?;
    let row = |out: &mut dyn Write,
               name: &str,
               pick: &dyn Fn(&Report) -> Option<golden::Tally>|
     -> Result<()> {
        let Some(tally) = pick(first) else {
            return Ok(());
        };
        write!(out, "{name:<22} {tally:>17}")?;
        if let Some(words) = by_words.and_then(pick) {
            write!(out, " {words:>17}")?;
        }
        writeln!(out)?;
        Ok(())
    };
    for kind in first.kinds.keys() {
        row(out, kind, &|report: &Report| {
            report.kinds.get(kind).copied()
        })?;
    }
    row(out, "answerable, answered", &|report: &Report| {
        Some(report.answerable)
    })?;
    row(out, "the others, declined", &|report: &Report| {
        Some(report.unanswerable)
    })?;
    Ok(())
}

/// Fits the decision by cross-validation over the questions' folds (see `eval::fit`).
fn cross_validate(settings: &Settings, file: &Path, dir: &Path) -> Result<ExitCode> {
    let meaning = engine_for(settings, dir, false)?;
    anyhow::ensure!(
        meaning.matches_meaning(),
        "cross-validation fits the decision with meaning too, and the model could not be loaded (see `faqbot check`)"
    );
    let words = engine_for(settings, dir, true)?;
    let questions = questions_for(file, &meaning)?;
    let with = fit::describe(&meaning, &questions)?;
    anyhow::ensure!(
        !with.is_empty(),
        "{}: no question has a \"fold\"; cross-validation needs them",
        file.display()
    );
    let alone = fit::describe(&words, &questions)?;
    let mut out = std::io::stdout().lock();
    let folds: std::collections::BTreeSet<u32> = with.iter().map(|d| d.fold()).collect();
    writeln!(
        out,
        "{} questions in {} folds by site; each fold judged on the decision fitted on the others.\n",
        with.len(),
        folds.len()
    )?;
    let best_with = trials(&mut out, "with meaning", &with, &fit::trials(true))?;
    let best_alone = trials(&mut out, "by words", &alone, &fit::trials(false))?;
    writeln!(
        out,
        "\nThe chosen decisions, on the folds they were not fitted on:"
    )?;
    write_kinds(&mut out, &best_with.report, Some(&best_alone.report), true)?;
    writeln!(
        out,
        "\nBy fold (with meaning | by words): answerable answered, the others declined"
    )?;
    for (fold, report) in &best_with.folds {
        let words = best_alone.folds.get(fold).cloned().unwrap_or_default();
        writeln!(
            out,
            "fold {fold}: {} {} | {} {}",
            report.answerable, report.unanswerable, words.answerable, words.unanswerable
        )?;
    }
    writeln!(
        out,
        "\nFitted on every fold, for src/search/decision.rs and src/search/fusion.rs:"
    )?;
    for (name, described, best) in [
        ("WITH_MEANING", &with, &best_with),
        ("WORDS_ONLY", &alone, &best_alone),
    ] {
        let all: Vec<&Described<'_>> = described.iter().collect();
        let model = fit::fit(&all, &best.trial);
        let fusion = best.trial.fusion;
        let reach = fit::reach(described, &fusion, &model);
        writeln!(
            out,
            "// Of {} answerable questions read whole, a right section is first for {}, among the first three for {}, among the candidates for {}.",
            reach.questions, reach.first, reach.top_three, reach.candidates
        )?;
        writeln!(
            out,
            "pub const {name}: Fusion = Fusion {{ bm25: {}, wording: {}, coverage: {} }};",
            fusion.bm25, fusion.wording, fusion.coverage
        )?;
        write_model(&mut out, name, &model)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Cross-validates each trial, prints a row each, and returns the best balanced.
fn trials(
    out: &mut impl Write,
    mode: &str,
    described: &[Described<'_>],
    trials: &[(String, fit::Trial)],
) -> Result<Scored> {
    writeln!(
        out,
        "{mode:<13} {:<32} {:>18} {:>18} {:>8}",
        "ranking, signals", "answerable", "others declined", "balance"
    )?;
    let mut best: Option<Scored> = None;
    for (name, trial) in trials {
        let scored = fit::cross_validate(described, trial);
        writeln!(
            out,
            "{:<13} {name:<32} {:>18} {:>18} {:>7.1}%",
            "",
            scored.report.answerable.to_string(),
            scored.report.unanswerable.to_string(),
            scored.balance()
        )?;
        if best
            .as_ref()
            .is_none_or(|best| scored.balance() > best.balance())
        {
            best = Some(scored);
        }
    }
    best.context("no trial to run")
}

fn write_model(out: &mut impl Write, name: &str, model: &Model) -> Result<()> {
    writeln!(out, "pub const {name}: Model = Model {{")?;
    writeln!(out, "    bias: {:.4},", model.bias)?;
    writeln!(out, "    weights: [")?;
    for (name, weight) in SIGNAL_NAMES.iter().zip(model.weights) {
        writeln!(out, "        {weight:.4}, // {name}")?;
    }
    writeln!(out, "    ],")?;
    writeln!(out, "    threshold: {:.4},", model.threshold)?;
    writeln!(out, "}};")?;
    Ok(())
}

/// The first words of a passage, on one line.
fn snippet(text: &str) -> String {
    const SNIPPET_CHARS: usize = 120;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(SNIPPET_CHARS) {
        Some((end, _)) => format!("{}…", &flat[..end]),
        None => flat,
    }
}

fn beir(
    settings: &Settings,
    dir: &Path,
    qrels: Option<PathBuf>,
    json: bool,
    words_only: bool,
) -> Result<ExitCode> {
    let qrels = qrels.unwrap_or_else(|| beir::default_qrels(dir));
    // A benchmark's corpus gets a cache of its own beside the knowledge's: embedding it takes
    // minutes, and runs repeat.
    let collection = format!(
        "beir-{}",
        dir.file_name()
            .map_or("corpus".into(), |name| name.to_string_lossy())
    );
    let semantic = if words_only {
        None
    } else {
        Semantic::load(&settings.semantic, Some(&settings.data_dir), &collection)
            .context("loading the sentence-embedding model")?
    };
    let report = beir::Dataset::load(dir, &qrels)?
        .run(semantic.as_ref(), &progress_bar("Embedding the corpus"))?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}: {} documents, {} judged queries ({})",
            dir.display(),
            report.documents,
            report.queries,
            report.qrels
        )?;
        writeln!(out, "nDCG@10     {:.4}", report.ndcg_at_10)?;
        writeln!(out, "MRR@10      {:.4}", report.mrr_at_10)?;
        writeln!(out, "Recall@100  {:.4}", report.recall_at_100)?;
        writeln!(
            out,
            "queries/s   {:.0} answered (one thread, the bot's whole path), {:.0} ranked to depth 100",
            report.queries_per_second, report.ranked_per_second
        )?;
        writeln!(
            out,
            "latency     {:.3} ms median, {:.3} ms p99, {:.3} ms slowest",
            report.latency_ms_p50, report.latency_ms_p99, report.latency_ms_max
        )?;
        writeln!(out, "index build {:.2} s", report.index_seconds)?;
    }
    Ok(ExitCode::SUCCESS)
}
