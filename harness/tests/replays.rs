//! Replays of real vendors' public shapes (VENDOR-SHAPES.md, "Public examples", and multi-page
//! fixtures built in their image) through wiremock vendors and the example profiles of
//! `harness/profiles/examples/`: the schema and pagination suites read them, the client maps
//! their records onto the expected canonical ones, and their webhook examples verify and map.
//!
//! Each fake vendor pages its fixture the way the vendor does (its parameter names, tokens,
//! envelopes, end markers and refusals), so the pagination suite's walks at several page sizes
//! and its bad-parameter probes meet the vendor's behaviour, not canned pages.
//!
//! Every test starts its own wiremock server (`MockServer::builder().start()`, not the pooled
//! `MockServer::start()`): a harness run's late requests (a teardown's delete) must never land in
//! the recorded requests of the next test handed the same pooled server.

use std::time::Duration;

mod common;

use contract::{Secret, SignatureFormat};
use harness::client::{Credential, Limits, VendorClient};
use harness::config::{AuthConfig, VendorConfig};
use harness::profile::Profile;
use harness::progress::ProgressMode;
use harness::report::Report;
use harness::{RunOptions, RunSummary, run};
use serde_json::{Value, json};
use suites::{ApiErrorKind, Status, VendorApi};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const EAGLE_EYE: &str = include_str!("../profiles/examples/eagle-eye.toml");
const MERAKI: &str = include_str!("../profiles/examples/meraki.toml");
const VERKADA: &str = include_str!("../profiles/examples/verkada.toml");
const RHOMBUS: &str = include_str!("../profiles/examples/rhombus.toml");
const BRIVO: &str = include_str!("../profiles/examples/brivo.toml");

// The public examples, verbatim.
const EEN_CAMERAS_PAGE: &str = r#"{"totalSize":16,"nextPageToken":"","prevPageToken":"","results":[{"id":"1009eb6c","accountId":"00001106","name":"CF5 3D Print Lab","bridgeId":"100062b4","locationId":"c23563aa-50f3-4d9d-9f8d-533bdb521a92","speakerId":null,"multiCameraId":null,"createTimestamp":"2024-11-07T20:44:09.439+00:00"}]}"#;
const EEN_HEALTH_EVENT: &str = r#"{"id":"VVFtVXtEEaGLlxfIdSLB","startTimestamp":"2022-12-21T12:42:23.032Z","endTimestamp":"2022-12-21T12:44:16.032Z","span":true,"accountId":"00001106","actorId":"100d4c41","actorAccountId":"00001106","actorType":"camera","creatorId":"een.systemHealth","type":"een.deviceCloudStatusUpdateEvent.v1","dataSchemas":["een.deviceCloudStatusUpdate.v1"],"data":[{"type":"een.deviceCloudStatusUpdate.v1","creatorId":"een.systemHealth","newStatus":{"connectionStatus":"deviceOffline"}}]}"#;
const MERAKI_AVAILABILITIES: &str = r#"[{"mac":"00:11:22:33:44:55","name":"My AP","network":{"id":"N_24329156"},"productType":"switch","serial":"Q234-ABCD-5678","status":"online","tags":["tag1","tag2"]}]"#;
const VERKADA_WEBHOOK: &str = r#"{"org_id":"1455hjew-ghg5-4125-a1a7-954ea4e911fe","webhook_type":"notification","created_at":1597685622,"webhook_id":"2fd2826d-4645-47ac-b0e6-a4b2ae634480","data":{"camera_id":"123456-eade-7890-8ee5-aaf22d01d91a","notification_type":"motion","created":1597685580,"image_url":null}}"#;
const VERKADA_TS: i64 = 1_597_685_622;

fn example(text: &str) -> Profile {
    Profile::parse(text).expect("an example profile parses and validates")
}

/// How a fake vendor splits a list into pages, in the image of one vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Query `pageSize` + `pageToken` → `{totalSize, nextPageToken ("" ends), prevPageToken, results}`.
    EagleEye,
    /// Query `perPage` + `startingAfter` (an id) → a root array, the next page in `Link`.
    Meraki,
    /// Query `page_size` + `page_token` → `{<key>: [...], next_page_token (null ends)}`.
    Verkada,
    /// Body `maxPageSize` + `lastEvaluatedKey` → `{error: false, <key>: [...], lastEvaluatedKey (null ends)}`;
    /// refusals are 200 `{error: true, errorMsg}`.
    Rhombus,
    /// Query `offset` + `pageSize` → `{data, offset, pageSize, count}`; larger pages are refused.
    Brivo,
}

impl Style {
    /// The page-size and position parameters.
    fn params(self) -> (&'static str, &'static str) {
        match self {
            Self::EagleEye => ("pageSize", "pageToken"),
            Self::Meraki => ("perPage", "startingAfter"),
            Self::Verkada => ("page_size", "page_token"),
            Self::Rhombus => ("maxPageSize", "lastEvaluatedKey"),
            Self::Brivo => ("pageSize", "offset"),
        }
    }
}

/// A vendor list endpoint over a fixture.
#[derive(Debug, Clone)]
struct Pager {
    style: Style,
    /// The envelope's list key (unused for Meraki's root arrays).
    key: &'static str,
    items: Vec<Value>,
    /// Pointer of an item's id (Meraki's `startingAfter` names the last item seen).
    id: &'static str,
    /// Only items whose value at the pointer equals the parameter's (a per-site filter).
    filter: Option<(&'static str, &'static str)>,
    /// Fields left out unless the `include` parameter names them (Eagle Eye).
    gated: &'static [&'static str],
    /// Whether the endpoint ignores page parameters and answers everything at once.
    paged: bool,
    /// The vendor's largest page: larger sizes are clamped silently (Brivo refuses them).
    max: u64,
    /// A page asked for after the last item repeats the last page (a PAGE-4 fault).
    past_end_repeats: bool,
}

impl Pager {
    fn new(style: Style, key: &'static str, items: Vec<Value>) -> Self {
        Self { style, key, items, id: "/id", filter: None, gated: &[], paged: true, max: 100, past_end_repeats: false }
    }

    fn id(mut self, pointer: &'static str) -> Self {
        self.id = pointer;
        self
    }

    fn filter(mut self, pointer: &'static str, param: &'static str) -> Self {
        self.filter = Some((pointer, param));
        self
    }

    fn gated(mut self, fields: &'static [&'static str]) -> Self {
        self.gated = fields;
        self
    }

    fn max(mut self, max: u64) -> Self {
        self.max = max;
        self
    }

    fn unpaged(mut self) -> Self {
        self.paged = false;
        self
    }

    /// The request's parameters: the JSON body's fields for Rhombus, else the query.
    fn request_params(&self, request: &Request) -> Vec<(String, String)> {
        if self.style != Style::Rhombus {
            return request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let Some(fields) = body.as_object() else { return Vec::new() };
        fields
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(s) => Some((k.clone(), s.clone())),
                other => Some((k.clone(), other.to_string())),
            })
            .collect()
    }

    fn refuse(&self, message: String) -> ResponseTemplate {
        match self.style {
            Style::Rhombus => ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": message})),
            _ => ResponseTemplate::new(400).set_body_json(json!({"message": message})),
        }
    }
}

impl Respond for Pager {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let params = self.request_params(request);
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let include = param("include").unwrap_or_default();
        let items: Vec<Value> = self
            .items
            .iter()
            .filter(|item| {
                self.filter.is_none_or(|(pointer, name)| {
                    param(name).is_some_and(|want| item.pointer(pointer).and_then(Value::as_str) == Some(want))
                })
            })
            .map(|item| {
                let mut item = item.clone();
                for field in self.gated.iter().filter(|f| !include.split(',').any(|i| i == **f)) {
                    item.as_object_mut().unwrap().remove(*field);
                }
                item
            })
            .collect();
        let (size_param, position_param) = self.style.params();
        let size = match param(size_param).filter(|_| self.paged) {
            None if self.paged => 50,
            None => items.len().max(1) as u64,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n > self.max && self.style == Style::Brivo => {
                    return self.refuse(format!("{size_param} must be at most {}", self.max));
                }
                Ok(n) if n >= 1 => n.min(self.max),
                _ => return self.refuse(format!("{size_param} must be a whole number from 1")),
            },
        };
        let start = match param(position_param).filter(|_| self.paged) {
            None => 0,
            Some(text) => {
                let start = match self.style {
                    Style::Meraki => items
                        .iter()
                        .position(|i| i.pointer(self.id).and_then(Value::as_str) == Some(text))
                        .map(|n| n + 1),
                    Style::Brivo => text.parse::<usize>().ok(),
                    _ => text.strip_prefix("tok-").and_then(|n| n.parse::<usize>().ok()).filter(|&n| n <= items.len()),
                };
                match start {
                    Some(start) => start,
                    None => return self.refuse(format!("`{text}` is not a valid {position_param}")),
                }
            }
        };
        let start = if self.past_end_repeats && start >= items.len() {
            items.len().saturating_sub(size as usize)
        } else {
            start
        };
        let end = (start + size as usize).min(items.len());
        let page: Vec<Value> = items.get(start..end).unwrap_or_default().to_vec();
        let next = (end < items.len()).then(|| format!("tok-{end}"));
        let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
        match self.style {
            Style::EagleEye => ok(json!({
                "totalSize": items.len(),
                "nextPageToken": next.unwrap_or_default(),
                "prevPageToken": if start > 0 { format!("tok-{}", start.saturating_sub(size as usize)) } else { String::new() },
                "results": page,
            })),
            Style::Meraki => {
                let mut template = ok(Value::Array(page.clone()));
                // Absolute links, as Meraki writes them, on the host the request was sent to.
                let host = request.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                let mut first = request.url.clone();
                first.set_host(Some(host.split(':').next().unwrap_or(host))).unwrap();
                first.set_port(host.split(':').nth(1).and_then(|p| p.parse().ok())).unwrap();
                first
                    .query_pairs_mut()
                    .clear()
                    .extend_pairs(request.url.query_pairs().filter(|(k, _)| k != position_param));
                let mut link = format!("<{first}>; rel=first");
                if next.is_some() {
                    let last = page.last().and_then(|i| i.pointer(self.id)).and_then(Value::as_str).unwrap_or_default();
                    let mut to = first.clone();
                    to.query_pairs_mut().append_pair(position_param, last);
                    link.push_str(&format!(", <{to}>; rel=next"));
                }
                template = template.insert_header("link", link.as_str());
                template
            }
            Style::Verkada => ok(json!({self.key: page, "next_page_token": next})),
            Style::Rhombus if !self.paged => ok(json!({"error": false, self.key: page})),
            Style::Rhombus => ok(json!({"error": false, self.key: page, "lastEvaluatedKey": next})),
            Style::Brivo => ok(json!({"data": page, "offset": start, "pageSize": size, "count": items.len()})),
        }
    }
}

