//! `harness report diff OLD NEW`: what changed between two runs, for regression runs. A
//! regression is anything that makes the newer run say less for the vendor: a worse verdict, a
//! check that passed and now fails, skips or errors, a check that newly fails, and a check that
//! applied and now does not (a capability no longer declared, a profile that makes it moot).

use std::collections::BTreeMap;

use serde::Serialize;
use suites::Status;

use super::{CheckReport, Report, Verdict};

/// How a check's row stood in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Side {
    pub status: Status,
    pub applicable: bool,
    pub advisory: bool,
}

impl Side {
    fn of(c: &CheckReport) -> Self {
        Self { status: c.status, applicable: c.applicable, advisory: c.advisory }
    }

    fn shown(side: Option<Self>) -> String {
        match side {
            None => "absent".into(),
            Some(s) => {
                let label = if s.advisory { "ADVISORY" } else { s.status.as_str() };
                if s.applicable { label.into() } else { format!("{label} (not applicable)") }
            }
        }
    }
}

/// One check whose row changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub id: String,
    pub before: Option<Side>,
    pub after: Option<Side>,
    /// Why it is filed where it is (`PASS -> SKIP`, `applicable -> not applicable`).
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The newer verdict is worse than the older (CONFORMANT < WITH ADVISORIES < INCOMPLETE < NOT CONFORMANT).
    pub verdict_regressed: bool,
    pub regressions: Vec<Change>,
    pub improvements: Vec<Change>,
    /// Any other change (between SKIP and ERROR, added, removed).
    pub other: Vec<Change>,
}

/// How bad a verdict is, for comparing two.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Conformant => 0,
        Verdict::ConformantWithDeviations => 1,
        Verdict::ConformantWithAdvisories => 2,
        Verdict::Incomplete => 3,
        Verdict::NotConformant => 4,
    }
}

/// Files one changed row: a regression, an improvement or another change.
fn classify(before: Option<Side>, after: Option<Side>) -> (Option<bool>, String) {
    let (Some(b), Some(a)) = (before, after) else {
        return match after {
            Some(a) if a.status == Status::Fail => (Some(true), "newly failing (not in the older run)".into()),
            _ => (None, if before.is_none() { "added".into() } else { "removed".into() }),
        };
    };
    if b.applicable && !a.applicable {
        return (Some(true), "applicable -> not applicable".into());
    }
    let arrow = format!("{} -> {}", Side::shown(before), Side::shown(after));
    if a.status == Status::Fail && b.status != Status::Fail {
        return (Some(true), format!("newly failing: {arrow}"));
    }
    if b.status == Status::Pass && a.status != Status::Pass {
        return (Some(true), arrow);
    }
    if !b.applicable && a.applicable {
        return (Some(false), "not applicable -> applicable".into());
    }
    if a.status == Status::Pass && b.status != Status::Pass {
        return (Some(false), arrow);
    }
    if b.status == Status::Fail && a.status != Status::Fail {
        // FAIL -> SKIP/ERROR: no longer failing, but no longer proven either.
        return (None, arrow);
    }
    (None, arrow)
}

pub fn diff(old: &Report, new: &Report) -> Diff {
    let before: BTreeMap<&str, Side> = old.checks().map(|c| (c.id.as_str(), Side::of(c))).collect();
    let after: BTreeMap<&str, Side> = new.checks().map(|c| (c.id.as_str(), Side::of(c))).collect();
    let mut ids: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut d = Diff { verdict_regressed: rank(new.verdict) > rank(old.verdict), ..Diff::default() };
    for id in ids {
        let (b, a) = (before.get(id).copied(), after.get(id).copied());
        if b == a {
            continue;
        }
        let (regression, reason) = classify(b, a);
        let change = Change { id: id.to_owned(), before: b, after: a, reason };
        match regression {
            Some(true) => d.regressions.push(change),
            Some(false) => d.improvements.push(change),
            None => d.other.push(change),
        }
    }
    d
}

