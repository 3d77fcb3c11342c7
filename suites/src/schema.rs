//! The schema suite: the account, sites and devices of one full inventory sync, as canonical
//! records, against the contract's schemas and cross-references (ACC-1, SITE-*, INV-*, ID-*).
//!
//! Each check owns some fields of a record: a device's schema violations are split among the
//! checks by the field they concern, so a missing `status` fails INV-2 and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use contract::SchemaId;
use serde_json::Value;

use crate::Check;
use crate::context::Context;
use crate::outcome::{Evidence, Exchange, Finding, Outcome};
use crate::sync::{InventorySync, ListedDevice};

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

/// The field a violation concerns: the first segment of its instance path, or for a missing
/// required property at the root, that property (`""` for anything else at the root).
fn violation_field(v: &contract::Violation) -> String {
    let path = v.instance_path.trim_start_matches('/');
    if !path.is_empty() {
        return path.split('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~");
    }
    match v.message.strip_suffix(" is a required property") {
        Some(quoted) => quoted.trim_matches('"').to_owned(),
        None => String::new(),
    }
}

/// The violations of `record` against `schema` that concern one of `fields`.
fn violations(schema: SchemaId, record: &Value, fields: &[&str]) -> Vec<contract::Violation> {
    match schema.validate(record) {
        Ok(()) => Vec::new(),
        Err(all) => all.into_iter().filter(|v| fields.contains(&violation_field(v).as_str())).collect(),
    }
}

/// Collects findings and the exchanges they came from, and ends as PASS or FAIL.
#[derive(Default)]
struct Collector {
    evidence: Evidence,
}

impl Collector {
    fn add(&mut self, subject: String, pointer: &str, message: String, record: &Value, exchange: Option<&Exchange>) {
        if self.evidence.findings.len() < crate::outcome::MAX_FINDINGS
            && let Some(exchange) = exchange
        {
            self.evidence.push_exchange(exchange);
        }
        self.evidence.push_finding(Finding {
            subject,
            pointer: pointer.to_owned(),
            message,
            record: Some(record.clone()),
            source: exchange.map(|e| e.url.clone()),
        });
    }

    fn device(&mut self, device: &ListedDevice<'_>, pointer: &str, message: String) {
        self.add(device.subject(), pointer, message, device.record(), device.exchange);
    }

    fn device_violations(&mut self, device: &ListedDevice<'_>, fields: &[&str]) {
        for v in violations(SchemaId::Device, device.record(), fields) {
            self.device(device, &v.instance_path, v.message);
        }
    }

    /// PASS with `pass` when nothing was found, else FAIL naming `what`, how many, and `rule`
    /// (the CONTRACT.md requirement broken, quoted).
    fn finish(self, rule: &str, expected: &str, pass: String, what: &str) -> Outcome {
        let n = self.evidence.total_findings;
        if n == 0 {
            return Outcome::pass(pass).expected(expected);
        }
        let first = self
            .evidence
            .findings
            .first()
            .map(|f| format!(": {} at `{}`: {}", f.subject, pointer_shown(&f.pointer), f.message));
        Outcome::fail(format!("{n} {what}{}. {rule}", first.unwrap_or_default()))
            .expected(expected)
            .actual(format!("{n} {what}"))
            .with_evidence(self.evidence)
    }
}

/// A read that gave no usable answer: FAIL (quoting `rule`) when the vendor's answer was the
/// problem, ERROR when the harness could not test.
fn unreadable(error: &crate::context::ApiError, what: &str, rule: &str) -> Outcome {
    let outcome = error.to_outcome(what);
    if outcome.status == crate::Status::Fail {
        Outcome { message: format!("{}. {rule}", outcome.message), ..outcome }
    } else {
        outcome
    }
}

fn pointer_shown(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// ACC-1: the account bound to the credential, `{"account_id", "name"}`.
pub async fn account(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let fetched = match &sync.account {
        Ok(f) => f,
        Err(e) => return unreadable(e, "the account could not be read", ACC_1),
    };
    let expected = "`GET account` answers an object with non-empty string `account_id` and `name`";
    let mut c = Collector::default();
    if let Err(all) = SchemaId::Account.validate(&fetched.record) {
        for v in all {
            c.add("account".into(), &v.instance_path, v.message, &fetched.record, Some(&fetched.exchange));
        }
    }
    let id = sync.account_id().unwrap_or_default();
    let outcome =
        c.finish(ACC_1, expected, format!("account {id} has an id and a name"), "schema violations in the account");
    let mut outcome = with_profile_notes(outcome, &fetched.exchange.notes);
    outcome.evidence.push_exchange(&fetched.exchange);
    outcome
}

/// Whether a media type is JSON: `application/json` or `application/<x>+json`, parameters allowed.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Every successful answer of the sync is JSON: ACC-1, SITE-1 and INV-1 say what the account,
/// sites and inventory endpoints return, and a body that is not JSON returns none of it. The
/// contract says nothing of `Content-Type`: a JSON body with another label passes, with a note.
pub async fn json_content_type(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let answered: Vec<&Exchange> =
        sync.exchanges().into_iter().filter(|e| e.status.is_some_and(|s| (200..300).contains(&s))).collect();
    if answered.is_empty() {
        return Outcome::skip("no request of the inventory sync was answered with a 2xx");
    }
    // A read fails as `InvalidJson` on the answer whose body did not parse: its last exchange.
    let reads = [sync.account.as_ref().err(), sync.sites.as_ref().err()]
        .into_iter()
        .chain(sync.inventories.iter().map(|i| i.result.as_ref().err()));
    let not_json: Vec<(&Exchange, &str)> = reads
        .flatten()
        .filter(|e| e.kind == crate::context::ApiErrorKind::InvalidJson)
        .filter_map(|e| e.exchanges.last().map(|x| (x, e.message.as_str())))
        .filter(|(x, _)| x.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    let mut evidence = Evidence::default();
    for (e, why) in &not_json {
        evidence.push_exchange(e);
        evidence.push_finding(Finding {
            subject: format!("{} {}", e.method, e.url),
            pointer: String::new(),
            message: format!("a successful answer that is not JSON ({why})"),
            record: None,
            source: Some(e.url.clone()),
        });
    }
    let mut labels = Vec::new();
    for e in answered.iter().filter(|e| !not_json.iter().any(|(x, _)| std::ptr::eq(*x, **e))) {
        let content_type = e.response_header("content-type");
        if !content_type.is_some_and(is_json_media_type) {
            let shown = content_type.map_or("no Content-Type".into(), |c| format!("Content-Type `{c}`"));
            labels.push(format!(
                "{} {} answered JSON labelled with {shown}: the contract does not require the label, but clients that dispatch on it expect `application/json`",
                e.method, e.url
            ));
        }
    }
    let c = Collector { evidence };
    let mut outcome = c.finish(
        JSON_BODIES,
        "every 2xx answer of the account, sites and inventory endpoints is a JSON document",
        format!("{} answers were all JSON", answered.len()),
        "successful answers that are not JSON",
    );
    for note in labels.into_iter().take(crate::outcome::MAX_FINDINGS) {
        outcome = outcome.with_note(note);
    }
    outcome
}

/// SITE-1: every site has `site_id`, `name` and a descriptor; site ids are unique.
pub async fn sites(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let listing = match &sync.sites {
        Ok(l) => l,
        Err(e) => return unreadable(e, "the sites could not be listed", SITE_1),
    };
    let mut c = Collector::default();
    let mut seen = BTreeMap::new();
    for listed in &listing.records {
        let exchange = listing.exchange_of(listed);
        let id = listed.record.get("site_id").and_then(Value::as_str);
        let subject = format!("site {}", id.unwrap_or("<no site_id>"));
        if let Err(all) = SchemaId::Site.validate(&listed.record) {
            // SITE-1 asks for `site_id`, `name` and a descriptor's presence (the root `anyOf`);
            // the shape of an address or coordinates and an IANA zone are SITE-2's.
            for v in all.into_iter().filter(|v| SITE_REQUIRED.contains(&violation_field(v).as_str())) {
                c.add(subject.clone(), &v.instance_path, v.message, &listed.record, exchange);
            }
        }
        if let Some(id) = id
            && let Some(first) = seen.insert(id.to_owned(), &listed.record)
            && first != &listed.record
        {
            c.add(
                subject,
                "/site_id",
                "another, different site has the same `site_id`".into(),
                &listed.record,
                exchange,
            );
        }
    }
    let mut outcome = c.finish(
        SITE_1,
        "each site has `site_id`, `name` and one of `address`, `coordinates`, `timezone`; ids unique",
        format!("{} sites are well-formed", listing.records.len()),
        "site violations",
    );
    if listing.records.is_empty() {
        outcome = outcome.with_note("the account has no sites, so no inventory was checked");
    }
    let mut outcome = with_profile_notes(outcome, &listing.notes);
    for note in &listing.notes {
        if !outcome.evidence.notes.contains(note) {
            outcome.evidence.notes.push(note.clone());
        }
    }
    outcome
}

/// An IANA zone name: `UTC` or `Area/Location[/...]`. Shape only: the harness carries no tz database.
fn is_iana_shaped(zone: &str) -> bool {
    if zone == "UTC" {
        return true;
    }
    let mut parts = zone.split('/');
    let area_ok =
        parts.next().is_some_and(|a| !a.is_empty() && a.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '_'));
    let rest: Vec<&str> = parts.collect();
    area_ok
        && !rest.is_empty()
        && rest.iter().all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_alphanumeric() || "_+-".contains(ch)))
}

