//! What a check is, before it runs: id, suite, level, requirement ids and title.

use serde::{Deserialize, Serialize};

/// The requirement level of CONTRACT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// A failure means not conformant.
    #[serde(rename = "MUST")]
    Must,
    /// A failure is an advisory.
    #[serde(rename = "SHOULD")]
    Should,
    /// Optional capability; a failure is an advisory.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::May => "MAY",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check needs from the run beyond the vendor API. The runner starts the webhook
/// receiver only when a selected check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// The webhook receiver's inbox.
    Inbox,
    /// A way to make the vendor act (CONTRACT.md §12).
    Trigger,
}

/// One check's metadata: the single source of `harness list`, `suites/CHECKS.md` and report rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckMeta {
    /// `<suite>.<name>`, stable across releases: reports are diffed on it.
    pub id: &'static str,
    pub suite: &'static str,
    pub level: Level,
    /// Requirement ids of CONTRACT.md (`ACC-1`, `INV-5`, ...).
    pub requirements: &'static [&'static str],
    pub title: &'static str,
    /// A capability the vendor must declare for the check to apply (`webhook-management`);
    /// without it the check is skipped and the skip does not make the run incomplete.
    pub capability: Option<&'static str>,
    pub needs: &'static [Need],
    /// The check judges the whole run (every 429, every delivery the receiver got), so the runner
    /// runs it after every other selected check; reports keep catalogue order.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub whole_run: bool,
}