/// Serves `responder` at `route` to requests that carry the credential header.
async fn mount(server: &MockServer, verb: &str, route: &str, auth: (&str, &str), responder: impl Respond + 'static) {
    Mock::given(method(verb)).and(path(route)).and(header(auth.0, auth.1)).respond_with(responder).mount(server).await;
}

fn record(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn limits() -> Limits {
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
fn client(server: &MockServer, profile: Profile, credential: &str) -> VendorClient {
    let credential = Credential::Static(Secret::new(credential));
    VendorClient::new(&server.uri(), profile, credential, limits(), "vendor.toml").unwrap()
}

/// The canonical records of a site's inventory, as the client maps them.
async fn canonical_inventory(client: &VendorClient, site: &str) -> Vec<Value> {
    let listing = client.inventory(site).await.unwrap_or_else(|e| panic!("inventory of {site}: {e:?}"));
    listing.records.into_iter().map(|l| l.record).collect()
}

/// The schema and pagination suites against `server` with `profile`, walked `per_page` items a
/// page by default so that every collection spans several pages.
async fn run_suites(server: &MockServer, profile: Profile, credential: &str) -> (RunSummary, Report) {
    run_named(server, profile, credential, &["schema", "pagination"]).await
}

/// [`run_suites`] with the suites named.
async fn run_named(server: &MockServer, profile: Profile, credential: &str, suites: &[&str]) -> (RunSummary, Report) {
    run_configured(server, profile, credential, suites, |_| {}, &Vec::new).await
}

/// [`run_named`] with the configuration edited by `edit` before the run.
async fn run_configured(
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
    for file in common::files_under(&summary.report_dir) {
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
enum Expect {
    Pass,
    Fail,
    /// SKIP: "not applicable to this vendor's profile".
    NotApplicable,
}

/// Every listed check ended as expected; the message names the rows that did not.
fn assert_checks(report: &Report, expected: &[(&str, Expect)]) {
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

fn row<'r>(report: &'r Report, id: &str) -> &'r harness::report::CheckReport {
    report.checks().find(|c| c.id == id).unwrap_or_else(|| panic!("{id} was not run"))
}

// ---------------------------------------------------------------------------------------------
// Eagle Eye Networks v3

const EEN_ACCOUNT: &str = "00001106";
const EEN_TOKEN: &str = "een-access-token";
const EEN_CF5: &str = "c23563aa-50f3-4d9d-9f8d-533bdb521a92";
const EEN_DEPOT: &str = "5d2f0a8e-7c41-4b6a-9e13-2f8c4d7a6b01";

/// A camera in the image of the public example, with what `include=status,networkInfo` adds.
fn een_camera(id: &str, name: &str, bridge: &str, location: &str, status: &str, mac: &str) -> Value {
    let page: Value = serde_json::from_str(EEN_CAMERAS_PAGE).unwrap();
    let mut camera = page["results"][0].clone();
    camera["id"] = json!(id);
    camera["name"] = json!(name);
    camera["bridgeId"] = json!(bridge);
    camera["locationId"] = json!(location);
    camera["status"] = json!({"connectionStatus": status});
    camera["networkInfo"] = json!({"adapters": [{"name": "eth0", "macAddress": mac, "ipAddress": "10.20.0.17"}]});
    camera
}

fn een_bridge(id: &str, name: &str, location: &str, status: &str, mac: &str) -> Value {
    json!({"id": id, "accountId": EEN_ACCOUNT, "name": name, "locationId": location, "guid": format!("{id}-guid"),
           "status": {"connectionStatus": status},
           "networkInfo": {"adapters": [{"name": "eth0", "macAddress": mac, "ipAddress": "10.20.0.2"}]}})
}

fn een_cameras() -> Vec<Value> {
    vec![
        een_camera("1009eb6c", "CF5 3D Print Lab", "100062b4", EEN_CF5, "online", "00:1b:2c:3d:4e:5f"),
        een_camera("1009eb6d", "CF5 Loading Dock", "100062b4", EEN_CF5, "deviceOffline", "00:1b:2c:3d:4e:60"),
        een_camera("1009eb6e", "CF5 Lobby", "100062b4", EEN_CF5, "bridgeOffline", "00:1b:2c:3d:4e:61"),
        een_camera("1009eb6f", "CF5 Server Room", "100062b4", EEN_CF5, "error", "00:1b:2c:3d:4e:62"),
        een_camera("1009eb70", "CF5 Parking", "100062b4", EEN_CF5, "invalidCredentials", "00:1b:2c:3d:4e:63"),
        een_camera("100a0001", "Depot Gate", "100062c9", EEN_DEPOT, "off", "00:1b:2c:3d:4e:64"),
    ]
}

fn een_bridges() -> Vec<Value> {
    vec![
        een_bridge("100062b4", "CF5 Bridge", EEN_CF5, "online", "00:1b:2c:3d:40:01"),
        een_bridge("100062c9", "Depot Bridge", EEN_DEPOT, "unknown", "00:1b:2c:3d:40:02"),
    ]
}

async fn eagle_eye(cameras: Vec<Value>) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("authorization", "Bearer een-access-token");
    let account = json!({"id": EEN_ACCOUNT, "name": "Eagle Eye Demo", "timeZone": "America/Chicago"});
    mount(&server, "GET", "/api/v3.0/accounts/self", auth, record(account)).await;
    let locations = vec![
        json!({"id": EEN_CF5, "name": "CF5", "accountId": EEN_ACCOUNT, "parentId": null,
               "address": {"streetAddress": "4275 Executive Square, La Jolla, CA"}, "timeZone": {"zone": "America/Los_Angeles"}}),
        json!({"id": EEN_DEPOT, "name": "Depot", "accountId": EEN_ACCOUNT, "parentId": EEN_CF5,
               "address": {"streetAddress": "Prins Hendrikkade 1, Amsterdam"}, "timeZone": {"zone": "Europe/Amsterdam"}}),
    ];
    let sites = Pager::new(Style::EagleEye, "results", locations).gated(&["address", "timeZone"]);
    mount(&server, "GET", "/api/v3.0/locations", auth, sites).await;
    for (route, items) in [("/api/v3.0/cameras", cameras), ("/api/v3.0/bridges", een_bridges())] {
        let pager = Pager::new(Style::EagleEye, "results", items)
            .filter("/locationId", "locationId__in")
            .gated(&["status", "networkInfo"]);
        mount(&server, "GET", route, auth, pager).await;
    }
    server
}

#[tokio::test]
async fn eagle_eye_cameras_and_bridges_map_onto_canonical_devices() {
    let server = eagle_eye(een_cameras()).await;
    let mut profile = example(EAGLE_EYE);
    profile.pagination.set_size(2);
    let client = client(&server, profile, EEN_TOKEN);
    let depot = canonical_inventory(&client, EEN_DEPOT).await;
    assert_eq!(
        depot,
        [
            json!({"device_id": "100a0001", "name": "Depot Gate", "type": "camera", "site_id": EEN_DEPOT,
                   "status": "offline", "account_id": EEN_ACCOUNT, "mac_address": "00:1b:2c:3d:4e:64",
                   "ip": "10.20.0.17", "parent_id": "100062c9"}),
            json!({"device_id": "100062c9", "name": "Depot Bridge", "type": "bridge", "site_id": EEN_DEPOT,
                   "status": "unknown", "account_id": EEN_ACCOUNT, "mac_address": "00:1b:2c:3d:40:02",
                   "ip": "10.20.0.2"}),
        ]
    );
    let cf5 = canonical_inventory(&client, EEN_CF5).await;
    let statuses: Vec<(&str, &str)> =
        cf5.iter().map(|d| (d["device_id"].as_str().unwrap(), d["status"].as_str().unwrap())).collect();
    assert_eq!(
        statuses,
        [
            ("1009eb6c", "online"),
            ("1009eb6d", "offline"),
            ("1009eb6e", "offline"),
            ("1009eb6f", "degraded"),
            ("1009eb70", "degraded"),
            ("100062b4", "online"),
        ]
    );
    // Five cameras at two a page, then the bridge: the cursor walk asked for every page, with
    // the filter and the includes each time.
    let cameras: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/api/v3.0/cameras" && r.url.as_str().contains(EEN_CF5))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(cameras.len(), 3, "{cameras:?}");
    assert!(cameras.iter().all(|q| q.contains("include=status%2CnetworkInfo") && q.contains("pageSize=2")));
    assert!(cameras[1].contains("pageToken=tok-2") && cameras[2].contains("pageToken=tok-4"), "{cameras:?}");
}

#[tokio::test]
async fn eagle_eye_passes_the_schema_and_pagination_suites() {
    let server = eagle_eye(een_cameras()).await;
    let (_, report) = run_suites(&server, example(EAGLE_EYE), EEN_TOKEN).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.json-content-type", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Pass),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.optional-fields", Pass),
            // Cameras name their bridge, which the union lists.
            ("schema.parent-ids", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            // Eagle Eye's ids are 8 hex digits, not UUIDs (a SHOULD).
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", Pass),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", NotApplicable),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
    assert!(row(&report, "schema.uuid-ids").message.contains("`00001106` is not UUID-shaped"));
}

#[tokio::test]
async fn eagle_eye_health_event_maps_with_its_status_found_inside_data() {
    let profile = example(EAGLE_EYE);
    let event = profile.map_event(&serde_json::from_str(EEN_HEALTH_EVENT).unwrap());
    assert_eq!(
        event,
        json!({"event_id": "VVFtVXtEEaGLlxfIdSLB", "event_type": "health", "device_id": "100d4c41",
               "account_id": EEN_ACCOUNT, "timestamp": "2022-12-21T12:42:23.032Z", "data": {"status": "offline"}})
    );
    // Known gap: Eagle Eye events carry no location, and a profile cannot look the device's site
    // up in the inventory, so the mapped event lacks the `site_id` EVT-2 requires (the replays
    // report). Everything else is canonical.
    let violations = contract::SchemaId::Event.validate(&event).unwrap_err();
    let messages: Vec<&str> = violations.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(messages, [r#""site_id" is a required property"#]);
    // Another element first in `data[]` does not hide the status element.
    let mut raw: Value = serde_json::from_str(EEN_HEALTH_EVENT).unwrap();
    raw["data"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"type": "een.other.v1", "newStatus": {"connectionStatus": "online"}}));
    assert_eq!(profile.map_event(&raw)["data"]["status"], "offline");
}

#[tokio::test]
async fn eagle_eye_without_include_status_names_the_pointer_and_shows_the_record() {
    // The public page verbatim, served as it is when `include=status` was not asked for.
    let server = MockServer::builder().start().await;
    let page: Value = serde_json::from_str(EEN_CAMERAS_PAGE).unwrap();
    Mock::given(method("GET")).and(path("/api/v3.0/cameras")).respond_with(record(page)).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v3.0/bridges"))
        .respond_with(record(json!({"totalSize": 0, "nextPageToken": "", "prevPageToken": "", "results": []})))
        .mount(&server)
        .await;
    let client = client(&server, example(EAGLE_EYE), EEN_TOKEN);
    let listing = client.inventory(EEN_CF5).await.unwrap();
    assert_eq!(
        listing.records[0].record,
        json!({"device_id": "1009eb6c", "name": "CF5 3D Print Lab", "type": "camera", "site_id": EEN_CF5,
               "account_id": EEN_ACCOUNT, "parent_id": "100062b4"})
    );
    let note = listing
        .notes
        .iter()
        .find(|n| n.contains("`status`"))
        .unwrap_or_else(|| panic!("no note about `status`: {:?}", listing.notes));
    assert!(note.contains("/api/v3.0/cameras") && note.contains("`/status/connectionStatus`"), "{note}");
    assert!(note.contains(r#""name":"CF5 3D Print Lab""#), "the note shows a sample record: {note}");
}

#[tokio::test]
async fn an_eagle_eye_camera_without_a_name_fails_device_fields() {
    let mut cameras = een_cameras();
    cameras[2].as_object_mut().unwrap().remove("name");
    let server = eagle_eye(cameras).await;
    let (summary, report) = run_suites(&server, example(EAGLE_EYE), EEN_TOKEN).await;
    let failing: Vec<&str> = summary.with_status(Status::Fail);
    assert_eq!(failing, ["schema.device-fields", "schema.uuid-ids"], "{:#?}", summary.outcomes);
    let fields = row(&report, "schema.device-fields");
    let finding = &fields.evidence.findings[0];
    assert!(finding.subject.contains("1009eb6e"), "{}", finding.subject);
    assert!(finding.message.contains("name"), "{}", finding.message);
}

// ---------------------------------------------------------------------------------------------
// Cisco Meraki Dashboard v1

const MERAKI_KEY: &str = "meraki-api-key-0123456789";
const MERAKI_ORG: &str = "549236";
const MERAKI_MAIN: &str = "N_24329156";
const MERAKI_BRANCH: &str = "N_24329157";

fn meraki_devices() -> Vec<Value> {
    let mut devices: Vec<Value> = serde_json::from_str(MERAKI_AVAILABILITIES).unwrap();
    let more = [
        ("00:11:22:33:44:56", "Lobby AP", MERAKI_MAIN, "wireless", "Q234-ABCD-0001", "alerting"),
        ("00:11:22:33:44:57", "Dock Camera", MERAKI_MAIN, "camera", "Q234-ABCD-0002", "offline"),
        ("00:11:22:33:44:58", "Cold Room Sensor", MERAKI_MAIN, "sensor", "Q234-ABCD-0003", "dormant"),
        ("00:11:22:33:44:59", "Core Switch", MERAKI_MAIN, "switch", "Q234-ABCD-0004", "online"),
        ("00:11:22:33:44:5a", "Branch Camera", MERAKI_BRANCH, "camera", "Q234-ABCD-0005", "online"),
    ];
    devices.extend(more.iter().map(|(mac, name, network, product, serial, status)| {
        json!({"mac": mac, "name": name, "network": {"id": network}, "productType": product,
               "serial": serial, "status": status, "tags": []})
    }));
    devices
}

async fn meraki(devices: Vec<Value>) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-cisco-meraki-api-key", MERAKI_KEY);
    let org = json!({"id": MERAKI_ORG, "name": "DevNet Sandbox", "url": "https://n149.meraki.com/o/-t35Mb/manage/organization/overview"});
    mount(&server, "GET", "/api/v1/organizations/549236", auth, record(org)).await;
    let networks = vec![
        json!({"id": MERAKI_MAIN, "organizationId": MERAKI_ORG, "name": "Main Office", "productTypes": ["switch", "wireless"], "timeZone": "America/Los_Angeles", "tags": []}),
        json!({"id": MERAKI_BRANCH, "organizationId": MERAKI_ORG, "name": "Branch", "productTypes": ["camera"], "timeZone": "Europe/Amsterdam", "tags": []}),
    ];
    mount(&server, "GET", "/api/v1/organizations/549236/networks", auth, Pager::new(Style::Meraki, "", networks)).await;
    let availabilities = Pager::new(Style::Meraki, "", devices).id("/serial").filter("/network/id", "networkIds[]");
    mount(&server, "GET", "/api/v1/organizations/549236/devices/availabilities", auth, availabilities).await;
    server
}

#[tokio::test]
async fn meraki_availabilities_follow_link_headers_onto_canonical_devices() {
    let server = meraki(meraki_devices()).await;
    let mut profile = example(MERAKI);
    profile.pagination.set_size(2);
    let client = client(&server, profile, MERAKI_KEY);
    let main = canonical_inventory(&client, MERAKI_MAIN).await;
    assert_eq!(
        main[0],
        json!({"device_id": "Q234-ABCD-5678", "name": "My AP", "type": "switch", "site_id": MERAKI_MAIN,
               "status": "online", "mac_address": "00:11:22:33:44:55", "account_id": MERAKI_ORG})
    );
    let statuses: Vec<&str> = main.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["online", "degraded", "offline", "unknown", "online"]);
    assert_eq!(main[1]["type"], "access_point");
    // Three pages of two: the second and third were asked for through their `rel=next` links.
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/availabilities"))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked[1].contains("startingAfter=Q234-ABCD-0001") && asked[2].contains("startingAfter=Q234-ABCD-0003"));
    assert!(asked.iter().all(|q| q.contains("networkIds%5B%5D=N_24329156") && q.contains("perPage=2")), "{asked:?}");
}

#[tokio::test]
async fn meraki_passes_the_schema_and_pagination_suites() {
    let server = meraki(meraki_devices()).await;
    let (_, report) = run_suites(&server, example(MERAKI), MERAKI_KEY).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.json-content-type", Pass),
            ("schema.sites", Pass),
            // Networks carry a time zone but no address (a SHOULD).
            ("schema.site-location", Fail),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            ("pagination.bad-parameters", Pass),
            // Keyset: `startingAfter=<the last serial>` asks for the page after the last.
            ("pagination.past-end", Pass),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
    assert!(row(&report, "schema.site-location").message.contains("neither `address` nor `coordinates`"));
    let past_end = row(&report, "pagination.past-end");
    assert!(past_end.evidence.notes.iter().any(|n| n.contains("the page after Q234-ABCD-0004")), "{past_end:#?}");
}

/// A link-header vendor whose profile says how to ask past the end is judged by PAGE-4: one
/// that answers the page after its last device with devices again fails, quoting the rule.
#[tokio::test]
async fn a_meraki_that_lists_devices_again_past_the_end_fails_past_end() {
    let server = MockServer::builder().start().await;
    let auth = ("x-cisco-meraki-api-key", MERAKI_KEY);
    mount(&server, "GET", "/api/v1/organizations/549236", auth, record(json!({"id": MERAKI_ORG, "name": "Org"}))).await;
    let networks = vec![json!({"id": MERAKI_MAIN, "name": "Main Office", "timeZone": "America/Los_Angeles"})];
    mount(&server, "GET", "/api/v1/organizations/549236/networks", auth, Pager::new(Style::Meraki, "", networks)).await;
    let mut availabilities =
        Pager::new(Style::Meraki, "", meraki_devices()).id("/serial").filter("/network/id", "networkIds[]");
    availabilities.past_end_repeats = true;
    mount(&server, "GET", "/api/v1/organizations/549236/devices/availabilities", auth, availabilities).await;
    let (_, report) = run_named(&server, example(MERAKI), MERAKI_KEY, &["pagination"]).await;
    let past_end = row(&report, "pagination.past-end");
    assert_eq!(past_end.status, Status::Fail, "{past_end:#?}");
    assert!(past_end.message.contains("PAGE-4 (SHOULD)") && past_end.message.contains("never repeated data"));
    assert!(past_end.message.contains("the page after Q234-ABCD-0004"), "{}", past_end.message);
    assert!(past_end.message.contains("listed by the walk already"), "{}", past_end.message);
}

/// A pointer that matches nothing on any record of every page is named, in the failing
/// check's message, as the profile's likely mistake; a field that only some pages lack is the
/// vendor's, and no profile mistake is claimed.
#[tokio::test]
async fn a_status_pointer_matching_nothing_on_every_page_is_named_as_a_profile_mistake() {
    let server = meraki(meraki_devices()).await;
    let mut profile = example(MERAKI);
    let status = profile.inventory[0].fields.get_mut("status").unwrap();
    *status = harness::profile::FieldSpec::Pointer("/availability".into());
    let (_, report) = run_named(&server, profile, MERAKI_KEY, &["schema"]).await;
    let status = row(&report, "schema.device-status");
    assert_eq!(status.status, Status::Fail, "{status:#?}");
    assert!(status.message.contains("INV-2 (MUST)"), "{}", status.message);
    assert!(
        status.message.contains("Likely a profile mistake")
            && status.message.contains("`/availability`")
            && status.message.contains(suites::sync::PROFILE_MISTAKE),
        "{}",
        status.message
    );
    // The same field missing from the first page's devices only (the walk is 2 a page).
    let mut devices = meraki_devices();
    for d in &mut devices[..2] {
        d.as_object_mut().unwrap().remove("status");
    }
    let server = meraki(devices).await;
    let (_, report) = run_named(&server, example(MERAKI), MERAKI_KEY, &["schema"]).await;
    let status = row(&report, "schema.device-status");
    assert_eq!(status.status, Status::Fail, "{status:#?}");
    assert!(!status.message.contains("profile mistake"), "{}", status.message);
}

#[tokio::test]
async fn a_meraki_device_without_a_serial_fails_device_fields() {
    let mut devices = meraki_devices();
    // The last device of the site: Meraki's `startingAfter` names a serial, so the walk at
    // the default page size never needs the missing one.
    devices[4].as_object_mut().unwrap().remove("serial");
    let server = meraki(devices).await;
    let (summary, report) = run_suites(&server, example(MERAKI), MERAKI_KEY).await;
    assert_eq!(row(&report, "schema.device-fields").status, Status::Fail, "{:#?}", summary.outcomes);
    let finding = &row(&report, "schema.device-fields").evidence.findings[0];
    assert!(finding.message.contains("device_id"), "{}", finding.message);
    assert_eq!(finding.record.as_ref().unwrap()["name"], "Core Switch");
}

// ---------------------------------------------------------------------------------------------
// Verkada

const VERKADA_TOKEN: &str = "verkada-short-lived-token";
const VERKADA_ORG: &str = "1455hjew-ghg5-4125-a1a7-954ea4e911fe";
const VERKADA_HQ: &str = "b7c1f0a2-3d4e-4f5a-8b6c-7d8e9f0a1b2c";
const VERKADA_LAB: &str = "c8d2e1b3-4e5f-4a6b-9c7d-8e9f0a1b2c3d";

fn verkada_cameras() -> Vec<Value> {
    let camera = |id: &str, name: &str, site: (&str, &str), status: &str, last_online: i64| {
        json!({"camera_id": id, "name": name, "site": site.1, "site_id": site.0, "mac": "e0:a7:00:12:34:56",
               "serial": "ABCD-1234-EFGH", "model": "CD42", "status": status, "last_online": last_online,
               "timezone": "America/Los_Angeles"})
    };
    vec![
        camera("123456-eade-7890-8ee5-aaf22d01d91a", "Front Door", (VERKADA_HQ, "HQ"), "Live", VERKADA_TS - 42),
        camera("223456-eade-7890-8ee5-aaf22d01d91b", "Back Door", (VERKADA_HQ, "HQ"), "Offline", VERKADA_TS - 3600),
        camera("323456-eade-7890-8ee5-aaf22d01d91c", "Lobby", (VERKADA_HQ, "HQ"), "Live", VERKADA_TS),
        camera("423456-eade-7890-8ee5-aaf22d01d91d", "Lab Bench", (VERKADA_LAB, "Lab"), "Live", VERKADA_TS - 1),
    ]
}

async fn verkada() -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-verkada-auth", VERKADA_TOKEN);
    mount(&server, "GET", "/core/v1/org", auth, record(json!({"org_id": VERKADA_ORG, "org_name": "Verkada Demo"})))
        .await;
    let sites = vec![
        json!({"site_id": VERKADA_HQ, "name": "HQ", "timezone": "America/Los_Angeles"}),
        json!({"site_id": VERKADA_LAB, "name": "Lab", "timezone": "America/Los_Angeles"}),
    ];
    mount(&server, "GET", "/core/v1/sites", auth, Pager::new(Style::Verkada, "sites", sites).max(200)).await;
    let cameras = Pager::new(Style::Verkada, "cameras", verkada_cameras()).filter("/site_id", "site_id").max(200);
    mount(&server, "GET", "/cameras/v1/devices", auth, cameras).await;
    server
}

