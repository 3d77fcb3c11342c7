//! The whole pipeline against a wiremock canonical vendor: verdicts, every output file, the
//! report schema, no secret anywhere, `reports/latest` and `report diff`.

mod common;

use common::*;
use harness::progress::ProgressMode;
use harness::report::Report;
use harness::{RunOptions, Verdict, run};
use serde_json::{Value, json};
use suites::Status;

fn options(out: &std::path::Path) -> RunOptions {
    RunOptions {
        out_dir: out.to_owned(),
        progress: ProgressMode::Quiet,
        non_interactive: true,
        ..RunOptions::default()
    }
}

/// The suites the fake vendor can serve: it has an API, but no webhooks and no way to make it act,
/// so the event suites' checks skip for want of a trigger and the run is incomplete.
const API_SUITES: &[&str] = &["schema", "pagination", "auth"];

fn api_options(out: &std::path::Path) -> RunOptions {
    RunOptions { suites: API_SUITES.iter().map(|s| s.to_string()).collect(), ..options(out) }
}

fn api_checks() -> impl Iterator<Item = &'static suites::CheckMeta> {
    suites::catalogue().iter().filter(|c| API_SUITES.contains(&c.suite))
}

fn report_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/report.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).expect("schemas/report.json compiles")
}

fn assert_valid_report(dir: &std::path::Path) -> Value {
    let doc: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    let errors: Vec<String> =
        report_schema().iter_errors(&doc).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "report.json does not match schemas/report.json: {errors:#?}");
    doc
}

#[tokio::test]
async fn a_clean_vendor_is_conformant_and_every_output_is_written() {
    let server = serve(&clean_fleet()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&server.uri(), dir.path());
    let out = dir.path().join("reports");
    let summary = run(config, api_options(&out)).await.unwrap();
    assert_eq!(summary.verdict, Verdict::Conformant, "{:#?}", summary.outcomes);
    assert_eq!(summary.exit_code, 0);
    assert_eq!(summary.outcomes.len(), api_checks().count());
    for name in ["report.json", "junit.xml", "report.html", "summary.md", "evidence/schema.account.json"] {
        assert!(summary.report_dir.join(name).is_file(), "{name} missing");
    }
    let doc = assert_valid_report(&summary.report_dir);
    assert_eq!(doc["verdict"], "CONFORMANT");
    assert_eq!(doc["vendor"]["profile"], "canonical");
    let latest = out.join("latest");
    let resolved = if latest.is_symlink() { out.join(std::fs::read_link(&latest).unwrap()) } else { latest.clone() };
    assert_eq!(resolved.canonicalize().unwrap(), summary.report_dir.canonicalize().unwrap());
    let html = std::fs::read_to_string(summary.report_dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"verdict\""));
    for meta in api_checks() {
        assert!(html.contains(&format!("data-check-id=\"{}\"", meta.id)), "{} missing from report.html", meta.id);
    }
    assert!(
        !html.contains("<script") && !html.contains("http-equiv") && !html.contains("<link"),
        "report.html is not self-contained"
    );
    let junit = std::fs::read_to_string(summary.report_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("testsuite") && junit.contains("schema.account"));
}

#[tokio::test]
async fn a_broken_vendor_fails_the_right_checks_with_evidence() {
    let mut fleet = clean_fleet();
    fleet.site_b[0]["site_id"] = json!(SITE_A);
    fleet.site_a[2].as_object_mut().unwrap().remove("status");
    fleet.sites[1]["timezone"] = json!("CST");
    let server = serve(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&server.uri(), dir.path());
    let summary = run(config, api_options(&dir.path().join("reports"))).await.unwrap();
    assert_eq!(summary.verdict, Verdict::NotConformant);
    assert_eq!(summary.exit_code, 1);
    let mut failing = summary.with_status(Status::Fail);
    failing.sort_unstable();
    assert_eq!(failing, ["schema.device-site", "schema.device-status", "schema.site-location"]);
    let report = Report::load(&summary.report_dir).unwrap();
    let row = report.checks().find(|c| c.id == "schema.device-site").unwrap();
    let finding = &row.evidence.findings[0];
    assert_eq!(finding.pointer, "/site_id");
    assert_eq!(finding.record.as_ref().unwrap()["device_id"], "44444444-2222-4333-8444-555555555555");
    let exchange = &row.evidence.exchanges[0];
    assert_eq!(exchange.status, Some(200));
    assert!(exchange.url.contains(SITE_B));
    assert_eq!(exchange.token.as_ref().unwrap().claims["iss"], "convergint");
    assert_eq!(exchange.token.as_ref().unwrap().header["kid"], "key-1");
    assert!(exchange.reproduce.contains("$(harness token --config"), "{}", exchange.reproduce);
    assert!(report.checks().find(|c| c.id == "schema.site-location").unwrap().advisory);
    assert_valid_report(&summary.report_dir);
    let md = std::fs::read_to_string(summary.report_dir.join("summary.md")).unwrap();
    assert!(md.contains("NOT CONFORMANT") && md.contains("schema.device-site"));
}

