//! Shared test fixtures: an in-process mock vendor on 127.0.0.1:0, a client that mints tokens,
//! and a webhook receiver whose answer can be switched mid-test.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use contract::{Secret, TokenMinter};
use mock_vendor::{MockConfig, RunningMock};
use serde_json::Value;

pub mod shaped;

pub struct Mock {
    pub mock: RunningMock,
    pub http: reqwest::Client,
    pub minters: Vec<TokenMinter>,
    _dir: tempfile::TempDir,
}

pub fn test_config() -> MockConfig {
    MockConfig { key_bits: 1024, ..MockConfig::fast() }
}

impl Mock {
    pub async fn start(config: MockConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mock = mock_vendor::start(config, listener, dir.path()).await.unwrap();
        let minters = mock
            .credentials
            .accounts
            .iter()
            .map(|a| {
                let pem = Secret::new(std::fs::read_to_string(&a.private_key_path).unwrap());
                TokenMinter::from_pem(&pem, Some(a.kid.clone())).unwrap()
            })
            .collect();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { mock, http, minters, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.mock.base_url)
    }

    pub fn token(&self, account: usize) -> String {
        self.minters[account].mint(contract::unix_now()).expose().to_owned()
    }

    /// GET as account `account`: status, headers, JSON body (Null when not JSON).
    pub async fn get(&self, account: usize, path: &str) -> (u16, HeaderMap, Value) {
        self.send(self.http.get(self.url(path)).bearer_auth(self.token(account))).await
    }

    pub async fn get_with_token(&self, token: &str, path: &str) -> (u16, HeaderMap, Value) {
        self.send(self.http.get(self.url(path)).bearer_auth(token)).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("X-Admin-Token", self.mock.credentials.admin_token.expose());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (status, _, body) = self.send(req).await;
        (status, body)
    }

    pub async fn fault(&self, name: &str, on: bool) {
        let method = if on { reqwest::Method::POST } else { reqwest::Method::DELETE };
        let (status, _) = self.admin(method, &format!("/_mock/faults/{name}"), None).await;
        assert_eq!(status, 200, "toggling {name}");
    }

    /// Every site of account `account`, then every device of each (one big page each).
    pub async fn sites(&self, account: usize) -> Vec<Value> {
        let (_, _, body) = self.get(account, "/api/v1/account/sites?per_page=500").await;
        body["sites"].as_array().unwrap().clone()
    }

    pub async fn devices(&self, account: usize, site_id: &str) -> Vec<Value> {
        let (_, _, body) = self.get(account, &format!("/api/v1/sites/{site_id}/inventory?per_page=500")).await;
        body["devices"].as_array().unwrap().clone()
    }

    /// The first device of the account's first site whose type is `kind`.
    pub async fn device_of_kind(&self, account: usize, kind: &str) -> Value {
        for site in self.sites(account).await {
            for d in self.devices(account, site["site_id"].as_str().unwrap()).await {
                if d["type"] == kind {
                    return d;
                }
            }
        }
        panic!("no {kind} in account {account}");
    }

    pub async fn create_webhook(&self, account: usize, target: &str) -> (String, Secret) {
        let body = serde_json::json!({"name": "test", "target_url": target, "status": "active"});
        let (status, _, created) =
            self.send(self.http.post(self.url("/api/v1/webhooks")).bearer_auth(self.token(account)).json(&body)).await;
        assert_eq!(status, 201, "{created}");
        (created["webhook_id"].as_str().unwrap().to_owned(), Secret::new(created["secret"].as_str().unwrap()))
    }

    pub async fn set_status(&self, device_id: &str, status: &str) -> Value {
        let (code, body) = self
            .admin(
                reqwest::Method::POST,
                &format!("/_mock/devices/{device_id}/status"),
                Some(serde_json::json!({"status": status})),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        body
    }

    pub async fn deliveries(&self) -> Vec<Value> {
        let (_, body) = self.admin(reqwest::Method::GET, "/_mock/deliveries", None).await;
        body["deliveries"].as_array().unwrap().clone()
    }
}

/// How the test receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// 429 with this Retry-After (seconds).
    TooMany(u64),
    /// 302 to this location.
    Redirect(String),
    /// Never answers within the mock's attempt timeout.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub answer: Arc<Mutex<Answer>>,
    pub received: Arc<Mutex<Vec<Received>>>,
    notify: Arc<tokio::sync::Notify>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver = Self {
            url,
            answer: Arc::new(Mutex::new(Answer::Status(200))),
            received: Arc::new(Mutex::new(Vec::new())),
            notify: Arc::new(tokio::sync::Notify::new()),
        };
        let r = receiver.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let r = r.clone();
            async move {
                r.received.lock().unwrap().push(Received {
                    at: Instant::now(),
                    path: uri.path().to_owned(),
                    headers,
                    body,
                });
                r.notify.notify_waiters();
                let answer = r.answer.lock().unwrap().clone();
                match answer {
                    Answer::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
                    Answer::TooMany(secs) => {
                        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", secs.to_string())]).into_response()
                    }
                    Answer::Redirect(to) => (StatusCode::FOUND, [("location", to)]).into_response(),
                    Answer::Hang => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        StatusCode::OK.into_response()
                    }
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived, or panics after `deadline`.
    pub async fn wait_for(&self, n: usize, deadline: Duration) -> Vec<Received> {
        let until = Instant::now() + deadline;
        loop {
            let notified = self.notify.notified();
            if self.count() >= n {
                return self.all();
            }
            let left = until.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "expected {n} deliveries within {deadline:?}, got {}", self.count());
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

/// Polls `check` until it returns `Some`, or panics after `deadline`.
pub async fn eventually<T>(deadline: Duration, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Receiver {
    /// Forgets what arrived and answers 200 again.
    pub fn clear(&self) {
        self.received.lock().unwrap().clear();
        self.set(Answer::Status(200));
    }

    /// The JSON bodies that arrived.
    pub fn events(&self) -> Vec<Value> {
        self.all().iter().map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null)).collect()
    }
}
