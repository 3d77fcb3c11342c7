//! An in-memory vendor for the event-side suites: an API, an inbox and a trigger over one shared
//! world, with knobs for behaviours the mock vendor cannot show (second-precision clocks,
//! retries that arrive newest first, a lagging inventory, odd management answers).
//!
//! Deliveries are synchronous: acting on a device records the first attempt in the inbox at
//! once, answered as the receiver currently answers; failed attempts are retried when the check
//! ends the receiver's window (the fake's whole retry schedule).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use contract::Secret;
use serde_json::{Value, json};
use suites::{
    Action, Answer, ApiError, ApiErrorKind, Collection, Context, Declared, Delivery, Endpoints, Exchange, Fetch,
    Fetched, Inbox, Listed, Listing, PageSeen, PageVisitor, Probe, ReceiverAnswer, Trigger, TriggerError, VendorApi,
    Verification, Walk, WalkEnd,
};

pub const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
pub const SITE: &str = "5e6693c0-091d-47a2-b90a-6c15531b3c50";
pub const CAMERA: &str = "11111111-2222-4333-8444-555555555555";
pub const SENSOR: &str = "22222222-2222-4333-8444-555555555555";
pub const SECOND_ACCOUNT: &str = "b1b2c3d4-5678-90ab-cdef-1234567890ab";
pub const SECOND_SITE: &str = "6e6693c0-091d-47a2-b90a-6c15531b3c50";

/// What the fake vendor does; every test starts from [`Knobs::default`] (a conformant vendor).
#[derive(Debug, Clone)]
pub struct Knobs {
    /// How far the vendor's clock moves between two events (0: a whole-second clock that ties).
    pub tick_ms: i64,
    /// A change is stamped this much before the previous one (a broken clock).
    pub backwards: bool,
    /// Failed attempts are retried newest first.
    pub retry_newest_first: bool,
    /// Inventory shows a status change only from this poll on (1: at once).
    pub inventory_lag_polls: u32,
    /// Device types that publish no events.
    pub silent: Vec<String>,
    /// The second account's webhooks.
    pub second_webhooks: usize,
    /// What the second account's inventory answers.
    pub second_inventory_status: u16,
    /// What a second delete of a webhook answers.
    pub delete_again_status: u16,
    /// What a create answers for a metadata target, and for an inactive webhook at all.
    pub metadata_create_status: u16,
    pub inactive_create_status: u16,
    /// The list shows each webhook's secret as `signing_key`.
    pub list_secret_as: Option<&'static str>,
    /// The list shows this under `secret` for each webhook (a mask, not the secret).
    pub list_secret_mask: Option<&'static str>,
    /// A health event reports this status instead of the one set.
    pub health_status_override: Option<&'static str>,
    /// Deleted webhooks keep receiving deliveries.
    pub deliver_after_delete: bool,
    /// What a create of any other target answers (a refusal when 300 or more), and what the
    /// webhook list answers.
    pub create_status: u16,
    pub list_status: u16,
    /// A refused metadata create is kept all the same (it shows in the list).
    pub keep_refused: bool,
    /// The status word webhooks are created and listed with (the vendor's own vocabulary).
    pub webhook_status: &'static str,
    /// Requests whose `METHOD path` (without `/api/v1/`) starts with this answer a redirect,
    /// which the client does not follow (the vendor's failure).
    pub redirect: Option<&'static str>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            tick_ms: 7,
            backwards: false,
            retry_newest_first: false,
            inventory_lag_polls: 1,
            silent: vec!["sensor".into()],
            second_webhooks: 0,
            second_inventory_status: 200,
            delete_again_status: 404,
            metadata_create_status: 422,
            inactive_create_status: 201,
            list_secret_as: None,
            list_secret_mask: None,
            health_status_override: None,
            deliver_after_delete: false,
            create_status: 201,
            list_status: 200,
            keep_refused: false,
            webhook_status: "active",
            redirect: None,
        }
    }
}

#[derive(Debug)]
struct Hook {
    id: String,
    target: String,
    secret: String,
    deleted: bool,
}

