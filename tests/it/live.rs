//! Live knowledge: edits, additions, deletions and broken files picked up without a restart,
//! while questions keep being answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use faqbot::files::write_atomically;
use faqbot::live::{LiveKnowledge, Status};

use crate::support::folder;

const STABLE: &[u8] = b"## Do you have parking?\n\nYes, free parking behind the clinic.\n";
const HOURS_V1: &[u8] = b"## When are you open?\n\nWe open at nine on weekdays.\n";
const HOURS_V2: &[u8] = b"## When are you open?\n\nWe open at eight on weekdays.\n";
const BROKEN: &[u8] = b"---\ntitle: [unclosed\n---\n\nWe open at noon.\n";
/// A reload takes milliseconds; this only bounds a broken watcher.
const WAIT: Duration = Duration::from_secs(20);

/// A watched folder and the reloads it reports.
struct Watched {
    dir: tempfile::TempDir,
    live: Arc<LiveKnowledge>,
    reloads: mpsc::Receiver<Status>,
    _watcher: faqbot::live::KnowledgeWatcher,
}

fn watched(files: &[(&str, &[u8])]) -> Watched {
    let dir = folder(files);
    let live = Arc::new(LiveKnowledge::load(dir.path(), 365).expect("loads"));
    let (sender, reloads) = mpsc::channel();
    let watcher = live
        .watch(move |status| {
            let _ = sender.send(status.expect("reload works"));
        })
        .expect("watches");
    Watched {
        dir,
        live,
        reloads,
        _watcher: watcher,
    }
}

impl Watched {
    /// Waits for reloads until one satisfies `done`.
    fn until(&self, what: &str, done: impl Fn(&Status, &LiveKnowledge) -> bool) -> Status {
        self.until_within(WAIT, what, done)
    }

    /// [`Watched::until`], waiting up to `wait`.
    fn until_within(
        &self,
        wait: Duration,
        what: &str,
        done: impl Fn(&Status, &LiveKnowledge) -> bool,
    ) -> Status {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let status = self
                .reloads
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no reload brought: {what}"));
            if done(&status, &self.live) {
                return status;
            }
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        write_atomically(&self.dir.path().join(name), bytes).expect("write");
    }
}

fn best_text(live: &LiveKnowledge, question: &str) -> Option<String> {
    let answer = live.engine().answer(question, 1).expect("answers");
    answer.best().map(|hit| hit.text.clone())
}

#[test]
fn edits_additions_renames_and_deletions_are_picked_up() {
    let w = watched(&[("stable.md", STABLE), ("hours.md", HOURS_V1)]);
    assert!(
        best_text(&w.live, "when are you open")
            .unwrap()
            .contains("nine")
    );

    w.write("hours.md", HOURS_V2);
    w.until("the edit", |_, live| {
        best_text(live, "when are you open").is_some_and(|t| t.contains("eight"))
    });

    w.write(
        "massage.md",
        b"## What is a hot stone massage?\n\nWarm basalt stones.\n",
    );
    w.until("the new file", |_, live| {
        best_text(live, "hot stone massage").is_some()
    });

    std::fs::rename(
        w.dir.path().join("massage.md"),
        w.dir.path().join("stones.md"),
    )
    .unwrap();
    w.until("the rename", |_, live| {
        live.engine()
            .answer("hot stone massage", 1)
            .unwrap()
            .best()
            .is_some_and(|hit| hit.source == "stones.md")
    });

    std::fs::remove_file(w.dir.path().join("stones.md")).unwrap();
    let status = w.until("the deletion", |_, live| {
        best_text(live, "hot stone massage").is_none()
    });
    assert_eq!(status.files, 2);
}

