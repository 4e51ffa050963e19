//! The real `faqbot` binary, run in temporary folders as a user would.

use predicates::str::contains;

use crate::support::{bundled_knowledge, faqbot, folder, shared};

const QUESTION: &str = "What happens during a therapeutic massage?";

#[test]
fn ask_answers_from_the_seed_document() {
    let dir = tempfile::tempdir().unwrap();
    faqbot(dir.path())
        .args(["ask", "--knowledge"])
        .arg(bundled_knowledge())
        .arg(QUESTION)
        .assert()
        .success()
        .stdout(contains(
            "During a therapeutic massage, the massage therapist",
        ))
        .stdout(contains(
            "Source: what-happens-during-a-therapeutic-massage.txt, line 1",
        ));
}

#[test]
fn ask_json_has_exactly_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let output = faqbot(dir.path())
        .args(["ask", "--json", "--top", "2", "--knowledge"])
        .arg(bundled_knowledge())
        .args(["can", "massage", "help", "me", "sleep?"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["answered", "question", "results"]);
    assert_eq!(json["question"], "can massage help me sleep?");
    assert_eq!(json["answered"], true);
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let mut keys: Vec<&str> = results[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "confidence",
            "heading",
            "line",
            "score",
            "source",
            "text",
            "title"
        ]
    );
    assert_eq!(results[0]["source"], "massage-therapy-for-insomnia.txt");
}

#[test]
fn ask_json_off_topic_has_no_results() {
    let dir = tempfile::tempdir().unwrap();
    let output = faqbot(dir.path())
        .args(["ask", "--json", "--knowledge"])
        .arg(bundled_knowledge())
        .arg("what is the capital of France?")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["answered"], false);
    assert_eq!(json["results"], serde_json::json!([]));
    faqbot(dir.path())
        .args(["ask", "--knowledge"])
        .arg(bundled_knowledge())
        .arg("best pizza topping")
        .assert()
        .success()
        .stdout(contains("I don't know the answer to that yet."));
}

