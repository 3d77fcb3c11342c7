//! Every fault produces the observable symptom it claims, and the clean mock does not.
//!
//! One mock serves every probe: between faults it is reset through the control API, the probe
//! runs clean (no symptom), the fault is switched on, and the probe runs again (symptom).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Answer, Mock, Receiver, eventually};
use contract::token::{b64_json, sign_hs256};
use contract::{Scheme, Secret, SignatureError, SignatureFormat};
use mock_vendor::Fault;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);
/// How long a probe watches for something that must not happen.
const QUIET: Duration = Duration::from_millis(300);

struct Probe {
    m: Mock,
    rx: Receiver,
    /// Which probe run this is.
    run: std::sync::atomic::AtomicUsize,
}

impl Probe {
    async fn busiest_site(&self, account: usize) -> (String, Vec<Value>) {
        let mut best = (String::new(), Vec::new());
        for s in self.m.sites(account).await {
            let id = s["site_id"].as_str().unwrap().to_owned();
            let devices = self.m.devices(account, &id).await;
            if devices.len() > best.1.len() {
                best = (id, devices);
            }
        }
        best
    }

    async fn status_with(&self, token: &str) -> u16 {
        self.m.get_with_token(token, "/api/v1/account").await.0
    }

    fn claims_token(&self, claims: Value) -> String {
        let minter = &self.m.minters[0];
        minter.mint_custom(&minter.header(), &claims).expose().to_owned()
    }

    async fn hook(&self) -> (String, Secret) {
        self.m.create_webhook(0, &self.target()).await
    }

    async fn camera(&self) -> String {
        self.m.device_of_kind(0, "camera").await["device_id"].as_str().unwrap().to_owned()
    }

    /// Flips a camera's status and returns the control API's answer.
    async fn flip(&self, device: &str) -> Value {
        let changed = self.m.set_status(device, "offline").await;
        // Already offline: no change, no event; flip the other way.
        if changed["event_ids"].as_array().is_some_and(|e| e.is_empty())
            && !self.m.mock.state.has(Fault::NoHealthEvents)
        {
            return self.m.set_status(device, "online").await;
        }
        changed
    }

    /// One delivered event after a status change.
    async fn one_event(&self) -> (Value, common::Received, Secret) {
        let (_, secret) = self.hook().await;
        let cam = self.camera().await;
        self.flip(&cam).await;
        let got = self.wait_mine(1).await;
        (serde_json::from_slice(&got[0].body).unwrap(), got[0].clone(), secret)
    }

    /// Deliveries of one event while the receiver answers `answer` `n` times, then 200.
    async fn retried(&self, answer: Answer, n: usize) -> Vec<common::Received> {
        self.hook().await;
        self.rx.set(answer);
        let cam = self.camera().await;
        self.flip(&cam).await;
        self.wait_mine(n).await;
        self.rx.set(Answer::Status(200));
        eventually(WAIT, "the delivery to end", async || {
            let d = self.m.deliveries().await;
            (d.first()?["state"] != "pending").then_some(())
        })
        .await;
        self.mine()
    }

    /// This probe's webhook target: each probe gets its own path, so a straggling attempt from
    /// before the reset is told apart.
    fn target(&self) -> String {
        format!("{}/p{}", self.rx.url, self.run.load(std::sync::atomic::Ordering::Relaxed))
    }

    async fn wait_mine(&self, n: usize) -> Vec<common::Received> {
        eventually(WAIT, "this probe's deliveries", async || {
            let mine = self.mine();
            (mine.len() >= n).then_some(mine)
        })
        .await
    }

    fn mine(&self) -> Vec<common::Received> {
        let prefix = self.target();
        let prefix = prefix.split_once("/hook").unwrap().1;
        self.rx.all().into_iter().filter(|r| r.path.starts_with(&format!("/hook{prefix}"))).collect()
    }