#[test]
fn a_broken_file_keeps_answering_from_its_last_good_version_until_fixed() {
    let w = watched(&[("stable.md", STABLE), ("hours.md", HOURS_V1)]);
    w.write("hours.md", BROKEN);
    let status = w.until("the broken file", |status, _| status.errors().count() > 0);
    assert_eq!(status.serving_last_good, vec!["hours.md"]);
    let error = status.errors().next().unwrap().to_string();
    assert!(
        error.starts_with("hours.md:2: error: front matter"),
        "{error}"
    );
    assert!(
        best_text(&w.live, "when are you open")
            .unwrap()
            .contains("nine")
    );

    w.write("hours.md", HOURS_V2);
    let status = w.until("the fix", |status, _| status.errors().count() == 0);
    assert!(status.serving_last_good.is_empty());
    assert!(
        best_text(&w.live, "when are you open")
            .unwrap()
            .contains("eight")
    );
}

#[test]
fn questions_never_fail_while_files_change() {
    let w = watched(&[("stable.md", STABLE), ("hours.md", HOURS_V1)]);
    let stop = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));
    let askers: Vec<_> = (0..2)
        .map(|_| {
            let (live, stop, asked) = (Arc::clone(&w.live), Arc::clone(&stop), Arc::clone(&asked));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let engine = live.engine();
                    let answer = engine
                        .answer("do you have parking?", 3)
                        .expect("never fails");
                    let best = answer.best().expect("the stable file always answers");
                    assert!(best.text.contains("free parking"), "{best:?}");
                    asked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let steps: [(&str, Option<&[u8]>); 6] = [
        ("hours.md", Some(HOURS_V2)),
        (
            "extra.md",
            Some(b"## Do you sell gift cards?\n\nYes, at the desk.\n"),
        ),
        ("hours.md", Some(BROKEN)),
        ("extra.md", None),
        ("hours.md", Some(HOURS_V1)),
        (
            "more.txt",
            Some(b"Do you do couples massage?\n\nYes, book two therapists.\n"),
        ),
    ];
    for (name, bytes) in steps {
        match bytes {
            Some(bytes) => w.write(name, bytes),
            None => std::fs::remove_file(w.dir.path().join(name)).unwrap(),
        }
        // Let the askers run across each change and its reload.
        w.until(&format!("the change to {name}"), |_, _| true);
    }
    // The reload that brought it may be the one the last step waited for.
    if best_text(&w.live, "couples massage").is_none() {
        w.until("the last file", |_, live| {
            best_text(live, "couples massage").is_some()
        });
    }
    stop.store(true, Ordering::Relaxed);
    for asker in askers {
        asker.join().expect("no question failed");
    }
    assert!(asked.load(Ordering::Relaxed) > 0);
    assert!(
        best_text(&w.live, "when are you open")
            .unwrap()
            .contains("nine")
    );
}

#[test]
fn old_review_dates_are_listed() {
    let dir = folder(&[
        (
            "old.md",
            b"---\nlast_reviewed: 2001-02-03\n---\n## Q?\n\nA.\n",
        ),
        (
            "new.md",
            b"---\nlast_reviewed: 2999-01-01\n---\n## Q2?\n\nB.\n",
        ),
        ("none.md", b"## Q3?\n\nC.\n"),
    ]);
    let live = LiveKnowledge::load(dir.path(), 365).unwrap();
    let due = live.status().due_for_review;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].0, "old.md");
    assert_eq!(due[0].1.to_string(), "2001-02-03");
}

#[test]
fn an_atomic_write_leaves_no_temporary_file() {
    let dir = folder(&[("a.md", HOURS_V1)]);
    write_atomically(&dir.path().join("a.md"), HOURS_V2).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["a.md"]);
    assert_eq!(std::fs::read(dir.path().join("a.md")).unwrap(), HOURS_V2);
}

/// The child half of [`a_killed_writer_never_leaves_half_a_file`]: rewrites one file forever.
const WRITER_ENV: &str = "FAQBOT_TEST_ATOMIC_WRITER_DIR";

fn version(n: usize) -> Vec<u8> {
    // Large enough that a torn write would be likely: many disk blocks per version.
    let body = format!("Version {n} of the opening hours. ").repeat(4000);
    format!("## When are you open?\n\n{body}\n\nEND {n}\n").into_bytes()
}

