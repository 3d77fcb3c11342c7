//! The webhook receiver on 127.0.0.1:0: verification over raw bytes, recording, dedupe on
//! `event_id`, the body cap, and answers switched for a window; and the planted paths and second
//! looks the replay and delivery suites rely on (a 307 whose `Location` on the receiver is
//! recorded as a fetch, a path always answered 410 that does not count as processing, verifying
//! a recorded delivery again another way).

use std::net::SocketAddr;
use std::time::Duration;

use contract::{Scheme, Secret, SignatureFormat};
use harness::receiver::Receiver;
use suites::{GONE_PATH, Inbox, REDIRECT_PATH, ReceiverAnswer, Verification};

const SECRET: &str = "whsec_receiver_test";

async fn start(scheme: Scheme) -> (Receiver, std::sync::Arc<dyn Inbox>) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let receiver =
        Receiver::bind(addr, SignatureFormat::canonical(scheme), vec![Secret::new(SECRET)], 4096).await.unwrap();
    let inbox = receiver.inbox(format!("http://{}/webhook", receiver.local_addr()));
    (receiver, inbox)
}

/// POSTs to `url` as a vendor would: no redirect followed.
async fn post_to(url: &str, body: &str, headers: &[(String, String)]) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = client.post(url).body(body.to_owned());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    request.send().await.unwrap()
}

async fn post(inbox: &dyn Inbox, body: &str, headers: &[(String, String)]) -> u16 {
    post_to(&inbox.public_url(), body, headers).await.status().as_u16()
}

/// Polls `check` until it holds or `within` has passed (whether it held): a wait on a condition
/// that has no notification of its own (the listener's state), so no test sleeps a guessed while.
async fn until<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    let window = Duration::from_secs(2);
    let opened = std::time::Instant::now();
    inbox.answer_for(ReceiverAnswer::Refuse, window);
    // The listener closes on its own task: wait for a refused connection rather than a while.
    let addr = receiver.local_addr();
    let refused = until(window, || async move {
        let connected = tokio::net::TcpStream::connect(addr).await;
        connected.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
    })
    .await;
    assert!(refused, "no connection was refused within the refusing window");
    // ...and for the listener to be back once the window is over, never before it.
    let back =
        until(Duration::from_secs(10), || async move { tokio::net::TcpStream::connect(addr).await.is_ok() }).await;
    assert!(back, "the listener did not come back after the window");
    assert!(opened.elapsed() >= window, "the listener came back {:?} into a {window:?} window", opened.elapsed());
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

#[tokio::test]
async fn a_redirect_points_at_the_receiver_and_following_it_is_a_fetch() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"r-1"}"#;
    inbox.answer_for(ReceiverAnswer::Redirect, Duration::from_secs(60));
    let answer = post_to(&inbox.public_url(), body, &signed(Scheme::Timestamped, body)).await;
    assert_eq!(answer.status().as_u16(), 307);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}{REDIRECT_PATH}", inbox.public_url()));
    assert_eq!(inbox.deliveries()[0].answered, Some(307));
    // A vendor that follows: the POST to the Location is a fetch, never a delivery.
    assert_eq!(post_to(&location, body, &signed(Scheme::Timestamped, body)).await.status().as_u16(), 404);
    assert_eq!(inbox.deliveries().len(), 1);
    let fetches = inbox.fetches();
    assert_eq!((fetches[0].method.as_str(), fetches[0].path.as_str()), ("POST", "/webhook/redirected"));
    receiver.shutdown().await;
}

#[tokio::test]
async fn the_gone_path_answers_410_whatever_the_window_and_processes_nothing() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"g-1"}"#;
    let gone = format!("{}{GONE_PATH}", inbox.public_url());
    inbox.answer_for(ReceiverAnswer::ServerError, Duration::from_secs(60));
    assert_eq!(post_to(&gone, body, &signed(Scheme::Timestamped, body)).await.status().as_u16(), 410);
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    assert_eq!(post_to(&gone, body, &signed(Scheme::Timestamped, body)).await.status().as_u16(), 410);
    // The same event at the run's own path is processed for the first time.
    assert_eq!(post_to(&inbox.public_url(), body, &signed(Scheme::Timestamped, body)).await.status().as_u16(), 200);
    let deliveries = inbox.deliveries();
    let seen: Vec<(Option<u16>, bool)> = deliveries.iter().map(|d| (d.answered, d.duplicate)).collect();
    assert_eq!(seen, [(Some(410), false), (Some(410), false), (Some(200), false)]);
    assert!(matches!(deliveries[0].verification, Verification::Valid { .. }));
    receiver.shutdown().await;
}

#[tokio::test]
async fn a_recorded_delivery_is_verified_again_another_way_without_exposing_a_secret() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"v-1"}"#;
    // Signed over the body alone: the contract's scheme `body` meets SIG-1, so the receiver
    // accepts it although its format binds the timestamp (SIG-3 is the replay suite's finding)...
    let status = post_to(&inbox.public_url(), body, &signed(Scheme::Body, body)).await.status().as_u16();
    assert_eq!(status, 200);
    let delivery = inbox.deliveries()[0].clone();
    assert!(matches!(&delivery.verification, Verification::Valid { timestamp: Some(_) }));
    // ...the declared format alone does not verify it...
    let declared = SignatureFormat::canonical(Scheme::Timestamped);
    assert!(
        matches!(inbox.verify_with(&delivery, &declared, None), Verification::Invalid { reason } if reason.contains("match"))
    );
    // ...the body-only format does, with the receiver's own secrets...
    let body_only = SignatureFormat::canonical(Scheme::Body);
    assert!(matches!(inbox.verify_with(&delivery, &body_only, None), Verification::Valid { .. }));
    // ...and against one given secret only.
    let other = Secret::new("whsec_other");
    assert!(matches!(inbox.verify_with(&delivery, &body_only, Some(&other)), Verification::Invalid { .. }));
    assert!(matches!(inbox.verify_with(&delivery, &body_only, Some(&Secret::new(SECRET))), Verification::Valid { .. }));
    // Signed over the body alone but an hour old: the window still refuses it (RPL-1).
    let stale = SignatureFormat::canonical(Scheme::Body).sign(
        &Secret::new(SECRET),
        br#"{"event_id":"v-2"}"#,
        contract::unix_now() - 3600,
    );
    assert_eq!(post_to(&inbox.public_url(), r#"{"event_id":"v-2"}"#, &stale).await.status().as_u16(), 401);
    // A delivery the receiver never recorded is not verified.
    let unknown = suites::Delivery { seq: 99, ..delivery };
    assert_eq!(inbox.verify_with(&unknown, &body_only, None), Verification::NoSecret);
    receiver.shutdown().await;
}

#[tokio::test]
async fn the_arrival_is_the_clock_a_second_look_uses() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"t-1"}"#;
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let stale = format.sign(&Secret::new(SECRET), body.as_bytes(), contract::unix_now() - 3600);
    assert_eq!(post_to(&inbox.public_url(), body, &stale).await.status().as_u16(), 401);
    let delivery = inbox.deliveries()[0].clone();
    assert!(matches!(inbox.verify_with(&delivery, &format, None), Verification::Invalid { .. }));
    let relaxed = SignatureFormat { tolerance_secs: None, ..format };
    assert!(matches!(inbox.verify_with(&delivery, &relaxed, None), Verification::Valid { .. }));
    receiver.shutdown().await;
}