#[test]
fn knowledge_folder_comes_from_default_then_config_then_env_then_flag() {
    let dir = folder(&[
        (
            "knowledge/wear.md",
            b"## What should I wear?\n\nFrom the default folder.\n",
        ),
        (
            "from-config/wear.md",
            b"## What should I wear?\n\nFrom the config file.\n",
        ),
        (
            "from-env/wear.md",
            b"## What should I wear?\n\nFrom the environment.\n",
        ),
        ("other.toml", b"knowledge_dir = \"from-config\"\n"),
    ]);
    let ask = |extra: &[&str], env: Option<&str>| {
        let mut command = faqbot(dir.path());
        command
            .args(["ask", "--json"])
            .args(extra)
            .arg("what should I wear?");
        if let Some(env) = env {
            command.env("FAQBOT_KNOWLEDGE_DIR", env);
        }
        let json = json_output(&mut command);
        json["results"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(ask(&[], None), "From the default folder.");
    assert_eq!(
        ask(&["--config", "other.toml"], None),
        "From the config file."
    );
    assert_eq!(
        ask(&["--config", "other.toml"], Some("from-env")),
        "From the environment."
    );
    assert_eq!(
        ask(
            &["--config", "other.toml", "--knowledge", "knowledge"],
            Some("from-env")
        ),
        "From the default folder.",
        "the flag wins"
    );
}

#[test]
fn a_bad_config_file_is_a_clear_error() {
    let dir = folder(&[("faqbot.toml", b"knowledge = \"kb\"\n")]);
    faqbot(dir.path())
        .args(["ask", "hello"])
        .assert()
        .code(2)
        .stderr(contains("faqbot.toml:1: unknown field `knowledge`"));
}

#[test]
fn check_is_clean_on_the_bundled_knowledge_and_lists_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    faqbot(dir.path())
        .arg("check")
        .arg(bundled_knowledge())
        .assert()
        .success()
        .stdout(contains("placeholder to fill in:"))
        .stdout(contains("0 with errors"))
        .stdout(contains(" 0 errors"));
}

#[test]
fn check_lists_each_problem_with_path_and_line_and_fails() {
    let dir = folder(&[
        ("kb/good.md", b"## Q?\n\nAnswer.\n"),
        ("kb/bad.md", b"---\ntitle: A\nalias: typo\n---\n\nText.\n"),
        ("kb/empty.txt", b""),
    ]);
    faqbot(dir.path())
        .args(["check", "kb"])
        .assert()
        .code(1)
        .stdout(contains(
            "kb/bad.md:3: error: front matter: unknown field `alias`",
        ))
        .stdout(contains("kb/empty.txt:1: error: the file is empty"))
        .stdout(contains(
            "Checked 3 knowledge files in kb: 1 loaded, 2 with errors",
        ));
}

/// How many questions of a golden file `faqbot eval` passes on the bundled knowledge.
fn golden_passed(file: &std::path::Path) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let output = faqbot(dir.path())
        .arg("eval")
        .arg(file)
        .arg("--knowledge")
        .arg(bundled_knowledge())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout
        .lines()
        .find(|line| line.contains(" passed, "))
        .unwrap_or_else(|| panic!("no summary in {stdout}"));
    // Exit 0 exactly when nothing failed.
    assert_eq!(
        output.status.success(),
        summary.contains(" 0 failed"),
        "{summary}"
    );
    summary
        .split_whitespace()
        .next()
        .and_then(|passed| passed.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"))
}

/// The shared golden questions. The rule of 2026-12-01 was set on them and passed all 12; the
/// decision fitted on members' questions (2026-12-05, `search/decision.rs`) declines two
/// ("do you use aromatherapy", "should I tell the therapist where it hurts"): this keeps what
/// it passes from falling further.
#[test]
fn eval_passes_the_shared_golden_questions() {
    let passed = golden_passed(&shared().join("eval/massage-questions.jsonl"));
    assert!(passed >= 10, "{passed} of 12");
}

/// `faqbot eval` on a golden file with `lines`, against the bundled knowledge.
fn eval_golden(lines: &[u8]) -> assert_cmd::assert::Assert {
    let dir = folder(&[("golden.jsonl", lines)]);
    faqbot(dir.path())
        .args(["eval", "golden.jsonl", "--knowledge"])
        .arg(bundled_knowledge())
        .assert()
}

#[test]
fn eval_reports_failures_with_what_was_answered() {
    eval_golden(b"{\"q\": \"what is melatonin\", \"expect\": [\"a phrase no passage has\"]}\n{\"q\": \"what is the capital of France\", \"expect_none\": true}\n")
        .code(1)
        .stdout(contains("FAIL \"what is melatonin\""))
        .stdout(contains("answered Massage therapy for insomnia"))
        .stdout(contains("1 passed, 1 failed (answered in"));
}

#[test]
fn eval_rejects_a_malformed_golden_line() {
    eval_golden(b"{\"q\": \"x\", \"expect\": [\"y\"]}\n{\"q\": \"no expectation\"}\n")
        .code(2)
        .stderr(contains("golden.jsonl:2: give either"));
}

#[test]
fn eval_beir_measures_a_small_corpus() {
    let dir = folder(&[
        (
            "set/corpus.jsonl",
            b"{\"_id\": \"d1\", \"title\": \"Hot stones\", \"text\": \"Heated basalt stones relax muscles.\"}\n{\"_id\": \"d2\", \"title\": \"Sleep\", \"text\": \"Massage may improve sleep quality.\"}\n{\"_id\": \"d3\", \"title\": \"Prices\", \"text\": \"Sessions cost money.\"}\n",
        ),
        (
            "set/queries.jsonl",
            b"{\"_id\": \"q1\", \"text\": \"do heated stones relax muscles\"}\n{\"_id\": \"q2\", \"text\": \"better sleep quality\"}\n{\"_id\": \"q3\", \"text\": \"unjudged\"}\n",
        ),
        ("set/qrels/test.tsv", b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n"),
    ]);
    let report = json_output(faqbot(dir.path()).args(["eval", "--beir", "set", "--json"]));
    assert_eq!(report["documents"], 3);
    assert_eq!(report["queries"], 2);
    assert_eq!(report["ndcg_at_10"], 1.0);
    assert_eq!(report["mrr_at_10"], 1.0);
    assert_eq!(report["recall_at_100"], 1.0);
    assert!(report["queries_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["ranked_per_second"].as_f64().unwrap() > 0.0);
    let (p50, p99, max) = (
        report["latency_ms_p50"].as_f64().unwrap(),
        report["latency_ms_p99"].as_f64().unwrap(),
        report["latency_ms_max"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{p50} {p99} {max}");
}

/// Words alone stay at least as good as the better BM25 peer. (Matching by meaning needs the
/// corpus embedded, minutes of work: `benches/peers/compare.sh` measures it.)
#[test]
fn eval_beir_on_scifact_beats_bm25s() {
    let scifact = shared().join("eval/scifact");
    let dir = tempfile::tempdir().unwrap();
    let report = json_output(
        faqbot(dir.path())
            .args(["eval", "--words-only", "--json", "--beir"])
            .arg(&scifact)
            .arg("--qrels")
            .arg(scifact.join("qrels/train.tsv")),
    );
    assert_eq!(report["queries"], 809);
    // bm25s with PyStemmer scores 0.6964 on this split (benches/peers/compare.sh, 2026-11-23),
    // above BEIR's published 0.665: the engine must not fall below the better peer.
    let ndcg = report["ndcg_at_10"].as_f64().unwrap();
    assert!(ndcg > 0.6964, "nDCG@10 {ndcg}");
}

/// The repo's golden questions for the bundled knowledge (every starter topic in three
/// wordings, and off-topic questions that share words with the clinic's), through the real
/// binary exactly as staff would run them. Every off-topic question is declined; of the
/// others, the rule of 2026-12-01 (set on them) passed all, the decision fitted on members'
/// questions declines a few (measured 2026-12-05): no file may pass fewer. The 8-bit model
/// (2026-12-06) declines one more, "i have eczema on my arms, will the oil bother it", whose
/// answer sat at the threshold; on members' questions it answers as many right as float32.
#[test]
fn the_golden_files_keep_their_measured_quality() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&golden)
        .expect("tests/golden")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    let least = |name: &str| match name {
        "off-topic.jsonl" => 13,
        "topics-comfort-and-health.jsonl" => 49,
        "topics-policies.jsonl" => 45,
        other => panic!("no measured level for {other}: add it"),
    };
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let passed = golden_passed(&file);
        assert!(passed >= least(&name), "{name}: {passed} passed");
    }
}

#[test]
fn the_example_config_is_valid() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    faqbot(repo)
        .args(["--config", "faqbot.example.toml", "check"])
        .assert()
        .success();
}

#[test]
fn run_without_a_token_says_how_to_set_one() {
    let dir = tempfile::tempdir().unwrap();
    faqbot(dir.path())
        .arg("run")
        .env_remove("DISCORD_TOKEN")
        .assert()
        .code(2)
        .stderr(contains("set the DISCORD_TOKEN environment variable"));
}

#[test]
fn report_prints_the_gaps_and_ratings_kept_in_the_database() {
    use faqbot::records::{Asked, Channel, Records, SqliteRecords, Vote};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let records =
            SqliteRecords::open(&data, std::time::Duration::from_secs(90 * 86_400)).unwrap();
        for question in [
            "can massage cure my arthritis?",
            "Can massage cure my arthritis",
            "do you do reiki?",
        ] {
            records.asked(Asked::unanswered(
                question,
                std::time::SystemTime::now(),
                Channel::Command,
            ));
        }
        let voter = records.voter(7);
        records
            .vote(1, "prices.md:25", voter, Vote::NotHelpful)
            .unwrap();
        records.flush();
    }
    std::fs::write(dir.path().join("faqbot.toml"), "data_dir = \"data\"\n").unwrap();
    faqbot(dir.path())
        .args(["report", "--days", "7"])
        .assert()
        .success()
        .stdout(contains("(last 7 days)"))
        .stdout(contains("2×"))
        .stdout(contains("arthritis"))
        .stdout(contains("reiki"))
        .stdout(contains("prices.md:25"));
}

/// Runs a command that must succeed and print JSON, and returns what it printed.
fn json_output(command: &mut assert_cmd::Command) -> serde_json::Value {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A database with `questions` (text, days ago) asked and not answered, made by the bot's own
/// store, in `dir/data`; `dir/faqbot.toml` points at it.
fn database_with(dir: &std::path::Path, questions: &[(&str, u64)]) -> std::path::PathBuf {
    use faqbot::records::{Asked, Channel, Records, SqliteRecords};
    let data = dir.join("data");
    let records =
        SqliteRecords::open(&data, std::time::Duration::from_secs(3650 * 86_400)).unwrap();
    for (question, days_ago) in questions {
        records.asked(Asked::unanswered(
            *question,
            std::time::SystemTime::now() - std::time::Duration::from_secs(days_ago * 86_400),
            Channel::Command,
        ));
    }
    records.flush();
    std::fs::write(dir.join("faqbot.toml"), "data_dir = \"data\"\n").unwrap();
    data
}

fn stored_questions(data: &std::path::Path) -> usize {
    faqbot::records::RecordsReader::open(data)
        .unwrap()
        .unanswered(std::time::UNIX_EPOCH)
        .unwrap()
        .len()
}

/// Before: `faqbot report` purged with its own retention (90 days when run without the bot's
/// config) and created a database with a fresh salt wherever it was run.
#[test]
fn report_reads_only_and_never_deletes_or_creates() {
    let dir = tempfile::tempdir().unwrap();
    let data = database_with(
        dir.path(),
        &[("do you do reiki?", 200), ("is there parking?", 1)],
    );
    faqbot(dir.path())
        .args(["report", "--days", "3650"])
        .assert()
        .success()
        .stdout(contains("reiki"));
    assert_eq!(
        stored_questions(&data),
        2,
        "the 200-day-old question is still there"
    );

    let elsewhere = tempfile::tempdir().unwrap();
    faqbot(elsewhere.path())
        .arg("report")
        .assert()
        .code(2)
        .stderr(contains("there are no question records in data"));
    assert!(
        !elsewhere.path().join("data").exists(),
        "nothing was created"
    );
}

/// The data folder mounted read-only (in a mount namespace of the test's own, so nothing else
/// sees it): the report still reads it. Needs `unshare` and mount rights, as root has.
#[test]
fn report_works_on_a_read_only_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = database_with(dir.path(), &[("do you do reiki?", 1)]);
    let binary = assert_cmd::cargo::cargo_bin("faqbot");
    let script = "mount --bind \"$1\" \"$1\" && mount -o remount,ro,bind \"$1\" || exit 99; \
                  touch \"$1/probe\" 2>/dev/null && exit 98; cd \"$2\" && exec \"$3\" report";
    let output = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(&data)
        .arg(dir.path())
        .arg(&binary)
        .env_remove("FAQBOT_CONFIG")
        .output();
    let unmountable = |output: &std::process::Output| {
        output.status.code() == Some(99)
            || String::from_utf8_lossy(&output.stderr).starts_with("unshare:")
    };
    let output = match output {
        Ok(output) if !unmountable(&output) => output,
        _ => {
            eprintln!("skipped: no rights to mount a folder read-only here");
            return;
        }
    };
    assert_ne!(
        output.status.code(),
        Some(98),
        "the mount was not read-only"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("reiki"), "{stdout}");
}

/// Before: one row that could not be read (an unknown channel, a wrong column type) failed
/// the whole report.
#[test]
fn a_bad_row_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let data = database_with(dir.path(), &[("do you do reiki?", 1)]);
    let conn = rusqlite::Connection::open(data.join("faqbot.sqlite3")).unwrap();
    conn.execute_batch(
        "INSERT INTO questions (asked_at, channel, question, answered) VALUES (strftime('%s','now'), 'carrier pigeon', 'by bird?', 0);
         INSERT INTO questions (asked_at, channel, question, answered) VALUES (strftime('%s','now'), 'command', x'00ff', 0);",
    )
    .unwrap();
    drop(conn);
    faqbot(dir.path())
        .arg("report")
        .assert()
        .success()
        .stdout(contains("reiki"))
        .stderr(contains("skipping a question record that cannot be read"));
}

