//! `harness demo --keep-serving` as a user runs it: after the run the mock stays up, the run
//! directory's `vendor.toml` (which the report's reproduce commands name) works with `harness
//! token`, `harness probe` and reproduce commands as written (a failing check's shows its failure
//! again), no secret of the mock is in any report file, and Ctrl-C ends it with the run's exit
//! code.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::process::Running;

const HARNESS: &str = env!("CARGO_BIN_EXE_harness");

/// The harness on `PATH` first, as a user who installed it has it: reproduce commands call
/// `harness token`.
fn path_with_harness() -> String {
    let bin = Path::new(HARNESS).parent().unwrap().display().to_string();
    format!("{bin}:{}", std::env::var("PATH").unwrap_or_default())
}

#[test]
fn keep_serving_serves_the_written_vendor_toml_until_ctrl_c_and_exits_with_the_runs_code() {
    let out = tempfile::tempdir().unwrap();
    // A MUST fault (`auth.malformed` fails): the run exits 1, so an exit of 1 after Ctrl-C is
    // the run's and not the interruption's 130 or a clean 0.
    let mut demo =
        Running::harness(&["demo", "--keep-serving", "--fault", "auth-500", "--out", out.path().to_str().unwrap()]);
    // The result (verdict, report path) goes to stdout; what the demo does, to stderr.
    let line = demo.wait_for_line(Duration::from_secs(300), |l| l.starts_with("the mock vendor keeps serving at "));
    let base_url =
        line.trim_start_matches("the mock vendor keeps serving at ").split_whitespace().next().unwrap().to_owned();

    let run_dir = std::fs::canonicalize(out.path().join("latest")).unwrap();
    let vendor_toml = run_dir.join("vendor.toml");
    let text = std::fs::read_to_string(&vendor_toml).unwrap();
    assert!(text.contains(&format!("base_url = \"{base_url}\"")), "{text}");
    assert!(text.contains("The mock serves while"), "{text}");
    let config = vendor_toml.to_str().unwrap();

    let token = Command::new(HARNESS).args(["token", "--config", config]).output().unwrap();
    assert_eq!(token.status.code(), Some(0), "{}", String::from_utf8_lossy(&token.stderr));
    assert_eq!(String::from_utf8_lossy(&token.stdout).trim().split('.').count(), 3, "a JWT");
    let probe = Command::new(HARNESS).args(["probe", "--config", config]).output().unwrap();
    assert_eq!(probe.status.code(), Some(0), "{}", String::from_utf8_lossy(&probe.stderr));
    assert!(String::from_utf8_lossy(&probe.stdout).contains("account /api/v1/account → 200"));

    // A reproduce command from the report, run exactly as written, from another directory.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    let check = |id: &str| {
        report["suites"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["checks"].as_array().unwrap())
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let run_as_written = |reproduce: &str| {
        let elsewhere = tempfile::tempdir().unwrap();
        let curl = Command::new("sh")
            .args(["-c", reproduce])
            .current_dir(elsewhere.path())
            .env("PATH", path_with_harness())
            .output()
            .unwrap();
        let answer = String::from_utf8_lossy(&curl.stdout).into_owned();
        assert!(answer.starts_with("HTTP/1.1 "), "{reproduce}\n{answer}\n{}", String::from_utf8_lossy(&curl.stderr));
        answer
    };
    let named = out.path().join(report["run_id"].as_str().unwrap()).join("vendor.toml");
    let reproduce = check("schema.account")["evidence"]["exchanges"][0]["reproduce"].as_str().unwrap().to_owned();
    assert!(reproduce.contains(&format!("--config '{}'", named.display())), "{reproduce}");
    assert!(run_as_written(&reproduce).starts_with("HTTP/1.1 200"), "{reproduce}");
    // The failing check's command shows its failure again: the fault stays while the mock serves.
    let malformed = check("auth.malformed");
    assert_eq!(malformed["status"], "FAIL");
    let reproduce = malformed["evidence"]["exchanges"][0]["reproduce"].as_str().unwrap().to_owned();
    assert!(reproduce.contains("--craft"), "{reproduce}");
    assert!(run_as_written(&reproduce).starts_with("HTTP/1.1 500"), "{reproduce}");

    // No secret of the mock in any file under the reports folder: not the admin token of
    // credentials.json, not a line of a private key.
    let key_path = text.lines().find_map(|l| l.strip_prefix("private_key_path = ")).unwrap().trim_matches('"');
    let state_dir = Path::new(key_path).parent().unwrap().to_owned();
    let credentials: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state_dir.join("credentials.json")).unwrap()).unwrap();
    let mut secrets = vec![credentials["admin_token"].as_str().unwrap().to_owned()];
    for entry in std::fs::read_dir(&state_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pem") {
            let pem = std::fs::read_to_string(&path).unwrap();
            secrets.extend(pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_owned));
        }
    }
    assert!(secrets.len() > 4, "the admin token and the keys' lines: {secrets:?}");
    let files = common::files_under(out.path());
    assert!(files.iter().any(|f| f.ends_with("report.html")), "{files:?}");
    for file in &files {
        let content = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        for secret in &secrets {
            assert!(!content.contains(secret.as_str()), "{} holds a secret of the mock", file.display());
        }
    }

    demo.signal("INT");
    let (status, result, seen) = demo.finish(Duration::from_secs(60));
    assert!(result.contains("NOT CONFORMANT"), "{result}");
    assert_eq!(status.code(), Some(1), "the run's exit code (NOT CONFORMANT); stderr:\n{seen}");
    // Stopped: the mock's state is gone, and the file says so.
    assert!(!state_dir.exists(), "{} is removed with the mock", state_dir.display());
    let text = std::fs::read_to_string(&vendor_toml).unwrap();
    assert!(text.contains("The mock has stopped"), "{text}");
    assert!(std::net::TcpStream::connect(base_url.trim_start_matches("http://")).is_err(), "the mock stopped serving");
}

/// Ctrl-C or SIGTERM while the run is still going stops everything: a partial report, exit 130,
/// no serving, and the written `vendor.toml` says the mock has stopped.
#[test]
fn an_interrupted_run_does_not_keep_serving() {
    let out = tempfile::tempdir().unwrap();
    let mut demo = Running::harness(&["demo", "--keep-serving", "--out", out.path().to_str().unwrap()]);
    // Progress lines (`[1/68] PASS schema.account (MUST)`) mean the checks are running.
    demo.wait_for_line(Duration::from_secs(300), |l| l.starts_with("[1/"));
    demo.signal("TERM");
    let (status, _, rest) = demo.finish(Duration::from_secs(60));
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("the run was interrupted: the mock vendor stops too"), "{rest}");
    assert!(!rest.contains("keeps serving"), "{rest}");
    let text = std::fs::read_to_string(out.path().join("latest/vendor.toml")).unwrap();
    assert!(text.contains("The mock has stopped"), "{text}");
}
