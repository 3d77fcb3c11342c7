//! A vendor *profile*: where a vendor keeps the contract's data, so the client can map its
//! answers onto canonical records (MAP-1, MAP-2) and the checks only ever see canonical ones.
//!
//! A profile is TOML (VENDOR-SHAPES.md, "What a profile must express"): endpoint paths and
//! methods (query or JSON body), where the list sits, the kind of pagination, field locations as
//! JSON Pointers (nested, array-indexed, inside the array element that matches a filter, taken
//! from the request or constant), inventory as a union of endpoints, status and device-type
//! vocabularies, timestamp formats, errors signalled in a 200 body, the auth kind, the webhook
//! signature format and the event fields. The canonical shape is itself a profile
//! (`harness/profiles/canonical.toml`), and so is every built-in one: [`Profile::builtin`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::{Context as _, bail};
use contract::{Scheme, SignatureFormat};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use suites::{AuthKind, Paging, PagingKind};

/// The built-in profiles, by name: the canonical shape and the mock vendor's other shapes.
pub const BUILTIN: &[(&str, &str)] = &[
    ("canonical", include_str!("../profiles/canonical.toml")),
    ("cursor", include_str!("../profiles/cursor.toml")),
    ("link", include_str!("../profiles/link.toml")),
];

static CANONICAL: LazyLock<Profile> =
    LazyLock::new(|| Profile::parse(BUILTIN[0].1).expect("profiles/canonical.toml is a valid profile"));

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
    /// Canonical field name → where the vendor keeps it.
    pub fields: FieldMap,
}

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
    fn validate(&self, pointer: &dyn Fn(&str, &str) -> anyhow::Result<()>) -> anyhow::Result<()> {
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

/// How a list is split into pages. Which fields apply depends on `kind`; [`Profile::validate`]
/// names what a kind lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationProfile {
    pub kind: PagingKind,
    /// Where the parameters go.
    #[serde(default)]
    pub location: ParamLocation,
    /// The page-size parameter (`per_page`, `limit`, `pageSize`, `perPage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_param: Option<String>,
    /// The page size the harness asks for.
    #[serde(default = "default_size")]
    pub size: u64,
    /// `page` kind: the page-number parameter, counted from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_param: Option<String>,
    /// `offset` kind: the item-offset parameter, counted from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_param: Option<String>,
    /// `cursor` kind: the parameter the token goes back in...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_param: Option<String>,
    /// ...and the JSON Pointer of the next page's token in an answer (null, `""` or missing ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// JSON Pointers of the pagination block, when the vendor reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<String>,
}

fn default_size() -> u64 {
    contract::DEFAULT_PER_PAGE
}

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
}

/// Where one canonical field comes from: a JSON Pointer, or a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    Pointer(String),
    Rule(FieldRule),
}

/// A field with more to it than a pointer. Exactly one of `pointer`, `from_request` and
/// `constant` says where the value is; `array` + `where` + `equals` first pick the element of an
/// array the pointer is then read in; `vocabulary` and `timestamp` translate the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_request: Option<RequestValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<Value>,
    /// JSON Pointer of an array whose first element matching `where` == `equals` the pointer is
    /// read in (an event whose status sits in `data[]` next to other elements).
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

/// Canonical field name → where the vendor keeps it.
pub type FieldMap = BTreeMap<String, FieldSpec>;

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

/// How requests authenticate. The secrets themselves come from the configuration's `[auth]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthProfile {
    pub kind: AuthKind,
    /// The header the credential goes in.
    pub header: String,
    /// Written before the credential (`"Bearer "`; `""` for a raw JWT or an API key). When
    /// absent: `"Bearer "` for tokens, nothing for an API key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// OAuth2 client credentials: the token endpoint (a path under the base URL, or a URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Fixed headers sent with every request (`x-auth-scheme = "api-token"`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_headers: BTreeMap<String, String>,
}

impl Default for AuthProfile {
    fn default() -> Self {
        Self {
            kind: AuthKind::Jwt,
            header: "Authorization".into(),
            prefix: None,
            token_url: None,
            scope: None,
            extra_headers: BTreeMap::new(),
        }
    }
}

impl AuthProfile {
    pub fn prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or(if self.kind == AuthKind::ApiKey { "" } else { "Bearer " })
    }
}

