//! Field rules: where each canonical field comes from in a vendor's record (a pointer, the
//! request, a constant, a join), how TOML writes it, and the vocabularies and timestamp formats
//! it is translated through.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The vendor's words for canonical values: vendor value → canonical value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vocabularies {
    /// → `online | offline | degraded | unknown`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub status: BTreeMap<String, String>,
    /// → the canonical device types (`camera`, `door`, `access_panel`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub device_type: BTreeMap<String, String>,
    /// Vendor event type → canonical `event_type` (`health`, `alarm`, `access`, `video`, `ping`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub event_type: BTreeMap<String, String>,
}

/// Which vocabulary a field's values go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabularyName {
    Status,
    DeviceType,
    EventType,
}

/// How the vendor writes a timestamp; the canonical records carry RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    Rfc3339,
    EpochSeconds,
    EpochMillis,
}

/// A value of the request a field can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestValue {
    /// The site whose inventory was asked for (`/networks/{site_id}/devices`).
    SiteId,
    /// The account the credential is bound to, as the account endpoint answered it (devices
    /// and events of a vendor whose records carry no account id).
    AccountId,
}

/// Where one canonical field comes from: a JSON Pointer, or a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFieldSpec", into = "RawFieldSpec")]
pub enum FieldSpec {
    Pointer(String),
    Rule(FieldRule),
}

/// A field with more to it than a pointer: where its value comes from (exactly one source),
/// and how it is translated.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    pub source: FieldSource,
    /// The vocabulary its values go through.
    pub vocabulary: Option<VocabularyName>,
    /// How the vendor writes it, when it is a timestamp.
    pub timestamp: Option<TimestampFormat>,
}

/// Where a rule's value comes from. A new source is one variant here, its keys in
/// [`RawFieldRule`] and its reading in `Profile::field_value`.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// `{ pointer = "/x" }`, optionally read inside the first element of an array that matches a
    /// filter (`array`, `where`, `equals`: an event whose status sits in `data[]`).
    Pointer { pointer: String, within: Option<ArrayElement> },
    /// `{ from_request = "site_id" | "account_id" }`.
    FromRequest(RequestValue),
    /// `{ constant = "camera" }`.
    Constant(Value),
    /// `{ join = ["/address/street", "/address/city"], separator = ", " }`: the string (or
    /// number) values found, joined; parts that are missing or empty are left out.
    Join { pointers: Vec<String>, separator: String },
}

/// The element of an array a pointer is read in: the first whose `element_where` is `equals`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayElement {
    pub array: String,
    pub element_where: String,
    pub equals: Value,
}

/// A field as TOML writes it: a pointer or an inline table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawFieldSpec {
    Pointer(String),
    Rule(RawFieldRule),
}

/// A field rule's keys as written; [`FieldRule`] refuses combinations that cannot work.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawFieldRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_request: Option<RequestValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub element_where: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<VocabularyName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<TimestampFormat>,
}

impl TryFrom<RawFieldRule> for FieldRule {
    type Error = String;

    fn try_from(raw: RawFieldRule) -> Result<Self, String> {
        let sources = [raw.pointer.is_some(), raw.from_request.is_some(), raw.constant.is_some(), raw.join.is_some()];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err("a field rule needs exactly one of `pointer`, `from_request`, `constant` and `join`".into());
        }
        let filter = (raw.array, raw.element_where, raw.equals);
        let within = match filter {
            (Some(array), Some(element_where), Some(equals)) if raw.pointer.is_some() => {
                Some(ArrayElement { array, element_where, equals })
            }
            (None, None, None) => None,
            _ => return Err("`array`, `where` and `equals` go together, with `pointer`".into()),
        };
        if raw.separator.is_some() && raw.join.is_none() {
            return Err("`separator` goes with `join`".into());
        }
        let source = if let Some(pointer) = raw.pointer {
            FieldSource::Pointer { pointer, within }
        } else if let Some(value) = raw.from_request {
            FieldSource::FromRequest(value)
        } else if let Some(constant) = raw.constant {
            FieldSource::Constant(constant)
        } else {
            let pointers = raw.join.unwrap_or_default();
            if pointers.is_empty() {
                return Err("`join` lists no pointer".into());
            }
            FieldSource::Join { pointers, separator: raw.separator.unwrap_or_else(|| ", ".into()) }
        };
        Ok(Self { source, vocabulary: raw.vocabulary, timestamp: raw.timestamp })
    }
}

