//! `junit.xml`: a testsuite per suite, a testcase per check. An advisory is reported as a
//! passing testcase with an `advisory` property (CI should not go red on a SHOULD), except under
//! `--strict`, where it fails the run and so is a JUnit failure; an ERROR is a JUnit error, a
//! SKIP a JUnit skip. Each testsuite carries the run's verdict line, whether it was partial and
//! the declared vs discovered capabilities as properties (and in its system-out).

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use suites::Status;

use super::Report;

pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut junit = quick_junit::Report::new(format!("conformance {}", report.vendor.name));
    junit.set_time(Duration::from_millis(report.duration_ms));
    for suite in &report.suites {
        let mut ts = TestSuite::new(suite.name.clone());
        ts.add_property(("verdict", report.headline().as_str()));
        ts.add_property(("partial", if report.partial { "true" } else { "false" }));
        for c in &report.capabilities.capabilities {
            ts.add_property((format!("capability.{}", c.name).as_str(), c.state()));
        }
        let mut out = vec![format!("verdict: {}", report.headline())];
        out.extend(report.capabilities.lines().into_iter().map(|l| format!("capability {l}")));
        ts.set_system_out(out.join("\n"));
        for check in &suite.checks {
            let detail = || {
                let mut lines = vec![check.message.clone()];
                lines.extend(check.expected.as_ref().map(|e| format!("expected: {e}")));
                lines.extend(check.actual.as_ref().map(|a| format!("actual: {a}")));
                lines.extend(check.contract.iter().map(|q| format!("contract: {}", q.line())));
                lines.extend(check.reproduce().into_iter().map(|r| format!("reproduce: {r}")));
                lines.join("\n")
            };
            let mut status = match check.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Fail if check.advisory && !report.options.strict => TestCaseStatus::success(),
                Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
                Status::Skip => TestCaseStatus::skipped(),
                // An agreed deviation: skipped, the waiver and the failure as its message.
                Status::Waived => TestCaseStatus::skipped(),
            };
            if check.status != Status::Pass {
                status.set_message(check.message.clone()).set_description(detail());
            }
            let mut case = TestCase::new(check.id.clone(), status);
            case.set_classname(format!("{}.{}", suite.name, check.level));
            case.set_time(Duration::from_millis(check.duration_ms));
            case.add_property(("requirements", check.requirements.join(",").as_str()));
            if check.advisory {
                case.add_property(("advisory", check.message.as_str()));
            }
            for q in &check.contract {
                case.add_property((format!("contract.{}", q.id).as_str(), q.text.as_str()));
            }
            ts.add_test_case(case);
        }
        junit.add_test_suite(ts);
    }
    Ok(junit.to_string()?)
}