#[tokio::test]
async fn verkada_cameras_map_with_epoch_second_timestamps() {
    let server = verkada().await;
    let mut profile = example(VERKADA);
    profile.pagination.set_size(2);
    let client = client(&server, profile, VERKADA_TOKEN);
    let hq = canonical_inventory(&client, VERKADA_HQ).await;
    assert_eq!(
        hq[0],
        json!({"device_id": "123456-eade-7890-8ee5-aaf22d01d91a", "name": "Front Door", "type": "camera",
               "site_id": VERKADA_HQ, "site_name": "HQ", "status": "online", "mac_address": "e0:a7:00:12:34:56",
               "model": "CD42", "last_seen": "2020-08-17T17:33:00.000Z"})
    );
    assert_eq!(hq.iter().map(|d| d["status"].as_str().unwrap()).collect::<Vec<_>>(), ["online", "offline", "online"]);
    // Two pages: the second asked for with the first's token; the second's null token ended it.
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/cameras/v1/devices")
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[1].contains("page_token=tok-2"), "{asked:?}");
}

#[tokio::test]
async fn verkada_passes_the_schema_and_pagination_suites() {
    let server = verkada().await;
    let (_, report) = run_suites(&server, example(VERKADA), VERKADA_TOKEN).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Fail),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.optional-fields", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            // The org id and camera ids are not UUID-shaped.
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", NotApplicable),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
}

