//! Schema suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::AccountMissingName, &["schema.account"]),
    // A body that is not JSON returns no account (ACC-1), so the bootstrap cannot learn it
    // (FB-1); JSON under another label breaks nothing.
    (Fault::AccountNotJson, &["schema.account", "schema.json-content-type", "fallback.bootstrap"]),
    (Fault::SiteMissingDescriptor, &["schema.sites", "schema.site-location"]),
    (Fault::SiteNoTimezone, &["schema.site-location"]),
    (Fault::DeviceMissingType, &["schema.device-fields"]),
    (Fault::DuplicateDeviceId, &["schema.device-fields"]),
    // Polling cannot show a change in a vocabulary nobody mapped (FB-3).
    (Fault::BadStatusValue, &["schema.device-status", "fallback.reconcile"]),
    (Fault::BadMacFormat, &["schema.mac-address"]),
    (Fault::BadLastSeen, &["schema.optional-fields"]),
    (Fault::DanglingParent, &["schema.parent-ids"]),
    (Fault::DeviceWrongSite, &["schema.device-site"]),
    (Fault::UnstableIds, &["schema.stable-ids", "schema.parent-ids"]),
    (Fault::NonUuidIds, &["schema.uuid-ids", "schema.parent-ids"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
