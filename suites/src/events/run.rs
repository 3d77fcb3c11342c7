//! Every authentic event of the run, judged: the envelope (EVT-2) and ids that resolve to
//! inventory (EVT-6).

use std::collections::{BTreeMap, BTreeSet};

use contract::{SchemaId, SignatureFormat};
use serde_json::Value;

use super::{event_of, finding, finish, str_of};
use crate::act;
use crate::context::{Context, Delivery, Inbox, Verification};
use crate::outcome::{Evidence, Outcome};

/// Whether a delivery's content can be attributed to the vendor: it verified, or its signature
/// is right and only its timestamp kept the receiver from accepting it (SIG-2's finding), or it
/// is signed over the body alone where the format binds the timestamp (SIG-3's).
pub(crate) fn authentic(inbox: &dyn Inbox, format: Option<&SignatureFormat>, delivery: &Delivery) -> bool {
    if act::verified(delivery) {
        return true;
    }
    let Some(format) = format else { return false };
    [format.without_window(), format.body_only().without_window()]
        .iter()
        .any(|f| matches!(inbox.verify_with(delivery, f, None), Verification::Valid { .. }))
}

/// The deliveries in `all` that carry an event and are `authentic`, one per distinct body.
pub(crate) fn distinct_events(all: &[Delivery], authentic: impl Fn(&Delivery) -> bool) -> Vec<(Delivery, Value)> {
    let mut seen = BTreeSet::new();
    all.iter()
        .filter_map(|d| Some((d, event_of(d)?)))
        .filter(|(d, _)| authentic(d))
        .filter(|(d, _)| seen.insert(d.body.clone()))
        .map(|(d, ev)| (d.clone(), ev))
        .collect()
}

/// Every authentic delivery of the run that carries an event, one per distinct body: retries and
/// copies for other webhooks are byte-identical (DLV-2), while another event under a reused
/// `event_id` is not, so it is judged too. When none is a device event yet, the check makes one
/// happen. Without a receiver with deliveries, the outcome that says so.
async fn run_events(cx: &Context) -> Result<(Vec<(Delivery, Value)>, Option<String>), Outcome> {
    let inbox = act::require_deliveries(cx)?;
    let format = cx.signature.as_ref();
    let collect = |all: &[Delivery]| distinct_events(all, |d| authentic(inbox, format, d));
    let is_device_event = |(_, ev): &(Delivery, Value)| str_of(ev, "event_type") != Some("ping");
    let all = inbox.deliveries();
    let events = collect(&all);
    if events.iter().any(is_device_event) {
        return Ok((events, None));
    }
    let unverified = all.iter().filter(|d| event_of(d).is_some() && !authentic(inbox, format, d)).count();
    if unverified > 0 {
        return Err(Outcome::skip(format!(
            "{unverified} deliveries of the run carry events, but none has a signature that verifies, so none can be \
             attributed to the vendor (see replay.signature)"
        )));
    }
    let target = act::claim_fresh_publishing_device(cx).await?;
    let since = inbox.deliveries().len();
    let (done, _) = act::flip_status(cx, &target).await?;
    cx.waiting(&format!("an event of device {}", target.device_id), cx.budgets.event_wait);
    let arrived = act::wait_for_first(inbox, since, cx.budgets.event_wait, |d| {
        event_of(d).is_some_and(|ev| str_of(&ev, "event_type") != Some("ping")) && authentic(inbox, format, d)
    })
    .await;
    if arrived.is_none() {
        return Err(Outcome::skip(format!(
            "no device event with a signature that verifies arrived within {} s of a status change (see events.health \
             and replay.signature)",
            cx.budgets.event_wait.as_secs()
        )));
    }
    Ok((collect(&inbox.deliveries()), Some(format!("trigger: {done}"))))
}

