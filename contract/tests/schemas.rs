//! The published schemas (`schemas/`): valid against the 2020-12 meta-schema, consistent with
//! the wire types, and the OpenAPI document's references resolve.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use contract::{
    Account, Event, EventData, EventFamily, InventoryPage, SchemaId, SitesPage, WebhookCreate, WebhookCreated,
    WebhookList,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Validates, parses into `T`, serialises back, and validates the result again.
fn check<T: DeserializeOwned + Serialize>(id: SchemaId, example: Value) -> T {
    if let Err(errors) = id.validate(&example) {
        panic!("{} rejects {example}: {errors:#?}", id.file_name());
    }
    let typed: T = serde_json::from_value(example.clone()).expect("example parses into the type");
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(back, example, "{} does not round-trip", id.file_name());
    typed
}

#[test]
fn every_schema_file_is_a_valid_2020_12_schema() {
    for &id in SchemaId::ALL {
        let doc: Value = serde_json::from_str(id.source()).unwrap();
        assert_eq!(doc["$schema"], "https://json-schema.org/draft/2020-12/schema", "{}", id.file_name());
        if let Err(e) = jsonschema::draft202012::meta::validate(&doc) {
            panic!("schemas/{} is not a valid 2020-12 schema: {e}", id.file_name());
        }
    }
}

#[test]
fn every_file_in_the_folder_is_embedded() {
    let embedded: BTreeSet<&str> = SchemaId::ALL.iter().map(|id| id.file_name()).collect();
    for entry in std::fs::read_dir(schemas_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") && !name.starts_with("report") {
            assert!(embedded.contains(name.as_str()), "schemas/{name} exists but the contract crate does not embed it");
        }
    }
}

#[test]
fn schema_examples_validate() {
    for &id in SchemaId::ALL {
        for example in id.json()["examples"].as_array().into_iter().flatten() {
            assert!(id.is_valid(example), "{} rejects its own example {example}", id.file_name());
        }
    }
}

#[test]
fn the_contracts_event_example_validates_and_round_trips() {
    // CONTRACT.md §5, verbatim.
    let example = json!({"event_id": "698219ad-4de9-896d-3be0-66cb00000001", "event_type": "health",
     "device_id": "652efeac-8567-4253-9d61-bbc842863d33", "timestamp": "2026-02-04T14:32:00Z",
     "account_id": "a1b2c3d4-5678-90ab-cdef-1234567890ab", "site_id": "5e6693c0-091d-47a2-b90a-6c15531b3c50",
     "data": {"status": "offline"}});
    let event: Event = check(SchemaId::Event, example);
    assert_eq!(event.family(), Some(EventFamily::Health));
    assert!(matches!(event.typed_data().unwrap(), EventData::Health(h) if h.status == contract::DeviceStatus::Offline));
}

#[test]
fn the_contracts_webhook_examples_validate_and_round_trip() {
    // CONTRACT.md §9.
    let create: WebhookCreate = check(
        SchemaId::WebhookCreate,
        json!({"name": "integrator", "target_url": "https://hooks.example.com/vendor", "status": "active"}),
    );
    assert_eq!(create.name, "integrator");
    let created: WebhookCreated = check(
        SchemaId::WebhookCreated,
        json!({"webhook_id": "0b6f1e2a-9c1d-4e7a-8f00-5a1b2c3d4e5f", "name": "integrator",
               "target_url": "https://hooks.example.com/vendor", "status": "active", "secret": "whsec_abc"}),
    );
    assert_eq!(created.secret.expose(), "whsec_abc");
    assert_eq!(format!("{created:?}").matches("whsec_abc").count(), 0, "Debug never shows the secret");
    let _: WebhookList = check(
        SchemaId::WebhookList,
        json!({"webhooks": [{"webhook_id": "0b6f1e2a-9c1d-4e7a-8f00-5a1b2c3d4e5f", "name": "integrator",
                             "target_url": "https://hooks.example.com/vendor", "status": "active"}]}),
    );
    // WHM-2: a secret in the list is a schema violation.
    let leaky = json!({"webhooks": [{"webhook_id": "w", "name": "n", "target_url": "https://x.example/",
                                     "status": "active", "secret": "whsec_abc"}]});
    assert!(!SchemaId::WebhookList.is_valid(&leaky));
}

