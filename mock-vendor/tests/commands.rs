//! Every subcommand and flag of the `mock-vendor` binary, run as a process: a good value of every
//! flag (the mock says READY and stops cleanly on SIGTERM), and a bad value of every flag that
//! takes one (one `error:` line naming the flag or what to fix, exit 2, nothing served).
//! `every_flag_has_a_case` reads `serve --help` and fails when a flag has no case here. Also the
//! README's examples, and a redirected log without colour codes.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mock-vendor");

/// Flags given a good value, each invocation several at once (every start generates keys).
const GOOD: &[&[&str]] = &[
    &[
        "--fleet",
        "synthetic:1500",
        "--seed",
        "7",
        "--retry-schedule",
        "1s,5s",
        "--signature",
        "timestamped",
        "--shape",
        "cursor",
        "--fault",
        "account-not-json",
        "--allow-private-targets",
        "--simulate",
        "--simulation-rate",
        "5",
        "--family-data",
        "own",
        "--rate-limit",
        "account",
        "--past-end",
        "404",
        "--over-max",
        "clamp",
        "--max-page-size",
        "100",
        "--webhook-status",
        "enabled",
        "--register-webhook",
        "http://127.0.0.1:9/hook",
        "--answer-delay",
        "5ms",
    ],
    &["--no-webhook-api", "--no-event-catalogue", "--fleet", "demo", "--shape", "link", "--signature", "body"],
];

/// A flag, a bad value, and what the error must say.
const BAD: &[(&str, &str, &str)] = &[
    ("--listen", "localhost:http", "invalid socket address"),
    ("--fleet", "synthetic:many", "expected `demo` or `synthetic:N`"),
    ("--fleet", "synthetic:0", "from 1 to 50000000"),
    ("--seed", "seven", "--seed"),
    ("--retry-schedule", "1x", "--retry-schedule"),
    ("--signature", "hmac", "expected `body` or `timestamped`"),
    ("--shape", "graphql", "canonical, cursor, link"),
    ("--fault", "no-such-fault", "mock-vendor faults"),
    ("--simulation-rate", "0", "events per second"),
    ("--family-data", "theirs", "suggested, own"),
    ("--rate-limit", "ip", "failed-auth, account, none"),
    ("--past-end", "410", "empty, 404"),
    ("--over-max", "truncate", "shape, clamp, 400"),
    ("--max-page-size", "0", "--max-page-size"),
    ("--answer-delay", "fast", "--answer-delay"),
    ("--answer-delay", "2m", "longest answer delay"),
    ("--webhook-status", "active", "the contract's own word"),
    ("--webhook-status", "", "not a status word"),
    ("--register-webhook", "not a url", "`target_url` is not a URL"),
    // Private targets are refused unless allowed (WHM-3), at start-up too.
    ("--register-webhook", "http://10.0.0.1/hook", "private targets are not allowed"),
];

fn serve(state: &std::path::Path, extra: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.arg("serve");
    if !extra.contains(&"--listen") {
        command.args(["--listen", "127.0.0.1:0"]);
    }
    command.arg("--state-dir").arg(state).args(extra).env("NO_COLOR", "1");
    command
}

/// Starts the mock with `extra`, waits for READY, sends SIGTERM, asserts a clean exit 0, and
/// returns its log (stderr).
fn ready_then_terminate(extra: &[&str]) -> String {
    ready_then_terminate_with(extra, &[])
}

/// [`ready_then_terminate`] with environment variables set (`Some`) or removed (`None`).
fn ready_then_terminate_with(extra: &[&str], env: &[(&str, Option<&str>)]) -> String {
    let state = tempfile::tempdir().unwrap();
    let mut command = serve(state.path(), extra);
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(line.starts_with("READY http://127.0.0.1:"), "{extra:?}: no READY, got {line:?}; stderr:\n{stderr}");
    assert_eq!(status.code(), Some(0), "{extra:?}: SIGTERM right after READY stops cleanly; stderr:\n{stderr}");
    assert!(state.path().join("credentials.json").is_file());
    stderr
}

/// Runs the mock with `extra`, which it must refuse, and returns its stderr.
fn refused(state: &std::path::Path, extra: &[&str]) -> String {
    let out = serve(state, extra).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr).into_owned());
    assert_eq!(out.status.code(), Some(2), "{extra:?}: {}; stderr:\n{stderr}", out.status);
    assert!(!stdout.contains("READY"), "{extra:?} printed READY");
    assert!(stderr.contains("error:") && !stderr.contains("panicked"), "{extra:?}:\n{stderr}");
    assert!(!stderr.contains("Stack backtrace"), "{extra:?}: one error line, not a backtrace:\n{stderr}");
    stderr
}

/// The flags `serve --help` lists, `--help` aside, with whether each takes a value.
fn serve_flags() -> BTreeSet<(String, bool)> {
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let flag = words.next()?.trim_end_matches(',');
            (flag.starts_with("--") && flag != "--help")
                .then(|| (flag.to_owned(), words.next().is_some_and(|w| w.starts_with('<'))))
        })
        .collect()
}

