//! The run's report as data, and the writers that turn it into files: `report.json` (schema in
//! `schemas/report.json`), `junit.xml`, `report.html`, `summary.md` and `evidence/`. Each format
//! is one small consumer of [`Report`].

pub mod diff;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod timeline;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use suites::{CheckMeta, Evidence, Level, Outcome, Status};

use crate::deviations::{Applied, Deviation, Effect, effect};

/// The run's overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "CONFORMANT")]
    Conformant,
    #[serde(rename = "CONFORMANT WITH ADVISORIES")]
    ConformantWithAdvisories,
    /// Conformant because agreed deviations waived the checks that failed (no advisory either).
    #[serde(rename = "CONFORMANT WITH DEVIATIONS")]
    ConformantWithDeviations,
    #[serde(rename = "NOT CONFORMANT")]
    NotConformant,
    /// A MUST check errored or was skipped, or the run was interrupted.
    #[serde(rename = "INCOMPLETE")]
    Incomplete,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conformant => "CONFORMANT",
            Self::ConformantWithAdvisories => "CONFORMANT WITH ADVISORIES",
            Self::ConformantWithDeviations => "CONFORMANT WITH DEVIATIONS",
            Self::NotConformant => "NOT CONFORMANT",
            Self::Incomplete => "INCOMPLETE",
        }
    }

    /// The process exit code (README "Exit codes").
    pub fn exit_code(self, strict: bool, interrupted: bool) -> i32 {
        use crate::exit;
        if interrupted {
            return exit::INTERRUPTED;
        }
        match self {
            Self::Conformant | Self::ConformantWithDeviations => exit::OK,
            Self::ConformantWithAdvisories if strict => exit::NOT_CONFORMANT,
            Self::ConformantWithAdvisories => exit::OK,
            Self::NotConformant => exit::NOT_CONFORMANT,
            Self::Incomplete => exit::INCOMPLETE_OR_ERROR,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A requirement a failing row cites, as CONTRACT.md words it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub id: String,
    pub level: String,
    pub text: String,
}

impl Quote {
    /// The quotes of `ids` from the embedded CONTRACT.md (an id not in it is quoted as unknown,
    /// which a test of the catalogue rules out).
    pub fn of(ids: &[&str]) -> Vec<Self> {
        ids.iter()
            .map(|id| match contract::requirements::get(id) {
                Some(r) => Self { id: r.id.into(), level: r.level.into(), text: r.text.into() },
                None => Self { id: (*id).into(), level: String::new(), text: "(not in CONTRACT.md)".into() },
            })
            .collect()
    }

    /// `SIG-2 (MUST): Every delivery carries ...`.
    pub fn line(&self) -> String {
        format!("{} ({}): {}", self.id, self.level, self.text)
    }
}

/// One check's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: String,
    pub suite: String,
    pub level: Level,
    pub requirements: Vec<String>,
    pub title: String,
    pub status: Status,
    /// A FAIL below MUST.
    pub advisory: bool,
    /// `false` when the check does not apply (a capability the vendor does not declare): its
    /// SKIP does not make the run incomplete.
    pub applicable: bool,
    pub message: String,
    /// On a FAIL (advisories included): what CONTRACT.md says for each requirement cited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contract: Vec<Quote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub duration_ms: u64,
    /// Relative to the report directory.
    pub evidence_file: String,
    pub evidence: Evidence,
    /// The agreed deviation listed for this check and what it did (waived, expired, stale, unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<Applied>,
}

impl CheckReport {
    pub fn new(meta: &CheckMeta, outcome: Outcome, applicable: bool, duration_ms: u64) -> Self {
        Self {
            id: meta.id.to_owned(),
            suite: meta.suite.to_owned(),
            level: meta.level,
            requirements: meta.requirements.iter().map(|r| (*r).to_owned()).collect(),
            title: meta.title.to_owned(),
            status: outcome.status,
            advisory: outcome.status.is_advisory(meta.level),
            applicable,
            contract: if outcome.status == Status::Fail { Quote::of(meta.requirements) } else { Vec::new() },
            message: outcome.message,
            expected: outcome.expected,
            actual: outcome.actual,
            duration_ms,
            evidence_file: format!("evidence/{}.json", meta.id),
            evidence: *outcome.evidence,
            deviation: None,
        }
    }

