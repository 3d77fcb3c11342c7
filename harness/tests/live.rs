//! The live view (`--live`): its Server-Sent Events stream read with reqwest during a small run
//! (every check's end before the run's, a page joining mid-run or after the end gets the events
//! so far and then the live ones, `Last-Event-ID` resumes, the stream ends with the run), and its
//! page in a real browser: Debian's headless Chromium, driven through the DevTools protocol over
//! a pipe, watching `harness demo --live --fault device-missing-type` shows the failing check and
//! arriving deliveries while the run is still going, then the verdict.

mod common;

use std::io::{BufRead as _, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use harness::reporter::LiveView;
use serde_json::{Value, json};

/// One SSE event as a page gets it.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: u64,
    data: Value,
}

impl Sse {
    fn kind(&self) -> &str {
        self.data["type"].as_str().unwrap_or_default()
    }
}

/// Reads an SSE response to its end, calling `each` on every event as it comes.
async fn read_events(response: reqwest::Response, mut each: impl FnMut(&Sse)) -> Vec<Sse> {
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while let Some(chunk) =
        tokio::time::timeout(Duration::from_secs(30), body.next()).await.expect("the stream stalled")
    {
        buffer.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let (mut id, mut data) = (None, None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.parse().unwrap());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(v).unwrap());
                }
            }
            // A frame of comments alone is a keep-alive.
            if let (Some(id), Some(data)) = (id, data) {
                let event = Sse { id, data };
                each(&event);
                events.push(event);
            }
        }
    }
    events
}

async fn connect(url: &str, last_event_id: Option<u64>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_tells_the_run_as_it_happens_and_late_joiners_get_the_backlog() {
    let out = tempfile::tempdir().unwrap();
    let (running, _state, config) = common::demo_mock().await;
    let checks = ["schema.account", "webhooks.ping", "events.health"];
    let options = common::quiet_options(out.path(), &checks);

    let view = LiveView::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    assert!(view.url().starts_with("http://127.0.0.1:") && view.url().ends_with('/'), "{}", view.url());
    let stream_url = format!("{}events", view.url());

    // The page itself: self-contained, nothing to fetch from elsewhere.
    let page = reqwest::get(view.url()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    let page = page.text().await.unwrap();
    assert!(page.contains("new EventSource(\"/events\")"), "{page}");
    let addresses = page.replace("\"http://www.w3.org/2000/svg\"", "");
    assert!(!addresses.contains("://") && !page.contains(" src="), "the page loads nothing from elsewhere");

    // A page open from before the run; a second one joins when the first check has ended.
    let early = connect(&stream_url, None).await;
    let (join, joined) = tokio::sync::oneshot::channel();
    let mut join = Some(join);
    let early = tokio::spawn(read_events(early, move |e| {
        if e.kind() == "check-finished"
            && let Some(join) = join.take()
        {
            let _ = join.send(());
        }
    }));
    let run = tokio::spawn(harness::run_with(config, options, vec![view.reporter()]));
    joined.await.unwrap();
    let late = tokio::spawn(read_events(connect(&stream_url, None).await, |_| {}));
    let summary = run.await.unwrap().unwrap();
    running.stop().await;
    let early = early.await.unwrap();
    let late = late.await.unwrap();

    // Every event once, in order, from the run's start to its end; each check's end before it.
    let ids: Vec<u64> = early.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=early.len() as u64).collect::<Vec<_>>(), "no gap, no repeat");
    assert_eq!(early[0].kind(), "run-started", "{early:#?}");
    assert_eq!(early[0].data["vendor"], "mock-vendor (demo)");
    let listed: Vec<&str> =
        early[0].data["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(listed, checks);
    let last = early.last().unwrap();
    assert_eq!(last.kind(), "run-finished", "the stream ends with the run's end: {early:#?}");
    assert_eq!(last.data["verdict"], "CONFORMANT");
    assert_eq!(last.data["headline"], summary.headline);
    assert_eq!(last.data["counts"]["pass"], 3);
    assert!(last.data["report"].as_str().unwrap().ends_with("report.html"));
    let finished: Vec<&Sse> = early.iter().filter(|e| e.kind() == "check-finished").collect();
    let order: Vec<&str> = finished.iter().map(|e| e.data["row"]["id"].as_str().unwrap()).collect();
    assert_eq!(order, checks);
    for e in &finished {
        let row = &e.data["row"];
        assert_eq!((row["status"].as_str(), row["label"].as_str()), (Some("PASS"), Some("PASS")), "{row}");
        assert!(row.get("evidence").is_none(), "the page is not sent the evidence: {row}");
        let id = row["id"].as_str().unwrap();
        let started = early.iter().position(|s| s.kind() == "check-started" && s.data["id"] == id).unwrap();
        assert!(early[started].id < e.id, "{id} started before it finished");
    }
    assert!(
        early
            .iter()
            .any(|e| e.kind() == "waiting" && e.data["what"] == "the ping" && e.data["within_ms"].as_u64() > Some(0)),
        "the waits are told: {early:#?}"
    );
    let deliveries: Vec<&Sse> = early.iter().filter(|e| e.kind() == "delivery").collect();
    assert!(
        deliveries
            .iter()
            .any(|d| d.data["event_type"] == "ping" && d.data["verified"] == true && d.data["answered"] == 200),
        "{deliveries:#?}"
    );
    assert!(deliveries.iter().all(|d| d.data.get("headers").is_none() && d.data.get("body").is_none()));
    assert!(early.iter().all(|e| e.data["elapsed_ms"].is_u64()));

    // The page that joined mid-run got the events so far, then the live ones: the same run.
    assert_eq!(late, early, "a late joiner sees the whole run");

    // After the end (the view still up): the whole run again, and the stream ends at once;
    // a page reconnecting with `Last-Event-ID` gets only what it missed.
    assert_eq!(read_events(connect(&stream_url, None).await, |_| {}).await, early);
    let missed = read_events(connect(&stream_url, Some(last.id - 2)).await, |_| {}).await;
    assert_eq!(missed, early[early.len() - 2..]);

    view.stop().await;
    assert!(reqwest::get(stream_url).await.is_err(), "stopped means no longer serving");
}

/// A view stopped without a run's end (the run failed before it started) tells its pages so,
/// and their streams end.
#[tokio::test]
async fn a_view_stopped_before_the_run_ended_says_so() {
    let view = LiveView::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let stream_url = format!("{}events", view.url());
    let open = tokio::spawn(read_events(connect(&stream_url, None).await, |_| {}));
    view.stop().await;
    let events = tokio::time::timeout(Duration::from_secs(10), open).await.unwrap().unwrap();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].kind(), "closed");
    assert!(events[0].data["reason"].as_str().unwrap().contains("before the run finished"));
}

