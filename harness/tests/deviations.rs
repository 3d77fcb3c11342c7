//! Agreed deviations end to end: a FAIL within its deviation's expiry is WAIVED in every report
//! format and the verdict reads CONFORMANT WITH DEVIATIONS; past the expiry it fails as usual; a
//! deviation whose check passes is stale; one whose check did not run is unused.

mod common;

use harness::deviations::Deviation;
use harness::report::Verdict;
use serde_json::Value;
use suites::Status;

fn deviation(check: &str, expires: &str) -> Deviation {
    let meta = suites::catalogue().iter().find(|m| m.id == check).unwrap();
    Deviation {
        check: check.into(),
        requirement: meta.requirements[0].into(),
        reason: "the fix ships in 2.3".into(),
        reference: format!("INT-{}", check.len()),
        expires: expires.into(),
    }
}

/// The schema suite against the mock with devices missing their `type`, under `deviations`.
async fn run(deviations: Vec<Deviation>) -> (harness::runner::RunSummary, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut mock = harness::cli::demo::demo_mock_config(vec![mock_vendor::Fault::DeviceMissingType]);
    mock.key_bits = 1024;
    let options =
        harness::runner::RunOptions { suites: vec!["schema".into()], ..common::quiet_options(out.path(), &[]) };
    let summary =
        harness::cli::demo::run_demo_with(mock, options, |config| config.deviations = deviations).await.unwrap();
    (summary, out)
}

fn report_json(summary: &harness::runner::RunSummary) -> Value {
    let doc: Value = serde_json::from_slice(&std::fs::read(summary.report_dir.join("report.json")).unwrap()).unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/report.json")).unwrap();
    let schema = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let errors: Vec<String> = schema.iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "report.json does not match schemas/report.json: {errors:#?}");
    doc
}

fn read(summary: &harness::runner::RunSummary, name: &str) -> String {
    std::fs::read_to_string(summary.report_dir.join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_within_its_deviation_is_waived_in_every_format() {
    let (summary, _out) = run(vec![
        deviation("schema.device-fields", "2099-12-31"),
        deviation("schema.account", "2099-12-31"),
        deviation("events.catalog", "2099-12-31"),
    ])
    .await;
    assert_eq!((summary.verdict, summary.exit_code), (Verdict::ConformantWithDeviations, 0), "{}", summary.headline);
    assert_eq!(summary.with_status(Status::Waived), ["schema.device-fields"]);
    assert!(summary.with_status(Status::Fail).is_empty());

    let doc = report_json(&summary);
    assert_eq!(doc["verdict"], "CONFORMANT WITH DEVIATIONS");
    assert_eq!(doc["counts"]["waived"], 1);
    let effects: Vec<(&str, &str)> = doc["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["check"].as_str().unwrap(), d["effect"].as_str().unwrap()))
        .collect();
    assert_eq!(
        effects,
        [("schema.device-fields", "waived"), ("schema.account", "stale"), ("events.catalog", "unused")]
    );
    let row =
        doc["suites"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "schema.device-fields").unwrap();
    assert_eq!(row["status"], "WAIVED");
    let message = row["message"].as_str().unwrap();
    assert!(message.starts_with("WAIVED by an agreed deviation (INV-1, INT-20, until 2099-12-31"), "{message}");
    assert!(message.contains("The failure: ") && message.contains("INV-1"), "the failure stays quoted: {message}");
    assert!(!row["contract"].as_array().unwrap().is_empty(), "the contract's words stay on a waived row");
    let stale = doc["suites"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "schema.account").unwrap();
    assert_eq!(stale["status"], "PASS");
    assert!(stale["message"].as_str().unwrap().contains("is stale and can be removed"), "{stale}");

    let junit = read(&summary, "junit.xml");
    let case = junit.split("<testcase").find(|c| c.contains("name=\"schema.device-fields\"")).unwrap();
    assert!(
        case.contains("<skipped message=\"WAIVED by an agreed deviation"),
        "JUnit shows it skipped with the reason: {case}"
    );
    let html = read(&summary, "report.html");
    assert!(html.contains("CONFORMANT WITH DEVIATIONS") && html.contains("s-WAIVED"), "report.html shows WAIVED");
    assert!(html.contains("id=\"deviations\"") && html.contains("data-deviation=\"schema.account\""));
    let report = harness::report::Report::load(&summary.report_dir).unwrap();
    let end = harness::reporter::terminal::end_summary(&report, &summary.report_dir.join("report.html"), false);
    assert!(end.contains(", 1 waived\n") && end.contains("WAIVED   schema.device-fields"), "{end}");
    assert!(
        end.contains("deviation schema.account: the check passes") && end.contains("deviation events.catalog:"),
        "{end}"
    );
    let summary_md = read(&summary, "summary.md");
    assert!(summary_md.contains(", 1 waived."), "{summary_md}");
    assert!(summary_md.contains("| WAIVED | `schema.device-fields` |"), "{summary_md}");
    assert!(summary_md.contains("`schema.account` (stale: the check passes)"), "{summary_md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_deviation_fails_as_usual() {
    let (summary, _out) = run(vec![deviation("schema.device-fields", "2020-01-31")]).await;
    assert_eq!((summary.verdict, summary.exit_code), (Verdict::NotConformant, 1), "{}", summary.headline);
    assert_eq!(summary.with_status(Status::Fail), ["schema.device-fields"]);
    let doc = report_json(&summary);
    assert_eq!(doc["deviations"][0]["effect"], "expired");
    let row =
        doc["suites"][0]["checks"].as_array().unwrap().iter().find(|c| c["id"] == "schema.device-fields").unwrap();
    assert!(row["message"].as_str().unwrap().contains("expired on 2020-01-31 (INV-1, INT-20)"), "{row}");
    assert_eq!(row["deviation"]["effect"], "expired");
}
