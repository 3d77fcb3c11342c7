//! The `serve` flags of the legitimate variations (`mock_vendor::config::Variations`), each proven
//! on the built binary in every shape: the flag changes what the contract lets a vendor choose,
//! and nothing else.

mod common;

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use contract::{Scheme, Secret, SignatureFormat, TokenMinter};
use mock_vendor::Credentials;
use mock_vendor::shape::{Shape, page_token};
use serde_json::{Value, json};

use common::Receiver;

/// `mock-vendor serve` as a child process, killed when dropped.
struct Served {
    child: Child,
    shape: Shape,
    creds: Credentials,
    http: reqwest::Client,
    minter: TokenMinter,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `shape` with `flags` and waits for its `READY` line.
fn serve(shape: Shape, flags: &[&str]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-vendor"))
        .args(["serve", "--listen", "127.0.0.1:0", "--shape", shape.name(), "--allow-private-targets"])
        .arg("--state-dir")
        .arg(dir.path())
        .args(flags)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("READY "), "{shape} {flags:?}: {line:?}");
    let creds: Credentials =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("credentials.json")).unwrap()).unwrap();
    let account = &creds.accounts[0];
    let pem = Secret::new(std::fs::read_to_string(&account.private_key_path).unwrap());
    let minter = TokenMinter::from_pem(&pem, Some(account.kid.clone())).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Served { child, shape, creds, http, minter, _dir: dir }
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.creds.base_url)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = req.send().await.unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let token = self.minter.mint(contract::unix_now());
        self.send(self.http.get(self.url(path)).bearer_auth(token.expose())).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let token = self.minter.mint(contract::unix_now());
        let (status, _, body) = self.send(self.http.post(self.url(path)).bearer_auth(token.expose()).json(&body)).await;
        (status, body)
    }

    async fn admin(&self, path: &str, body: Value) -> (u16, Value) {
        let req = self.http.post(self.url(path)).header("x-admin-token", self.creds.admin_token.expose()).json(&body);
        let (status, _, body) = self.send(req).await;
        (status, body)
    }

    fn account_path(&self) -> &'static str {
        match self.shape {
            Shape::Canonical => "/api/v1/account",
            Shape::Cursor => "/api/v3/users/self",
            Shape::Link => "/api/v1/organization",
        }
    }

    /// The sites request with a page size and, when given, the page to ask for.
    fn sites_path(&self, size: u64, page: Option<u64>) -> String {
        match (self.shape, page) {
            (Shape::Canonical, page) => format!("/api/v1/account/sites?per_page={size}&page={}", page.unwrap_or(1)),
            (Shape::Cursor, None) => format!("/api/v3/locations?pageSize={size}"),
            (Shape::Cursor, Some(p)) => format!("/api/v3/locations?pageSize={size}&pageToken={}", page_token(p)),
            (Shape::Link, None) => format!("/api/v1/networks?perPage={size}"),
            (Shape::Link, Some(p)) => format!("/api/v1/networks?perPage={size}&startingAfter={}", page_token(p)),
        }
    }

    /// The records of one sites page, whatever the shape's envelope.
    fn records(&self, body: &Value) -> Vec<Value> {
        let list = match self.shape {
            Shape::Canonical => &body["sites"],
            Shape::Cursor => &body["results"],
            Shape::Link => body,
        };
        list.as_array().cloned().unwrap_or_default()
    }

    /// A device of the first account that publishes events (a camera), by its id.
    async fn camera(&self) -> String {
        let (_, _, sites) = self.get(&self.sites_path(500, None)).await;
        let site = self.records(&sites)[0].clone();
        let site_id = site.get("site_id").or(site.get("id")).and_then(Value::as_str).unwrap().to_owned();
        let (path, list, id) = match self.shape {
            Shape::Canonical => (format!("/api/v1/sites/{site_id}/inventory?per_page=500"), "/devices", "device_id"),
            Shape::Cursor => (format!("/api/v3/cameras?locationId={site_id}&pageSize=500"), "/results", "id"),
            Shape::Link => (format!("/api/v1/networks/{site_id}/devices?perPage=500"), "", "serial"),
        };
        let (_, _, body) = self.get(&path).await;
        let devices = body.pointer(list).and_then(Value::as_array).unwrap().clone();
        let camera = devices
            .iter()
            .find(|d| d.get("type").or(d.get("productType")).is_none_or(|t| t == "camera"))
            .expect("a camera");
        camera[id].as_str().unwrap().to_owned()
    }

    /// The data of a delivered event, whatever the shape's envelope.
    fn data_of(&self, event: &Value) -> Value {
        match self.shape {
            Shape::Canonical => event["data"].clone(),
            Shape::Cursor => event["data"][0]["attributes"].clone(),
            Shape::Link => event["alertData"].clone(),
        }
    }

    fn start_up_webhook(&self) -> (String, Secret) {
        let account = &self.creds.accounts[0];
        (account.webhook_id.clone().expect("a webhook id"), account.webhook_secret.clone().expect("a secret"))
    }
}

