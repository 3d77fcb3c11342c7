//! Cisco Meraki Dashboard v1: root arrays paged by `Link` headers, past-end answers and a
//! profile's pointer that matches nothing.

use serde_json::{Value, json};
use suites::Status;
use wiremock::MockServer;

use crate::pager::*;
use crate::support::*;

pub(crate) const MERAKI_KEY: &str = "meraki-api-key-0123456789";
pub(crate) const MERAKI_ORG: &str = "549236";
pub(crate) const MERAKI_MAIN: &str = "N_24329156";
pub(crate) const MERAKI_BRANCH: &str = "N_24329157";

pub(crate) fn meraki_devices() -> Vec<Value> {
    let mut devices: Vec<Value> = serde_json::from_str(MERAKI_AVAILABILITIES).unwrap();
    let more = [
        ("00:11:22:33:44:56", "Lobby AP", MERAKI_MAIN, "wireless", "Q234-ABCD-0001", "alerting"),
        ("00:11:22:33:44:57", "Dock Camera", MERAKI_MAIN, "camera", "Q234-ABCD-0002", "offline"),
        ("00:11:22:33:44:58", "Cold Room Sensor", MERAKI_MAIN, "sensor", "Q234-ABCD-0003", "dormant"),
        ("00:11:22:33:44:59", "Core Switch", MERAKI_MAIN, "switch", "Q234-ABCD-0004", "online"),
        ("00:11:22:33:44:5a", "Branch Camera", MERAKI_BRANCH, "camera", "Q234-ABCD-0005", "online"),
    ];
    devices.extend(more.iter().map(|(mac, name, network, product, serial, status)| {
        json!({"mac": mac, "name": name, "network": {"id": network}, "productType": product,
               "serial": serial, "status": status, "tags": []})
    }));
    devices
}

pub(crate) async fn meraki(devices: Vec<Value>) -> MockServer {
    let server = MockServer::builder().start().await;
    let auth = ("x-cisco-meraki-api-key", MERAKI_KEY);
    let org = json!({"id": MERAKI_ORG, "name": "DevNet Sandbox", "url": "https://n149.meraki.com/o/-t35Mb/manage/organization/overview"});
    mount(&server, "GET", "/api/v1/organizations/549236", auth, record(org)).await;
    let networks = vec![
        json!({"id": MERAKI_MAIN, "organizationId": MERAKI_ORG, "name": "Main Office", "productTypes": ["switch", "wireless"], "timeZone": "America/Los_Angeles", "tags": []}),
        json!({"id": MERAKI_BRANCH, "organizationId": MERAKI_ORG, "name": "Branch", "productTypes": ["camera"], "timeZone": "Europe/Amsterdam", "tags": []}),
    ];
    mount(&server, "GET", "/api/v1/organizations/549236/networks", auth, Pager::new(Style::Meraki, "", networks)).await;
    let availabilities = Pager::new(Style::Meraki, "", devices).id("/serial").filter("/network/id", "networkIds[]");
    mount(&server, "GET", "/api/v1/organizations/549236/devices/availabilities", auth, availabilities).await;
    server
}

#[tokio::test]
async fn meraki_availabilities_follow_link_headers_onto_canonical_devices() {
    let server = meraki(meraki_devices()).await;
    let mut profile = example(MERAKI);
    profile.pagination.set_size(2);
    let client = client(&server, profile, MERAKI_KEY);
    let main = canonical_inventory(&client, MERAKI_MAIN).await;
    assert_eq!(
        main[0],
        json!({"device_id": "Q234-ABCD-5678", "name": "My AP", "type": "switch", "site_id": MERAKI_MAIN,
               "status": "online", "mac_address": "00:11:22:33:44:55", "account_id": MERAKI_ORG})
    );
    let statuses: Vec<&str> = main.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["online", "degraded", "offline", "unknown", "online"]);
    assert_eq!(main[1]["type"], "access_point");
    // Three pages of two: the second and third were asked for through their `rel=next` links.
    let asked: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/availabilities"))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked[1].contains("startingAfter=Q234-ABCD-0001") && asked[2].contains("startingAfter=Q234-ABCD-0003"));
    assert!(asked.iter().all(|q| q.contains("networkIds%5B%5D=N_24329156") && q.contains("perPage=2")), "{asked:?}");
}