/// Before: `faqbot report | head` ended with "Broken pipe" and exit 2.
#[test]
fn a_closed_pipe_ends_the_report_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let questions: Vec<String> = (0..4_000)
        .map(|n| format!("question number {n} about topic{n}?"))
        .collect();
    let asked: Vec<(&str, u64)> = questions.iter().map(|q| (q.as_str(), 1)).collect();
    database_with(dir.path(), &asked);
    let binary = assert_cmd::cargo::cargo_bin("faqbot");
    let output = std::process::Command::new("bash")
        .args([
            "-c",
            "\"$1\" report | head -n 1; exit ${PIPESTATUS[0]}",
            "bash",
        ])
        .arg(&binary)
        .current_dir(dir.path())
        .env_remove("FAQBOT_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

/// Before: cut at 2,000 characters mid-word ("...slee"), 77 repeats were declined where 76
/// were answered.
#[test]
fn a_long_question_is_cut_between_words() {
    let engine = crate::support::bundled();
    for repeats in [76, 77, 78, 100] {
        let question = "can massage help me sleep ".repeat(repeats);
        let answer = engine.answer(&question, 1).unwrap();
        assert!(answer.answered, "{repeats} repeats declined");
    }
}

/// Degrade, never fail: without a usable model faqbot says so and answers by words.
#[test]
fn a_missing_or_broken_model_leaves_answers_by_words_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("faqbot.toml"),
        format!(
            "knowledge_dir = {:?}\n[semantic]\nmodel_dir = {:?}\n",
            bundled_knowledge().display().to_string(),
            empty.path().display().to_string()
        ),
    )
    .unwrap();
    faqbot(dir.path())
        .args(["ask", "can massage help me sleep?"])
        .assert()
        .success()
        .stdout(contains("insomnia"))
        .stderr(contains("matching by meaning is off"))
        .stderr(contains("model.safetensors is missing"));
    faqbot(dir.path())
        .arg("check")
        .assert()
        .success()
        .stdout(contains(
            "Matching by meaning: OFF, answers match words only",
        ));
    for name in ["model.safetensors", "tokenizer.json", "config.json"] {
        std::fs::write(empty.path().join(name), "{}").unwrap();
    }
    faqbot(dir.path())
        .args(["ask", "can massage help me sleep?"])
        .assert()
        .success()
        .stdout(contains("insomnia"))
        .stderr(contains("cannot be loaded"));

    std::fs::write(
        dir.path().join("faqbot.toml"),
        format!(
            "knowledge_dir = {:?}\n[semantic]\nenabled = false\n",
            bundled_knowledge().display().to_string()
        ),
    )
    .unwrap();
    faqbot(dir.path())
        .arg("check")
        .assert()
        .success()
        .stdout(contains(
            "Matching by meaning: off (semantic.enabled = false)",
        ));
}

