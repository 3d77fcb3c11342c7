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
//!
//! One job per file: `endpoints` (record and list endpoints, errors in 2xx bodies), `paging`
//! (the pagination kinds), `fields` (field rules as TOML writes them and as they are read),
//! `mapping` (vendor JSON onto canonical JSON), `auth`, `webhooks` (the management API and the
//! catalogue), `validate` (what the types cannot refuse); here the whole profile and the
//! shipped ones.

use std::sync::LazyLock;

use contract::{Scheme, SignatureFormat};
use serde::{Deserialize, Serialize};
use suites::{Paging, SizeLimits};

#[macro_use]
mod shared_keys;
mod auth;
mod endpoints;
mod fields;
mod mapping;
mod paging;
mod validate;
mod webhooks;

pub use auth::AuthProfile;
pub use endpoints::{BodyErrors, ListEndpoint, ParamLocation, RecordEndpoint};
pub use fields::{
    ArrayElement, FieldMap, FieldRule, FieldSource, FieldSpec, RawFieldRule, RawFieldSpec, RequestContext,
    RequestValue, TimestampFormat, Vocabularies, VocabularyName,
};
pub use paging::{PaginationProfile, PastEnd};
pub use webhooks::WebhookEndpoints;

/// The built-in profiles, by name: the canonical shape and the mock vendor's other shapes.
pub const BUILTIN: &[(&str, &str)] = &[
    ("canonical", include_str!("../../profiles/canonical.toml")),
    ("cursor", include_str!("../../profiles/cursor.toml")),
    ("link", include_str!("../../profiles/link.toml")),
];

static CANONICAL: LazyLock<Profile> =
    LazyLock::new(|| Profile::parse(BUILTIN[0].1).expect("profiles/canonical.toml is a valid profile"));

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

    /// A built-in profile's TOML by name, for a profile that starts from it.
    pub fn builtin_text(name: &str) -> String {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, text)| (*text).to_owned()).unwrap_or_default()
    }

    /// A built-in profile by name (`canonical`, `cursor`, `link`).
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, text)| {
            Self::parse(text).unwrap_or_else(|e| panic!("profiles/{n}.toml is not a valid profile: {e:#}"))
        })
    }

    /// The signature format deliveries are verified with.
    pub fn signature_format(&self, scheme: Scheme) -> SignatureFormat {
        self.signature.clone().unwrap_or_else(|| SignatureFormat::canonical(scheme))
    }

    /// The pagination as checks see it.
    pub fn paging(&self) -> Paging {
        let p = &self.pagination;
        let kind = p.kind();
        let [_, _, total_pages, total_count] = p.block();
        // A union's walk asks every endpoint for the same size: the tightest maximum bounds it.
        let parts: Vec<SizeLimits> = self.inventory.iter().map(|e| p.limits_of(e)).collect();
        let inventory_limits = SizeLimits {
            max: parts.iter().filter_map(|l| l.max).min(),
            default: parts.first().and_then(|l| l.default),
            // ...and the largest minimum.
            min: parts.iter().filter_map(|l| l.min).max(),
        };
        Paging {
            kind,
            size_param: p.size_param().cloned(),
            size_default: p.size(),
            position_param: p.position_param().cloned(),
            total_count: total_count.is_some(),
            total_pages: total_pages.is_some(),
            sites_limits: p.limits_of(&self.sites),
            inventory_limits,
            keyset_past_end: p.past_end().is_some(),
        }
    }
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
mod tests;