#[derive(Debug)]
struct State {
    knobs: Knobs,
    /// (device_id, type, status as inventory serves it, status set, polls since the change).
    devices: Vec<(String, String, String, String, u32)>,
    hooks: Vec<Hook>,
    deliveries: Vec<Delivery>,
    answer: Option<(ReceiverAnswer, Instant)>,
    /// Bodies of failed attempts, with their path, to retry on recovery.
    pending: Vec<(String, String)>,
    clock_ms: i64,
    next_id: u64,
    secrets_added: usize,
}

/// The shared world.
#[derive(Debug, Clone)]
pub struct World(Arc<Mutex<State>>);

impl World {
    pub fn new(knobs: Knobs) -> Self {
        let device = |id: &str, ty: &str| (id.to_owned(), ty.to_owned(), "online".to_owned(), "online".to_owned(), 0);
        Self(Arc::new(Mutex::new(State {
            knobs,
            devices: vec![device(CAMERA, "camera"), device(SENSOR, "sensor")],
            hooks: Vec::new(),
            deliveries: Vec::new(),
            answer: None,
            pending: Vec::new(),
            clock_ms: 1_770_215_520_000,
            next_id: 0,
            secrets_added: 0,
        })))
    }

    /// A context with the world's API, inbox and trigger, the second account and every capability.
    pub fn context(&self) -> Context {
        let declared = Declared {
            capabilities: ["webhook-management", "ping", "event-types"].into_iter().map(String::from).collect(),
            event_families: ["health", "alarm"].into_iter().map(String::from).collect(),
            silent_device_types: Default::default(),
            discovered: Default::default(),
        };
        Context::new(Arc::new(FakeApi { world: self.clone(), second: false }))
            .with_inbox(Arc::new(FakeInbox(self.clone())))
            .with_trigger(Arc::new(FakeTrigger(self.clone())))
            .with_second(Arc::new(FakeApi { world: self.clone(), second: true }))
            .with_declared(declared)
            .with_budgets(suites::Budgets {
                event_wait: Duration::from_millis(300),
                quiet_window: Duration::from_millis(50),
                outage: Duration::from_millis(500),
                retry_horizon: Duration::from_secs(1),
                rate_limit_burst: 0,
                ..suites::Budgets::default()
            })
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.0.lock().unwrap().deliveries.clone()
    }

    /// Every webhook secret the fake ever issued (none may reach an outcome).
    pub fn secrets(&self) -> Vec<String> {
        self.0.lock().unwrap().hooks.iter().map(|h| h.secret.clone()).collect()
    }
}

fn exchange(method: &str, path: &str, status: u16, body: &Value) -> Exchange {
    Exchange {
        method: method.into(),
        url: format!("http://vendor.invalid{path}"),
        status: Some(status),
        body_excerpt: Some(body.to_string()),
        reproduce: format!("curl -X {method} http://vendor.invalid{path}"),
        ..Exchange::default()
    }
}

fn answer(method: &str, path: &str, status: u16, body: Value) -> Answer {
    Answer { status, text: body.to_string(), exchange: exchange(method, path, status, &body), json: Some(body) }
}

impl State {
    fn answering(&mut self) -> ReceiverAnswer {
        match self.answer {
            Some((a, until)) if Instant::now() < until => a,
            _ => {
                self.answer = None;
                ReceiverAnswer::Ok
            }
        }
    }

    /// Records one attempt as the receiver answers it now; a failed one waits for recovery.
    fn attempt(&mut self, path: &str, body: &str) {
        let answered = match self.answering() {
            ReceiverAnswer::Ok => Some(200),
            ReceiverAnswer::Refuse => None,
            _ => Some(500),
        };
        if answered != Some(200) {
            self.pending.push((path.to_owned(), body.to_owned()));
        }
        if matches!(self.answering(), ReceiverAnswer::Refuse) {
            return;
        }
        let seq = self.deliveries.len() as u64;
        let event_id = serde_json::from_str::<Value>(body).ok().and_then(|b| b["event_id"].as_str().map(str::to_owned));
        self.deliveries.push(Delivery {
            seq,
            received_at_ms: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
                as i64,
            headers: vec![],
            body: body.to_owned(),
            body_bytes: body.len(),
            verification: Verification::Valid { timestamp: None },
            event: serde_json::from_str(body).ok(),
            event_id,
            duplicate: false,
            answered,
            path: path.to_owned(),
        });
    }

