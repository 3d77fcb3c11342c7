//! How the vendor's webhook management API (WHM-1, WHM-4) and event catalogue (EVT-5) are
//! shaped (MAP-1): the create body as a template, where the answers keep the id, secret and
//! status, where the list is, how a test delivery (ping) is asked for, where the catalogue's
//! entries and fields are. Checks build requests and read answers through [`WebhookApi`], never
//! through the vendor's names (VENDOR-SHAPES.md, "Webhook management and catalogue shapes").

use contract::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Answer, ApiError, Probe, VendorApi, encode_segment};
use crate::redact::{redact_exchange, redact_json, redact_text};

/// The create request and where its answer keeps what WHM-2 asks of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateShape {
    /// The JSON body sent; `{name}`, `{target_url}` and `{secret}` in string values (nested
    /// objects and arrays included) are replaced. A template holding `{secret}` means the
    /// integrator chooses the secret (Meraki's `sharedSecret`): the harness makes a strong one
    /// per webhook, sends it and hands it to the receiver.
    pub body: Value,
    /// JSON Pointer of the secret in the answer, when the vendor issues it (the contract's
    /// `/secret`); absent when the integrator chooses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// JSON Pointer of the webhook's id in the answer's record.
    pub id: String,
    /// JSON Pointer of the webhook's status in the answer's record, when it shows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// JSON Pointer of the webhook record in the answer (`""` = the whole answer); `id`,
    /// `secret` and `status` are read in it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub record: String,
}

/// Where the list answer keeps the webhooks and their fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListShape {
    /// JSON Pointer of the array (`""` = the answer is the array).
    pub list: String,
    /// JSON Pointers within each element.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// Where the event catalogue (EVT-5) keeps its entries and their fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueShape {
    /// The catalogue's path, when it is not `webhooks.event_types`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// JSON Pointer of the array of entries (`""` = the answer is the array).
    pub list: String,
    /// JSON Pointers within each entry.
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_schema: Option<String>,
    /// The device types that emit, or do not emit, the event type (the project's extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emitted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_emitted_by: Option<String>,
}

impl CatalogueShape {
    /// The contract's `{"event_types": [{event_type, description, data_schema}]}`.
    pub fn canonical() -> Self {
        Self {
            path: None,
            list: "/event_types".into(),
            event_type: "/event_type".into(),
            description: Some("/description".into()),
            data_schema: Some("/data_schema".into()),
            emitted_by: Some("/emitted_by".into()),
            not_emitted_by: Some("/not_emitted_by".into()),
        }
    }

    /// The catalogue in the contract's shape: `{"event_types": [...]}` with each entry's mapped
    /// fields (a field the entry does not have is left out). A document without the list where
    /// the shape says is returned as it is, so the check judging it shows what came.
    pub fn to_canonical(&self, doc: Value) -> Value {
        let Some(entries) = doc.pointer(&self.list).and_then(Value::as_array) else { return doc };
        let fields = [
            ("event_type", Some(&self.event_type)),
            ("description", self.description.as_ref()),
            ("data_schema", self.data_schema.as_ref()),
            ("emitted_by", self.emitted_by.as_ref()),
            ("not_emitted_by", self.not_emitted_by.as_ref()),
        ];
        let mapped = entries
            .iter()
            .map(|entry| {
                let mut out = Map::new();
                for (name, pointer) in fields {
                    if let Some(v) = pointer.and_then(|p| entry.pointer(p)) {
                        out.insert(name.into(), v.clone());
                    }
                }
                Value::Object(out)
            })
            .collect();
        json!({ "event_types": Value::Array(mapped) })
    }
}

/// The vendor's webhook management API, as checks use it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookApi {
    /// `POST` creates, `GET` lists.
    pub collection: String,
    /// Contains `{webhook_id}`: deleted with `delete_method`.
    pub item: String,
    pub delete_method: String,
    /// The test delivery (WHM-4); `{webhook_id}` is replaced.
    pub ping: String,
    pub ping_method: String,
    /// The ping's body template: `{webhook_id}`, `{target_url}`, `{secret}` replaced.
    pub ping_body: Option<Value>,
    /// JSON Pointer of the ping event's `event_id` in the ping answer, when it announces one.
    pub ping_event_id: Option<String>,
    pub create: CreateShape,
    pub list: ListShape,
}

