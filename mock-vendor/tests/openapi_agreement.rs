//! Where Schemathesis (`.ci/schemathesis`) found the mock and `schemas/openapi.yaml` disagreeing:
//! each case pinned in-process, so the disagreement cannot come back between CI runs.

mod common;

use common::{Mock, test_config};
use contract::SchemaId;
use serde_json::json;

/// openapi.yaml declares `page` an integer from 1 with no upper bound, and PAGE-4 says a page
/// past the end answers 200 with an empty list: a page number too long for any machine integer
/// is still a whole number past the end, not "not a whole number" (Schemathesis ST202, seed 2).
#[tokio::test]
async fn a_page_number_of_any_length_is_past_the_end() {
    let m = Mock::start(test_config()).await;
    let huge = "188116969316912975898921922374051823616"; // > i128::MAX
    for query in [format!("page={huge}"), format!("page={huge}&per_page=361"), format!("page={huge}0000")] {
        let (status, _, body) = m.get(0, &format!("/api/v1/account/sites?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        SchemaId::SitesPage.validate(&body).unwrap();
        assert_eq!(body["sites"], json!([]), "{query}");
        assert_eq!(body["pagination"]["total_count"], 4, "{query}");
        let site = m.sites(0).await[0]["site_id"].as_str().unwrap().to_owned();
        let (status, _, body) = m.get(0, &format!("/api/v1/sites/{site}/inventory?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        SchemaId::InventoryPage.validate(&body).unwrap();
        assert_eq!(body["devices"], json!([]), "{query}");
    }
}

/// A `per_page` too long for any machine integer is over the documented maximum (500): the
/// canonical shape refuses it with a 400 that says so (PAGE-5), not that it is not a number.
#[tokio::test]
async fn a_page_size_of_any_length_is_over_the_maximum() {
    let m = Mock::start(test_config()).await;
    let (status, _, body) = m.get(0, "/api/v1/account/sites?per_page=188116969316912975898921922374051823616").await;
    assert_eq!(status, 400, "{body}");
    SchemaId::Error.validate(&body).unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("between 1 and 500"), "{message}");
    let (status, _, body) = m.get(0, "/api/v1/account/sites?page=-188116969316912975898921922374051823616").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("starts at 1"), "{body}");
}

/// The statuses `schemas/openapi.yaml` documents for one operation.
fn documented(path: &str, method: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/openapi.yaml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let responses = doc["paths"][path][method]["responses"].as_mapping().expect("operation documented");
    responses.keys().map(|k| k.as_str().expect("status").to_owned()).collect()
}

/// PAGE-4 lets a vendor answer a page past the end 404 instead of 200 with an empty list, and the
/// mock does under `--past-end 404`: openapi.yaml documents that 404 on both paginated
/// operations (Schemathesis reported it undocumented on listSites).
#[tokio::test]
async fn a_past_end_404_is_documented() {
    let mut config = test_config();
    config.variations.past_end = mock_vendor::config::PastEnd::NotFound;
    let m = Mock::start(config).await;
    let (status, _, body) = m.get(0, "/api/v1/account/sites?page=999").await;
    assert_eq!(status, 404, "{body}");
    SchemaId::Error.validate(&body).unwrap();
    assert!(documented("/api/v1/account/sites", "get").contains(&"404".to_owned()), "listSites: 404 undocumented");
    let site = m.sites(0).await[0]["site_id"].as_str().unwrap().to_owned();
    let (status, _, _) = m.get(0, &format!("/api/v1/sites/{site}/inventory?page=999")).await;
    assert_eq!(status, 404);
    assert!(documented("/api/v1/sites/{site_id}/inventory", "get").contains(&"404".to_owned()));
}

/// The cursor and link shapes clamp a page size over their maximum: one too long for any machine
/// integer is clamped too, as `100000` is (PAGE-5), not refused as "not a whole number" like the
/// canonical parser did before Schemathesis found it.
#[tokio::test]
async fn the_shapes_clamp_a_page_size_of_any_length() {
    let long = "188116969316912975898921922374051823616";
    for (shape, path) in [
        (mock_vendor::Shape::Cursor, format!("/api/v3/locations?pageSize={long}")),
        (mock_vendor::Shape::Link, format!("/api/v1/networks?perPage={long}")),
    ] {
        let m = Mock::start(mock_vendor::MockConfig { shape, ..test_config() }).await;
        let (status, _, body) = m.get(0, &path).await;
        assert_eq!(status, 200, "{shape:?}: {body}");
        let (status, _, body) = m.get(0, &path.replace(long, &format!("-{long}"))).await;
        assert_eq!(status, 400, "{shape:?}: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains("at least 1"), "{shape:?}: {body}");
    }
}
