//! The receiver's planted paths and second looks, which the replay and delivery suites rely on:
//! a 307 whose `Location` on the receiver is recorded as a fetch, a path always answered 410
//! that does not count as processing, and verifying a recorded delivery again another way.

use std::net::SocketAddr;
use std::time::Duration;

use contract::{Scheme, Secret, SignatureFormat};
use harness::receiver::Receiver;
use suites::{GONE_PATH, Inbox, REDIRECT_PATH, ReceiverAnswer, Verification};

const SECRET: &str = "whsec_receiver_paths";

async fn start(scheme: Scheme) -> (Receiver, std::sync::Arc<dyn Inbox>) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let receiver =
        Receiver::bind(addr, SignatureFormat::canonical(scheme), vec![Secret::new(SECRET)], 4096).await.unwrap();
    let inbox = receiver.inbox(format!("http://{}/webhook", receiver.local_addr()));
    (receiver, inbox)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn signed(scheme: Scheme, secret: &str, body: &str) -> Vec<(String, String)> {
    SignatureFormat::canonical(scheme).sign(&Secret::new(secret), body.as_bytes(), contract::unix_now())
}

async fn post(url: &str, body: &str, headers: &[(String, String)]) -> reqwest::Response {
    let mut request = client().post(url).body(body.to_owned());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_redirect_points_at_the_receiver_and_following_it_is_a_fetch() {
    let (receiver, inbox) = start(Scheme::Timestamped).await;
    let body = r#"{"event_id":"r-1"}"#;
    inbox.answer_for(ReceiverAnswer::Redirect, Duration::from_secs(60));
    let answer = post(&inbox.public_url(), body, &signed(Scheme::Timestamped, SECRET, body)).await;
    assert_eq!(answer.status().as_u16(), 307);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{}{REDIRECT_PATH}", inbox.public_url()));
    assert_eq!(inbox.deliveries()[0].answered, Some(307));
    // A vendor that follows: the POST to the Location is a fetch, never a delivery.
    assert_eq!(post(&location, body, &signed(Scheme::Timestamped, SECRET, body)).await.status().as_u16(), 404);
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
    assert_eq!(post(&gone, body, &signed(Scheme::Timestamped, SECRET, body)).await.status().as_u16(), 410);
    inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    assert_eq!(post(&gone, body, &signed(Scheme::Timestamped, SECRET, body)).await.status().as_u16(), 410);
    // The same event at the run's own path is processed for the first time.
    assert_eq!(
        post(&inbox.public_url(), body, &signed(Scheme::Timestamped, SECRET, body)).await.status().as_u16(),
        200
    );
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
    // Signed over the body alone: the receiver's own format refuses it...
    let status = post(&inbox.public_url(), body, &signed(Scheme::Body, SECRET, body)).await.status().as_u16();
    assert_eq!(status, 401);
    let delivery = inbox.deliveries()[0].clone();
    assert!(matches!(&delivery.verification, Verification::Invalid { reason } if reason.contains("match")));
    // ...the body-only format accepts it, with the receiver's own secrets...
    let body_only = SignatureFormat::canonical(Scheme::Body);
    assert!(matches!(inbox.verify_with(&delivery, &body_only, None), Verification::Valid { .. }));
    // ...and against one given secret only.
    let other = Secret::new("whsec_other");
    assert!(matches!(inbox.verify_with(&delivery, &body_only, Some(&other)), Verification::Invalid { .. }));
    assert!(matches!(inbox.verify_with(&delivery, &body_only, Some(&Secret::new(SECRET))), Verification::Valid { .. }));
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
    assert_eq!(post(&inbox.public_url(), body, &stale).await.status().as_u16(), 401);
    let delivery = inbox.deliveries()[0].clone();
    assert!(matches!(inbox.verify_with(&delivery, &format, None), Verification::Invalid { .. }));
    let relaxed = SignatureFormat { tolerance_secs: None, ..format };
    assert!(matches!(inbox.verify_with(&delivery, &relaxed, None), Verification::Valid { .. }));
    receiver.shutdown().await;
}