fn each_shape() -> impl Iterator<Item = Shape> {
    Shape::ALL.iter().copied()
}

#[tokio::test]
async fn family_data_own_serves_and_declares_its_own_attributes() {
    for shape in each_shape() {
        let rx = Receiver::start().await;
        let m = serve(shape, &["--family-data", "own", "--register-webhook", &rx.url]);
        let (status, _, catalogue) = m.get("/api/v1/event-types").await;
        assert_eq!(status, 200, "{shape}");
        let schema_of = |family: &str| {
            let want = shape.event_type(contract::EventFamily::parse(family).unwrap());
            let entries = catalogue["event_types"].as_array().unwrap();
            entries.iter().find(|e| e["event_type"] == want).unwrap()["data_schema"].clone()
        };
        assert_eq!(schema_of("alarm")["properties"]["severity"]["enum"], json!(["low", "medium", "high"]), "{shape}");
        assert!(schema_of("access")["required"].as_array().unwrap().iter().all(|r| r != "action"), "{shape}");
        let device = m.camera().await;
        for family in ["alarm", "access", "video"] {
            // Whatever data is asked for, the vendor fills in its own.
            let (status, _) = m
                .admin(&format!("/_mock/devices/{device}/events"), json!({"event_type": family, "data": {"x": 1}}))
                .await;
            assert_eq!(status, 200, "{shape} {family}");
        }
        let got = rx.wait_for(3, Duration::from_secs(10)).await;
        let data: Vec<Value> =
            got.iter().map(|r| m.data_of(&serde_json::from_slice(&r.body).unwrap())).collect::<Vec<_>>();
        assert!(data.iter().any(|d| d["severity"] == "high"), "{shape}: {data:?}");
        assert!(
            data.iter().any(|d| d["door_state"] == "forced_open" && d.get("action").is_none()),
            "{shape}: {data:?}"
        );
        assert!(data.iter().any(|d| d["issue"] == "signal_lost"), "{shape}: {data:?}");
        let schemas: Vec<Value> = ["alarm", "access", "video"].iter().map(|f| schema_of(f)).collect();
        for d in &data {
            assert!(schemas.iter().any(|s| fits(s, d)), "{shape}: {d} fits no declared schema");
        }
    }
}

/// A small check of `required` and `enum` properties: enough for the schemas the mock declares.
fn fits(schema: &Value, data: &Value) -> bool {
    let required = schema["required"].as_array().unwrap();
    let props = schema["properties"].as_object().unwrap();
    required.iter().all(|r| data.get(r.as_str().unwrap()).is_some())
        && data.as_object().unwrap().iter().all(|(k, v)| match props.get(k) {
            None => false,
            Some(p) => p.get("enum").is_none_or(|e| e.as_array().unwrap().contains(v)),
        })
}