impl From<FieldRule> for RawFieldRule {
    fn from(rule: FieldRule) -> Self {
        let mut raw = RawFieldRule { vocabulary: rule.vocabulary, timestamp: rule.timestamp, ..Self::default() };
        match rule.source {
            FieldSource::Pointer { pointer, within } => {
                raw.pointer = Some(pointer);
                if let Some(e) = within {
                    (raw.array, raw.element_where, raw.equals) = (Some(e.array), Some(e.element_where), Some(e.equals));
                }
            }
            FieldSource::FromRequest(value) => raw.from_request = Some(value),
            FieldSource::Constant(value) => raw.constant = Some(value),
            FieldSource::Join { pointers, separator } => {
                raw.join = Some(pointers);
                raw.separator = Some(separator);
            }
        }
        raw
    }
}

impl TryFrom<RawFieldSpec> for FieldSpec {
    type Error = String;

    fn try_from(raw: RawFieldSpec) -> Result<Self, String> {
        Ok(match raw {
            RawFieldSpec::Pointer(p) => Self::Pointer(p),
            RawFieldSpec::Rule(rule) => Self::Rule(rule.try_into()?),
        })
    }
}

impl From<FieldSpec> for RawFieldSpec {
    fn from(spec: FieldSpec) -> Self {
        match spec {
            FieldSpec::Pointer(p) => Self::Pointer(p),
            FieldSpec::Rule(rule) => Self::Rule(rule.into()),
        }
    }
}

impl FieldRule {
    /// A rule with `source` and no translation.
    pub fn of(source: FieldSource) -> Self {
        Self { source, vocabulary: None, timestamp: None }
    }
}

/// Canonical field name → where the vendor keeps it.
pub type FieldMap = BTreeMap<String, FieldSpec>;

impl FieldSpec {
    /// Where the profile looks, as a message shows it.
    pub fn shown(&self) -> String {
        let rule = match self {
            Self::Pointer(p) => return format!("`{p}`"),
            Self::Rule(rule) => rule,
        };
        match &rule.source {
            FieldSource::Pointer { pointer, within: Some(e) } => {
                format!("`{pointer}` in the element of `{}` whose `{}` is {}", e.array, e.element_where, e.equals)
            }
            FieldSource::Pointer { pointer, within: None } => format!("`{pointer}`"),
            FieldSource::Join { pointers, .. } => {
                let each: Vec<String> = pointers.iter().map(|p| format!("`{p}`")).collect();
                format!("{} (joined)", each.join(", "))
            }
            FieldSource::FromRequest(RequestValue::SiteId) => "the request's site id".into(),
            FieldSource::FromRequest(RequestValue::AccountId) => {
                "the credential's account (its account endpoint)".into()
            }
            FieldSource::Constant(_) => "a constant".into(),
        }
    }

    /// Whether the value depends on the vendor's record (a pointer or a join), so a value
    /// missing on every record points at the profile.
    pub fn reads_record(&self) -> bool {
        match self {
            Self::Pointer(_) => true,
            Self::Rule(rule) => matches!(rule.source, FieldSource::Pointer { .. } | FieldSource::Join { .. }),
        }
    }
}

/// Canonical fields that hold ids: the contract gives ids no type, and canonical records carry
/// them as strings, so a vendor's integer ids (Hikvision-like) meet INV-1/SITE-1/ACC-1/EVT-2.
const ID_FIELDS: [&str; 5] = ["account_id", "site_id", "device_id", "parent_id", "event_id"];

/// `value` as the canonical record carries it: a number in an id field as its decimal text.
pub(super) fn canonical_id(name: &str, value: Value) -> Value {
    match value {
        Value::Number(n) if ID_FIELDS.contains(&name) => Value::String(n.to_string()),
        other => other,
    }
}

/// What a request was for, for fields that come from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub site_id: Option<String>,
    /// The credential's account id, as the account endpoint answered it.
    pub account_id: Option<String>,
}

impl RequestContext {
    pub fn site(site_id: impl Into<String>) -> Self {
        Self { site_id: Some(site_id.into()), account_id: None }
    }
}
