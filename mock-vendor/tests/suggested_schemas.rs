//! The project's family schemas (`schemas/event-data-<family>.json`) are suggestions, not
//! requirements (CONTRACT.md EVT-4): the mock vendor is the one vendor that follows them. It
//! declares each as the `data_schema` of its family in its catalogue (EVT-5), which is what the
//! harness judges a family's `data` by, and what it emits matches that declaration.

mod common;

use std::time::Duration;

use common::{Mock, Receiver};
use contract::{DeclaredSchema, EventFamily, SchemaId};
use serde_json::{Value, json};

#[tokio::test]
async fn the_mock_declares_the_suggested_schemas_and_emits_data_that_matches_them() {
    let m = Mock::start(common::test_config()).await;
    let (status, _, catalogue) = m.get(0, "/api/v1/event-types").await;
    assert_eq!(status, 200);
    let entries = catalogue["event_types"].as_array().unwrap();
    let declared = |family: EventFamily| -> Value {
        let entry = entries.iter().find(|e| e["event_type"] == family.to_string());
        entry.unwrap_or_else(|| panic!("{family} is not in the catalogue"))["data_schema"].clone()
    };
    for family in EventFamily::ALL {
        assert_eq!(&declared(family), SchemaId::for_event_data(family).json(), "{family}");
    }

    let rx = Receiver::start().await;
    m.create_webhook(0, &rx.url).await;
    let device = m.device_of_kind(0, "door").await["device_id"].as_str().unwrap().to_owned();
    let families = [EventFamily::Alarm, EventFamily::Access, EventFamily::Video];
    for family in families {
        let path = format!("/_mock/devices/{device}/events");
        let (status, body) =
            m.admin(reqwest::Method::POST, &path, Some(json!({"event_type": family.to_string()}))).await;
        assert_eq!(status, 200, "{family}: {body}");
    }
    let received = rx.wait_for(families.len(), Duration::from_secs(10)).await;
    for r in received {
        let event: Value = serde_json::from_slice(&r.body).unwrap();
        let family = EventFamily::parse(event["event_type"].as_str().unwrap()).unwrap();
        let schema = DeclaredSchema::compile(&declared(family)).unwrap();
        assert_eq!(schema.validate(&event["data"]), Ok(()), "{family}: {event}");
    }
}
