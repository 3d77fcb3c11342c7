//! What every replay shares: the example profiles and public examples, the wiremock mounts,
//! the client a profile drives, the suites' runs and the assertions on a report's rows.

use std::time::Duration;

use contract::Secret;
use harness::client::{Credential, Limits, VendorClient};
use harness::config::{AuthConfig, VendorConfig};
use harness::profile::Profile;
use harness::progress::ProgressMode;
use harness::report::Report;
use harness::{RunOptions, RunSummary, run};
use serde_json::Value;
use suites::{Status, VendorApi};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub(crate) const EAGLE_EYE: &str = include_str!("../../profiles/examples/eagle-eye.toml");
pub(crate) const MERAKI: &str = include_str!("../../profiles/examples/meraki.toml");
pub(crate) const VERKADA: &str = include_str!("../../profiles/examples/verkada.toml");
pub(crate) const RHOMBUS: &str = include_str!("../../profiles/examples/rhombus.toml");
pub(crate) const BRIVO: &str = include_str!("../../profiles/examples/brivo.toml");

// The public examples, verbatim.
pub(crate) const EEN_CAMERAS_PAGE: &str = r#"{"totalSize":16,"nextPageToken":"","prevPageToken":"","results":[{"id":"1009eb6c","accountId":"00001106","name":"CF5 3D Print Lab","bridgeId":"100062b4","locationId":"c23563aa-50f3-4d9d-9f8d-533bdb521a92","speakerId":null,"multiCameraId":null,"createTimestamp":"2024-11-07T20:44:09.439+00:00"}]}"#;
pub(crate) const EEN_HEALTH_EVENT: &str = r#"{"id":"VVFtVXtEEaGLlxfIdSLB","startTimestamp":"2022-12-21T12:42:23.032Z","endTimestamp":"2022-12-21T12:44:16.032Z","span":true,"accountId":"00001106","actorId":"100d4c41","actorAccountId":"00001106","actorType":"camera","creatorId":"een.systemHealth","type":"een.deviceCloudStatusUpdateEvent.v1","dataSchemas":["een.deviceCloudStatusUpdate.v1"],"data":[{"type":"een.deviceCloudStatusUpdate.v1","creatorId":"een.systemHealth","newStatus":{"connectionStatus":"deviceOffline"}}]}"#;
pub(crate) const MERAKI_AVAILABILITIES: &str = r#"[{"mac":"00:11:22:33:44:55","name":"My AP","network":{"id":"N_24329156"},"productType":"switch","serial":"Q234-ABCD-5678","status":"online","tags":["tag1","tag2"]}]"#;
pub(crate) const VERKADA_WEBHOOK: &str = r#"{"org_id":"1455hjew-ghg5-4125-a1a7-954ea4e911fe","webhook_type":"notification","created_at":1597685622,"webhook_id":"2fd2826d-4645-47ac-b0e6-a4b2ae634480","data":{"camera_id":"123456-eade-7890-8ee5-aaf22d01d91a","notification_type":"motion","created":1597685580,"image_url":null}}"#;
pub(crate) const VERKADA_TS: i64 = 1_597_685_622;

pub(crate) fn example(text: &str) -> Profile {
    Profile::parse(text).expect("an example profile parses and validates")
}

/// Serves `responder` at `route` to requests that carry the credential header.
pub(crate) async fn mount(
    server: &MockServer,
    verb: &str,
    route: &str,
    auth: (&str, &str),
    responder: impl Respond + 'static,
) {
    Mock::given(method(verb)).and(path(route)).and(header(auth.0, auth.1)).respond_with(responder).mount(server).await;
}

pub(crate) fn record(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

pub(crate) fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        max_body_bytes: 1024 * 1024,
        max_pages: 50,
        max_retry_after: Duration::from_secs(1),
        max_rate_limit_retries: 0,
    }
}

