//! Producing events: device status changes and the other families, with the event faults.

use contract::{DeviceStatus, Event, EventData, EventFamily, HealthData};
use serde_json::{Value, json};

use crate::delivery;
use crate::fault::Fault;
use crate::state::{AppState, DeliveryRec, DeliveryState};

/// What the control API answers after a change.
#[derive(Debug, serde::Serialize)]
pub struct Emitted {
    pub device_id: String,
    pub event_ids: Vec<String>,
}

/// Sets a device's status: inventory and `last_seen` change (INV-2) and a health event goes out
/// (EVT-1) when the device's kind publishes events.
pub fn set_status(state: &AppState, device: u32, status: DeviceStatus) -> Emitted {
    let (account, previous, publishes, device_id) = {
        let mut fleet = state.fleet.write().expect("fleet lock");
        state.fleet_generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let account = fleet.account_of_device(device);
        state.blocks.device_changed(fleet.devices[device as usize].site, device);
        let rec = &mut fleet.devices[device as usize];
        let previous = rec.live;
        rec.live = status;
        let publishes = rec.kind.publishes_events();
        let frozen = state.has(Fault::StaleInventory) || (!publishes && state.has(Fault::PartialCoverageStale));
        if !frozen {
            rec.status = status;
            rec.last_seen_ms = contract::unix_now_ms();
        }
        (account, previous, publishes, rec.id.to_string())
    };
    let mut event_ids = Vec::new();
    if publishes && previous != status && !state.has(Fault::NoHealthEvents) {
        let data = EventData::Health(HealthData { status, previous_status: Some(previous), reason: None });
        event_ids.extend(emit(state, account, Some(device), &data, None));
    }
    Emitted { device_id, event_ids }
}

/// Emits an event of any family for a device (the control API and the simulation).
pub fn emit_for_device(state: &AppState, device: u32, data: &EventData) -> Emitted {
    let (account, publishes, device_id) = {
        let fleet = state.fleet.read().expect("fleet lock");
        let rec = &fleet.devices[device as usize];
        (fleet.account_of_device(device), rec.kind.publishes_events(), rec.id.to_string())
    };
    let extra = !matches!(data.family(), EventFamily::Health | EventFamily::Ping);
    let mut event_ids = Vec::new();
    if publishes && !(extra && state.has(Fault::NoExtraFamilies)) {
        event_ids.extend(emit(state, account, Some(device), data, None));
    }
    Emitted { device_id, event_ids }
}

fn utc_plus_two(unix_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+2));
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+02:00"
    ))
    .expect("a date formats")
}

