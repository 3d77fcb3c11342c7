//! The schema suite: the account, sites and devices of one full inventory sync, as canonical
//! records, against the contract's schemas and cross-references (ACC-1, SITE-*, INV-*, ID-*).
//!
//! Each check owns some fields of a record: a device's schema violations are split among the
//! checks by the field they concern, so a missing `status` fails INV-2 and nothing else.
//!
//! Cut by job: `collect` (violations shared among the checks by field, outcome notes), `account`
//! (ACC-1, JSON bodies), `sites` (SITE-*), `devices` (INV-*), `ids` (ID-*); this file holds the
//! requirement texts, which fields each check owns, and `CHECKS`.

mod account;
mod collect;
mod devices;
mod ids;
mod sites;

pub use account::{account, json_content_type};
pub use devices::{device_fields, device_site, device_status, mac_address, optional_fields, parent_ids};
pub use ids::{is_uuid_shaped, stable_ids, uuid_ids};
pub use sites::{site_location, sites};

use crate::Check;

/// The requirements this suite enforces, quoted from CONTRACT.md §1–§3: every FAIL names its own.
const ACC_1: &str =
    "ACC-1 (MUST): \"`GET /api/v1/account` returns the account bound to the credential: `{\"account_id\", \"name\"}`\"";
const JSON_BODIES: &str = "ACC-1 (MUST): `GET /api/v1/account` \"returns ... `{\"account_id\", \"name\"}`\"; SITE-1 (MUST): `GET /api/v1/account/sites` \"returns `{\"sites\": [...], \"pagination\": {...}}`\"; §2 (INV-1): `GET /api/v1/sites/{site_id}/inventory` \"returns `{\"devices\": [...], \"pagination\": {...}}`\": JSON documents, which a body that does not parse is not";
const SITE_1: &str = "SITE-1 (MUST): \"each site has `site_id`, `name`, and at least one stable site descriptor (`address`, `coordinates` or `timezone`)\"";
const SITE_2: &str = "SITE-2 (SHOULD): \"Each site has `address` (or coordinates) and `timezone` (an IANA name such as `America/Chicago`)\"";
const INV_1: &str = "INV-1 (MUST): \"Each device has `device_id` (unique), `name`, `type` (camera, door, panel, reader, ...), the vendor account id or an equivalent derivable from the request, and `site_id`\"";
const INV_2: &str = "INV-2 (MUST): \"Inventory reflects each device's latest known `status` (`online`/`offline` or an equivalent vocabulary)\"";
const INV_3: &str = "INV-3 (SHOULD): \"`mac_address` when the device has one (format `00:0f:e5:14:b2:1e`)\"";
const INV_4: &str = "INV-4 (MAY): \"`parent_id` (a door's controller), `ip`, `hostname`, `site_name`, `last_seen` (RFC 3339), `model`, `firmware_version`\", well-formed when present";
const INV_4_PARENT: &str = "INV-4 (MAY): \"When present, `parent_id` names a device of the same account\"";
const INV_5: &str = "INV-5 (MUST): \"A device listed under site S carries `site_id` S\"";
const ID_1: &str =
    "ID-1 (MUST): \"Account, site, device and event ids are stable: the same entity has the same id on every call\"";
const ID_2: &str =
    "ID-2 (SHOULD): \"Ids are UUIDs (or equivalently globally unique) ... UUID-shaped means 8-4-4-4-12 hex digits\"";

/// Fields of a site SITE-1 owns: `""` is the root, where a missing descriptor shows.
const SITE_REQUIRED: &[&str] = &["site_id", "name", ""];
/// Fields of a device each device check owns.
const DEVICE_REQUIRED: &[&str] = &["device_id", "name", "type", "site_id", "account_id", ""];
const DEVICE_STATUS: &[&str] = &["status"];
const DEVICE_MAC: &[&str] = &["mac_address"];
const DEVICE_OPTIONAL: &[&str] =
    &["parent_id", "ip", "hostname", "site_name", "last_seen", "model", "firmware_version"];

/// The schema suite, in run order.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        account,
        "schema.account",
        "schema",
        Must,
        ["ACC-1"],
        "The account endpoint returns the credential's account with `account_id` and `name`"
    ),
    check!(
        json_content_type,
        "schema.json-content-type",
        "schema",
        Must,
        ["ACC-1", "SITE-1", "INV-1"],
        "Successful answers of the account, sites and inventory endpoints are JSON documents"
    ),
    check!(
        sites,
        "schema.sites",
        "schema",
        Must,
        ["SITE-1"],
        "Every site has `site_id`, `name` and a location descriptor; site ids are unique"
    ),
    check!(
        site_location,
        "schema.site-location",
        "schema",
        Should,
        ["SITE-2"],
        "Every site has an address or coordinates, and an IANA time zone"
    ),
    check!(
        device_fields,
        "schema.device-fields",
        "schema",
        Must,
        ["INV-1"],
        "Every device has a unique `device_id`, `name`, `type` and `site_id`"
    ),
    check!(
        device_status,
        "schema.device-status",
        "schema",
        Must,
        ["INV-2", "FB-4"],
        "Every device carries its latest `status` in the canonical vocabulary"
    ),
    check!(
        mac_address,
        "schema.mac-address",
        "schema",
        Should,
        ["INV-3"],
        "MAC addresses are written like `00:0f:e5:14:b2:1e`"
    ),
    check!(
        optional_fields,
        "schema.optional-fields",
        "schema",
        May,
        ["INV-4"],
        "Optional device fields (`ip`, `last_seen`, ...) are well-formed when present"
    ),
    check!(
        parent_ids,
        "schema.parent-ids",
        "schema",
        May,
        ["INV-4"],
        "Every `parent_id` names a device of the same account"
    ),
    check!(
        device_site,
        "schema.device-site",
        "schema",
        Must,
        ["INV-5"],
        "A device listed under site S carries `site_id` S"
    ),
    check!(
        stable_ids,
        "schema.stable-ids",
        "schema",
        Must,
        ["ID-1"],
        "Account, site and device ids are the same on two syncs"
    ),
    check!(uuid_ids, "schema.uuid-ids", "schema", Should, ["ID-2"], "Account, site and device ids are UUID-shaped"),
];