/// The client a profile drives, with a static credential (every example's auth kind).
pub(crate) fn client(server: &MockServer, profile: Profile, credential: &str) -> VendorClient {
    let credential = Credential::Static(Secret::new(credential));
    VendorClient::new(&server.uri(), profile, credential, limits(), "vendor.toml").unwrap()
}

/// The canonical records of a site's inventory, as the client maps them.
pub(crate) async fn canonical_inventory(client: &VendorClient, site: &str) -> Vec<Value> {
    let listing = client.inventory(site).await.unwrap_or_else(|e| panic!("inventory of {site}: {e:?}"));
    listing.records.into_iter().map(|l| l.record).collect()
}

/// The schema and pagination suites against `server` with `profile`, walked `per_page` items a
/// page by default so that every collection spans several pages.
pub(crate) async fn run_suites(server: &MockServer, profile: Profile, credential: &str) -> (RunSummary, Report) {
    run_named(server, profile, credential, &["schema", "pagination"]).await
}

/// [`run_suites`] with the suites named.
pub(crate) async fn run_named(
    server: &MockServer,
    profile: Profile,
    credential: &str,
    suites: &[&str],
) -> (RunSummary, Report) {
    run_configured(server, profile, credential, suites, |_| {}, &Vec::new).await
}

/// [`run_named`] with the configuration edited by `edit` before the run.
pub(crate) async fn run_configured(
    server: &MockServer,
    mut profile: Profile,
    credential: &str,
    suites: &[&str],
    edit: impl FnOnce(&mut VendorConfig),
    secrets: &dyn Fn() -> Vec<String>,
) -> (RunSummary, Report) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credential");
    std::fs::write(&file, credential).unwrap();
    let auth = AuthConfig {
        credential_env: None,
        credential_path: Some(file),
        client_id: None,
        private_key_path: None,
        private_key_env: None,
        kid: None,
        rotation_key_path: None,
        rotation_kid: None,
        token_lifetime_secs: 300,
    };
    profile.pagination.set_size(2);
    let mut config = VendorConfig::new(profile.name.clone(), server.uri(), auth);
    config.profile = profile;
    config.budgets.request_timeout_secs = 2;
    config.budgets.connect_timeout_secs = 2;
    config.budgets.quiet_window_secs = 0.0;
    config.webhook.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    edit(&mut config);
    let options = RunOptions {
        out_dir: dir.path().join("reports"),
        suites: suites.iter().map(|s| s.to_string()).collect(),
        progress: ProgressMode::Quiet,
        non_interactive: true,
        ..RunOptions::default()
    };
    let summary = run(config, options).await.unwrap();
    let report = Report::load(&summary.report_dir).unwrap();
    // The vendor's credential never reaches the report, its evidence or reproduce commands; nor
    // does any webhook secret the vendor issued or the harness chose (`secrets`, after the run).
    let secrets = secrets();
    for file in crate::common::files_under(&summary.report_dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(credential), "{} holds the credential", file.display());
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{} holds a webhook secret", file.display());
        }
    }
    (summary, report)
}

/// What a check is expected to end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Pass,
    Fail,
    /// SKIP: "not applicable to this vendor's profile".
    NotApplicable,
}

/// Every listed check ended as expected; the message names the rows that did not.
pub(crate) fn assert_checks(report: &Report, expected: &[(&str, Expect)]) {
    let mut wrong = Vec::new();
    for (id, expect) in expected {
        let Some(row) = report.checks().find(|c| c.id == *id) else {
            wrong.push(format!("{id}: not run"));
            continue;
        };
        let ok = match expect {
            Expect::Pass => row.status == Status::Pass,
            Expect::Fail => row.status == Status::Fail,
            Expect::NotApplicable => {
                row.status == Status::Skip && row.message.starts_with("not applicable to this vendor's profile")
            }
        };
        if !ok {
            wrong.push(format!(
                "{id}: expected {expect:?}, got {:?}: {} (notes: {:?})",
                row.status, row.message, row.evidence.notes
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

pub(crate) fn row<'r>(report: &'r Report, id: &str) -> &'r harness::report::CheckReport {
    report.checks().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} was not run"))
}
