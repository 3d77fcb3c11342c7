//! The vendor's debugging loop end to end, as processes: `harness sign` and `harness verify`
//! accept each other's output in the contract's and the vendor profiles' formats, a wrong
//! signature comes with its likely cause (in `verify`, the receiver and `listen`), and `harness
//! listen` registers its own webhook through the management API, prints each delivery's
//! canonical event, drains on Ctrl-C and deletes its webhook.

use std::io::{BufRead as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use contract::{Scheme, Secret, SignatureFormat};
use harness::config::{AuthConfig, VendorConfig, WebhookSecretSource};

const SECRET: &str = "whsec_debugloopsecret0123456789";
const BODY: &str = r#"{"event_id":"0b6a2c1e-1111-4222-8333-444455556666","event_type":"device.status","n":1}"#;

fn harness(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
    cmd.args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn both(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

/// A vendor.toml reading `profile` (built-in name), with the webhook secret from `$WH_SECRET`.
fn vendor_toml(dir: &Path, profile: &str, scheme: Scheme) -> PathBuf {
    let mut config =
        VendorConfig::new("debug loop", "http://127.0.0.1:9", AuthConfig::from_key_path(dir.join("key.pem"), None));
    config.profile = harness::profile::Profile::builtin(profile).expect("a built-in profile");
    config.webhook.secret = WebhookSecretSource::Env { var: "WH_SECRET".into() };
    config.webhook.scheme = scheme;
    let path = dir.join(format!("{profile}-{scheme}.toml"));
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    path
}

/// `sign` then `verify` three ways: the lines as `--signature`/`--timestamp`, the bare values, and
/// the whole output as `--headers`.
fn round_trip(config: Option<&Path>, scheme: Scheme, expect_header: &str) {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let body = body.to_str().unwrap().to_owned();
    let scheme = scheme.to_string();
    let mut common = vec!["--body", &body, "--scheme", &scheme];
    let config = config.map(|c| c.to_str().unwrap().to_owned());
    match &config {
        Some(c) => common.extend(["--config", c]),
        None => common.extend(["--secret-env", "WH_SECRET"]),
    }
    let env = [("WH_SECRET", SECRET)];
    let signed = harness(&[&["sign"], common.as_slice()].concat(), &env);
    assert_eq!(signed.status.code(), Some(0), "{}", both(&signed));
    let printed = stdout(&signed);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines[0].starts_with(&format!("{expect_header}: ")), "{printed}");

    // The lines as sign printed them.
    let mut args = vec!["verify"];
    args.extend(&common);
    args.extend(["--signature", lines[0]]);
    if let Some(ts) = lines.get(1) {
        args.extend(["--timestamp", ts]);
    }
    let verified = harness(&args, &env);
    assert_eq!(verified.status.code(), Some(0), "{:?}\n{}", args, both(&verified));
    assert!(stdout(&verified).starts_with("valid ("), "{}", both(&verified));

    // The bare values.
    let value = |line: &str| line.split_once(": ").unwrap().1.to_owned();
    let (sig, ts) = (value(lines[0]), lines.get(1).map(|l| value(l)));
    let mut args = vec!["verify"];
    args.extend(&common);
    args.extend(["--signature", &sig]);
    if let Some(ts) = &ts {
        args.extend(["--timestamp", ts]);
    }
    let verified = harness(&args, &env);
    assert_eq!(verified.status.code(), Some(0), "{:?}\n{}", args, both(&verified));

    // The whole output as a headers file.
    let headers = dir.path().join("headers.txt");
    std::fs::write(&headers, &printed).unwrap();
    let mut args = vec!["verify"];
    args.extend(&common);
    args.extend(["--headers", headers.to_str().unwrap()]);
    let verified = harness(&args, &env);
    assert_eq!(verified.status.code(), Some(0), "{:?}\n{}", args, both(&verified));

    // And a tampered body does not verify.
    std::fs::write(&body, BODY.replace("\"n\":1", "\"n\":2")).unwrap();
    let tampered = harness(&args, &env);
    assert_eq!(tampered.status.code(), Some(1), "{}", both(&tampered));
    assert!(stdout(&tampered).starts_with("invalid: signature does not match the body"), "{}", both(&tampered));
}

#[test]
fn verify_accepts_what_sign_prints_in_the_contracts_schemes() {
    round_trip(None, Scheme::Body, "X-Webhook-Signature");
    round_trip(None, Scheme::Timestamped, "X-Webhook-Signature");
}

#[test]
fn verify_accepts_what_sign_prints_in_the_vendor_profiles_formats() {
    let dir = tempfile::tempdir().unwrap();
    // `X-Vendor-Signature: <ts>|<hex>` over `<body>|<ts>`, the timestamp inside the value.
    round_trip(Some(&vendor_toml(dir.path(), "cursor", Scheme::Body)), Scheme::Body, "X-Vendor-Signature");
    // `X-Signature: sha256=<base64>` over `<ts>.<body>`, the timestamp in `X-Sent-At`.
    round_trip(Some(&vendor_toml(dir.path(), "link", Scheme::Body)), Scheme::Body, "X-Signature");
    // The canonical profile follows the configured scheme.
    round_trip(
        Some(&vendor_toml(dir.path(), "canonical", Scheme::Timestamped)),
        Scheme::Timestamped,
        "X-Webhook-Signature",
    );
}

#[test]
fn the_cursor_profiles_signature_is_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = vendor_toml(dir.path(), "cursor", Scheme::Body);
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let signed = harness(
        &["sign", "--body", body.to_str().unwrap(), "--config", config.to_str().unwrap(), "--timestamp", "1700000000"],
        &[("WH_SECRET", SECRET)],
    );
    let format = harness::profile::Profile::builtin("cursor").unwrap().signature_format(Scheme::Body);
    let expected = format.sign(&Secret::new(SECRET), BODY.as_bytes(), 1_700_000_000);
    assert_eq!(stdout(&signed), format!("{}: {}\n", expected[0].0, expected[0].1));
    assert!(expected[0].1.starts_with("1700000000|"));
}

/// Under the `body` scheme the MAC does not cover the timestamp: `--ignore-window` checks the
/// MAC without one.
#[test]
fn the_body_scheme_verifies_without_a_timestamp_when_the_window_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let sig = SignatureFormat::canonical(Scheme::Body).sign(&Secret::new(SECRET), BODY.as_bytes(), 1)[0].1.clone();
    let b = body.to_str().unwrap();
    let env = [("WH_SECRET", SECRET)];
    let ignored =
        harness(&["verify", "--body", b, "--secret-env", "WH_SECRET", "--signature", &sig, "--ignore-window"], &env);
    assert_eq!(ignored.status.code(), Some(0), "{}", both(&ignored));
    // With the window, the missing timestamp is SIG-2's failure alone, and verify says the MAC is right.
    let windowed = harness(&["verify", "--body", b, "--secret-env", "WH_SECRET", "--signature", &sig], &env);
    assert_eq!(windowed.status.code(), Some(1), "{}", both(&windowed));
    assert!(stdout(&windowed).contains("note: the MAC is right"), "{}", both(&windowed));
}

