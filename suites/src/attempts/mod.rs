//! One event made to happen and every delivery attempt of it: what the replay and delivery
//! suites watch. Events come from the trigger (a device's status flips) or, when the trigger
//! cannot act, from a ping (the ping extension, WHM-4, or for a vendor without that API the
//! trigger's own ping command; CONTRACT.md §12); the receiver's answer is switched
//! around them, throw-away webhooks are registered and always deleted, and deliveries become
//! evidence that holds no secret.
//!
//! Cut by job: `produce` (one event made to happen, its attempts), `scoped` (the receiver's answer
//! switched for a scope, throw-away webhooks), `evidence` (deliveries as secret-free evidence).

mod evidence;
mod produce;
mod scoped;
#[cfg(test)]
mod tests;

pub use evidence::{count, delivery_exchange, gaps_ms, header, ms, redact, secs, shell_quote, verdict};
pub use produce::{EventOf, Produced, ping, produce, produce_first, produce_with};
pub use scoped::{Answering, TempWebhook};
