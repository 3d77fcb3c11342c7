//! The schema suite against an in-memory vendor: a clean fleet passes every check, and each
//! broken variant fails exactly the checks listed next to it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use suites::{
    Answer, ApiError, ApiErrorKind, Collection, Context, Endpoints, Exchange, Fetched, Listed, Listing, PageVisitor,
    Probe, Status, VendorApi, WalkEnd,
};

const ACCOUNT: &str = "a1b2c3d4-5678-90ab-cdef-1234567890ab";
const SITE_A: &str = "5e6693c0-091d-47a2-b90a-6c15531b3c50";
const SITE_B: &str = "7f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

#[derive(Debug, Clone)]
struct Fleet {
    account: Value,
    sites: Vec<Value>,
    devices: Vec<(String, Vec<Value>)>,
    content_type: &'static str,
    /// Device ids change on every call after the first sync.
    unstable: bool,
    /// The inventory of site B answers 500.
    broken_inventory: bool,
    /// The inventory of site B answers 200 with a body that is not JSON.
    html_inventory: bool,
    /// What the inventory walks noted (a profile pointer that matched nothing).
    inventory_notes: Vec<String>,
}

fn clean() -> Fleet {
    let device = |id: &str, site: &str, ty: &str| {
        json!({"device_id": id, "name": format!("{ty} {id}"), "type": ty, "site_id": site, "status": "online",
               "account_id": ACCOUNT, "mac_address": "00:0f:e5:14:b2:1e", "ip": "10.0.0.7",
               "last_seen": "2026-02-04T14:31:58.120Z"})
    };
    let mut door = device("11111111-2222-4333-8444-555555555555", SITE_A, "door");
    door["parent_id"] = json!("22222222-2222-4333-8444-555555555555");
    Fleet {
        account: json!({"account_id": ACCOUNT, "name": "Acme Security"}),
        sites: vec![
            json!({"site_id": SITE_A, "name": "HQ", "address": "233 S Wacker Dr", "timezone": "America/Chicago"}),
            json!({"site_id": SITE_B, "name": "Depot", "coordinates": {"latitude": 41.0, "longitude": -87.0}, "timezone": "UTC"}),
        ],
        devices: vec![
            (SITE_A.into(), vec![door, device("22222222-2222-4333-8444-555555555555", SITE_A, "access_panel")]),
            (SITE_B.into(), vec![device("33333333-2222-4333-8444-555555555555", SITE_B, "camera")]),
        ],
        content_type: "application/json",
        unstable: false,
        broken_inventory: false,
        html_inventory: false,
        inventory_notes: vec![],
    }
}

#[derive(Debug)]
struct FakeApi {
    fleet: Fleet,
    calls: AtomicUsize,
}

impl FakeApi {
    fn exchange(&self, url: String, status: u16) -> Exchange {
        Exchange {
            method: "GET".into(),
            url,
            status: Some(status),
            response_headers: vec![("content-type".into(), self.fleet.content_type.into())],
            reproduce: "curl".into(),
            ..Exchange::default()
        }
    }

    fn listing(&self, url: String, records: Vec<Value>) -> Listing {
        Listing {
            records: records.into_iter().map(|r| Listed { raw: r.clone(), record: r, page: 0 }).collect(),
            exchanges: vec![self.exchange(url, 200)],
            notes: vec![],
        }
    }
}

#[async_trait]
impl VendorApi for FakeApi {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let record = self.fleet.account.clone();
        Ok(Fetched { raw: record.clone(), record, exchange: self.exchange("http://v/api/v1/account".into(), 200) })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.listing("http://v/api/v1/account/sites".into(), self.fleet.sites.clone()))
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        let url = format!("http://v/api/v1/sites/{site_id}/inventory");
        if self.fleet.broken_inventory && site_id == SITE_B {
            return Err(ApiError::new(ApiErrorKind::Status, "answered 500", vec![self.exchange(url, 500)]));
        }
        if self.fleet.html_inventory && site_id == SITE_B {
            let message = "the body is not JSON: expected value at line 1 column 1";
            return Err(ApiError::new(ApiErrorKind::InvalidJson, message, vec![self.exchange(url, 200)]));
        }
        let mut devices =
            self.fleet.devices.iter().find(|(s, _)| s == site_id).map(|(_, d)| d.clone()).unwrap_or_default();
        if self.fleet.unstable && self.calls.load(Ordering::SeqCst) > 1 {
            for d in &mut devices {
                d["device_id"] = json!(format!("{}-again", d["device_id"].as_str().unwrap()));
            }
        }
        let mut listing = self.listing(url, devices);
        listing.notes = self.fleet.inventory_notes.clone();
        Ok(listing)
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::canonical()
    }

    // The schema suite reads the sync only; probes and walks belong to other suites' fakes.
    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        Err(ApiError::new(ApiErrorKind::Config, format!("the schema fake serves no probe of {}", probe.path), vec![]))
    }

    async fn walk(
        &self,
        _collection: &Collection,
        _per_page: Option<u64>,
        _visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        Err(ApiError::new(ApiErrorKind::Config, "the schema fake serves no walk", vec![]))
    }
}

