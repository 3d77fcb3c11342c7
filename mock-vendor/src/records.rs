//! The canonical records as served, each with its record-level faults applied, in exactly one
//! place: every shape serves these and only renames them.

use serde_json::{Value, json};

use crate::fault::Fault;
use crate::fleet::Fleet;
use crate::state::AppState;

/// An account (ACC-1), with `account-missing-name`.
pub(crate) fn account_value(state: &AppState, fleet: &Fleet, account: u16) -> Value {
    let rec = &fleet.accounts[account as usize];
    let mut v = serde_json::to_value(contract::Account { account_id: rec.id.to_string(), name: rec.name.clone() })
        .expect("account serialises");
    if state.has(Fault::AccountMissingName) {
        v.as_object_mut().expect("object").remove("name");
    }
    v
}

/// A site as served, with the site faults applied.
pub(crate) fn site_value(state: &AppState, fleet: &Fleet, site: u32) -> Value {
    let mut v = serde_json::to_value(fleet.site_wire(site)).expect("site serialises");
    let obj = v.as_object_mut().expect("object");
    if state.has(Fault::SiteMissingDescriptor) {
        obj.remove("address");
        obj.remove("coordinates");
        obj.remove("timezone");
    }
    if state.has(Fault::SiteNoTimezone) {
        obj.remove("timezone");
    }
    v
}

/// The faults [`device_value`] applies: with none of them active a device is the fleet's record.
pub(crate) const DEVICE_FAULTS: &[Fault] = &[
    Fault::BadStatusValue,
    Fault::BadLastSeen,
    Fault::DeviceMissingType,
    Fault::DuplicateDeviceId,
    Fault::BadMacFormat,
    Fault::DanglingParent,
    Fault::DeviceWrongSite,
    Fault::UnstableIds,
    Fault::NonUuidIds,
];

/// Whether any of [`DEVICE_FAULTS`] is active.
pub(crate) fn devices_faulted(state: &AppState) -> bool {
    DEVICE_FAULTS.iter().any(|f| state.has(*f))
}

/// A device as served, with the record-level faults applied. `position` is its place in the
/// collection it is served from.
pub(crate) fn device_value(state: &AppState, fleet: &Fleet, site: u32, position: usize, idx: u32) -> Value {
    let mut v = serde_json::to_value(fleet.device_wire(idx)).expect("device serialises");
    if !devices_faulted(state) {
        return v;
    }
    let obj = v.as_object_mut().expect("object");
    if state.has(Fault::DeviceMissingType) {
        obj.remove("type");
    }
    if state.has(Fault::BadStatusValue) {
        let up = obj.get("status") == Some(&json!("online"));
        obj.insert("status".into(), json!(if up { "up" } else { "down" }));
    }
    if state.has(Fault::BadLastSeen) && obj.contains_key("last_seen") {
        obj.insert("last_seen".into(), json!("yesterday"));
    }
    let site_devices = &fleet.sites[site as usize].devices;
    if state.has(Fault::DuplicateDeviceId) && position == 1 {
        obj.insert("device_id".into(), json!(fleet.devices[site_devices[0] as usize].id.to_string()));
    }
    if state.has(Fault::BadMacFormat)
        && let Some(Value::String(mac)) = obj.get("mac_address")
    {
        let bad = mac.replace(':', "").to_uppercase();
        obj.insert("mac_address".into(), json!(bad));
    }
    if state.has(Fault::DanglingParent) && obj.contains_key("parent_id") {
        obj.insert("parent_id".into(), json!("00000000-0000-4000-8000-00000000dead"));
    }
    if state.has(Fault::DeviceWrongSite) && position == 0 {
        let account = &fleet.accounts[fleet.sites[site as usize].account as usize];
        let other = account.sites.iter().find(|&&s| s != site).map(|&s| fleet.sites[s as usize].id.to_string());
        obj.insert("site_id".into(), json!(other.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())));
    }
    if state.has(Fault::UnstableIds) {
        obj.insert("device_id".into(), json!(uuid::Uuid::new_v4().to_string()));
    }
    if state.has(Fault::NonUuidIds) {
        obj.insert("device_id".into(), json!(format!("dev-{idx}")));
    }
    v
}
