//! The requirement coverage matrix: every CONTRACT.md requirement, the checks that cite it and
//! what the run showed about it.

use maud::{Markup, html};

use suites::Status;

use super::{CheckReport, Report, md, outcome_label};

/// What a run showed about one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// A check citing it failed (at MUST).
    Failed,
    /// A check citing it errored: it is not known.
    Error,
    /// A check citing it failed below MUST.
    Advisory,
    /// Checks citing it ran and passed.
    Proven,
    /// Every check citing it that ran was skipped.
    Skipped,
    /// Checks cite it, but none was selected in this run.
    NotRun,
    /// No check of the catalogue cites it.
    NoCheck,
}

impl Coverage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Error => "error",
            Self::Advisory => "advisory",
            Self::Proven => "proven",
            Self::Skipped => "skipped",
            Self::NotRun => "not run",
            Self::NoCheck => "no check",
        }
    }

    /// Of the rows citing a requirement, and whether the catalogue has a check citing it.
    pub fn of(rows: &[&CheckReport], cited: bool) -> Self {
        let any = |f: &dyn Fn(&CheckReport) -> bool| rows.iter().any(|c| f(c));
        if rows.is_empty() {
            if cited { Self::NotRun } else { Self::NoCheck }
        } else if any(&|c| c.status == Status::Fail && !c.advisory) {
            Self::Failed
        } else if any(&|c| c.status == Status::Error) {
            Self::Error
        } else if any(&|c| c.status == Status::Fail) {
            Self::Advisory
        } else if any(&|c| c.status == Status::Pass) {
            Self::Proven
        } else {
            Self::Skipped
        }
    }
}

/// Every CONTRACT.md requirement, the checks that cite it and their outcomes.
pub(super) fn coverage_html(report: &Report) -> Markup {
    let requirements = contract::requirements::all();
    let rows: Vec<(_, Vec<&CheckReport>, Coverage)> = requirements
        .iter()
        .map(|r| {
            let ran: Vec<&CheckReport> =
                report.checks().filter(|c| c.requirements.iter().any(|id| id == r.id)).collect();
            let cited = suites::catalogue().iter().any(|m| m.requirements.contains(&r.id));
            let state = Coverage::of(&ran, cited);
            (r, ran, state)
        })
        .collect();
    let tally = |s: Coverage| rows.iter().filter(|(_, _, c)| *c == s).count();
    html! {
        section id="coverage" {
            h2 { "Requirement coverage" }
            p.meta {
                (requirements.len()) " requirements of CONTRACT.md: "
                (tally(Coverage::Proven)) " proven, " (tally(Coverage::Failed)) " failed, "
                (tally(Coverage::Advisory)) " advisory, " (tally(Coverage::Error)) " errored, "
                (tally(Coverage::Skipped)) " skipped, " (tally(Coverage::NotRun)) " not run, "
                (tally(Coverage::NoCheck)) " with no check."
            }
            table {
                thead { tr { th { "requirement" } th { "level" } th { "text" } th { "checks" } th { "outcome" } } }
                tbody {
                    @for (r, ran, state) in &rows {
                        tr id={ "req-" (r.id) } data-requirement=(r.id) data-coverage=(state.as_str()) {
                            td { code { (r.id) } }
                            td { (r.level) }
                            td { (md(r.text)) }
                            td {
                                ul.cites {
                                    @for c in ran {
                                        @let label = outcome_label(c);
                                        li { a href={ "#check-" (c.id) } { code { (c.id) } } " " span class={ "s s-" (label) } { (label) } }
                                    }
                                }
                            }
                            td class={ "c c-" (state.as_str().replace(' ', "-")) } { (state.as_str()) }
                        }
                        "\n"
                    }
                }
            }
        }
        "\n"
    }
}
