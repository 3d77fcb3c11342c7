//! Deviations the integrator agreed: a check that may fail until a date, with the requirement it
//! breaks, why, and the ticket that tracks it. A FAIL on a listed check within its expiry is
//! WAIVED (its own outcome in every report, never hidden); past its expiry it fails as usual; a
//! deviation whose check now passes is stale, so it gets removed.
//!
//! They live in `vendor.toml` as `[[deviations]]` tables, or in a file it names with
//! `deviations_file` (same tables), so a programme can keep them apart from the vendor's settings.

use std::path::Path;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};
use suites::Status;

/// One agreed deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The check id (`harness list`).
    pub check: String,
    /// The CONTRACT.md requirement the check enforces that the vendor may break (`WHM-4`).
    pub requirement: String,
    /// Why the integrator accepted it.
    pub reason: String,
    /// Where it is tracked (a ticket).
    pub reference: String,
    /// The last day it holds (`YYYY-MM-DD`, UTC); from the day after, the check fails as usual.
    pub expires: String,
}

/// The deviations file: `[[deviations]]` tables only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviationsFile {
    #[serde(default)]
    deviations: Vec<Deviation>,
}

/// Reads the `[[deviations]]` of the file `deviations_file` names (relative to the config's folder).
pub fn load_file(path: &Path) -> anyhow::Result<Vec<Deviation>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("`deviations_file`: failed to read {}", path.display()))?;
    let file: DeviationsFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}", e.message()))
        .with_context(|| format!("failed to parse the deviations in {}", path.display()))?;
    Ok(file.deviations)
}

fn date_format() -> &'static [time::format_description::BorrowedFormatItem<'static>] {
    time::macros::format_description!("[year]-[month]-[day]")
}

impl Deviation {
    /// The expiry as a date; `validate` has checked it parses.
    pub fn expiry(&self) -> Option<time::Date> {
        time::Date::parse(&self.expires, date_format()).ok()
    }

    /// How reports show it: `WHM-4, INT-1234, until 2027-03-31: reason`.
    pub fn describe(&self) -> String {
        format!("{}, {}, until {}: {}", self.requirement, self.reference, self.expires, self.reason)
    }
}

/// Refuses deviations that cannot mean anything, naming the entry and the key to fix.
pub fn validate(deviations: &[Deviation]) -> anyhow::Result<()> {
    let catalogue = suites::catalogue();
    for (i, d) in deviations.iter().enumerate() {
        let at = format!("deviations[{i}]");
        let Some(meta) = catalogue.iter().find(|m| m.id == d.check) else {
            bail!("`{at}.check`: unknown check `{}` (`harness list` names them)", d.check);
        };
        if !meta.requirements.contains(&d.requirement.as_str()) {
            bail!(
                "`{at}.requirement`: `{}` is not a requirement `{}` checks (it checks {})",
                d.requirement,
                d.check,
                meta.requirements.join(", ")
            );
        }
        for (key, value) in [("reason", &d.reason), ("reference", &d.reference)] {
            if value.trim().is_empty() {
                bail!("`{at}.{key}` is empty: an agreed deviation says why and where it is tracked");
            }
        }
        if d.expiry().is_none() {
            bail!("`{at}.expires`: `{}` is not a date as YYYY-MM-DD", d.expires);
        }
        if deviations[..i].iter().any(|e| e.check == d.check) {
            bail!("`{at}.check`: `{}` is listed twice", d.check);
        }
    }
    Ok(())
}

/// What a deviation did to its check in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "effect")]
pub enum Effect {
    /// The check failed, and the deviation holds: WAIVED.
    Waived,
    /// The check failed, and the deviation expired: it fails as usual.
    Expired,
    /// The check passed: the deviation is no longer needed.
    Stale,
    /// The check did not run to a verdict (skipped, errored, not selected).
    Unused,
    /// The check failed on a requirement the deviation does not name (a check enforcing several):
    /// it fails as usual.
    Uncovered {
        /// The requirements the failure names.
        broken: Vec<String>,
    },
}

impl Effect {
    /// `waived`, `expired`, `stale`, `unused`: as reports name it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Waived => "waived",
            Self::Expired => "expired: fails as usual",
            Self::Stale => "stale: the check passes",
            Self::Unused => "unused: no verdict",
            Self::Uncovered { .. } => "not covering this failure: fails as usual",
        }
    }
}

/// A deviation and its effect on this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    #[serde(flatten)]
    pub deviation: Deviation,
    #[serde(flatten)]
    pub effect: Effect,
}

