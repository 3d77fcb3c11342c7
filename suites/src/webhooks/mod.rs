//! The webhook management suite (WHM-1 … WHM-4): create, list, delete, target validation, ping.
//!
//! Each check creates the webhooks it needs, at its own path under the receiver's URL
//! (`…/webhook/whm-<check>-<n>`), so their deliveries are told apart from the run's webhook by
//! [`Delivery::path`](crate::Delivery::path), and deletes them again whatever the outcome. A
//! created webhook's secret goes to the receiver (so a delivery to it verifies and is answered
//! once, not retried) and nowhere else: every exchange kept as evidence has every `secret` value
//! redacted, including secrets of other webhooks a faulty list shows.
//!
//! Requests and answers go through the vendor's [`WebhookApi`](crate::WebhookApi) (its profile's
//! create template, answer and list pointers, delete and ping requests): the checks never use the
//! contract's field names, never send a value neither the contract nor the profile defines, and
//! never judge a webhook's status word (`active` is the one value the contract defines; others are
//! the vendor's own, WHM-2).
//!
//! Cut by job: `created` (the webhooks a check makes and deletes again), `create_list` (WHM-1,
//! WHM-2's create and list), `delete` (WHM-2's deletes), `target` (WHM-3), `ping` (WHM-4); this
//! file holds the requirement texts and `CHECKS`.

mod create_list;
mod created;
mod delete;
mod ping;
mod target;

pub use create_list::create_list;
pub use created::target_under;
pub use delete::{delete_stops_deliveries, delete_twice};
pub use ping::ping;
pub use target::{METADATA_TARGET, target_validation};

use crate::Check;

/// What WHM-2 asks of create and list, quoted in every failure of them.
const WHM2_CREATE: &str =
    "WHM-2: \"Create returns a new `webhook_id` and a `secret`; list shows the webhook without its secret\"";
/// What WHM-2 asks of a delete.
const WHM2_DELETE: &str = "WHM-2: \"delete removes it and deliveries to it stop\"";
/// What WHM-2 asks of a second delete.
const WHM2_TWICE: &str = "WHM-2: \"Deleting twice gives 404 (or 204), never a 5xx\"";
/// What WHM-3 asks.
const WHM3: &str = "WHM-3: \"`target_url` is validated: ... no link-local/metadata or private addresses ... a target such as `http://169.254.169.254/latest/meta-data` is refused with a 4xx\"";
/// What WHM-4 asks.
const WHM4: &str =
    "WHM-4: \"`POST /api/v1/webhooks/{webhook_id}/ping` sends one signed test delivery (`event_type` `ping`) now\"";

/// What WHM-1 asks: the endpoints, all of them; WHM-2 binds a vendor that offers them.
const WHM1: &str = "WHM-1: \"The three endpoints exist\"";

/// The webhooks suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        create_list,
        "webhooks.create-list",
        "webhooks",
        Must,
        ["WHM-1", "WHM-2"],
        "A created webhook gets an id and a secret, and the list shows it without any secret",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        delete_stops_deliveries,
        "webhooks.delete",
        "webhooks",
        Must,
        ["WHM-2"],
        "A deleted webhook leaves the list and receives no further deliveries",
        capability = "webhook-management",
        needs = [Inbox, Trigger]
    ),
    check!(
        delete_twice,
        "webhooks.delete-twice",
        "webhooks",
        Must,
        ["WHM-2"],
        "Deleting a deleted webhook answers 404 (or 204), never a 5xx",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        target_validation,
        "webhooks.target-validation",
        "webhooks",
        Should,
        ["WHM-3"],
        "A link-local (cloud metadata) target URL is refused with a 4xx",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        ping,
        "webhooks.ping",
        "webhooks",
        Should,
        ["WHM-4"],
        "Ping makes the vendor deliver a `ping` event now",
        capability = "ping",
        needs = [Inbox]
    ),
];