#[tokio::test]
async fn advisories_fail_only_under_strict() {
    let mut fleet = clean_fleet();
    fleet.site_a[0]["mac_address"] = json!("00-0f-e5-14-b2-1e");
    let server = serve(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&server.uri(), dir.path());
    let out = dir.path().join("reports");
    let relaxed = run(config.clone(), api_options(&out)).await.unwrap();
    assert_eq!((relaxed.verdict, relaxed.exit_code), (Verdict::ConformantWithAdvisories, 0));
    let strict = run(config, RunOptions { strict: true, ..api_options(&out) }).await.unwrap();
    assert_eq!((strict.verdict, strict.exit_code), (Verdict::ConformantWithAdvisories, 1));
}

#[tokio::test]
async fn an_unreachable_vendor_is_incomplete_not_failed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&format!("http://{addr}"), dir.path());
    let summary = run(config, options(&dir.path().join("reports"))).await.unwrap();
    assert_eq!(summary.verdict, Verdict::Incomplete, "{:#?}", summary.outcomes);
    assert_eq!(summary.exit_code, 2);
    assert!(summary.with_status(Status::Fail).is_empty(), "a harness network error is never the vendor's FAIL");
    assert!(summary.with_status(Status::Error).contains(&"schema.account"));
}

#[tokio::test]
async fn no_secret_reaches_any_output_file() {
    let mut fleet = clean_fleet();
    fleet.site_a[0]["status"] = json!("GREEN");
    let server = serve(&fleet).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(&server.uri(), dir.path());
    let webhook_secret = "whsec_never_in_a_report_0123456789";
    config.webhook.secret =
        harness::config::WebhookSecretSource::Inline { value: contract::Secret::new(webhook_secret) };
    let out = dir.path().join("reports");
    let summary = run(config.clone(), options(&out)).await.unwrap();
    // Tokens minted during the run are gone; any token this key mints shares its header, so look
    // for the signature part of the tokens the vendor saw and for the key material itself.
    let received = server.received_requests().await.unwrap();
    let tokens: Vec<String> = received
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .map(|v| v.to_str().unwrap().trim_start_matches("Bearer ").to_owned())
        // The auth suite's crafted tokens include unsigned ones (`alg: none`, garbage): only a
        // signature is a secret worth looking for.
        .filter(|t| t.rsplit('.').next().is_some_and(|signature| signature.len() >= 16))
        .collect();
    assert!(!tokens.is_empty());
    let key = keypair().private_pem.expose();
    let key_body: String = key.lines().nth(1).unwrap().to_owned();
    for file in files_under(&summary.report_dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(webhook_secret), "{} holds the webhook secret", file.display());
        assert!(!text.contains(&key_body), "{} holds the private key", file.display());
        for token in &tokens {
            let signature = token.rsplit('.').next().unwrap();
            assert!(
                !text.contains(token.as_str()) && !text.contains(signature),
                "{} holds a bearer token",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn report_diff_lists_newly_failing_and_passing_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let clean = serve(&clean_fleet()).await;
    let before = run(config_for(&clean.uri(), dir.path()), options(&out)).await.unwrap();
    let mut fleet = clean_fleet();
    fleet.site_a[1]["device_id"] = json!("not-a-uuid");
    fleet.site_a[0]["parent_id"] = json!("not-a-uuid");
    let broken = serve(&fleet).await;
    let after = run(config_for(&broken.uri(), dir.path()), options(&out)).await.unwrap();
    let (old, new) = (Report::load(&before.report_dir).unwrap(), Report::load(&after.report_dir).unwrap());
    let d = harness::report::diff::diff(&old, &new);
    let failing: Vec<&str> = d.newly_failing.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(failing, ["schema.uuid-ids"]);
    assert!(d.has_regressions());
    let back = harness::report::diff::diff(&new, &old);
    assert_eq!(back.newly_passing.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["schema.uuid-ids"]);
}