/// Builds the event, stores one delivery per target webhook and starts delivering. `only` limits
/// delivery to one webhook (ping). Returns the event id (absent under `missing-event-id`).
pub fn emit(
    state: &AppState,
    account: u16,
    device: Option<u32>,
    data: &EventData,
    only: Option<&str>,
) -> Option<String> {
    let now = contract::unix_now_ms();
    let (device_ids, account_id) = {
        let fleet = state.fleet.read().expect("fleet lock");
        let ids = device.map(|d| {
            let rec = &fleet.devices[d as usize];
            // Under `non-uuid-ids` events name a device as inventory serves it, so they still
            // resolve to it (EVT-6) and only ID-2 is broken.
            let id = if state.has(Fault::NonUuidIds) { format!("dev-{d}") } else { rec.id.to_string() };
            (id, fleet.sites[rec.site as usize].id.to_string())
        });
        (ids, fleet.accounts[account as usize].id.to_string())
    };
    let extra = !matches!(data.family(), EventFamily::Health | EventFamily::Ping);
    let reused = (extra && state.has(Fault::ReusedEventId)).then(|| previous_event_id(state, account)).flatten();
    let event_id = match (&device_ids, state.has(Fault::DuplicateEventIds), &reused) {
        (_, _, Some(previous)) => previous.clone(),
        // One id per device, whatever the event: distinct events collide.
        (Some((d, _)), true, _) => format!("{}-0000-4000-8000-{}", &d[..8], &d[24..]),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let device_ref = device_ids.as_ref().map(|(d, s)| (d.as_str(), s.as_str()));
    let mut event = Event::new(event_id.clone(), contract::rfc3339_millis(now), account_id, device_ref, data);
    if state.has(Fault::EventNonUtcTimestamp) {
        event.timestamp = utc_plus_two(now);
    }
    if state.has(Fault::EventUnknownDevice) && event.device_id.is_some() {
        event.device_id = Some(uuid::Uuid::new_v4().to_string());
    }
    if (state.has(Fault::EventMissingSiteId) && data.family().is_device_event()) || reused.is_some() {
        event.site_id = None;
    }
    let own_data = state.config.variations.family_data.data(data.family());
    let body = if state.has(Fault::MissingEventId) || own_data.is_some() {
        let mut value: Value = serde_json::to_value(&event).expect("events serialise");
        if state.has(Fault::MissingEventId) {
            value.as_object_mut().expect("object").remove("event_id");
        }
        if let Some(own) = own_data {
            value["data"] = own;
        }
        serde_json::to_vec(&value).expect("events serialise")
    } else {
        body_of(&event)
    };
    let body = bytes::Bytes::from(body);
    let targets: Vec<_> = {
        let hooks = state.webhooks.lock().expect("webhooks lock");
        // One webhook asked for (a ping, the bench's round robin at 1,000 webhooks): found
        // through the index, not by comparing every webhook's id.
        let candidates: Vec<usize> = match only {
            Some(id) => state.webhook_position(&hooks, id).into_iter().collect(),
            None => (0..hooks.len()).collect(),
        };
        candidates
            .into_iter()
            .filter(|&i| hooks[i].account == account)
            .filter(|&i| hooks[i].status == contract::WebhookStatus::Active)
            .filter(|&i| !hooks[i].deleted || state.has(Fault::DeliverAfterDelete))
            .map(|i| (hooks[i].id.clone(), i))
            .collect()
    };
    for (webhook_id, position) in targets {
        let delivery_id = {
            let mut deliveries = state.deliveries.lock().expect("deliveries lock");
            let id = state.next_delivery_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            deliveries.push(DeliveryRec {
                delivery_id: id,
                webhook_id: webhook_id.clone(),
                event_id: (!state.has(Fault::MissingEventId)).then(|| event_id.clone()),
                event_type: event.event_type.clone(),
                device_id: event.device_id.clone(),
                created_ms: now,
                state: DeliveryState::Pending,
                attempts: Vec::new(),
                body: body.clone(),
            });
            id
        };
        tokio::spawn(delivery::deliver(state.clone(), delivery_id, position));
    }
    (!state.has(Fault::MissingEventId)).then_some(event_id)
}

/// An event's body, rendered straight from the event (no `Value` built and walked again, once
/// per event at the pipeline's rate), byte for byte what `serde_json::to_vec` of its `Value` is:
/// the same fields in the same (sorted) order.
fn body_of(event: &Event) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Sorted<'a> {
        account_id: &'a str,
        data: &'a Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        device_id: Option<&'a str>,
        event_id: &'a str,
        event_type: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        site_id: Option<&'a str>,
        timestamp: &'a str,
    }
    let Event { event_id, event_type, device_id, timestamp, account_id, site_id, data } = event;
    let sorted = Sorted {
        account_id,
        data,
        device_id: device_id.as_deref(),
        event_id,
        event_type,
        site_id: site_id.as_deref(),
        timestamp,
    };
    serde_json::to_vec(&sorted).expect("events serialise")
}

/// The id of the account's latest event (pings aside), for `reused-event-id`: a later, different
/// event under it is hidden from anyone who judges one delivery per `event_id`.
fn previous_event_id(state: &AppState, account: u16) -> Option<String> {
    let hooks: Vec<String> = state
        .webhooks
        .lock()
        .expect("webhooks lock")
        .iter()
        .filter(|w| w.account == account)
        .map(|w| w.id.clone())
        .collect();
    let deliveries = state.deliveries.lock().expect("deliveries lock");
    deliveries.iter().rev().find(|d| d.event_type != "ping" && hooks.contains(&d.webhook_id))?.event_id.clone()
}

/// Default data for a family when the control API names only the type.
pub fn default_data(family: EventFamily) -> Value {
    match family {
        EventFamily::Health => json!({"status": "offline"}),
        EventFamily::Alarm => {
            json!({"condition": "intrusion", "state": "active", "severity": "major", "zone": "Zone 1"})
        }
        EventFamily::Access => json!({"action": "door_forced"}),
        EventFamily::Video => json!({"condition": "stream_loss", "state": "active"}),
        EventFamily::Ping => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_rendered_straight_is_the_bytes_of_its_value() {
        let alarm = EventData::Alarm(contract::AlarmData {
            condition: "intrusion".into(),
            state: contract::ConditionState::Active,
            severity: None,
            zone: Some("Zone \"1\" é".into()),
        });
        let ping = EventData::Ping(contract::PingData { message: None });
        let device = Some(("0b7a6c1e-1111-4222-8333-444455556666", "5c1d2e3f-1111-4222-8333-444455556666"));
        for (device, data) in [(device, &alarm), (None, &ping)] {
            let event = Event::new("e-1", "2026-12-07T01:02:03.004Z", "acc-1", device, data);
            let via_value = serde_json::to_vec(&serde_json::to_value(&event).unwrap()).unwrap();
            assert_eq!(String::from_utf8(body_of(&event)).unwrap(), String::from_utf8(via_value).unwrap());
        }
    }
}