    fn recover(&mut self) {
        self.answer = None;
        let mut pending = std::mem::take(&mut self.pending);
        if self.knobs.retry_newest_first {
            pending.reverse();
        }
        for (path, body) in pending {
            self.attempt(&path, &body);
        }
    }

    fn emit(&mut self, device_id: &str, event_type: &str, data: Value) {
        self.clock_ms += if self.knobs.backwards { -self.knobs.tick_ms.max(1) } else { self.knobs.tick_ms };
        self.next_id += 1;
        let event = json!({"event_id": format!("00000000-0000-4000-8000-{:012}", self.next_id), "event_type": event_type,
            "device_id": device_id, "site_id": SITE, "account_id": ACCOUNT,
            "timestamp": contract::rfc3339_millis(self.clock_ms), "data": data});
        let mut paths = vec!["/webhook".to_owned()];
        let keep_deleted = self.knobs.deliver_after_delete;
        paths.extend(
            self.hooks
                .iter()
                .filter(|h| !h.deleted || keep_deleted)
                .map(|h| h.target.replace("http://127.0.0.1:1", "")),
        );
        for path in paths {
            self.attempt(&path, &event.to_string());
        }
    }
}

#[derive(Debug)]
pub struct FakeApi {
    world: World,
    second: bool,
}