/// `faqbot teach QUESTION --to TARGET --knowledge KNOWLEDGE`, run in `dir`.
fn teach(
    dir: &std::path::Path,
    question: &str,
    target: &str,
    knowledge: &str,
) -> assert_cmd::assert::Assert {
    faqbot(dir)
        .args(["teach", question, "--to", target, "--knowledge", knowledge])
        .assert()
}

#[test]
fn teach_adds_the_wording_and_the_question_is_answered_from_that_section() {
    let dir = folder(&[(
        "prices.md",
        b"---\ntitle: Prices # as on the price list\n---\n\n## What does a massage cost?\n\nAn hour costs 60 euros.\n\n## Is there parking?\n\nA car park is behind the clinic.\n",
    )]);
    let question = "will the tuesday yoga class go ahead";
    database_with(
        dir.path(),
        &[(question, 1), ("WILL the tuesday yoga class go ahead?", 0)],
    );
    let ask = |dir: &std::path::Path| {
        json_output(faqbot(dir).args(["ask", "--json", "--knowledge", "knowledge", question]))
    };
    std::fs::create_dir(dir.path().join("knowledge")).unwrap();
    std::fs::rename(
        dir.path().join("prices.md"),
        dir.path().join("knowledge/prices.md"),
    )
    .unwrap();
    assert_eq!(ask(dir.path())["answered"], false);
    let before = std::fs::read_to_string(dir.path().join("knowledge/prices.md")).unwrap();

    teach(
        dir.path(),
        question,
        "prices.md#what does a massage cost?",
        "knowledge",
    )
    .success()
    .stdout(contains("Saved prices.md. The previous version is kept as"))
    .stdout(contains("2 recorded question(s) marked answered"));
    let after = std::fs::read_to_string(dir.path().join("knowledge/prices.md")).unwrap();
    assert_eq!(
        after,
        before.replacen(
            "---\n\n",
            &format!("questions:\n  \"What does a massage cost?\":\n    - \"{question}\"\n---\n\n"),
            1
        ),
        "one key added, the comment and everything else as it was"
    );
    let answer = ask(dir.path());
    assert_eq!(answer["answered"], true, "{answer}");
    assert_eq!(answer["results"][0]["heading"], "What does a massage cost?");
    assert_eq!(
        stored_questions(&dir.path().join("data")),
        0,
        "the gap is gone"
    );

    teach(dir.path(), "where do i park", "prices.md#Parking", "knowledge")
        .code(2)
        .stderr(contains("prices.md has no section headed \"Parking\"; its sections are: \"What does a massage cost?\", \"Is there parking?\""));
    teach(dir.path(), "where do i park", "prices.md", "knowledge")
        .code(2)
        .stderr(contains("write FILE#HEADING"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("knowledge/prices.md")).unwrap(),
        after
    );
}

