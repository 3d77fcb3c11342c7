//! The reference consumer's one rule, as properties: whatever order events arrive in, however
//! often they are repeated, and wherever polls fall between them, the device ends with the
//! status of the latest observation.

use proptest::prelude::*;
use serde_json::{Value, json};
use suites::consumer::{Consumer, Observed};

const D: &str = "652efeac-8567-4253-9d61-bbc842863d33";
const T0: i64 = 1_770_215_520_000;
const STATUSES: [&str; 4] = ["online", "offline", "degraded", "unknown"];

fn health(id: usize, at_ms: i64, status: &str) -> Value {
    json!({"event_id": format!("e{id}"), "event_type": "health", "device_id": D, "site_id": "s",
           "account_id": "a", "timestamp": contract::rfc3339_millis(at_ms), "data": {"status": status}})
}

fn observed(status: &str) -> Observed {
    Observed { device_id: D.into(), site_id: Some("s".into()), status: status.into() }
}

/// Distinct change times (ms after T0, some before it) with a status each.
fn changes() -> impl Strategy<Value = Vec<(i64, usize)>> {
    proptest::collection::btree_map(-5_000i64..5_000, 0..STATUSES.len(), 1..8).prop_map(|m| m.into_iter().collect())
}

/// Changes, the order they first arrive in, and repeats (retries, replays) after that.
fn deliveries() -> impl Strategy<Value = (Vec<(i64, usize)>, Vec<usize>, Vec<usize>)> {
    changes().prop_flat_map(|c| {
        let n = c.len();
        (Just(c), Just((0..n).collect::<Vec<_>>()).prop_shuffle(), proptest::collection::vec(0..n, 0..16))
    })
}

proptest! {
    #[test]
    fn the_latest_event_wins_in_any_order_with_any_repeats((changes, order, repeats) in deliveries()) {
        let events: Vec<Value> =
            changes.iter().enumerate().map(|(i, (dt, s))| health(i, T0 + dt, STATUSES[*s])).collect();
        let mut consumer = Consumer::new();
        consumer.sync(T0, [observed("online")]);
        for i in order.iter().chain(&repeats) {
            consumer.apply(&events[*i]);
        }
        let latest = changes.iter().max_by_key(|(dt, _)| *dt).unwrap();
        let expected = if latest.0 > 0 { STATUSES[latest.1] } else { "online" };
        prop_assert_eq!(consumer.status(D), Some(expected));
    }

    #[test]
    fn a_poll_counts_as_an_observation_at_its_request_time(
        changes in changes(),
        poll_at in -5_000i64..5_000,
        poll_status in 0..STATUSES.len(),
        poll_first in any::<bool>(),
    ) {
        let mut consumer = Consumer::new();
        consumer.sync(T0 - 10_000, [observed("online")]);
        let poll = |c: &mut Consumer| { c.reconcile(T0 + poll_at, [observed(STATUSES[poll_status])]); };
        if poll_first {
            poll(&mut consumer);
        }
        for (i, (dt, s)) in changes.iter().enumerate() {
            consumer.apply(&health(i, T0 + dt, STATUSES[*s]));
        }
        if !poll_first {
            poll(&mut consumer);
        }
        let latest = changes.iter().max_by_key(|(dt, _)| *dt).unwrap();
        let expected = if latest.0 >= poll_at { STATUSES[latest.1] } else { STATUSES[poll_status] };
        // A tie between an event and a poll keeps whichever came first.
        if latest.0 != poll_at {
            prop_assert_eq!(consumer.status(D), Some(expected));
        }
    }
}
