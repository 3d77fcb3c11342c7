//! A canonical fake vendor on wiremock (an account, 2 sites, a few devices over two pages; a
//! second account with one site of its own; bad tokens refused with 401) and the configuration
//! that points the harness at it.

#![allow(dead_code)]

pub mod process;

use std::path::PathBuf;
use std::sync::OnceLock;

use contract::token::{KeyPair, generate_keypair};
use harness::config::{AuthConfig, VendorConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Match, Mock, MockServer, ResponseTemplate};

pub const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
pub const SITE_A: &str = "5e6693c0-091d-47a2-b90a-6c15531b3c50";
pub const SITE_B: &str = "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
/// The second account's only site (tenancy, ACC-2).
pub const SECOND_ACCOUNT: &str = "b2c3d4e5-6789-40ab-8def-234567890abc";
pub const SITE_C: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

/// One RSA key pair per test binary: generating one is slow-ish.
pub fn keypair() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| generate_keypair(2048).expect("a key pair"))
}

/// The second account's key pair (small: only the fake vendor verifies with it).
pub fn second_keypair() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| generate_keypair(1024).expect("a key pair"))
}

/// The bearer token of a request, if it has one.
fn bearer(request: &wiremock::Request) -> Option<&str> {
    let value = request.headers.get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

/// Requests whose token the contract's verifier refuses (missing, malformed, expired, another
/// key, `alg: none`, ...): the fake vendor answers them 401, as CONTRACT.md §6 asks.
struct Refused(contract::TokenVerifier);

impl Match for Refused {
    fn matches(&self, request: &wiremock::Request) -> bool {
        bearer(request).is_none_or(|token| self.0.verify(token, contract::unix_now()).is_err())
    }
}

/// Requests whose token names `kid`: which account's data a request gets.
struct Kid(&'static str);

impl Match for Kid {
    fn matches(&self, request: &wiremock::Request) -> bool {
        bearer(request)
            .and_then(|t| contract::token::decode_unverified(t).ok())
            .is_some_and(|t| t.header.get("kid").and_then(Value::as_str) == Some(self.0))
    }
}

fn verifier() -> contract::TokenVerifier {
    let key = |kid: &str, owner: &str, pair: &KeyPair| {
        contract::token::VerifierKey::from_public_pem(kid, owner, &pair.public_pem).expect("a public key")
    };
    let keys = vec![key("key-1", ACCOUNT, keypair()), key("key-2", SECOND_ACCOUNT, second_keypair())];
    contract::TokenVerifier::new(contract::TokenPolicy::default(), keys)
}

pub fn device(id: &str, site: &str, ty: &str) -> Value {
    json!({"device_id": id, "name": format!("{ty} {}", &id[..4]), "type": ty, "site_id": site, "status": "online",
           "account_id": ACCOUNT, "mac_address": "00:0f:e5:14:b2:1e", "ip": "10.0.4.17",
           "last_seen": "2026-02-04T14:31:58.120Z", "model": "X-100", "firmware_version": "4.2.1"})
}

/// The fleet the fake vendor serves; tests break it before serving.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub account: Value,
    pub sites: Vec<Value>,
    /// Site A's devices (served 2 per page) and site B's.
    pub site_a: Vec<Value>,
    pub site_b: Vec<Value>,
}

pub fn clean_fleet() -> Fleet {
    let mut door = device("11111111-2222-4333-8444-555555555555", SITE_A, "door");
    door["parent_id"] = json!("22222222-2222-4333-8444-555555555555");
    Fleet {
        account: json!({"account_id": ACCOUNT, "name": "Acme Security"}),
        sites: vec![
            json!({"site_id": SITE_A, "name": "Chicago HQ", "address": "233 S Wacker Dr, Chicago, IL 60606", "timezone": "America/Chicago"}),
            json!({"site_id": SITE_B, "name": "Depot", "coordinates": {"latitude": 41.9, "longitude": -87.6}, "timezone": "America/Chicago"}),
        ],
        site_a: vec![
            door,
            device("22222222-2222-4333-8444-555555555555", SITE_A, "access_panel"),
            device("33333333-2222-4333-8444-555555555555", SITE_A, "camera"),
        ],
        site_b: vec![device("44444444-2222-4333-8444-555555555555", SITE_B, "camera")],
    }
}

pub const PER_PAGE: u64 = 2;

fn page(key: &str, items: &[Value], page: u64) -> Value {
    let total = items.len() as u64;
    let start = ((page - 1) * PER_PAGE) as usize;
    let slice: Vec<Value> = items.iter().skip(start).take(PER_PAGE as usize).cloned().collect();
    json!({key: slice, "pagination": contract::Pagination::of(page, PER_PAGE, total)})
}

/// Serves `fleet` in the canonical shape; every endpoint requires a bearer token.
pub async fn serve(fleet: &Fleet) -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(Refused(verifier()))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer error=\"invalid_token\"")
                .set_body_json(json!({"error": "unauthorized"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .and(Kid("key-1"))
        .respond_with(ok(fleet.account.clone()))
        .mount(&server)
        .await;
    for p in 1..=2 {
        Mock::given(method("GET"))
            .and(path("/api/v1/account/sites"))
            .and(query_param("page", p.to_string()))
            .and(Kid("key-1"))
            .respond_with(ok(page("sites", &fleet.sites, p)))
            .mount(&server)
            .await;
        for (site, devices) in [(SITE_A, &fleet.site_a), (SITE_B, &fleet.site_b)] {
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/sites/{site}/inventory")))
                .and(query_param("page", p.to_string()))
                .and(Kid("key-1"))
                .respond_with(ok(page("devices", devices, p)))
                .mount(&server)
                .await;
        }
    }
    // The second account sees its own site only; the first account's token gets the default 404
    // for it.
    let site_c = json!({"site_id": SITE_C, "name": "Elsewhere", "timezone": "UTC"});
    Mock::given(method("GET"))
        .and(path("/api/v1/account/sites"))
        .and(Kid("key-2"))
        .respond_with(ok(page("sites", &[site_c], 1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/sites/{SITE_C}/inventory")))
        .and(Kid("key-2"))
        .respond_with(ok(page("devices", &[device("55555555-2222-4333-8444-555555555555", SITE_C, "camera")], 1)))
        .mount(&server)
        .await;
    server
}

/// A config pointing at `base_url`, its key written into `dir`.
pub fn config_for(base_url: &str, dir: &std::path::Path) -> VendorConfig {
    let key: PathBuf = dir.join("vendor.pem");
    std::fs::write(&key, keypair().private_pem.expose()).unwrap();
    let mut config = VendorConfig::new("Fake vendor", base_url, AuthConfig::from_key_path(key, Some("key-1".into())));
    let second: PathBuf = dir.join("other-account.pem");
    std::fs::write(&second, second_keypair().private_pem.expose()).unwrap();
    config.second_account = Some(AuthConfig::from_key_path(second, Some("key-2".into())));
    config.profile.pagination.set_size(PER_PAGE);
    config.budgets.request_timeout_secs = 2;
    config.budgets.connect_timeout_secs = 2;
    // Checks that need the receiver (auth.jku-x5u, ...) start it: on a free port, since tests
    // run in parallel.
    config.webhook.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    // What checks watch for and should not see (a fetched `jku`, ...) needs no long wait here.
    config.budgets.quiet_window_secs = 0.5;
    config
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && !path.is_symlink() {
            out.extend(files_under(&path));
        } else if path.is_file() {
            out.push(path);
        }
    }
    out
}

/// Options of a quiet, non-interactive run writing to `out`, of only `checks` (every check when empty).
pub fn quiet_options(out: &std::path::Path, checks: &[&str]) -> harness::runner::RunOptions {
    harness::runner::RunOptions {
        out_dir: out.to_owned(),
        checks: checks.iter().map(|c| c.to_string()).collect(),
        non_interactive: true,
        progress: harness::progress::ProgressMode::Quiet,
        ..harness::runner::RunOptions::default()
    }
}

/// The account answers one 429 with `Retry-After: 0`, then the account (the client waits it out).
pub async fn mount_one_429_then_account(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"account_id": ACCOUNT, "name": "n"})))
        .mount(server)
        .await;
}