#[tokio::test]
async fn meraki_passes_the_schema_and_pagination_suites() {
    let server = meraki(meraki_devices()).await;
    let (_, report) = run_suites(&server, example(MERAKI), MERAKI_KEY).await;
    use Expect::*;
    assert_checks(
        &report,
        &[
            ("schema.account", Pass),
            ("schema.json-content-type", Pass),
            ("schema.sites", Pass),
            // Networks carry a time zone but no address (a SHOULD).
            ("schema.site-location", Fail),
            ("schema.device-fields", Pass),
            ("schema.device-status", Pass),
            ("schema.mac-address", Pass),
            ("schema.device-site", Pass),
            ("schema.stable-ids", Pass),
            ("schema.uuid-ids", Fail),
            ("pagination.complete-walk", Pass),
            ("pagination.totals", NotApplicable),
            ("pagination.page-sizes", Pass),
            ("pagination.next-chain", Pass),
            ("pagination.bad-parameters", Pass),
            // Keyset: `startingAfter=<the last serial>` asks for the page after the last.
            ("pagination.past-end", Pass),
            ("pagination.per-page-max", Pass),
            ("pagination.stable-order", Pass),
        ],
    );
    assert!(row(&report, "schema.site-location").message.contains("neither `address` nor `coordinates`"));
    let past_end = row(&report, "pagination.past-end");
    assert!(past_end.evidence.notes.iter().any(|n| n.contains("the page after Q234-ABCD-0004")), "{past_end:#?}");
}

/// A link-header vendor whose profile says how to ask past the end is judged by PAGE-4: one
/// that answers the page after its last device with devices again fails, quoting the rule.
#[tokio::test]
async fn a_meraki_that_lists_devices_again_past_the_end_fails_past_end() {
    let server = MockServer::builder().start().await;
    let auth = ("x-cisco-meraki-api-key", MERAKI_KEY);
    mount(&server, "GET", "/api/v1/organizations/549236", auth, record(json!({"id": MERAKI_ORG, "name": "Org"}))).await;
    let networks = vec![json!({"id": MERAKI_MAIN, "name": "Main Office", "timeZone": "America/Los_Angeles"})];
    mount(&server, "GET", "/api/v1/organizations/549236/networks", auth, Pager::new(Style::Meraki, "", networks)).await;
    let mut availabilities =
        Pager::new(Style::Meraki, "", meraki_devices()).id("/serial").filter("/network/id", "networkIds[]");
    availabilities.past_end_repeats = true;
    mount(&server, "GET", "/api/v1/organizations/549236/devices/availabilities", auth, availabilities).await;
    let (_, report) = run_named(&server, example(MERAKI), MERAKI_KEY, &["pagination"]).await;
    let past_end = row(&report, "pagination.past-end");
    assert_eq!(past_end.status, Status::Fail, "{past_end:#?}");
    assert!(past_end.message.contains("PAGE-4 (SHOULD)") && past_end.message.contains("never repeated data"));
    assert!(past_end.message.contains("the page after Q234-ABCD-0004"), "{}", past_end.message);
    assert!(past_end.message.contains("listed by the walk already"), "{}", past_end.message);
}

/// A pointer that matches nothing on any record of every page is named, in the failing
/// check's message, as the profile's likely mistake; a field that only some pages lack is the
/// vendor's, and no profile mistake is claimed.
#[tokio::test]
async fn a_status_pointer_matching_nothing_on_every_page_is_named_as_a_profile_mistake() {
    let server = meraki(meraki_devices()).await;
    let mut profile = example(MERAKI);
    let status = profile.inventory[0].fields.get_mut("status").unwrap();
    *status = harness::profile::FieldSpec::Pointer("/availability".into());
    let (_, report) = run_named(&server, profile, MERAKI_KEY, &["schema"]).await;
    let status = row(&report, "schema.device-status");
    assert_eq!(status.status, Status::Fail, "{status:#?}");
    assert!(status.message.contains("INV-2 (MUST)"), "{}", status.message);
    assert!(
        status.message.contains("Likely a profile mistake")
            && status.message.contains("`/availability`")
            && status.message.contains(suites::sync::PROFILE_MISTAKE),
        "{}",
        status.message
    );
    // The same field missing from the first page's devices only (the walk is 2 a page).
    let mut devices = meraki_devices();
    for d in &mut devices[..2] {
        d.as_object_mut().unwrap().remove("status");
    }
    let server = meraki(devices).await;
    let (_, report) = run_named(&server, example(MERAKI), MERAKI_KEY, &["schema"]).await;
    let status = row(&report, "schema.device-status");
    assert_eq!(status.status, Status::Fail, "{status:#?}");
    assert!(!status.message.contains("profile mistake"), "{}", status.message);
}

#[tokio::test]
async fn a_meraki_device_without_a_serial_fails_device_fields() {
    let mut devices = meraki_devices();
    // The last device of the site: Meraki's `startingAfter` names a serial, so the walk at
    // the default page size never needs the missing one.
    devices[4].as_object_mut().unwrap().remove("serial");
    let server = meraki(devices).await;
    let (summary, report) = run_suites(&server, example(MERAKI), MERAKI_KEY).await;
    assert_eq!(row(&report, "schema.device-fields").status, Status::Fail, "{:#?}", summary.outcomes);
    let finding = &row(&report, "schema.device-fields").evidence.findings[0];
    assert!(finding.message.contains("device_id"), "{}", finding.message);
    assert_eq!(finding.record.as_ref().unwrap()["name"], "Core Switch");
}
