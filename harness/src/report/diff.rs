//! `harness report diff OLD NEW`: what changed between two runs, for regression runs.

use std::collections::BTreeMap;

use suites::Status;

use super::Report;

/// One check whose status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: String,
    pub before: Option<Status>,
    pub after: Option<Status>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub newly_failing: Vec<Change>,
    pub newly_passing: Vec<Change>,
    /// Any other change (to or from SKIP/ERROR, added, removed).
    pub other: Vec<Change>,
}

pub fn diff(old: &Report, new: &Report) -> Diff {
    let before: BTreeMap<&str, Status> = old.checks().map(|c| (c.id.as_str(), c.status)).collect();
    let after: BTreeMap<&str, Status> = new.checks().map(|c| (c.id.as_str(), c.status)).collect();
    let mut ids: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut d = Diff::default();
    for id in ids {
        let change = Change { id: id.to_owned(), before: before.get(id).copied(), after: after.get(id).copied() };
        if change.before == change.after {
            continue;
        }
        match (change.before, change.after) {
            (_, Some(Status::Fail)) => d.newly_failing.push(change),
            (Some(Status::Fail), Some(Status::Pass)) => d.newly_passing.push(change),
            _ => d.other.push(change),
        }
    }
    d
}

impl Diff {
    pub fn render(&self, old: &Report, new: &Report) -> String {
        let shown = |s: Option<Status>| s.map_or("absent", Status::as_str);
        let mut out = format!("{} ({}) -> {} ({})\n", old.run_id, old.verdict, new.run_id, new.verdict);
        for (title, changes) in [
            ("newly failing", &self.newly_failing),
            ("newly passing", &self.newly_passing),
            ("other changes", &self.other),
        ] {
            out.push_str(&format!("{title}: {}\n", changes.len()));
            for c in changes {
                out.push_str(&format!("  {} {} -> {}\n", c.id, shown(c.before), shown(c.after)));
            }
        }
        out
    }

    /// A regression: something that did not fail now fails.
    pub fn has_regressions(&self) -> bool {
        !self.newly_failing.is_empty()
    }
}