#[test]
fn a_webhook_status_of_the_vendors_own_validates() {
    // WHM-2: `active` is the one value the contract defines; others are the vendor's own.
    for status in ["active", "paused", "disabled", "ENABLED"] {
        let listed = json!({"webhooks": [{"webhook_id": "w", "name": "n", "target_url": "https://x.example/",
                                         "status": status}]});
        assert!(SchemaId::WebhookList.is_valid(&listed), "{status}");
        assert!(SchemaId::Webhook.is_valid(&listed["webhooks"][0]), "{status}");
    }
    let empty = json!({"webhook_id": "w", "name": "n", "target_url": "https://x.example/", "status": ""});
    assert!(!SchemaId::Webhook.is_valid(&empty));
    // A create may ask for the vendor's own word too; the contract names no other value.
    for status in ["active", "paused", "ENABLED"] {
        let create = json!({"name": "n", "target_url": "https://x.example/", "status": status});
        assert!(SchemaId::WebhookCreate.is_valid(&create), "create with {status}");
    }
    let schema = SchemaId::WebhookCreate.json().to_string();
    assert!(!schema.contains("inactive"), "the create schema names no value the contract does not define");
}

#[test]
fn account_sites_and_inventory_examples_round_trip() {
    let _: Account = check(
        SchemaId::Account,
        json!({"account_id": "a1b2c3d4-5678-90ab-cdef-1234567890ab", "name": "Acme Security"}),
    );
    let _: SitesPage = check(
        SchemaId::SitesPage,
        json!({"sites": [{"site_id": "5e6693c0-091d-47a2-b90a-6c15531b3c50", "name": "HQ",
                          "address": "233 S Wacker Dr, Chicago, IL 60606", "timezone": "America/Chicago"}],
               "pagination": {"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1}}),
    );
    let _: InventoryPage = check(
        SchemaId::InventoryPage,
        json!({"devices": [{"device_id": "652efeac-8567-4253-9d61-bbc842863d33", "name": "Front Lobby Door",
                            "type": "door", "site_id": "5e6693c0-091d-47a2-b90a-6c15531b3c50", "status": "online",
                            "account_id": "a1b2c3d4-5678-90ab-cdef-1234567890ab", "mac_address": "00:0f:e5:14:b2:1e",
                            "parent_id": "7f0c1d2e-3f40-4152-8637-48596a7b8c9d", "last_seen": "2026-02-04T14:32:00.120Z"}],
               "pagination": {"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1}}),
    );
    // An empty collection: total_count 0, total_pages 0, page 1 answers an empty list (§4).
    let _: InventoryPage = check(
        SchemaId::InventoryPage,
        json!({"devices": [], "pagination": {"page": 1, "per_page": 50, "total_pages": 0, "total_count": 0}}),
    );
}

#[test]
fn typed_events_of_every_family_validate() {
    use contract::*;
    let datas = [
        EventData::Health(HealthData {
            status: DeviceStatus::Online,
            previous_status: Some(DeviceStatus::Offline),
            reason: None,
        }),
        EventData::Alarm(AlarmData {
            condition: "intrusion".into(),
            state: ConditionState::Active,
            severity: Some(Severity::Critical),
            zone: Some("Zone 3".into()),
        }),
        EventData::Access(AccessData {
            action: AccessAction::DoorForced,
            credential_id: None,
            holder_name: None,
            reason: None,
            door_id: None,
        }),
        EventData::Video(VideoData {
            condition: VideoCondition::StreamLoss,
            state: ConditionState::Cleared,
            detail: None,
        }),
        EventData::Ping(PingData { message: Some("test".into()) }),
    ];
    for data in datas {
        let device = data.family().is_device_event().then_some(("d-1", "s-1"));
        let event = Event::new("e-1", rfc3339_millis(1_770_000_000_123), "a-1", device, &data);
        let value = serde_json::to_value(&event).unwrap();
        assert!(SchemaId::Event.is_valid(&value), "{value}");
        assert!(SchemaId::for_event_data(data.family()).is_valid(&value["data"]));
        assert_eq!(event.typed_data().unwrap(), data);
    }
}

#[test]
fn broken_payloads_are_rejected_with_their_path() {
    let no_device = json!({"event_id": "e", "event_type": "health", "timestamp": "2026-02-04T14:32:00Z",
                           "account_id": "a", "site_id": "s", "data": {"status": "offline"}});
    assert!(!SchemaId::Event.is_valid(&no_device), "EVT-2: a device event names its device");
    let not_utc = json!({"event_id": "e", "event_type": "ping", "timestamp": "2026-02-04T14:32:00+01:00",
                         "account_id": "a", "data": {}});
    assert!(!SchemaId::Event.is_valid(&not_utc), "EVT-2: timestamps are UTC");
    let bad_status = json!({"event_id": "e", "event_type": "health", "timestamp": "2026-02-04T14:32:00Z",
                            "account_id": "a", "site_id": "s", "device_id": "d", "data": {"status": "sleepy"}});
    let errors = SchemaId::Event.validate(&bad_status).unwrap_err();
    assert!(errors.iter().any(|e| e.instance_path == "/data/status"), "{errors:?}");
    // EVT-2 lists what a device event carries; EVT-4 defines no attributes inside `data` for
    // other families: only a health event must carry `data` (with `status`, EVT-1).
    let alarm = json!({"event_id": "e", "event_type": "alarm", "timestamp": "2026-02-04T14:32:00Z",
                       "account_id": "a", "site_id": "s", "device_id": "d"});
    assert!(SchemaId::Event.is_valid(&alarm), "an alarm event without `data` carries all EVT-2 asks");
    let mut health = alarm.clone();
    health["event_type"] = json!("health");
    let errors = SchemaId::Event.validate(&health).unwrap_err();
    assert!(errors.iter().any(|e| e.message.contains("\"data\"")), "EVT-1: a health event has `data`: {errors:?}");
    let mut scalar = alarm.clone();
    scalar["data"] = json!("door forced");
    assert!(!SchemaId::Event.is_valid(&scalar), "`data`, when present, is an object");
    let no_descriptor = json!({"sites": [{"site_id": "s", "name": "n"}],
                               "pagination": {"page": 1, "per_page": 50, "total_pages": 1, "total_count": 1}});
    assert!(!SchemaId::SitesPage.is_valid(&no_descriptor), "SITE-1: a site has a descriptor");
    // SITE-1 asks for a descriptor's presence, in any shape: coordinates as `{lat, lng}` or a
    // structured address are descriptors; an empty one is none.
    for site in [
        json!({"site_id": "s", "name": "n", "coordinates": {"lat": 41.8, "lng": -87.6}}),
        json!({"site_id": "s", "name": "n", "address": {"city": "Chicago"}}),
    ] {
        assert!(SchemaId::Site.is_valid(&site), "{site}");
    }
    assert!(!SchemaId::Site.is_valid(&json!({"site_id": "s", "name": "n", "address": "", "coordinates": {}})));
}

fn collect_refs(value: &serde_norway::Value, out: &mut Vec<String>) {
    match value {
        serde_norway::Value::Mapping(map) => {
            for (k, v) in map {
                if k.as_str() == Some("$ref") {
                    out.push(v.as_str().expect("$ref is a string").to_owned());
                }
                collect_refs(v, out);
            }
        }
        serde_norway::Value::Sequence(seq) => seq.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn openapi_parses_and_every_ref_resolves() {
    let text = std::fs::read_to_string(schemas_dir().join("openapi.yaml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).expect("openapi.yaml parses");
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let as_json: Value = serde_json::to_value(&doc).unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    let mut files = BTreeSet::new();
    for r in refs {
        let (file, pointer) = r.split_once('#').unwrap_or((r.as_str(), ""));
        if file.is_empty() {
            assert!(as_json.pointer(pointer).is_some(), "local $ref {r} does not resolve in openapi.yaml");
            continue;
        }
        let path = schemas_dir().join(file.trim_start_matches("./"));
        let target: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("$ref {r}: no file {}", path.display())),
        )
        .unwrap();
        assert!(pointer.is_empty() || target.pointer(pointer).is_some(), "$ref {r} does not resolve");
        files.insert(file.trim_start_matches("./").to_owned());
    }
    for &id in SchemaId::ALL {
        assert!(files.contains(id.file_name()), "openapi.yaml never references {}", id.file_name());
    }
    for path in [
        "/api/v1/account",
        "/api/v1/account/sites",
        "/api/v1/sites/{site_id}/inventory",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/webhooks/{webhook_id}/ping",
        "/api/v1/event-types",
    ] {
        assert!(as_json["paths"].get(path).is_some(), "openapi.yaml lacks {path}");
    }
    assert!(as_json["webhooks"].as_object().is_some_and(|w| !w.is_empty()), "openapi.yaml documents deliveries");
}
