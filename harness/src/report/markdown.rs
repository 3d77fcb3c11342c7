//! `summary.md`: the verdict and the rows that need attention, short enough for a pull-request comment.

use suites::Status;

use super::Report;

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let c = &report.counts;
    let mut md = format!(
        "## Conformance: {}{}\n\nVendor **{}** (`{}`, profile `{}`), run `{}`.\n\n{} checks: {} passed, {} failed, {} advisories, {} skipped, {} errors.\n",
        report.verdict,
        if report.interrupted { " (interrupted)" } else { "" },
        cell(&report.vendor.name),
        cell(&report.vendor.base_url),
        cell(&report.vendor.profile),
        report.run_id,
        c.total,
        c.pass,
        c.fail,
        c.advisory,
        c.skip,
        c.error
    );
    // Checks that do not apply to the vendor's profile are not failures to look at: one line.
    let (attention, not_applicable): (Vec<_>, Vec<_>) =
        report.checks().filter(|c| c.status != Status::Pass).partition(|c| c.applicable);
    if !not_applicable.is_empty() {
        let ids: Vec<String> = not_applicable.iter().map(|c| format!("`{}`", c.id)).collect();
        md.push_str(&format!(
            "\nNot applicable to this vendor ({}; the reasons are in `report.html`): {}.\n",
            ids.len(),
            ids.join(", ")
        ));
    }
    if attention.is_empty() {
        md.push_str(if not_applicable.is_empty() {
            "\nEvery check passed.\n"
        } else {
            "\nEvery applicable check passed.\n"
        });
        return md;
    }
    md.push_str("\n| outcome | check | level | requirements | why |\n|---|---|---|---|---|\n");
    for check in attention {
        let outcome = if check.advisory { "ADVISORY" } else { check.status.as_str() };
        md.push_str(&format!(
            "| {outcome} | `{}` | {} | {} | {} |\n",
            check.id,
            check.level,
            check.requirements.join(", "),
            cell(&check.message)
        ));
    }
    md.push_str("\nEvidence and reproduce commands: `report.html` and `evidence/` in the run's directory.\n");
    md
}
