//! The fake webhook-management APIs (VENDOR-SHAPES.md, "Webhook management and catalogue
//! shapes"): a subscription-style API that issues the secret once (on the Eagle Eye replay) and
//! Meraki's HTTP servers, whose secret the integrator chooses; and the webhooks suite's run
//! against them.

use contract::{Secret, SignatureFormat};
use harness::config::VendorConfig;
use harness::profile::Profile;
use harness::report::Report;
use serde_json::{Value, json};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::eagle_eye::*;
use crate::meraki::*;
use crate::support::*;

/// Which webhook API a fake vendor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookApi {
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
pub(crate) struct HookFaults {
    /// Creates with the cloud metadata target are accepted (WHM-3).
    pub(crate) accept_metadata: bool,
    /// The list shows each webhook's secret (WHM-2).
    pub(crate) list_secret: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Hook {
    id: String,
    name: String,
    url: String,
    secret: String,
    deleted: bool,
}

/// The fake vendor's webhooks, shared by its routes.
#[derive(Debug, Clone)]
pub(crate) struct Hooks {
    api: HookApi,
    faults: HookFaults,
    state: std::sync::Arc<std::sync::Mutex<Vec<Hook>>>,
}

/// Which request a route answers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HookRoute {
    Collection,
    Item,
    /// A test delivery (ping).
    Test,
    /// The vendor's own tooling: a device's status changes (the `mock-control` trigger's request).
    DeviceStatus,
}

/// Whether a target is one the vendor refuses (WHM-3): link-local, private, not http(s).
pub(crate) fn refused_target(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else { return true };
    let host = rest.split(['/', ':', '?']).next().unwrap_or_default();
    host.starts_with("169.254.") || host.starts_with("10.") || host.starts_with("192.168.") || host.is_empty()
}

/// A strong secret, as the subscription API issues it (once, in the create answer).
pub(crate) fn issued_secret() -> String {
    suites::webhook_api::generate_secret().expose().to_owned()
}

/// Sends `body` to a loopback `url`, signed with the contract's `body` scheme, from a thread of
/// its own (a responder must not wait). Other targets are never contacted.
pub(crate) fn deliver(url: &str, secret: &str, body: Value) {
    deliver_as(&SignatureFormat::canonical(contract::Scheme::Body), url, secret, body);
}

/// [`deliver`] signed in `format`.
pub(crate) fn deliver_as(format: &SignatureFormat, url: &str, secret: &str, body: Value) {
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
    pub(crate) fn new(api: HookApi, faults: HookFaults) -> Self {
        Self { api, faults, state: Default::default() }
    }

    pub(crate) fn route(&self, route: HookRoute) -> HookResponder {
        HookResponder { hooks: self.clone(), route }
    }

    /// Every secret the vendor issued or was given (none may reach a report).
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().iter().map(|h| h.secret.clone()).collect()
    }

    pub(crate) fn shown(&self, hook: &Hook) -> Value {
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

    pub(crate) fn create(&self, body: &Value) -> ResponseTemplate {
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

    pub(crate) fn list(&self) -> ResponseTemplate {
        let hooks = self.state.lock().unwrap();
        let shown: Vec<Value> = hooks.iter().filter(|h| !h.deleted).map(|h| self.shown(h)).collect();
        match self.api {
            HookApi::Subscriptions => record(json!({"results": shown, "nextPageToken": "", "totalSize": shown.len()})),
            HookApi::HttpServers => record(Value::Array(shown)),
        }
    }

    pub(crate) fn delete(&self, id: &str) -> ResponseTemplate {
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
    pub(crate) fn event(&self, device: &str, status: Option<&str>) -> Value {
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
    pub(crate) fn test(&self, id: Option<&str>, body: &Value) -> ResponseTemplate {
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
    pub(crate) fn device_status(&self, request: &Request) -> ResponseTemplate {
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
pub(crate) struct HookResponder {
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
pub(crate) async fn mount_hooks(server: &MockServer, hooks: &Hooks, auth: (&str, &str)) {
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
pub(crate) fn with_replay_events(mut profile: Profile, api: HookApi) -> Profile {
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
pub(crate) async fn run_webhooks(server: &MockServer, profile: Profile, credential: &str, hooks: &Hooks) -> Report {
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
pub(crate) async fn run_hook_api(api: HookApi, faults: HookFaults) -> Report {
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

pub(crate) const WEBHOOK_CHECKS: &[&str] = &[
    "webhooks.create-list",
    "webhooks.delete",
    "webhooks.delete-twice",
    "webhooks.target-validation",
    "webhooks.ping",
];

pub(crate) fn all_pass(report: &Report) {
    let expected: Vec<(&str, Expect)> = WEBHOOK_CHECKS.iter().map(|id| (*id, Expect::Pass)).collect();
    assert_checks(report, &expected);
}
