//! The fallback suite (FB-1 … FB-4, INV-2): what keeps an integrator correct when webhooks are
//! absent, late, replayed or lost, judged by running the reference consumer ([`crate::consumer`])
//! against the vendor.
//!
//! - **Bootstrap (FB-1).** The runner registers the run's webhook before any check, so the run's
//!   own account cannot show the bootstrapping state without deleting and re-creating that
//!   webhook mid-run (which would also break the other event checks' deliveries). The check
//!   therefore syncs an account that has no webhook: the configured second account (`cx.second`,
//!   for which the run registers nothing), after listing its webhooks to confirm there are none;
//!   without a second account, the run's own account when it has no webhook (no event check was
//!   selected, so none was registered). A vendor whose inventory waits for a webhook
//!   (`sync-needs-webhook`) answers that sync with an error, which is what FB-1 forbids.
//! - **Outage and reconcile (FB-3, INV-2).** The receiver refuses connections, a device changes
//!   status, and polling the device's site must show the change; after recovery the missed event
//!   is fed to the consumer too (its arrival is reported here and judged by the delivery suite,
//!   DLV-5), and the consumer must hold the new status.
//! - **Late and replayed events (FB-2, EVT-2).** The receiver answers 500 while one device
//!   changes twice, so both events are retried. Every attempt of an event must carry the same
//!   `event_id` and `timestamp` (the change's time, not the send time), the two timestamps must
//!   order the changes, and the consumer fed the events newest-first, as a late retry or a replay
//!   delivers them, must still end at the newest status.
//! - **Partial coverage (FB-4, INV-2).** A device of a type that publishes no events changes
//!   status, and polling alone must show it.
//!
//! Cut by job: `bootstrap` (FB-1), `poll` (what the other checks share), `reconcile` (FB-3), `late`
//! (FB-2), `partial` (FB-4); this file holds the requirement texts and `CHECKS`.

mod bootstrap;
mod late;
mod partial;
mod poll;
mod reconcile;

pub use bootstrap::bootstrap;
pub use late::late_events;
pub use partial::partial_coverage;
pub use reconcile::reconcile;

use crate::Check;

/// What each fallback requirement asks, quoted by the FAILs that enforce it.
const FB_1: &str =
    "FB-1: \"Empty/bootstrapping state: a full inventory sync works before any webhook exists or has been delivered\"";
const FB_2: &str = "FB-2: \"Webhook delays: timestamps and stable event ids let the integrator dedupe and order late or replayed events (latest `timestamp` wins)\"";
const FB_3: &str = "FB-3: \"Temporary webhook outage: a status change that happened while the receiver was down is visible by polling inventory (reconcile)\"";
const FB_4: &str =
    "FB-4: \"Partial coverage: devices whose class cannot publish events still have their latest status in inventory\"";
const INV_2: &str = "INV-2: \"Inventory reflects each device's latest known `status`\"";

/// The fallback suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        bootstrap,
        "fallback.bootstrap",
        "fallback",
        Must,
        ["FB-1"],
        "A full inventory sync works for an account with no webhook"
    ),
    check!(
        reconcile,
        "fallback.reconcile",
        "fallback",
        Must,
        ["FB-3", "INV-2"],
        "A status change during a receiver outage is visible by polling inventory",
        needs = [Inbox, Trigger]
    ),
    check!(
        late_events,
        "fallback.late-events",
        "fallback",
        Must,
        ["FB-2", "EVT-2"],
        "Retried events keep their id and change time, so late or replayed events never undo a newer status",
        needs = [Inbox, Trigger]
    ),
    check!(
        partial_coverage,
        "fallback.partial-coverage",
        "fallback",
        Must,
        ["FB-4", "INV-2"],
        "A device whose type publishes no events still shows its latest status in inventory",
        needs = [Trigger]
    ),
];
