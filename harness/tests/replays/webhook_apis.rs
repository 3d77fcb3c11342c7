//! The webhooks suite against other vendors' webhook APIs, mapped through the example profiles'
//! `[webhooks.create]`, `[webhooks.list]`, `ping_body` and `[webhooks.catalogue]`, and a webhook
//! registered in a vendor's console.

use contract::{Secret, SignatureFormat};
use harness::config::VendorConfig;
use serde_json::{Value, json};
use suites::{Status, VendorApi};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::eagle_eye::*;
use crate::hooks::*;
use crate::meraki::*;
use crate::support::*;
use crate::verkada::*;

#[tokio::test]
async fn a_subscription_style_webhook_api_passes_the_webhooks_suite() {
    let server = eagle_eye(een_cameras()).await;
    let hooks = Hooks::new(HookApi::Subscriptions, HookFaults::default());
    mount_hooks(&server, &hooks, ("authorization", "Bearer een-access-token")).await;
    let report = run_webhooks(&server, example(EAGLE_EYE), EEN_TOKEN, &hooks).await;
    all_pass(&report);
    // The create sent the profile's template, never the contract's names or an `inactive` status.
    let creates: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/api/v3.0/eventSubscriptions")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert!(creates.len() >= 5, "{creates:?}");
    for body in &creates {
        assert_eq!(body["enabled"], true, "{body}");
        assert!(body.get("target_url").is_none() && body.get("status").is_none(), "{body}");
    }
}

#[tokio::test]
async fn a_meraki_http_server_api_with_an_integrator_chosen_secret_passes_the_webhooks_suite() {
    let server = meraki(meraki_devices()).await;
    let hooks = Hooks::new(HookApi::HttpServers, HookFaults::default());
    mount_hooks(&server, &hooks, ("x-cisco-meraki-api-key", MERAKI_KEY)).await;
    let report = run_webhooks(&server, example(MERAKI), MERAKI_KEY, &hooks).await;
    all_pass(&report);
    // One strong secret per webhook, chosen by the harness.
    let secrets = hooks.secrets();
    assert!(secrets.len() >= 5 && secrets.iter().all(|s| s.len() >= 40), "{} secrets", secrets.len());
    let distinct: std::collections::BTreeSet<&String> = secrets.iter().collect();
    assert_eq!(distinct.len(), secrets.len(), "one secret per webhook");
    assert!(row(&report, "webhooks.create-list").message.contains("the secret is the integrator's"));
}

#[tokio::test]
async fn webhook_apis_that_accept_the_metadata_target_fail_target_validation_quoting_whm_3() {
    for api in [HookApi::Subscriptions, HookApi::HttpServers] {
        let faults = HookFaults { accept_metadata: true, ..HookFaults::default() };
        let report = run_hook_api(api, faults).await;
        use Expect::*;
        assert_checks(
            &report,
            &[("webhooks.target-validation", Fail), ("webhooks.create-list", Pass), ("webhooks.delete-twice", Pass)],
        );
        assert!(row(&report, "webhooks.target-validation").message.contains("WHM-3"), "{api:?}");
    }
}

#[tokio::test]
async fn webhook_apis_that_list_the_secret_fail_create_list() {
    for api in [HookApi::Subscriptions, HookApi::HttpServers] {
        let faults = HookFaults { list_secret: true, ..HookFaults::default() };
        let report = run_hook_api(api, faults).await;
        use Expect::*;
        assert_checks(&report, &[("webhooks.create-list", Fail), ("webhooks.target-validation", Pass)]);
        let message = &row(&report, "webhooks.create-list").message;
        assert!(message.contains("secret") && message.contains("WHM-2"), "{api:?}: {message}");
    }
}

/// Verkada's test delivery for the webhook set up in its console (no management API): it knows
/// the URL and secret the operator entered there.
pub(crate) struct VerkadaTest {
    url: String,
    secret: &'static str,
    format: SignatureFormat,
}

