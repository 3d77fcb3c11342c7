//! The run as an event stream and its reporters: what a reporter is told, in which order, for a
//! small run against the embedded mock; and what the terminal prints at the end of a faulty
//! demo when piped (every failing check with its reason, no ANSI codes, CI's plain lines).

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};

use harness::events::{EventKind, Reporter, RunEvent};
use suites::Status;

/// What a recorder keeps of each event: its name, the check it names, and a detail.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    RunStarted {
        vendor: String,
        checks: Vec<String>,
    },
    CheckStarted {
        index: usize,
        id: String,
    },
    Waiting {
        what: String,
    },
    Delivery {
        verified: bool,
        line: String,
    },
    /// A check set an answer window on the receiver.
    Answering {
        answer: String,
    },
    CheckFinished {
        index: usize,
        id: String,
        status: Status,
    },
    /// With whether the report files were already written when it came.
    RunFinished {
        total: usize,
        written: bool,
    },
}

struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Reporter for Recorder {
    fn event(&mut self, event: &RunEvent) -> anyhow::Result<()> {
        let seen = match &event.kind {
            EventKind::RunStarted { vendor, checks, .. } => {
                Seen::RunStarted { vendor: vendor.clone(), checks: checks.iter().map(|m| m.id.to_owned()).collect() }
            }
            EventKind::CheckStarted { index, meta, .. } => Seen::CheckStarted { index: *index, id: meta.id.into() },
            EventKind::Waiting { what, .. } => Seen::Waiting { what: what.clone() },
            EventKind::DeliveryReceived(d) => Seen::Delivery { verified: d.verified.is_ok(), line: d.line() },
            EventKind::ReceiverAnswering { answer, .. } => Seen::Answering { answer: (*answer).to_owned() },
            EventKind::CheckFinished { index, row, .. } => {
                Seen::CheckFinished { index: *index, id: row.id.clone(), status: row.status }
            }
            EventKind::RunFinished { report, report_dir } => {
                Seen::RunFinished { total: report.counts.total, written: report_dir.join("report.json").is_file() }
            }
        };
        self.0.lock().unwrap().push(seen);
        Ok(())
    }
}

/// Runs `checks` against the embedded mock with a recorder: what it was told, and the summary.
async fn record(checks: &[&str]) -> (Vec<Seen>, harness::runner::RunSummary) {
    let out = tempfile::tempdir().unwrap();
    let (running, _state, config) = common::demo_mock().await;
    let options = common::quiet_options(out.path(), checks);
    let events = Arc::new(Mutex::new(Vec::new()));
    let summary = harness::run_with(config, options, vec![Box::new(Recorder(events.clone()))]).await.unwrap();
    running.stop().await;
    let events = events.lock().unwrap().clone();
    (events, summary)
}