/// A run of every suite against the embedded mock vendor with `faults` (small keys, quiet), and
/// the folder its reports went to.
pub async fn demo_run(faults: Vec<mock_vendor::Fault>) -> (harness::runner::RunSummary, tempfile::TempDir) {
    demo_run_shaped(mock_vendor::shape::Shape::Canonical, faults).await
}

/// The clean demo mock started in-process (small keys, canonical shape), the folder holding its
/// state, and the harness configuration that points at it: for tests that run the harness
/// themselves (with reporters of their own).
pub async fn demo_mock() -> (mock_vendor::RunningMock, tempfile::TempDir, VendorConfig) {
    let state = tempfile::tempdir().unwrap();
    let mut mock = harness::cli::demo::demo_mock_config(Vec::new());
    mock.key_bits = 1024;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = mock_vendor::start(mock, listener, state.path()).await.unwrap();
    let config = harness::cli::demo::config_for(&running, mock_vendor::shape::Shape::Canonical).unwrap();
    (running, state, config)
}

/// A demo run against the mock serving `shape`, read through the built-in profile of that name.
#[allow(dead_code)]
pub async fn demo_run_shaped(
    shape: mock_vendor::shape::Shape,
    faults: Vec<mock_vendor::Fault>,
) -> (harness::runner::RunSummary, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut config = harness::cli::demo::demo_mock_config(faults);
    config.shape = shape;
    config.key_bits = 1024;
    let options = quiet_options(out.path(), &[]);
    (harness::cli::demo::run_demo(config, options).await.unwrap(), out)
}

