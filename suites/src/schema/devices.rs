//! The devices (INV-1 … INV-5): required fields, status, MAC address, optional fields, parents and
//! the site a device is listed under.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::collect::{Collector, over_devices, unreadable, with_walk_notes};
use super::{
    DEVICE_MAC, DEVICE_OPTIONAL, DEVICE_REQUIRED, DEVICE_STATUS, INV_1, INV_2, INV_3, INV_4, INV_4_PARENT, INV_5,
};
use crate::context::Context;
use crate::outcome::Outcome;

/// INV-1: every site's inventory can be read; every device has `device_id`, `name`, `type`,
/// `site_id` (and an `account_id`, when present, that is the account's); device ids are unique.
pub async fn device_fields(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    if let Err(outcome) = sync.require_sites() {
        return outcome;
    }
    if let Some(failed) = sync.inventories.iter().find_map(|i| i.result.as_ref().err().map(|e| (i, e))) {
        return unreadable(failed.1, &format!("the inventory of site {} could not be read", failed.0.site_id), INV_1);
    }
    let devices = match sync.require_devices() {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let account_id = sync.account_id();
    let mut c = Collector::default();
    let mut seen: BTreeMap<&str, &Value> = BTreeMap::new();
    for device in &devices {
        c.device_violations(device, DEVICE_REQUIRED);
        if let (Some(own), Some(account)) = (device.str_field("account_id"), account_id)
            && own != account
        {
            c.device(device, "/account_id", format!("`account_id` {own} is not the credential's account {account}"));
        }
        // An identical record listed twice is a pagination fault (PAGE-1); two different
        // devices sharing an id break INV-1.
        if let Some(id) = device.str_field("device_id")
            && let Some(first) = seen.insert(id, device.record())
            && first != device.record()
        {
            c.device(device, "/device_id", "another, different device has the same `device_id`".into());
        }
    }
    let outcome = c.finish(
        INV_1,
        "each device has `device_id` (unique), `name`, `type` and `site_id`",
        format!("{} devices on {} sites carry the required fields", devices.len(), sync.inventories.len()),
        "device violations",
    );
    with_walk_notes(outcome, &sync)
}

/// INV-2: every device carries its latest `status` in the canonical vocabulary.
pub async fn device_status(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    match over_devices(&sync, |c, d| c.device_violations(d, DEVICE_STATUS)) {
        Ok((c, n)) => with_walk_notes(
            c.finish(
                INV_2,
                "each device has `status` `online`, `offline`, `degraded` or `unknown` (after mapping)",
                format!("{n} devices report a status"),
                "devices without a valid status",
            ),
            &sync,
        ),
        Err(outcome) => outcome,
    }
}

/// INV-3: a `mac_address`, when present, is six colon-separated hex pairs.
pub async fn mac_address(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let mut with_mac = 0;
    let result = over_devices(&sync, |c, d| {
        with_mac += usize::from(d.record().get("mac_address").is_some_and(|m| !m.is_null()));
        c.device_violations(d, DEVICE_MAC);
    });
    match result {
        Ok((c, n)) => {
            let mut outcome = c.finish(
                INV_3,
                "`mac_address` written like `00:0f:e5:14:b2:1e`",
                format!("{with_mac} of {n} devices carry a well-formed MAC address"),
                "malformed MAC addresses",
            );
            if with_mac == 0 && n > 0 {
                outcome = outcome.with_note("no device carries a MAC address; devices without one need none");
            }
            outcome
        }
        Err(outcome) => outcome,
    }
}

/// INV-4: optional fields, when present, have their documented form.
pub async fn optional_fields(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    match over_devices(&sync, |c, d| c.device_violations(d, DEVICE_OPTIONAL)) {
        Ok((c, n)) => c.finish(
            INV_4,
            "`parent_id`, `ip`, `hostname`, `site_name`, `last_seen` (RFC 3339), `model`, `firmware_version` well-formed when present",
            format!("optional fields of {n} devices are well-formed"),
            "malformed optional fields",
        ),
        Err(outcome) => outcome,
    }
}

/// INV-4: a `parent_id` names a device of the same account.
pub async fn parent_ids(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let devices = match sync.require_devices() {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let ids: BTreeSet<&str> = devices.iter().filter_map(|d| d.str_field("device_id")).collect();
    let mut c = Collector::default();
    let mut with_parent = 0;
    for device in &devices {
        if let Some(parent) = device.str_field("parent_id") {
            with_parent += 1;
            if !ids.contains(parent) {
                c.device(device, "/parent_id", format!("`parent_id` {parent} is not a device of this account"));
            } else if Some(parent) == device.str_field("device_id") {
                c.device(device, "/parent_id", "the device is its own parent".into());
            }
        }
    }
    c.finish(
        INV_4_PARENT,
        "every `parent_id` names another device of the account's inventory",
        format!("{with_parent} parent references resolve"),
        "dangling parent references",
    )
}

/// INV-5: a device listed under site S carries `site_id` S.
pub async fn device_site(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let result = over_devices(&sync, |c, d| {
        if let Some(site) = d.str_field("site_id")
            && site != d.listed_under
        {
            c.device(
                d,
                "/site_id",
                format!("`site_id` is {site}, but the device is listed under site {}", d.listed_under),
            );
        }
    });
    match result {
        Ok((c, n)) => c.finish(
            INV_5,
            "a device listed under site S has `site_id` S",
            format!("{n} devices name the site they are listed under"),
            "devices naming another site",
        ),
        Err(outcome) => outcome,
    }
}
