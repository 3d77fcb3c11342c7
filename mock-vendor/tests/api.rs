//! The vendor API in-process: every endpoint, schemas, pagination, errors, tenancy.

mod common;

use common::{Mock, test_config};
use contract::SchemaId;
use proptest::prelude::*;
use serde_json::{Value, json};

#[tokio::test]
async fn every_endpoint_answers_schema_valid_json() {
    let m = Mock::start(test_config()).await;
    let (status, headers, account) = m.get(0, "/api/v1/account").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    SchemaId::Account.validate(&account).unwrap();
    assert_eq!(account["account_id"], m.mock.credentials.accounts[0].account_id.as_str());

    let (status, _, sites) = m.get(0, "/api/v1/account/sites").await;
    assert_eq!(status, 200);
    SchemaId::SitesPage.validate(&sites).unwrap();
    assert_eq!(sites["pagination"], json!({"page": 1, "per_page": 50, "total_pages": 1, "total_count": 4}));
    for site in sites["sites"].as_array().unwrap() {
        let id = site["site_id"].as_str().unwrap();
        let (status, _, page) = m.get(0, &format!("/api/v1/sites/{id}/inventory")).await;
        assert_eq!(status, 200);
        SchemaId::InventoryPage.validate(&page).unwrap();
        for d in page["devices"].as_array().unwrap() {
            assert_eq!(d["site_id"], site["site_id"], "INV-5");
        }
    }
    let (status, _, types) = m.get(0, "/api/v1/event-types").await;
    assert_eq!(status, 200);
    SchemaId::EventTypes.validate(&types).unwrap();
    let (status, _, list) = m.get(0, "/api/v1/webhooks").await;
    assert_eq!(status, 200);
    SchemaId::WebhookList.validate(&list).unwrap();
}

