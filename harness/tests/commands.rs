//! Every subcommand and flag of the `harness` binary, run as a process: each subcommand's help, a
//! good value of every flag, and a bad value of every flag that takes one, answered with an error
//! that names what to fix and exit 2. `every_flag_has_a_case` reads each subcommand's `--help`
//! and fails when a flag has no case here, so a new flag cannot go untested.
//!
//! Long (over 700 lines) on purpose: `cases` is one table, a row per flag of every subcommand,
//! read top to bottom against `--help`; split across files it would hide which flag has no row.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The subcommands, as their words on the command line.
const SUBCOMMANDS: &[&str] = &[
    "run",
    "demo",
    "list",
    "init",
    "listen",
    "probe",
    "token",
    "sign",
    "verify",
    "report diff",
    "keygen",
    "certify",
    "verify-certificate",
];

/// One invocation and what it must answer.
struct Case {
    /// The subcommand it exercises (`report diff` for the nested one).
    command: &'static str,
    /// The flags it gives a good value (`--config`), or `<OLD>` for a positional.
    good: &'static [&'static str],
    /// The flag it gives a bad value, if that is what it is for.
    bad: Option<&'static str>,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    /// Texts the output (stdout and stderr together) must contain.
    says: Vec<String>,
    /// For a long-running command: the stderr text after which it is interrupted with SIGINT.
    interrupt_after: Option<&'static str>,
}

impl Case {
    fn good(command: &'static str, good: &'static [&'static str], args: &[&str], code: i32, says: &[&str]) -> Self {
        Self {
            command,
            good,
            bad: None,
            args: words(command, args),
            env: Vec::new(),
            code,
            says: says.iter().map(|s| (*s).to_owned()).collect(),
            interrupt_after: None,
        }
    }

    fn bad(command: &'static str, flag: &'static str, args: &[&str], says: &[&str]) -> Self {
        Self { bad: Some(flag), good: &[], ..Self::good(command, &[], args, 2, says) }
    }

    fn env(mut self, name: &'static str, value: &str) -> Self {
        self.env.push((name, value.to_owned()));
        self
    }
}

fn words(command: &str, args: &[&str]) -> Vec<String> {
    command.split(' ').chain(args.iter().copied()).map(str::to_owned).collect()
}

fn harness() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
    cmd.env_remove("RUST_LOG").env("NO_COLOR", "1");
    cmd
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs `case` and checks its exit code and output; returns the output for further checks.
fn check(case: &Case) -> String {
    let mut cmd = harness();
    cmd.args(&case.args);
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let (code, out) = match case.interrupt_after {
        None => {
            let out = cmd.output().unwrap();
            (out.status.code(), text(&out))
        }
        Some(ready) => interrupted(cmd, ready),
    };
    let shown = format!("`harness {}` answered {code:?}:\n{out}", case.args.join(" "));
    assert_eq!(code, Some(case.code), "{shown}");
    for s in &case.says {
        assert!(out.contains(s.as_str()), "expected {s:?} in {shown}");
    }
    // A usage or configuration error says so; `probe` reports a failed request in its own lines.
    if case.code == 2 && case.command != "probe" {
        assert!(out.contains("error:"), "a bad value is an error: {shown}");
        assert!(!out.contains("panicked"), "{shown}");
    }
    out
}

/// Starts `cmd`, waits for `ready` on its stderr, sends SIGINT, and returns its exit code and
/// everything it printed.
fn interrupted(cmd: Command, ready: &str) -> (Option<i32>, String) {
    let mut running = common::process::Running::start(cmd);
    running.wait_for_line(Duration::from_secs(120), |l| l.contains(ready));
    running.signal("INT");
    let (status, stdout, stderr) = running.finish(Duration::from_secs(60));
    (status.code(), format!("{stdout}{stderr}"))
}

/// What the cases need: a running mock vendor, a `vendor.toml` pointing at it, a body and a secret.
struct Fixture {
    _runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    config: PathBuf,
    site: String,
    /// The mock's `host:port`: an address already taken, for `--live`.
    taken: String,
}

impl Fixture {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("mock");
        std::fs::create_dir_all(&state).unwrap();
        let (config, site) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mock_config = harness::cli::demo::demo_mock_config(Vec::new());
            let shape = mock_config.shape;
            let mock = mock_vendor::start(mock_config, listener, &state).await.unwrap();
            let config = harness::cli::demo::config_for(&mock, shape).unwrap();
            let fleet = mock.state.0.fleet.read().unwrap();
            let account = &fleet.accounts[0];
            let site = fleet.sites[account.sites[0] as usize].id.to_string();
            drop(fleet);
            // The mock serves until the runtime is dropped with the fixture.
            std::mem::forget(mock);
            (config, site)
        });
        let path = dir.path().join("vendor.toml");
        std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
        std::fs::write(dir.path().join("body.json"), br#"{"event_id":"e1"}"#).unwrap();
        std::fs::write(dir.path().join("secret"), "whsec_test\n").unwrap();
        // A vendor with its own signature format (`{ts}|{sig}`), its secret in the environment.
        let mut cursor = config.clone();
        cursor.profile = harness::profile::Profile::builtin("cursor").unwrap();
        cursor.webhook.secret = harness::config::WebhookSecretSource::Env { var: "WH_SECRET".into() };
        std::fs::write(dir.path().join("cursor.toml"), toml::to_string(&cursor).unwrap()).unwrap();
        std::fs::write(dir.path().join("not-headers"), "X-Webhook-Signature sha256=00\n").unwrap();
        // A vendor whose devices an operator changes by hand (the `prompt` trigger).
        let mut prompt = config.clone();
        prompt.trigger = harness::config::TriggerConfig::Prompt { wait_secs: 1 };
        std::fs::write(dir.path().join("prompt.toml"), toml::to_string(&prompt).unwrap()).unwrap();
        let taken = config.vendor.base_url.trim_start_matches("http://").trim_end_matches('/').to_owned();
        Self { _runtime: runtime, dir, config: path, site, taken }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn config(&self) -> &str {
        self.config.to_str().unwrap()
    }
}