#[test]
fn a_killed_writer_never_leaves_half_a_file() {
    if let Some(dir) = std::env::var_os(WRITER_ENV) {
        let path = std::path::Path::new(&dir).join("hours.md");
        for n in 1.. {
            write_atomically(&path, &version(n)).expect("child write");
        }
        return;
    }
    let dir = folder(&[("hours.md", &version(0))]);
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "live::a_killed_writer_never_leaves_half_a_file",
            "--nocapture",
        ])
        .env(WRITER_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child starts");
    // Wait until the child has replaced the file several times, then kill it mid-stream.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(dir.path().join("hours.md")).unwrap_or_default();
        let n: usize = text
            .rsplit("END ")
            .next()
            .and_then(|tail| tail.trim().parse().ok())
            .unwrap_or(0);
        if n >= 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child did not write"
        );
        std::thread::yield_now();
    }
    child.kill().expect("kill the writer");
    child.wait().expect("reap the writer");
    let bytes = std::fs::read(dir.path().join("hours.md")).expect("the file is there");
    let text = String::from_utf8(bytes.clone()).expect("whole UTF-8");
    let n: usize = text
        .rsplit("END ")
        .next()
        .and_then(|t| t.trim().parse().ok())
        .expect("complete file");
    assert_eq!(bytes, version(n), "the file is exactly one whole version");
    let base = faqbot::knowledge::KnowledgeBase::load(dir.path()).expect("loads");
    assert!(!base.has_errors(), "{:?}", base.diagnostics);
    assert_eq!(
        base.documents.len(),
        1,
        "a leftover temporary file is hidden and ignored"
    );
}

/// Before: an editor that truncates a file and writes it again in pieces, pausing between
/// them, was read halfway through (7 of 14 passages served).
#[test]
fn a_file_rewritten_in_place_slowly_is_never_read_halfway() {
    const SECTIONS: usize = 14;
    let sections = |version: &str| -> Vec<String> {
        (1..=SECTIONS)
            .map(|n| format!("## Question {n}?\n\nAnswer {n}, {version}.\n\n"))
            .collect()
    };
    let old: String = sections("version one").concat();
    let w = watched(&[("faq.md", old.as_bytes())]);
    assert_eq!(w.live.status().passages, SECTIONS);
    let path = w.dir.path().join("faq.md");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).expect("truncate");
        for section in sections("version two") {
            file.write_all(section.as_bytes()).expect("write");
            file.flush().expect("flush");
            // Shorter than the watcher's wait for quiet, so the events never stop coming
            // for long while the file is half written.
            std::thread::sleep(Duration::from_millis(150));
        }
    });
    let last = w.until("the whole new version", |status, live| {
        status.passages == SECTIONS
            && best_text(live, "question 14").is_some_and(|text| text.contains("version two"))
    });
    writer.join().expect("writer");
    assert_eq!(last.passages, SECTIONS);
    // Every reload until then saw the whole file: each one is checked by `until`, and any
    // with fewer passages would show here.
    while let Ok(status) = w.reloads.try_recv() {
        assert_eq!(
            status.passages, SECTIONS,
            "a later reload read half the file"
        );
    }
}

/// Before: a reload stopped at a sub-folder it could not list, so every reload failed.
#[test]
fn a_sub_folder_that_cannot_be_listed_does_not_stop_reloads() {
    let w = watched(&[("stable.md", STABLE), ("hours.md", HOURS_V1)]);
    crate::knowledge::too_long_folder(w.dir.path());
    w.write("hours.md", HOURS_V2);
    let status = w.until("the edit beside the deep folder", |status, live| {
        best_text(live, "when are you open").is_some_and(|text| text.contains("eight"))
            && status.errors().count() == 1
    });
    let error = status
        .errors()
        .next()
        .expect("the folder's error")
        .to_string();
    assert!(error.contains("cannot read this folder"), "{error}");
    assert!(best_text(&w.live, "do you have parking").is_some());
}

