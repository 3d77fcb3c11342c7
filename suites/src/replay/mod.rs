//! The replay suite (SIG-1 … SIG-4, RPL-1).
//!
//! The vendor's side: every delivery is signed per the declared format over its raw bytes and
//! carries a timestamp near the receiver's clock; the timestamp is bound into the signature;
//! each webhook has its own secret. The harness's side: its own receiver meets RPL-1, shown by
//! self-checks that replay a captured delivery (as is, with a fresh timestamp, ten at once, with
//! a stale or future timestamp, altered by a byte). The self-checks judge the harness, not the
//! vendor: no vendor behaviour can make them fail, and the fault table says so.
//!
//! A check never holds the run's webhook secret: the receiver verifies, and
//! [`Inbox::verify_with`](crate::Inbox::verify_with) asks it to verify a recorded delivery again another way.
//!
//! Cut by job: `event` (the deliveries of one event the checks share), `signed` (how each
//! delivery's signature stands), `signature` (SIG-1 … SIG-3), `secrets` (SIG-4), `receiver`
//! (RPL-1's self-checks); this file holds the format helpers and `CHECKS`.

mod event;
mod receiver;
mod secrets;
mod signature;
mod signed;
#[cfg(test)]
mod tests;

pub use receiver::{receiver_dedupes, receiver_raw_bytes, receiver_window};
pub use secrets::distinct_secrets;
pub use signature::{signature, timestamp, timestamp_bound};

use contract::SignatureFormat;

use crate::Check;
use crate::context::Context;
use crate::outcome::Outcome;

fn format_of(cx: &Context) -> Result<&SignatureFormat, Outcome> {
    cx.signature.as_ref().ok_or_else(|| Outcome::error("the run has no signature format (a harness bug)"))
}

/// The declared format in words: `X-Webhook-Signature: sha256=<sig>`, hex HMAC-SHA256 over `{ts}.{body}`.
fn describe_format(format: &SignatureFormat) -> String {
    format!(
        "`{}: {}`, the {} HMAC-SHA256 keyed by the webhook's secret over `{}`",
        format.header,
        format.value_template.replace("{sig}", "<sig>").replace("{ts}", "<ts>"),
        format.encoding,
        format.signed_content
    )
}

/// The replay suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        signature,
        "replay.signature",
        "replay",
        Must,
        ["SIG-1"],
        "Every delivery carries a signature that verifies with the webhook's secret over the raw body",
        needs = [Inbox, Trigger],
        whole_run = true
    ),
    check!(
        timestamp,
        "replay.timestamp",
        "replay",
        Must,
        ["SIG-2"],
        "Every delivery carries a timestamp within 300 s of the receiver's clock",
        needs = [Inbox, Trigger],
        whole_run = true
    ),
    check!(
        timestamp_bound,
        "replay.timestamp-bound",
        "replay",
        Should,
        ["SIG-3"],
        "The signature covers the timestamp, so a replay with a fresh timestamp does not verify",
        needs = [Inbox, Trigger]
    ),
    check!(
        distinct_secrets,
        "replay.distinct-secrets",
        "replay",
        Should,
        ["SIG-4"],
        "A newly created webhook gets a secret of its own",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_dedupes,
        "replay.receiver-dedupes",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver processes a replayed `event_id` once: as captured, with a fresh timestamp, ten at once",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_window,
        "replay.receiver-window",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver refuses a captured delivery with a stale or future timestamp",
        needs = [Inbox, Trigger]
    ),
    check!(
        receiver_raw_bytes,
        "replay.receiver-raw-bytes",
        "replay",
        Must,
        ["RPL-1"],
        "The harness receiver verifies the raw bytes: altered copies of a delivery are refused",
        needs = [Inbox, Trigger]
    ),
];