/// Bound to loopback, the view answers only requests for a loopback host: a page elsewhere
/// cannot read the run through a name pointed at 127.0.0.1 (DNS rebinding).
#[tokio::test]
async fn a_loopback_view_refuses_other_hosts() {
    let view = LiveView::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = view.url().trim_end_matches('/').rsplit(':').next().unwrap().to_owned();
    let client = reqwest::Client::new();
    for path in ["", "events"] {
        let url = format!("{}{path}", view.url());
        let refused = client.get(&url).header("Host", format!("rebound.example:{port}")).send().await.unwrap();
        assert_eq!(refused.status(), 403, "{url}");
        assert!(refused.text().await.unwrap().contains("answers only requests for 127.0.0.1"));
        let local = client.get(&url).header("Host", format!("localhost:{port}")).send().await.unwrap();
        assert_eq!(local.status(), 200, "{url}");
    }
    view.stop().await;
}

/// `harness demo --live --keep-serving`: after the run the view serves on with the mock, and a
/// page opened then gets the whole run, to its verdict.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_demo_keeps_its_live_view() {
    use tokio::io::AsyncBufReadExt as _;
    let out = tempfile::tempdir().unwrap();
    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["demo", "--live", "--keep-serving", "--out"])
        .arg(out.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(demo.stderr.take().unwrap()).lines();
    let (mut url, mut printed) = (None, String::new());
    while !printed.contains("the live view keeps serving at") {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await.unwrap().unwrap();
        let line = line.unwrap_or_else(|| panic!("the demo ended:\n{printed}"));
        if let Some(u) = line.strip_prefix("live view: ") {
            url = Some(u.to_owned());
        }
        printed += &format!("{line}\n");
    }
    let url = url.unwrap();
    assert!(printed.contains(&format!("the live view keeps serving at {url} until Ctrl-C too")), "{printed}");
    let events = read_events(connect(&format!("{url}events"), None).await, |_| {}).await;
    assert_eq!(events.first().map(Sse::kind), Some("run-started"));
    assert_eq!(events.last().map(Sse::kind), Some("run-finished"));
    assert_eq!(events.last().unwrap().data["verdict"], "CONFORMANT");

    let pid = demo.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap() {
        printed += &format!("{line}\n");
    }
    assert_eq!(demo.wait().await.unwrap().code(), Some(0), "{printed}");
    assert!(printed.contains(&format!("stopped serving {url}")), "{printed}");
    assert!(reqwest::get(url).await.is_err(), "the view stopped with the mock");
}