/// A subcommand's `--help` text.
fn help_of(command: &str) -> String {
    let out = harness().args(command.split(' ')).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "`harness {command} --help`");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The flags (and positionals, as `<NAME>`) a subcommand's `help` lists, `--help` aside.
fn flags_of(help: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let mut in_arguments = false;
    for line in help.lines() {
        in_arguments = match line {
            "Arguments:" => true,
            "Options:" | "" => false,
            _ => in_arguments,
        };
        let trimmed = line.trim_start();
        if in_arguments && trimmed.starts_with('<') {
            flags.insert(trimmed.split_whitespace().next().unwrap().to_owned());
        }
        let word = trimmed.trim_start_matches("-h, ").split([' ', '=']).next().unwrap_or("");
        if word.starts_with("--") && word != "--help" {
            flags.insert(word.to_owned());
        }
    }
    flags
}

/// Whether `flag` takes a value (its line in `help` shows `<VALUE>`).
fn takes_value(help: &str, flag: &str) -> bool {
    help.lines()
        .any(|l| l.trim_start().starts_with(&format!("{flag} <")) || (flag.starts_with('<') && l.contains(flag)))
}

/// Every case of every subcommand.
fn cases(f: &Fixture) -> Vec<Case> {
    let config = f.config();
    let (body, secret, missing) = (f.path("body.json"), f.path("secret"), f.path("missing"));
    let (reports, template) = (f.path("reports"), f.path("init/vendor.toml"));
    std::fs::create_dir_all(f.path("init")).unwrap();
    let a_file = f.path("body.json");
    let signature = contract::SignatureFormat::canonical(contract::Scheme::Timestamped)
        .sign(&contract::Secret::new("whsec_test"), br#"{"event_id":"e1"}"#, 1_700_000_000)
        .into_iter()
        .find(|(name, _)| name == "X-Webhook-Signature")
        .map(|(_, v)| v)
        .unwrap();
    let cursor = f.path("cursor.toml");
    let signed = harness()
        .args(["sign", "--config", &cursor, "--body", &body, "--timestamp", "1700000000"])
        .env("WH_SECRET", "whsec_test")
        .output()
        .unwrap();
    let (key, certified) = (f.path("keys/certify.key"), f.path("certified"));
    std::fs::create_dir_all(f.path("keys")).unwrap();
    // Another signer's public key, for a certificate that is not theirs.
    let other_key = f.path("other.pub");
    std::fs::write(
        &other_key,
        harness::certificate::keys::public_pem(&harness::certificate::keys::generate().verifying_key()),
    )
    .unwrap();
    let cursor_headers = f.path("cursor-headers");
    std::fs::write(&cursor_headers, &signed.stdout).unwrap();
    vec![
        // run
        Case::good(
            "run",
            &["--config", "--suite", "--check", "--out", "--strict", "--non-interactive"],
            &[
                "--config",
                config,
                "--suite",
                "schema",
                "--check",
                "schema.account",
                "--out",
                &reports,
                "--strict",
                "--non-interactive",
            ],
            0,
            &["report: "],
        ),
        Case::bad("run", "--config", &["--config", &missing], &["failed to read", &missing]),
        Case::bad("run", "--suite", &["--config", config, "--suite", "nosuch"], &["unknown suite `nosuch`", "known: "]),
        Case::bad(
            "run",
            "--check",
            &["--config", config, "--check", "nosuch"],
            &["unknown check `nosuch`", "harness list"],
        ),
        Case::bad(
            "run",
            "--out",
            &["--config", config, "--out", &format!("{a_file}/reports")],
            &["cannot write reports under", "`--out`"],
        ),
        Case::good(
            "run",
            &["--live"],
            &["--config", config, "--check", "schema.account", "--out", &f.path("live-run"), "--live"],
            0,
            &["live view: http://127.0.0.1:", "the run has ended; stopped serving http://127.0.0.1:"],
        ),
        Case::bad(
            "run",
            "--live",
            &["--config", config, "--check", "schema.account", "--live", &f.taken],
            &[&format!("failed to bind the live view on {} (`--live`)", f.taken)],
        ),
        // demo
        Case::good(
            "demo",
            &["--out", "--fault", "--strict", "--shape"],
            &["--out", &f.path("demo"), "--fault", "account-not-json", "--strict", "--shape", "cursor"],
            1,
            &["NOT CONFORMANT", "report: "],
        ),
        Case::bad(
            "demo",
            "--out",
            &["--out", &format!("{a_file}/reports")],
            &["cannot write reports under", "`--out`"],
        ),
        Case {
            interrupt_after: Some("keeps serving at"),
            ..Case::good(
                "demo",
                &["--keep-serving"],
                &["--out", &f.path("kept"), "--keep-serving"],
                0,
                &["CONFORMANT", "keeps serving at http://127.0.0.1:", "harness probe --config", "vendor.toml"],
            )
        },
        Case::bad("demo", "--keep-serving", &["--keep-serving=yes"], &["unexpected value 'yes' for '--keep-serving'"]),
        Case::good(
            "demo",
            &["--live"],
            &["--out", &f.path("live-demo"), "--live", "127.0.0.1:0"],
            0,
            &["live view: http://127.0.0.1:", "CONFORMANT", "the run has ended; stopped serving http://127.0.0.1:"],
        ),
        Case::bad(
            "demo",
            "--live",
            &["--live", "localhost"],
            &["invalid value 'localhost' for '--live [<ADDR>]'", "invalid socket address"],
        ),
        Case::bad("demo", "--fault", &["--fault", "nosuch"], &["unknown fault `nosuch`", "mock-vendor faults"]),
        Case::bad("demo", "--shape", &["--shape", "nosuch"], &["unknown shape `nosuch`", "canonical, cursor, link"]),
        // list
        Case::good("list", &["--format"], &["--format", "json"], 0, &["\"id\": \"schema.account\""]),
        Case::bad(
            "list",
            "--format",
            &["--format", "nosuch"],
            &["invalid value 'nosuch' for '--format", "table, markdown, json"],
        ),
        // init
        Case::good("init", &["--path"], &["--path", &template], 0, &["wrote ", &template]),
        Case::good("init", &["--path", "--force"], &["--path", &template, "--force"], 0, &["wrote "]),
        Case::bad("init", "--path", &["--path", &template], &["exists (use --force to overwrite)"]),
        Case::bad("init", "--path", &["--path", &format!("{a_file}/vendor.toml")], &["failed to write", &a_file]),
        // listen
        Case {
            interrupt_after: Some("listening on"),
            ..Case::good("listen", &["--config"], &["--config", config], 130, &["deliver to http://127.0.0.1:"])
        },
        Case::bad("listen", "--config", &["--config", &missing], &["failed to read", &missing]),
        // probe
        Case::good(
            "probe",
            &["--config", "--site", "--records"],
            &["--config", config, "--site", &f.site, "--records", "1"],
            0,
            &[&f.site],
        ),
        Case::bad("probe", "--config", &["--config", &missing], &["failed to read", &missing]),
        Case::bad(
            "probe",
            "--site",
            &["--config", config, "--site", "no-such-site"],
            &["inventory of site no-such-site", "404"],
        ),
        Case::bad(
            "probe",
            "--records",
            &["--config", config, "--records", "many"],
            &["invalid value 'many' for '--records"],
        ),
        // token
        Case::good("token", &["--config", "--second-account"], &["--config", config, "--second-account"], 0, &["eyJ"]),
        Case::good("token", &["--craft"], &["--config", config, "--craft", "expired:3600"], 0, &["eyJ"]),
        Case::good("token", &["--list-crafts"], &["--list-crafts"], 0, &["expired:<secs>", "alg-none"]),
        Case::bad("token", "--config", &["--config", &missing], &["failed to read", &missing]),
        Case::bad(
            "token",
            "--craft",
            &["--config", config, "--craft", "nosuch:1"],
            &["unknown crafted token `nosuch:1`", "--list-crafts"],
        ),
        Case::bad("token", "--list-crafts", &["--list-crafts", "--craft", "expired:3600"], &["cannot be used with"]),
        // sign
        Case::good(
            "sign",
            &["--body", "--secret-env", "--scheme", "--timestamp"],
            &["--body", &body, "--secret-env", "WH_SECRET", "--scheme", "timestamped", "--timestamp", "1700000000"],
            0,
            &[&format!("X-Webhook-Signature: {signature}"), "X-Webhook-Timestamp: 1700000000"],
        )
        .env("WH_SECRET", "whsec_test"),
        Case::good(
            "sign",
            &["--secret-file"],
            &["--body", &body, "--secret-file", &secret, "--scheme", "timestamped", "--timestamp", "1700000000"],
            0,
            &[&signature],
        ),
        Case::bad("sign", "--body", &["--body", &missing, "--secret-file", &secret], &["failed to read", &missing]),
        Case::bad(
            "sign",
            "--secret-env",
            &["--body", &body, "--secret-env", "HARNESS_TEST_UNSET_VAR"],
            &["$HARNESS_TEST_UNSET_VAR"],
        ),
        Case::bad(
            "sign",
            "--secret-file",
            &["--body", &body, "--secret-file", &missing],
            &["failed to read", &missing],
        ),
        Case::bad(
            "sign",
            "--scheme",
            &["--body", &body, "--secret-file", &secret, "--scheme", "nosuch"],
            &["unknown signature scheme `nosuch`"],
        ),
        Case::bad(
            "sign",
            "--timestamp",
            &["--body", &body, "--secret-file", &secret, "--timestamp", "yesterday"],
            &["invalid value 'yesterday' for '--timestamp"],
        ),
        // verify
        Case::good(
            "verify",
            &["--body", "--secret-env", "--scheme", "--signature", "--timestamp", "--ignore-window"],
            &[
                "--body",
                &body,
                "--secret-env",
                "WH_SECRET",
                "--scheme",
                "timestamped",
                "--signature",
                &signature,
                "--timestamp",
                "1700000000",
                "--ignore-window",
            ],
            0,
            &["valid (timestamped scheme)"],
        )
        .env("WH_SECRET", "whsec_test"),
        Case::good(
            "verify",
            &["--secret-file"],
            &[
                "--body",
                &body,
                "--secret-file",
                &secret,
                "--scheme",
                "timestamped",
                "--signature",
                &signature,
                "--timestamp",
                "1700000000",
                "--ignore-window",
            ],
            0,
            &["valid"],
        ),
        Case::bad(
            "verify",
            "--body",
            &["--body", &missing, "--secret-file", &secret, "--signature", &signature],
            &["failed to read", &missing],
        ),
        Case::bad(
            "verify",
            "--secret-env",
            &["--body", &body, "--secret-env", "HARNESS_TEST_UNSET_VAR", "--signature", &signature],
            &["$HARNESS_TEST_UNSET_VAR"],
        ),
        Case::bad(
            "verify",
            "--secret-file",
            &["--body", &body, "--secret-file", &missing, "--signature", &signature],
            &["failed to read", &missing],
        ),
        Case::bad(
            "verify",
            "--scheme",
            &["--body", &body, "--secret-file", &secret, "--signature", &signature, "--scheme", "nosuch"],
            &["unknown signature scheme `nosuch`"],
        ),
        // A signature or timestamp that does not verify is the verdict, not a usage error: exit 1.
        Case {
            bad: Some("--signature"),
            ..Case::good(
                "verify",
                &[],
                &[
                    "--body",
                    &body,
                    "--secret-file",
                    &secret,
                    "--scheme",
                    "timestamped",
                    "--signature",
                    "sha256=00",
                    "--timestamp",
                    "1700000000",
                    "--ignore-window",
                ],
                1,
                &["invalid: "],
            )
        },
        Case {
            bad: Some("--timestamp"),
            ..Case::good(
                "verify",
                &[],
                &[
                    "--body",
                    &body,
                    "--secret-file",
                    &secret,
                    "--scheme",
                    "timestamped",
                    "--signature",
                    &signature,
                    "--timestamp",
                    "1600000000",
                ],
                1,
                &["invalid: "],
            )
        },
        // sign and verify through a vendor's profile: `verify` takes what `sign` printed.
        Case::good(
            "sign",
            &["--config"],
            &["--config", &cursor, "--body", &body, "--timestamp", "1700000000"],
            0,
            &["X-Vendor-Signature: 1700000000|"],
        )
        .env("WH_SECRET", "whsec_test"),
        Case::bad("sign", "--config", &["--config", &missing, "--body", &body], &["failed to read", &missing]),
        Case::good(
            "verify",
            &["--config", "--headers"],
            &["--config", &cursor, "--body", &body, "--headers", &cursor_headers, "--ignore-window"],
            0,
            &["valid (the `cursor` profile's format)"],
        )
        .env("WH_SECRET", "whsec_test"),
        Case::bad(
            "verify",
            "--config",
            &["--config", &missing, "--body", &body, "--signature", &signature],
            &["failed to read", &missing],
        ),
        Case::bad(
            "verify",
            "--headers",
            &["--body", &body, "--secret-file", &secret, "--headers", &f.path("not-headers")],
            &["line 1 of", "is not a `Name: value` header line"],
        ),
        // report diff: the run above wrote `reports/latest`, compared with itself.
        Case::good(
            "report diff",
            &["<OLD>", "<NEW>", "--format"],
            &[&format!("{reports}/latest"), &format!("{reports}/latest/report.json"), "--format", "markdown"],
            0,
            &["regression"],
        ),
        Case::bad("report diff", "<OLD>", &[&missing, &format!("{reports}/latest")], &["failed to read", &missing]),
        Case::bad("report diff", "<NEW>", &[&format!("{reports}/latest"), &a_file], &[&a_file]),
        Case::bad(
            "report diff",
            "--format",
            &["a", "b", "--format", "nosuch"],
            &["invalid value 'nosuch' for '--format", "text, markdown, json"],
        ),
        // keygen, certify, verify-certificate: a key, a certificate signed with it, verified.
        Case::good("keygen", &["--out"], &["--out", &key], 0, &["private key: ", "public key:  ", "key id: "]),
        Case::good("keygen", &["--force"], &["--out", &key, "--force"], 0, &["key id: "]),
        Case::bad("keygen", "--out", &["--out", &key], &["exists: give another --out, or --force"]),
        Case::good(
            "certify",
            &["--config", "--signing-key", "--out", "--non-interactive"],
            &["--config", config, "--signing-key", &key, "--out", &certified, "--non-interactive"],
            0,
            &["CONFORMANT", "certificate: ", "files signed by key", "harness verify-certificate"],
        ),
        Case::bad("certify", "--config", &["--config", &missing, "--signing-key", &key], &["failed to read", &missing]),
        Case::bad(
            "certify",
            "--signing-key",
            &["--config", config, "--signing-key", &format!("{key}.pub")],
            &["--signing-key", "holds no Ed25519 private key in PKCS#8 PEM", "harness keygen"],
        ),
        Case::bad(
            "certify",
            "--out",
            &["--config", config, "--signing-key", &key, "--out", &format!("{a_file}/reports")],
            &["cannot write reports under", "`--out`"],
        ),
        Case::bad(
            "certify",
            "--non-interactive",
            &["--config", &f.path("prompt.toml"), "--signing-key", &key, "--non-interactive"],
            &["would skip the MUST checks that need an operator", "[certify] non_interactive_reason"],
        ),
        Case::good(
            "verify-certificate",
            &["<DIR>", "--key"],
            &[&format!("{certified}/latest"), "--key", &format!("{key}.pub")],
            0,
            &["certificate valid: ", "verdict:    CONFORMANT", "deviations: none"],
        ),
        Case::bad(
            "verify-certificate",
            "<DIR>",
            &[&reports, "--key", &format!("{key}.pub")],
            &["no certificate.dsse.json here"],
        ),
        Case::bad(
            "verify-certificate",
            "--key",
            &[&format!("{certified}/latest"), "--key", &key],
            &["--key", "is a private key: give its public key"],
        ),
        Case {
            bad: Some("--key"),
            ..Case::good(
                "verify-certificate",
                &[],
                &[&format!("{certified}/latest"), "--key", &other_key],
                1,
                &["certificate INVALID", "no signature verifies with this key"],
            )
        },
        Case::good(
            "demo",
            &["--certify"],
            &["--out", &f.path("demo-certified"), "--certify"],
            0,
            &["certificate: ", "harness verify-certificate", "signer.pub"],
        ),
    ]
}

#[test]
fn every_subcommand_and_flag_answers_as_documented() {
    let fixture = Fixture::new();
    for case in cases(&fixture) {
        check(&case);
    }
    // `demo --certify` signed the resolved profile with the rest, and its certificate verifies.
    let certified = fixture.path("demo-certified/latest");
    assert!(std::path::Path::new(&certified).join("profile.toml").is_file(), "the demo certificate holds profile.toml");
    let verified = harness()
        .args(["verify-certificate", &certified, "--key", &format!("{certified}/signer.pub")])
        .output()
        .unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    // `init` wrote a template that loads as far as its placeholders allow.
    let template = std::fs::read_to_string(fixture.path("init/vendor.toml")).unwrap();
    assert!(template.contains("[vendor]"), "{template}");
}

#[test]
fn every_flag_has_a_case() {
    let fixture = Fixture::new();
    let cases = cases(&fixture);
    let mut missing = Vec::new();
    for command in SUBCOMMANDS {
        let help = help_of(command);
        for flag in flags_of(&help) {
            let ours = cases.iter().filter(|c| c.command == *command);
            if !ours.clone().any(|c| c.good.contains(&flag.as_str())) {
                missing.push(format!("`harness {command} {flag}`: no case gives it a good value"));
            }
            if takes_value(&help, &flag) && !ours.clone().any(|c| c.bad == Some(flag.as_str())) {
                missing.push(format!("`harness {command} {flag}`: no case gives it a bad value"));
            }
        }
    }
    assert!(missing.is_empty(), "add cases to harness/tests/commands.rs:\n{}", missing.join("\n"));
}

#[test]
fn every_subcommand_has_help_that_documents_each_flag() {
    let top = harness().arg("--help").output().unwrap();
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    for command in SUBCOMMANDS {
        let word = command.split(' ').next().unwrap();
        assert!(top.lines().any(|l| l.trim_start().starts_with(word)), "`harness --help` lists `{word}`:\n{top}");
        let help = help_of(command);
        assert!(help.contains("Usage: harness"), "{help}");
        for flag in flags_of(&help).into_iter().filter(|f| f.starts_with("--")) {
            // A flag's line carries a description after its name and placeholder (or the next
            // line does, in clap's long layout).
            let lines: Vec<&str> = help.lines().collect();
            let at = lines.iter().position(|l| l.trim_start().starts_with(&flag)).unwrap();
            let rest = lines[at].trim_start().trim_start_matches(&flag).trim_start();
            // An optional value (`--live [<ADDR>]`) is a placeholder too.
            let rest = rest.strip_prefix('[').filter(|r| r.starts_with('<')).unwrap_or(rest);
            let rest = if rest.starts_with('<') { rest.split_once('>').map_or("", |(_, r)| r) } else { rest };
            let rest = rest.strip_prefix(']').unwrap_or(rest);
            let described = !rest.trim().is_empty() && !rest.trim().starts_with('[')
                || lines.get(at + 1).is_some_and(|n| !n.trim().is_empty() && !n.trim_start().starts_with('-'));
            assert!(described, "`harness {command} {flag}` has no description in its help:\n{help}");
        }
    }
}

/// `harness list | head -1`: a reader that goes away ends a printing command quietly with the
/// code a shell gives SIGPIPE, not with a panic on a closed stdout.
#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    for args in [&["list", "--format", "json"][..], &["token", "--list-crafts"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = harness().args(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && stderr.is_empty(), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{args:?}");
    }
}

#[test]
fn version_help_and_a_missing_subcommand() {
    let version = harness().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("harness "));
    let none = harness().output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none).contains("Usage: harness <COMMAND>"), "{}", text(&none));
    let unknown = harness().arg("certify-everything").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("unrecognized subcommand 'certify-everything'"), "{}", text(&unknown));
}
