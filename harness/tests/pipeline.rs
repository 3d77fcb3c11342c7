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
    // Only three suites ran: every format says the verdict is a partial run's.
    assert_eq!(doc["partial"], true);
    assert!(
        summary.headline.starts_with("CONFORMANT (PARTIAL: --suite schema --suite pagination --suite auth"),
        "{}",
        summary.headline
    );
    let md = std::fs::read_to_string(summary.report_dir.join("summary.md")).unwrap();
    assert!(md.starts_with(&format!("## Conformance: {}", summary.headline)), "{md}");
    // The fake vendor has no webhook API and no catalogue: probed, not found, its checks moot.
    let caps = doc["capabilities"]["capabilities"].as_array().unwrap();
    let whm = caps.iter().find(|c| c["name"] == "webhook-management").unwrap();
    assert_eq!(
        (whm["declared"].clone(), whm["discovered"].clone(), whm["used"].clone()),
        (json!(false), json!(false), json!(false))
    );
    assert!(md.contains("`webhook-management`: not declared, not discovered"), "{md}");
    let latest = out.join("latest");
    let resolved = if latest.is_symlink() { out.join(std::fs::read_link(&latest).unwrap()) } else { latest.clone() };
    assert_eq!(resolved.canonicalize().unwrap(), summary.report_dir.canonicalize().unwrap());
    let html = std::fs::read_to_string(summary.report_dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"verdict\""));
    assert!(html.contains("PARTIAL: --suite schema") && html.contains("data-capability=\"webhook-management\""));
    for meta in api_checks() {
        assert!(html.contains(&format!("data-check-id=\"{}\"", meta.id)), "{} missing from report.html", meta.id);
    }
    assert!(
        !html.contains("<script") && !html.contains("http-equiv") && !html.contains("<link"),
        "report.html is not self-contained"
    );
    let junit = std::fs::read_to_string(summary.report_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("testsuite") && junit.contains("schema.account"));
    assert!(
        junit.contains("name=\"partial\" value=\"true\"") && junit.contains("capability.webhook-management"),
        "{junit}"
    );
}

#[tokio::test]
async fn a_full_run_is_not_labelled_partial() {
    let server = serve(&clean_fleet()).await;
    let dir = tempfile::tempdir().unwrap();
    let summary = run(config_for(&server.uri(), dir.path()), options(&dir.path().join("reports"))).await.unwrap();
    let doc = assert_valid_report(&summary.report_dir);
    assert_eq!(doc["partial"], false);
    assert!(!summary.headline.contains("PARTIAL"), "{}", summary.headline);
    let one = run(
        config_for(&server.uri(), dir.path()),
        RunOptions { checks: vec!["schema.account".into()], ..options(&dir.path().join("reports")) },
    )
    .await
    .unwrap();
    assert!(one.headline.contains("PARTIAL: --check schema.account, 1 of"), "{}", one.headline);
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
    // Every FAIL and advisory row quotes the contract text of the requirements it cites.
    let inv5 = contract::requirements::get("INV-5").unwrap().text;
    let site2 = contract::requirements::get("SITE-2").unwrap().text;
    assert_eq!(row.contract.iter().map(|q| q.text.as_str()).collect::<Vec<_>>(), [inv5]);
    let advisory = report.checks().find(|c| c.id == "schema.site-location").unwrap();
    assert!(advisory.contract.iter().any(|q| q.text == site2), "{:?}", advisory.contract);
    assert!(report.checks().filter(|c| c.status == Status::Pass).all(|c| c.contract.is_empty()));
    let html = std::fs::read_to_string(summary.report_dir.join("report.html")).unwrap();
    let junit = std::fs::read_to_string(summary.report_dir.join("junit.xml")).unwrap();
    for failing in report.checks().filter(|c| c.status == Status::Fail) {
        for q in &failing.contract {
            let text = q.text.replace('|', "\\|");
            assert!(md.contains(&text), "summary.md lacks {} for {}", q.id, failing.id);
            assert!(
                html.contains(&harness::report::html::md(&q.text).into_string()),
                "report.html lacks {} for {}",
                q.id,
                failing.id
            );
            assert!(junit.contains(&format!("contract.{}", q.id)), "junit.xml lacks {} for {}", q.id, failing.id);
        }
    }
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
    // The JUnit file goes red exactly when the exit code does.
    let failures =
        |dir: &std::path::Path| std::fs::read_to_string(dir.join("junit.xml")).unwrap().matches("<failure").count();
    assert_eq!(failures(&relaxed.report_dir), 0);
    assert_eq!(failures(&strict.report_dir), strict.with_status(Status::Fail).len());
    assert!(failures(&strict.report_dir) > 0);
}

