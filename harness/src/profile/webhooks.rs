//! The vendor's webhook management API and event catalogue as a profile writes them (WHM-1,
//! WHM-4, EVT-5): paths, methods and the shapes of requests and answers.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the webhook management endpoints (WHM-1, WHM-4) and the event catalogue (EVT-5) are,
/// and how their requests and answers are shaped (VENDOR-SHAPES.md, "Webhook management and
/// catalogue shapes"). Only the paths are required: the shapes default to the contract's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoints {
    /// `POST` creates, `GET` lists.
    pub collection: String,
    /// Deleted with `delete_method`; `{webhook_id}` is replaced.
    pub item: String,
    #[serde(default = "delete", skip_serializing_if = "is_delete")]
    pub delete_method: String,
    /// The test delivery (WHM-4); `{webhook_id}` is replaced.
    pub ping: String,
    #[serde(default = "post", skip_serializing_if = "is_post")]
    pub ping_method: String,
    /// The ping's JSON body; `{webhook_id}`, `{target_url}` and `{secret}` in string values are
    /// replaced (Meraki's `webhookTests` take `{"url": "{target_url}", "sharedSecret": "{secret}"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_body: Option<Value>,
    /// JSON Pointer of the ping event's `event_id` in the ping answer, when it announces one.
    #[serde(default = "ping_event_id", skip_serializing_if = "is_ping_event_id")]
    pub ping_event_id: Option<String>,
    /// `GET`: the event catalogue.
    pub event_types: String,
    /// The create request's body template and where the answer keeps id, secret and status.
    #[serde(default = "suites::CreateShape::canonical")]
    pub create: suites::CreateShape,
    /// Where the list answer keeps the webhooks, their ids, targets and statuses.
    #[serde(default = "suites::ListShape::canonical")]
    pub list: suites::ListShape,
    /// Where the catalogue keeps its entries and their fields (and its path, when it is not
    /// `event_types`).
    #[serde(default = "suites::CatalogueShape::canonical")]
    pub catalogue: suites::CatalogueShape,
}

fn delete() -> String {
    "DELETE".into()
}

fn is_delete(m: &String) -> bool {
    m == "DELETE"
}

fn post() -> String {
    "POST".into()
}

fn is_post(m: &String) -> bool {
    m == "POST"
}

fn ping_event_id() -> Option<String> {
    Some("/event_id".into())
}

fn is_ping_event_id(p: &Option<String>) -> bool {
    *p == ping_event_id()
}

impl WebhookEndpoints {
    /// The management API as checks use it.
    pub fn api(&self) -> suites::WebhookApi {
        suites::WebhookApi {
            collection: self.collection.clone(),
            item: self.item.clone(),
            delete_method: self.delete_method.clone(),
            ping: self.ping.clone(),
            ping_method: self.ping_method.clone(),
            ping_body: self.ping_body.clone(),
            ping_event_id: self.ping_event_id.clone(),
            create: self.create.clone(),
            list: self.list.clone(),
        }
    }

    /// The catalogue's path.
    pub fn catalogue_path(&self) -> &str {
        self.catalogue.path.as_deref().unwrap_or(&self.event_types)
    }

    /// Refuses shapes that cannot work, naming what is wrong.
    pub(super) fn validate(&self, pointer: &dyn Fn(&str, &str) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let c = &self.create;
        pointer("webhooks.create.id", &c.id)?;
        pointer("webhooks.create.record", &c.record)?;
        for (name, p) in [("secret", &c.secret), ("status", &c.status)] {
            if let Some(p) = p {
                pointer(&format!("webhooks.create.{name}"), p)?;
            }
        }
        if !c.body.is_object() {
            bail!("`webhooks.create.body` must be a JSON object (a template with `{{name}}`, `{{target_url}}`, ...)");
        }
        let api = self.api();
        if c.secret.is_none() && !api.integrator_secret() {
            bail!(
                "`webhooks.create` names no `secret` pointer and its body holds no \"{{secret}}\": say where the vendor's answer issues the secret, or where the integrator's goes"
            );
        }
        let l = &self.list;
        pointer("webhooks.list.list", &l.list)?;
        pointer("webhooks.list.id", &l.id)?;
        for (name, p) in [("target_url", &l.target_url), ("status", &l.status)] {
            if let Some(p) = p {
                pointer(&format!("webhooks.list.{name}"), p)?;
            }
        }
        if let Some(p) = &self.ping_event_id {
            pointer("webhooks.ping_event_id", p)?;
        }
        let k = &self.catalogue;
        pointer("webhooks.catalogue.list", &k.list)?;
        pointer("webhooks.catalogue.event_type", &k.event_type)?;
        for (name, p) in [
            ("description", &k.description),
            ("data_schema", &k.data_schema),
            ("emitted_by", &k.emitted_by),
            ("not_emitted_by", &k.not_emitted_by),
        ] {
            if let Some(p) = p {
                pointer(&format!("webhooks.catalogue.{name}"), p)?;
            }
        }
        Ok(())
    }
}