/// A demo run against the clean mock in `shape`, set up by `mock`, with the harness's configuration
/// patched by `patch`: its TOML is merged over the demo's `vendor.toml` and read back as the
/// harness reads any `vendor.toml`, so a key the harness does not know fails as it would for a
/// user. `Err` when the patched configuration is refused or the run could not start.
#[allow(dead_code)]
pub async fn demo_run_varied(
    shape: mock_vendor::shape::Shape,
    mock: impl FnOnce(&mut mock_vendor::MockConfig),
    patch: impl FnOnce(&mock_vendor::RunningMock) -> toml::Table,
) -> (anyhow::Result<harness::runner::RunSummary>, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut config = harness::cli::demo::demo_mock_config(Vec::new());
    config.shape = shape;
    config.key_bits = 1024;
    mock(&mut config);
    let options = quiet_options(out.path(), &[]);
    let state_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = match mock_vendor::start(config, listener, state_dir.path()).await {
        Ok(m) => m,
        Err(e) => return (Err(e.context("the mock did not start")), out),
    };
    let result = async {
        let base = harness::cli::demo::config_for(&running, shape)?;
        let mut table = toml::Table::try_from(&base).map_err(|e| anyhow::anyhow!("the demo config as TOML: {e}"))?;
        merge_toml(&mut table, patch(&running));
        let config: VendorConfig =
            table.try_into().map_err(|e| anyhow::anyhow!("the harness refuses the patched vendor.toml: {e}"))?;
        config.validate()?;
        harness::runner::run(config, options).await
    }
    .await;
    running.stop().await;
    (result, out)
}

/// Merges `patch` into `base`: tables key by key, anything else replaced.
pub fn merge_toml(base: &mut toml::Table, patch: toml::Table) {
    for (key, value) in patch {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(into)), toml::Value::Table(from)) => merge_toml(into, from),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