/// SITE-2: every site has an address (or coordinates) and an IANA timezone.
pub async fn site_location(cx: &Context) -> Outcome {
    let sync = cx.sync().await;
    let listing = match sync.require_sites() {
        Ok(l) => l,
        Err(outcome) => return outcome,
    };
    let mut c = Collector::default();
    for listed in &listing.records {
        let r = &listed.record;
        let exchange = listing.exchange_of(listed);
        let subject = format!("site {}", r.get("site_id").and_then(Value::as_str).unwrap_or("<no site_id>"));
        // A postal address as text or as a structured object (street, city, ...).
        let has_address = match r.get("address") {
            Some(Value::String(a)) => !a.trim().is_empty(),
            Some(Value::Object(a)) => !a.is_empty(),
            _ => false,
        };
        let has_coordinates = r.get("coordinates").is_some_and(Value::is_object);
        if !has_address && !has_coordinates {
            c.add(subject.clone(), "/address", "neither `address` nor `coordinates`".into(), r, exchange);
        }
        match r.get("timezone") {
            Some(Value::String(zone)) if is_iana_shaped(zone) => {}
            Some(Value::String(zone)) => {
                c.add(subject, "/timezone", format!("`{zone}` is not an IANA zone name"), r, exchange)
            }
            _ => c.add(subject, "/timezone", "no `timezone`".into(), r, exchange),
        }
    }
    c.finish(
        SITE_2,
        "each site has `address` or `coordinates`, and an IANA `timezone` such as `America/Chicago`",
        format!("{} sites have a location and a time zone", listing.records.len()),
        "site location problems",
    )
}

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

