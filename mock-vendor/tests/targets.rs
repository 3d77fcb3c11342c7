//! The delivery engine's egress guard (WHM-3): a target that got past the create-time check (here
//! through the `accept-metadata-target` fault) is still never connected to when it reaches an
//! address the mock refuses, whether the URL spells the address or a name resolves to it.

mod common;

use std::time::Duration;

use common::{Mock, Receiver, eventually, test_config};
use mock_vendor::Fault;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn deliveries_to_refused_addresses_never_leave_the_mock() {
    let m = Mock::start(mock_vendor::MockConfig {
        allow_private_targets: false,
        faults: vec![Fault::AcceptMetadataTarget],
        ..test_config()
    })
    .await;
    let rx = Receiver::start().await;
    let port = rx.url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/hook").to_owned();
    // The literal loopback address, its IPv4-mapped spelling, and a name that resolves to it.
    for target in
        [rx.url.clone(), format!("http://[::ffff:127.0.0.1]:{port}/hook"), format!("http://localhost:{port}/hook")]
    {
        let (id, _) = m.create_webhook(0, &target).await;
        let ping = m.http.post(m.url(&format!("/api/v1/webhooks/{id}/ping"))).bearer_auth(m.token(0));
        let (status, _, body) = m.send(ping).await;
        assert!((200..300).contains(&status), "{status} {body}");
    }
    let deliveries = eventually(WAIT, "three pings refused", async || {
        let d = m.deliveries().await;
        let refused = d
            .iter()
            .filter(|d| {
                d["attempts"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(|a| a["error"] == "refused by the egress guard"))
            })
            .count();
        (refused == 3).then_some(d)
    })
    .await;
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    assert_eq!(rx.count(), 0, "a refused target was reached");
}