/// What a create answer says, through the profile.
#[derive(Debug, Clone, Default)]
pub struct CreatedWebhook {
    pub id: Option<String>,
    /// The issued secret, or the one the harness chose.
    pub secret: Option<Secret>,
    pub status: Option<Value>,
    /// The webhook's record in the answer (`Null` when the answer holds none).
    pub record: Value,
}

/// One webhook of a list answer, through the profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedWebhook {
    pub id: Option<String>,
    pub target_url: Option<String>,
    pub status: Option<Value>,
    /// The vendor's element.
    pub raw: Value,
}

/// The placeholder of a secret the integrator chooses.
pub const SECRET_PLACEHOLDER: &str = "{secret}";

/// An id as text: vendors use strings or numbers.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `template` with each `(placeholder, value)` replaced in every string value.
pub fn fill(template: &Value, values: &[(&str, &str)]) -> Value {
    match template {
        Value::String(s) => {
            let mut s = s.clone();
            for (placeholder, value) in values {
                s = s.replace(placeholder, value);
            }
            Value::String(s)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, values)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, values))).collect()),
        other => other.clone(),
    }
}

fn holds(template: &Value, placeholder: &str) -> bool {
    match template {
        Value::String(s) => s.contains(placeholder),
        Value::Array(items) => items.iter().any(|v| holds(v, placeholder)),
        Value::Object(map) => map.values().any(|v| holds(v, placeholder)),
        _ => false,
    }
}

/// A strong secret for a webhook whose secret the integrator chooses: `whsec_` and 40 letters
/// and digits (about 238 bits) from the operating system's generator.
pub fn generate_secret() -> Secret {
    use rand::Rng;
    let tail: String =
        rand::rngs::OsRng.sample_iter(&rand::distributions::Alphanumeric).take(40).map(char::from).collect();
    Secret::new(format!("whsec_{tail}"))
}

impl WebhookApi {
    /// The contract's API (CONTRACT.md §9).
    pub fn canonical() -> Self {
        Self {
            collection: "/api/v1/webhooks".into(),
            item: "/api/v1/webhooks/{webhook_id}".into(),
            delete_method: "DELETE".into(),
            ping: "/api/v1/webhooks/{webhook_id}/ping".into(),
            ping_method: "POST".into(),
            ping_body: None,
            ping_event_id: Some("/event_id".into()),
            create: CreateShape::canonical(),
            list: ListShape::canonical(),
        }
    }

    /// Whether the integrator chooses the secret (the create template holds `{secret}`). A
    /// vendor that also answers a secret (`create.secret`) is then read for it: the answer's wins.
    pub fn integrator_secret(&self) -> bool {
        holds(&self.create.body, SECRET_PLACEHOLDER)
    }

    /// The create request for a webhook named `name` delivering to `target_url`, and the secret
    /// the harness chose for it when the integrator chooses (it goes to the receiver, never to
    /// evidence: every exchange a check keeps of the request goes through
    /// [`crate::redact::redact_exchange`] with it).
    pub fn create_probe(&self, name: &str, target_url: &str) -> (Probe, Option<Secret>) {
        let chosen = self.integrator_secret().then(generate_secret);
        let secret = chosen.as_ref().map_or("", |s| s.expose());
        let body =
            fill(&self.create.body, &[("{name}", name), ("{target_url}", target_url), (SECRET_PLACEHOLDER, secret)]);
        (Probe::post(self.collection.clone(), Some(body)), chosen)
    }