    async fn walk(&self, site: &str, per_page: u64) -> (Vec<String>, u64) {
        let mut ids = Vec::new();
        let mut total = 0;
        for page in 1..=50 {
            let (_, _, body) =
                self.m.get(0, &format!("/api/v1/sites/{site}/inventory?page={page}&per_page={per_page}")).await;
            total = body["pagination"]["total_count"].as_u64().unwrap_or(0);
            let items = body["devices"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            ids.extend(items.iter().map(|d| d["device_id"].as_str().unwrap_or_default().to_owned()));
        }
        (ids, total)
    }

    /// Whether `fault`'s symptom shows right now.
    async fn symptom(&self, fault: Fault) -> bool {
        let m = &self.m;
        let now = contract::unix_now();
        match fault {
            Fault::AccountMissingName => m.get(0, "/api/v1/account").await.2.get("name").is_none(),
            Fault::AccountNotJson => {
                let (status, headers, body) = m.get(0, "/api/v1/account").await;
                status == 200 && body.is_null() && headers["content-type"].to_str().unwrap().starts_with("text/html")
            }
            Fault::BadStatusValue => {
                self.busiest_site(0).await.1.iter().any(|d| d["status"] == "up" || d["status"] == "down")
            }
            Fault::BadLastSeen => self.busiest_site(0).await.1.iter().any(|d| d["last_seen"] == "yesterday"),
            Fault::CrossTenantRead => {
                let b_site = m.sites(1).await[0]["site_id"].as_str().unwrap().to_owned();
                m.get(0, &format!("/api/v1/sites/{b_site}/inventory")).await.0 == 200
            }
            Fault::SiteMissingDescriptor => {
                let s = &m.sites(0).await[0];
                s.get("address").is_none() && s.get("timezone").is_none() && s.get("coordinates").is_none()
            }
            Fault::SiteNoTimezone => m.sites(0).await[0].get("timezone").is_none(),
            Fault::DeviceMissingType => self.busiest_site(0).await.1.iter().any(|d| d.get("type").is_none()),
            Fault::DuplicateDeviceId => {
                let devices = self.busiest_site(0).await.1;
                devices.iter().map(|d| d["device_id"].to_string()).collect::<HashSet<_>>().len() < devices.len()
            }
            Fault::StaleInventory | Fault::PartialCoverageStale => {
                let kind = if fault == Fault::StaleInventory { "camera" } else { "sensor" };
                let d = m.device_of_kind(0, kind).await;
                let id = d["device_id"].as_str().unwrap();
                let target = if d["status"] == "online" { "offline" } else { "online" };
                m.set_status(id, target).await;
                let site = d["site_id"].as_str().unwrap();
                m.devices(0, site).await.iter().find(|x| x["device_id"] == id).unwrap()["status"] != target
            }
            Fault::BadMacFormat => self
                .busiest_site(0)
                .await
                .1
                .iter()
                .filter_map(|d| d["mac_address"].as_str())
                .any(|mac| !mac.contains(':')),
            Fault::DanglingParent => {
                let devices = self.busiest_site(0).await.1;
                let ids: HashSet<_> = devices.iter().map(|d| d["device_id"].clone()).collect();
                devices.iter().filter(|d| d.get("parent_id").is_some()).any(|d| !ids.contains(&d["parent_id"]))
            }
            Fault::DeviceWrongSite => {
                let (site, devices) = self.busiest_site(0).await;
                devices.iter().any(|d| d["site_id"] != site.as_str())
            }
            Fault::UnstableIds => {
                let (site, first) = self.busiest_site(0).await;
                m.devices(0, &site).await[0]["device_id"] != first[0]["device_id"]
            }
            Fault::NonUuidIds => self
                .busiest_site(0)
                .await
                .1
                .iter()
                .any(|d| uuid::Uuid::parse_str(d["device_id"].as_str().unwrap()).is_err()),
            Fault::PageDuplicateItem | Fault::PageSkipItem => {
                let (site, _) = self.busiest_site(0).await;
                let (ids, total) = self.walk(&site, 5).await;
                let unique: HashSet<_> = ids.iter().collect();
                if fault == Fault::PageDuplicateItem { unique.len() < ids.len() } else { (ids.len() as u64) < total }
            }
            Fault::WrongTotals => {
                let p = m.get(0, "/api/v1/account/sites?per_page=3").await.2["pagination"].clone();
                p["total_pages"].as_u64().unwrap() != p["total_count"].as_u64().unwrap().div_ceil(3)
            }
            Fault::BadPageServerError => m.get(0, "/api/v1/account/sites?page=0").await.0 == 500,
            Fault::PastEndRepeats => {
                !m.get(0, "/api/v1/account/sites?page=9").await.2["sites"].as_array().unwrap().is_empty()
            }
            Fault::NoPerPageMax => m.get(0, "/api/v1/account/sites?per_page=100000").await.0 == 200,
            // Canonical pages have no next link to loop: `tests/shapes.rs` probes it in the shapes.
            Fault::NextLoop => unreachable!("skipped: it does not apply to the canonical shape"),
            Fault::UnstableOrder => {
                let (site, first) = self.busiest_site(0).await;
                let mut differs = false;
                for _ in 0..5 {
                    differs |= m.devices(0, &site).await != first;
                }
                differs
            }
            Fault::NoHealthEvents => {
                self.hook().await;
                let cam = self.camera().await;
                self.flip(&cam).await["event_ids"].as_array().unwrap().is_empty()
            }
            Fault::EventMissingSiteId => self.one_event().await.0.get("site_id").is_none(),
            Fault::EventNonUtcTimestamp => self.one_event().await.0["timestamp"].as_str().unwrap().ends_with("+02:00"),
            Fault::MissingEventId => self.one_event().await.0.get("event_id").is_none(),
            Fault::NoExtraFamilies => {
                self.hook().await;
                let cam = self.camera().await;
                let (_, body) = m
                    .admin(
                        reqwest::Method::POST,
                        &format!("/_mock/devices/{cam}/events"),
                        Some(json!({"event_type": "alarm"})),
                    )
                    .await;
                body["event_ids"].as_array().unwrap().is_empty()
            }
            Fault::NoEventCatalog => m.get(0, "/api/v1/event-types").await.0 == 404,
            Fault::EventUnknownDevice => {
                let (event, _, _) = self.one_event().await;
                m.mock.state.fleet.read().unwrap().device_by_id(event["device_id"].as_str().unwrap()).is_none()
            }
            Fault::RejectValidToken => m.get(0, "/api/v1/webhooks").await.0 == 401,
            Fault::AcceptExpired => {
                self.status_with(&self.claims_token(json!({"iss": "convergint", "iat": now - 7200, "exp": now - 3600})))
                    .await
                    == 200
            }
            Fault::AcceptBadSignature => {
                let stranger = contract::token::generate_keypair(1024).unwrap();
                let t = contract::TokenMinter::from_pem(&stranger.private_pem, None).unwrap().mint(now);
                self.status_with(t.expose()).await == 200
            }
            Fault::NoKeyRotation => {
                let account = &m.mock.credentials.accounts[0];
                let pem = contract::Secret::new(std::fs::read_to_string(&account.rotation_private_key_path).unwrap());
                let second = contract::TokenMinter::from_pem(&pem, Some(account.rotation_kid.clone())).unwrap();
                self.status_with(second.mint(now).expose()).await == 401
            }
            Fault::TrustEmbeddedJwk => {
                let stranger = contract::token::generate_keypair(1024).unwrap();
                let jwk = contract::token::public_jwk(&stranger.public_pem).unwrap();
                let header = json!({"alg": "RS256", "kid": m.mock.credentials.accounts[0].kid, "jwk": jwk});
                let minter = contract::TokenMinter::from_pem(&stranger.private_pem, None).unwrap();
                let t = minter.mint_custom(&header, &json!({"iss": "convergint", "iat": now, "exp": now + 60}));
                self.status_with(t.expose()).await == 200
            }
            Fault::AuthServerError => self.status_with("garbage").await == 500,
            Fault::AcceptAlgNone => {
                let t = format!(
                    "{}.{}.",
                    b64_json(&json!({"alg": "none"})),
                    b64_json(&json!({"iss": "convergint", "iat": now, "exp": now + 60}))
                );
                self.status_with(&t).await == 200
            }
            Fault::AcceptHs256PublicKey => {
                let pem = std::fs::read_to_string(&m.mock.credentials.accounts[0].private_key_path).unwrap();
                let public = contract::token::public_pem_of(&Secret::new(pem)).unwrap();
                let t = sign_hs256(
                    &json!({"alg": "HS256", "kid": m.mock.credentials.accounts[0].kid}),
                    &json!({"iss": "convergint", "iat": now, "exp": now + 60}),
                    public.as_bytes(),
                );
                self.status_with(t.expose()).await == 200
            }
            Fault::AcceptNoExp => {
                self.status_with(&self.claims_token(json!({"iss": "convergint", "iat": now}))).await == 200
            }
            Fault::AcceptWrongIssuer => {
                self.status_with(&self.claims_token(json!({"iss": "mallory", "iat": now, "exp": now + 60}))).await
                    == 200
            }
            Fault::AcceptLongLifetime => {
                self.status_with(&self.claims_token(json!({"iss": "convergint", "iat": now, "exp": now + 86_400})))
                    .await
                    == 200
            }
            Fault::AcceptHugeExp => {
                self.status_with(&self.claims_token(json!({"iss": "convergint", "iat": now, "exp": i64::MAX}))).await
                    == 200
            }
            Fault::AcceptCrit => {
                let minter = &self.m.minters[0];
                let claims = json!({"iss": "convergint", "iat": now, "exp": now + 60});
                let mut accepted = true;
                for extra in [json!({"crit": ["urn:x"], "urn:x": 1}), json!({"b64": false, "crit": ["b64"]})] {
                    let mut header = minter.header();
                    header.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
                    accepted &= self.status_with(minter.mint_custom(&header, &claims).expose()).await == 200;
                }
                accepted
            }
            Fault::AcceptFutureIat => {
                self.status_with(&self.claims_token(json!({"iss": "convergint", "iat": now + 7200, "exp": now + 7300})))
                    .await
                    == 200
            }
            Fault::NoWwwAuthenticate => {
                m.get_with_token("garbage", "/api/v1/account").await.1.get("www-authenticate").is_none()
            }
            Fault::LeakyUnauthorized => {
                m.get_with_token("garbage", "/api/v1/account").await.2.to_string().contains("backtrace")
            }
            Fault::FetchJku => {
                let header = json!({"alg": "RS256", "kid": m.mock.credentials.accounts[0].kid, "jku": format!("{}/jwks.json", self.rx.url)});
                let t = m.minters[0].mint_custom(&header, &json!({"iss": "convergint", "iat": now, "exp": now + 60}));
                m.get_with_token(t.expose(), "/api/v1/account").await;
                let until = std::time::Instant::now() + QUIET;
                while std::time::Instant::now() < until && self.rx.count() == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                self.rx.all().iter().any(|r| r.path.ends_with("/jwks.json"))
            }
            Fault::RateLimitNoRetryAfter => {
                let mut bare = false;
                for _ in 0..12 {
                    let (status, headers, _) = m.get_with_token("garbage", "/api/v1/account").await;
                    bare |= status == 429 && headers.get("retry-after").is_none();
                }
                bare
            }
            Fault::UnsignedDeliveries => self.one_event().await.1.headers.get("x-webhook-signature").is_none(),
            Fault::WrongSignature | Fault::StaleTimestamp | Fault::MissingTimestamp | Fault::UnboundTimestamp => {
                let (_, r, secret) = self.one_event().await;
                let lookup = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
                let verdict = SignatureFormat::canonical(Scheme::Timestamped).verify(
                    lookup,
                    &r.body,
                    &[&secret],
                    contract::unix_now(),
                );
                match fault {
                    Fault::WrongSignature => verdict == Err(SignatureError::Mismatch),
                    Fault::StaleTimestamp => matches!(verdict, Err(SignatureError::OutsideTolerance { .. })),
                    Fault::MissingTimestamp => verdict == Err(SignatureError::MissingTimestamp),
                    _ => SignatureFormat::canonical(Scheme::Body)
                        .verify(lookup, &r.body, &[&secret], contract::unix_now())
                        .is_ok(),
                }
            }
            Fault::SharedSecret => self.hook().await.1 == self.hook().await.1,
            Fault::NoRetries => {
                let got = self.retried(Answer::Status(500), 1).await;
                got.len() == 1 && m.deliveries().await[0]["state"] == "dead_lettered"
            }
            Fault::RetryNewEventId | Fault::RetryChangedBody | Fault::EventTimestampIsSendTime => {
                let got = self.retried(Answer::Status(500), 2).await;
                let (a, b): (Value, Value) =
                    (serde_json::from_slice(&got[0].body).unwrap(), serde_json::from_slice(&got[1].body).unwrap());
                match fault {
                    Fault::RetryNewEventId => a["event_id"] != b["event_id"],
                    Fault::EventTimestampIsSendTime => a["timestamp"] != b["timestamp"],
                    _ => got[0].body != got[1].body,
                }
            }
            Fault::RetryStaleSignature => {
                let got = self.retried(Answer::Status(500), 6).await;
                let first = &got[0].headers["x-webhook-timestamp"];
                got.last().unwrap().headers["x-webhook-timestamp"] == first
            }
            Fault::DeliverAfterSuccess => {
                self.one_event().await;
                eventually(WAIT, "the delivery to end", async || {
                    (m.deliveries().await[0]["state"] != "pending").then_some(())
                })
                .await;
                self.mine().len() > 1
            }
            Fault::FollowRedirects => {
                let got = self.retried(Answer::Redirect(format!("{}/moved", self.target())), 1).await;
                got.iter().any(|r| r.path.ends_with("/moved"))
            }
            Fault::IgnoreRetryAfter => {
                let got = self.retried(Answer::TooMany(2), 2).await;
                got[1].at - got[0].at < Duration::from_millis(1500)
            }
            Fault::Ignore410 => {
                self.retried(Answer::Status(410), 1).await.len() > 1 || m.deliveries().await[0]["state"] != "disabled"
            }
            Fault::ShortRetryHorizon => {
                self.hook().await;
                self.rx.set(Answer::Status(500));
                let cam = self.camera().await;
                self.flip(&cam).await;
                let attempts = eventually(WAIT, "two attempts or more", async || {
                    let d = m.deliveries().await;
                    let n = d.first()?["attempts"].as_array()?.len();
                    (n >= 3 || d[0]["state"] == "dead_lettered").then_some(n)
                })
                .await;
                attempts == 2
            }
            Fault::DuplicateEventIds => {
                self.hook().await;
                let cam = self.camera().await;
                let a = m.set_status(&cam, "offline").await["event_ids"].clone();
                let b = m.set_status(&cam, "online").await["event_ids"].clone();
                let c = m.set_status(&cam, "offline").await["event_ids"].clone();
                let ids: Vec<_> = [a, b, c].iter().flat_map(|e| e.as_array().unwrap().clone()).collect();
                ids.iter().collect::<HashSet<_>>().len() < ids.len()
            }
            Fault::SecretInList => {
                self.hook().await;
                m.get(0, "/api/v1/webhooks").await.2.to_string().contains("whsec_")
            }
            Fault::DeliverAfterDelete => {
                let (id, _) = self.hook().await;
                m.send(m.http.delete(m.url(&format!("/api/v1/webhooks/{id}"))).bearer_auth(m.token(0))).await;
                let cam = self.camera().await;
                self.flip(&cam).await;
                !m.deliveries().await.is_empty()
            }
            Fault::DeleteTwiceServerError => {
                let (id, _) = self.hook().await;
                let del = || m.send(m.http.delete(m.url(&format!("/api/v1/webhooks/{id}"))).bearer_auth(m.token(0)));
                del().await;
                del().await.0 == 500
            }
            Fault::AcceptMetadataTarget => {
                let body = json!({"name": "x", "target_url": "http://169.254.169.254/latest/meta-data"});
                m.send(m.http.post(m.url("/api/v1/webhooks")).bearer_auth(m.token(0)).json(&body)).await.0 == 201
            }
            Fault::NoPing => {
                let (id, _) = self.hook().await;
                m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{id}/ping"))).bearer_auth(m.token(0))).await.0
                    == 404
            }
            Fault::UnsignedPing => {
                let (id, _) = self.hook().await;
                m.send(m.http.post(m.url(&format!("/api/v1/webhooks/{id}/ping"))).bearer_auth(m.token(0))).await;
                let ping = self.wait_mine(1).await.remove(0);
                // The ping alone: a device event still carries its signature.
                let cam = self.camera().await;
                self.flip(&cam).await;
                let event = self.wait_mine(2).await.remove(1);
                ping.headers.get("x-webhook-signature").is_none() && event.headers.get("x-webhook-signature").is_some()
            }
            Fault::ReusedEventId => {
                self.hook().await;
                let cam = self.camera().await;
                let health = self.flip(&cam).await["event_ids"][0].clone();
                let (_, raised) = m
                    .admin(
                        reqwest::Method::POST,
                        &format!("/_mock/devices/{cam}/events"),
                        Some(json!({"event_type": "alarm"})),
                    )
                    .await;
                let got = self.wait_mine(2).await;
                let alarm = got
                    .iter()
                    .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
                    .find(|e| e["event_type"] == "alarm")
                    .unwrap();
                raised["event_ids"][0] == health && alarm["event_id"] == health && alarm.get("site_id").is_none()
            }
            Fault::SyncNeedsWebhook => {
                let site = m.sites(0).await[0]["site_id"].as_str().unwrap().to_owned();
                m.get(0, &format!("/api/v1/sites/{site}/inventory")).await.0 == 503
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_shows_its_symptom_and_the_clean_mock_does_not() {
    let config = mock_vendor::MockConfig {
        signature: Scheme::Timestamped,
        rate_limit: mock_vendor::config::RateLimit {
            max_failures: 8,
            window: Duration::from_secs(60),
            retry_after_secs: 1,
        },
        ..common::test_config()
    };
    let probe = Probe { m: Mock::start(config).await, rx: Receiver::start().await, run: Default::default() };
    let mut wrong = Vec::new();
    for &fault in Fault::ALL.iter().filter(|f| mock_vendor::shape::applies(**f, mock_vendor::Shape::Canonical)) {
        for on in [false, true] {
            let (status, _) = probe.m.admin(reqwest::Method::POST, "/_mock/reset", None).await;
            assert_eq!(status, 204);
            probe.rx.clear();
            probe.run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            probe.m.fault(fault.name(), on).await;
            let shown = probe.symptom(fault).await;
            if shown != on {
                wrong.push(format!(
                    "{fault} {}: symptom {}",
                    if on { "on" } else { "off" },
                    if shown { "shown" } else { "absent" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