#[async_trait]
impl VendorApi for FakeApi {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = json!({"account_id": if self.second { SECOND_ACCOUNT } else { ACCOUNT }, "name": "Acme"});
        Ok(Fetched { raw: record.clone(), exchange: exchange("GET", "/api/v1/account", 200, &record), record })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        let site = json!({"site_id": if self.second { SECOND_SITE } else { SITE }, "name": "HQ", "timezone": "UTC"});
        let e = exchange("GET", "/api/v1/account/sites", 200, &site);
        Ok(Listing {
            records: vec![Listed { raw: site.clone(), record: site, page: 0 }],
            exchanges: vec![e],
            notes: vec![],
        })
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        let path = format!("/api/v1/sites/{site_id}/inventory");
        let state = self.world.0.lock().unwrap();
        if self.second {
            let status = state.knobs.second_inventory_status;
            let body = json!({"devices": []});
            if status != 200 {
                let e = exchange("GET", &path, status, &body);
                return Err(ApiError::new(ApiErrorKind::Status, format!("answered {status}"), vec![e]));
            }
            return Ok(Listing { records: vec![], exchanges: vec![exchange("GET", &path, 200, &body)], notes: vec![] });
        }
        let records: Vec<Listed> = state
            .devices
            .iter()
            .map(|(id, ty, served, _, _)| {
                let r = json!({"device_id": id, "name": id, "type": ty, "site_id": SITE, "status": served});
                Listed { raw: r.clone(), record: r, page: 0 }
            })
            .collect();
        Ok(Listing { records, exchanges: vec![exchange("GET", &path, 200, &json!({}))], notes: vec![] })
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::canonical()
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        let mut state = self.world.0.lock().unwrap();
        let path = probe.path.clone();
        let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
        if let Some(prefix) = state.knobs.redirect
            && format!("{} {}", probe.method, segments.join("/")).starts_with(prefix)
        {
            let exchange = exchange(&probe.method, &path, 302, &Value::Null);
            let message = "answered 302 Found; API endpoints answer directly and redirects are not followed";
            return Err(ApiError::new(ApiErrorKind::Redirect, message, vec![exchange]));
        }
        Ok(match (probe.method.as_str(), segments.as_slice()) {
            ("GET", ["webhooks"]) if self.second => {
                let hooks: Vec<Value> =
                    (0..state.knobs.second_webhooks).map(|i| json!({"webhook_id": format!("w{i}")})).collect();
                answer("GET", &path, 200, json!({"webhooks": hooks}))
            }
            ("GET", ["webhooks"]) => {
                let secret_as = state.knobs.list_secret_as;
                let hooks: Vec<Value> = state
                    .hooks
                    .iter()
                    .filter(|h| !h.deleted)
                    .map(|h| {
                        let status = state.knobs.webhook_status;
                        let mut w = json!({"webhook_id": h.id, "name": "n", "target_url": h.target, "status": status});
                        if let Some(name) = secret_as {
                            w[name] = json!(h.secret);
                        }
                        if let Some(mask) = state.knobs.list_secret_mask {
                            w["secret"] = json!(mask);
                        }
                        w
                    })
                    .collect();
                let status = state.knobs.list_status;
                answer("GET", &path, status, json!({"webhooks": hooks}))
            }
            ("POST", ["webhooks"]) => {
                let body = probe.body.unwrap_or_default();
                let target = body["target_url"].as_str().unwrap_or_default().to_owned();
                if target.contains("169.254.169.254") && state.knobs.metadata_create_status >= 300 {
                    let status = state.knobs.metadata_create_status;
                    if state.knobs.keep_refused {
                        state.next_id += 1;
                        let id = format!("hook-{}", state.next_id);
                        let secret = format!("whsec_fake_secret_{:08}", state.next_id);
                        state.hooks.push(Hook { id, target: target.clone(), secret, deleted: false });
                    }
                    return Ok(answer("POST", &path, status, json!({"error": "invalid_target_url", "message": "no"})));
                }
                if !target.contains("169.254.169.254") && state.knobs.create_status >= 300 {
                    let status = state.knobs.create_status;
                    return Ok(answer("POST", &path, status, json!({"error": "forbidden", "message": "no"})));
                }
                if body["status"] == "inactive" && state.knobs.inactive_create_status >= 300 {
                    let status = state.knobs.inactive_create_status;
                    return Ok(answer("POST", &path, status, json!({"error": "invalid_body", "message": "no"})));
                }
                state.next_id += 1;
                let hook = Hook {
                    id: format!("hook-{}", state.next_id),
                    target: target.clone(),
                    secret: format!("whsec_fake_secret_{:08}", state.next_id),
                    deleted: false,
                };
                let status = state.knobs.webhook_status;
                let created = json!({"webhook_id": hook.id, "name": "n", "target_url": target, "status": status, "secret": hook.secret});
                state.hooks.push(hook);
                answer("POST", &path, 201, created)
            }
            ("DELETE", ["webhooks", id]) => {
                let again = state.knobs.delete_again_status;
                match state.hooks.iter_mut().find(|h| h.id == *id) {
                    Some(h) if !h.deleted => {
                        h.deleted = true;
                        Answer {
                            status: 204,
                            json: None,
                            text: String::new(),
                            exchange: exchange("DELETE", &path, 204, &json!(null)),
                        }
                    }
                    _ => answer("DELETE", &path, again, json!({"error": "gone", "message": "already deleted"})),
                }
            }
            ("GET", ["event-types"]) => {
                let silent = state.knobs.silent.clone();
                answer(
                    "GET",
                    &path,
                    200,
                    json!({"event_types": [
                    {"event_type": "health", "description": "d", "data_schema": {"type": "object"}, "not_emitted_by": silent},
                    {"event_type": "alarm", "description": "d", "data_schema": {"type": "object"}, "not_emitted_by": silent}]}),
                )
            }
            _ => answer(&probe.method, &path, 404, json!({"error": "not_found", "message": "no such route"})),
        })
    }

    async fn walk(
        &self,
        collection: &Collection,
        _per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        let Collection::Inventory { site_id } = collection else {
            return Err(ApiError::new(ApiErrorKind::Config, "the fake walks inventories only", vec![]));
        };
        let records = {
            let mut state = self.world.0.lock().unwrap();
            let lag = state.knobs.inventory_lag_polls;
            for d in &mut state.devices {
                d.4 += 1;
                if d.4 >= lag {
                    d.2 = d.3.clone();
                }
            }
            state
                .devices
                .iter()
                .map(|(id, ty, served, _, _)| json!({"device_id": id, "name": id, "type": ty, "site_id": site_id, "status": served}))
                .collect()
        };
        let path = format!("/api/v1/sites/{site_id}/inventory");
        let seen = PageSeen {
            part: 0,
            next: None,
            after: None,
            index: 1,
            records,
            page: Some(1),
            per_page: Some(50),
            total_pages: Some(1),
            total_count: Some(2),
            exchange: exchange("GET", &path, 200, &json!({})),
        };
        let _ = matches!(visit(seen), Walk::Stop);
        Ok(WalkEnd { pages: 1, notes: vec![] })
    }
}