/// A body signed compact and sent as Python's `json.dumps` writes it: verify names the mistake.
#[test]
fn verify_names_the_likely_cause() {
    let dir = tempfile::tempdir().unwrap();
    let sent = contract::diagnose::reserialise(BODY.as_bytes(), contract::diagnose::JsonStyle::Python).unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, &sent).unwrap();
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let now = contract::unix_now();
    let headers = format.sign(&Secret::new(SECRET), BODY.as_bytes(), now);
    let file = dir.path().join("headers.txt");
    std::fs::write(&file, headers.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>()).unwrap();
    let args = ["verify", "--body", body.to_str().unwrap(), "--secret-env", "WH_SECRET", "--scheme", "timestamped"];
    let out = harness(&[&args[..], &["--headers", file.to_str().unwrap()]].concat(), &[("WH_SECRET", SECRET)]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let text = stdout(&out);
    assert!(text.contains("likely cause: the MAC is over the body re-serialised as compact JSON"), "{text}");

    // Signed with the configuration's secret while the flag gives this webhook's: another secret.
    std::fs::write(&body, BODY).unwrap();
    let config = vendor_toml(dir.path(), "canonical", Scheme::Timestamped);
    let other = format.sign(&Secret::new("whsec_the_other_webhooks_secret"), BODY.as_bytes(), now);
    let lines: Vec<String> = other.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let out = harness(
        &[
            "verify",
            "--body",
            body.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--secret-env",
            "THIS_WEBHOOK",
            "--signature",
            &lines[0],
            "--timestamp",
            &lines[1],
        ],
        &[("WH_SECRET", "whsec_the_other_webhooks_secret"), ("THIS_WEBHOOK", SECRET)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(stdout(&out).contains("likely cause: the MAC is keyed by another secret of the account"), "{}", both(&out));
}

/// The receiver's verdict on an invalid delivery carries its likely cause (what `listen` prints
/// and the replay checks quote).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_says_which_mistake_explains_an_invalid_delivery() {
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let receiver = harness::receiver::Receiver::bind(
        "127.0.0.1:0".parse().unwrap(),
        format.clone(),
        vec![Secret::new(SECRET)],
        1024 * 1024,
    )
    .await
    .unwrap();
    let inbox = receiver.inbox(format!("http://{}/webhook", receiver.local_addr()));
    // Keyed by the secret without its `whsec_` prefix.
    let bare = Secret::new(SECRET.strip_prefix("whsec_").unwrap());
    let mut request = reqwest::Client::new().post(format!("http://{}/webhook", receiver.local_addr())).body(BODY);
    for (k, v) in format.sign(&bare, BODY.as_bytes(), contract::unix_now()) {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
    let delivery = inbox.deliveries().pop().unwrap();
    let suites::Verification::Invalid { reason } = &delivery.verification else {
        panic!("{:?}", delivery.verification)
    };
    assert!(
        reason.starts_with("signature does not match the body; likely cause: the MAC is keyed by the secret without its `whsec_` prefix"),
        "{reason}"
    );
    receiver.shutdown().await;
}

/// A `harness listen` process: its stderr lines as they come, and where it takes deliveries.
struct Listening {
    child: Child,
    stderr: mpsc::Receiver<String>,
    url: String,
    reader: Option<std::thread::JoinHandle<String>>,
}

fn listen(config: &Path) -> Listening {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["listen", "--config", config.to_str().unwrap()])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, stderr) = mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        let line = stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("harness listen announces where it listens");
        // `listening on 127.0.0.1:P (deliver to http://127.0.0.1:P/webhook); Ctrl-C stops`
        if let Some(rest) = line.split_once("(deliver to ").map(|(_, r)| r) {
            break rest.split_once(')').unwrap().0.to_owned();
        }
    };
    Listening { child, stderr, url, reader: None }
}

