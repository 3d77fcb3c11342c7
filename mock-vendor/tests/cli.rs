//! The `mock-vendor` binary as a process: its options take the values its help documents, refuse
//! bad ones with a clear message and exit 2 before READY, and its redirected log has no colour codes.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mock-vendor");

/// `mock-vendor serve` on a free port with a fresh state folder and `extra` options.
fn serve(state: &tempfile::TempDir, extra: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--state-dir"])
        .arg(state.path())
        .args(extra)
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR");
    command
}

/// Starts the mock, waits for its READY line, stops it and returns its stderr.
fn ready_then_stop(extra: &[&str]) -> String {
    let state = tempfile::tempdir().unwrap();
    let mut child: Child =
        serve(&state, extra).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mock-vendor starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_default();
    child.kill().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    child.wait().unwrap();
    assert!(line.starts_with("READY http://127.0.0.1:"), "{extra:?}: no READY, got {line:?}; stderr:\n{stderr}");
    stderr
}

/// Runs the mock with options it must refuse: exit 2, nothing READY, a message naming the option.
fn refused(extra: &[&str]) -> String {
    let state = tempfile::tempdir().unwrap();
    let Output { status, stdout, stderr } = serve(&state, extra).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
    assert_eq!(status.code(), Some(2), "{extra:?}: {status}; stderr:\n{stderr}");
    assert!(!stdout.contains("READY"), "{extra:?} printed READY");
    assert!(!stderr.contains("panicked"), "{extra:?} panicked:\n{stderr}");
    stderr.into_owned()
}

#[test]
fn a_retry_schedule_is_taken_and_a_bad_one_refused() {
    ready_then_stop(&["--retry-schedule", "1s,5s,30s"]);
    ready_then_stop(&["--retry-schedule", "none"]);
    for bad in ["1x", "5", "1s,,30s", "31days"] {
        let stderr = refused(&["--retry-schedule", bad]);
        assert!(stderr.contains("--retry-schedule"), "{bad}: {stderr}");
        assert!(stderr.contains("duration") || stderr.contains("30 days"), "{bad}: {stderr}");
    }
}

#[test]
fn a_bad_simulation_rate_is_refused_before_ready() {
    for bad in ["0", "-1", "NaN", "inf", "1e308", "fast"] {
        let stderr = refused(&["--simulate", "--simulation-rate", bad]);
        assert!(stderr.contains("--simulation-rate"), "{bad}: {stderr}");
        assert!(stderr.contains("events per second"), "{bad}: {stderr}");
    }
    // README's example of the mock section.
    ready_then_stop(&["--retry-schedule", "1s,5s,30s", "--simulate", "--simulation-rate", "5"]);
}

#[test]
fn a_redirected_log_has_no_colour_codes() {
    let stderr = ready_then_stop(&[]);
    assert!(stderr.contains("mock vendor ready"), "the log was captured:\n{stderr}");
    assert!(!stderr.contains("\x1b["), "ANSI escape codes in a redirected log:\n{stderr:?}");
}

#[test]
fn help_documents_the_options_and_faults_lists_the_catalogue() {
    let help = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&help.stdout);
    for option in ["--retry-schedule <WAITS>", "--simulation-rate", "--shape", "--fault", "--state-dir"] {
        assert!(help.contains(option), "serve --help lacks {option}:\n{help}");
    }
    let faults = Command::new(BIN).arg("faults").output().unwrap();
    assert_eq!(faults.status.code(), Some(0));
    assert!(!faults.stdout.is_empty());
    let unknown = refused(&["--fault", "no-such-fault"]);
    assert!(unknown.contains("--fault"), "{unknown}");
}