    /// What a create answer says: id, secret (issued, or `chosen` by the harness), status.
    pub fn read_created(&self, answer: Option<&Value>, chosen: Option<&Secret>) -> CreatedWebhook {
        let record = answer.and_then(|a| a.pointer(&self.create.record)).cloned().unwrap_or(Value::Null);
        let issued = self
            .create
            .secret
            .as_deref()
            .and_then(|p| record.pointer(p).or_else(|| answer.and_then(|a| a.pointer(p))))
            .and_then(Value::as_str)
            .map(Secret::new);
        CreatedWebhook {
            id: record.pointer(&self.create.id).and_then(id_text),
            secret: issued.or_else(|| chosen.cloned()),
            status: self.create.status.as_deref().and_then(|p| record.pointer(p)).cloned(),
            record,
        }
    }

    /// The webhooks of a list answer; `None` when the answer holds no array where the profile says.
    pub fn read_list(&self, answer: Option<&Value>) -> Option<Vec<ListedWebhook>> {
        let items = answer?.pointer(&self.list.list)?.as_array()?;
        Some(
            items
                .iter()
                .map(|raw| ListedWebhook {
                    id: raw.pointer(&self.list.id).and_then(id_text),
                    target_url: self
                        .list
                        .target_url
                        .as_deref()
                        .and_then(|p| raw.pointer(p))
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    status: self.list.status.as_deref().and_then(|p| raw.pointer(p)).cloned(),
                    raw: raw.clone(),
                })
                .collect(),
        )
    }

    /// Where the list sits, as a message names it.
    pub fn list_shown(&self) -> String {
        if self.list.list.is_empty() { "a root array".into() } else { format!("an array at `{}`", self.list.list) }
    }

    pub fn list_probe(&self) -> Probe {
        Probe::get(self.collection.clone())
    }

    pub fn item_of(&self, webhook_id: &str) -> String {
        self.item.replace("{webhook_id}", &encode_segment(webhook_id))
    }

    pub fn delete_probe(&self, webhook_id: &str) -> Probe {
        Probe { method: self.delete_method.to_ascii_uppercase(), ..Probe::get(self.item_of(webhook_id)) }
    }

    /// The test delivery of one webhook (WHM-4): `secret` fills a body template that names it
    /// (a URL test that sends the shared secret along).
    pub fn ping_probe(&self, webhook_id: &str, target_url: &str, secret: Option<&Secret>) -> Probe {
        let path = self.ping.replace("{webhook_id}", &encode_segment(webhook_id));
        let body = self.ping_body.as_ref().map(|t| {
            fill(
                t,
                &[
                    ("{webhook_id}", webhook_id),
                    ("{target_url}", target_url),
                    (SECRET_PLACEHOLDER, secret.map_or("", |s| s.expose())),
                ],
            )
        });
        Probe { method: self.ping_method.to_ascii_uppercase(), body, ..Probe::get(path) }
    }

    /// The `event_id` a ping answer announces, when the profile says where.
    pub fn ping_event_id(&self, answer: Option<&Value>) -> Option<String> {
        answer?.pointer(self.ping_event_id.as_deref()?).and_then(id_text)
    }
}

/// A create sent through the profile: the answer with every secret redacted (the issued one,
/// the one the harness chose, any secret-like member), and what it says.
#[derive(Debug, Clone)]
pub struct Creation {
    pub answer: Answer,
    /// Its `record` redacted too; `secret` holds the secret itself.
    pub created: CreatedWebhook,
}

/// Creates a webhook named `name` delivering to `target_url` through `api`'s profile. An `Err`
/// (no usable answer) has its exchanges redacted of the secret the harness chose.
pub async fn create_webhook(api: &dyn VendorApi, name: &str, target_url: &str) -> Result<Creation, ApiError> {
    let shape = api.webhook_api();
    let (probe, chosen) = shape.create_probe(name, target_url);
    let chosen_text: Vec<&str> = chosen.iter().map(|s| s.expose()).collect();
    let mut answer = api.probe(probe).await.map_err(|mut e| {
        e.exchanges.iter_mut().for_each(|x| redact_exchange(x, &chosen_text));
        e
    })?;
    let mut created = shape.read_created(answer.json.as_ref(), chosen.as_ref());
    let secrets: Vec<&str> = created.secret.iter().chain(&chosen).map(|s| s.expose()).collect();
    redact_exchange(&mut answer.exchange, &secrets);
    answer.text = redact_text(&answer.text, &secrets);
    answer.json = answer.json.as_ref().map(|j| redact_secret_values(j, &secrets));
    created.record = redact_secret_values(&created.record, &secrets);
    Ok(Creation { answer, created })
}