impl Listening {
    /// Sends SIGINT (what Ctrl-C sends), reading whatever stdout still holds from then on (a
    /// full pipe must not stop the process from finishing).
    fn send_sigint(&mut self) {
        self.reader = self.child.stdout.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        let killed = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
    }

    /// The exit status, and stdout since [`Listening::send_sigint`].
    fn wait(&mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "harness listen did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.reader.take().map(|r| r.join().unwrap()).unwrap_or_default())
    }

    /// Stdout's lines as they come (instead of all at the end).
    fn stdout_lines(&mut self) -> mpsc::Receiver<String> {
        let (tx, rx) = mpsc::channel();
        let pipe = self.child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        rx
    }

    fn stderr_so_far(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

/// Every delivery answered 2xx before or while Ctrl-C stops `listen` is printed: those whose
/// printing lags behind the answers (the test reads nothing until it has sent SIGINT, so the
/// pipe fills and printing blocks while the receiver keeps answering), and one still in flight
/// when the signal comes (its body is half sent; the rest follows once the receiver has stopped
/// accepting connections), which is answered 200 and must be printed too.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_prints_every_delivery_answered_before_it() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let dir = tempfile::tempdir().unwrap();
    let mut config =
        VendorConfig::new("drain", "http://127.0.0.1:9", AuthConfig::from_key_path(dir.path().join("key.pem"), None));
    config.webhook.listen = "127.0.0.1:0".parse().unwrap();
    config.webhook.secret = WebhookSecretSource::Inline { value: Secret::new(SECRET) };
    config.webhook.scheme = Scheme::Timestamped;
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let format = SignatureFormat::canonical(Scheme::Timestamped);
    let sign = |body: &str| format.sign(&Secret::new(SECRET), body.as_bytes(), contract::unix_now());
    let body_of =
        |id: &str| format!(r#"{{"event_id":"{id}","event_type":"ping","padding":"{}"}}"#, "x".repeat(8 * 1024));
    let client = reqwest::Client::new();
    let mut listening = listen(&path);
    // One keyed by the secret without its `whsec_` prefix: refused, printed with its likely cause.
    let wrong = body_of("00000000-0000-4000-8000-888888888888");
    let mut request = client.post(&listening.url).body(wrong.clone());
    let bare = Secret::new(SECRET.strip_prefix("whsec_").unwrap());
    for (k, v) in format.sign(&bare, wrong.as_bytes(), contract::unix_now()) {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
    let mut answered = Vec::new();
    for i in 0..30 {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let body = body_of(&id);
        let mut request = client.post(&listening.url).body(body.clone());
        for (k, v) in sign(&body) {
            request = request.header(k, v);
        }
        let status = request.send().await.unwrap().status();
        assert!(status.is_success(), "delivery {i} answered {status}");
        answered.push(id);
    }

    // One more, in flight: headers and half the body, then `100 Continue` says the receiver is
    // reading it.
    let addr = listening.url.trim_start_matches("http://").split_once('/').unwrap().0.to_owned();
    let in_flight = "00000000-0000-4000-8000-999999999999".to_owned();
    let body = body_of(&in_flight);
    let mut head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in sign(&body) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut continued = [0u8; 25];
    stream.read_exact(&mut continued).await.unwrap();
    assert!(String::from_utf8_lossy(&continued).starts_with("HTTP/1.1 100 Continue"));
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first.as_bytes()).await.unwrap();

    listening.send_sigint();
    // Once the receiver refuses new connections it is draining: the rest of the body comes then.
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        assert!(Instant::now() < deadline, "the receiver kept accepting connections after SIGINT");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    assert!(response.starts_with("HTTP/1.1 200"), "the delivery in flight was answered: {response:?}");
    answered.push(in_flight);

    let (status, printed) = listening.wait();
    assert_eq!(status.code(), Some(130), "{}", listening.stderr_so_far());
    for id in &answered {
        assert!(printed.contains(&format!("event_id={id} answered=200 signature valid")), "{id} not printed");
    }
    assert!(
        printed.contains("answered=401 signature INVALID: signature does not match the body; likely cause: the MAC is keyed by the secret without its `whsec_` prefix"),
        "{}",
        printed.lines().next().unwrap_or_default()
    );
}

/// `listen` with `secret = { from = "management-api" }` registers its own webhook through the
/// profile's management API (the mock in its `cursor` shape), verifies deliveries with the
/// secret the vendor returned, prints each one's canonical event as the profile maps it, and
/// deletes the webhook when stopped.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_registers_its_own_webhook_and_deletes_it_on_ctrl_c() {
    use suites::VendorApi as _;

    let shape = mock_vendor::shape::Shape::Cursor;
    let state_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock_config = mock_vendor::MockConfig { shape, ..harness::cli::demo::demo_mock_config(Vec::new()) };
    let mock = mock_vendor::start(mock_config, listener, state_dir.path()).await.unwrap();
    let config = harness::cli::demo::config_for(&mock, shape).unwrap();
    assert_eq!(config.webhook.secret, WebhookSecretSource::ManagementApi);
    let path = state_dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();

    let mut listening = listen(&path);
    let live = |url: &str| {
        let hooks = mock.state.webhooks.lock().unwrap();
        hooks.iter().filter(|h| h.target_url == url && !h.deleted).map(|h| h.id.clone()).collect::<Vec<_>>()
    };
    let ids = live(&listening.url);
    assert_eq!(ids.len(), 1, "one webhook registered to {}: {}", listening.url, listening.stderr_so_far());

    let client = harness::client::VendorClient::from_config(&config, "vendor.toml").unwrap();
    let ping = client.probe(client.webhook_api().ping_probe(&ids[0], &listening.url, None)).await.unwrap();
    assert!(ping.is_success(), "the ping answered {}", ping.status);
    let lines = listening.stdout_lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.starts_with("canonical event: ")) {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no delivery printed: {seen:#?}\n{}", listening.stderr_so_far()));
        seen.push(line);
    }
    assert!(seen[0].starts_with("#0 ") && seen[0].contains("signature valid"), "{seen:#?}");
    // The cursor shape's ping is `{"id", "type": "ping", ...}`; its canonical event has the contract's names.
    let event: serde_json::Value =
        serde_json::from_str(seen.last().unwrap().strip_prefix("canonical event: ").unwrap()).unwrap();
    assert_eq!(event["event_type"], "ping", "{event}");
    assert!(event["event_id"].is_string(), "{event}");
    assert!(!seen[1].contains("\"event_type\""), "the raw body is the vendor's own: {}", seen[1]);

    listening.send_sigint();
    let (status, _) = listening.wait();
    assert_eq!(status.code(), Some(130), "{}", listening.stderr_so_far());
    assert!(live(&listening.url).is_empty(), "the webhook was deleted on exit: {}", listening.stderr_so_far());
    mock.stop().await;
}

/// A signature over the body alone meets SIG-1 whatever the format declares, as the receiver
/// holds: `verify` says so (and names SIG-3) rather than calling it invalid.
#[test]
fn verify_accepts_a_body_only_signature_under_a_timestamped_format_as_the_receiver_does() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let env = [("WH_SECRET", SECRET)];
    let b = body.to_str().unwrap();
    let signed = harness(&["sign", "--body", b, "--secret-env", "WH_SECRET", "--scheme", "body"], &env);
    let headers = dir.path().join("headers.txt");
    std::fs::write(&headers, stdout(&signed)).unwrap();
    let h = headers.to_str().unwrap();
    let out =
        harness(&["verify", "--body", b, "--secret-env", "WH_SECRET", "--scheme", "timestamped", "--headers", h], &env);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).starts_with("valid over the body alone") && stdout(&out).contains("SIG-3"), "{}", both(&out));
}

