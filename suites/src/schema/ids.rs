//! The ids (ID-1, ID-2): stable across two syncs, and UUID-shaped.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::collect::Collector;
use super::{ID_1, ID_2};
use crate::context::Context;
use crate::outcome::{Evidence, Exchange, Finding, Outcome};
use crate::sync::InventorySync;

/// The ids one sync saw: the account's, the sites', and each site's devices'.
/// The account id, the site ids, and each site's device ids.
pub(crate) type Ids = (String, BTreeSet<String>, BTreeMap<String, BTreeSet<String>>);

fn ids_of(sync: &InventorySync) -> Result<Ids, Outcome> {
    let account = match &sync.account {
        Ok(_) => sync.account_id().unwrap_or_default().to_owned(),
        Err(e) => return Err(crate::sync::precondition(e, "the account could not be read (see schema.account)")),
    };
    let sites = sync.require_sites()?;
    let site_ids = sites.records.iter().filter_map(|l| l.record.get("site_id")?.as_str().map(str::to_owned)).collect();
    sync.require_devices()?;
    let mut devices = BTreeMap::new();
    for inventory in &sync.inventories {
        let listing = inventory.result.as_ref().expect("require_devices checked every inventory");
        let ids =
            listing.records.iter().filter_map(|l| l.record.get("device_id")?.as_str().map(str::to_owned)).collect();
        devices.insert(inventory.site_id.clone(), ids);
    }
    Ok((account, site_ids, devices))
}

/// ID-1: two syncs a moment apart see the same ids.
pub async fn stable_ids(cx: &Context) -> Outcome {
    let first = cx.sync().await;
    let second = cx.second_sync().await;
    let (a1, s1, d1) = match ids_of(&first) {
        Ok(ids) => ids,
        Err(outcome) => return outcome,
    };
    let (a2, s2, d2) = match ids_of(&second) {
        Ok(ids) => ids,
        Err(outcome) => return outcome.with_note("the second inventory sync failed"),
    };
    let mut evidence = Evidence::default();
    let mut differ = |subject: String, message: String, exchange: Option<&Exchange>| {
        if let Some(e) = exchange {
            evidence.push_exchange(e);
        }
        evidence.push_finding(Finding {
            subject,
            pointer: String::new(),
            message,
            record: None,
            source: exchange.map(|e| e.url.clone()),
        });
    };
    if a1 != a2 {
        let exchange = second.account.as_ref().ok().map(|f| &f.exchange);
        differ("account".into(), format!("`account_id` was {a1}, then {a2}"), exchange);
    }
    let sites_exchange = second.sites.as_ref().ok().and_then(|l| l.exchanges.first());
    for gone in s1.difference(&s2) {
        differ(format!("site {gone}"), "listed by the first sync, missing from the second".into(), sites_exchange);
    }
    for new in s2.difference(&s1) {
        differ(format!("site {new}"), "new in the second sync".into(), sites_exchange);
    }
    let empty = BTreeSet::new();
    for (site, ids) in &d1 {
        let again = d2.get(site).unwrap_or(&empty);
        let exchange = second
            .inventories
            .iter()
            .find(|i| &i.site_id == site)
            .and_then(|i| i.result.as_ref().ok())
            .and_then(|l| l.exchanges.first());
        for gone in ids.difference(again) {
            differ(
                format!("device {gone} (site {site})"),
                "listed by the first sync, missing from the second".into(),
                exchange,
            );
        }
        for new in again.difference(ids) {
            differ(format!("device {new} (site {site})"), "new in the second sync".into(), exchange);
        }
    }
    let devices: usize = d1.values().map(BTreeSet::len).sum();
    Collector { evidence }.finish(
        ID_1,
        "the same account, sites and devices have the same ids on every call",
        format!("1 account, {} sites and {devices} devices kept their ids across two syncs", s1.len()),
        "ids that changed between two syncs",
    )
}

/// UUID-shaped: 8-4-4-4-12 hex digits; version and variant bits are not checked (CONTRACT.md ID-2).
pub fn is_uuid_shaped(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|ch| ch.is_ascii_hexdigit()))
}

/// ID-2: account, site and device ids are UUIDs.
pub async fn uuid_ids(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let mut c = Collector::default();
    let mut checked = 0;
    if let Ok(account) = &sync.account
        && let Some(id) = sync.account_id()
    {
        checked += 1;
        if !is_uuid_shaped(id) {
            c.add(
                "account".into(),
                "/account_id",
                format!("`{id}` is not UUID-shaped"),
                &account.record,
                Some(&account.exchange),
            );
        }
    }
    if let Ok(sites) = &sync.sites {
        for listed in &sites.records {
            if let Some(id) = listed.record.get("site_id").and_then(Value::as_str) {
                checked += 1;
                if !is_uuid_shaped(id) {
                    let subject = format!("site {id}");
                    c.add(
                        subject,
                        "/site_id",
                        format!("`{id}` is not UUID-shaped"),
                        &listed.record,
                        sites.exchange_of(listed),
                    );
                }
            }
        }
    }
    let devices = match sync.require_devices() {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    for device in &devices {
        if let Some(id) = device.str_field("device_id") {
            checked += 1;
            if !is_uuid_shaped(id) {
                c.device(device, "/device_id", format!("`{id}` is not UUID-shaped"));
            }
        }
    }
    c.finish(
        ID_2,
        "account, site and device ids are UUIDs (8-4-4-4-12 hex digits)",
        format!("{checked} ids are UUID-shaped"),
        "ids that are not UUIDs",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape_ignores_version_bits() {
        assert!(is_uuid_shaped("698219ad-4de9-896d-3be0-66cb00000001"));
        assert!(is_uuid_shaped("A1B2C3D4-5678-90ab-cdef-1234567890ab"));
        for bad in ["", "1009eb6c", "698219ad4de9896d3be066cb00000001", "698219ad-4de9-896d-3be0-66cb0000000g"] {
            assert!(!is_uuid_shaped(bad), "{bad}");
        }
    }
}