impl Applied {
    /// The sentence the check's row carries.
    pub fn note(&self) -> String {
        let d = &self.deviation;
        match &self.effect {
            Effect::Waived => format!("WAIVED by an agreed deviation ({})", d.describe()),
            Effect::Uncovered { broken } => format!(
                "the agreed deviation ({}, {}) does not cover this failure, which breaks {}: the check fails as usual",
                d.requirement,
                d.reference,
                if broken.is_empty() { "every requirement the check enforces".to_owned() } else { broken.join(", ") }
            ),
            Effect::Expired => format!(
                "an agreed deviation expired on {} ({}, {}): the check fails as usual",
                d.expires, d.requirement, d.reference
            ),
            Effect::Stale => format!(
                "the check passes: the deviation agreed for it ({}, {}) is stale and can be removed",
                d.requirement, d.reference
            ),
            Effect::Unused => {
                format!("the deviation agreed for it ({}) was not needed: the check reached no verdict", d.reference)
            }
        }
    }
}

/// What `deviation` does to its check on `today`: the check ended with `status` (`None`: not
/// run), enforces `requirements`, and its failure says `said` (message, expected, actual). A
/// deviation waives the requirement it names, not another the same check enforces.
pub fn effect(
    deviation: &Deviation,
    status: Option<Status>,
    requirements: &[String],
    said: &str,
    today: time::Date,
) -> Effect {
    match status {
        Some(Status::Pass) => Effect::Stale,
        Some(Status::Fail) if deviation.expiry().is_none_or(|e| today > e) => Effect::Expired,
        Some(Status::Fail) if requirements.len() > 1 => match broken(requirements, said) {
            Some(b) if b.iter().all(|r| *r == deviation.requirement) => Effect::Waived,
            b => Effect::Uncovered { broken: b.unwrap_or_default().into_iter().map(String::from).collect() },
        },
        Some(Status::Fail) => Effect::Waived,
        _ => Effect::Unused,
    }
}