/// Where an event's canonical fields are in a delivery body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventProfile {
    /// `event_id`, `event_type`, `device_id`, `account_id`, `site_id`, `timestamp`, `data`, and
    /// `status` (written into `data.status`, for health events).
    pub fields: FieldMap,
}

/// A whole profile: every endpoint is stated (no field silently falls back to the canonical
/// shape); what a vendor may not have (errors in bodies, vocabularies, its own signature
/// format) is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Shown in reports (MAP-2: the harness reports the profile it used).
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub auth: AuthProfile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BodyErrors>,
    pub account: RecordEndpoint,
    pub sites: ListEndpoint,
    /// One endpoint, or several whose union is a site's inventory (cameras + doors + ...).
    pub inventory: Vec<ListEndpoint>,
    pub pagination: PaginationProfile,
    #[serde(default)]
    pub vocabulary: Vocabularies,
    /// The webhook management API (WHM-1) and the event catalogue (EVT-5).
    pub webhooks: WebhookEndpoints,
    /// The webhook signature format; `None` = the contract's format for the configured scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureFormat>,
    pub events: EventProfile,
}

impl Default for Profile {
    /// The canonical profile, read from `profiles/canonical.toml`.
    fn default() -> Self {
        CANONICAL.clone()
    }
}

/// The canonical fields every record of a kind must be mapped from (a profile that cannot give
/// them cannot certify).
const ACCOUNT_REQUIRED: &[&str] = &["account_id", "name"];
const SITE_REQUIRED: &[&str] = &["site_id", "name"];
const DEVICE_REQUIRED: &[&str] = &["device_id", "name", "type", "site_id", "status"];
const EVENT_REQUIRED: &[&str] = &["event_id", "event_type", "timestamp", "account_id"];

