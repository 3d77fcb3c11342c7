//! `junit.xml`: a testsuite per suite, a testcase per check. An advisory is reported as a
//! passing testcase with a `advisory` property (CI should not go red on a SHOULD); an ERROR is
//! a JUnit error, a SKIP a JUnit skip.

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
use suites::Status;

use super::Report;

pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut junit = quick_junit::Report::new(format!("conformance {}", report.vendor.name));
    junit.set_time(Duration::from_millis(report.duration_ms));
    for suite in &report.suites {
        let mut ts = TestSuite::new(suite.name.clone());
        for check in &suite.checks {
            let detail = || {
                let mut lines = vec![check.message.clone()];
                lines.extend(check.expected.as_ref().map(|e| format!("expected: {e}")));
                lines.extend(check.actual.as_ref().map(|a| format!("actual: {a}")));
                lines.extend(check.reproduce().into_iter().map(|r| format!("reproduce: {r}")));
                lines.join("\n")
            };
            let mut status = match check.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Fail if check.advisory => TestCaseStatus::success(),
                Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
                Status::Skip => TestCaseStatus::skipped(),
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
            ts.add_test_case(case);
        }
        junit.add_test_suite(ts);
    }
    Ok(junit.to_string()?)
}