impl Respond for VerkadaTest {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let body = json!({"org_id": VERKADA_ORG, "webhook_type": "notification", "created_at": now,
            "webhook_id": VERKADA_CONSOLE_WEBHOOK, "data": {"camera_id": null, "notification_type": "test", "created": now}});
        deliver_as(&self.format, &self.url, self.secret, body);
        ResponseTemplate::new(200).set_body_json(json!({"status": "sent"}))
    }
}

pub(crate) const VERKADA_CONSOLE_WEBHOOK: &str = "2fd2826d-4645-47ac-b0e6-a4b2ae634480";

#[tokio::test]
async fn a_webhook_registered_outside_the_run_is_pinged_by_its_configured_id_and_never_created() {
    let server = verkada().await;
    // The operator entered the receiver's URL in the vendor's console: the receiver listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let secret = "whsec_verkada_console_0123456789abcdefABCDEF";
    let mut profile = example(VERKADA);
    profile.vocabulary.event_type.insert("test".into(), "ping".into());
    let format = profile.signature_format(contract::Scheme::Body);
    let test = VerkadaTest { url: format!("http://127.0.0.1:{port}/webhook"), secret, format };
    let route = format!("/core/v1/webhooks/{VERKADA_CONSOLE_WEBHOOK}/test");
    mount(&server, "POST", &route, ("x-verkada-auth", VERKADA_TOKEN), test).await;
    let edit = |config: &mut VendorConfig| {
        config.webhook.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config.webhook.webhook_id = Some(VERKADA_CONSOLE_WEBHOOK.into());
        config.webhook.secret = harness::config::WebhookSecretSource::Inline { value: Secret::new(secret) };
        config.capabilities.declared = vec!["ping".into()];
        config.budgets.event_wait_secs = 10;
    };
    let secrets = || vec![secret.to_owned()];
    let (_, report) = run_configured(&server, profile, VERKADA_TOKEN, &["webhooks"], edit, &secrets).await;
    let ping = row(&report, "webhooks.ping");
    assert_eq!(ping.status, Status::Pass, "{}: {:?}", ping.message, ping.evidence.notes);
    assert!(ping.message.contains(VERKADA_CONSOLE_WEBHOOK), "{}", ping.message);
    for id in ["webhooks.create-list", "webhooks.delete", "webhooks.delete-twice", "webhooks.target-validation"] {
        let row = row(&report, id);
        assert!(row.status == Status::Skip && !row.applicable, "{id}: {:?} {}", row.status, row.message);
    }
    // Nothing was created or deleted; the secret is nowhere in the report.
    let requests = server.received_requests().await.unwrap();
    // (Discovery may read the collection: a GET is no create.)
    let changed: Vec<String> = requests
        .iter()
        .filter(|r| {
            (r.method.as_str() == "POST" && r.url.path().ends_with("/webhooks")) || r.method.as_str() == "DELETE"
        })
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

#[tokio::test]
async fn catalogues_in_other_shapes_read_in_the_contracts_words() {
    let server = MockServer::builder().start().await;
    // Subscription-style `results[] {type, dataSchema}` (the Eagle Eye example profile).
    let een = client(&server, example(EAGLE_EYE), EEN_TOKEN);
    assert_eq!(een.endpoints().event_types, "/api/v3.0/eventTypes");
    let schema = json!({"type": "object", "required": ["newStatus"]});
    let doc = json!({"results": [{"type": "een.deviceCloudStatusUpdateEvent.v1", "description": "status", "dataSchema": schema}],
        "nextPageToken": ""});
    assert_eq!(
        een.canonical_catalogue(doc),
        json!({"event_types": [{"event_type": "health", "description": "status", "data_schema": schema}]})
    );
    // Meraki-style alert types: a root array of `{alertType, displayName}`.
    let meraki = client(&server, example(MERAKI), MERAKI_KEY);
    let doc = json!([{"alertType": "Device went down", "displayName": "A device went down", "example": {}}]);
    assert_eq!(
        meraki.canonical_catalogue(doc),
        json!({"event_types": [{"event_type": "Device went down", "description": "A device went down"}]})
    );
}
