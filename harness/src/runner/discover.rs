//! Discovery: optional capabilities probed without side effects, so a vendor offering one it
//! did not declare still gets its checks; and the rows the report shows for them.

use suites::{Check, Declared, Probe, VendorApi, WebhookSetup};

use crate::report::{CapabilityRow, CheckReport};

/// Probes each optional capability that can be probed without side effects, so a vendor that
/// offers one without declaring it still gets its checks (WHM-2 binds "once offered"): the
/// webhook collection and the event catalogue are read through the profile (`[webhooks.list]`,
/// `[webhooks.catalogue]`), and count as offered only when their answer holds the list where
/// the profile says; ping is sent only to the run's own webhook, as the profile asks for one,
/// and only when not declared (a declared ping is exercised by its check).
pub async fn discover(api: &dyn VendorApi, declared: &Declared, webhook: &WebhookSetup) -> Vec<CapabilityRow> {
    let endpoints = api.endpoints();
    let shape = api.webhook_api();
    let mut rows = Vec::new();
    for (name, _) in suites::CAPABILITIES {
        let is_declared = declared.capabilities.contains(*name);
        let probe = match *name {
            "webhook-management" if !shape.collection.is_empty() => Some(shape.list_probe()),
            "event-types" if !endpoints.event_types.is_empty() => Some(Probe::get(endpoints.event_types.clone())),
            "ping" if !is_declared => webhook
                .registered()
                .filter(|_| !shape.ping.is_empty())
                .map(|w| shape.ping_probe(&w.webhook_id, &w.target_url, w.secret.as_ref())),
            _ => None,
        };
        let (discovered, detail) = match probe {
            None => (
                None,
                match *name {
                    "ping" if is_declared => "not probed: declared, its check sends one".to_owned(),
                    "ping" => "not probed: no webhook of the run's own to ping".to_owned(),
                    _ => "not probed: no probe without side effects".to_owned(),
                },
            ),
            Some(probe) => {
                let what = format!("{} {}", probe.method, probe.path);
                match api.probe(probe).await {
                    Ok(answer) => match api.body_error(&answer) {
                        Some(error) => (
                            Some(false),
                            format!("{what} answered {} with an error in its body ({error})", answer.status),
                        ),
                        // A catch-all page (HTML for any path) is not a collection: a read counts
                        // only with JSON (a ping's acceptance may have no body).
                        None if answer.is_success() && answer.json.is_none() && *name != "ping" => {
                            (Some(false), format!("{what} answered {} but not with JSON", answer.status))
                        }
                        None if answer.is_success() => match unreadable(api, &shape, name, answer.json.as_ref()) {
                            Some(why) => (Some(false), format!("{what} answered {} but {why}", answer.status)),
                            None => (Some(true), format!("{what} answered {}", answer.status)),
                        },
                        None => (Some(false), format!("{what} answered {}", answer.status)),
                    },
                    Err(e) => (Some(false), format!("{what}: {}", e.message)),
                }
            }
        };
        let used = is_declared || discovered == Some(true);
        rows.push(CapabilityRow { name: (*name).into(), declared: is_declared, discovered, used, detail });
    }
    rows
}

/// Why a 2xx JSON answer to a capability's read is not that capability as the profile maps it
/// (a list or catalogue the profile's pointers cannot read: some other resource, or a profile
/// mistake), or `None` when it is.
fn unreadable(
    api: &dyn VendorApi,
    shape: &suites::WebhookApi,
    name: &str,
    json: Option<&serde_json::Value>,
) -> Option<String> {
    match name {
        "webhook-management" if shape.read_list(json).is_none() => {
            Some(format!("with no webhook list where the profile's `[webhooks.list]` says ({})", shape.list_shown()))
        }
        "event-types" => {
            let list = api.catalogue_shape().list;
            json?.pointer(&list).and_then(serde_json::Value::as_array).is_none().then(|| {
                let at = if list.is_empty() { "a root array".to_owned() } else { format!("an array at `{list}`") };
                format!("with no event catalogue where the profile's `[webhooks.catalogue]` says ({at})")
            })
        }
        _ => None,
    }
}

/// Why a check needing `capability` does not apply: neither declared nor found offered. A vendor
/// with no webhook API is told where its console-made webhook goes instead.
pub(super) fn not_offered(capability: &str) -> String {
    let mut reason = format!("the vendor does not declare `{capability}`, and the harness did not find it offered");
    if capability == "webhook-management" {
        reason.push_str(
            "; a webhook set up in the vendor's console is given as `[webhook] webhook_id` (with its secret) in \
             vendor.toml, and the delivery and replay checks use it",
        );
    }
    reason
}