#[tokio::test]
async fn rate_limit_account_limits_valid_bursts_and_none_limits_nothing() {
    for shape in each_shape() {
        let m = serve(shape, &["--rate-limit", "account"]);
        let mut bad = Vec::new();
        for _ in 0..120 {
            bad.push(m.send(m.http.get(m.url(m.account_path())).bearer_auth("garbage")).await.0);
        }
        assert!(bad.iter().all(|s| *s == 401), "{shape}: bad credentials are not limited per account");
        let mut limited = None;
        for _ in 0..150 {
            let (status, headers, _) = m.get(m.account_path()).await;
            if status == 429 {
                limited = headers.get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                break;
            }
            assert_eq!(status, 200, "{shape}");
        }
        assert_eq!(limited.as_deref(), Some("1"), "{shape}: a valid burst meets 429 with Retry-After");

        let m = serve(shape, &["--rate-limit", "none"]);
        for _ in 0..120 {
            assert_eq!(m.send(m.http.get(m.url(m.account_path())).bearer_auth("garbage")).await.0, 401, "{shape}");
        }
        for _ in 0..150 {
            assert_eq!(m.get(m.account_path()).await.0, 200, "{shape}");
        }
    }
}

#[tokio::test]
async fn past_end_404_answers_404_past_the_end_only() {
    for shape in each_shape() {
        let m = serve(shape, &["--past-end", "404"]);
        assert_eq!(m.get(&m.sites_path(1, Some(1))).await.0, 200, "{shape}");
        assert_eq!(m.get(&m.sites_path(1, Some(999))).await.0, 404, "{shape}");
        let m = serve(shape, &["--past-end", "empty"]);
        let (status, _, body) = m.get(&m.sites_path(1, Some(999))).await;
        assert_eq!((status, m.records(&body).len()), (200, 0), "{shape}");
    }
}

#[tokio::test]
async fn over_max_clamps_or_refuses_in_every_shape() {
    for shape in each_shape() {
        let m = serve(shape, &["--over-max", "400"]);
        assert_eq!(m.get(&m.sites_path(501, None)).await.0, 400, "{shape}");
        assert_eq!(m.get(&m.sites_path(500, None)).await.0, 200, "{shape}");
        let m = serve(shape, &["--over-max", "clamp"]);
        let (status, headers, body) = m.get(&m.sites_path(100_000, None)).await;
        assert_eq!(status, 200, "{shape}");
        match shape {
            Shape::Canonical => assert_eq!(body["pagination"]["per_page"], 500),
            Shape::Link => assert!(headers["link"].to_str().unwrap().contains("perPage=500"), "{headers:?}"),
            Shape::Cursor => assert!(!m.records(&body).is_empty()),
        }
    }
}

#[tokio::test]
async fn max_page_size_is_the_vendors_own() {
    for shape in each_shape() {
        let m = serve(shape, &["--max-page-size", "100", "--fleet", "synthetic:400"]);
        let site = m.records(&m.get(&m.sites_path(10, None)).await.2)[0].clone();
        let site_id = site.get("site_id").or(site.get("id")).and_then(Value::as_str).unwrap().to_owned();
        match shape {
            // The canonical shape refuses what is over its maximum.
            Shape::Canonical => {
                let path = |n: u64| format!("/api/v1/sites/{site_id}/inventory?per_page={n}");
                assert_eq!(m.get(&path(101)).await.0, 400);
                let (status, _, body) = m.get(&path(100)).await;
                assert_eq!((status, body["devices"].as_array().unwrap().len()), (200, 100));
            }
            Shape::Cursor => {
                let (status, _, body) = m.get(&format!("/api/v3/devices?locationId={site_id}&pageSize=500")).await;
                assert_eq!(status, 200);
                assert_eq!(body["results"].as_array().unwrap().len(), 100, "clamped silently to 100");
                assert_ne!(body["nextPageToken"], "");
            }
            Shape::Link => {
                let (status, headers, body) = m.get(&format!("/api/v1/networks/{site_id}/devices?perPage=500")).await;
                assert_eq!(status, 200);
                assert_eq!(body.as_array().unwrap().len(), 100);
                assert!(headers["link"].to_str().unwrap().contains("perPage=100"), "{headers:?}");
            }
        }
    }
}

#[tokio::test]
async fn signature_body_signs_the_body_alone_in_every_shape() {
    for shape in each_shape() {
        let rx = Receiver::start().await;
        let m = serve(shape, &["--signature", "body", "--register-webhook", &rx.url]);
        let (_, secret) = m.start_up_webhook();
        let device = m.camera().await;
        let (status, _) = m.admin(&format!("/_mock/devices/{device}/events"), json!({"event_type": "alarm"})).await;
        assert_eq!(status, 200, "{shape}");
        let got = rx.wait_for(1, Duration::from_secs(10)).await;
        let r = &got[0];
        let lookup = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
        let own = shape.signature_format(Scheme::Timestamped);
        let body_only = SignatureFormat { signed_content: "{body}".into(), ..own.clone() };
        body_only.verify(lookup, &r.body, &[&secret], contract::unix_now()).unwrap();
        if own.signed_content != "{body}" {
            assert!(own.verify(lookup, &r.body, &[&secret], contract::unix_now()).is_err(), "{shape}");
        }
    }
}

