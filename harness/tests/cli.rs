//! The binary's small commands: `init`, `list`, `sign` / `verify` (against GitHub's documented
//! test vector), `token`, `run` exit codes and `report diff`.

mod common;

use std::process::{Command, Output};

fn harness(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn sign_and_verify_follow_githubs_test_vector() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    std::fs::write(&body, "Hello, World!").unwrap();
    let env = [("WH_SECRET", "It's a Secret to Everybody")];
    let body = body.to_str().unwrap();
    let signed = harness(&["sign", "--body", body, "--secret-env", "WH_SECRET", "--timestamp", "1700000000"], &env);
    let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert!(stdout(&signed).contains(&format!("X-Webhook-Signature: {expected}")), "{}", stdout(&signed));
    let verify = |signature: &str, extra: &[&str]| {
        let mut args = vec!["verify", "--body", body, "--secret-env", "WH_SECRET", "--signature", signature];
        args.extend_from_slice(extra);
        harness(&args, &env)
    };
    let ok = verify(expected, &["--timestamp", "1", "--ignore-window"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let bad = verify(&expected.replace('7', "8"), &["--ignore-window"]);
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn init_writes_a_template_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    let path = path.to_str().unwrap();
    assert_eq!(harness(&["init", "--path", path], &[]).status.code(), Some(0));
    assert!(std::fs::read_to_string(path).unwrap().contains("[vendor]"));
    assert_eq!(harness(&["init", "--path", path], &[]).status.code(), Some(2));
}

#[test]
fn list_prints_the_catalogue() {
    let out = harness(&["list", "--format", "json"], &[]);
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(checks.as_array().unwrap().len(), suites::catalogue().len());
}

#[test]
fn token_mints_a_verifiable_token_and_bad_configs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_for("http://127.0.0.1:9", dir.path());
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let out = harness(&["token", "--config", path.to_str().unwrap()], &[]);
    let token = stdout(&out).trim().to_owned();
    let key = contract::token::VerifierKey::from_public_pem("key-1", "acct", &common::keypair().public_pem).unwrap();
    let verifier = contract::TokenVerifier::new(contract::TokenPolicy::default(), vec![key]);
    verifier.verify(&token, contract::unix_now()).unwrap();
    let missing = harness(&["run", "--config", dir.path().join("nope.toml").to_str().unwrap()], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: failed to read"));
}

#[test]
fn token_crafts_the_auth_suites_tokens_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_for("http://127.0.0.1:9", dir.path());
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let key = contract::token::VerifierKey::from_public_pem("key-1", "acct", &common::keypair().public_pem).unwrap();
    let verifier = contract::TokenVerifier::new(contract::TokenPolicy::default(), vec![key]);
    let crafted = |name: &str| {
        let out = harness(&["token", "--config", path, "--craft", name], &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let token = stdout(&out).trim().to_owned();
        verifier.verify(&token, contract::unix_now()).expect_err(name)
    };
    assert!(matches!(crafted("expired:3600"), contract::TokenError::Expired(s) if (3600..3610).contains(&s)));
    assert_eq!(crafted("alg-none:none"), contract::TokenError::UnsupportedAlgorithm("none".into()));
    assert_eq!(crafted("hs256-public-der"), contract::TokenError::UnsupportedAlgorithm("HS256".into()));
    assert_eq!(crafted("foreign-key"), contract::TokenError::BadSignature);

    let list = harness(&["token", "--list-crafts"], &[]);
    assert_eq!(list.status.code(), Some(0));
    assert_eq!(stdout(&list).lines().count(), suites::auth::craft::CRAFTS.len());
    let unknown = harness(&["token", "--config", path, "--craft", "nope"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--list-crafts"));
}

#[test]
fn token_crafts_keyless_credentials_for_api_key_vendors_and_refuses_crafted_jwts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config_for("http://127.0.0.1:9", dir.path());
    config.profile.auth = harness::profile::AuthProfile::api_key("x-api-key");
    config.auth.credential_env = Some("FAKE_VENDOR_KEY".into());
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let path = path.to_str().unwrap();
    let env = [("FAKE_VENDOR_KEY", "the-real-api-key")];
    let fresh = harness(&["token", "--config", path], &env);
    assert_eq!(stdout(&fresh).trim(), "the-real-api-key");
    let garbage = harness(&["token", "--config", path, "--craft", "garbage"], &env);
    assert_eq!(garbage.status.code(), Some(0), "{}", String::from_utf8_lossy(&garbage.stderr));
    assert_eq!(stdout(&garbage).trim(), "not-a-jwt");
    let jwt = harness(&["token", "--config", path, "--craft", "alg-none:none"], &env);
    assert_ne!(jwt.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&jwt.stderr);
    assert!(stderr.contains("authenticates with `api_key`") && stderr.contains("garbage, empty"), "{stderr}");
}

/// SIGTERM (what CI cancellation and `timeout` send) ends a run like Ctrl-C: the checks not yet
/// run are skipped, every report file is written, complete, marked interrupted, and the exit
/// code is 130.
#[cfg(unix)]
#[test]
fn sigterm_writes_the_partial_report_and_exits_130() {
    use std::time::Duration;

    let out = tempfile::tempdir().unwrap();
    let mut demo = common::process::Running::harness(&["demo", "--out", out.path().to_str().unwrap()]);
    // Progress goes to stderr as plain lines (`[1/68] PASS schema.account (MUST)`) when it is not
    // a terminal: the first one means the checks are running.
    demo.wait_for_line(Duration::from_secs(120), |l| l.starts_with("[1/"));
    demo.signal("TERM");
    let (status, _, _) = demo.finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(130));
    let latest = out.path().join("latest");
    for name in ["report.json", "junit.xml", "report.html", "summary.md"] {
        assert!(latest.join(name).is_file(), "{name} missing");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(latest.join("report.json")).unwrap()).expect("complete JSON");
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["exit_code"], 130);
    assert_eq!(report["counts"]["total"].as_u64().unwrap() as usize, suites::catalogue().len());
    let rows: Vec<&serde_json::Value> =
        report["suites"].as_array().unwrap().iter().flat_map(|s| s["checks"].as_array().unwrap()).collect();
    assert!(rows.iter().any(|c| c["message"] == "not run: the run was interrupted"));
    let md = std::fs::read_to_string(latest.join("summary.md")).unwrap();
    assert!(md.contains("interrupted"), "{md}");
}

/// A vendor that cannot be reached stops `harness run` at the preflight: one error naming
/// `vendor.base_url`, exit 2, and no report of ERROR rows.
#[test]
fn run_against_a_closed_port_is_one_preflight_error_and_exit_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_for(&format!("http://{addr}"), dir.path());
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    let reports = dir.path().join("reports");
    let out = harness(
        &["run", "--config", path.to_str().unwrap(), "--out", reports.to_str().unwrap(), "--non-interactive"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(stderr.contains("preflight failed") && stderr.contains("`vendor.base_url`"), "{stderr}");
    assert!(!reports.join("latest").exists());
}
