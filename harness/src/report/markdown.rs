//! `summary.md`: the verdict and the rows that need attention, short enough for a pull-request comment.

use suites::Status;

use super::Report;

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Declared vs discovered capabilities: one line each.
fn capabilities(md: &mut String, report: &Report) {
    let caps = &report.capabilities;
    if caps.capabilities.is_empty() {
        return;
    }
    md.push_str("\nCapabilities (declared vs discovered):\n\n");
    for c in &caps.capabilities {
        md.push_str(&format!("- `{}`: {} ({})\n", c.name, c.state(), cell(&c.detail)));
    }
    if !caps.event_families.is_empty() {
        let families: Vec<String> = caps.event_families.iter().map(|f| format!("`{f}`")).collect();
        md.push_str(&format!("- event families declared: {}\n", families.join(", ")));
    }
}

pub fn render(report: &Report) -> String {
    let mut md = format!(
        "## Conformance: {}\n\nVendor **{}** (`{}`, profile `{}`), run `{}`.\n\n{}.\n",
        report.headline(),
        cell(&report.vendor.name),
        cell(&report.vendor.base_url),
        cell(&report.vendor.profile),
        report.run_id,
        report.counts.sentence(),
    );
    if report.partial {
        md.push_str("\nA partial run: only the selected checks ran, and the verdict speaks for them alone.\n");
    }
    capabilities(&mut md, report);
    if !report.deviations.is_empty() {
        md.push_str("\nAgreed deviations:\n\n");
        for a in &report.deviations {
            let d = &a.deviation;
            md.push_str(&format!("- `{}` ({}): {}\n", d.check, a.effect.as_str(), cell(&d.describe())));
        }
    }
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
    md.push_str("\n| outcome | check | level | requirements | why | the contract says |\n|---|---|---|---|---|---|\n");
    for check in attention {
        let outcome = if check.advisory { "ADVISORY" } else { check.status.as_str() };
        let quotes: Vec<String> = check.contract.iter().map(|q| cell(&q.line())).collect();
        md.push_str(&format!(
            "| {outcome} | `{}` | {} | {} | {} | {} |\n",
            check.id,
            check.level,
            check.requirements.join(", "),
            cell(&check.message),
            quotes.join("<br>")
        ));
    }
    md.push_str("\nEvidence and reproduce commands: `report.html` and `evidence/` in the run's directory.\n");
    md
}