#[test]
fn teach_refuses_an_faq_export_and_changes_nothing() {
    let dir = folder(&[(
        "faq.csv",
        b"question,answer\nIs there parking?,Behind the clinic.\n",
    )]);
    teach(
        dir.path(),
        "where can i park",
        "faq.csv#Is there parking?",
        ".",
    )
    .code(2)
    .stderr(contains("faq.csv is an FAQ export"));
    assert_eq!(
        std::fs::read(dir.path().join("faq.csv")).unwrap(),
        b"question,answer\nIs there parking?,Behind the clinic.\n"
    );
}

/// A golden file with kinds gets right answers per kind, with meaning and by words side by
/// side; one labelled with a section the knowledge lacks is refused, saying which.
#[test]
fn eval_reports_right_answers_per_kind_with_meaning_and_by_words() {
    eval_golden(
        concat!(
            "{\"q\": \"What happens during a therapeutic massage?\", \"sections\": [\"what-happens-during-a-therapeutic-massage.txt#What happens during a therapeutic massage?\"], \"kind\": \"faq\"}\n",
            "{\"q\": \"how do you fix low water pressure in the shower\", \"expect_none\": true, \"kind\": \"off-topic\"}\n",
        )
        .as_bytes(),
    )
    .success()
    .stdout(contains("2 passed, 0 failed"))
    .stdout(contains("with meaning"))
    .stdout(contains("by words"))
    .stdout(predicates::str::is_match(r"faq +1/1 +100\.0% +1/1 +100\.0%").unwrap())
    .stdout(predicates::str::is_match(r"off-topic +1/1 +100\.0% +1/1 +100\.0%").unwrap());
    eval_golden(b"{\"q\": \"x\", \"sections\": [\"prices.md#No such heading\"]}\n")
        .code(2)
        .stderr(contains("\"prices.md#No such heading\""));
}

/// `--cross-validate` fits on some folds and judges the others: on two folds of members'
/// questions it prints the trials, the chosen decisions per kind and fold, and the weights.
#[test]
fn eval_cross_validates_the_decision_over_folds() {
    let set =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/members/questions.jsonl");
    let text = std::fs::read_to_string(set).unwrap();
    // Forty questions of folds 1 and 2, answerable and not.
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("\"fold\": 1,") || line.contains("\"fold\": 2,"))
        .step_by(9)
        .take(40)
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("expect_none"))
            && lines.iter().any(|l| l.contains("\"fold\": 2,"))
    );
    let dir = folder(&[("golden.jsonl", format!("{}\n", lines.join("\n")).as_bytes())]);
    faqbot(dir.path())
        .args(["eval", "golden.jsonl", "--cross-validate", "--knowledge"])
        .arg(bundled_knowledge())
        .assert()
        .success()
        .stdout(contains("40 questions in 2 folds by site"))
        .stdout(contains("+the question"))
        .stdout(contains("fold 1:"))
        .stdout(contains("fold 2:"))
        .stdout(contains("pub const WITH_MEANING: Model = Model {"))
        .stdout(contains("pub const WORDS_ONLY: Model = Model {"));
}