/// Which of a failing check's `requirements` its failure breaks, read from what the failure says
/// (every FAIL names the requirement it enforces): `None` when it names none of them.
pub fn broken<'a>(requirements: &'a [String], said: &str) -> Option<Vec<&'a str>> {
    let named: Vec<&str> = requirements
        .iter()
        .map(String::as_str)
        .filter(|r| {
            said.match_indices(r).any(|(at, _)| !said[at + r.len()..].starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    (!named.is_empty()).then_some(named)
}

/// Today, in UTC.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deviation(check: &str, requirement: &str, expires: &str) -> Deviation {
        Deviation {
            check: check.into(),
            requirement: requirement.into(),
            reason: "ping ships in v2.3".into(),
            reference: "INT-1234".into(),
            expires: expires.into(),
        }
    }

    fn day(s: &str) -> time::Date {
        time::Date::parse(s, date_format()).unwrap()
    }

    /// `webhooks.ping` enforces WHM-4 alone.
    fn ping(status: Option<Status>, today: &str) -> Applied {
        let d = deviation("webhooks.ping", "WHM-4", "2027-03-31");
        let effect = effect(&d, status, &["WHM-4".into()], "", day(today));
        Applied { deviation: d, effect }
    }

    #[test]
    fn a_failure_is_waived_through_its_last_day_and_fails_after() {
        assert_eq!(ping(Some(Status::Fail), "2027-03-31").effect, Effect::Waived);
        assert_eq!(ping(Some(Status::Fail), "2027-04-01").effect, Effect::Expired);
        assert!(
            ping(Some(Status::Fail), "2027-01-01").note().starts_with("WAIVED by an agreed deviation (WHM-4, INT-1234")
        );
    }

    #[test]
    fn a_passing_check_makes_its_deviation_stale_and_one_without_a_verdict_unused() {
        assert_eq!(ping(Some(Status::Pass), "2027-01-01").effect, Effect::Stale);
        assert_eq!(ping(Some(Status::Skip), "2027-01-01").effect, Effect::Unused);
        assert_eq!(ping(None, "2027-01-01").effect, Effect::Unused);
        assert!(ping(Some(Status::Pass), "2027-01-01").note().contains("stale"));
    }

    #[test]
    fn a_settled_row_is_waived_keeping_the_failure_and_its_words() {
        let meta = suites::catalogue().iter().find(|m| m.id == "webhooks.ping").unwrap();
        let failed = crate::report::CheckReport::new(meta, suites::Outcome::fail("WHM-4: no ping arrived"), true, 1);
        let d = [deviation("webhooks.ping", "WHM-4", "2027-03-31")];
        let mut row = failed.clone();
        row.settle(&d, day("2027-03-01"));
        assert_eq!((row.status, row.advisory), (Status::Waived, false));
        assert!(
            row.message.starts_with("WAIVED by an agreed deviation (WHM-4, INT-1234, until 2027-03-31"),
            "{}",
            row.message
        );
        assert!(row.message.ends_with("The failure: WHM-4: no ping arrived"), "{}", row.message);
        assert_eq!(row.contract, failed.contract, "the contract's words stay");
        assert_eq!(row.deviation.as_ref().unwrap().effect, Effect::Waived);
        let mut expired = failed.clone();
        expired.settle(&d, day("2027-04-01"));
        assert_eq!(expired.status, Status::Fail);
        assert!(expired.message.contains("expired on 2027-03-31"), "{}", expired.message);
        let mut other = failed;
        other.settle(&[deviation("events.catalog", "EVT-5", "2027-03-31")], day("2027-03-01"));
        assert_eq!((other.status, other.deviation), (Status::Fail, None));
        let rows = [row];
        let all = crate::report::Report::deviation_effects(
            &rows,
            &[d[0].clone(), deviation("events.catalog", "EVT-5", "2027-03-31")],
        );
        assert_eq!(all.iter().map(|a| a.effect.clone()).collect::<Vec<_>>(), [Effect::Waived, Effect::Unused]);
    }

    /// `webhooks.create-list` enforces WHM-1 and WHM-2: a deviation for one does not waive a
    /// failure of the other.
    #[test]
    fn a_deviation_waives_only_the_requirement_it_names() {
        let meta = suites::catalogue().iter().find(|m| m.id == "webhooks.create-list").unwrap();
        assert!(meta.requirements.len() > 1, "{:?}", meta.requirements);
        let failed = |message: &str| crate::report::CheckReport::new(meta, suites::Outcome::fail(message), true, 1);
        let today = day("2027-03-01");
        let mut secret_listed = failed("WHM-2: the list shows a webhook's secret");
        secret_listed.settle(&[deviation("webhooks.create-list", "WHM-1", "2027-03-31")], today);
        assert_eq!(secret_listed.status, Status::Fail);
        let effect = &secret_listed.deviation.as_ref().unwrap().effect;
        assert_eq!(effect, &Effect::Uncovered { broken: vec!["WHM-2".into()] });
        assert!(
            secret_listed.message.contains("does not cover this failure, which breaks WHM-2"),
            "{}",
            secret_listed.message
        );
        let mut covered = failed("WHM-2: the list shows a webhook's secret");
        covered.settle(&[deviation("webhooks.create-list", "WHM-2", "2027-03-31")], today);
        assert_eq!(covered.status, Status::Waived);
        // A failure that names no requirement is not known to be the agreed one: not waived.
        let mut unnamed = failed("the create answered 500");
        unnamed.settle(&[deviation("webhooks.create-list", "WHM-2", "2027-03-31")], today);
        assert_eq!(unnamed.status, Status::Fail);
        assert_eq!(broken(&["WHM-1".into(), "WHM-10".into()], "WHM-10: x"), Some(vec!["WHM-10"]));
    }

    #[test]
    fn a_deviation_that_cannot_mean_anything_is_refused_naming_its_key() {
        let err = |d: Deviation| validate(&[d]).unwrap_err().to_string();
        assert!(
            err(deviation("webhooks.pong", "WHM-4", "2027-03-31")).contains("`deviations[0].check`: unknown check")
        );
        let e = err(deviation("webhooks.ping", "SIG-1", "2027-03-31"));
        assert!(e.contains("`deviations[0].requirement`") && e.contains("WHM-4"), "{e}");
        assert!(err(deviation("webhooks.ping", "WHM-4", "31/03/2027")).contains("`deviations[0].expires`"));
        let e = err(Deviation { reason: " ".into(), ..deviation("webhooks.ping", "WHM-4", "2027-03-31") });
        assert!(e.contains("`deviations[0].reason` is empty"), "{e}");
        let twice =
            [deviation("webhooks.ping", "WHM-4", "2027-03-31"), deviation("webhooks.ping", "WHM-4", "2027-04-30")];
        assert!(
            validate(&twice)
                .unwrap_err()
                .to_string()
                .contains("`deviations[1].check`: `webhooks.ping` is listed twice")
        );
        validate(&[deviation("webhooks.ping", "WHM-4", "2027-03-31")]).unwrap();
    }

    #[test]
    fn a_deviations_file_reads_its_tables_and_refuses_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deviations.toml");
        std::fs::write(
            &path,
            "[[deviations]]\ncheck = \"webhooks.ping\"\nrequirement = \"WHM-4\"\nreason = \"r\"\nreference = \"T-1\"\nexpires = \"2027-03-31\"\n",
        )
        .unwrap();
        assert_eq!(load_file(&path).unwrap()[0].check, "webhooks.ping");
        std::fs::write(&path, "[[deviations]]\ncheck = \"x\"\nowner = \"me\"\n").unwrap();
        let err = format!("{:#}", load_file(&path).unwrap_err());
        assert!(err.contains("deviations.toml") && err.contains("owner"), "{err}");
        let err = format!("{:#}", load_file(&dir.path().join("missing.toml")).unwrap_err());
        assert!(err.contains("`deviations_file`") && err.contains("missing.toml"), "{err}");
    }
}
