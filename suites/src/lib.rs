//! The conformance checks: metadata, the context they run in, outcomes with evidence, and one
//! catalogue that lists every check.
//!
//! This crate knows nothing of HTTP clients, servers or the CLI: the vendor API, the webhook
//! inbox and the trigger are traits ([`VendorApi`], [`Inbox`], [`Trigger`]) that `harness`
//! implements. Adding a check is one async function plus one line in [`CHECKS`].

#[macro_use]
mod macros;

pub mod act;
pub mod attempts;
pub mod auth;
pub mod consumer;
pub mod context;
pub mod delivery;
pub mod events;
pub mod fallback;
pub mod meta;
pub mod outcome;
pub mod pagination;
pub mod redact;
pub mod replay;
pub mod schema;
pub mod sync;
pub mod webhooks;

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

/// The vendor's webhook API as the boundary describes it (`suites::webhook_api::...` stays a path).
pub use context::webhook_api;
pub use context::{
    Action, Answer, ApiError, ApiErrorKind, AuthKind, Blame, Budgets, Collection, Context, Declared, Delivery,
    Endpoints, Fetch, Fetched, GONE_PATH, Inbox, Listed, Listing, PageAnswer, PageAsk, PageSeen, PageVisitor, Paging,
    PagingKind, Probe, ProbeAuth, REDIRECT_PATH, ReceiverAnswer, RegisteredWebhook, SizeLimits, TokenKit, Trigger,
    TriggerError, VendorApi, Verification, Walk, WalkEnd, WebhookSetup, encode_segment,
};
pub use meta::{CheckMeta, Level, Need};
pub use outcome::{Evidence, Exchange, Finding, NOT_APPLICABLE, Outcome, Status, TokenView};
pub use sync::InventorySync;
pub use webhook_api::{CatalogueShape, CreateShape, CreatedWebhook, ListShape, ListedWebhook, WebhookApi};

/// A check's body: borrows the run's context, resolves to the outcome.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;
pub type CheckFn = for<'a> fn(&'a Context) -> CheckFuture<'a>;

/// One check: its metadata and its body.
#[derive(Clone, Copy)]
pub struct Check {
    pub meta: CheckMeta,
    pub run: CheckFn,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("meta", &self.meta).finish_non_exhaustive()
    }
}

/// Suites in the order they run and are reported.
pub const SUITES: &[(&str, &str)] = &[
    ("schema", "Account, sites and inventory records against the contract's schemas (one full sync)"),
    ("pagination", "Page walks of sites and every site's inventory: completeness, totals, bad parameters, order"),
    ("auth", "Bearer tokens: valid ones work everywhere, crafted ones are refused; tenancy between accounts"),
    ("webhooks", "Webhook management: create, list, delete, target validation, ping"),
    ("replay", "Delivery signatures and timestamps, and the harness receiver's own replay protection"),
    ("delivery", "At-least-once delivery: retries, idempotent event ids, backoff and status handling"),
    ("events", "Event envelopes and families, the event catalogue, ids that resolve to inventory"),
    ("fallback", "Bootstrap, outage reconcile, late and replayed events, partial coverage"),
];

/// The optional capabilities a vendor declares in `vendor.toml` `[capabilities] declared`, with the
/// CONTRACT.md requirement each stands for. The one list of valid names: configuration is
/// validated against it and every check's `capability` is one of them.
pub const CAPABILITIES: &[(&str, &str)] = &[
    ("webhook-management", "WHM-1: create, list and delete webhooks"),
    ("ping", "WHM-4: POST /webhooks/{id}/ping sends a test delivery"),
    ("event-types", "EVT-5: the event catalogue, GET /event-types"),
    ("secret-rotation", "SIG-4: POST /webhooks/{id}/rotate-secret"),
];

/// Words a not-applicable SKIP's reason carries when part of a capability found by discovery
/// (not declared) is not offered; the runner then reports the capability as partial.
pub const FOUND_BY_DISCOVERY: &str = "found by discovery, not declared";

/// The event families a vendor declares in `[capabilities] event_families` (EVT-1, EVT-4).
pub const EVENT_FAMILIES: &[&str] = &["health", "alarm", "access", "video"];

/// Each suite's checks, in [`SUITES`] order.
const SUITE_CHECKS: &[&[Check]] = &[
    schema::CHECKS,
    pagination::CHECKS,
    auth::CHECKS,
    webhooks::CHECKS,
    replay::CHECKS,
    delivery::CHECKS,
    events::CHECKS,
    fallback::CHECKS,
];

/// Every check, in run order.
static CHECKS: LazyLock<Vec<Check>> = LazyLock::new(|| SUITE_CHECKS.iter().flat_map(|c| c.iter().copied()).collect());

static METAS: LazyLock<Vec<CheckMeta>> = LazyLock::new(|| CHECKS.iter().map(|c| c.meta).collect());

/// Every check's metadata, in run order: the source of `harness list` and `suites/CHECKS.md`.
pub fn catalogue() -> &'static [CheckMeta] {
    &METAS
}

/// Every check, with its body.
pub fn checks() -> &'static [Check] {
    &CHECKS
}

/// The check with this id.
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.meta.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogue_is_well_formed() {
        let mut ids = BTreeSet::new();
        for meta in catalogue() {
            assert!(ids.insert(meta.id), "duplicate check id {}", meta.id);
            assert!(meta.id.starts_with(&format!("{}.", meta.suite)), "{} is not in suite {}", meta.id, meta.suite);
            assert!(SUITES.iter().any(|(s, _)| *s == meta.suite), "{}: unknown suite {}", meta.id, meta.suite);
            assert!(!meta.requirements.is_empty(), "{} cites no requirement", meta.id);
            for req in meta.requirements {
                let (prefix, n) = req.split_once('-').unwrap_or_else(|| panic!("{}: bad requirement {req}", meta.id));
                assert!(prefix.chars().all(|c| c.is_ascii_uppercase()) && n.parse::<u32>().is_ok(), "{req}");
            }
            assert!(!meta.title.ends_with('.'), "{}: titles have no trailing period", meta.id);
            for req in meta.requirements {
                assert!(contract::requirements::get(req).is_some(), "{}: `{req}` is not in CONTRACT.md", meta.id);
            }
            if let Some(cap) = meta.capability {
                assert!(CAPABILITIES.iter().any(|(c, _)| *c == cap), "{}: unknown capability `{cap}`", meta.id);
            }
        }
    }
}