const PRICES: &[u8] = b"---\ntitle: Prices\n---\n\n## What does a massage cost?\n\nAn hour costs 60 euros.\n\n## Is there parking?\n\nA car park is behind the clinic.\n";

/// Before: two `faqbot teach` processes on different sections of one file both printed
/// "Saved" and one wording was gone (39 of 40 runs), once with one backup name for both. The
/// read-check-backup-write step is now exclusive across processes.
#[test]
fn two_teach_processes_at_once_keep_both_wordings_and_both_backups() {
    for round in 0..8 {
        let dir = folder(&[("knowledge/prices.md", PRICES)]);
        let spawn = |question: &str, target: &str| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("faqbot"))
                .current_dir(dir.path())
                .env_remove("FAQBOT_CONFIG")
                .args([
                    "teach",
                    question,
                    "--to",
                    target,
                    "--knowledge",
                    "knowledge",
                ])
                .output()
        };
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| {
                spawn(
                    "how much for an hour",
                    "prices.md#What does a massage cost?",
                )
            });
            let second = scope.spawn(|| spawn("where do i park", "prices.md#Is there parking?"));
            (
                first.join().unwrap().unwrap(),
                second.join().unwrap().unwrap(),
            )
        });
        for output in [&first, &second] {
            assert!(output.status.success(), "round {round}: {output:?}");
        }
        let text = std::fs::read_to_string(dir.path().join("knowledge/prices.md")).unwrap();
        assert!(
            text.contains("how much for an hour") && text.contains("where do i park"),
            "round {round}: a wording was lost:\n{text}"
        );
        let backups: Vec<_> = std::fs::read_dir(dir.path().join("data/backups"))
            .unwrap()
            .collect();
        assert_eq!(backups.len(), 2, "round {round}: one backup for each save");
    }
}

/// Before: "No such file or directory … backups/treatments/.hot-stone.md….tmp", and backups
/// of such files were never pruned.
#[test]
fn a_file_in_a_sub_folder_is_taught_and_backed_up_beside_its_own() {
    let dir = folder(&[("knowledge/treatments/hot-stone.md", PRICES)]);
    for n in 0..22 {
        teach(
            dir.path(),
            &format!("wording number {n}"),
            "treatments/hot-stone.md#Is there parking?",
            "knowledge",
        )
        .success();
    }
    let text =
        std::fs::read_to_string(dir.path().join("knowledge/treatments/hot-stone.md")).unwrap();
    assert!(text.contains("wording number 0") && text.contains("wording number 21"));
    let kept = std::fs::read_dir(dir.path().join("data/backups/treatments"))
        .unwrap()
        .count();
    assert_eq!(kept, 20, "the newest 20 backups are kept");
}

/// Before: saving reset the file's mode to 0600, so a file the bot's user could read became
/// unreadable to it when saved by another user.
#[cfg(unix)]
#[test]
fn teaching_keeps_the_files_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder(&[("knowledge/prices.md", PRICES)]);
    let file = dir.path().join("knowledge/prices.md");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
    teach(
        dir.path(),
        "where do i park",
        "prices.md#Is there parking?",
        "knowledge",
    )
    .success();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o664);
}

