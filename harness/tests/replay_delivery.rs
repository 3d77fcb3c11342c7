//! The replay and delivery suites against the embedded mock in set-ups the demo does not use:
//! the guide's `body` scheme (SIG-3 is then an advisory and dedupe alone stops a fresh-timestamp
//! replay), events made by pinging when the trigger cannot act, and no way to make the vendor
//! act at all.

use contract::Scheme;
use harness::config::{TriggerConfig, VendorConfig};
use harness::progress::ProgressMode;
use harness::report::{CheckReport, Report};
use harness::runner::{RunOptions, RunSummary, run};
use mock_vendor::MockConfig;
use suites::Status;

/// Runs the replay and delivery suites against a fresh mock built from `mock_config`, with the
/// demo's harness configuration changed by `adjust`.
async fn run_suites(mock_config: MockConfig, adjust: impl FnOnce(&mut VendorConfig)) -> (RunSummary, Report) {
    let state_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock =
        mock_vendor::start(MockConfig { key_bits: 1024, ..mock_config }, listener, state_dir.path()).await.unwrap();
    let mut config = harness::cli::demo::config_for(&mock, mock_vendor::shape::Shape::Canonical).unwrap();
    adjust(&mut config);
    let out = tempfile::tempdir().unwrap();
    let options = RunOptions {
        out_dir: out.path().to_owned(),
        suites: vec!["replay".into(), "delivery".into()],
        non_interactive: true,
        progress: ProgressMode::Quiet,
        ..RunOptions::default()
    };
    let summary = run(config, options).await.unwrap();
    mock.stop().await;
    let report = Report::load(&summary.report_dir).unwrap();
    (summary, report)
}

fn row<'r>(report: &'r Report, id: &str) -> &'r CheckReport {
    report.checks().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} did not run"))
}

fn not_passing(summary: &RunSummary) -> Vec<(&str, Status)> {
    summary.outcomes.iter().filter(|o| o.status != Status::Pass).map(|o| (o.id.as_str(), o.status)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_body_scheme_only_the_unbound_timestamp_is_an_advisory_and_dedupe_stops_replays() {
    let mock = MockConfig { signature: Scheme::Body, ..harness::cli::demo::demo_mock_config(Vec::new()) };
    let (summary, report) = run_suites(mock, |c| c.webhook.scheme = Scheme::Body).await;
    assert_eq!(not_passing(&summary), [("replay.timestamp-bound", Status::Fail)]);
    let bound = row(&report, "replay.timestamp-bound");
    assert!(bound.advisory, "SIG-3 is a SHOULD");
    assert!(bound.message.contains("only dedupe on `event_id`"), "{}", bound.message);
    assert_eq!(bound.evidence.exchanges.len(), 1, "the delivery that verified over the body alone");
    // With the timestamp unsigned, a replay with a fresh timestamp verifies: dedupe refuses it.
    let dedupe = row(&report, "replay.receiver-dedupes");
    let fresh = dedupe.evidence.notes.iter().find(|n| n.starts_with("resent with a fresh timestamp")).unwrap();
    assert!(fresh.contains("the signature verified"), "{fresh}");
    assert!(dedupe.message.contains("was processed once"), "{}", dedupe.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_trigger_cannot_act_pings_make_the_events() {
    let (summary, report) = run_suites(harness::cli::demo::demo_mock_config(Vec::new()), |c| {
        c.trigger = TriggerConfig::Ping;
    })
    .await;
    assert!(not_passing(&summary).is_empty(), "{:#?}", not_passing(&summary));
    for id in
        ["replay.signature", "delivery.retry-on-failure", "delivery.outage-recovery", "delivery.distinct-event-ids"]
    {
        let row = row(&report, id);
        assert!(row.message.contains("ping"), "{id}: {}", row.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_way_to_make_the_vendor_act_every_check_says_why_it_skipped() {
    // A mock without the ping extension: one that offers it undeclared is found and pinged.
    let mock = harness::cli::demo::demo_mock_config(vec![mock_vendor::Fault::NoPing]);
    let (summary, report) = run_suites(mock, |c| {
        c.trigger = TriggerConfig::Passive;
        c.capabilities.declared.retain(|c| c != "ping");
    })
    .await;
    let skipped: Vec<&str> = summary.with_status(Status::Skip);
    assert_eq!(skipped.len(), summary.outcomes.len(), "{:#?}", summary.outcomes);
    let signature = row(&report, "replay.signature");
    assert!(signature.message.contains("the `passive` trigger cannot"), "{}", signature.message);
    assert!(signature.message.contains("`ping` extension"), "{}", signature.message);
}