#[test]
fn verkada_webhook_example_verifies_when_resigned_and_maps_to_a_canonical_event() {
    let profile = example(VERKADA);
    let format = profile.signature_format(contract::Scheme::Body);
    let secret = Secret::new("verkada-test-secret");
    let headers = format.sign(&secret, VERKADA_WEBHOOK.as_bytes(), VERKADA_TS);
    assert_eq!(headers.len(), 1);
    let (name, value) = &headers[0];
    assert_eq!(name, "Verkada-Signature");
    // `<ts>|<hex>` where hex is HMAC-SHA256 over `<body>|<ts>`.
    let (ts, hex) = value.split_once('|').unwrap();
    assert_eq!(ts, VERKADA_TS.to_string());
    assert!(hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    assert_eq!(
        format.signed_bytes(VERKADA_WEBHOOK.as_bytes(), VERKADA_TS),
        format!("{VERKADA_WEBHOOK}|{VERKADA_TS}").into_bytes()
    );
    let lookup = |n: &str| n.eq_ignore_ascii_case("verkada-signature").then_some(value.as_str());
    let verified = format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS + 5).unwrap();
    assert_eq!(verified.timestamp, Some(VERKADA_TS));
    // The timestamp is bound: the same signature under another timestamp does not verify, nor
    // does a stale delivery, nor another secret.
    let moved = value.replacen(&VERKADA_TS.to_string(), &(VERKADA_TS + 1).to_string(), 1);
    let lookup_moved = |n: &str| n.eq_ignore_ascii_case("verkada-signature").then_some(moved.as_str());
    assert!(format.verify(lookup_moved, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS).is_err());
    assert!(format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&secret], VERKADA_TS + 301).is_err());
    assert!(format.verify(lookup, VERKADA_WEBHOOK.as_bytes(), &[&Secret::new("other")], VERKADA_TS).is_err());

    let event = profile.map_event(&serde_json::from_str(VERKADA_WEBHOOK).unwrap());
    assert_eq!(
        event,
        json!({"event_id": "2fd2826d-4645-47ac-b0e6-a4b2ae634480", "event_type": "video",
               "device_id": "123456-eade-7890-8ee5-aaf22d01d91a", "account_id": VERKADA_ORG,
               "timestamp": "2020-08-17T17:33:00.000Z",
               "data": {"camera_id": "123456-eade-7890-8ee5-aaf22d01d91a", "notification_type": "motion",
                        "created": 1_597_685_580, "image_url": null}})
    );
}

#[test]
fn the_github_test_vector_verifies_with_a_body_only_sha256_signature() {
    let format: SignatureFormat = toml::from_str(
        r#"
        header = "X-Hub-Signature-256"
        value_template = "sha256={sig}"
        encoding = "hex"
        signed_content = "{body}"
        "#,
    )
    .unwrap();
    format.validate().unwrap();
    let secret = Secret::new("It's a Secret to Everybody");
    let value = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let lookup = |n: &str| n.eq_ignore_ascii_case("x-hub-signature-256").then_some(value);
    let verified = format.verify(lookup, b"Hello, World!", &[&secret], 0).unwrap();
    assert_eq!(verified.timestamp, None);
    assert!(!format.binds_timestamp());
    assert_eq!(format.sign(&secret, b"Hello, World!", 0), [("X-Hub-Signature-256".to_owned(), value.to_owned())]);
    assert!(format.verify(lookup, b"Hello, World?", &[&secret], 0).is_err());
}

// ---------------------------------------------------------------------------------------------
// Rhombus

const RHOMBUS_KEY: &str = "rhombus-api-key-0123456789";
const RHOMBUS_ORG: &str = "Rk3T0aWc5QeO2c8b4kLm1A";
const RHOMBUS_HQ: &str = "Lh8dT2yQQ0m1n9K5cVbA7w";
const RHOMBUS_YARD: &str = "Yd4gP7sRS1o2p0L6dWcB8x";

fn rhombus_locations() -> Vec<Value> {
    [(RHOMBUS_HQ, "HQ", "1 Market St, Sacramento, CA"), (RHOMBUS_YARD, "Yard", "2 Harbor Way, Oakland, CA"),
     ("Zz9hQ8tST2p3q1M7eXdC9y", "Annex", "3 Annex Rd, Davis, CA")]
        .iter()
        .map(|(uuid, name, address)| {
            json!({"uuid": uuid, "name": name, "orgUuid": RHOMBUS_ORG, "address1": address, "tz": "America/Los_Angeles"})
        })
        .collect()
}

fn rhombus_cameras() -> Vec<Value> {
    [
        ("Cm1aAaAaQQ0m1n9K5cVbA1", "HQ Entrance", RHOMBUS_HQ, "GREEN", "R200"),
        ("Cm1aAaAaQQ0m1n9K5cVbA2", "HQ Hallway", RHOMBUS_HQ, "YELLOW", "R100"),
        ("Cm1aAaAaQQ0m1n9K5cVbA3", "HQ Roof", RHOMBUS_HQ, "RED", "R500"),
        ("Cm1aAaAaQQ0m1n9K5cVbA4", "Yard Gate", RHOMBUS_YARD, "ORANGE", "R400"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (uuid, name, location, health, hw))| {
        json!({"uuid": uuid, "name": name, "locationUuid": location, "defaultInterfaceMac": format!("b8:a4:4f:00:00:0{i}"),
               "hwVariation": hw, "healthStatus": health})
    })
    .collect()
}