/// Runs the schema suite over `fleet` and asserts which checks end with `status`.
async fn check(fleet: Fleet, status: Status, expected: &[&str]) {
    let cx = Context::new(Arc::new(FakeApi { fleet, calls: AtomicUsize::new(0) }));
    let mut got = BTreeSet::new();
    for c in suites::checks().iter().filter(|c| c.meta.suite == "schema") {
        let outcome = (c.run)(&cx).await;
        if outcome.status == Status::Fail {
            assert!(!outcome.evidence.findings.is_empty() || !outcome.evidence.exchanges.is_empty(), "{outcome:?}");
            // Every FAIL names the CONTRACT.md requirement it enforces, and quotes it.
            let rule = c.meta.requirements[0];
            assert!(
                outcome.message.contains(rule) && outcome.message.contains('"'),
                "{}: a FAIL that does not quote {rule}: {}",
                c.meta.id,
                outcome.message
            );
        }
        if outcome.status == status {
            got.insert(c.meta.id);
        }
        if status == Status::Pass {
            assert_eq!(outcome.status, Status::Pass, "{}: {outcome:#?}", c.meta.id);
        }
    }
    if status != Status::Pass {
        assert_eq!(got, expected.iter().copied().collect::<BTreeSet<_>>());
    }
}

fn device_mut(fleet: &mut Fleet, site: usize, i: usize) -> &mut Value {
    &mut fleet.devices[site].1[i]
}

#[tokio::test]
async fn a_clean_fleet_passes_every_schema_check() {
    check(clean(), Status::Pass, &[]).await;
}

#[tokio::test]
async fn each_broken_variant_fails_its_checks() {
    type Break = fn(&mut Fleet);
    let cases: &[(&str, Break, &[&str])] = &[
        ("account without name", |f| f.account = json!({"account_id": ACCOUNT}), &["schema.account"]),
        // ACC-1/SITE-1/INV-1 "return" JSON documents: a 2xx body that is not JSON returns none
        // (the label alone is no requirement: a_json_body_labelled_otherwise_passes_with_a_note).
        (
            "an inventory answered 200 in HTML",
            |f| f.html_inventory = true,
            &["schema.json-content-type", "schema.device-fields"],
        ),
        (
            "site without descriptor",
            |f| f.sites[0] = json!({"site_id": SITE_A, "name": "HQ"}),
            &["schema.sites", "schema.site-location"],
        ),
        ("site with an offset for a zone", |f| f.sites[0]["timezone"] = json!("-06:00"), &["schema.site-location"]),
        (
            "device without name",
            |f| {
                device_mut(f, 0, 0).as_object_mut().unwrap().remove("name");
            },
            &["schema.device-fields"],
        ),
        (
            "two devices share an id",
            |f| device_mut(f, 1, 0)["device_id"] = json!("22222222-2222-4333-8444-555555555555"),
            &["schema.device-fields"],
        ),
        (
            "foreign account id",
            |f| device_mut(f, 0, 1)["account_id"] = json!("ffffffff-5678-90ab-cdef-1234567890ab"),
            &["schema.device-fields"],
        ),
        (
            "status outside the vocabulary",
            |f| device_mut(f, 0, 0)["status"] = json!("GREEN"),
            &["schema.device-status"],
        ),
        ("dashed MAC", |f| device_mut(f, 0, 0)["mac_address"] = json!("00-0f-e5-14-b2-1e"), &["schema.mac-address"]),
        (
            "last_seen in epoch seconds",
            |f| device_mut(f, 0, 0)["last_seen"] = json!("1707057118"),
            &["schema.optional-fields"],
        ),
        (
            "dangling parent",
            |f| device_mut(f, 0, 0)["parent_id"] = json!("99999999-2222-4333-8444-555555555555"),
            &["schema.parent-ids"],
        ),
        ("device names another site", |f| device_mut(f, 1, 0)["site_id"] = json!(SITE_A), &["schema.device-site"]),
        ("ids change between calls", |f| f.unstable = true, &["schema.stable-ids"]),
        ("short ids", |f| f.account["account_id"] = json!("00001106"), &["schema.uuid-ids", "schema.device-fields"]),
        ("inventory answers 500", |f| f.broken_inventory = true, &["schema.device-fields"]),
    ];
    for (name, break_it, failing) in cases {
        let mut fleet = clean();
        break_it(&mut fleet);
        eprintln!("case: {name}");
        check(fleet, Status::Fail, failing).await;
    }
}