impl Profile {
    /// Parses and validates a profile's TOML.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let profile: Self = toml::from_str(text)?;
        profile.validate()?;
        Ok(profile)
    }

    /// A built-in profile by name (`canonical`, `cursor`, `link`).
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| {
            Self::parse(text).unwrap_or_else(|e| panic!("profiles/{n}.toml is not a valid profile: {e:#}"))
        })
    }

    /// Refuses a profile that cannot work, naming what is missing or wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        let pointer = |what: &str, p: &str| -> anyhow::Result<()> {
            if !p.is_empty() && !p.starts_with('/') {
                bail!(
                    "`{what}` = `{p}` is not a JSON Pointer (it starts with `/`, or is empty for the whole document)"
                );
            }
            Ok(())
        };
        let fields = |what: &str, map: &FieldMap, required: &[&str]| -> anyhow::Result<()> {
            for name in required {
                if !map.contains_key(*name) {
                    bail!("`{what}.fields` has no `{name}`: every record needs one");
                }
            }
            for (name, spec) in map {
                let at = format!("{what}.fields.{name}");
                match spec {
                    FieldSpec::Pointer(p) => pointer(&at, p)?,
                    FieldSpec::Rule(rule) => {
                        let sources = [rule.pointer.is_some(), rule.from_request.is_some(), rule.constant.is_some()];
                        if sources.iter().filter(|s| **s).count() != 1 {
                            bail!("`{at}` needs exactly one of `pointer`, `from_request` and `constant`");
                        }
                        for p in [&rule.pointer, &rule.array, &rule.element_where].into_iter().flatten() {
                            pointer(&at, p)?;
                        }
                        if rule.array.is_some() != rule.element_where.is_some()
                            || rule.element_where.is_some() != rule.equals.is_some()
                        {
                            bail!("`{at}`: `array`, `where` and `equals` go together");
                        }
                    }
                }
            }
            Ok(())
        };
        pointer("account.record", &self.account.record)?;
        fields("account", &self.account.fields, ACCOUNT_REQUIRED)?;
        pointer("sites.list", &self.sites.list)?;
        fields("sites", &self.sites.fields, SITE_REQUIRED)?;
        if self.inventory.is_empty() {
            bail!("`inventory` lists no endpoint");
        }
        for (i, endpoint) in self.inventory.iter().enumerate() {
            pointer(&format!("inventory[{i}].list"), &endpoint.list)?;
            fields(&format!("inventory[{i}]"), &endpoint.fields, DEVICE_REQUIRED)?;
        }
        fields("events", &self.events.fields, EVENT_REQUIRED)?;
        let p = &self.pagination;
        let need = |field: &Option<String>, name: &str| -> anyhow::Result<()> {
            if field.is_none() {
                bail!("`pagination.{name}` is required with `kind = \"{}\"`", p.kind.as_str());
            }
            Ok(())
        };
        match p.kind {
            PagingKind::Page => need(&p.page_param, "page_param")?,
            PagingKind::Offset => need(&p.offset_param, "offset_param")?,
            PagingKind::Cursor => {
                need(&p.token_param, "token_param")?;
                need(&p.next_token, "next_token")?;
            }
            PagingKind::LinkHeader | PagingKind::None => {}
        }
        if p.kind != PagingKind::None && p.size_param.is_some() && p.size == 0 {
            bail!("`pagination.size` must be at least 1");
        }
        if p.kind == PagingKind::Offset && p.size_param.is_none() {
            bail!("`pagination.size_param` is required with `kind = \"offset\"` (a short page ends the walk)");
        }
        for (name, ptr) in [
            ("next_token", &p.next_token),
            ("total_pages", &p.total_pages),
            ("total_count", &p.total_count),
            ("page", &p.page),
            ("per_page", &p.per_page),
        ] {
            if let Some(ptr) = ptr {
                pointer(&format!("pagination.{name}"), ptr)?;
            }
        }
        if p.location == ParamLocation::Body {
            let all = std::iter::once(&self.sites).chain(&self.inventory);
            if let Some(get) = all.into_iter().find(|e| e.method.eq_ignore_ascii_case("GET")) {
                bail!("`pagination.location = \"body\"` needs `POST` list endpoints; `{}` is a GET", get.path);
            }
        }
        if self.auth.kind == AuthKind::Oauth2ClientCredentials && self.auth.token_url.is_none() {
            bail!("`auth.token_url` is required with `auth.kind = \"oauth2_client_credentials\"`");
        }
        if let Some(errors) = &self.errors {
            pointer("errors.flag", &errors.flag)?;
        }
        self.webhooks.validate(&pointer)?;
        if let Some(format) = &self.signature {
            format.validate().context("`signature` cannot work")?;
        }
        Ok(())
    }

    /// The signature format deliveries are verified with.
    pub fn signature_format(&self, scheme: Scheme) -> SignatureFormat {
        self.signature.clone().unwrap_or_else(|| SignatureFormat::canonical(scheme))
    }

    /// The pagination as checks see it.
    pub fn paging(&self) -> Paging {
        let p = &self.pagination;
        Paging {
            kind: p.kind,
            size_param: p.size_param.clone().filter(|_| p.kind != PagingKind::None),
            size_default: p.size,
            position_param: match p.kind {
                PagingKind::Page => p.page_param.clone(),
                PagingKind::Offset => p.offset_param.clone(),
                _ => None,
            },
            total_count: p.total_count.is_some(),
            total_pages: p.total_pages.is_some() && p.kind == PagingKind::Page,
        }
    }

    fn vocabulary(&self, name: VocabularyName) -> &BTreeMap<String, String> {
        match name {
            VocabularyName::Status => &self.vocabulary.status,
            VocabularyName::DeviceType => &self.vocabulary.device_type,
            VocabularyName::EventType => &self.vocabulary.event_type,
        }
    }

    /// Maps a vendor record onto a canonical one through `fields`. Fields whose source resolves
    /// are copied (a present `null` stays `null`, so the schema sees it) and translated; a record
    /// that is not an object is kept as it is so that validation reports it.
    pub fn map_record(&self, raw: &Value, fields: &FieldMap, request: &RequestContext) -> Value {
        self.map_fields(raw, fields.iter(), request)
    }

    fn map_fields<'f>(
        &self,
        raw: &Value,
        fields: impl Iterator<Item = (&'f String, &'f FieldSpec)>,
        request: &RequestContext,
    ) -> Value {
        if !raw.is_object() {
            return raw.clone();
        }
        let mut out = Map::new();
        for (name, spec) in fields {
            if let Some(v) = self.field_value(raw, spec, request) {
                out.insert(name.clone(), v);
            }
        }
        Value::Object(out)
    }

    fn field_value(&self, raw: &Value, spec: &FieldSpec, request: &RequestContext) -> Option<Value> {
        let rule = match spec {
            FieldSpec::Pointer(p) => return raw.pointer(p).cloned(),
            FieldSpec::Rule(rule) => rule,
        };
        let value = if let Some(constant) = &rule.constant {
            constant.clone()
        } else if let Some(RequestValue::SiteId) = rule.from_request {
            Value::String(request.site_id.clone()?)
        } else {
            let pointer = rule.pointer.as_deref()?;
            let within = match (&rule.array, &rule.element_where, &rule.equals) {
                (Some(array), Some(at), Some(equals)) => {
                    raw.pointer(array)?.as_array()?.iter().find(|e| e.pointer(at) == Some(equals))?
                }
                _ => raw,
            };
            within.pointer(pointer)?.clone()
        };
        let value = match (rule.vocabulary, &value) {
            (Some(name), Value::String(s)) => {
                self.vocabulary(name).get(s).map_or(value.clone(), |canonical| Value::String(canonical.clone()))
            }
            _ => value,
        };
        Some(match (rule.timestamp, &value) {
            (Some(TimestampFormat::EpochSeconds), Value::Number(n)) => n
                .as_i64()
                .and_then(|s| s.checked_mul(1000))
                .map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms))),
            (Some(TimestampFormat::EpochMillis), Value::Number(n)) => {
                n.as_i64().map_or(value.clone(), |ms| Value::String(contract::rfc3339_millis(ms)))
            }
            _ => value,
        })
    }

    /// Maps a delivery body onto a canonical event: the event fields, with `status` (when the
    /// profile maps one) written into `data.status`.
    pub fn map_event(&self, raw: &Value) -> Value {
        let fields = &self.events.fields;
        let request = RequestContext::default();
        let mut event = self.map_fields(raw, fields.iter().filter(|(name, _)| *name != "status"), &request);
        if let (Some(status), Some(obj)) = (fields.get("status"), event.as_object_mut())
            && let Some(value) = self.field_value(raw, status, &request)
        {
            let data = obj.entry("data").or_insert_with(|| Value::Object(Map::new()));
            if let Some(data) = data.as_object_mut() {
                data.insert("status".into(), value);
            }
        }
        event
    }

    /// The event catalogue in the contract's shape (`{"event_types": [...]}`, through
    /// `webhooks.catalogue`) with event types and device types in canonical words.
    pub fn map_catalogue(&self, doc: Value) -> Value {
        let mut doc = self.webhooks.catalogue.to_canonical(doc);
        let translate = |v: &mut Value, vocabulary: &BTreeMap<String, String>| {
            if let Value::String(s) = v
                && let Some(canonical) = vocabulary.get(s.as_str())
            {
                *s = canonical.clone();
            }
        };
        if let Some(entries) = doc.get_mut("event_types").and_then(Value::as_array_mut) {
            for entry in entries {
                if let Some(t) = entry.get_mut("event_type") {
                    translate(t, &self.vocabulary.event_type);
                }
                for key in ["emitted_by", "not_emitted_by"] {
                    if let Some(list) = entry.get_mut(key).and_then(Value::as_array_mut) {
                        list.iter_mut().for_each(|t| translate(t, &self.vocabulary.device_type));
                    }
                }
            }
        }
        doc
    }

    /// The canonical fields of `fields` whose source is in none of `raws` (for the clear error
    /// naming the pointer): `(field, where the profile looked)`.
    pub fn unmatched(&self, raws: &[Value], fields: &FieldMap, request: &RequestContext) -> Vec<(String, String)> {
        let objects: Vec<&Value> = raws.iter().filter(|r| r.is_object()).collect();
        if objects.is_empty() {
            return Vec::new();
        }
        fields
            .iter()
            .filter(|(_, spec)| objects.iter().all(|raw| self.field_value(raw, spec, request).is_none()))
            .map(|(name, spec)| (name.clone(), spec.shown()))
            .collect()
    }
}