async fn rhombus(locations: Pager) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-auth-apikey", RHOMBUS_KEY);
    let scheme = ("x-auth-scheme", "api-token");
    let org = json!({"error": false, "org": {"uuid": RHOMBUS_ORG, "name": "Rhombus Demo"}});
    let cameras =
        Pager::new(Style::Rhombus, "cameraStates", rhombus_cameras()).filter("/locationUuid", "locationUuid").unpaged();
    let post = |route: &str| {
        Mock::given(method("POST")).and(path(route)).and(header(auth.0, auth.1)).and(header(scheme.0, scheme.1))
    };
    post("/api/org/getOrgV2").respond_with(record(org)).mount(&server).await;
    post("/api/location/getLocationsV2").respond_with(locations).mount(&server).await;
    post("/api/camera/getMinimalCameraStateList").respond_with(cameras).mount(&server).await;
    server
}

#[tokio::test]
async fn rhombus_reads_are_posts_with_a_body_cursor_and_api_key_headers() {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    let mut profile = example(RHOMBUS);
    profile.pagination.set_size(2);
    let client = client(&server, profile, RHOMBUS_KEY);
    let sites = client.sites().await.unwrap();
    assert_eq!(sites.records.len(), 3);
    assert_eq!(
        sites.records[0].record,
        json!({"site_id": RHOMBUS_HQ, "name": "HQ", "address": "1 Market St, Sacramento, CA", "timezone": "America/Los_Angeles"})
    );
    let hq = canonical_inventory(&client, RHOMBUS_HQ).await;
    assert_eq!(
        hq[1],
        json!({"device_id": "Cm1aAaAaQQ0m1n9K5cVbA2", "name": "HQ Hallway", "type": "camera", "site_id": RHOMBUS_HQ,
               "status": "degraded", "mac_address": "b8:a4:4f:00:00:01", "model": "R100"})
    );
    assert_eq!(hq.iter().map(|d| d["status"].as_str().unwrap()).collect::<Vec<_>>(), ["online", "degraded", "offline"]);
    let received = server.received_requests().await.unwrap();
    assert!(received.iter().all(|r| r.method.as_str() == "POST"
        && r.headers.get("x-auth-apikey").is_some_and(|v| v == RHOMBUS_KEY)
        && r.headers.get("x-auth-scheme").is_some_and(|v| v == "api-token")));
    let bodies: Vec<Value> = received
        .iter()
        .filter(|r| r.url.path() == "/api/location/getLocationsV2")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"maxPageSize": 2}), json!({"maxPageSize": 2, "lastEvaluatedKey": "tok-2"})]);
    let camera_body: Value = serde_json::from_slice(
        &received.iter().find(|r| r.url.path().ends_with("getMinimalCameraStateList")).unwrap().body,
    )
    .unwrap();
    assert_eq!(camera_body, json!({"locationUuid": RHOMBUS_HQ, "maxPageSize": 2}));
}

#[tokio::test]
async fn rhombus_passes_the_schema_and_pagination_suites_refusing_in_200_bodies() {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    let (_, report) = run_suites(&server, example(RHOMBUS), RHOMBUS_KEY).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Pass),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            // Rhombus refuses a bad `maxPageSize` or a forged cursor with HTTP 200 and
            // `{"error": true, ...}`: the profile's `[errors]` make that a refusal.
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", NotApplicable),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
    let refused = row(&report, "pagination.bad-parameters");
    let notes = serde_json::to_string(&refused.evidence).unwrap();
    assert!(notes.contains("refused with 200 and an error in its body"), "{notes}");
}

/// The Rhombus replay behind a gate that answers any request without its key with `refusal`
/// (wiremock alone would answer an unmatched request 404).
async fn rhombus_behind_its_key(refusal: ResponseTemplate) -> MockServer {
    let server = rhombus(Pager::new(Style::Rhombus, "locations", rhombus_locations())).await;
    Mock::given(wiremock::matchers::any()).respond_with(refusal).with_priority(10).mount(&server).await;
    server
}

/// The auth rows of an API-key vendor: the crafted-JWT checks do not apply, the keyless ones
/// (no key, an empty and a garbage key) run as they do for the contract's tokens.
const API_KEY_AUTH_ROWS: &[(&str, Expect)] = &[
    ("auth.valid-token", Expect::Pass),
    ("auth.malformed", Expect::Pass),
    ("auth.expired", Expect::NotApplicable),
    ("auth.bad-signature", Expect::NotApplicable),
    ("auth.alg-none", Expect::NotApplicable),
    ("auth.hs256-public-key", Expect::NotApplicable),
    ("auth.no-exp", Expect::NotApplicable),
    ("auth.issuer", Expect::NotApplicable),
    ("auth.tampered", Expect::NotApplicable),
    ("auth.long-lifetime", Expect::NotApplicable),
    ("auth.future-iat", Expect::NotApplicable),
    ("auth.www-authenticate", Expect::NotApplicable),
    ("auth.no-leak", Expect::Pass),
];

#[tokio::test]
async fn an_api_key_vendor_gets_the_auth_checks_that_need_no_signing_key() {
    let refused = ResponseTemplate::new(401).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    let server = rhombus_behind_its_key(refused).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    assert_checks(&report, API_KEY_AUTH_ROWS);
    let malformed = row(&report, "auth.malformed");
    assert!(malformed.message.starts_with("3 missing or malformed credentials"), "{}", malformed.message);
    let notes = malformed.evidence.notes.join("\n");
    assert!(notes.contains("`garbage`") && notes.contains("not sent: `two-segments`"), "{notes}");
    // The bad keys went in the vendor's key header, next to its fixed headers.
    let received = server.received_requests().await.unwrap();
    let keys: Vec<Option<&str>> = received
        .iter()
        .filter(|r| r.url.path() == "/api/org/getOrgV2")
        .map(|r| r.headers.get("x-auth-apikey").and_then(|v| v.to_str().ok()))
        .collect();
    for sent in [None, Some(""), Some("not-a-jwt"), Some(RHOMBUS_KEY)] {
        assert!(keys.contains(&sent), "{sent:?} was not sent: {keys:?}");
    }
    assert!(received.iter().all(|r| r.headers.get("x-auth-scheme").is_some_and(|v| v == "api-token")));
    // run_named has checked that the key reaches no report file.
    // summary.md names the checks that do not apply on one line, not in its table of failures.
    let out = tempfile::tempdir().unwrap();
    report.write_all(out.path()).unwrap();
    let summary = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.contains("Not applicable to this vendor (") && summary.contains("`auth.alg-none`"), "{summary}");
    assert!(!summary.contains("| SKIP | `auth.alg-none`"), "{summary}");
}

#[tokio::test]
async fn an_api_key_vendor_that_refuses_bad_keys_in_a_200_body_fails_auth_malformed_saying_so() {
    // VENDOR-SHAPES: Rhombus signals errors as HTTP 200 with `{"error": true}`; AUTH-2 asks for 401.
    let refused = ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    let server = rhombus_behind_its_key(refused).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    assert_eq!(row(&report, "auth.valid-token").status, Status::Pass);
    let malformed = row(&report, "auth.malformed");
    assert_eq!(malformed.status, Status::Fail, "{}", malformed.message);
    assert!(
        malformed.message.contains("refused with 200 and an error in its body (Unauthorized), not 401"),
        "{}",
        malformed.message
    );
    assert!(!malformed.message.contains("accepted"), "{}", malformed.message);
    // The empty key's reproduce command sends the header empty (curl drops a blank `name: `).
    let empty = malformed.evidence.exchanges.iter().find(|x| x.reproduce.contains("x-auth-apikey;"));
    assert!(empty.is_some(), "{:#?}", malformed.evidence.exchanges.iter().map(|x| &x.reproduce).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_vendor_whose_every_answer_is_an_error_in_a_200_body_is_not_seen_accepting_a_credential() {
    let server = MockServer::builder().start().await;
    let broken = ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": "Unauthorized"}));
    Mock::given(wiremock::matchers::any()).respond_with(broken).mount(&server).await;
    // The account request is refused in its body: the preflight stops the run there, naming the
    // refusal and the config keys of the credential, rather than reporting every check.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credential");
    std::fs::write(&file, RHOMBUS_KEY).unwrap();
    let mut auth = AuthConfig::from_key_path(dir.path().join("unused.pem"), None);
    (auth.private_key_path, auth.credential_path) = (None, Some(file));
    let profile = example(RHOMBUS);
    let mut config = VendorConfig::new(profile.name.clone(), server.uri(), auth);
    config.profile = profile;
    let options = RunOptions {
        out_dir: dir.path().join("reports"),
        suites: vec!["auth".into()],
        progress: ProgressMode::Quiet,
        non_interactive: true,
        ..RunOptions::default()
    };
    let err = run(config, options).await.expect_err("the preflight stops the run");
    let err = err.downcast_ref::<harness::runner::PreflightError>().expect("a preflight error");
    assert_eq!(err.cause, harness::runner::PreflightCause::CredentialRefused);
    assert!(err.message.contains("error in its body (Unauthorized)"), "{}", err.message);
    assert!(err.message.contains("credential_path") && !err.message.contains(RHOMBUS_KEY), "{}", err.message);
}

#[tokio::test]
async fn an_api_key_vendor_that_serves_any_key_fails_auth_malformed() {
    // No gate: the routes answer whatever key (or none) comes with the request.
    let server = MockServer::builder().start().await;
    let org = json!({"error": false, "org": {"uuid": RHOMBUS_ORG, "name": "Rhombus Demo"}});
    Mock::given(method("POST")).and(path("/api/org/getOrgV2")).respond_with(record(org)).mount(&server).await;
    let (_, report) = run_named(&server, example(RHOMBUS), RHOMBUS_KEY, &["auth"]).await;
    let malformed = row(&report, "auth.malformed");
    assert_eq!(malformed.status, Status::Fail, "{}", malformed.message);
    assert!(malformed.message.contains("accepted"), "{}", malformed.message);
    let reproduce = &malformed.evidence.exchanges[0].reproduce;
    assert!(!reproduce.contains(RHOMBUS_KEY), "{reproduce}");
}

#[tokio::test]
async fn a_rhombus_error_in_a_200_body_fails_the_walk_with_its_message() {
    let refusing = ResponseTemplate::new(200).set_body_json(
        json!({"error": true, "errorMsg": "Unauthorized: API token is not valid for this organization"}),
    );
    let server = MockServer::builder().start().await;
    Mock::given(method("POST")).and(path("/api/location/getLocationsV2")).respond_with(refusing).mount(&server).await;
    let client = client(&server, example(RHOMBUS), RHOMBUS_KEY);
    let err = client.sites().await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Status);
    assert!(
        err.message.contains("answered 200 OK with an error in its body")
            && err.message.contains("API token is not valid for this organization"),
        "{}",
        err.message
    );
    assert_eq!(err.exchanges.last().unwrap().status, Some(200));
}

// ---------------------------------------------------------------------------------------------
// Brivo-like access control

const BRIVO_TOKEN: &str = "brivo-access-token";
const BRIVO_MAIN: &str = "4163426";
const BRIVO_WAREHOUSE: &str = "4163427";

fn brivo_access_points(site: u32, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"id": format!("{site}{i:03}"), "name": format!("Door {}", i + 1), "controlPanelId": 90210,
                   "status": if i % 3 == 2 { "OFFLINE" } else { "ONLINE" },
                   "lastActivity": 1_738_679_520_123i64 + i as i64 * 1000})
        })
        .collect()
}