/// A pointer that matched nothing on every record is named in the failing check's message as a
/// likely profile mistake, not only in its notes; a check that passes carries no such claim.
#[tokio::test]
async fn a_pointer_that_matches_nothing_is_named_as_a_profile_mistake() {
    let note = format!(
        "/api/v1/sites/{{site_id}}/inventory: the profile reads `status` from `/state`, which matches nothing in any of its 2 records: {} (check it with `harness probe`)",
        suites::sync::PROFILE_MISTAKE
    );
    let mut fleet = clean();
    for (_, devices) in &mut fleet.devices {
        for d in devices {
            d.as_object_mut().unwrap().remove("status");
        }
    }
    fleet.inventory_notes = vec![note.clone()];
    let cx = Context::new(Arc::new(FakeApi { fleet: fleet.clone(), calls: AtomicUsize::new(0) }));
    let status = suites::schema::device_status(&cx).await;
    assert_eq!(status.status, Status::Fail, "{status:#?}");
    assert!(status.message.contains("INV-2 (MUST)"), "{}", status.message);
    assert!(
        status.message.contains("Likely a profile mistake") && status.message.contains("`/state`"),
        "{}",
        status.message
    );
    assert!(status.evidence.notes.contains(&note));
    let fields = suites::schema::device_fields(&cx).await;
    assert_eq!(fields.status, Status::Pass, "{fields:#?}");
    assert!(!fields.message.contains("profile mistake"));
}

/// CONTRACT.md never mentions `Content-Type`: JSON bodies labelled `text/plain` (or not at all)
/// pass, with a note; `+json` and parameters are JSON labels.
#[tokio::test]
async fn a_json_body_labelled_otherwise_passes_with_a_note() {
    for label in ["text/plain; charset=utf-8", "text/html", ""] {
        let mut fleet = clean();
        fleet.content_type = label;
        let cx = Context::new(Arc::new(FakeApi { fleet, calls: AtomicUsize::new(0) }));
        let outcome = suites::schema::json_content_type(&cx).await;
        assert_eq!(outcome.status, Status::Pass, "{label}: {outcome:#?}");
        assert!(outcome.evidence.notes.iter().any(|n| n.contains("does not require the label")), "{outcome:#?}");
    }
    for label in ["application/json; charset=utf-8", "application/vnd.api+json"] {
        let mut fleet = clean();
        fleet.content_type = label;
        let cx = Context::new(Arc::new(FakeApi { fleet, calls: AtomicUsize::new(0) }));
        let outcome = suites::schema::json_content_type(&cx).await;
        assert_eq!(outcome.status, Status::Pass, "{label}: {outcome:#?}");
        assert!(outcome.evidence.notes.is_empty(), "{label}: {outcome:#?}");
    }
}

/// SITE-1 asks for `site_id`, `name` and a descriptor's presence: the contract defines no shape
/// for coordinates or an address, and an IANA zone is SITE-2's (SHOULD).
#[tokio::test]
async fn site_descriptors_in_any_shape_meet_site_1() {
    let mut fleet = clean();
    fleet.sites[0] = json!({"site_id": SITE_A, "name": "HQ", "coordinates": {"lat": 41.88, "lng": -87.63}, "timezone": "America/Chicago"});
    fleet.sites[1] = json!({"site_id": SITE_B, "name": "Depot", "address": {"street": "1 Main St", "city": "Joliet"}, "timezone": "UTC"});
    check(fleet, Status::Pass, &[]).await;
    // A zone alone is a descriptor: SITE-1 holds, SITE-2 (an address or coordinates) does not.
    let mut fleet = clean();
    fleet.sites[0] = json!({"site_id": SITE_A, "name": "HQ", "timezone": "-06:00"});
    check(fleet, Status::Fail, &["schema.site-location"]).await;
    // An empty descriptor is none.
    let mut fleet = clean();
    fleet.sites[0] = json!({"site_id": SITE_A, "name": "HQ", "address": "", "coordinates": {}});
    check(fleet, Status::Fail, &["schema.sites", "schema.site-location"]).await;
}