#[derive(Debug)]
pub struct FakeInbox(World);

#[async_trait]
impl Inbox for FakeInbox {
    fn public_url(&self) -> String {
        "http://127.0.0.1:1/webhook".into()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.0.deliveries()
    }

    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if done(&self.0.deliveries()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn answer_for(&self, answer: ReceiverAnswer, window: Duration) {
        let mut state = self.0.0.lock().unwrap();
        if answer == ReceiverAnswer::Ok && window.is_zero() {
            state.recover();
        } else {
            state.answer = Some((answer, Instant::now() + window));
        }
    }

    fn fetches(&self) -> Vec<Fetch> {
        Vec::new()
    }

    fn add_secret(&self, _secret: Secret) {
        self.0.0.lock().unwrap().secrets_added += 1;
    }

    async fn post_to_self(&self, _headers: Vec<(String, String)>, _body: Vec<u8>) -> Result<u16, String> {
        Err("the fake inbox takes no requests".into())
    }
}

#[derive(Debug)]
pub struct FakeTrigger(World);

#[async_trait]
impl Trigger for FakeTrigger {
    fn kind(&self) -> &'static str {
        "command"
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        let mut state = self.0.0.lock().unwrap();
        match action {
            Action::DeviceStatus { device_id, status, .. } => {
                let silent = state.knobs.silent.clone();
                let reported = state.knobs.health_status_override.map_or(status.clone(), str::to_owned);
                let device = state.devices.iter_mut().find(|d| &d.0 == device_id).ok_or_else(|| {
                    TriggerError::UnknownDevice { device_id: device_id.clone(), detail: "not in the fake".into() }
                })?;
                device.3 = status.clone();
                device.4 = 0;
                let publishes = !silent.contains(&device.1);
                if publishes {
                    state.emit(device_id, "health", json!({"status": reported}));
                }
            }
            Action::DeviceEvent { device_id, event_type, data, .. } => state.emit(device_id, event_type, data.clone()),
            Action::Ping { .. } => {
                return Err(TriggerError::Unsupported { trigger: "command", action: "send a ping".into() });
            }
        }
        Ok(format!("acted: {action:?}"))
    }
}

/// Why a FAIL message does not quote CONTRACT.md, or `None` when it does: it names a requirement
/// as `ID: "text"`, the id is one of CONTRACT.md's and each part of the quoted text (between
/// `...` elisions) is that requirement's own wording.
pub fn unquoted(message: &str) -> Option<String> {
    let mut quoted = 0;
    for (at, _) in message.match_indices(": \"") {
        let id = message[..at].rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).next().unwrap_or_default();
        let Some(requirement) = contract::requirements::get(id) else { continue };
        let rest = &message[at + 3..];
        let Some(end) = rest.find('"') else { return Some(format!("{id}'s quote is not closed")) };
        for part in rest[..end].split("...").map(str::trim).filter(|p| !p.is_empty()) {
            if !requirement.text.contains(part) {
                return Some(format!("`{part}` is not in {id}'s text"));
            }
        }
        quoted += 1;
    }
    (quoted == 0).then(|| "no `ID: \"...\"` quote of a CONTRACT.md requirement".to_owned())
}