async fn brivo(main: Vec<Value>) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("authorization", "Bearer brivo-access-token");
    mount(&server, "GET", "/v1/api/accounts/self", auth, record(json!({"id": "1234567", "name": "Brivo Demo"}))).await;
    let sites = vec![
        json!({"id": BRIVO_MAIN, "siteName": "Main Street", "address": {"streetAddress1": "7700 Old Georgetown Rd, Bethesda, MD"}, "timeZone": "America/New_York"}),
        json!({"id": BRIVO_WAREHOUSE, "siteName": "Warehouse", "address": {"streetAddress1": "1 Dock Rd, Baltimore, MD"}, "timeZone": "America/New_York"}),
    ];
    mount(&server, "GET", "/v1/api/sites", auth, Pager::new(Style::Brivo, "data", sites)).await;
    let routes = [(BRIVO_MAIN, main), (BRIVO_WAREHOUSE, brivo_access_points(4163427, 1))];
    for (site, items) in routes {
        let route = format!("/v1/api/sites/{site}/access-points");
        mount(&server, "GET", &route, auth, Pager::new(Style::Brivo, "data", items)).await;
    }
    server
}

#[tokio::test]
async fn brivo_offset_pages_map_with_the_site_from_the_path_and_epoch_milliseconds() {
    let server = brivo(brivo_access_points(4163426, 5)).await;
    let mut profile = example(BRIVO);
    profile.pagination.set_size(2);
    let client = client(&server, profile, BRIVO_TOKEN);
    let main = canonical_inventory(&client, BRIVO_MAIN).await;
    assert_eq!(main.len(), 5);
    assert_eq!(
        main[2],
        json!({"device_id": "4163426002", "name": "Door 3", "type": "door", "site_id": BRIVO_MAIN,
               "status": "offline", "last_seen": "2025-02-04T14:32:02.123Z"})
    );
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/access-points"))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    // 2 + 2 + 1: the short third page ends the walk (as does `count`).
    assert_eq!(asked, ["offset=0&pageSize=2", "offset=2&pageSize=2", "offset=4&pageSize=2"]);
}

#[tokio::test]
async fn brivo_passes_the_schema_and_pagination_suites() {
    let server = brivo(brivo_access_points(4163426, 5)).await;
    let (_, report) = run_suites(&server, example(BRIVO), BRIVO_TOKEN).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.sites", Pass),
            ("schema.site-location", Pass),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.optional-fields", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", Pass),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", NotApplicable),
            ("pagination.bad-parameters", Pass),
            ("pagination.past-end", Pass),
            // `pageSize` above 100 is refused with a 400.
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
}