/// Kills what it holds when a failed assertion unwinds.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Debian's Chromium, headless, driven through the DevTools protocol over a pipe
/// (`--remote-debugging-pipe`: it reads commands on fd 3 and answers on fd 4, each message
/// ending with a NUL); a shell hands it our stdin and stdout as those.
struct Browser {
    _process: Killed,
    commands: ChildStdin,
    answers: mpsc::Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (with a note) when `chromium` is not installed; `.ci/run` installs it.
    fn launch() -> Option<Self> {
        if Command::new("chromium").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            eprintln!(
                "note: `chromium` is not installed: the live view's browser test is skipped (.ci/run installs it)"
            );
            return None;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("sh")
            .args(["-c", "exec \"$@\" 3<&0 4>&1 0</dev/null 1>/dev/null", "sh", "chromium"])
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let commands = child.stdin.take().unwrap();
        let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            let mut message = Vec::new();
            while output.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                message.pop_if(|b| *b == 0);
                if let Ok(value) = serde_json::from_slice(&message) {
                    let _ = tx.send(value);
                }
                message.clear();
            }
        });
        Some(Self { _process: Killed(child), commands, answers, next_id: 0, _profile: profile })
    }

    /// Sends one command and waits for its answer (events in between are dropped).
    fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let mut command = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(session) = session {
            command["sessionId"] = session.into();
        }
        let mut bytes = command.to_string().into_bytes();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        self.commands.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = self
                .answers
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("chromium did not answer {method}"));
            if answer["id"] == self.next_id {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }
}

/// What the page shows, read from its DOM.
const PAGE_STATE: &str = r##"(() => {
  const verdict = document.getElementById("verdict");
  return {
    phase: document.body.getAttribute("data-phase"),
    verdict: verdict.hidden ? null : verdict.getAttribute("data-verdict"),
    checks: Object.fromEntries([...document.querySelectorAll("li.check")].map(li => [li.dataset.id, li.dataset.status])),
    deliveries: document.querySelectorAll("#delivery-list li").length,
    verified: document.querySelectorAll('#delivery-list li[data-verified="true"]').length,
    failures: [...document.querySelectorAll("#failure-list > li")].map(li => li.dataset.id),
    failure_text: document.getElementById("failure-list").textContent,
    waiting: document.getElementById("waiting").textContent,
    retried: Math.max(0, ...[...document.querySelectorAll("#timeline [data-event]")].map(g => +g.dataset.attempts)),
    windows: [...new Set([...document.querySelectorAll("#timeline [data-window]")].map(r => r.dataset.window))],
    fleet: Object.fromEntries([...document.querySelectorAll("[data-device]")].map(d => [d.dataset.device, d.dataset.status])),
    dom: document.documentElement.outerHTML,
  };
})()"##;