/// A check that makes the receiver fail on purpose says so the moment it does, before the retries
/// it waits for arrive: the live view shades the outage and the terminal names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_a_check_sets_is_told_before_the_retries_it_causes() {
    let (events, summary) = record(&["delivery.retry-on-failure"]).await;
    assert_eq!(summary.with_status(Status::Pass), ["delivery.retry-on-failure"], "{events:#?}");
    let first = events.iter().position(|e| matches!(e, Seen::Answering { .. })).expect("an answer window is told");
    let answers: Vec<&str> = events
        .iter()
        .filter_map(|e| if let Seen::Answering { answer } = e { Some(answer.as_str()) } else { None })
        .collect();
    assert!(answers.contains(&"500"), "{answers:?}");
    let started = events.iter().position(|e| matches!(e, Seen::CheckStarted { .. })).unwrap();
    let finished = events.iter().position(|e| matches!(e, Seen::CheckFinished { .. })).unwrap();
    assert!(started < first && first < finished, "told inside the check: {events:#?}");
    assert!(events[first..finished].iter().any(|e| matches!(e, Seen::Delivery { .. })), "retries follow: {events:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_told_to_reporters_in_order_with_its_waits_and_deliveries() {
    let checks = ["schema.account", "webhooks.ping", "events.health"];
    let (events, summary) = record(&checks).await;

    assert_eq!(
        events.first(),
        Some(&Seen::RunStarted {
            vendor: "mock-vendor (demo)".into(),
            checks: checks.iter().map(|c| c.to_string()).collect()
        }),
        "{events:#?}"
    );
    assert_eq!(events.last(), Some(&Seen::RunFinished { total: 3, written: true }), "the files are written first");

    // Each check: started, then (maybe) waits and deliveries, then finished, one after another.
    let mut current: Option<(usize, String)> = None;
    let mut finished = Vec::new();
    for event in &events[1..events.len() - 1] {
        match event {
            Seen::CheckStarted { index, id } => {
                assert!(current.is_none(), "{id} started before the last check finished: {events:#?}");
                assert_eq!(*index, finished.len());
                current = Some((*index, id.clone()));
            }
            Seen::CheckFinished { index, id, status } => {
                assert_eq!(current.take(), Some((*index, id.clone())), "{events:#?}");
                finished.push((id.clone(), *status));
            }
            Seen::Waiting { what } => assert!(current.is_some(), "a wait outside any check: {what}"),
            Seen::Delivery { .. } | Seen::Answering { .. } => {}
            other => panic!("{other:?} in the middle of the run"),
        }
    }
    let expected: Vec<(String, Status)> = checks.iter().map(|c| (c.to_string(), Status::Pass)).collect();
    assert_eq!(finished, expected, "{events:#?}");
    assert_eq!(summary.with_status(Status::Pass), checks);

    // The event checks say what they wait for, and the receiver's deliveries are told as they come.
    let waits: Vec<&str> =
        events.iter().filter_map(|e| if let Seen::Waiting { what } = e { Some(what.as_str()) } else { None }).collect();
    assert!(waits.contains(&"the ping"), "{waits:?}");
    assert!(waits.iter().any(|w| w.ends_with(" expected event(s)")), "{waits:?}");
    let deliveries: Vec<&Seen> = events.iter().filter(|e| matches!(e, Seen::Delivery { .. })).collect();
    assert!(
        deliveries.iter().any(|d| matches!(d, Seen::Delivery { verified: true, line } if line.contains(" ping ") && line.contains("answered 200, verified"))),
        "{deliveries:#?}"
    );
    assert!(
        deliveries.iter().any(|d| matches!(d, Seen::Delivery { verified: true, line } if line.contains(" health "))),
        "{deliveries:#?}"
    );
}

/// `harness demo --fault device-missing-type`, piped as CI pipes it: stdout ends with the
/// verdict, the counts, every failing check with the first line of its reason and the report's
/// path; stderr has the plain `[n/N]` lines and the waits; neither has an ANSI code.
#[test]
fn a_piped_faulty_demo_ends_with_every_failing_check_and_no_colour() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["demo", "--fault", "device-missing-type", "--out", out.path().to_str().unwrap()])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'), "ANSI codes in piped output:\n{stdout}\n{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("[1/")), "{stderr}");
    assert!(stderr.contains(": waiting for the ping (up to "), "{stderr}");

    let report = harness::report::Report::load(&out.path().join("latest")).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], report.headline());
    let c = &report.counts;
    assert_eq!(
        lines[1],
        format!(
            "{} checks: {} passed, {} failed, {} advisories, {} skipped, {} errors",
            c.total, c.pass, c.fail, c.advisory, c.skip, c.error
        )
    );
    let failing: Vec<&harness::report::CheckReport> =
        report.checks().filter(|r| harness::reporter::terminal::shown_at_the_end(r)).collect();
    assert!(failing.iter().any(|r| r.id == "schema.device-fields"), "{stdout}");
    // Every FAIL and ERROR is named; a SKIP only when it leaves the verdict incomplete.
    assert!(report.checks().filter(|r| matches!(r.status, Status::Fail | Status::Error)).all(|r| failing.contains(&r)));
    assert!(!failing.iter().any(|r| r.status == Status::Skip && !r.applicable));
    assert_eq!(lines.len(), 3 + failing.len(), "{stdout}");
    for (line, row) in lines[2..].iter().zip(&failing) {
        let label = match row.status {
            Status::Fail if row.advisory => "ADVISORY",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
            _ => "ERROR",
        };
        let start: String = row.message.lines().next().unwrap().chars().take(100).collect();
        assert!(line.trim_start().starts_with(label) && line.contains(&row.id), "{line}");
        assert!(line.contains(&start), "the reason is the message's first line: {line}");
        assert!(line.ends_with(&format!("[{}]", row.requirements.join(", "))), "{line}");
    }
    let last = lines.last().unwrap();
    assert_eq!(*last, format!("report: {}", out.path().join(&report.run_id).join("report.html").display()));
}