#[tokio::test]
async fn a_list_pointer_that_matches_nothing_names_it_and_shows_what_came_back() {
    // A profile that expects `{"results": [...]}` where Brivo answers `{"data": [...]}`.
    let server = brivo(brivo_access_points(4163426, 2)).await;
    let mut profile = example(BRIVO);
    profile.inventory[0].list = "/results".into();
    let err = client(&server, profile.clone(), BRIVO_TOKEN).inventory(BRIVO_MAIN).await.unwrap_err();
    assert_eq!(err.kind, ApiErrorKind::Shape);
    assert!(err.message.contains("the profile's list pointer `/results` matches nothing"), "{}", err.message);
    assert!(err.message.contains(r#""name":"Door 1""#) && err.message.contains(r#""count":2"#), "{}", err.message);
    // The run reports it on the check that reads the inventory.
    let (_, report) = run_suites(&server, profile, BRIVO_TOKEN).await;
    let fields = row(&report, "schema.device-fields");
    assert_eq!(fields.status, Status::Fail, "{}", fields.message);
    assert!(fields.message.contains("`/results` matches nothing"), "{}", fields.message);
}

#[tokio::test]
async fn the_verbatim_eagle_eye_page_without_status_fails_device_status_and_the_run_names_the_pointer() {
    let server = MockServer::builder().start().await;
    let account = json!({"id": EEN_ACCOUNT, "name": "Eagle Eye Demo"});
    Mock::given(method("GET")).and(path("/api/v3.0/accounts/self")).respond_with(record(account)).mount(&server).await;
    let locations = json!({"totalSize": 1, "nextPageToken": "", "prevPageToken": "", "results": [
        {"id": EEN_CF5, "name": "CF5", "address": {"streetAddress": "4275 Executive Square"}, "timeZone": {"zone": "America/Los_Angeles"}}]});
    Mock::given(method("GET")).and(path("/api/v3.0/locations")).respond_with(record(locations)).mount(&server).await;
    let page: Value = serde_json::from_str(EEN_CAMERAS_PAGE).unwrap();
    Mock::given(method("GET")).and(path("/api/v3.0/cameras")).respond_with(record(page)).mount(&server).await;
    let empty = json!({"totalSize": 0, "nextPageToken": "", "prevPageToken": "", "results": []});
    Mock::given(method("GET")).and(path("/api/v3.0/bridges")).respond_with(record(empty)).mount(&server).await;
    let (_, report) = run_suites(&server, example(EAGLE_EYE), EEN_TOKEN).await;
    let status = row(&report, "schema.device-status");
    assert_eq!(status.status, Status::Fail, "{}", status.message);
    assert!(status.message.contains("status"), "{}", status.message);
    // The walk's note says why: the pointer the profile reads, and what the vendor sent instead.
    let noted: Vec<(&str, &String)> = report
        .checks()
        .flat_map(|c| c.evidence.notes.iter().map(move |n| (c.id.as_str(), n)))
        .filter(|(_, n)| n.contains("`/status/connectionStatus`"))
        .collect();
    assert!(
        noted.iter().any(|(_, n)| n.contains("CF5 3D Print Lab")),
        "no check's evidence names the pointer with a sample: {noted:?}"
    );
    // Today only the walk's check carries it; schema.device-status, which fails for it, does
    // not (the replays report proposes passing inventory notes to the schema checks too).
    assert!(noted.iter().any(|(id, _)| *id == "pagination.complete-walk"), "{noted:?}");
    // `totalSize` 16 with one camera and no next page: the walk lists fewer items than reported.
    assert_eq!(row(&report, "pagination.complete-walk").status, Status::Fail);
}

#[tokio::test]
async fn numeric_ids_as_brivo_writes_them_are_ids() {
    // Brivo's community code shows numeric ids. The contract gives ids no type: the mapping writes
    // them as strings, so the account and the site meet ACC-1 and SITE-1, and the site's
    // inventory is walked under its id.
    let server = MockServer::builder().start().await;
    let auth = ("authorization", "Bearer brivo-access-token");
    mount(&server, "GET", "/v1/api/accounts/self", auth, record(json!({"id": 1234567, "name": "Brivo Demo"}))).await;
    let sites = vec![json!({"id": 4163426, "siteName": "Main Street", "timeZone": "America/New_York",
                            "address": {"streetAddress1": "7700 Old Georgetown Rd"}})];
    mount(&server, "GET", "/v1/api/sites", auth, Pager::new(Style::Brivo, "data", sites)).await;
    let (summary, report) = run_suites(&server, example(BRIVO), BRIVO_TOKEN).await;
    assert_eq!(row(&report, "schema.account").status, Status::Pass, "{:#?}", summary.outcomes);
    let sites = row(&report, "schema.sites");
    assert_eq!(sites.status, Status::Pass, "{}", sites.message);
    let inventory_requests = server.received_requests().await.unwrap();
    assert!(
        inventory_requests.iter().any(|r| r.url.path() == "/v1/api/sites/4163426/access-points"),
        "the site's inventory is walked under its id"
    );
}

// ---------------------------------------------------------------------------------------------
// Webhook management in other shapes (VENDOR-SHAPES.md, "Webhook management and catalogue
// shapes"), mapped through the example profiles' `[webhooks.create]`, `[webhooks.list]`,
// `ping_body` and `[webhooks.catalogue]`: a subscription-style API that issues the secret once
// (on the Eagle Eye replay) and Meraki's HTTP servers, whose secret the integrator chooses.

/// Which webhook API a fake vendor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HookApi {
    /// `{url, displayName, enabled: true, events}` → 201 `{id, ..., secret}` (once); list under
    /// `results`; test delivery `POST .../{id}/test`.
    Subscriptions,
    /// `{name, url, sharedSecret, payloadTemplate}` → 201 `{id, name, url, networkId,
    /// payloadTemplate}` (the secret never echoed); a root-array list; test delivery
    /// `POST .../webhookTests {url, sharedSecret}`.
    HttpServers,
}

/// What the fake webhook API gets wrong, if anything.
#[derive(Debug, Clone, Copy, Default)]
struct HookFaults {
    /// Creates with the cloud metadata target are accepted (WHM-3).
    accept_metadata: bool,
    /// The list shows each webhook's secret (WHM-2).
    list_secret: bool,
}

#[derive(Debug, Clone)]
struct Hook {
    id: String,
    name: String,
    url: String,
    secret: String,
    deleted: bool,
}

/// The fake vendor's webhooks, shared by its routes.
#[derive(Debug, Clone)]
struct Hooks {
    api: HookApi,
    faults: HookFaults,
    state: std::sync::Arc<std::sync::Mutex<Vec<Hook>>>,
}

/// Which request a route answers.
#[derive(Debug, Clone, Copy)]
enum HookRoute {
    Collection,
    Item,
    /// A test delivery (ping).
    Test,
    /// The vendor's own tooling: a device's status changes (the `mock-control` trigger's request).
    DeviceStatus,
}

/// Whether a target is one the vendor refuses (WHM-3): link-local, private, not http(s).
fn refused_target(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else { return true };
    let host = rest.split(['/', ':', '?']).next().unwrap_or_default();
    host.starts_with("169.254.") || host.starts_with("10.") || host.starts_with("192.168.") || host.is_empty()
}

/// A strong secret, as the subscription API issues it (once, in the create answer).
fn issued_secret() -> String {
    suites::webhook_api::generate_secret().expose().to_owned()
}

/// Sends `body` to a loopback `url`, signed with the contract's `body` scheme, from a thread of
/// its own (a responder must not wait). Other targets are never contacted.
fn deliver(url: &str, secret: &str, body: Value) {
    deliver_as(&SignatureFormat::canonical(contract::Scheme::Body), url, secret, body);
}

/// [`deliver`] signed in `format`.
fn deliver_as(format: &SignatureFormat, url: &str, secret: &str, body: Value) {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://127.0.0.1:") else { return };
    let (port, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(p, path)| (p, format!("/{path}")));
    let address = format!("127.0.0.1:{port}");
    let body = body.to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let headers = format.sign(&Secret::new(secret), body.as_bytes(), now);
    std::thread::spawn(move || {
        let Ok(mut stream) = std::net::TcpStream::connect(&address) else { return };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        let _ = stream.write_all(request.as_bytes());
        let _ = stream.read_to_end(&mut Vec::new());
    });
}

impl Hooks {
    fn new(api: HookApi, faults: HookFaults) -> Self {
        Self { api, faults, state: Default::default() }
    }

    fn route(&self, route: HookRoute) -> HookResponder {
        HookResponder { hooks: self.clone(), route }
    }

    /// Every secret the vendor issued or was given (none may reach a report).
    fn secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().iter().map(|h| h.secret.clone()).collect()
    }

    fn shown(&self, hook: &Hook) -> Value {
        let mut shown = match self.api {
            HookApi::Subscriptions => json!({"id": hook.id, "displayName": hook.name, "url": hook.url, "enabled": true,
                "events": ["een.deviceCloudStatusUpdateEvent.v1"]}),
            HookApi::HttpServers => json!({"id": hook.id, "name": hook.name, "url": hook.url, "networkId": MERAKI_MAIN,
                "payloadTemplate": {"payloadTemplateId": "wpt_00001", "name": "Meraki (included)"}}),
        };
        if self.faults.list_secret {
            let key = if self.api == HookApi::HttpServers { "sharedSecret" } else { "secret" };
            shown[key] = json!(hook.secret);
        }
        shown
    }

    fn create(&self, body: &Value) -> ResponseTemplate {
        let (url, name, secret) = match self.api {
            HookApi::Subscriptions => (&body["url"], &body["displayName"], Value::Null),
            HookApi::HttpServers => (&body["url"], &body["name"], body["sharedSecret"].clone()),
        };
        let (Some(url), Some(name)) = (url.as_str(), name.as_str()) else {
            return ResponseTemplate::new(400).set_body_json(json!({"errors": ["url and name are required"]}));
        };
        if self.api == HookApi::Subscriptions && body["enabled"] != json!(true) {
            return ResponseTemplate::new(400).set_body_json(json!({"errors": ["enabled must be true"]}));
        }
        if refused_target(url) && !self.faults.accept_metadata {
            return ResponseTemplate::new(400).set_body_json(json!({"errors": ["url: not an allowed address"]}));
        }
        let mut hooks = self.state.lock().unwrap();
        let n = hooks.len() + 1;
        let secret = match (self.api, secret.as_str()) {
            (HookApi::HttpServers, Some(chosen)) if chosen.len() >= 16 => chosen.to_owned(),
            (HookApi::HttpServers, _) => {
                return ResponseTemplate::new(400).set_body_json(json!({"errors": ["sharedSecret is required"]}));
            }
            (HookApi::Subscriptions, _) => issued_secret(),
        };
        let id = match self.api {
            HookApi::Subscriptions => format!("es-{n:04}-{}", std::process::id()),
            HookApi::HttpServers => format!("aHR0cHM6Ly9{n:04}"),
        };
        let hook = Hook { id, name: name.to_owned(), url: url.to_owned(), secret, deleted: false };
        let mut answer = self.shown(&hook);
        if self.api == HookApi::Subscriptions {
            answer["secret"] = json!(hook.secret);
        } else if let Some(answer) = answer.as_object_mut() {
            answer.remove("sharedSecret");
        }
        hooks.push(hook);
        ResponseTemplate::new(201).set_body_json(answer)
    }

    fn list(&self) -> ResponseTemplate {
        let hooks = self.state.lock().unwrap();
        let shown: Vec<Value> = hooks.iter().filter(|h| !h.deleted).map(|h| self.shown(h)).collect();
        match self.api {
            HookApi::Subscriptions => record(json!({"results": shown, "nextPageToken": "", "totalSize": shown.len()})),
            HookApi::HttpServers => record(Value::Array(shown)),
        }
    }

    fn delete(&self, id: &str) -> ResponseTemplate {
        let mut hooks = self.state.lock().unwrap();
        match hooks.iter_mut().find(|h| h.id == id && !h.deleted) {
            Some(hook) => {
                hook.deleted = true;
                ResponseTemplate::new(204)
            }
            None => ResponseTemplate::new(404).set_body_json(json!({"errors": ["not found"]})),
        }
    }

    /// An event as this vendor writes it.
    fn event(&self, device: &str, status: Option<&str>) -> Value {
        let id = format!("ev-{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos());
        let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
        match self.api {
            HookApi::Subscriptions => {
                let (kind, data) = match status {
                    Some(status) => {
                        let connection = if status == "offline" { "deviceOffline" } else { "online" };
                        (
                            "een.deviceCloudStatusUpdateEvent.v1",
                            json!([{"type": "een.deviceCloudStatusUpdate.v1",
                            "creatorId": "een.systemHealth", "newStatus": {"connectionStatus": connection}}]),
                        )
                    }
                    None => ("een.pingEvent.v1", json!([])),
                };
                json!({"id": id, "startTimestamp": now, "accountId": EEN_ACCOUNT, "actorId": device, "actorType": "camera",
                    "creatorId": "een.systemHealth", "type": kind, "data": data})
            }
            HookApi::HttpServers => json!({"version": "0.1", "sentAt": now, "organizationId": MERAKI_ORG,
                "networkId": MERAKI_MAIN, "deviceSerial": device, "alertId": id, "occurredAt": now,
                "alertType": if status.is_some() { "Device status changed" } else { "Webhook test" },
                "alertData": status.map_or(json!({}), |s| json!({"status": s}))}),
        }
    }

    /// A test delivery: to a webhook by id, or to a URL with the secret the request names.
    fn test(&self, id: Option<&str>, body: &Value) -> ResponseTemplate {
        let target = match (self.api, id) {
            (HookApi::Subscriptions, Some(id)) => {
                let hooks = self.state.lock().unwrap();
                hooks.iter().find(|h| h.id == id && !h.deleted).map(|h| (h.url.clone(), h.secret.clone()))
            }
            _ => match (body["url"].as_str(), body["sharedSecret"].as_str()) {
                (Some(url), Some(secret)) => Some((url.to_owned(), secret.to_owned())),
                _ => None,
            },
        };
        let Some((url, secret)) = target else {
            return ResponseTemplate::new(404).set_body_json(json!({"errors": ["no such webhook"]}));
        };
        let event = self.event("", None);
        let announced = event.pointer("/id").or_else(|| event.pointer("/alertId")).cloned();
        deliver(&url, &secret, event);
        match self.api {
            HookApi::Subscriptions => ResponseTemplate::new(202).set_body_json(json!({"eventId": announced})),
            HookApi::HttpServers => {
                ResponseTemplate::new(201).set_body_json(json!({"id": "1234", "url": url, "status": "enqueued"}))
            }
        }
    }

    /// A device's status changed: every live webhook gets the event.
    fn device_status(&self, request: &Request) -> ResponseTemplate {
        let device = request.url.path().trim_start_matches("/_mock/devices/").trim_end_matches("/status").to_owned();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let status = body["status"].as_str().unwrap_or("offline").to_owned();
        let event = self.event(&device, Some(&status));
        for hook in self.state.lock().unwrap().iter().filter(|h| !h.deleted) {
            deliver(&hook.url, &hook.secret, event.clone());
        }
        record(json!({"device_id": device, "status": status}))
    }
}

#[derive(Debug, Clone)]
struct HookResponder {
    hooks: Hooks,
    route: HookRoute,
}

impl Respond for HookResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let last = request.url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default().to_owned();
        match (self.route, request.method.as_str()) {
            (HookRoute::Collection, "POST") => self.hooks.create(&body),
            (HookRoute::Collection, _) => self.hooks.list(),
            (HookRoute::Item, _) => self.hooks.delete(&last),
            (HookRoute::Test, _) => {
                let segments: Vec<&str> = request.url.path_segments().map(Iterator::collect).unwrap_or_default();
                let id = (self.hooks.api == HookApi::Subscriptions).then(|| segments[segments.len() - 2]);
                self.hooks.test(id, &body)
            }
            (HookRoute::DeviceStatus, _) => self.hooks.device_status(request),
        }
    }
}

/// Mounts the webhook API of `hooks` at the example profile's paths, and the device-status
/// tooling the `mock-control` trigger calls.
async fn mount_hooks(server: &MockServer, hooks: &Hooks, auth: (&str, &str)) {
    use wiremock::matchers::path_regex;
    let (collection, item, test) = match hooks.api {
        HookApi::Subscriptions => (
            "/api/v3.0/eventSubscriptions",
            r"^/api/v3\.0/eventSubscriptions/[^/]+$",
            r"^/api/v3\.0/eventSubscriptions/[^/]+/test$",
        ),
        HookApi::HttpServers => (
            "/api/v1/networks/N_24329156/webhooks/httpServers",
            r"^/api/v1/networks/N_24329156/webhooks/httpServers/[^/]+$",
            r"^/api/v1/networks/N_24329156/webhooks/webhookTests$",
        ),
    };
    for verb in ["GET", "POST"] {
        mount(server, verb, collection, auth, hooks.route(HookRoute::Collection)).await;
    }
    Mock::given(method("DELETE"))
        .and(path_regex(item))
        .and(header(auth.0, auth.1))
        .respond_with(hooks.route(HookRoute::Item))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(test))
        .and(header(auth.0, auth.1))
        .respond_with(hooks.route(HookRoute::Test))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/_mock/devices/[^/]+/status$"))
        .respond_with(hooks.route(HookRoute::DeviceStatus))
        .mount(server)
        .await;
}