/// Before: `faqbot teach` followed symbolic links the loader skips: it read a linked file from
/// outside the folder and replaced the link with a copy, and wrote outside the folder through
/// a linked folder. Both are refused now, and nothing changes on either side of the link.
#[cfg(unix)]
#[test]
fn teaching_refuses_symbolic_links_and_writes_nothing() {
    let dir = folder(&[
        ("knowledge/prices.md", PRICES),
        ("outside/hours.md", PRICES),
    ]);
    let knowledge = dir.path().join("knowledge");
    std::os::unix::fs::symlink(
        dir.path().join("outside/hours.md"),
        knowledge.join("hours.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside"), knowledge.join("more")).unwrap();
    for target in [
        "hours.md#Is there parking?",
        "more/hours.md#Is there parking?",
    ] {
        teach(dir.path(), "where do i park", target, "knowledge")
            .code(2)
            .stderr(contains(
                "is a symbolic link, and the bot does not read through links",
            ));
    }
    assert!(
        std::fs::symlink_metadata(knowledge.join("hours.md"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read(dir.path().join("outside/hours.md")).unwrap(),
        PRICES
    );
    assert!(!dir.path().join("data/backups").exists());
}

/// Before: `faqbot teach` opened the records read-write, which ran the retention and deleted
/// old questions; only the running bot deletes.
#[test]
fn teaching_marks_questions_answered_and_deletes_none() {
    let dir = folder(&[("knowledge/prices.md", PRICES)]);
    let data = database_with(
        dir.path(),
        &[("do you do reiki?", 400), ("where do i park", 1)],
    );
    std::fs::write(
        dir.path().join("faqbot.toml"),
        "data_dir = \"data\"\nquestion_retention_days = 30\n",
    )
    .unwrap();
    teach(
        dir.path(),
        "where do i park",
        "prices.md#Is there parking?",
        "knowledge",
    )
    .success()
    .stdout(contains("1 recorded question(s) marked answered"));
    assert_eq!(
        stored_questions(&data),
        1,
        "the 400-day-old question is still there"
    );
}

/// Before: one `faqbot ask --knowledge other` on a shared data folder made the next start
/// on the bundled knowledge embed every passage again (20 s instead of 0.26 s): the cache
/// kept one folder's vectors, and the shipped ones counted only without a cache file.
#[test]
fn a_run_on_other_knowledge_costs_the_bundled_knowledge_no_embedding() {
    let dir = folder(&[(
        "other/notes.md",
        b"## Do you sell candles?\n\nYes, at the desk.\n",
    )]);
    faqbot(dir.path())
        .env("FAQBOT_DATA_DIR", "data")
        .args(["ask", "--knowledge", "other", "candles"])
        .assert()
        .success();
    faqbot(dir.path())
        .env("FAQBOT_DATA_DIR", "data")
        .env("RUST_LOG", "faqbot=debug")
        .arg("ask")
        .arg("--knowledge")
        .arg(bundled_knowledge())
        .arg("what happens during a therapeutic massage?")
        .assert()
        .success()
        .stderr(contains("passage vectors ready"))
        .stderr(contains(" embedded=0"));
}

/// Before: a file starting with a byte-order mark, or written with lone CR line endings,
/// lost its front matter when taught (a second block went above it); a comment after a
/// one-line entry was dropped; a wording with DEL or U+FFFE was refused, blaming the file;
/// a heading over 300 characters could not be taught. Through the real binary, each keeps
/// every other byte and reads back with its front matter whole.
#[test]
fn teaching_keeps_marks_line_endings_comments_and_odd_characters() {
    let long = format!("Is there parking {}?", "near the clinic ".repeat(25));
    let bom = "\u{feff}---\ntitle: Parking\ntags: [car]\nlast_reviewed: 2026-11-01\nquestions:\n  \"Is there parking?\": car park  # staff note\n---\n\n## Is there parking?\n\nYes.\n";
    let cr = "---\rtitle: Hours\rtags: [open]\r---\r\r## When are you open?\r\rAt nine.\r";
    let dir = folder(&[
        ("knowledge/parking.md", bom.as_bytes()),
        ("knowledge/hours.md", cr.as_bytes()),
        (
            "knowledge/long.md",
            format!("## {long}\n\nBehind the clinic.\n").as_bytes(),
        ),
    ]);
    teach(
        dir.path(),
        "where do i park \u{7f}\u{fffe}",
        "parking.md#Is there parking?",
        "knowledge",
    )
    .success();
    teach(
        dir.path(),
        "what time do you open",
        "hours.md#When are you open?",
        "knowledge",
    )
    .success();
    teach(
        dir.path(),
        "is there a car park",
        &format!("long.md#{long}"),
        "knowledge",
    )
    .success();
    let parking = std::fs::read_to_string(dir.path().join("knowledge/parking.md")).unwrap();
    assert!(
        parking.starts_with("\u{feff}---\ntitle: Parking\ntags: [car]\n"),
        "{parking:?}"
    );
    assert!(parking.contains("  # staff note\n"), "{parking:?}");
    assert_eq!(
        parking.matches("---\n").count(),
        2,
        "one front matter: {parking:?}"
    );
    let hours = std::fs::read_to_string(dir.path().join("knowledge/hours.md")).unwrap();
    assert!(
        !hours.contains('\n') && hours.starts_with("---\rtitle: Hours\rtags: [open]\r"),
        "{hours:?}"
    );
    // Everything still loads, with its tags, and answers the taught wordings.
    faqbot(dir.path())
        .args(["check", "knowledge"])
        .assert()
        .success();
    let base = faqbot::knowledge::KnowledgeBase::load(&dir.path().join("knowledge")).unwrap();
    let tags: Vec<&Vec<String>> = base.documents.iter().map(|d| &d.tags).collect();
    assert!(tags.contains(&&vec!["car".to_string()]) && tags.contains(&&vec!["open".to_string()]));
    let wordings: Vec<String> = base
        .passages()
        .flat_map(|p| p.alternative_questions.clone())
        .collect();
    for taught in [
        "where do i park \u{7f}\u{fffe}",
        "what time do you open",
        "is there a car park",
    ] {
        assert!(
            wordings.iter().any(|w| w == taught),
            "{taught:?} in {wordings:?}"
        );
    }
}

/// Before: "what are your opening hours?" answered "Our opening hours are:" and nothing more,
/// and "how do I book a massage?" said "in three ways:" and listed one.
#[test]
fn members_never_see_a_lead_in_without_its_list() {
    let dir = tempfile::tempdir().unwrap();
    for question in ["what are your opening hours?", "how do I book a massage?"] {
        let output = faqbot(dir.path())
            .args(["ask", "--top", "1", "--knowledge"])
            .arg(bundled_knowledge())
            .arg(question)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            !text.contains("hours are:") && !text.contains("three ways:"),
            "{text}"
        );
        assert!(!text.contains("{{"), "{text}");
    }
}

/// Before: a `config.json` with `num_attention_heads: 0` panicked in the model code (exit
/// 101). It is refused with its reason, and questions are answered by words.
#[test]
fn a_broken_model_config_answers_by_words_with_the_reason() {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-minilm-l6-v2");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    for name in ["model.safetensors", "tokenizer.json"] {
        std::fs::copy(shipped.join(name), model.join(name)).unwrap();
    }
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shipped.join("config.json")).unwrap()).unwrap();
    config["num_attention_heads"] = serde_json::json!(0);
    std::fs::write(model.join("config.json"), config.to_string()).unwrap();
    std::fs::write(
        dir.path().join("faqbot.toml"),
        "[semantic]\nmodel_dir = \"model\"\n",
    )
    .unwrap();
    faqbot(dir.path())
        .args(["ask", "--knowledge"])
        .arg(bundled_knowledge())
        .arg("what happens during a therapeutic massage?")
        .assert()
        .success()
        .stdout(contains("During a therapeutic massage"))
        .stderr(contains("config.json: num_attention_heads is 0"));
}