/// The preflight's error for a run against `base_url` (no report, exit 2 from the CLI).
async fn preflight_error(base_url: &str) -> harness::runner::PreflightError {
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(base_url, dir.path());
    let out = dir.path().join("reports");
    let err = run(config, options(&out)).await.expect_err("the preflight stops the run");
    assert!(!out.join("latest").exists(), "no report of ERROR rows is written");
    err.downcast_ref::<harness::runner::PreflightError>()
        .unwrap_or_else(|| panic!("not a preflight error: {err:#}"))
        .clone()
}

#[tokio::test]
async fn an_unreachable_vendor_stops_at_the_preflight_naming_the_base_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = preflight_error(&format!("http://{addr}")).await;
    assert_eq!(err.cause, harness::runner::PreflightCause::Unreachable, "{}", err.message);
    assert!(err.message.contains("`vendor.base_url`") && err.message.contains(&addr.to_string()), "{}", err.message);
}

#[tokio::test]
async fn a_wrong_base_path_stops_at_the_preflight_with_a_404() {
    // A vendor whose account endpoint is not where the profile says: everything answers 404.
    let server = wiremock::MockServer::start().await;
    let err = preflight_error(&format!("{}/api/v1", server.uri())).await;
    assert_eq!(err.cause, harness::runner::PreflightCause::NotFound, "{}", err.message);
    assert!(err.message.contains("404") && err.message.contains("base path"), "{}", err.message);
    assert!(err.message.contains("profile"), "{}", err.message);
}

#[tokio::test]
async fn a_refused_credential_stops_at_the_preflight_naming_the_key_and_kid() {
    for status in [401, 403] {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let err = preflight_error(&server.uri()).await;
        assert_eq!(err.cause, harness::runner::PreflightCause::CredentialRefused, "{}", err.message);
        assert!(err.message.contains(&status.to_string()), "{}", err.message);
        assert!(err.message.contains("private_key_path") && err.message.contains("`kid`"), "{}", err.message);
    }
}

#[tokio::test]
async fn the_run_deadline_errors_the_unfinished_checks_and_still_writes_the_report() {
    // The account answers at once (the preflight passes), everything else only after 5 s.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/account"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(json!({"account_id": ACCOUNT, "name": "Slow"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(&server.uri(), dir.path());
    config.budgets.request_timeout_secs = 20;
    config.budgets.run_deadline_secs = 1;
    let options = RunOptions { suites: vec!["schema".into()], ..options(&dir.path().join("reports")) };
    let started = std::time::Instant::now();
    let summary = run(config, options).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "the deadline did not stop the run");
    assert_eq!((summary.verdict, summary.exit_code), (Verdict::Incomplete, 2));
    let report = Report::load(&summary.report_dir).unwrap();
    let errors: Vec<&str> = report
        .checks()
        .filter(|c| c.status == Status::Error && c.message.contains("`budgets.run_deadline_secs` = 1 s"))
        .map(|c| c.id.as_str())
        .collect();
    assert!(errors.len() >= 2, "{:#?}", summary.outcomes);
    assert_eq!(report.checks().last().unwrap().status, Status::Error);
    assert_valid_report(&summary.report_dir);
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
    let failing: Vec<&str> = d.regressions.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(failing, ["schema.uuid-ids"]);
    assert!(d.has_regressions());
    let back = harness::report::diff::diff(&new, &old);
    assert_eq!(back.improvements.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["schema.uuid-ids"]);
    assert!(!back.has_regressions());
}