/// EVT-2: every event's envelope matches `event.json`: `event_type`, `device_id`, `timestamp`
/// in UTC, `account_id`, `site_id`, `data` (a ping may omit the device and site). Nothing inside
/// `data` but a health event's `status` (EVT-1); no `event_id` (EVT-3, `delivery.event-id`).
pub async fn envelope(cx: &Context) -> Outcome {
    let (events, note) = match run_events(cx).await {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let mut evidence = Evidence::default();
    for (delivery, event) in &events {
        for (pointer, message) in envelope_violations(event) {
            evidence.push_finding(finding(delivery, event, &pointer, message));
        }
    }
    let types: BTreeMap<&str, usize> = events.iter().fold(BTreeMap::new(), |mut m, (_, ev)| {
        *m.entry(str_of(ev, "event_type").unwrap_or("?")).or_default() += 1;
        m
    });
    let mix = types.iter().map(|(t, n)| format!("{n} {t}")).collect::<Vec<_>>().join(", ");
    let mut outcome = finish(
        evidence,
        "every event carries `event_type`, `timestamp` (RFC 3339, UTC) and `account_id`; every device event also \
         `device_id`, `site_id` and `data` (a health event's with `status`); a ping may omit `device_id` and `site_id`",
        format!("{} events of the run ({mix}) have a valid envelope", events.len()),
        "envelope violations",
        "EVT-2: every device event carries `event_type`, `device_id`, `timestamp` (RFC 3339 in UTC), `account_id`, \
         `site_id`; `data` holds the family's attributes (a `ping` carries `event_id`, `event_type`, `timestamp`, \
         `account_id`)",
    );
    let without_id = events.iter().filter(|(_, ev)| ev.get("event_id").is_none()).count();
    if without_id > 0 {
        outcome = outcome.with_note(format!(
            "{without_id} events carry no `event_id`: EVT-3 (SHOULD), judged by delivery.event-id, not part of the envelope"
        ));
    }
    match note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    }
}

/// Where an event departs from the envelope (`event.json`), as (pointer, message).
pub(crate) fn envelope_violations(event: &Value) -> Vec<(String, String)> {
    match SchemaId::Event.validate(event) {
        Ok(()) => Vec::new(),
        Err(all) => all.into_iter().map(|v| (v.instance_path, v.message)).collect(),
    }
}

/// EVT-6: every event's `account_id`, `site_id` and `device_id` name the entities inventory lists.
pub async fn ids_resolve(cx: &Context) -> Outcome {
    let (events, note) = match run_events(cx).await {
        Ok(e) => e,
        Err(outcome) => return outcome,
    };
    let sync = cx.sync().await;
    let devices = match sync.require_devices() {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let account = sync.account_id().map(str::to_owned);
    let sites: BTreeSet<&str> = sync.inventories.iter().map(|i| i.site_id.as_str()).collect();
    let site_of: BTreeMap<&str, &str> =
        devices.iter().filter_map(|d| Some((d.str_field("device_id")?, d.listed_under))).collect();
    let mut evidence = Evidence::default();
    for (delivery, event) in &events {
        if let (Some(own), Some(account)) = (str_of(event, "account_id"), &account)
            && own != account
        {
            evidence.push_finding(finding(
                delivery,
                event,
                "/account_id",
                format!("`account_id` {own} is not the credential's account {account}"),
            ));
        }
        let site = str_of(event, "site_id");
        if let Some(site) = site
            && !sites.contains(site)
        {
            evidence.push_finding(finding(
                delivery,
                event,
                "/site_id",
                format!("site {site} is not a site of the account"),
            ));
        }
        if let Some(device) = str_of(event, "device_id") {
            match site_of.get(device) {
                None => evidence.push_finding(finding(
                    delivery,
                    event,
                    "/device_id",
                    format!("device {device} is not in the inventory"),
                )),
                Some(listed) if site.is_some_and(|s| s != *listed && sites.contains(s)) => {
                    evidence.push_finding(finding(
                        delivery,
                        event,
                        "/site_id",
                        format!(
                            "device {device} is listed under site {listed}, the event names site {}",
                            site.unwrap_or_default()
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let outcome = finish(
        evidence,
        "`account_id` is the credential's account; `site_id` and `device_id` name a site and a device of its inventory",
        format!("the ids of {} events resolve to the account's inventory", events.len()),
        "ids that do not resolve",
        "EVT-6: event ids (`account_id`, `site_id`, `device_id`) resolve to the same entities the inventory API lists",
    );
    match note {
        Some(note) => outcome.with_note(note),
        None => outcome,
    }
}
