//! The page's blocks in reading order after the verdict: the failures (open), the scoreboard,
//! the capabilities, the run's context and every check's row.

use maud::{Markup, html};

use super::evidence::details_html;
use super::{CheckReport, Report, contract_digest, md, outcome_label, quotes, severity};

/// The failures-first block: every row that keeps the run from CONFORMANT, most serious first,
/// with the contract's words, expected vs actual, the evidence and the reproduce commands open.
pub(super) fn failures_html(report: &Report) -> Markup {
    let mut rows: Vec<(u8, &CheckReport)> = report.checks().filter_map(|c| severity(c).map(|s| (s, c))).collect();
    rows.sort_by_key(|(s, _)| *s);
    html! {
        section id="failures" {
            h2 {
                @if report.counts.waived > 0 { "Failures, errors, advisories and waivers (" } @else { "Failures, errors and advisories (" }
                (rows.len()) ")"
            }
            @if report.interrupted {
                p.partial { "The run was interrupted: the checks it did not reach are not in this report." }
            }
            @if rows.is_empty() {
                p.none { "No check failed, errored or was left undone." }
            } @else {
                // An index first: every entry is seen at once, however long the evidence below.
                ul.index {
                    @for (_, c) in &rows {
                        @let label = outcome_label(c);
                        li {
                            span class={ "s s-" (label) } { (label) } " "
                            a href={ "#failure-" (c.id) } { code { (c.id) } } " " (md(&c.title))
                        }
                    }
                }
            }
            @for (_, c) in &rows {
                @let label = outcome_label(c);
                div class={ "failure f-" (label) } id={ "failure-" (c.id) } data-failure-id=(c.id) {
                    h3 {
                        span class={ "s s-" (label) } { (label) } " "
                        a href={ "#check-" (c.id) } { code { (c.id) } } " " (md(&c.title))
                    }
                    p { (md(&c.message)) }
                    (details_html(c, &quotes(c), true))
                    @let reproduce = c.reproduce();
                    @if !reproduce.is_empty() {
                        div.kv { "reproduce (fetch a fresh token with " code { "harness token" } "):" }
                        @for r in reproduce { pre.reproduce { (r) } }
                    }
                    div.kv { "evidence file: " code { (c.evidence_file) } }
                }
                "\n"
            }
        }
        "\n"
    }
}

/// Pass/fail/advisory/skip/error counts per suite and in all.
pub(super) fn scoreboard_html(report: &Report) -> Markup {
    let c = &report.counts;
    html! {
        section id="scoreboard" {
            h2 { "Scoreboard" }
            table {
                // The waived column only where agreed deviations were needed.
                @let waived = c.waived > 0;
                thead { tr {
                    th { "suite" } th.n { "checks" } th.n { "pass" } th.n { "fail" } th.n { "advisory" } th.n { "skip" } th.n { "error" }
                    @if waived { th.n { "waived" } }
                } }
                tbody {
                    @for suite in &report.suites {
                        @let n = Report::count(&suite.checks);
                        tr data-suite=(suite.name) {
                            td { a href={ "#suite-" (suite.name) } { code { (suite.name) } } }
                            td.n { (n.total) } td.n.s-PASS { (n.pass) } td.n.s-FAIL { (n.fail) } td.n.s-ADVISORY { (n.advisory) } td.n.s-SKIP { (n.skip) } td.n.s-ERROR { (n.error) }
                            @if waived { td.n.s-WAIVED { (n.waived) } }
                        }
                        "\n"
                    }
                    tr {
                        th { "all" } th.n { (c.total) } th.n { (c.pass) } th.n { (c.fail) } th.n { (c.advisory) } th.n { (c.skip) } th.n { (c.error) }
                        @if waived { th.n { (c.waived) } }
                    }
                }
            }
        }
        "\n"
    }
}

/// Declared vs discovered capabilities, one row each.
pub(super) fn capabilities_html(report: &Report) -> Markup {
    let caps = &report.capabilities;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    html! {
        @if !caps.capabilities.is_empty() {
            h2 id="capabilities" { "Capabilities: declared vs discovered" }
            table {
                thead { tr { th { "capability" } th { "declared" } th { "discovered" } th { "checks ran" } th { "probe" } } }
                tbody {
                    @for c in &caps.capabilities {
                        tr data-capability=(c.name) {
                            td { code { (c.name) } }
                            td { (yes_no(c.declared)) }
                            td { (c.discovered.map_or("not probed", yes_no)) }
                            td { @if c.discovered_only() { "yes (discovered only)" } @else { (yes_no(c.used)) } }
                            td { (md(&c.detail)) }
                        }
                        "\n"
                    }
                }
            }
            @if !caps.event_families.is_empty() {
                p.meta { "Event families declared: " (caps.event_families.join(", ")) }
            }
            "\n"
        }
    }
}

/// The agreed deviations and what each did in this run (waived, expired, stale, unused).
pub(super) fn deviations_html(report: &Report) -> Markup {
    html! {
        @if !report.deviations.is_empty() {
            h2 id="deviations" { "Agreed deviations" }
            table {
                thead { tr { th { "check" } th { "requirement" } th { "effect" } th { "reference" } th { "expires" } th { "reason" } } }
                tbody {
                    @for a in &report.deviations {
                        @let d = &a.deviation;
                        tr data-deviation=(d.check) {
                            td { a href={ "#check-" (d.check) } { code { (d.check) } } }
                            td { (d.requirement) }
                            td { (a.effect.as_str()) }
                            td { (d.reference) }
                            td { (d.expires) }
                            td { (d.reason) }
                        }
                        "\n"
                    }
                }
            }
            "\n"
        }
    }
}

/// The profile, contract digest, harness version and options of the run.
pub(super) fn run_html(report: &Report) -> Markup {
    let o = &report.options;
    html! {
        h2 id="run" { "This run" }
        dl.run {
            dt { "vendor" } dd { (report.vendor.name) " at " code { (report.vendor.base_url) } }
            dt { "profile" } dd { code { (report.vendor.profile) } }
            dt { "signature scheme" } dd { code { (report.vendor.signature_scheme) } }
            dt { "contract" } dd { "CONTRACT.md, SHA-256 " code id="contract-digest" { (contract_digest()) } }
            dt { "harness" } dd { "version " code id="harness-version" { (report.harness_version) } }
            dt { "run" } dd { code { (report.run_id) } ", " (report.started_at) " to " (report.finished_at) }
            dt { "options" } dd {
                @if o.strict { "--strict " }
                @if o.non_interactive { "--non-interactive " }
                @for s in &o.suites { "--suite " (s) " " }
                @for c in &o.checks { "--check " (c) " " }
                @if !o.strict && !o.non_interactive && o.suites.is_empty() && o.checks.is_empty() { "none" }
            }
        }
        "\n"
    }
}

/// One check's row; its details are folded (the failures block shows them open).
pub(super) fn check_row(c: &CheckReport) -> Markup {
    let label = outcome_label(c);
    html! {
        tr id={ "check-" (c.id) } data-check-id=(c.id) data-status=(label) {
            td class={ "s s-" (label) } { (label) }
            td { code { (c.id) } br; (md(&c.title)) }
            td { (c.level.as_str()) }
            td {
                @for (i, r) in c.requirements.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "#req-" (r) } { (r) }
                }
            }
            td {
                (md(&c.message))
                @if severity(c).is_some() {
                    " " a href={ "#failure-" (c.id) } { "(above, with its evidence)" }
                }
                (details_html(c, &c.contract, false))
            }
        }
        "\n"
    }
}