#[test]
fn every_flag_takes_a_good_value() {
    for extra in GOOD {
        ready_then_terminate(extra);
    }
}

#[test]
fn every_flag_refuses_a_bad_value_with_exit_2() {
    let state = tempfile::tempdir().unwrap();
    for (flag, value, says) in BAD {
        let stderr = refused(state.path(), &[flag, value]);
        assert!(stderr.contains(says), "{flag} {value:?}: expected {says:?} in:\n{stderr}");
    }
    // Set-up errors (not the parser's) exit 2 the same way, naming what to fix.
    let file = state.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let stderr = refused(&file.join("state"), &[]);
    assert!(stderr.contains("failed to create") && stderr.contains("a-file"), "{stderr}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN).args(["serve", "--listen", &addr, "--state-dir"]).arg(state.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("error: failed to listen on {addr}")), "{stderr}");
    // `--state-dir` is required.
    let out = Command::new(BIN).args(["serve", "--listen", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state-dir <STATE_DIR>"));
}

#[test]
fn a_retry_schedule_is_taken_and_a_bad_one_refused() {
    ready_then_terminate(&["--retry-schedule", "none"]);
    let state = tempfile::tempdir().unwrap();
    for bad in ["1x", "5", "1s,,30s", "31days"] {
        let stderr = refused(state.path(), &["--retry-schedule", bad]);
        assert!(stderr.contains("--retry-schedule"), "{bad}: {stderr}");
        assert!(stderr.contains("duration") || stderr.contains("30 days"), "{bad}: {stderr}");
    }
}

#[test]
fn a_bad_simulation_rate_is_refused_before_ready() {
    let state = tempfile::tempdir().unwrap();
    for bad in ["0", "-1", "NaN", "inf", "1e308", "fast"] {
        let stderr = refused(state.path(), &["--simulate", "--simulation-rate", bad]);
        assert!(stderr.contains("--simulation-rate"), "{bad}: {stderr}");
        assert!(stderr.contains("events per second"), "{bad}: {stderr}");
    }
    // README's example of the mock section.
    ready_then_terminate(&["--retry-schedule", "1s,5s,30s", "--simulate", "--simulation-rate", "5"]);
}

/// The time from sending one request on an open loopback connection to the first byte of its answer.
fn one_answer(addr: &str, request: &str) -> (Duration, String) {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let started = std::time::Instant::now();
    stream.write_all(request.as_bytes()).unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    (started.elapsed(), String::from_utf8_lossy(&first).into_owned())
}

#[test]
fn an_answer_delay_holds_every_answer_that_long() {
    let state = tempfile::tempdir().unwrap();
    let mut child =
        serve(state.path(), &["--answer-delay", "20ms"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("READY http://").expect("READY").to_owned();
    // The vendor API (a 401 without a token) and a route it does not serve (404) alike.
    for path in ["/api/v1/account", "/no/such/route"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        let (took, status) = one_answer(&addr, &request);
        assert!(status.starts_with("HTTP/1.1 4"), "{path}: {status}");
        assert!(took >= Duration::from_millis(20), "{path} answered after {took:?}, not 20 ms or more");
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_redirected_log_has_no_colour_codes() {
    let stderr = ready_then_terminate_with(&[], &[("RUST_LOG", Some("info")), ("NO_COLOR", None)]);
    assert!(stderr.contains("mock vendor ready"), "the log was captured:\n{stderr}");
    assert!(!stderr.contains("\x1b["), "ANSI escape codes in a redirected log:\n{stderr:?}");
}

#[test]
fn every_flag_has_a_case() {
    let mut missing = Vec::new();
    for (flag, takes_value) in serve_flags() {
        if !GOOD.iter().any(|g| g.contains(&flag.as_str())) && !matches!(flag.as_str(), "--listen" | "--state-dir") {
            missing.push(format!("`serve {flag}`: no good value in GOOD"));
        }
        if takes_value && flag != "--state-dir" && !BAD.iter().any(|(f, _, _)| *f == flag) {
            missing.push(format!("`serve {flag}`: no bad value in BAD"));
        }
    }
    assert!(missing.is_empty(), "add cases to mock-vendor/tests/commands.rs:\n{}", missing.join("\n"));
}

#[test]
fn help_version_and_the_fault_catalogue() {
    for args in [&["--help"][..], &["serve", "--help"], &["faults", "--help"]] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: mock-vendor"), "{args:?}");
    }
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("mock-vendor "));
    let faults = Command::new(BIN).arg("faults").output().unwrap();
    assert_eq!(faults.status.code(), Some(0));
    let catalogue = String::from_utf8_lossy(&faults.stdout);
    assert!(catalogue.contains("account-not-json"), "{catalogue}");
    let out = Command::new(BIN).args(["faults", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "`faults` takes no options");
    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: mock-vendor <COMMAND>"));
}
