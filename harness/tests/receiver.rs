//! The webhook receiver on 127.0.0.1:0: verification over raw bytes, recording, dedupe on
//! `event_id`, the body cap, and answers switched for a window.

use std::net::SocketAddr;
use std::time::Duration;

use contract::{Scheme, Secret, SignatureFormat};
use harness::receiver::Receiver;
use suites::{Inbox, ReceiverAnswer, Verification};

const SECRET: &str = "whsec_receiver_test";

async fn start(scheme: Scheme) -> (Receiver, std::sync::Arc<dyn Inbox>) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let receiver =
        Receiver::bind(addr, SignatureFormat::canonical(scheme), vec![Secret::new(SECRET)], 4096).await.unwrap();
    let inbox = receiver.inbox(format!("http://{}/webhook", receiver.local_addr()));
    (receiver, inbox)
}

async fn post(inbox: &dyn Inbox, body: &str, headers: &[(String, String)]) -> u16 {
    let mut request = reqwest::Client::new().post(inbox.public_url()).body(body.to_owned());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    request.send().await.unwrap().status().as_u16()
}

fn signed(scheme: Scheme, body: &str) -> Vec<(String, String)> {
    SignatureFormat::canonical(scheme).sign(&Secret::new(SECRET), body.as_bytes(), contract::unix_now())
}

#[tokio::test]
async fn deliveries_are_verified_recorded_and_deduped() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"e-1","event_type":"ping"}"#;
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 200);
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 200);
    let mut forged = signed(Scheme::Timestamped, body);
    forged[0].1 = format!("sha256={}", "0".repeat(64));
    assert_eq!(post(inbox.as_ref(), body, &forged).await, 401);
    let deliveries = inbox.deliveries();
    assert_eq!(deliveries.len(), 3);
    assert!(matches!(deliveries[0].verification, Verification::Valid { timestamp: Some(_) }));
    assert_eq!(deliveries[0].event_id.as_deref(), Some("e-1"));
    assert!(!deliveries[0].duplicate && deliveries[1].duplicate);
    assert!(matches!(&deliveries[2].verification, Verification::Invalid { reason } if reason.contains("match")));
    assert!(!deliveries[2].duplicate);
    receiver.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (receiver, inbox) = start(Scheme::Body).await;
    let body = "x".repeat(10_000);
    assert_eq!(post(inbox.as_ref(), &body, &signed(Scheme::Body, &body)).await, 413);
    assert!(matches!(&inbox.deliveries()[0].verification, Verification::Invalid { .. }));
    receiver.shutdown().await;
}

#[tokio::test]
async fn answers_can_be_switched_for_a_window() {
    let (receiver, inbox) = start(Scheme::Body).await;
    let body = r#"{"event_id":"e-2"}"#;
    let headers = signed(Scheme::Body, body);
    inbox.answer_for(ReceiverAnswer::ServerError, Duration::from_secs(60));
    assert_eq!(post(inbox.as_ref(), body, &headers).await, 500);
    inbox.answer_for(ReceiverAnswer::TooManyRequests { retry_after_secs: 7 }, Duration::from_secs(60));
    let response = reqwest::Client::new().post(inbox.public_url()).body(body).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    inbox.answer_for(ReceiverAnswer::Gone, Duration::from_secs(60));
    assert_eq!(post(inbox.as_ref(), body, &headers).await, 410);
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    assert_eq!(post(inbox.as_ref(), body, &headers).await, 200);
    let answered: Vec<Option<u16>> = inbox.deliveries().iter().map(|d| d.answered).collect();
    assert_eq!(answered, [Some(500), Some(429), Some(410), Some(200)]);
    receiver.shutdown().await;
}

#[tokio::test]
async fn a_timeout_answer_holds_the_request_past_the_senders_patience() {
    let (receiver, inbox) = start(Scheme::Body).await;
    inbox.answer_for(ReceiverAnswer::Timeout, Duration::from_secs(30));
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let result = client.post(inbox.public_url()).body("{}").send().await;
    assert!(result.unwrap_err().is_timeout());
    assert!(inbox.wait_for(&|d| d.len() == 1, Duration::from_secs(5)).await);
    assert_eq!(inbox.deliveries()[0].answered, None);
    receiver.shutdown().await;
}

#[tokio::test]
async fn wait_for_wakes_on_arrival_and_gives_up_at_the_deadline() {
    let (receiver, inbox) = start(Scheme::Body).await;
    assert!(!inbox.wait_for(&|d| !d.is_empty(), Duration::from_millis(50)).await);
    let waiter = {
        let inbox = inbox.clone();
        tokio::spawn(async move { inbox.wait_for(&|d| d.len() == 1, Duration::from_secs(10)).await })
    };
    post(inbox.as_ref(), "{}", &[]).await;
    assert!(waiter.await.unwrap());
    assert_eq!(
        inbox.deliveries()[0].verification,
        Verification::Invalid { reason: "missing `X-Webhook-Signature` header".into() }
    );
    receiver.shutdown().await;
}

#[tokio::test]
async fn refusing_closes_the_listener_for_the_window_only() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"e-2","event_type":"ping"}"#;
    inbox.answer_for(ReceiverAnswer::Refuse, Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = tokio::net::TcpStream::connect(receiver.local_addr()).await;
    assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 200);
    receiver.shutdown().await;
}

#[tokio::test]
async fn other_requests_are_recorded_as_fetches_and_the_inbox_posts_to_itself() {
    let (receiver, inbox) = start(Scheme::Body).await;
    let url = format!("http://{}/jwks/abc?x=1", receiver.local_addr());
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 404);
    let fetches = inbox.fetches();
    assert_eq!((fetches.len(), fetches[0].method.as_str(), fetches[0].path.as_str()), (1, "GET", "/jwks/abc?x=1"));
    assert!(inbox.deliveries().is_empty());
    let body = r#"{"event_id":"e-3"}"#;
    let status = inbox.post_to_self(signed(Scheme::Body, body), body.as_bytes().to_vec()).await.unwrap();
    assert_eq!(status, 200);
    inbox.add_secret(Secret::new("whsec_second"));
    let other =
        SignatureFormat::canonical(Scheme::Body).sign(&Secret::new("whsec_second"), b"{}", contract::unix_now());
    assert_eq!(inbox.post_to_self(other, b"{}".to_vec()).await.unwrap(), 200);
    receiver.shutdown().await;
}

#[tokio::test]
async fn an_attempt_failed_on_purpose_is_not_processed_so_its_retry_is_no_duplicate() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"e-4","event_type":"ping"}"#;
    inbox.answer_for(ReceiverAnswer::ServerError, Duration::from_secs(5));
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 500);
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 200);
    assert_eq!(post(inbox.as_ref(), body, &signed(Scheme::Timestamped, body)).await, 200);
    let duplicates: Vec<bool> = inbox.deliveries().iter().map(|d| d.duplicate).collect();
    assert_eq!(duplicates, [false, false, true]);
    receiver.shutdown().await;
}
