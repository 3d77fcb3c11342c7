//! The conformance checks: metadata, the context they run in, outcomes with evidence, and one
//! catalogue that lists every check.
//!
//! This crate knows nothing of HTTP clients, servers or the CLI: the vendor API, the webhook
//! inbox and the trigger are traits ([`VendorApi`], [`Inbox`], [`Trigger`]) that `harness`
//! implements. Adding a check is one async function plus one line in [`CHECKS`].

pub mod context;
pub mod meta;
pub mod outcome;
pub mod schema;
pub mod sync;

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

pub use context::{
    Action, ApiError, ApiErrorKind, Blame, Budgets, Context, Declared, Delivery, Fetched, Inbox, Listed, Listing,
    ReceiverAnswer, Trigger, TriggerError, VendorApi, Verification,
};
pub use meta::{CheckMeta, Level, Need};
pub use outcome::{Evidence, Exchange, Finding, Outcome, Status, TokenView};
pub use sync::InventorySync;

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
pub const SUITES: &[(&str, &str)] =
    &[("schema", "Account, sites and inventory records against the contract's schemas (one full sync)")];

/// One catalogue line: `check!(body, id, suite, LEVEL, [requirements], title)`.
macro_rules! check {
    ($body:path, $id:literal, $suite:literal, $level:ident, [$($req:literal),+], $title:literal $(, capability = $cap:literal)? $(, needs = [$($need:ident),*])?) => {
        Check {
            meta: CheckMeta {
                id: $id,
                suite: $suite,
                level: Level::$level,
                requirements: &[$($req),+],
                title: $title,
                capability: check!(@cap $($cap)?),
                needs: &[$($(Need::$need),*)?],
            },
            run: {
                fn run(cx: &Context) -> CheckFuture<'_> {
                    Box::pin($body(cx))
                }
                run
            },
        }
    };
    (@cap) => { None };
    (@cap $cap:literal) => { Some($cap) };
}

/// Every check, in run order.
pub static CHECKS: &[Check] = &[
    check!(
        schema::account,
        "schema.account",
        "schema",
        Must,
        ["ACC-1"],
        "The account endpoint returns the credential's account with `account_id` and `name`"
    ),
    check!(
        schema::json_content_type,
        "schema.json-content-type",
        "schema",
        Must,
        ["ACC-1", "SITE-1", "INV-1"],
        "Successful answers are labelled `Content-Type: application/json`"
    ),
    check!(
        schema::sites,
        "schema.sites",
        "schema",
        Must,
        ["SITE-1"],
        "Every site has `site_id`, `name` and a location descriptor; site ids are unique"
    ),
    check!(
        schema::site_location,
        "schema.site-location",
        "schema",
        Should,
        ["SITE-2"],
        "Every site has an address or coordinates, and an IANA time zone"
    ),
    check!(
        schema::device_fields,
        "schema.device-fields",
        "schema",
        Must,
        ["INV-1"],
        "Every device has a unique `device_id`, `name`, `type` and `site_id`"
    ),
    check!(
        schema::device_status,
        "schema.device-status",
        "schema",
        Must,
        ["INV-2", "FB-4"],
        "Every device carries its latest `status` in the canonical vocabulary"
    ),
    check!(
        schema::mac_address,
        "schema.mac-address",
        "schema",
        Should,
        ["INV-3"],
        "MAC addresses are written like `00:0f:e5:14:b2:1e`"
    ),
    check!(
        schema::optional_fields,
        "schema.optional-fields",
        "schema",
        May,
        ["INV-4"],
        "Optional device fields (`ip`, `last_seen`, ...) are well-formed when present"
    ),
    check!(
        schema::parent_ids,
        "schema.parent-ids",
        "schema",
        May,
        ["INV-4"],
        "Every `parent_id` names a device of the same account"
    ),
    check!(
        schema::device_site,
        "schema.device-site",
        "schema",
        Must,
        ["INV-5"],
        "A device listed under site S carries `site_id` S"
    ),
    check!(
        schema::stable_ids,
        "schema.stable-ids",
        "schema",
        Must,
        ["ID-1"],
        "Account, site and device ids are the same on two syncs"
    ),
    check!(
        schema::uuid_ids,
        "schema.uuid-ids",
        "schema",
        Should,
        ["ID-2"],
        "Account, site and device ids are UUID-shaped"
    ),
];

static METAS: LazyLock<Vec<CheckMeta>> = LazyLock::new(|| CHECKS.iter().map(|c| c.meta).collect());

/// Every check's metadata, in run order: the source of `harness list` and `suites/CHECKS.md`.
pub fn catalogue() -> &'static [CheckMeta] {
    &METAS
}

/// Every check, with its body.
pub fn checks() -> &'static [Check] {
    CHECKS
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
        }
    }
}