/// A capability found by discovery (not declared) whose checks found part of it not offered
/// (a webhook list without a create): its row says it is partial, with the first such reason.
pub(super) fn mark_partial(rows: &mut [CapabilityRow], selected: &[&Check], reports: &[CheckReport]) {
    for row in rows.iter_mut().filter(|r| r.discovered_only()) {
        let moot = selected.iter().zip(reports).find(|(check, report)| {
            check.meta.capability == Some(row.name.as_str())
                && !report.applicable
                && report.message.contains(suites::FOUND_BY_DISCOVERY)
        });
        if let Some((check, report)) = moot {
            row.detail.push_str(&format!("; partial: {} ({})", report.message, check.meta.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use contract::Secret;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use suites::Outcome;

    use crate::client::{Credential, Limits, VendorClient};
    use crate::profile::Profile;

    fn client(server: &MockServer, profile: Profile) -> VendorClient {
        let limits = Limits {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            max_body_bytes: 1024 * 1024,
            max_pages: 5,
            max_retry_after: Duration::from_secs(1),
            max_rate_limit_retries: 0,
        };
        VendorClient::new(&server.uri(), profile, Credential::Static(Secret::new("k")), limits, "vendor.toml").unwrap()
    }

    async fn serve(server: &MockServer, route: &str, body: serde_json::Value) {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }

    async fn discovered(profile: Profile, routes: &[(&str, serde_json::Value)]) -> Vec<(String, Option<bool>, String)> {
        let server = MockServer::start().await;
        for (route, body) in routes {
            serve(&server, route, body.clone()).await;
        }
        let rows = discover(&client(&server, profile), &Declared::default(), &WebhookSetup::Configured).await;
        rows.into_iter().map(|r| (r.name, r.discovered, r.detail)).collect()
    }

    fn row<'r>(rows: &'r [(String, Option<bool>, String)], name: &str) -> &'r (String, Option<bool>, String) {
        rows.iter().find(|r| r.0 == name).unwrap()
    }

    #[test]
    fn a_discovered_capability_its_checks_found_partly_offered_is_reported_partial() {
        let row = |declared: bool| CapabilityRow {
            name: "webhook-management".into(),
            declared,
            discovered: Some(true),
            used: true,
            detail: "GET /api/v1/webhooks answered 200".into(),
        };
        let check = suites::find("webhooks.create-list").unwrap();
        let reason = format!("the vendor lists webhooks but offers no create ({})", suites::FOUND_BY_DISCOVERY);
        let report = CheckReport::new(&check.meta, Outcome::not_applicable(&reason), false, 0);
        let mut rows = [row(false), row(true)];
        mark_partial(&mut rows, &[check], std::slice::from_ref(&report));
        assert!(
            rows[0].detail.contains("; partial: ") && rows[0].detail.contains("offers no create"),
            "{}",
            rows[0].detail
        );
        assert_eq!(rows[1].detail, "GET /api/v1/webhooks answered 200", "a declared capability is not marked");
        let passed = CheckReport::new(&check.meta, Outcome::pass("fine"), true, 0);
        let mut rows = [row(false)];
        mark_partial(&mut rows, &[check], &[passed]);
        assert!(!rows[0].detail.contains("partial"));
    }

    #[tokio::test]
    async fn a_webhook_list_the_profile_cannot_read_is_not_an_offered_webhook_api() {
        let canonical = Profile::builtin("canonical").unwrap();
        let rows = discovered(canonical.clone(), &[("/api/v1/webhooks", json!({"data": []}))]).await;
        let (_, found, detail) = row(&rows, "webhook-management");
        assert_eq!(*found, Some(false), "{detail}");
        assert!(detail.contains("[webhooks.list]") && detail.contains("`/webhooks`"), "{detail}");

        let rows = discovered(canonical.clone(), &[("/api/v1/webhooks", json!({"webhooks": []}))]).await;
        assert_eq!(row(&rows, "webhook-management").1, Some(true));

        // The profile's own list pointer and collection path.
        let mut mapped = canonical;
        mapped.webhooks.collection = "/v2/subscriptions".into();
        mapped.webhooks.list.list = "/results".into();
        let rows = discovered(mapped, &[("/v2/subscriptions", json!({"results": [{"id": "w"}]}))]).await;
        assert_eq!(row(&rows, "webhook-management").1, Some(true), "{rows:?}");
    }

    #[tokio::test]
    async fn the_catalogue_is_discovered_at_the_profiles_path_through_its_list_pointer() {
        let mut mapped = Profile::builtin("canonical").unwrap();
        mapped.webhooks.catalogue.path = Some("/v2/alert-types".into());
        mapped.webhooks.catalogue.list = "/items".into();
        mapped.webhooks.catalogue.event_type = "/name".into();
        let rows = discovered(mapped.clone(), &[("/v2/alert-types", json!({"items": [{"name": "health"}]}))]).await;
        assert_eq!(row(&rows, "event-types").1, Some(true), "{rows:?}");

        let rows = discovered(mapped, &[("/v2/alert-types", json!({"event_types": []}))]).await;
        let (_, found, detail) = row(&rows, "event-types");
        assert_eq!(*found, Some(false), "{detail}");
        assert!(detail.contains("[webhooks.catalogue]"), "{detail}");
    }

    #[test]
    fn an_undiscovered_webhook_api_points_at_a_console_made_webhook() {
        assert!(not_offered("webhook-management").contains("`[webhook] webhook_id`"));
        assert!(!not_offered("event-types").contains("webhook_id"));
    }
}