impl FieldSpec {
    /// Where the profile looks, as a message shows it.
    pub fn shown(&self) -> String {
        match self {
            Self::Pointer(p) => format!("`{p}`"),
            Self::Rule(rule) => match (&rule.pointer, &rule.array, &rule.element_where, &rule.equals) {
                (Some(p), Some(array), Some(w), Some(eq)) => {
                    format!("`{p}` in the element of `{array}` whose `{w}` is {eq}")
                }
                (Some(p), ..) => format!("`{p}`"),
                _ if rule.from_request.is_some() => "the request's site id".into(),
                _ => "a constant".into(),
            },
        }
    }
}

/// What a request was for, for fields that come from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub site_id: Option<String>,
}

/// Whether a canonical field is required of a record kind (for `harness probe`).
pub fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "account" => ACCOUNT_REQUIRED,
        "site" => SITE_REQUIRED,
        "device" => DEVICE_REQUIRED,
        _ => EVENT_REQUIRED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(f: impl FnOnce(&mut FieldRule)) -> FieldSpec {
        let mut r = FieldRule::default();
        f(&mut r);
        FieldSpec::Rule(r)
    }

    #[test]
    fn the_canonical_profile_maps_records_onto_themselves() {
        let p = Profile::default();
        let device =
            json!({"device_id": "d", "name": "n", "type": "camera", "site_id": "s", "status": "online", "ip": null});
        assert_eq!(p.map_record(&device, &p.inventory[0].fields, &RequestContext::default()), device);
        let extra = json!({"site_id": "s", "name": "n", "vendor_thing": 1});
        assert_eq!(
            p.map_record(&extra, &p.sites.fields, &RequestContext::default()),
            json!({"site_id": "s", "name": "n"})
        );
        assert_eq!(p.map_record(&json!([1]), &p.sites.fields, &RequestContext::default()), json!([1]));
        let event = json!({"event_id": "e", "event_type": "health", "device_id": "d", "site_id": "s", "account_id": "a",
            "timestamp": "2026-01-01T00:00:00.000Z", "data": {"status": "offline"}});
        assert_eq!(p.map_event(&event), event);
    }

    #[test]
    fn every_builtin_profile_parses_and_validates() {
        for (name, _) in BUILTIN {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(&p.name, name);
        }
    }

    #[test]
    fn rules_map_nested_indexed_filtered_constant_and_request_values() {
        let mut p = Profile::default();
        p.vocabulary.status.insert("deviceOffline".into(), "offline".into());
        let fields: FieldMap = [
            ("device_id".to_owned(), FieldSpec::Pointer("/id".into())),
            ("mac_address".to_owned(), FieldSpec::Pointer("/networkInfo/adapters/0/macAddress".into())),
            ("type".to_owned(), rule(|r| r.constant = Some(json!("camera")))),
            ("site_id".to_owned(), rule(|r| r.from_request = Some(RequestValue::SiteId))),
            (
                "status".to_owned(),
                rule(|r| {
                    r.pointer = Some("/newStatus/connectionStatus".into());
                    r.array = Some("/data".into());
                    r.element_where = Some("/type".into());
                    r.equals = Some(json!("status"));
                    r.vocabulary = Some(VocabularyName::Status);
                }),
            ),
            (
                "last_seen".to_owned(),
                rule(|r| {
                    r.pointer = Some("/seen".into());
                    r.timestamp = Some(TimestampFormat::EpochMillis);
                }),
            ),
        ]
        .into_iter()
        .collect();
        let raw = json!({"id": "x", "networkInfo": {"adapters": [{"macAddress": "00:11:22:33:44:55"}]},
            "data": [{"type": "other"}, {"type": "status", "newStatus": {"connectionStatus": "deviceOffline"}}],
            "seen": 1_700_000_000_123i64});
        let request = RequestContext { site_id: Some("s1".into()) };
        assert_eq!(
            p.map_record(&raw, &fields, &request),
            json!({"device_id": "x", "mac_address": "00:11:22:33:44:55", "type": "camera", "site_id": "s1",
                "status": "offline", "last_seen": "2023-11-14T22:13:20.123Z"})
        );
        // Values the vocabulary or the format does not know pass through, for the schema to see.
        let odd = json!({"id": "y", "data": [{"type": "status", "newStatus": {"connectionStatus": "up"}}], "seen": "yesterday"});
        let mapped = p.map_record(&odd, &fields, &request);
        assert_eq!(mapped["status"], "up");
        assert_eq!(mapped["last_seen"], "yesterday");
        let unmatched = p.unmatched(&[json!({"id": "z"})], &fields, &request);
        assert!(
            unmatched.iter().any(|(f, at)| f == "mac_address" && at.contains("/networkInfo/adapters/0/macAddress"))
        );
    }

    #[test]
    fn errors_in_a_200_body_are_read() {
        let flag = BodyErrors { flag: "/error".into(), ok: vec![], message: Some("/errorMsg".into()) };
        assert_eq!(flag.error_in(&json!({"error": true, "errorMsg": "bad key"})), Some("bad key".into()));
        assert_eq!(flag.error_in(&json!({"error": false})), None);
        assert_eq!(flag.error_in(&json!({"data": 1})), None);
        let code = BodyErrors { flag: "/code".into(), ok: vec![json!("0")], message: Some("/msg".into()) };
        assert_eq!(code.error_in(&json!({"code": "0"})), None);
        assert_eq!(code.error_in(&json!({"code": "VMS001", "msg": "no"})), Some("no".into()));
    }

    #[test]
    fn a_profile_that_cannot_work_is_refused_naming_what_is_wrong() {
        let bad = |edit: &dyn Fn(&mut Profile)| {
            let mut p = Profile::default();
            edit(&mut p);
            format!("{:#}", p.validate().unwrap_err())
        };
        assert!(bad(&|p| p.pagination.kind = PagingKind::Cursor).contains("token_param"));
        assert!(
            bad(&|p| {
                p.inventory[0].fields.remove("device_id");
            })
            .contains("`inventory[0].fields` has no `device_id`")
        );
        assert!(bad(&|p| p.sites.list = "sites".into()).contains("not a JSON Pointer"));
        assert!(bad(&|p| p.inventory.clear()).contains("no endpoint"));
    }

    #[test]
    fn the_canonical_profile_states_the_contracts_webhook_shapes_which_are_also_the_defaults() {
        let p = Profile::default();
        assert_eq!(p.webhooks.api(), suites::WebhookApi::canonical());
        assert_eq!(p.webhooks.catalogue, suites::CatalogueShape::canonical());
        assert_eq!(p.webhooks.catalogue_path(), "/api/v1/event-types");
        // A profile that states only the paths (cursor.toml) gets the contract's shapes.
        let cursor = Profile::builtin("cursor").unwrap();
        assert_eq!(cursor.webhooks.api(), p.webhooks.api());
    }

    #[test]
    fn webhook_shapes_of_other_vendors_parse_and_map_the_catalogue() {
        let text = BUILTIN[0].1.replace(
            "[webhooks.create]\nbody = { name = \"{name}\", target_url = \"{target_url}\", status = \"active\" }",
            "[webhooks.create]\nbody = { name = \"{name}\", url = \"{target_url}\", sharedSecret = \"{secret}\" }",
        );
        let text = text.replace("secret = \"/secret\"", "").replace("list = \"/event_types\"", "list = \"\"");
        let text = text.replace("event_type = \"/event_type\"", "event_type = \"/alertType\"");
        let mut p = Profile::parse(&text).unwrap();
        assert!(p.webhooks.api().integrator_secret());
        p.vocabulary.event_type.insert("deviceDown".into(), "health".into());
        assert_eq!(
            p.map_catalogue(json!([{"alertType": "deviceDown", "description": "d"}])),
            json!({"event_types": [{"event_type": "health", "description": "d"}]})
        );
    }

    #[test]
    fn webhook_shapes_that_cannot_work_are_refused() {
        let bad = |edit: &dyn Fn(&mut Profile)| {
            let mut p = Profile::default();
            edit(&mut p);
            format!("{:#}", p.validate().unwrap_err())
        };
        assert!(bad(&|p| p.webhooks.create.secret = None).contains("no `secret` pointer"));
        assert!(
            bad(&|p| p.webhooks.create.id = "id".into()).contains("`webhooks.create.id` = `id` is not a JSON Pointer")
        );
        assert!(bad(&|p| p.webhooks.list.list = "results".into()).contains("webhooks.list.list"));
        assert!(bad(&|p| p.webhooks.catalogue.event_type = "type".into()).contains("webhooks.catalogue.event_type"));
        assert!(bad(&|p| p.webhooks.create.body = json!("x")).contains("JSON object"));
    }

    #[test]
    fn the_default_profile_round_trips_through_toml() {
        let p = Profile::default();
        let text = toml::to_string(&p).unwrap();
        assert_eq!(toml::from_str::<Profile>(&text).unwrap(), p);
        let missing = toml::from_str::<Profile>("name = \"x\"").unwrap_err().to_string();
        assert!(missing.contains("missing field"), "{missing}");
    }
}