    /// Settles the agreed deviation listed for this check, if any: a FAIL it holds for becomes
    /// WAIVED (the failure's message, expected and actual, the contract's words and the evidence
    /// stay, the waiver's note first); an expired or stale one leaves the status and says so. The
    /// row keeps the deviation and its effect.
    pub fn settle(&mut self, deviations: &[Deviation], today: time::Date) {
        let Some(deviation) = deviations.iter().find(|d| d.check == self.id) else { return };
        let said = [Some(&self.message), self.expected.as_ref(), self.actual.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let effect = effect(deviation, Some(self.status), &self.requirements, &said, today);
        let applied = Applied { deviation: deviation.clone(), effect };
        let note = applied.note();
        self.message = match applied.effect {
            Effect::Waived => {
                self.status = Status::Waived;
                self.advisory = false;
                format!("{note}. The failure: {}", self.message)
            }
            _ if self.message.is_empty() => note,
            _ => format!("{}\n{note}", self.message),
        };
        self.deviation = Some(applied);
    }

    /// The reproduce commands of the exchanges in the evidence.
    pub fn reproduce(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.evidence.exchanges {
            if !e.reproduce.is_empty() && !out.contains(&e.reproduce.as_str()) {
                out.push(&e.reproduce);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteReport {
    pub name: String,
    pub description: String,
    pub checks: Vec<CheckReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub advisory: usize,
    pub skip: usize,
    pub error: usize,
    /// FAILs an agreed deviation waived.
    #[serde(default)]
    pub waived: usize,
}

impl Counts {
    /// `68 checks: 66 passed, 0 failed, 1 advisories, 1 skipped, 0 errors` (`, 1 waived` when any
    /// was), as the terminal and `summary.md` say it.
    pub fn sentence(&self) -> String {
        let waived = if self.waived > 0 { format!(", {} waived", self.waived) } else { String::new() };
        format!(
            "{} checks: {} passed, {} failed, {} advisories, {} skipped, {} errors{waived}",
            self.total, self.pass, self.fail, self.advisory, self.skip, self.error
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorInfo {
    pub name: String,
    pub base_url: String,
    /// The profile the records were mapped through (MAP-2).
    pub profile: String,
    pub signature_scheme: String,
}

/// One optional capability: what the vendor declared, what the harness found by probing it
/// without side effects, and whether its checks ran (declared or discovered: not declaring a
/// capability the vendor offers never makes its checks moot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityRow {
    pub name: String,
    pub declared: bool,
    /// `None` when it was not probed (no side-effect-free probe, or nothing to probe with).
    pub discovered: Option<bool>,
    /// Its checks ran: declared, or discovered.
    pub used: bool,
    /// What the probe sent and got, or why there was none.
    pub detail: String,
}

impl CapabilityRow {
    /// Offered but not declared: its checks ran all the same.
    pub fn discovered_only(&self) -> bool {
        !self.declared && self.discovered == Some(true)
    }

    /// `declared and discovered`, `discovered only (...)`, `declared, not discovered`, ...; the
    /// detail says why one was not probed.
    pub fn state(&self) -> &'static str {
        match (self.declared, self.discovered) {
            (true, Some(true)) => "declared and discovered",
            (true, Some(false)) => "declared, not discovered",
            (true, None) => "declared",
            (false, Some(true)) => "discovered only (not declared): its checks ran",
            (false, Some(false)) => "not declared, not discovered",
            (false, None) => "not declared",
        }
    }
}

/// Declared vs discovered capabilities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilitiesReport {
    /// `[capabilities] event_families` as declared.
    pub event_families: Vec<String>,
    pub capabilities: Vec<CapabilityRow>,
}

impl CapabilitiesReport {
    /// One line per capability, for text formats.
    pub fn lines(&self) -> Vec<String> {
        self.capabilities.iter().map(|c| format!("{}: {} ({})", c.name, c.state(), c.detail)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    pub strict: bool,
    pub non_interactive: bool,
    pub suites: Vec<String>,
    pub checks: Vec<String>,
}

/// Everything one run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Version of this document's shape (`schemas/report.json`).
    pub report_version: u32,
    pub run_id: String,
    pub harness_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub vendor: VendorInfo,
    pub options: RunInfo,
    pub verdict: Verdict,
    pub exit_code: i32,
    /// The run was stopped (Ctrl-C, SIGTERM) before every check ran.
    pub interrupted: bool,
    /// Only some checks were selected (`--suite`, `--check`): the verdict speaks for them alone.
    #[serde(default)]
    pub partial: bool,
    #[serde(default)]
    pub capabilities: CapabilitiesReport,
    pub counts: Counts,
    pub suites: Vec<SuiteReport>,
    /// What the receiver saw of delivery, drawn in report.html: each observed event's attempts
    /// and the receiver's answers, and the outage windows checks set.
    #[serde(default, skip_serializing_if = "timeline::DeliveryTimeline::is_empty")]
    pub delivery: timeline::DeliveryTimeline,
    /// Every agreed deviation of the configuration and its effect on this run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<Applied>,
}

impl Report {
    /// The verdict as every format shows it: `CONFORMANT`, or with what limits it
    /// (`CONFORMANT (PARTIAL: --suite schema, 7 of 68 checks)`, `INCOMPLETE (interrupted)`).
    pub fn headline(&self) -> String {
        let mut line = self.verdict.to_string();
        let mut limits = Vec::new();
        if self.partial {
            let mut selection: Vec<String> = self.options.suites.iter().map(|s| format!("--suite {s}")).collect();
            selection.extend(self.options.checks.iter().map(|c| format!("--check {c}")));
            limits.push(format!(
                "PARTIAL: {}, {} of {} checks",
                selection.join(" "),
                self.counts.total,
                suites::catalogue().len()
            ));
        }
        if self.interrupted {
            limits.push("interrupted: partial report".into());
        }
        if self.counts.waived > 0 && self.verdict != Verdict::ConformantWithDeviations {
            limits.push(format!("{} WAIVED by agreed deviations", self.counts.waived));
        }
        if !limits.is_empty() {
            line.push_str(&format!(" ({})", limits.join("; ")));
        }
        line
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckReport> {
        self.suites.iter().flat_map(|s| &s.checks)
    }

    /// The verdict of a set of rows: NOT CONFORMANT beats INCOMPLETE beats advisories.
    pub fn verdict_of<'a>(checks: impl IntoIterator<Item = &'a CheckReport>, interrupted: bool) -> Verdict {
        let (mut failed, mut incomplete, mut advisory, mut waived) = (false, interrupted, false, false);
        for c in checks {
            match (c.status, c.level) {
                (Status::Fail, Level::Must) => failed = true,
                (Status::Fail, _) => advisory = true,
                (Status::Waived, _) => waived = true,
                (Status::Error | Status::Skip, Level::Must) if c.applicable => incomplete = true,
                _ => {}
            }
        }
        if failed {
            Verdict::NotConformant
        } else if incomplete {
            Verdict::Incomplete
        } else if advisory {
            // Advisories decide the exit code under --strict; the headline still names the
            // deviations ([`Report::headline`]).
            Verdict::ConformantWithAdvisories
        } else if waived {
            Verdict::ConformantWithDeviations
        } else {
            Verdict::Conformant
        }
    }

    /// Every agreed deviation's effect once the rows are final: the one its check's row carries,
    /// or unused when the check was not run (a partial run).
    pub fn deviation_effects(rows: &[CheckReport], deviations: &[Deviation]) -> Vec<Applied> {
        deviations
            .iter()
            .map(|d| match rows.iter().find(|r| r.id == d.check).and_then(|r| r.deviation.clone()) {
                Some(settled) => settled,
                None => Applied { deviation: d.clone(), effect: Effect::Unused },
            })
            .collect()
    }

    pub fn count<'a>(checks: impl IntoIterator<Item = &'a CheckReport>) -> Counts {
        let mut counts = Counts::default();
        for c in checks {
            counts.total += 1;
            match c.status {
                Status::Pass => counts.pass += 1,
                Status::Fail if c.advisory => counts.advisory += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
                Status::Error => counts.error += 1,
                Status::Waived => counts.waived += 1,
            }
        }
        counts
    }

    /// Writes every output file into `dir` (created if missing).
    pub fn write_all(&self, dir: &Path) -> anyhow::Result<()> {
        let evidence = dir.join("evidence");
        std::fs::create_dir_all(&evidence).with_context(|| format!("failed to create {}", evidence.display()))?;
        // Each file whole (a temporary file renamed over it): a reader never meets half a report.
        let write = |name: &str, content: &[u8]| -> anyhow::Result<()> {
            let path = dir.join(name);
            contract::files::write_whole(&path, content).with_context(|| format!("failed to write {}", path.display()))
        };
        write("report.json", &serde_json::to_vec_pretty(self)?)?;
        write("junit.xml", junit::render(self)?.as_bytes())?;
        write("report.html", html::render(self).as_bytes())?;
        write("summary.md", markdown::render(self).as_bytes())?;
        for check in self.checks() {
            let doc = serde_json::json!({
                "id": check.id,
                "status": check.status,
                "message": check.message,
                "expected": check.expected,
                "actual": check.actual,
                "evidence": check.evidence,
            });
            write(&check.evidence_file, &serde_json::to_vec_pretty(&doc)?)?;
        }
        Ok(())
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let path = if path.is_dir() { path.join("report.json") } else { path.to_owned() };
        let text = std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("failed to parse {}", path.display()))
    }
}

/// Points `<out>/latest` at the run directory: a symlink, or a file holding the run id where
/// symlinks cannot be made.
pub fn point_latest(out: &Path, run_id: &str) -> anyhow::Result<PathBuf> {
    let latest = out.join("latest");
    if latest.is_symlink() || latest.is_file() {
        std::fs::remove_file(&latest).with_context(|| format!("failed to replace {}", latest.display()))?;
    }
    #[cfg(unix)]
    if std::os::unix::fs::symlink(run_id, &latest).is_ok() {
        return Ok(latest);
    }
    std::fs::write(&latest, format!("{run_id}\n")).with_context(|| format!("failed to write {}", latest.display()))?;
    Ok(latest)
}

/// A report of `rows` in one suite `mixed`, for the tests of the formats and reporters (the
/// vendor's name has markup in it, the suite's description a code span).
#[cfg(test)]
pub(crate) fn example(rows: Vec<CheckReport>, interrupted: bool) -> Report {
    let verdict = Report::verdict_of(&rows, interrupted);
    Report {
        report_version: 2,
        run_id: "run-1".into(),
        harness_version: "9.9.9".into(),
        started_at: "2026-12-06T16:00:00Z".into(),
        finished_at: "2026-12-06T16:01:00Z".into(),
        duration_ms: 60_000,
        vendor: VendorInfo {
            name: "Acme <Cloud>".into(),
            base_url: "http://127.0.0.1:9".into(),
            profile: "canonical".into(),
            signature_scheme: "timestamped".into(),
        },
        options: RunInfo { strict: false, non_interactive: true, suites: Vec::new(), checks: Vec::new() },
        verdict,
        exit_code: verdict.exit_code(false, interrupted),
        interrupted,
        partial: false,
        capabilities: CapabilitiesReport::default(),
        counts: Report::count(&rows),
        suites: vec![SuiteReport { name: "mixed".into(), description: "a `mixed` suite".into(), checks: rows }],
        delivery: Default::default(),
        deviations: Vec::new(),
    }
}