#[tokio::test]
async fn the_empty_site_has_zero_totals() {
    let m = Mock::start(test_config()).await;
    let sites = m.sites(0).await;
    let empty = sites.iter().find(|s| s["name"].as_str().unwrap().contains("opening soon")).unwrap();
    let (status, _, page) = m.get(0, &format!("/api/v1/sites/{}/inventory", empty["site_id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!({"devices": [], "pagination": {"page": 1, "per_page": 50, "total_pages": 0, "total_count": 0}})
    );
}

#[tokio::test]
async fn bad_page_parameters_get_a_json_400() {
    let m = Mock::start(test_config()).await;
    for q in ["page=0", "page=-1", "per_page=0", "page=abc", "per_page=501", "per_page=99999999999999999999999"] {
        let (status, _, body) = m.get(0, &format!("/api/v1/account/sites?{q}")).await;
        assert_eq!(status, 400, "{q}");
        SchemaId::Error.validate(&body).unwrap();
    }
    let (status, _, body) = m.get(0, "/api/v1/account/sites?page=99").await;
    assert_eq!(status, 200, "past the end");
    assert_eq!(body["sites"], json!([]));
}

#[tokio::test]
async fn bad_input_is_a_4xx_json_error_never_5xx() {
    let m = Mock::start(test_config()).await;
    let token = m.token(0);
    let post = |body: reqwest::Body, ct: &'static str| {
        m.http.post(m.url("/api/v1/webhooks")).bearer_auth(&token).header("content-type", ct).body(body)
    };
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("malformed JSON", post("{not json".into(), "application/json")),
        ("wrong types", post(r#"{"name": 5, "target_url": []}"#.into(), "application/json")),
        ("missing fields", post("{}".into(), "application/json")),
        ("not JSON at all", post("name=x".into(), "application/x-www-form-urlencoded")),
        ("oversized", post(vec![b' '; 200_000].into(), "application/json")),
        ("bad URL", post(r#"{"name": "x", "target_url": "not a url"}"#.into(), "application/json")),
        (
            "metadata target",
            post(
                r#"{"name": "x", "target_url": "http://169.254.169.254/latest/meta-data"}"#.into(),
                "application/json",
            ),
        ),
        ("unknown webhook delete", m.http.delete(m.url("/api/v1/webhooks/nope")).bearer_auth(&token)),
        ("unknown webhook ping", m.http.post(m.url("/api/v1/webhooks/nope/ping")).bearer_auth(&token)),
        ("unknown site", m.http.get(m.url("/api/v1/sites/not-a-site/inventory")).bearer_auth(&token)),
        ("unknown route", m.http.get(m.url("/api/v2/nothing")).bearer_auth(&token)),
        ("wrong method", m.http.put(m.url("/api/v1/account")).bearer_auth(&token)),
    ];
    for (what, req) in cases {
        let (status, _, body) = m.send(req).await;
        assert!((400..500).contains(&status), "{what}: {status}");
        assert!(SchemaId::Error.is_valid(&body), "{what}: {body}");
    }
}

#[tokio::test]
async fn cross_account_ids_are_not_found() {
    let m = Mock::start(test_config()).await;
    let b_site = m.sites(1).await[0]["site_id"].as_str().unwrap().to_owned();
    let (status, _, body) = m.get(0, &format!("/api/v1/sites/{b_site}/inventory")).await;
    assert_eq!(status, 404);
    assert!(body.get("devices").is_none());
    let hook = common::Receiver::start().await;
    let (b_hook, _) = m.create_webhook(1, &hook.url).await;
    let (_, _, a_list) = m.get(0, "/api/v1/webhooks").await;
    assert_eq!(a_list["webhooks"], json!([]));
    let (status, _, _) =
        m.send(m.http.delete(m.url(&format!("/api/v1/webhooks/{b_hook}"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 404);
    let (_, _, b_list) = m.get(1, "/api/v1/webhooks").await;
    assert_eq!(b_list["webhooks"].as_array().unwrap().len(), 1, "B's webhook survived A's delete");
}

#[tokio::test]
async fn webhook_lifecycle() {
    let m = Mock::start(test_config()).await;
    let hook = common::Receiver::start().await;
    let (id, secret) = m.create_webhook(0, &hook.url).await;
    assert!(secret.expose().starts_with("whsec_"));
    let (_, _, list) = m.get(0, "/api/v1/webhooks").await;
    SchemaId::WebhookList.validate(&list).unwrap();
    assert_eq!(list["webhooks"][0]["webhook_id"], id.as_str());
    assert!(!list.to_string().contains(secret.expose()), "WHM-2: no secret in the list");
    let (status, _, _) = m.send(m.http.delete(m.url(&format!("/api/v1/webhooks/{id}"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 204);
    let (status, _, _) = m.send(m.http.delete(m.url(&format!("/api/v1/webhooks/{id}"))).bearer_auth(m.token(0))).await;
    assert_eq!(status, 404, "second delete");
}

#[tokio::test]
async fn private_targets_need_the_flag() {
    let m = Mock::start(mock_vendor::MockConfig { allow_private_targets: false, ..test_config() }).await;
    let body = json!({"name": "x", "target_url": "http://127.0.0.1:9/hook"});
    let (status, _, err) = m.send(m.http.post(m.url("/api/v1/webhooks")).bearer_auth(m.token(0)).json(&body)).await;
    assert_eq!(status, 422, "{err}");
}

/// Walks one collection page by page and returns the ids in order.
async fn walk(m: &Mock, path: &str, list: &str, id: &str, per_page: u64) -> Vec<String> {
    let mut ids = Vec::new();
    let mut page = 1;
    loop {
        let (status, _, body) = m.get(0, &format!("{path}?page={page}&per_page={per_page}")).await;
        assert_eq!(status, 200);
        let p = &body["pagination"];
        let items = body[list].as_array().unwrap();
        ids.extend(items.iter().map(|d| d[id].as_str().unwrap().to_owned()));
        let total_pages = p["total_pages"].as_u64().unwrap();
        assert_eq!(total_pages, p["total_count"].as_u64().unwrap().div_ceil(per_page));
        if page < total_pages {
            assert_eq!(items.len() as u64, per_page, "every page but the last is full");
        }
        if page >= total_pages {
            assert_eq!(ids.len() as u64, p["total_count"].as_u64().unwrap());
            return ids;
        }
        page += 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn pagination_walks_yield_each_device_once(devices in 1u64..2_600, per_page in 1u64..=500) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let m = Mock::start(mock_vendor::MockConfig { fleet: mock_vendor::FleetSpec::Synthetic(devices), ..test_config() }).await;
            let mut all = Vec::new();
            for site in walk(&m, "/api/v1/account/sites", "sites", "site_id", per_page.min(3)).await {
                let ids = walk(&m, &format!("/api/v1/sites/{site}/inventory"), "devices", "device_id", per_page).await;
                let again = walk(&m, &format!("/api/v1/sites/{site}/inventory"), "devices", "device_id", per_page).await;
                assert_eq!(ids, again, "PAGE-6: stable order");
                all.extend(ids);
            }
            let unique: std::collections::HashSet<_> = all.iter().collect();
            assert_eq!(unique.len(), all.len(), "no duplicates");
            assert_eq!(all.len() as u64, devices, "no gaps");
        });
    }
}

#[tokio::test]
async fn control_api_needs_the_admin_token() {
    let m = Mock::start(test_config()).await;
    let (status, _, body) = m.send(m.http.get(m.url("/_mock/deliveries"))).await;
    assert_eq!(status, 401);
    SchemaId::Error.validate(&body).unwrap();
    let (status, _, _) = m.send(m.http.get(m.url("/_mock/deliveries")).header("X-Admin-Token", "wrong")).await;
    assert_eq!(status, 401);
    let (status, _) = m.admin(reqwest::Method::GET, "/_mock/deliveries", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn status_changes_reach_inventory() {
    let m = Mock::start(test_config()).await;
    let camera = m.device_of_kind(0, "camera").await;
    let id = camera["device_id"].as_str().unwrap();
    let target = if camera["status"] == "online" { "offline" } else { "online" };
    let changed = m.set_status(id, target).await;
    assert_eq!(changed["device_id"], id);
    let site = camera["site_id"].as_str().unwrap();
    let now = m.devices(0, site).await.into_iter().find(|d| d["device_id"] == id).unwrap();
    assert_eq!(now["status"], target);
    assert_ne!(now["last_seen"], camera["last_seen"]);
    let credentials: Value = serde_json::from_str(&std::fs::read_to_string(&m.mock.credentials_path).unwrap()).unwrap();
    assert_eq!(credentials["accounts"].as_array().unwrap().len(), 2);
    assert!(credentials["admin_token"].as_str().unwrap().starts_with("adm_"));
}

/// What the mock answers a create with no body, or a body of another type, is a status the
/// published `openapi.yaml` documents for that operation (an independent tool such as
/// Schemathesis reports an undocumented one).
#[tokio::test]
async fn refused_create_bodies_get_statuses_openapi_documents() {
    let m = Mock::start(test_config()).await;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/openapi.yaml")).unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let documented = &doc["paths"]["/api/v1/webhooks"]["post"]["responses"];
    let url = m.url("/api/v1/webhooks");
    let token = m.token(0);
    let requests = [
        ("no body", m.http.post(&url).bearer_auth(&token)),
        ("text/plain", m.http.post(&url).bearer_auth(&token).header("content-type", "text/plain").body("{}")),
        ("not JSON", m.http.post(&url).bearer_auth(&token).header("content-type", "application/json").body("{")),
    ];
    for (what, request) in requests {
        let (status, _, body) = m.send(request).await;
        assert!((400..500).contains(&status), "{what}: {status}");
        assert!(documented.get(status.to_string()).is_some(), "{what}: {status} is not documented for createWebhook");
        SchemaId::Error.validate(&body).unwrap();
    }
}
