//! What one pagination check found, and how that becomes its outcome.

use super::size_shown;
use super::survey::{Role, SizedWalk, Survey, Surveyed};
use super::tally::{Flaw, Problem};
use super::walked::Walked;
use crate::context::{ApiError, Blame};
use crate::outcome::{Evidence, Exchange, Finding, Outcome};

/// What one check found: findings with their pages' exchanges, what kept it from testing, notes.
#[derive(Debug, Default)]
pub(super) struct CheckFindings {
    pub(super) evidence: Evidence,
    /// Harness-side failures (timeouts, transport): the check errors unless the vendor also failed.
    pub(super) errors: Vec<String>,
}

impl CheckFindings {
    pub(super) fn problem(&mut self, p: &Problem) {
        if let Some(e) = &p.exchange {
            self.evidence.push_exchange(e);
        }
        self.evidence.push_finding(Finding {
            subject: p.subject.clone(),
            pointer: p.pointer.into(),
            message: p.message.clone(),
            record: p.record.clone(),
            source: p.exchange.as_ref().map(|e| e.url.clone()),
        });
    }

    /// Every problem of `flaws` in `walked`, counting those it did not keep.
    pub(super) fn flaws(&mut self, walked: &Walked, flaws: &[Flaw]) {
        for &flaw in flaws {
            let mut kept = 0;
            for p in walked.problems(flaw) {
                self.problem(p);
                kept += 1;
            }
            self.evidence.total_findings += walked.count(flaw) - kept;
        }
    }

    pub(super) fn finding(&mut self, subject: String, message: String, exchanges: &[&Exchange]) {
        for e in exchanges {
            self.evidence.push_exchange(e);
        }
        let source = exchanges.first().map(|e| e.url.clone());
        self.evidence.push_finding(Finding { subject, pointer: String::new(), message, record: None, source });
    }

    /// A request or walk that gave no usable answer: the vendor's failure or the harness's.
    pub(super) fn api_error(&mut self, subject: String, what: &str, error: &ApiError) {
        match error.kind.blame() {
            Blame::Vendor => {
                let exchanges: Vec<&Exchange> = error.exchanges.iter().rev().collect();
                self.finding(subject, format!("{what}: {}", error.message), &exchanges);
            }
            Blame::Harness => self.errors.push(format!("{subject}: {what}: {}", error.message)),
        }
    }

    pub(super) fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.evidence.notes.contains(&note) {
            self.evidence.notes.push(note);
        }
    }

    /// FAIL (naming `rule`, the CONTRACT.md requirement broken) when the vendor was found
    /// wrong, else ERROR when the harness could not test, else PASS.
    pub(super) fn finish(
        mut self,
        rule: &str,
        expected: &str,
        pass: String,
        what: &str,
        example_exchange: Option<&Exchange>,
    ) -> Outcome {
        let n = self.evidence.total_findings;
        if n > 0 {
            let first = self.evidence.findings.first().map(|f| format!(": {}: {}", f.subject, f.message));
            self.evidence.notes.extend(self.errors.iter().map(|e| format!("not tested: {e}")));
            return Outcome::fail(format!("{n} {what}{}. {rule}", first.unwrap_or_default()))
                .expected(expected)
                .actual(format!("{n} {what}"))
                .with_evidence(self.evidence);
        }
        if let Some(first) = self.errors.first() {
            let more = match self.errors.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.evidence.notes.extend(self.errors.iter().skip(1).cloned());
            return Outcome::error(format!("{first}{more}")).expected(expected).with_evidence(self.evidence);
        }
        if let Some(example) = example_exchange {
            self.evidence.push_exchange(example);
        }
        Outcome::pass(pass).expected(expected).with_evidence(self.evidence)
    }
}

pub(super) fn subject_of(s: &Surveyed, w: &SizedWalk) -> String {
    format!("{}, {}", s.label(), size_shown(w.per_page))
}

/// The first page of the sites' default walk: the example exchange a passing walk check shows.
pub(super) fn example_exchange(survey: &Survey) -> Option<&Exchange> {
    survey.collections.first()?.walked(Role::Default)?.first.as_ref()
}

pub(super) fn sizes_walked(survey: &Survey) -> String {
    let mut sizes: Vec<String> = Vec::new();
    for w in survey.collections.iter().flat_map(|s| &s.walks) {
        let shown = w.per_page.map_or("the default".into(), |n| n.to_string());
        if !sizes.contains(&shown) {
            sizes.push(shown);
        }
    }
    sizes.join(", ")
}