/// Files under a sub-folder that stops being listable keep answering from their last good
/// version. Root can list any folder, so this needs an ordinary user to show anything.
#[test]
fn files_in_a_folder_that_becomes_unlistable_keep_their_last_good_version() {
    use std::os::unix::fs::PermissionsExt;
    let w = watched(&[("stable.md", STABLE), ("locked/hours.md", HOURS_V1)]);
    let locked = w.dir.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipped: this user can list any folder (root), so none can be made unlistable");
        return;
    }
    let status = w.live.reload().expect("the reload works");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(status.serving_last_good, vec!["locked/hours.md"]);
    assert!(best_text(&w.live, "when are you open").is_some_and(|t| t.contains("nine")));
}

/// Before: every atomic write of a process used the same temporary name, so two at once
/// could tear the file or fail.
#[test]
fn atomic_writes_at_the_same_time_each_leave_a_whole_file() {
    let dir = folder(&[("hours.md", &version(0))]);
    let path = dir.path().join("hours.md");
    let writers: Vec<_> = (1..=8)
        .map(|writer| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..10 {
                    write_atomically(&path, &version(writer * 100 + n)).expect("write");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("no write failed");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let n: usize = text
        .rsplit("END ")
        .next()
        .and_then(|t| t.trim().parse().ok())
        .expect("complete file");
    assert_eq!(text.into_bytes(), version(n));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["hours.md"], "no temporary file is left");
}

/// Before: a reload ran on the watcher's own thread, so while a large export's first
/// embedding ran (21 minutes in one probe), a file added meanwhile went unanswered until it
/// was over. Now the large reload answers by words at once and embeds in the background; a
/// file added meanwhile is answered within its own reload, and the newest knowledge is
/// answered by meaning as soon as its vectors are ready.
#[test]
fn a_file_added_during_a_long_embedding_is_answered_at_once() {
    let dir = folder(&[("parking.md", STABLE)]);
    let semantic = crate::support::own_semantic();
    let model = semantic.embedder().id().to_string();
    let live = Arc::new(
        LiveKnowledge::load_with(
            dir.path(),
            365,
            Some(semantic),
            faqbot::meaning::MeaningStatus::On(model),
        )
        .expect("loads"),
    );
    let (sender, reloads) = mpsc::channel();
    let _watcher = live
        .watch(move |status| {
            let _ = sender.send(status.expect("reload works"));
        })
        .expect("watches");
    let w = Watched {
        dir,
        live,
        reloads,
        _watcher,
    };
    // A large export: hundreds of passages and questions to embed, far more than a reload
    // embeds in place.
    let rows: String = (0..600)
        .map(|n| {
            format!(
                "{{\"question\": \"What is treatment {n} like?\", \"answer\": \"Treatment {n} is a calm session in which the therapist works slowly on the shoulders, the back and the legs, checking the pressure with you, for about an hour, after a short chat about how you feel today and what you would like.\"}}\n"
            )
        })
        .collect();
    w.write("treatments.jsonl", rows.as_bytes());
    let catching_up = |status: &Status| {
        matches!(
            status.meaning,
            faqbot::meaning::MeaningStatus::CatchingUp(_)
        )
    };
    let big = w.until("the export, by words first", |status, _| {
        status.files == 2 && catching_up(status)
    });
    assert!(big.passages > 600);
    assert!(!w.live.engine().matches_meaning(), "by words meanwhile");
    w.write(
        "candles.md",
        b"## Do you sell candles?\n\nYes, scented candles at the front desk.\n",
    );
    w.until(
        "the new file while the export still embeds",
        |status, live| {
            status.files == 3
                && catching_up(status)
                && best_text(live, "do you sell candles")
                    .is_some_and(|text| text.contains("scented"))
        },
    );
    // Then everything by meaning, the newest file included: the embedding's own time, which a
    // loaded machine stretches.
    let done = w.until_within(
        Duration::from_secs(600),
        "all of it by meaning",
        |status, live| {
            matches!(status.meaning, faqbot::meaning::MeaningStatus::On(_))
                && live.engine().matches_meaning()
        },
    );
    assert_eq!(done.files, 3);
    assert!(best_text(&w.live, "do you sell candles").is_some_and(|text| text.contains("scented")));
}