/// [`redact_json`], and every string equal to one of `secrets` (a secret under a name that does
/// not say so) replaced.
fn redact_secret_values(value: &Value, secrets: &[&str]) -> Value {
    match redact_json(value) {
        Value::String(s) if secrets.contains(&s.as_str()) => Value::String("[redacted]".into()),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact_secret_values(v, secrets)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), redact_secret_values(v, secrets))).collect())
        }
        other => other,
    }
}

impl CreateShape {
    /// The contract's `{"name", "target_url", "status": "active"}` → `{"webhook_id", "status", "secret"}`.
    pub fn canonical() -> Self {
        Self {
            body: json!({"name": "{name}", "target_url": "{target_url}", "status": "active"}),
            secret: Some("/secret".into()),
            id: "/webhook_id".into(),
            status: Some("/status".into()),
            record: String::new(),
        }
    }
}

impl ListShape {
    /// The contract's `{"webhooks": [{"webhook_id", "name", "target_url", "status"}]}`.
    pub fn canonical() -> Self {
        Self {
            list: "/webhooks".into(),
            id: "/webhook_id".into(),
            target_url: Some("/target_url".into()),
            status: Some("/status".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meraki() -> WebhookApi {
        WebhookApi {
            collection: "/networks/N_1/webhooks/httpServers".into(),
            item: "/networks/N_1/webhooks/httpServers/{webhook_id}".into(),
            delete_method: "DELETE".into(),
            ping: "/networks/N_1/webhooks/webhookTests".into(),
            ping_method: "POST".into(),
            ping_body: Some(json!({"url": "{target_url}", "sharedSecret": "{secret}"})),
            ping_event_id: None,
            create: CreateShape {
                body: json!({"name": "{name}", "url": "{target_url}", "sharedSecret": "{secret}",
                    "payloadTemplate": {"payloadTemplateId": "wpt_00001"}}),
                secret: None,
                id: "/id".into(),
                status: None,
                record: String::new(),
            },
            list: ListShape { list: String::new(), id: "/id".into(), target_url: Some("/url".into()), status: None },
        }
    }

    #[test]
    fn the_canonical_api_builds_the_contracts_requests_and_reads_its_answers() {
        let api = WebhookApi::canonical();
        assert!(!api.integrator_secret());
        let (probe, chosen) = api.create_probe("n", "http://127.0.0.1:9/webhook");
        assert!(chosen.is_none());
        assert_eq!(probe.path, "/api/v1/webhooks");
        assert_eq!(
            probe.body,
            Some(json!({"name": "n", "target_url": "http://127.0.0.1:9/webhook", "status": "active"}))
        );
        let created =
            api.read_created(Some(&json!({"webhook_id": "w1", "status": "active", "secret": "whsec_x"})), None);
        assert_eq!(created.id.as_deref(), Some("w1"));
        assert_eq!(created.secret.as_ref().map(Secret::expose), Some("whsec_x"));
        assert_eq!(created.status, Some(json!("active")));
        let listed = api.read_list(Some(&json!({"webhooks": [{"webhook_id": "w1", "target_url": "u"}]}))).unwrap();
        assert_eq!(listed[0].id.as_deref(), Some("w1"));
        assert_eq!(listed[0].target_url.as_deref(), Some("u"));
        assert_eq!(api.read_list(Some(&json!({"results": []}))), None);
        assert_eq!(api.delete_probe("a/b").path, "/api/v1/webhooks/a%2Fb");
        assert_eq!(api.delete_probe("w").method, "DELETE");
        let ping = api.ping_probe("w1", "u", None);
        assert_eq!((ping.method.as_str(), ping.path.as_str(), ping.body), ("POST", "/api/v1/webhooks/w1/ping", None));
        assert_eq!(api.ping_event_id(Some(&json!({"event_id": "e"}))).as_deref(), Some("e"));
    }

    #[test]
    fn an_integrator_chosen_secret_is_generated_sent_and_kept() {
        let api = meraki();
        assert!(api.integrator_secret());
        let (probe, chosen) = api.create_probe("hook", "https://h.example/w");
        let chosen = chosen.expect("the harness chooses the secret");
        assert!(chosen.expose().len() >= 40);
        let body = probe.body.unwrap();
        assert_eq!(body["sharedSecret"], chosen.expose());
        assert_eq!(body["url"], "https://h.example/w");
        assert_eq!(body["payloadTemplate"]["payloadTemplateId"], "wpt_00001");
        let (_, other) = api.create_probe("hook", "https://h.example/w");
        assert_ne!(other.unwrap().expose(), chosen.expose(), "one secret per webhook");
        // The answer never echoes it: the secret is the one sent; a numeric id reads as text.
        let created =
            api.read_created(Some(&json!({"id": 123, "name": "hook", "url": "https://h.example/w"})), Some(&chosen));
        assert_eq!(created.id.as_deref(), Some("123"));
        assert_eq!(created.secret.as_ref().map(Secret::expose), Some(chosen.expose()));
        assert_eq!(created.status, None);
        let listed = api.read_list(Some(&json!([{"id": "123", "url": "u"}]))).unwrap();
        assert_eq!((listed[0].id.as_deref(), listed[0].target_url.as_deref()), (Some("123"), Some("u")));
        let ping = api.ping_probe("123", "https://h.example/w", Some(&chosen));
        assert_eq!(ping.path, "/networks/N_1/webhooks/webhookTests");
        assert_eq!(ping.body, Some(json!({"url": "https://h.example/w", "sharedSecret": chosen.expose()})));
    }

    #[test]
    fn a_record_pointer_finds_the_webhook_inside_the_answer() {
        let mut api = WebhookApi::canonical();
        api.create = CreateShape {
            body: json!({"url": "{target_url}", "displayName": "{name}", "enabled": true, "events": ["*"]}),
            secret: Some("/signingSecret".into()),
            id: "/id".into(),
            status: Some("/enabled".into()),
            record: "/subscription".into(),
        };
        let answer = json!({"subscription": {"id": "s1", "enabled": true}, "signingSecret": "k"});
        let created = api.read_created(Some(&answer), None);
        assert_eq!(created.id.as_deref(), Some("s1"));
        assert_eq!(created.secret.as_ref().map(Secret::expose), Some("k"), "the secret may sit beside the record");
        assert_eq!(created.status, Some(json!(true)));
    }

    #[test]
    fn catalogues_of_other_shapes_read_in_the_contracts_words() {
        let canonical = json!({"event_types": [{"event_type": "health", "description": "d", "data_schema": {}}]});
        assert_eq!(CatalogueShape::canonical().to_canonical(canonical.clone()), canonical);
        let meraki = CatalogueShape {
            path: None,
            list: String::new(),
            event_type: "/alertType".into(),
            description: Some("/alertTypeId".into()),
            data_schema: None,
            emitted_by: None,
            not_emitted_by: None,
        };
        assert_eq!(
            meraki.to_canonical(json!([{"alertType": "deviceDown", "alertTypeId": "Device went down"}])),
            json!({"event_types": [{"event_type": "deviceDown", "description": "Device went down"}]})
        );
        let results = CatalogueShape {
            list: "/results".into(),
            event_type: "/type".into(),
            data_schema: Some("/dataSchema".into()),
            description: None,
            ..meraki
        };
        assert_eq!(
            results.to_canonical(json!({"results": [{"type": "t", "dataSchema": {"type": "object"}}]})),
            json!({"event_types": [{"event_type": "t", "data_schema": {"type": "object"}}]})
        );
        assert_eq!(results.to_canonical(json!({"other": 1})), json!({"other": 1}));
    }
}
