//! A vendor *profile*: where a vendor keeps the contract's data, so the client can map its
//! answers onto canonical records (MAP-1, MAP-2). `Profile::default()` is the canonical shape;
//! other shapes are other values of the same struct, never code in the checks.

use std::collections::BTreeMap;

use contract::{Scheme, SignatureFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An endpoint that answers one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEndpoint {
    /// Path under the base URL.
    pub path: String,
    /// JSON Pointer of the record in the answer (`""` = the whole answer).
    #[serde(default)]
    pub record_pointer: String,
}

/// An endpoint that answers a (paginated) list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEndpoint {
    /// Path under the base URL; `{site_id}` is replaced by the (percent-encoded) site id.
    pub path: String,
    /// JSON Pointer of the array in each page (`""` = the answer is the array).
    pub list_pointer: String,
}

/// Where the webhook management endpoints (WHM-1, WHM-4) and the event catalogue (EVT-5) are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookEndpoints {
    /// `POST` creates, `GET` lists.
    pub collection: String,
    /// `DELETE`; `{webhook_id}` is replaced.
    pub item: String,
    /// `POST`; `{webhook_id}` is replaced.
    pub ping: String,
    /// `GET`.
    pub event_types: String,
}

impl Default for WebhookEndpoints {
    fn default() -> Self {
        Self {
            collection: "/api/v1/webhooks".into(),
            item: "/api/v1/webhooks/{webhook_id}".into(),
            ping: "/api/v1/webhooks/{webhook_id}/ping".into(),
            event_types: "/api/v1/event-types".into(),
        }
    }
}

/// How a list is split into pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaginationProfile {
    /// `?page=&per_page=`, pages counted from 1, the total page count in the answer.
    Page {
        page_param: String,
        per_page_param: String,
        /// The page size the harness asks for.
        per_page: u64,
        /// JSON Pointer of the total page count in each answer.
        total_pages_pointer: String,
        /// JSON Pointers of the rest of the pagination block, when the vendor reports them.
        #[serde(default = "default_page_pointer", skip_serializing_if = "Option::is_none")]
        page_pointer: Option<String>,
        #[serde(default = "default_per_page_pointer", skip_serializing_if = "Option::is_none")]
        per_page_pointer: Option<String>,
        #[serde(default = "default_total_count_pointer", skip_serializing_if = "Option::is_none")]
        total_count_pointer: Option<String>,
    },
    /// One answer holds the whole list.
    None,
}

fn default_page_pointer() -> Option<String> {
    Some("/pagination/page".into())
}

fn default_per_page_pointer() -> Option<String> {
    Some("/pagination/per_page".into())
}

fn default_total_count_pointer() -> Option<String> {
    Some("/pagination/total_count".into())
}

/// Canonical field name → JSON Pointer into the vendor's record.
pub type FieldMap = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// Shown in reports (MAP-2: the harness reports the profile it used).
    pub name: String,
    pub account: RecordEndpoint,
    pub sites: ListEndpoint,
    pub inventory: ListEndpoint,
    pub pagination: PaginationProfile,
    /// The webhook management API (WHM-1) and the event catalogue (EVT-5).
    pub webhooks: WebhookEndpoints,
    pub account_fields: FieldMap,
    pub site_fields: FieldMap,
    pub device_fields: FieldMap,
    /// The webhook signature format; `None` = the contract's format for the configured scheme.
    pub signature: Option<SignatureFormat>,
}

fn identity(fields: &[&str]) -> FieldMap {
    fields.iter().map(|f| ((*f).to_owned(), format!("/{f}"))).collect()
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            name: "canonical".into(),
            account: RecordEndpoint { path: "/api/v1/account".into(), record_pointer: String::new() },
            sites: ListEndpoint { path: "/api/v1/account/sites".into(), list_pointer: "/sites".into() },
            inventory: ListEndpoint {
                path: "/api/v1/sites/{site_id}/inventory".into(),
                list_pointer: "/devices".into(),
            },
            pagination: PaginationProfile::Page {
                page_param: "page".into(),
                per_page_param: "per_page".into(),
                per_page: contract::DEFAULT_PER_PAGE,
                total_pages_pointer: "/pagination/total_pages".into(),
                page_pointer: default_page_pointer(),
                per_page_pointer: default_per_page_pointer(),
                total_count_pointer: default_total_count_pointer(),
            },
            webhooks: WebhookEndpoints::default(),
            account_fields: identity(&["account_id", "name"]),
            site_fields: identity(&["site_id", "name", "address", "coordinates", "timezone"]),
            device_fields: identity(&[
                "device_id",
                "name",
                "type",
                "site_id",
                "status",
                "account_id",
                "mac_address",
                "parent_id",
                "ip",
                "hostname",
                "site_name",
                "last_seen",
                "model",
                "firmware_version",
            ]),
            signature: None,
        }
    }
}

impl Profile {
    /// The signature format deliveries are verified with.
    pub fn signature_format(&self, scheme: Scheme) -> SignatureFormat {
        self.signature.clone().unwrap_or_else(|| SignatureFormat::canonical(scheme))
    }
}

/// Maps a vendor record onto a canonical one. Fields whose pointer resolves are copied (a
/// present `null` stays `null`, so the schema sees it); a record that is not an object is kept
/// as it is so that validation reports it.
pub fn map_record(raw: &Value, fields: &FieldMap) -> Value {
    if !raw.is_object() {
        return raw.clone();
    }
    let mut out = Map::new();
    for (name, pointer) in fields {
        if let Some(v) = raw.pointer(pointer) {
            out.insert(name.clone(), v.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_canonical_profile_maps_records_onto_themselves() {
        let p = Profile::default();
        let device =
            json!({"device_id": "d", "name": "n", "type": "camera", "site_id": "s", "status": "online", "ip": null});
        assert_eq!(map_record(&device, &p.device_fields), device);
        let extra = json!({"site_id": "s", "name": "n", "vendor_thing": 1});
        assert_eq!(map_record(&extra, &p.site_fields), json!({"site_id": "s", "name": "n"}));
        assert_eq!(map_record(&json!([1]), &p.site_fields), json!([1]));
    }

    #[test]
    fn nested_pointers_map_other_shapes() {
        let fields: FieldMap = [("device_id", "/id"), ("mac_address", "/networkInfo/adapters/0/macAddress")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let raw = json!({"id": "x", "networkInfo": {"adapters": [{"macAddress": "00:11:22:33:44:55"}]}});
        assert_eq!(map_record(&raw, &fields), json!({"device_id": "x", "mac_address": "00:11:22:33:44:55"}));
    }

    #[test]
    fn the_default_profile_round_trips_through_toml() {
        let p = Profile::default();
        let text = toml::to_string(&p).unwrap();
        assert_eq!(toml::from_str::<Profile>(&text).unwrap(), p);
        assert_eq!(toml::from_str::<Profile>("").unwrap(), p);
    }
}
