//! §5 Micro: runs the criterion benches (`cargo bench -p bench --bench micro`) and reads their
//! estimates back, so the figures land in the same summary.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use serde_json::Value;

use crate::util;

/// Each benchmark's name and mean time per iteration in nanoseconds.
pub fn run(quick: bool) -> anyhow::Result<Vec<(String, f64)>> {
    let root = util::workspace_root();
    let target = util::target_dir();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&root).env("CARGO_TARGET_DIR", &target).args(["bench", "-q", "-p", "bench", "--bench", "micro"]);
    if quick {
        cmd.args(["--", "--warm-up-time", "1", "--measurement-time", "2"]);
    }
    // Criterion's own report goes to stderr, so stdout stays the summary.
    let status = cmd.stdout(std::io::stderr()).status().context("failed to run cargo bench")?;
    anyhow::ensure!(status.success(), "cargo bench failed");
    let mut found = Vec::new();
    collect(&target.join("criterion"), &target.join("criterion"), &mut found)?;
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

fn collect(base: &Path, dir: &Path, found: &mut Vec<(String, f64)>) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(()) };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.ends_with("new") && path.join("estimates.json").exists() {
            let estimates: Value = serde_json::from_slice(&std::fs::read(path.join("estimates.json"))?)?;
            let bench: Value = serde_json::from_slice(&std::fs::read(path.join("benchmark.json"))?)?;
            let name = bench["full_id"]
                .as_str()
                .map_or_else(|| dir.strip_prefix(base).unwrap_or(dir).display().to_string(), str::to_owned);
            if let Some(ns) = estimates["mean"]["point_estimate"].as_f64() {
                found.push((name, ns));
            }
        } else if path.is_dir() && !path.ends_with("report") {
            collect(base, &path, found)?;
        }
    }
    Ok(())
}

/// `1234.5` ns → `1.23 µs`.
pub fn human(ns: f64) -> String {
    match ns {
        n if n < 1_000.0 => format!("{n:.0} ns"),
        n if n < 1_000_000.0 => format!("{:.2} µs", n / 1_000.0),
        n => format!("{:.2} ms", n / 1_000_000.0),
    }
}
