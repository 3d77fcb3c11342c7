//! The receiver exposed for long (`harness listen` for days, anyone able to reach its port): its
//! memory stays bounded under a flood of rejected bodies, what it keeps of unverified and old
//! verified deliveries is bounded while the checks can still judge them, clients trickling
//! headers or a body are cut off, connections served at once are bounded, and a shutdown lets
//! a request in flight finish with its delivery in the inbox.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use contract::{Scheme, Secret, SignatureFormat};
use harness::receiver::{CUT_BODY_BYTES, InFlight, Limits, Receiver};
use suites::{Inbox, Verification};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_exposure_test";

/// The memory test reads the whole process's RSS: the other tests (a failing one symbolising its
/// backtrace takes tens of MiB) run with it only when it is not running.
static MEMORY: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

async fn start(limits: Limits) -> (Receiver, Arc<dyn Inbox>) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let receiver = Receiver::bind_with(addr, format, vec![Secret::new(SECRET)], limits).await.unwrap();
    let inbox = receiver.inbox(format!("http://{}/webhook", receiver.local_addr()));
    (receiver, inbox)
}

fn signed(body: &[u8]) -> Vec<(String, String)> {
    SignatureFormat::canonical(Scheme::Timestamped).sign(&Secret::new(SECRET), body, contract::unix_now())
}