/// The secret must come from somewhere, and not from a webhook only a run creates; a headers
/// file must hold header lines; a header line for another header is pointed out.
#[test]
fn sign_and_verify_explain_what_is_missing_or_misplaced() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, BODY).unwrap();
    let b = body.to_str().unwrap();
    let none = harness(&["sign", "--body", b], &[]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("give the secret with --secret-env or --secret-file"));

    let mut config =
        VendorConfig::new("x", "http://127.0.0.1:9", AuthConfig::from_key_path(dir.path().join("key.pem"), None));
    config.webhook.secret = WebhookSecretSource::ManagementApi;
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let created = harness(&["sign", "--body", b, "--config", path.to_str().unwrap()], &[]);
    assert_eq!(created.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&created.stderr).contains("created at run time (`management-api`)"),
        "{}",
        both(&created)
    );
    // A secret flag is enough then.
    let flagged =
        harness(&["sign", "--body", b, "--config", path.to_str().unwrap(), "--secret-env", "S"], &[("S", SECRET)]);
    assert_eq!(flagged.status.code(), Some(0), "{}", both(&flagged));

    let garbage = dir.path().join("headers.txt");
    std::fs::write(&garbage, "X-Webhook-Signature: sha256=00\nnot a header line\n").unwrap();
    let out = harness(
        &["verify", "--body", b, "--secret-env", "S", "--headers", garbage.to_str().unwrap()],
        &[("S", SECRET)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2 of"), "{}", both(&out));

    let out = harness(
        &["verify", "--body", b, "--secret-env", "S", "--signature", "X-Signature: sha256=00", "--ignore-window"],
        &[("S", SECRET)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        stdout(&out).contains("--signature looks like a `X-Signature` header line; this format's signature header is `X-Webhook-Signature`"),
        "{}",
        both(&out)
    );
}

/// A management API that cannot register the webhook stops `listen` at once (exit 2), saying so.
#[test]
fn listen_stops_when_it_cannot_register_its_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let key = contract::token::generate_keypair(1024).unwrap();
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, key.private_pem.expose()).unwrap();
    // Nothing listens on port 9 (discard) on loopback.
    let mut config = VendorConfig::new("x", "http://127.0.0.1:9", AuthConfig::from_key_path(key_path, None));
    config.webhook.secret = WebhookSecretSource::ManagementApi;
    config.webhook.listen = "127.0.0.1:0".parse().unwrap();
    config.budgets.request_timeout_secs = 5;
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let out = harness(&["listen", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("failed to register a webhook through the management API"),
        "{}",
        both(&out)
    );
}