/// Writes `report` as a run directory under `dir`.
fn write_report(dir: &std::path::Path, name: &str, report: &Report) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("report.json"), serde_json::to_vec(report).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn report_diff_counts_lost_passes_and_lost_applicability_as_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let clean = serve(&clean_fleet()).await;
    let before = run(config_for(&clean.uri(), dir.path()), api_options(&dir.path().join("reports"))).await.unwrap();
    let old = Report::load(&before.report_dir).unwrap();
    // The same run, but one MUST check now skips and another is no longer applicable: the
    // verdict gets no worse (both are "complete"), yet the newer run proves less.
    let mut new = old.clone();
    for check in new.suites.iter_mut().flat_map(|s| s.checks.iter_mut()) {
        match check.id.as_str() {
            "schema.account" => check.status = Status::Skip,
            "schema.sites" => {
                check.status = Status::Skip;
                check.applicable = false;
            }
            _ => {}
        }
    }
    let d = harness::report::diff::diff(&old, &new);
    let reasons: Vec<(&str, &str)> = d.regressions.iter().map(|c| (c.id.as_str(), c.reason.as_str())).collect();
    assert_eq!(reasons, [("schema.account", "PASS -> SKIP"), ("schema.sites", "applicable -> not applicable")]);
    let (old_dir, new_dir) = (write_report(dir.path(), "old", &old), write_report(dir.path(), "new", &new));
    let bin = env!("CARGO_BIN_EXE_harness");
    let diff_cli = |format: &str| {
        std::process::Command::new(bin)
            .args(["report", "diff", old_dir.to_str().unwrap(), new_dir.to_str().unwrap(), "--format", format])
            .output()
            .unwrap()
    };
    let json_out = diff_cli("json");
    assert_eq!(json_out.status.code(), Some(1), "a regression exits 1");
    let doc: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(doc["regressed"], true);
    assert_eq!(doc["regressions"][0]["id"], "schema.account");
    assert_eq!(doc["regressions"][0]["before"]["status"], "PASS");
    let md = diff_cli("markdown");
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("### regressions (2)") && md.contains("| `schema.sites` |"), "{md}");
    // A worse verdict alone is a regression too.
    let mut worse = old.clone();
    worse.verdict = Verdict::Incomplete;
    assert!(harness::report::diff::diff(&old, &worse).verdict_regressed);
    // No change: exit 0.
    let same = std::process::Command::new(bin)
        .args(["report", "diff", old_dir.to_str().unwrap(), old_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_webhook_api_is_discovered_and_its_checks_still_run() {
    let out = tempfile::tempdir().unwrap();
    let mut mock = harness::cli::demo::demo_mock_config(Vec::new());
    mock.key_bits = 1024;
    let options = RunOptions { suites: vec!["webhooks".into()], ..options(out.path()) };
    let summary = harness::cli::demo::run_demo_with(mock, options, |config| {
        config.capabilities.declared.retain(|c| c != "webhook-management" && c != "ping");
    })
    .await
    .unwrap();
    let report = Report::load(&summary.report_dir).unwrap();
    for name in ["webhook-management", "ping"] {
        let row = report.capabilities.capabilities.iter().find(|c| c.name == name).unwrap();
        assert!(row.discovered_only() && row.used, "{row:?}");
    }
    assert!(report.checks().any(|c| c.id == "webhooks.ping"));
    for check in report.checks() {
        assert!(
            check.applicable && check.status == Status::Pass,
            "{} did not run: {:?} {}",
            check.id,
            check.status,
            check.message
        );
    }
    let md = std::fs::read_to_string(summary.report_dir.join("summary.md")).unwrap();
    assert!(md.contains("`webhook-management`: discovered only (not declared)"), "{md}");
    assert_valid_report(&summary.report_dir);
}

#[tokio::test]
async fn a_catch_all_page_is_not_a_discovered_capability() {
    // A vendor whose web server answers any path with an HTML page: no webhook API, no catalogue.
    let server = serve(&clean_fleet()).await;
    for p in ["/api/v1/webhooks", "/api/v1/event-types"] {
        wiremock::Mock::given(wiremock::matchers::path(p))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("<html>welcome</html>"))
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let options = RunOptions { checks: vec!["schema.account".into()], ..options(&dir.path().join("reports")) };
    let summary = run(config_for(&server.uri(), dir.path()), options).await.unwrap();
    let report = Report::load(&summary.report_dir).unwrap();
    for name in ["webhook-management", "event-types"] {
        let row = report.capabilities.capabilities.iter().find(|c| c.name == name).unwrap();
        assert_eq!((row.discovered, row.used), (Some(false), false), "{row:?}");
        assert!(row.detail.ends_with("answered 200 but not with JSON"), "{row:?}");
    }
}

/// `schemas/report.json` names the same capabilities and families as `suites`, the one list.
#[test]
fn the_report_schema_names_the_capabilities_suites_knows() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/report.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let caps = &schema["properties"]["capabilities"]["properties"];
    let names: Vec<&str> = suites::CAPABILITIES.iter().map(|(n, _)| *n).collect();
    assert_eq!(caps["capabilities"]["items"]["properties"]["name"]["enum"], json!(names));
    assert_eq!(caps["event_families"]["items"]["enum"], json!(suites::EVENT_FAMILIES));
}
