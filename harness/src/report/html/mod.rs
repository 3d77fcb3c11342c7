//! `report.html`: one self-contained file (inline CSS, no script, no external asset) that opens
//! offline, rendered with `maud`, which escapes every interpolated value by construction. It
//! reads top-down the way a person fixing a vendor reads it: the verdict (`id="verdict"`), then
//! what failed with the contract's words and the evidence open (`id="failures"`, one
//! `data-failure-id` each), a scoreboard per suite, the requirement coverage matrix
//! (`id="coverage"`, one `data-requirement` row per CONTRACT.md id), the run's context
//! (capabilities, profile, contract digest, harness version), and last every check row
//! (`data-check-id`, `id="check-<id>"`, the anchor the rest links to).
//!
//! One job per file: `spans` (Markdown code spans, escaped), `evidence` (a row's contract words,
//! findings and exchanges), `sections` (the blocks of the page in reading order), `coverage`
//! (the requirement matrix); here the page itself and what the blocks share.

use maud::{DOCTYPE, PreEscaped, html};
use suites::{Level, Status};

use super::{CheckReport, Quote, Report, Verdict};

mod coverage;
mod evidence;
mod sections;
mod spans;

pub use coverage::Coverage;
use coverage::coverage_html;
use sections::{capabilities_html, check_row, deviations_html, failures_html, run_html, scoreboard_html};
pub use spans::{Span, code_spans, md};

/// The SHA-256 of the CONTRACT.md embedded in this harness, the text every check was judged
/// against, as lowercase hex.
pub fn contract_digest() -> String {
    contract::sha256_hex(contract::requirements::CONTRACT_MD.as_bytes())
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:15px;margin:0 0 6px}
.banner{padding:18px 22px;border-radius:8px;color:#fff;font-size:22px;font-weight:700}
.v-conformant{background:#1f7a3a}.v-advisories{background:#9a6b00}.v-deviations{background:#0b6e8a}.v-not{background:#b3261e}.v-incomplete{background:#5b6470}
.meta{color:#4a5360;margin:10px 0 0}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px;overflow:hidden}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.s{font-weight:700;white-space:nowrap}.s-PASS{color:#1f7a3a}.s-FAIL{color:#b3261e}.s-ADVISORY{color:#9a6b00}.s-SKIP{color:#5b6470}.s-ERROR{color:#6a3fb3}.s-WAIVED{color:#0b6e8a}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
code{background:#eef0f3;padding:0 3px;border-radius:3px}
pre{background:#f0f2f5;padding:8px;border-radius:4px;overflow:auto;max-height:320px;white-space:pre-wrap;word-break:break-all}
details{margin-top:6px} summary{cursor:pointer;color:#2456a6}
a{color:#2456a6}
.kv{color:#4a5360}
blockquote.req{margin:6px 0;padding:4px 10px;border-left:3px solid #b3261e;background:#fbf3f2;color:#3a2a28}
.partial{margin:10px 0 0;padding:8px 12px;background:#fff4d6;border-radius:6px}
.failure{background:#fff;border-left:5px solid #b3261e;border-radius:6px;padding:12px 16px;margin:10px 0}
.failure.f-ADVISORY{border-color:#9a6b00}.failure.f-ERROR{border-color:#6a3fb3}.failure.f-SKIP{border-color:#5b6470}
.none{background:#fff;border-radius:6px;padding:12px 16px}
.c{font-weight:600;white-space:nowrap}.c-failed{color:#b3261e}.c-advisory{color:#9a6b00}.c-error{color:#6a3fb3}.c-proven{color:#1f7a3a}.c-skipped,.c-not-run,.c-no-check{color:#5b6470}
ul.cites{margin:0;padding:0;list-style:none}
ul.index{background:#fff;border-radius:6px;padding:10px 16px 10px 32px;margin:0}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;padding:12px 16px;border-radius:6px}
dl.run dt{color:#4a5360} dl.run dd{margin:0}
";

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Conformant => "v-conformant",
        Verdict::ConformantWithAdvisories => "v-advisories",
        Verdict::ConformantWithDeviations => "v-deviations",
        Verdict::NotConformant => "v-not",
        Verdict::Incomplete => "v-incomplete",
    }
}

fn outcome_label(c: &CheckReport) -> &'static str {
    if c.advisory { "ADVISORY" } else { c.status.as_str() }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// What a row did to the verdict, most serious first: a MUST FAIL, an ERROR, an applicable MUST
/// SKIP (the run is incomplete), an advisory. `None` for rows that leave the verdict alone.
fn severity(c: &CheckReport) -> Option<u8> {
    match c.status {
        Status::Fail if !c.advisory => Some(0),
        Status::Error => Some(1),
        Status::Skip if c.level == Level::Must && c.applicable => Some(2),
        Status::Fail => Some(3),
        // Waived by an agreed deviation: listed with what needs attention, last.
        Status::Waived => Some(4),
        _ => None,
    }
}

/// The contract's words for a row: the quotes a FAIL carries, else (an ERROR, a SKIP) the
/// requirements it cites, looked up in the embedded CONTRACT.md.
fn quotes(c: &CheckReport) -> Vec<Quote> {
    if c.contract.is_empty() {
        Quote::of(&c.requirements.iter().map(String::as_str).collect::<Vec<_>>())
    } else {
        c.contract.clone()
    }
}

pub fn render(report: &Report) -> String {
    let c = &report.counts;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "Conformance report: " (report.vendor.name) }
                style { (PreEscaped(CSS)) (PreEscaped(super::timeline::CSS)) }
            }
            body {
                main {
                    "\n"
                    h1 { "Conformance report: " (report.vendor.name) }
                    div id="verdict" class={ "banner " (verdict_class(report.verdict)) } { (report.headline()) }
                    p.meta {
                        (c.total) " checks: " (c.pass) " passed, " (c.fail) " failed, " (c.advisory) " advisories, "
                        (c.skip) " skipped, " (c.error) " errors"
                        @if c.waived > 0 { ", " (c.waived) " waived" }
                        " · vendor " code { (report.vendor.base_url) }
                        " · profile " code { (report.vendor.profile) }
                    }
                    @if report.partial {
                        p.partial id="partial" { "A partial run: only the selected checks ran, and the verdict speaks for them alone." }
                    }
                    "\n"
                    (failures_html(report))
                    (scoreboard_html(report))
                    (coverage_html(report))
                    (super::timeline::svg(&report.delivery))
                    (capabilities_html(report))
                    (deviations_html(report))
                    (run_html(report))
                    @for suite in &report.suites {
                        h2 id={ "suite-" (suite.name) } { "Suite " code { (suite.name) } }
                        p.meta { (md(&suite.description)) }
                        table {
                            thead { tr { th { "outcome" } th { "check" } th { "level" } th { "requirements" } th { "details and evidence" } } }
                            tbody { "\n" @for check in &suite.checks { (check_row(check)) } }
                        }
                        "\n"
                    }
                    p.meta { "Reproduce commands fetch a fresh token with " code { "harness token" } "; no secret is in this file." }
                }
            }
        }
    };
    let mut out = markup.into_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
