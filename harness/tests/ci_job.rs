//! `examples/ci/conformance.sh`, the documented CI job, run as a CI runs it: with the
//! environment variables it reads, against `harness demo` and against a mock kept up by
//! `harness demo --keep-serving`. The job summary gets the run's summary.md (and the diff), the
//! artefact folder the report, and the exit code is the harness's, or 1 on a regression.

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::process::Running;

const HARNESS: &str = env!("CARGO_BIN_EXE_harness");

/// Every variable the script reads: none may leak in from the environment the tests run in
/// (GitHub Actions sets `GITHUB_STEP_SUMMARY` itself).
const VARIABLES: &[&str] = &[
    "HARNESS",
    "CONFORMANCE_MODE",
    "VENDOR_CONFIG",
    "HARNESS_ARGS",
    "REPORTS_DIR",
    "ARTIFACT_DIR",
    "BASELINE_DIR",
    "CI_SUMMARY_FILE",
    "GITHUB_STEP_SUMMARY",
];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ci/conformance.sh")
}

/// Runs the job in `dir` with `env` (and `HARNESS` set to this build); its exit code and what it
/// printed.
fn job(dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new("sh");
    cmd.arg(script()).current_dir(dir).env("HARNESS", HARNESS);
    for var in VARIABLES.iter().filter(|v| **v != "HARNESS") {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().expect("exited"), printed)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn verdict(artefact: &Path) -> String {
    let report: serde_json::Value = serde_json::from_str(&read(&artefact.join("report.json"))).unwrap();
    report["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn the_ci_job_summarises_keeps_the_report_and_fails_on_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = |p: &str| d.join(p).display().to_string();

    // A clean demo: exit 0, the summary file gets summary.md, the artefact the whole report.
    let (code, log) = job(
        d,
        &[("CONFORMANCE_MODE", "demo"), ("GITHUB_STEP_SUMMARY", &s("summary-1.md")), ("ARTIFACT_DIR", &s("clean"))],
    );
    assert_eq!(code, 0, "{log}");
    for file in ["report.json", "report.html", "junit.xml", "summary.md"] {
        assert!(d.join("clean").join(file).is_file(), "{file} is kept: {log}");
    }
    assert_eq!(verdict(&d.join("clean")), "CONFORMANT");
    let summary = read(&d.join("summary-1.md"));
    assert_eq!(summary, read(&d.join("clean/summary.md")), "the job summary is the run's summary.md");
    assert!(summary.contains("CONFORMANT"), "{summary}");
    // The demo's reproduce commands name the vendor.toml it wrote into the run directory
    // (relative to where the job ran), which is kept with the report.
    let report: serde_json::Value = serde_json::from_str(&read(&d.join("clean/report.json"))).unwrap();
    let named = format!("--config 'reports/{}/vendor.toml'", report["run_id"].as_str().unwrap());
    let json = read(&d.join("clean/report.json"));
    assert!(json.contains(&named), "reproduce commands name {named}");
    assert!(!json.contains("--config 'vendor.toml'"));
    assert!(d.join(format!("reports/{}/vendor.toml", report["run_id"].as_str().unwrap())).is_file());
    assert!(read(&d.join("clean/vendor.toml")).contains("The mock has stopped"));

    // An advisory the clean run did not have: the harness exits 0 (not --strict), the
    // comparison with the clean baseline finds the regression and the job exits 1; the summary
    // (here through CI_SUMMARY_FILE, as on other CIs) gets the run's summary.md and the diff.
    let (code, log) = job(
        d,
        &[
            ("CONFORMANCE_MODE", "demo"),
            ("HARNESS_ARGS", "--fault no-www-authenticate"),
            ("BASELINE_DIR", &s("clean")),
            ("CI_SUMMARY_FILE", &s("summary-2.md")),
            ("ARTIFACT_DIR", &s("advisory")),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert_eq!(verdict(&d.join("advisory")), "CONFORMANT WITH ADVISORIES", "the harness itself exits 0");
    let diff = read(&d.join("advisory/diff.md"));
    assert!(diff.contains("`auth.www-authenticate` | PASS | ADVISORY"), "{diff}");
    let summary = read(&d.join("summary-2.md"));
    assert!(summary.starts_with(&read(&d.join("advisory/summary.md"))), "{summary}");
    assert!(summary.contains(&diff), "{summary}");
    assert!(log.contains("regressed"), "{log}");

    // A MUST failure: the harness's own exit 1 passes through, with no baseline.
    let (code, log) = job(
        d,
        &[
            ("CONFORMANCE_MODE", "demo"),
            ("HARNESS_ARGS", "--fault auth-500"),
            ("GITHUB_STEP_SUMMARY", &s("summary-3.md")),
            ("ARTIFACT_DIR", &s("failing")),
        ],
    );
    assert_eq!(code, 1, "{log}");
    assert_eq!(verdict(&d.join("failing")), "NOT CONFORMANT");
    assert!(read(&d.join("summary-3.md")).contains("auth.malformed"));
}

/// `CONFORMANCE_MODE=run` (the default) against a vendor: the mock of `harness demo
/// --keep-serving`, through the `vendor.toml` it wrote, compared with a baseline of the same
/// clean vendor (no regression: exit 0). Without `ARTIFACT_DIR` or a summary file, the job
/// prints the summary and where the report is.
#[test]
fn the_ci_job_runs_a_vendor_config_and_a_clean_comparison_passes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut demo = Running::harness(&["demo", "--keep-serving", "--out", d.join("demo").to_str().unwrap()]);
    // The demo's run ended with a burst of bad tokens that meets the mock's limit (AUTH-8): a
    // run started at once gets a full verdict only because the kept mock is back to its start.
    demo.wait_for_line(Duration::from_secs(300), |l| l.starts_with("the mock vendor keeps serving at "));
    let baseline = std::fs::canonicalize(d.join("demo/latest")).unwrap();
    let config = baseline.join("vendor.toml");
    // What the file's header says to export for `harness run`.
    let text = read(&config);
    let token_file = text
        .lines()
        .find_map(|l| l.trim_start_matches('#').trim().strip_prefix("export HARNESS_DEMO_ADMIN_TOKEN=\"$(cat '"))
        .and_then(|rest| rest.strip_suffix("')\""))
        .unwrap_or_else(|| panic!("no export line: {text}"));
    let token = read(Path::new(token_file));

    let (code, log) = job(
        d,
        &[
            ("VENDOR_CONFIG", config.to_str().unwrap()),
            ("BASELINE_DIR", baseline.to_str().unwrap()),
            ("REPORTS_DIR", "ci-reports"),
            ("HARNESS_DEMO_ADMIN_TOKEN", token.trim()),
        ],
    );
    demo.signal("INT");
    let _ = demo.finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{log}");
    let run_dir = std::fs::canonicalize(d.join("ci-reports/latest")).unwrap();
    assert_eq!(verdict(&run_dir), "CONFORMANT");
    assert!(log.contains(&read(&run_dir.join("summary.md"))), "the summary goes to the log: {log}");
    assert!(log.contains(&read(&run_dir.join("diff.md"))), "{log}");
    assert!(log.contains("conformance.sh: report in ci-reports/"), "{log}");
}

/// Nothing to summarise: a configuration the harness refuses (exit 2, no report) and a mode
/// the job does not know.
#[test]
fn the_ci_job_without_a_report_says_so_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let summary = d.join("summary.md");
    let (code, log) = job(d, &[("VENDOR_CONFIG", "missing.toml"), ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())]);
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("missing.toml"), "the harness's error is in the log: {log}");
    assert!(read(&summary).contains("The harness wrote no report (exit 2)"), "{}", read(&summary));

    let (code, log) = job(d, &[("CONFORMANCE_MODE", "nightly")]);
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("CONFORMANCE_MODE must be `run` or `demo`, not `nightly`"), "{log}");
}