/// `faqbot digest` prints the week the bot would post, counted on the clinic's clock: here
/// the week of New York's change back to winter time (169 hours), with each question just
/// inside or outside it where it belongs.
#[test]
fn digest_prints_the_week_that_ended_last_across_a_clock_change() {
    use faqbot::records::{Asked, Channel, Records, SqliteRecords, Vote};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let at =
        |text: &str| std::time::SystemTime::from(text.parse::<jiff::Zoned>().unwrap().timestamp());
    {
        let records = SqliteRecords::open_keeping(&data).unwrap();
        for (question, when, answered) in [
            (
                "do you do reiki?",
                "2026-10-26T08:59:59[America/New_York]",
                false,
            ),
            (
                "do you do reiki?",
                "2026-10-26T09:00[America/New_York]",
                false,
            ),
            (
                "Do you do Reiki",
                "2026-11-01T01:30-05:00[America/New_York]",
                false,
            ),
            ("", "2026-11-01T01:30-04:00[America/New_York]", true),
            ("", "2026-11-02T08:59:59[America/New_York]", true),
            ("", "2026-11-02T09:00[America/New_York]", false),
        ] {
            records.asked(Asked {
                answered,
                ..Asked::unanswered(question, at(when), Channel::Mention)
            });
        }
        // Votes are stamped now; this week's are not the digest's.
        records
            .vote(1, "prices.md:25", records.voter(7), Vote::NotHelpful)
            .unwrap();
        records.flush();
    }
    std::fs::write(
        dir.path().join("faqbot.toml"),
        "data_dir = \"data\"\n[staff]\nchannel_id = 1\ndigest = \"monday 09:00\"\ntime_zone = \"America/New_York\"\n",
    )
    .unwrap();
    let knowledge = crate::support::bundled_knowledge();
    let knowledge = knowledge.to_str().unwrap();
    faqbot(dir.path())
        .args([
            "digest",
            "--knowledge",
            knowledge,
            "--at",
            "2026-11-02T10:00[America/New_York]",
        ])
        .assert()
        .success()
        .stdout(contains(
            "Weekly digest: Monday 26 October – Monday 2 November, 09:00 (America/New_York)",
        ))
        .stdout(contains(
            "Questions: 4 asked · 2 answered · 2 declined · 0 sent to staff",
        ))
        .stdout(contains("  1. 2× do you do reiki?\n"))
        .stdout(contains(
            "Answers most marked \"Not helpful\"\n  None this week.",
        ))
        .stdout(contains("Placeholders left: "));
    // The week holding the vote ends at the next Monday 09:00 after it.
    let later = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 7))
        .unwrap()
        .to_string();
    let printed = faqbot(dir.path())
        .args(["digest", "--knowledge", knowledge, "--at", &later])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&printed.get_output().stdout).to_string();
    assert!(
        out.contains("  prices.md:25: 1 not helpful, 0 helpful"),
        "{out}"
    );
}

#[test]
fn digest_without_a_schedule_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    faqbot(dir.path())
        .arg("digest")
        .assert()
        .code(2)
        .stderr(contains(
            "add digest = \"monday 09:00\", time_zone and channel_id under [staff]",
        ));
    std::fs::write(
        dir.path().join("faqbot.toml"),
        "[staff]\nchannel_id = 1\ndigest = \"mondays at 9\"\ntime_zone = \"America/New_York\"\n",
    )
    .unwrap();
    faqbot(dir.path())
        .arg("digest")
        .assert()
        .code(2)
        .stderr(contains("faqbot.toml:3:"))
        .stderr(contains(
            "write a weekday and a 24-hour time, such as \"monday 09:00\"",
        ));
}