#[tokio::test]
async fn webhook_status_of_its_own_is_required_and_shown() {
    for shape in each_shape() {
        let rx = Receiver::start().await;
        let m = serve(shape, &["--webhook-status", "enabled"]);
        let create = |status: &str| json!({"name": "n", "target_url": rx.url, "status": status});
        assert_eq!(m.post("/api/v1/webhooks", create("active")).await.0, 400, "{shape}");
        let (status, created) = m.post("/api/v1/webhooks", create("enabled")).await;
        assert_eq!((status, &created["status"]), (201, &json!("enabled")), "{shape}: {created}");
        let (_, _, list) = m.get("/api/v1/webhooks").await;
        assert_eq!(list["webhooks"][0]["status"], "enabled", "{shape}");
        // An enabled webhook is delivered to.
        let id = created["webhook_id"].as_str().unwrap();
        assert_eq!(m.post(&format!("/api/v1/webhooks/{id}/ping"), json!({})).await.0, 202, "{shape}");
        rx.wait_for(1, Duration::from_secs(10)).await;
    }
}

#[tokio::test]
async fn no_webhook_api_answers_404_and_webhooks_come_from_the_console() {
    for shape in each_shape() {
        let rx = Receiver::start().await;
        let m = serve(shape, &["--no-webhook-api", "--register-webhook", &rx.url]);
        let (id, secret) = m.start_up_webhook();
        assert_eq!(m.get("/api/v1/webhooks").await.0, 404, "{shape}");
        let body = json!({"name": "n", "target_url": rx.url, "status": "active"});
        assert_eq!(m.post("/api/v1/webhooks", body).await.0, 404, "{shape}");
        assert_eq!(m.post(&format!("/api/v1/webhooks/{id}/ping"), json!({})).await.0, 404, "{shape}");
        let (status, registered) = m.admin("/_mock/webhooks", json!({"target_url": format!("{}/2", rx.url)})).await;
        assert_eq!(status, 201, "{shape}: {registered}");
        assert!(registered["secret"].as_str().unwrap().starts_with("whsec_"));
        // Both console webhooks are delivered to, signed with their own secrets.
        let device = m.camera().await;
        m.admin(&format!("/_mock/devices/{device}/events"), json!({"event_type": "video"})).await;
        let got = rx.wait_for(2, Duration::from_secs(10)).await;
        let first = got.iter().find(|r| r.path == "/hook").unwrap();
        let lookup = |n: &str| first.headers.get(n).and_then(|v| v.to_str().ok());
        shape.signature_format(Scheme::Body).verify(lookup, &first.body, &[&secret], contract::unix_now()).unwrap();
        // A reset brings back the start-up webhook, not the one registered later.
        let (status, _) = m.admin("/_mock/reset", json!({})).await;
        assert_eq!(status, 204, "{shape}");
        rx.received.lock().unwrap().clear();
        m.admin(&format!("/_mock/devices/{device}/events"), json!({"event_type": "video"})).await;
        let got = rx.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got[0].path, "/hook", "{shape}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(rx.count(), 1, "{shape}: the later console webhook is gone after a reset");
    }
}

#[tokio::test]
async fn no_event_catalogue_answers_404() {
    for shape in each_shape() {
        let m = serve(shape, &["--no-event-catalogue"]);
        assert_eq!(m.get("/api/v1/event-types").await.0, 404, "{shape}");
        assert_eq!(m.get(m.account_path()).await.0, 200, "{shape}");
    }
}

#[test]
fn bad_variation_values_are_refused_with_the_valid_ones() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-vendor"))
        .args(["serve", "--state-dir", "/nonexistent", "--rate-limit", "sometimes"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("failed-auth, account, none"), "{err}");
}