/// A failing device check also shows what the inventory walks noticed: a profile pointer that
/// matched nothing is the likeliest cause of a field every device lacks, and the message says so.
fn with_walk_notes(outcome: Outcome, sync: &InventorySync) -> Outcome {
    let notes = sync.inventories.iter().filter_map(|i| i.result.as_ref().ok()).flat_map(|l| l.notes.iter());
    with_profile_notes(outcome, notes)
}

/// On a FAIL: `notes` go into the evidence, and a likely profile mistake among them (a pointer
/// that matched nothing on any record) is named in the message, as the profile's, not the vendor's.
fn with_profile_notes<'n>(mut outcome: Outcome, notes: impl IntoIterator<Item = &'n String>) -> Outcome {
    if outcome.status != crate::Status::Fail {
        return outcome;
    }
    let notes: Vec<&String> = notes.into_iter().collect();
    for note in &notes {
        if !outcome.evidence.notes.contains(note) {
            outcome.evidence.notes.push((*note).clone());
        }
    }
    let mistakes = crate::sync::profile_mistakes(notes);
    if let Some(first) = mistakes.first() {
        let more = match mistakes.len() {
            1 => String::new(),
            n => format!(" (and {} more, in the notes)", n - 1),
        };
        outcome.message = format!("{}. Likely a profile mistake: {first}{more}", outcome.message);
    }
    outcome
}

/// Runs `f` over every device, or ends with the missing precondition.
fn over_devices(
    sync: &InventorySync,
    mut f: impl FnMut(&mut Collector, &ListedDevice<'_>),
) -> Result<(Collector, usize), Outcome> {
    let devices = sync.require_devices()?;
    let mut c = Collector::default();
    for device in &devices {
        f(&mut c, device);
    }
    Ok((c, devices.len()))
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

/// The ids one sync saw: the account's, the sites', and each site's devices'.
/// The account id, the site ids, and each site's device ids.
type Ids = (String, BTreeSet<String>, BTreeMap<String, BTreeSet<String>>);

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

    #[test]
    fn iana_shape() {
        for good in ["America/Chicago", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"] {
            assert!(is_iana_shaped(good), "{good}");
        }
        for bad in ["", "CST", "-06:00", "America/", "/Chicago", "America Chicago"] {
            assert!(!is_iana_shaped(bad), "{bad}");
        }
    }

    #[test]
    fn violations_are_attributed_to_fields() {
        let device = serde_json::json!({"device_id": "d", "name": "n", "type": "camera", "mac_address": "nope"});
        let fields = |owned: &[&str]| -> Vec<String> {
            violations(SchemaId::Device, &device, owned).iter().map(violation_field).collect()
        };
        assert_eq!(fields(DEVICE_REQUIRED), ["site_id"]);
        assert_eq!(fields(DEVICE_STATUS), ["status"]);
        assert_eq!(fields(DEVICE_MAC), ["mac_address"]);
        assert!(fields(DEVICE_OPTIONAL).is_empty());
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("text/plain; charset=utf-8"));
    }
}