/// How `report diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Plain lines for a terminal or a CI log.
    #[default]
    Text,
    /// A Markdown section for a pull-request comment.
    Markdown,
    /// One JSON document.
    Json,
}

impl Diff {
    /// The newer run says less for the vendor than the older: exit 1.
    pub fn has_regressions(&self) -> bool {
        self.verdict_regressed || !self.regressions.is_empty()
    }

    fn groups(&self) -> [(&'static str, &Vec<Change>); 3] {
        [("regressions", &self.regressions), ("improvements", &self.improvements), ("other changes", &self.other)]
    }

    pub fn render(&self, old: &Report, new: &Report, format: Format) -> String {
        match format {
            Format::Text => self.text(old, new),
            Format::Markdown => self.markdown(old, new),
            Format::Json => self.json(old, new),
        }
    }

    fn text(&self, old: &Report, new: &Report) -> String {
        let mut out = format!("{} ({}) -> {} ({})\n", old.run_id, old.headline(), new.run_id, new.headline());
        if self.verdict_regressed {
            out.push_str(&format!("verdict regressed: {} -> {}\n", old.verdict, new.verdict));
        }
        for (title, changes) in self.groups() {
            out.push_str(&format!("{title}: {}\n", changes.len()));
            for c in changes {
                out.push_str(&format!("  {} {}\n", c.id, c.reason));
            }
        }
        out
    }

    fn markdown(&self, old: &Report, new: &Report) -> String {
        let mut out = format!(
            "## Conformance diff: {}\n\n`{}` ({}) → `{}` ({})\n",
            if self.has_regressions() { "regressed" } else { "no regression" },
            old.run_id,
            old.headline(),
            new.run_id,
            new.headline()
        );
        if self.verdict_regressed {
            out.push_str(&format!("\n**The verdict regressed: {} → {}.**\n", old.verdict, new.verdict));
        }
        for (title, changes) in self.groups() {
            if changes.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n### {title} ({})\n\n| check | before | after | why |\n|---|---|---|---|\n",
                changes.len()
            ));
            for c in changes {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    c.id,
                    Side::shown(c.before),
                    Side::shown(c.after),
                    c.reason.replace('|', "\\|")
                ));
            }
        }
        out
    }

    fn json(&self, old: &Report, new: &Report) -> String {
        let run = |r: &Report| serde_json::json!({"run_id": r.run_id, "verdict": r.verdict, "partial": r.partial, "interrupted": r.interrupted});
        let doc = serde_json::json!({
            "old": run(old),
            "new": run(new),
            "regressed": self.has_regressions(),
            "verdict_regressed": self.verdict_regressed,
            "regressions": self.regressions,
            "improvements": self.improvements,
            "other": self.other,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(status: Status, applicable: bool) -> Option<Side> {
        Some(Side { status, applicable, advisory: false })
    }

    /// One `classify` case: before, after, expected filing (`Some(true)` = regression).
    fn check(before: Option<Side>, after: Option<Side>, expected: Option<bool>) {
        assert_eq!(classify(before, after).0, expected, "{before:?} -> {after:?}");
    }

    #[test]
    fn regressions_are_every_loss_of_proof() {
        use Status::*;
        check(side(Pass, true), side(Fail, true), Some(true));
        check(side(Pass, true), side(Skip, true), Some(true));
        check(side(Pass, true), side(Error, true), Some(true));
        check(side(Skip, true), side(Fail, true), Some(true));
        check(side(Pass, true), side(Skip, false), Some(true));
        check(side(Skip, true), side(Skip, false), Some(true));
        check(None, side(Fail, true), Some(true));
        check(side(Fail, true), side(Pass, true), Some(false));
        check(side(Skip, false), side(Pass, true), Some(false));
        check(side(Error, true), side(Pass, true), Some(false));
        check(side(Skip, true), side(Error, true), None);
        check(side(Pass, true), None, None);
    }
}