/// The profile's events as this replay's deliveries write them (the example profiles map only
/// what the public examples show).
fn with_replay_events(mut profile: Profile, api: HookApi) -> Profile {
    match api {
        HookApi::Subscriptions => {
            profile.vocabulary.event_type.insert("een.pingEvent.v1".into(), "ping".into());
        }
        HookApi::HttpServers => {
            profile.vocabulary.event_type.insert("Device status changed".into(), "health".into());
            profile.vocabulary.event_type.insert("Webhook test".into(), "ping".into());
            let status = r#"status = { pointer = "/alertData/status", vocabulary = "status" }"#;
            let fields: toml::Table = toml::from_str(status).unwrap();
            let status = fields["status"].clone().try_into().expect("a field rule");
            profile.events.fields.insert("status".into(), status);
        }
    }
    profile
}

/// The webhooks suite against a vendor serving `hooks` beside its inventory; the run registers
/// its own webhook through the API and makes devices change through the vendor's tooling.
async fn run_webhooks(server: &MockServer, profile: Profile, credential: &str, hooks: &Hooks) -> Report {
    let profile = with_replay_events(profile, hooks.api);
    let admin = server.uri();
    let edit = |config: &mut VendorConfig| {
        config.webhook.secret = harness::config::WebhookSecretSource::ManagementApi;
        config.capabilities.declared = vec!["webhook-management".into(), "ping".into()];
        config.budgets.event_wait_secs = 10;
        config.trigger = harness::config::TriggerConfig::MockControl {
            admin_url: admin,
            admin_token_env: None,
            admin_token: Some(Secret::new("replay-admin-token")),
        };
    };
    // No webhook secret, issued or chosen, reaches any file of the report.
    let secrets = || hooks.secrets();
    let (_, report) = run_configured(server, profile, credential, &["webhooks"], edit, &secrets).await;
    assert!(!hooks.secrets().is_empty(), "the run created webhooks");
    report
}

/// The webhooks suite against the example vendor whose webhook API has this shape, serving it
/// with `faults`.
async fn run_hook_api(api: HookApi, faults: HookFaults) -> Report {
    let hooks = Hooks::new(api, faults);
    match api {
        HookApi::Subscriptions => {
            let server = eagle_eye(een_cameras()).await;
            mount_hooks(&server, &hooks, ("authorization", "Bearer een-access-token")).await;
            run_webhooks(&server, example(EAGLE_EYE), EEN_TOKEN, &hooks).await
        }
        HookApi::HttpServers => {
            let server = meraki(meraki_devices()).await;
            mount_hooks(&server, &hooks, ("x-cisco-meraki-api-key", MERAKI_KEY)).await;
            run_webhooks(&server, example(MERAKI), MERAKI_KEY, &hooks).await
        }
    }
}

const WEBHOOK_CHECKS: &[&str] = &[
    "webhooks.create-list",
    "webhooks.delete",
    "webhooks.delete-twice",
    "webhooks.target-validation",
    "webhooks.ping",
];

fn all_pass(report: &Report) {
    let expected: Vec<(&str, Expect)> = WEBHOOK_CHECKS.iter().map(|id| (*id, Expect::Pass)).collect();
    assert_checks(report, &expected);
}

#[tokio::test]
async fn a_subscription_style_webhook_api_passes_the_webhooks_suite() {
    let server = eagle_eye(een_cameras()).await;
    let hooks = Hooks::new(HookApi::Subscriptions, HookFaults::default());
    mount_hooks(&server, &hooks, ("authorization", "Bearer een-access-token")).await;
    let report = run_webhooks(&server, example(EAGLE_EYE), EEN_TOKEN, &hooks).await;
    all_pass(&report);
    // The create sent the profile's template, never the contract's names or an `inactive` status.
    let creates: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/api/v3.0/eventSubscriptions")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(creates.len() >= 5, "{creates:?}");
    for body in &creates {
        assert_eq!(body["enabled"], true, "{body}");
        assert!(body.get("target_url").is_none() && body.get("status").is_none(), "{body}");
    }
}

#[tokio::test]
async fn a_meraki_http_server_api_with_an_integrator_chosen_secret_passes_the_webhooks_suite() {
    let server = meraki(meraki_devices()).await;
    let hooks = Hooks::new(HookApi::HttpServers, HookFaults::default());
    mount_hooks(&server, &hooks, ("x-cisco-meraki-api-key", MERAKI_KEY)).await;
    let report = run_webhooks(&server, example(MERAKI), MERAKI_KEY, &hooks).await;
    all_pass(&report);
    // One strong secret per webhook, chosen by the harness.
    let secrets = hooks.secrets();
    assert!(secrets.len() >= 5 && secrets.iter().all(|s| s.len() >= 40), "{} secrets", secrets.len());
    let distinct: std::collections::BTreeSet<&String> = secrets.iter().collect();
    assert_eq!(distinct.len(), secrets.len(), "one secret per webhook");
    assert!(row(&report, "webhooks.create-list").message.contains("the secret is the integrator's"));
}

#[tokio::test]
async fn webhook_apis_that_accept_the_metadata_target_fail_target_validation_quoting_whm_3() {
    for api in [HookApi::Subscriptions, HookApi::HttpServers] {
        let faults = HookFaults { accept_metadata: true, ..HookFaults::default() };
        let report = run_hook_api(api, faults).await;
        use Expect::*;
        assert_checks(
            &report,
            &[("webhooks.target-validation", Fail), ("webhooks.create-list", Pass), ("webhooks.delete-twice", Pass)],
        );
        assert!(row(&report, "webhooks.target-validation").message.contains("WHM-3"), "{api:?}");
    }
}

#[tokio::test]
async fn webhook_apis_that_list_the_secret_fail_create_list() {
    for api in [HookApi::Subscriptions, HookApi::HttpServers] {
        let faults = HookFaults { list_secret: true, ..HookFaults::default() };
        let report = run_hook_api(api, faults).await;
        use Expect::*;
        assert_checks(&report, &[("webhooks.create-list", Fail), ("webhooks.target-validation", Pass)]);
        let message = &row(&report, "webhooks.create-list").message;
        assert!(message.contains("secret") && message.contains("WHM-2"), "{api:?}: {message}");
    }
}

/// Verkada's test delivery for the webhook set up in its console (no management API): it knows
/// the URL and secret the operator entered there.
struct VerkadaTest {
    url: String,
    secret: &'static str,
    format: SignatureFormat,
}

impl Respond for VerkadaTest {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let body = json!({"org_id": VERKADA_ORG, "webhook_type": "notification", "created_at": now,
            "webhook_id": VERKADA_CONSOLE_WEBHOOK, "data": {"camera_id": null, "notification_type": "test", "created": now}});
        deliver_as(&self.format, &self.url, self.secret, body);
        ResponseTemplate::new(200).set_body_json(json!({"status": "sent"}))
    }
}

const VERKADA_CONSOLE_WEBHOOK: &str = "2fd2826d-4645-47ac-b0e6-a4b2ae634480";

#[tokio::test]
async fn a_webhook_registered_outside_the_run_is_pinged_by_its_configured_id_and_never_created() {
    let server = verkada().await;
    // The operator entered the receiver's URL in the vendor's console: the receiver listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let secret = "whsec_verkada_console_0123456789abcdefABCDEF";
    let mut profile = example(VERKADA);
    profile.vocabulary.event_type.insert("test".into(), "ping".into());
    let format = profile.signature_format(contract::Scheme::Body);
    let test = VerkadaTest { url: format!("http://127.0.0.1:{port}/webhook"), secret, format };
    let route = format!("/core/v1/webhooks/{VERKADA_CONSOLE_WEBHOOK}/test");
    mount(&server, "POST", &route, ("x-verkada-auth", VERKADA_TOKEN), test).await;
    let edit = |config: &mut VendorConfig| {
        config.webhook.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config.webhook.webhook_id = Some(VERKADA_CONSOLE_WEBHOOK.into());
        config.webhook.secret = harness::config::WebhookSecretSource::Inline { value: Secret::new(secret) };
        config.capabilities.declared = vec!["ping".into()];
        config.budgets.event_wait_secs = 10;
    };
    let secrets = || vec![secret.to_owned()];
    let (_, report) = run_configured(&server, profile, VERKADA_TOKEN, &["webhooks"], edit, &secrets).await;
    let ping = row(&report, "webhooks.ping");
    assert_eq!(ping.status, Status::Pass, "{}: {:?}", ping.message, ping.evidence.notes);
    assert!(ping.message.contains(VERKADA_CONSOLE_WEBHOOK), "{}", ping.message);
    for id in ["webhooks.create-list", "webhooks.delete", "webhooks.delete-twice", "webhooks.target-validation"] {
        let row = row(&report, id);
        assert!(row.status == Status::Skip && !row.applicable, "{id}: {:?} {}", row.status, row.message);
    }
    // Nothing was created or deleted; the secret is nowhere in the report.
    let requests = server.received_requests().await.unwrap();
    // (Discovery may read the collection: a GET is no create.)
    let changed: Vec<String> = requests
        .iter()
        .filter(|r| {
            (r.method.as_str() == "POST" && r.url.path().ends_with("/webhooks")) || r.method.as_str() == "DELETE"
        })
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

#[tokio::test]
async fn catalogues_in_other_shapes_read_in_the_contracts_words() {
    let server = MockServer::builder().start().await;
    // Subscription-style `results[] {type, dataSchema}` (the Eagle Eye example profile).
    let een = client(&server, example(EAGLE_EYE), EEN_TOKEN);
    assert_eq!(een.endpoints().event_types, "/api/v3.0/eventTypes");
    let schema = json!({"type": "object", "required": ["newStatus"]});
    let doc = json!({"results": [{"type": "een.deviceCloudStatusUpdateEvent.v1", "description": "status", "dataSchema": schema}],
        "nextPageToken": ""});
    assert_eq!(
        een.canonical_catalogue(doc),
        json!({"event_types": [{"event_type": "health", "description": "status", "data_schema": schema}]})
    );
    // Meraki-style alert types: a root array of `{alertType, displayName}`.
    let meraki = client(&server, example(MERAKI), MERAKI_KEY);
    let doc = json!([{"alertType": "Device went down", "displayName": "A device went down", "example": {}}]);
    assert_eq!(
        meraki.canonical_catalogue(doc),
        json!({"event_types": [{"event_type": "Device went down", "description": "A device went down"}]})
    );
}
