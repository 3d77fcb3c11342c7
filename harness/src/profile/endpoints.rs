//! Endpoints as a profile writes them: one that answers a record, one that answers a (paginated)
//! list, where their parameters go, and errors a vendor signals in a 2xx body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldMap;

/// Where a request's parameters go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    /// The query string (`GET ...?page=2`).
    #[default]
    Query,
    /// Fields of the JSON request body (`POST` with `{"pageSize": 50, "lastEvaluatedKey": ...}`).
    Body,
}

fn get() -> String {
    "GET".into()
}

fn is_get(m: &String) -> bool {
    m == "GET"
}

/// An endpoint that answers one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEndpoint {
    /// Path under the base URL.
    pub path: String,
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The JSON body sent (for vendors whose reads are `POST`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// JSON Pointer of the record in the answer (`""` = the whole answer).
    #[serde(default)]
    pub record: String,
    /// Canonical field name → where the vendor keeps it.
    pub fields: FieldMap,
}

/// An endpoint that answers a (paginated) list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEndpoint {
    /// Path under the base URL; `{site_id}` is replaced by the (percent-encoded) site id.
    pub path: String,
    #[serde(default = "get", skip_serializing_if = "is_get")]
    pub method: String,
    /// The JSON body sent; with a `POST` endpoint, `"{site_id}"` in a string value is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Query parameters always sent; `{site_id}` in a value is replaced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// JSON Pointer of the array in each page (`""` = the answer is the array).
    pub list: String,
    /// The vendor's own largest page size for this collection (PAGE-5), over `pagination.max_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// The page size it serves when none is asked for, over `pagination.default_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_size: Option<u64>,
    /// Its smallest page size (Meraki documents a `perPage` range), over `pagination.min_size`:
    /// the small-page walks start there instead of at 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u64>,
    /// Where this endpoint's records keep the keyset value, over `pagination.past_end.from`
    /// (networks by `/id`, devices by `/serial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past_end_from: Option<String>,
    /// Canonical field name → where the vendor keeps it.
    pub fields: FieldMap,
}

/// Errors signalled in a 2xx body (`{"error": true, "errorMsg": ...}`, `{"code": "0"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyErrors {
    /// JSON Pointer of the flag. Without `ok`, the answer is an error when the flag is present
    /// and neither `false`, `null`, `0` nor `""`.
    pub flag: String,
    /// Values of the flag that mean success (`["0"]` for a `code` field), when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ok: Vec<Value>,
    /// JSON Pointer of the error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl BodyErrors {
    /// The error a 2xx body signals, if it does.
    pub fn error_in(&self, doc: &Value) -> Option<String> {
        let flag = doc.pointer(&self.flag)?;
        let error = if self.ok.is_empty() {
            !matches!(flag, Value::Null | Value::Bool(false)) && flag != &Value::from(0) && flag != &Value::from("")
        } else {
            !self.ok.contains(flag)
        };
        error.then(|| {
            let message = self.message.as_deref().and_then(|p| doc.pointer(p)).map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            message.unwrap_or_else(|| format!("`{}` is {flag}", self.flag))
        })
    }
}