async fn post(
    client: &reqwest::Client,
    inbox: &dyn Inbox,
    body: impl Into<reqwest::Body>,
    headers: &[(String, String)],
) -> u16 {
    let mut request = client.post(inbox.public_url()).body(body);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Waits until what `receiver` has in flight satisfies `ready` (the server has accepted a
/// connection, is reading a body, ...), failing after 5 s with `what` and the last reading.
async fn until_in_flight(receiver: &Receiver, what: &str, ready: impl Fn(InFlight) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = receiver.state().in_flight();
        if ready(now) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {now:?} after 5 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until connecting to `addr` is refused (the receiver has closed its listener), failing
/// after 5 s.
async fn until_refused(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "connections to {addr} still accepted after 5 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// This process's resident set, in bytes.
#[cfg(target_os = "linux")]
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// 500 rejected 1 MiB bodies (JSON, so each is parsed into an event too) used to grow the
/// process by ~3 MB each, kept whole twice over; now they are counted and cut.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_rejected_megabyte_bodies_leaves_memory_bounded() {
    let _memory = MEMORY.write().await;
    let (receiver, inbox) = start(Limits { max_body_bytes: 2 * 1024 * 1024, ..Limits::default() }).await;
    let client = reqwest::Client::new();
    let body = |i: usize| {
        let head = format!(r#"{{"event_id":"flood-{i}","event_type":"ping","pad":""#);
        let mut body = head.into_bytes();
        body.resize(1024 * 1024 - 2, b'a');
        body.extend_from_slice(b"\"}");
        bytes::Bytes::from(body)
    };
    // Warm up (allocator arenas, connection pool) before the baseline.
    for i in 0..10 {
        assert_eq!(post(&client, inbox.as_ref(), body(i), &[]).await, 401);
    }
    let before = rss();
    let started = Instant::now();
    for i in 10..510 {
        assert_eq!(post(&client, inbox.as_ref(), body(i), &[]).await, 401);
    }
    let grown = rss().saturating_sub(before);
    eprintln!("rss before {} MiB, grown {} KiB in {:?}", before >> 20, grown >> 10, started.elapsed());
    assert!(grown < 64 * 1024 * 1024, "RSS grew by {} MiB over 500 rejected 1 MiB bodies", grown / (1024 * 1024));
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    // Every one counted; each recorded cut, the event still telling which it was.
    let counts = receiver.state().counts();
    assert_eq!((counts.deliveries, counts.unverified, counts.cut), (510, 510, 510));
    let deliveries = inbox.deliveries();
    assert_eq!(deliveries.len(), 510);
    let last = &deliveries[509];
    assert_eq!((last.seq, last.body_bytes, last.body.len()), (509, 1024 * 1024, CUT_BODY_BYTES));
    assert_eq!(last.event.as_ref().and_then(|e| e["event_id"].as_str()), Some("flood-509"));
    assert!(last.event.as_ref().unwrap().get("pad").is_none());
    // A second look at a cut unsigned one repeats the arrival's verdict: SIG-1 still fails it.
    let relaxed = SignatureFormat::canonical(Scheme::Timestamped).without_window();
    match inbox.verify_with(last, &relaxed, None) {
        Verification::Invalid { reason } => assert!(reason.contains("missing"), "{reason}"),
        other => panic!("a cut unsigned delivery answered {other:?}"),
    }
    // The vendor's real delivery after the flood is kept whole and verifies.
    let real = br#"{"event_id":"real-1","event_type":"ping"}"#;
    assert_eq!(post(&client, inbox.as_ref(), &real[..], &signed(real)).await, 200);
    let delivery = inbox.deliveries().pop().unwrap();
    assert!(matches!(delivery.verification, Verification::Valid { .. }));
    assert_eq!(delivery.body.as_bytes(), real);
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    assert!(matches!(inbox.verify_with(&delivery, &format, None), Verification::Valid { .. }));
    receiver.shutdown().await;
}

/// A small sample of unverified deliveries is kept whole (a check can verify them again another
/// way: SIG-2's stale timestamp), the next are cut and still fail a second look with the reason
/// given on arrival, and beyond the record bound they are only counted.
#[tokio::test]
async fn unverified_deliveries_are_sampled_then_cut_then_counted() {
    let _memory = MEMORY.read().await;
    let limits = Limits { unverified_kept_bytes: 600, unverified_records: 4, ..Limits::default() };
    let (receiver, inbox) = start(limits).await;
    let client = reqwest::Client::new();
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let stale = |body: &[u8]| format.sign(&Secret::new(SECRET), body, contract::unix_now() - 3600);
    let first = br#"{"event_id":"s-1","event_type":"ping"}"#;
    assert_eq!(post(&client, inbox.as_ref(), &first[..], &stale(first)).await, 401);
    let big = format!(r#"{{"event_id":"s-2","event_type":"ping","pad":"{}"}}"#, "b".repeat(2000));
    assert_eq!(post(&client, inbox.as_ref(), big.clone(), &stale(big.as_bytes())).await, 401);
    for _ in 0..4 {
        assert_eq!(post(&client, inbox.as_ref(), "{}", &[]).await, 401);
    }
    let deliveries = inbox.deliveries();
    assert_eq!(deliveries.iter().map(|d| d.seq).collect::<Vec<_>>(), [0, 1, 2, 3]);
    let relaxed = format.without_window();
    // Kept whole: the signature is right, only the window refused it.
    assert!(matches!(inbox.verify_with(&deliveries[0], &relaxed, None), Verification::Valid { .. }));
    // Over the sample's budget: cut, and a second look repeats the arrival's verdict.
    let cut = &deliveries[1];
    assert_eq!((cut.body.len(), cut.body_bytes), (CUT_BODY_BYTES, big.len()));
    assert!(cut.headers.iter().any(|(k, _)| k == "x-webhook-signature"));
    assert_eq!(cut.event.as_ref().and_then(|e| e["event_id"].as_str()), Some("s-2"));
    // The second looks a check asks for were taken on arrival: right but stale (SIG-2's finding).
    assert!(matches!(inbox.verify_with(cut, &relaxed, None), Verification::Valid { .. }));
    assert!(matches!(inbox.verify_with(cut, &format.body_only().without_window(), None), Verification::Invalid { .. }));
    for (asked, secret) in [(&format, None), (&relaxed, Some(&Secret::new(SECRET)))] {
        match inbox.verify_with(cut, asked, secret) {
            Verification::Invalid { reason } => assert!(reason.contains("as judged on arrival"), "{reason}"),
            other => panic!("a cut delivery answered {other:?}"),
        }
    }

    let counts = receiver.state().counts();
    assert_eq!((counts.deliveries, counts.unverified, counts.cut, counts.unrecorded), (6, 6, 1, 2));
    receiver.shutdown().await;
}

/// Over the verified budget the oldest verified delivery loses its raw bytes, body and event;
/// its metadata stays and later ones are whole.
#[tokio::test]
async fn the_oldest_verified_deliveries_lose_their_bytes_over_the_budget() {
    let _memory = MEMORY.read().await;
    let (receiver, inbox) = start(Limits { verified_kept_bytes: 6000, ..Limits::default() }).await;
    let client = reqwest::Client::new();
    let body = |i: usize| format!(r#"{{"event_id":"v-{i}","event_type":"ping","pad":"{}"}}"#, "c".repeat(1200));
    for i in 0..2 {
        let body = body(i);
        assert_eq!(post(&client, inbox.as_ref(), body.clone(), &signed(body.as_bytes())).await, 200);
    }
    let deliveries = inbox.deliveries();
    let (old, new) = (&deliveries[0], &deliveries[1]);
    assert_eq!((old.event_id.as_deref(), old.body.len(), old.event.is_none()), (Some("v-0"), CUT_BODY_BYTES, true));
    assert!(matches!(old.verification, Verification::Valid { .. }));
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    assert_eq!(inbox.verify_with(old, &format, None), Verification::NoSecret);
    assert_eq!(new.body, body(1));
    assert!(matches!(inbox.verify_with(new, &format, None), Verification::Valid { .. }));
    assert_eq!(receiver.state().counts().evicted, 1);
    receiver.shutdown().await;
}

#[tokio::test]
async fn fetches_beyond_the_bound_are_counted_only() {
    let _memory = MEMORY.read().await;
    let (receiver, inbox) = start(Limits { fetches_recorded: 2, ..Limits::default() }).await;
    let long = "p".repeat(3000);
    for path in ["/a", "/b", "/c"] {
        reqwest::get(format!("http://{}{path}?{long}", receiver.local_addr())).await.unwrap();
    }
    let fetches = inbox.fetches();
    assert_eq!(fetches.len(), 2);
    assert!(fetches[0].path.starts_with("/a?ppp") && fetches[0].path.len() == CUT_BODY_BYTES);
    let counts = receiver.state().counts();
    assert_eq!((counts.fetches, counts.fetches_unrecorded), (3, 1));
    receiver.shutdown().await;
}

/// Waits until the server closes `stream` (EOF or reset), returning what it sent first.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let _memory = MEMORY.read().await;
    let limits = Limits { header_read_timeout: Duration::from_millis(500), ..Limits::default() };
    let (receiver, _inbox) = start(limits).await;
    let mut stream = TcpStream::connect(receiver.local_addr()).await.unwrap();
    let started = Instant::now();
    let head = format!("POST /webhook HTTP/1.1\r\nhost: x\r\nx-pad: {}\r\n\r\n", "h".repeat(200));
    let (mut reader, mut writer) = stream.split();
    let closed = async {
        let mut buf = [0u8; 256];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        _ = closed => {}
        _ = async { trickle_half(&mut writer, head.as_bytes()).await; std::future::pending::<()>().await } => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("a trickling client was never cut off"),
    }
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());
    receiver.shutdown().await;
}

/// Sends `bytes` one at a time every 100 ms, stopping at the first write error (the server closed).
async fn trickle_half(writer: &mut tokio::net::tcp::WriteHalf<'_>, bytes: &[u8]) {
    for b in bytes {
        if writer.write_all(&[*b]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_idle_connection_is_cut_off_fresh_or_kept_alive() {
    let _memory = MEMORY.read().await;
    let limits = Limits { header_read_timeout: Duration::from_millis(500), ..Limits::default() };
    let (receiver, _inbox) = start(limits).await;
    let mut stream = TcpStream::connect(receiver.local_addr()).await.unwrap();
    let started = Instant::now();
    assert!(until_closed(&mut stream, Duration::from_secs(10)).await.is_some(), "an idle connection was kept");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());
    // Kept alive after an answer, then idle: cut off too.
    let mut stream = TcpStream::connect(receiver.local_addr()).await.unwrap();
    stream.write_all(b"GET /x HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 404");
    let started = Instant::now();
    assert!(until_closed(&mut stream, Duration::from_secs(10)).await.is_some(), "a kept-alive connection was kept");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());
    receiver.shutdown().await;
}

#[tokio::test]
async fn a_client_trickling_its_body_is_answered_408_and_nothing_is_recorded() {
    let _memory = MEMORY.read().await;
    let limits = Limits { body_read_timeout: Duration::from_millis(500), ..Limits::default() };
    let (receiver, inbox) = start(limits).await;
    let mut stream = TcpStream::connect(receiver.local_addr()).await.unwrap();
    let started = Instant::now();
    stream.write_all(b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n").await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let answer = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    };
    let answer = tokio::select! {
        answer = answer => answer,
        _ = async { trickle_half(&mut writer, &[b'x'; 100]).await; std::future::pending::<()>().await } => unreachable!(),
        _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("a trickling body was never cut off"),
    };
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());
    assert!(inbox.deliveries().is_empty());
    assert_eq!(receiver.state().counts().body_timeouts, 1);
    receiver.shutdown().await;
}

/// With the bound reached, a delivery waits (it is not refused) and is answered as soon as a
/// connection closes.
#[tokio::test]
async fn connections_beyond_the_bound_wait_for_one_to_close() {
    let _memory = MEMORY.read().await;
    let (receiver, inbox) = start(Limits { max_connections: 2, ..Limits::default() }).await;
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(receiver.local_addr()).await.unwrap();
        s.write_all(b"POST /webhook HTTP/1.1\r\n").await.unwrap();
        holders.push(s);
    }
    until_in_flight(&receiver, "two connections served", |now| now.connections == 2).await;
    let body = br#"{"event_id":"c-1","event_type":"ping"}"#;
    let headers = signed(body);
    let delivery = {
        let inbox = inbox.clone();
        tokio::spawn(async move { post(&reqwest::Client::new(), inbox.as_ref(), &body[..], &headers).await })
    };
    // A window, not a wait: the third connection must NOT be served within it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!delivery.is_finished(), "a third connection was served while two were open");
    assert!(inbox.deliveries().is_empty());
    holders.pop();
    let status = tokio::time::timeout(Duration::from_secs(2), delivery).await.expect("answered promptly").unwrap();
    assert_eq!(status, 200);
    assert_eq!(inbox.deliveries().len(), 1);
    receiver.shutdown().await;
}

/// With the bodies-in-memory bound reached, a delivery waits for a body to be done with (here:
/// one stalled until its deadline answers 408), then is read and answered.
#[tokio::test]
async fn bodies_beyond_the_bound_wait_for_one_to_be_done() {
    let _memory = MEMORY.read().await;
    let limits = Limits { max_body_reads: 1, body_read_timeout: Duration::from_secs(1), ..Limits::default() };
    let (receiver, inbox) = start(limits).await;
    let mut stalled = TcpStream::connect(receiver.local_addr()).await.unwrap();
    stalled.write_all(b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nx").await.unwrap();
    until_in_flight(&receiver, "the stalled body being read", |now| now.bodies == 1).await;
    let started = Instant::now();
    let body = br#"{"event_id":"b-1","event_type":"ping"}"#;
    let status = post(&reqwest::Client::new(), inbox.as_ref(), &body[..], &signed(body)).await;
    let waited = started.elapsed();
    assert_eq!(status, 200);
    assert!(waited >= Duration::from_millis(700), "answered after {waited:?}, while another body was being read");
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    let answer = until_closed(&mut stalled, Duration::from_secs(5)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(inbox.deliveries().len(), 1);
    receiver.shutdown().await;
}

/// The gauge the waits above read: a connection counts from its accept to its close, a body
/// while it is being read.
#[tokio::test]
async fn the_in_flight_gauge_counts_connections_and_bodies_being_read() {
    let _memory = MEMORY.read().await;
    let (receiver, inbox) = start(Limits::default()).await;
    assert_eq!(receiver.state().in_flight(), InFlight { connections: 0, bodies: 0 });
    let mut stream = TcpStream::connect(receiver.local_addr()).await.unwrap();
    until_in_flight(&receiver, "one connection served", |now| now == InFlight { connections: 1, bodies: 0 }).await;
    let body = br#"{"event_id":"g-1","event_type":"ping"}"#;
    let mut head = String::from("POST /webhook HTTP/1.1\r\nhost: x\r\n");
    for (k, v) in signed(body) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    until_in_flight(&receiver, "one body being read", |now| now == InFlight { connections: 1, bodies: 1 }).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    until_in_flight(&receiver, "the body done with", |now| now == InFlight { connections: 1, bodies: 0 }).await;
    drop(stream);
    until_in_flight(&receiver, "the connection closed", |now| now == InFlight { connections: 0, bodies: 0 }).await;
    assert_eq!(inbox.deliveries().len(), 1);
    receiver.shutdown().await;
}

/// A delivery whose body is still arriving when the receiver shuts down is read, answered and
/// in the inbox afterwards; the receiver then refuses connections.
#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_keeps_its_delivery() {
    let _memory = MEMORY.read().await;
    let (receiver, inbox) = start(Limits::default()).await;
    let addr = receiver.local_addr();
    let body = br#"{"event_id":"d-1","event_type":"ping"}"#;
    let mut head = String::from("POST /webhook HTTP/1.1\r\nhost: x\r\n");
    for (k, v) in signed(body) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    until_in_flight(&receiver, "the body being read", |now| now.bodies == 1).await;
    let shutdown = tokio::spawn(receiver.shutdown());
    // The shutdown has begun once the listener is closed: only then is the rest of the body sent.
    until_refused(addr).await;
    stream.write_all(&body[10..]).await.unwrap();
    let answer = until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    shutdown.await.unwrap();
    let deliveries = inbox.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!((deliveries[0].event_id.as_deref(), deliveries[0].answered), (Some("d-1"), Some(200)));
    assert!(TcpStream::connect(addr).await.is_err());
}