#[test]
fn a_browser_watching_a_faulty_demo_sees_checks_and_deliveries_before_the_verdict() {
    let Some(mut browser) = Browser::launch() else { return };
    let out = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["demo", "--live", "127.0.0.1:0", "--fault", "device-missing-type", "--out"])
        .arg(out.path())
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = demo.stderr.take().unwrap();
    let mut stdout = demo.stdout.take().unwrap();
    let demo = Killed(demo);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = String::new();
    let url = loop {
        let line =
            lines.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("no live view URL:\n{printed}"));
        printed += &format!("{line}\n");
        if let Some(url) = line.strip_prefix("live view: ") {
            break url.to_owned();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "{url}");

    let target = browser.call("Target.createTarget", json!({"url": url}), None);
    let attached =
        browser.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}), None);
    let session = attached["sessionId"].as_str().unwrap().to_owned();

    // Watch the page until it shows the verdict, keeping the first view of the failing check
    // and the first of a verified delivery while the run was still going.
    let (mut failing_mid_run, mut delivery_mid_run, mut retry_mid_run) = (None, None, None);
    // The outage windows the delivery checks set, as the timeline shades them.
    let mut windows_mid_run = std::collections::BTreeSet::new();
    // The fleet as first shown, and the devices whose tile changed status before the verdict.
    let (mut fleet_at_first, mut changed_mid_run) = (None::<Value>, std::collections::BTreeSet::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    let end = loop {
        assert!(Instant::now() < deadline, "the page never showed a verdict; the demo printed:\n{printed}");
        let answer =
            browser.call("Runtime.evaluate", json!({"expression": PAGE_STATE, "returnByValue": true}), Some(&session));
        // Before the page has loaded there is no body to read.
        let state = &answer["result"]["value"];
        if answer.get("exceptionDetails").is_some() || state.is_null() {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        if state["verdict"].is_null() {
            if failing_mid_run.is_none() && state["checks"]["schema.device-fields"] == "fail" {
                failing_mid_run = Some(state.clone());
            }
            if delivery_mid_run.is_none() && state["verified"].as_u64() > Some(0) {
                delivery_mid_run = Some(state.clone());
            }
            if retry_mid_run.is_none() && state["retried"].as_u64() >= Some(2) {
                retry_mid_run = Some(state.clone());
            }
            windows_mid_run
                .extend(state["windows"].as_array().unwrap().iter().filter_map(|w| w.as_str().map(String::from)));
            let fleet = state["fleet"].as_object().unwrap();
            match &fleet_at_first {
                None if !fleet.is_empty() => fleet_at_first = Some(state["fleet"].clone()),
                Some(first) => {
                    changed_mid_run.extend(fleet.iter().filter(|(id, s)| first[id] != **s).map(|(id, _)| id.clone()))
                }
                None => {}
            }
        } else {
            break state.clone();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    printed.extend(lines.try_iter().map(|l| l + "\n"));

    let mid =
        failing_mid_run.unwrap_or_else(|| panic!("the failing check was never shown before the verdict:\n{printed}"));
    assert_eq!(mid["phase"], "running", "{mid}");
    let statuses: Vec<&str> = mid["checks"].as_object().unwrap().values().filter_map(Value::as_str).collect();
    assert!(statuses.contains(&"pass"), "other checks shown finished too: {mid}");
    assert!(statuses.contains(&"pending") || statuses.contains(&"running"), "not every check had finished: {mid}");
    assert_eq!(mid["failures"], json!(["schema.device-fields"]), "{mid}");
    assert!(mid["failure_text"].as_str().unwrap().contains("INV-1 (MUST)"), "the failure quotes CONTRACT.md: {mid}");
    // The same as a DOM dump shows it.
    let dom = mid["dom"].as_str().unwrap();
    assert!(dom.contains(r#"data-id="schema.device-fields" data-status="fail""#), "{dom}");
    assert!(dom.contains(r#"<section id="verdict" hidden="">"#), "{dom}");

    let fleet = fleet_at_first.unwrap_or_else(|| panic!("the demo's fleet was never shown:\n{printed}"));
    assert!(fleet.as_object().unwrap().len() > 10, "{fleet}");
    assert!(!changed_mid_run.is_empty(), "no device of the fleet changed status while the run went: {fleet}");

    // The delivery checks make the mock retry: the timeline shows an event's attempts as they come.
    retry_mid_run.unwrap_or_else(|| panic!("no retried event was drawn before the verdict:\n{printed}"));
    // ... over the outage windows that caused them (a 500 window, at the least), shaded.
    assert!(windows_mid_run.contains("500"), "outage windows shaded on the timeline: {windows_mid_run:?}");

    let delivered = delivery_mid_run.unwrap_or_else(|| panic!("no delivery was shown before the verdict:\n{printed}"));
    assert_eq!(delivered["phase"], "running", "{delivered}");

    assert_eq!(end["verdict"], "NOT CONFORMANT", "{end}");
    assert_eq!(end["phase"], "finished", "{end}");
    assert!(end["checks"].as_object().unwrap().values().all(|s| s != "pending" && s != "running"), "{end}");
    assert_eq!(end["failures"], json!(["schema.device-fields"]), "{end}");

    let mut demo = demo;
    let status = demo.0.wait().unwrap();
    let mut result = String::new();
    stdout.read_to_string(&mut result).unwrap();
    printed.extend(lines.iter().map(|l| l + "\n"));
    assert_eq!(status.code(), Some(1), "{result}\n{printed}");
    assert!(result.starts_with("NOT CONFORMANT"), "{result}");
    assert!(printed.contains(&format!("live view: the run has ended; stopped serving {url}")), "{printed}");
    drop(browser);
}
