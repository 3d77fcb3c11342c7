//! `report.html`: one self-contained file (inline CSS, no script, no external asset) that opens
//! offline, rendered with `maud`, which escapes every interpolated value by construction. It
//! reads top-down the way a person fixing a vendor reads it: the verdict (`id="verdict"`), then
//! what failed with the contract's words and the evidence open (`id="failures"`, one
//! `data-failure-id` each), a scoreboard per suite, the requirement coverage matrix
//! (`id="coverage"`, one `data-requirement` row per CONTRACT.md id), the run's context
//! (capabilities, profile, contract digest, harness version), and last every check row
//! (`data-check-id`, `id="check-<id>"`, the anchor the rest links to).

use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest as _, Sha256};
use suites::{Exchange, Level, Status};

use super::{CheckReport, Quote, Report, Verdict};

/// The SHA-256 of the CONTRACT.md embedded in this harness, the text every check was judged
/// against, as lowercase hex.
pub fn contract_digest() -> String {
    format!("{:x}", Sha256::digest(contract::requirements::CONTRACT_MD.as_bytes()))
}

/// A piece of a Markdown line: plain text, or the inside of a code span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span<'a> {
    Text(&'a str),
    Code(&'a str),
}

/// Splits `s` at its Markdown code spans (CommonMark's rule: a run of n backticks opens a span
/// that the next run of exactly n backticks closes; one space padding both ends is dropped). A
/// backtick run nothing closes stays text, as CommonMark prints it.
pub fn code_spans(s: &str) -> Vec<Span<'_>> {
    /// The length of the run of backticks at the start of `s`.
    fn run(s: &str) -> usize {
        s.bytes().take_while(|b| *b == b'`').count()
    }
    let mut spans = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(offset) = s[i..].find('`') {
        let open = i + offset;
        let n = run(&s[open..]);
        let inner_start = open + n;
        // The closing run: the next run of exactly `n` backticks.
        let mut j = inner_start;
        let close = loop {
            match s[j..].find('`') {
                None => break None,
                Some(o) => {
                    let m = run(&s[j + o..]);
                    if m == n {
                        break Some(j + o);
                    }
                    j += o + m;
                }
            }
        };
        match close {
            Some(close) => {
                if text_start < open {
                    spans.push(Span::Text(&s[text_start..open]));
                }
                let mut inner = &s[inner_start..close];
                if inner.len() >= 2 && inner.starts_with(' ') && inner.ends_with(' ') && inner.trim() != "" {
                    inner = &inner[1..inner.len() - 1];
                }
                spans.push(Span::Code(inner));
                i = close + n;
                text_start = i;
            }
            None => i = inner_start,
        }
    }
    if text_start < s.len() {
        spans.push(Span::Text(&s[text_start..]));
    }
    spans
}

/// `s` with its code spans as `<code>` and everything else escaped.
pub fn md(s: &str) -> Markup {
    html! {
        @for span in code_spans(s) {
            @match span {
                Span::Text(t) => (t),
                Span::Code(c) => code { (c) },
            }
        }
    }
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:15px;margin:0 0 6px}
.banner{padding:18px 22px;border-radius:8px;color:#fff;font-size:22px;font-weight:700}
.v-conformant{background:#1f7a3a}.v-advisories{background:#9a6b00}.v-not{background:#b3261e}.v-incomplete{background:#5b6470}
.meta{color:#4a5360;margin:10px 0 0}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px;overflow:hidden}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.s{font-weight:700;white-space:nowrap}.s-PASS{color:#1f7a3a}.s-FAIL{color:#b3261e}.s-ADVISORY{color:#9a6b00}.s-SKIP{color:#5b6470}.s-ERROR{color:#6a3fb3}
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

/// One request and its answer; `open` shows it unfolded.
fn exchange_html(e: &Exchange, open: bool) -> Markup {
    let status = e.status.map_or("no answer".to_owned(), |s| s.to_string());
    let mut text = String::new();
    for (k, v) in &e.request_headers {
        text.push_str(&format!("> {k}: {v}\n"));
    }
    if let Some(token) = &e.token {
        text.push_str(&format!("> token header: {}\n", token.header));
        text.push_str(&format!("> token claims: {}  (signature {})\n", token.claims, token.signature));
    }
    if let Some(body) = &e.request_body {
        text.push_str(&format!("> {body}\n"));
    }
    for (k, v) in &e.response_headers {
        text.push_str(&format!("< {k}: {v}\n"));
    }
    if let Some(body) = &e.body_excerpt {
        text.push_str(&format!("<\n{body}\n"));
        if e.truncated {
            text.push_str(&format!("[... {} bytes in all]\n", e.body_bytes));
        }
    }
    if let Some(err) = &e.error {
        text.push_str(&format!("error: {err}\n"));
    }
    for note in &e.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    html! {
        details open[open] {
            summary { (e.method) " " (e.url) " → " (status) }
            pre { (text) }
            @if !e.reproduce.is_empty() {
                div.kv { "reproduce:" }
                pre.reproduce { (e.reproduce) }
            }
        }
    }
}

/// The contract quotes, expected/actual, findings, notes and exchanges of a row; `open` unfolds
/// them (the failures block), else they are folded (the rows below).
fn details_html(c: &CheckReport, quotes: &[Quote], open: bool) -> Markup {
    let ev = &c.evidence;
    html! {
        @for q in quotes {
            blockquote.req data-quote=(q.id) {
                a href={ "#req-" (q.id) } { strong { (q.id) } } " (" (q.level) "): " (md(&q.text))
            }
        }
        @if let Some(e) = &c.expected { div.kv { "expected: " (md(e)) } }
        @if let Some(a) = &c.actual { div.kv { "actual: " (md(a)) } }
        @if !ev.findings.is_empty() {
            details open[open] {
                summary { (ev.total_findings) " finding(s), first " (ev.findings.len()) " shown" }
                @for f in &ev.findings {
                    div {
                        (f.subject) " at " code { @if f.pointer.is_empty() { "/" } @else { (f.pointer) } } ": " (md(&f.message))
                    }
                    @if let Some(record) = &f.record { pre { (json(record)) } }
                }
            }
        }
        @for note in &ev.notes { div.kv { "note: " (md(note)) } }
        @for e in &ev.exchanges { (exchange_html(e, open)) }
    }
}

/// The failures-first block: every row that keeps the run from CONFORMANT, most serious first,
/// with the contract's words, expected vs actual, the evidence and the reproduce commands open.
fn failures_html(report: &Report) -> Markup {
    let mut rows: Vec<(u8, &CheckReport)> = report.checks().filter_map(|c| severity(c).map(|s| (s, c))).collect();
    rows.sort_by_key(|(s, _)| *s);
    html! {
        section id="failures" {
            h2 { "Failures, errors and advisories (" (rows.len()) ")" }
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
fn scoreboard_html(report: &Report) -> Markup {
    let c = &report.counts;
    html! {
        section id="scoreboard" {
            h2 { "Scoreboard" }
            table {
                thead { tr { th { "suite" } th.n { "checks" } th.n { "pass" } th.n { "fail" } th.n { "advisory" } th.n { "skip" } th.n { "error" } } }
                tbody {
                    @for suite in &report.suites {
                        @let n = Report::count(&suite.checks);
                        tr data-suite=(suite.name) {
                            td { a href={ "#suite-" (suite.name) } { code { (suite.name) } } }
                            td.n { (n.total) } td.n.s-PASS { (n.pass) } td.n.s-FAIL { (n.fail) } td.n.s-ADVISORY { (n.advisory) } td.n.s-SKIP { (n.skip) } td.n.s-ERROR { (n.error) }
                        }
                        "\n"
                    }
                    tr { th { "all" } th.n { (c.total) } th.n { (c.pass) } th.n { (c.fail) } th.n { (c.advisory) } th.n { (c.skip) } th.n { (c.error) } }
                }
            }
        }
        "\n"
    }
}

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
fn coverage_html(report: &Report) -> Markup {
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

/// Declared vs discovered capabilities, one row each.
fn capabilities_html(report: &Report) -> Markup {
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

/// The profile, contract digest, harness version and options of the run.
fn run_html(report: &Report) -> Markup {
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
fn check_row(c: &CheckReport) -> Markup {
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
                        (c.skip) " skipped, " (c.error) " errors · vendor " code { (report.vendor.base_url) }
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
mod tests {
    use super::*;

    use suites::Outcome;

    /// The catalogue's first check of `level`, after `skip` of them.
    fn meta(level: Level, skip: usize) -> &'static suites::CheckMeta {
        suites::catalogue().iter().filter(|m| m.level == level).nth(skip).expect("a check of that level")
    }

    /// A run of four catalogue checks: a PASS, a MUST FAIL (vendor text with markup in it), an
    /// ERROR and a SHOULD FAIL (an advisory), in catalogue order with the PASS first.
    fn report() -> Report {
        let rows = vec![
            CheckReport::new(meta(Level::Must, 0), Outcome::pass("all good"), true, 1),
            CheckReport::new(
                meta(Level::Must, 1),
                Outcome::fail("the vendor said <script>alert(1)</script> in `name`")
                    .expected("a `name` string")
                    .actual("`null`")
                    .with_note("first seen on page 2"),
                true,
                2,
            ),
            CheckReport::new(meta(Level::Must, 2), Outcome::error("connection refused"), true, 3),
            CheckReport::new(meta(Level::Should, 0), Outcome::fail("no `Retry-After`"), true, 4),
        ];
        crate::report::sample(rows, false)
    }

    #[test]
    fn failures_come_first_open_linked_and_quoted() {
        let r = report();
        let out = render(&r);
        let verdict = out.find("id=\"verdict\"").unwrap();
        let failures = out.find("id=\"failures\"").unwrap();
        let first_pass = out.find("data-status=\"PASS\"").unwrap();
        assert!(verdict < failures && failures < first_pass, "verdict, then failures, then rows");
        let rows: Vec<&CheckReport> = r.checks().collect();
        // Most serious first: the MUST FAIL, the ERROR, the advisory; the PASS is not there.
        let at = |id: &str| out.find(&format!("data-failure-id=\"{id}\"")).unwrap_or_else(|| panic!("{id} listed"));
        assert!(at(&rows[1].id) < at(&rows[2].id) && at(&rows[2].id) < at(&rows[3].id));
        assert!(!out.contains(&format!("data-failure-id=\"{}\"", rows[0].id)));
        // The block opens with an index of its entries.
        for c in &rows[1..] {
            let link = out.find(&format!("href=\"#failure-{}\"", c.id)).unwrap();
            assert!(failures < link && link < at(&rows[1].id), "{} not in the index", c.id);
        }
        let entry = &out[at(&rows[1].id)..at(&rows[2].id)];
        assert!(entry.contains(&format!("href=\"#check-{}\"", rows[1].id)), "{entry}");
        assert!(out.contains(&format!("id=\"check-{}\"", rows[1].id)));
        // The contract's words, expected vs actual and the evidence, unfolded.
        let quote = contract::requirements::get(&rows[1].requirements[0]).unwrap();
        assert!(entry.contains(&md(quote.text).into_string()), "{entry}");
        assert!(entry.contains("expected: a <code>name</code> string"), "{entry}");
        assert!(entry.contains("actual: <code>null</code>"), "{entry}");
        assert!(entry.contains("note: first seen on page 2"), "{entry}");
        // An ERROR carries no quotes of its own: the requirements it cites are quoted.
        let error = &out[at(&rows[2].id)..at(&rows[3].id)];
        assert!(error.contains(&format!("data-quote=\"{}\"", rows[2].requirements[0])), "{error}");
    }

    #[test]
    fn the_failures_block_says_so_when_nothing_failed() {
        let mut r = report();
        r.suites[0].checks.truncate(1);
        let out = render(&r);
        assert!(out.contains("id=\"failures\""));
        assert!(!out.contains("data-failure-id"));
        assert!(out.contains("No check failed"));
        assert!(!out.contains("was interrupted"));
        // Interrupted, nothing failed among the rows that ran: the block says what is missing.
        r.interrupted = true;
        let out = render(&r);
        let block = &out[out.find("id=\"failures\"").unwrap()..out.find("id=\"scoreboard\"").unwrap()];
        assert!(block.contains("The run was interrupted"), "{block}");
    }

    #[test]
    fn vendor_text_is_escaped_and_code_spans_rendered() {
        let out = render(&report());
        assert!(!out.contains("<script"), "vendor text reached the page as markup");
        assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt; in <code>name</code>"));
        assert!(out.contains("Acme &lt;Cloud&gt;"));
        assert!(!out.contains("`name`"), "backticks printed literally");
    }

    #[test]
    fn coverage_has_a_row_per_requirement_with_its_checks_and_outcome() {
        let r = report();
        let out = render(&r);
        let coverage = &out[out.find("id=\"coverage\"").unwrap()..];
        for req in contract::requirements::all() {
            assert!(coverage.contains(&format!("id=\"req-{}\" data-requirement=\"{}\"", req.id, req.id)), "{}", req.id);
        }
        let rows: Vec<&CheckReport> = r.checks().collect();
        let row_of = |id: &str| {
            let start = coverage.find(&format!("data-requirement=\"{id}\"")).unwrap();
            &coverage[start..start + coverage[start..].find("</tr>").unwrap()]
        };
        let failed = row_of(&rows[1].requirements[0]);
        assert!(
            failed.contains("data-coverage=\"failed\"") && failed.contains(&format!("href=\"#check-{}\"", rows[1].id))
        );
        // A requirement only the PASS cites is proven (unless a failing row cites it as well).
        let only_pass = rows[0].requirements.iter().find(|id| rows[1..].iter().all(|c| !c.requirements.contains(id)));
        if let Some(id) = only_pass {
            assert!(row_of(id).contains("data-coverage=\"proven\""));
        }
        // Cited by the catalogue but not in this run: not run.
        let unrun = contract::requirements::all()
            .iter()
            .find(|q| {
                suites::catalogue().iter().any(|m| m.requirements.contains(&q.id))
                    && rows.iter().all(|c| !c.requirements.iter().any(|id| id == q.id))
            })
            .unwrap();
        assert!(row_of(unrun.id).contains("data-coverage=\"not run\""));
    }

    #[test]
    fn coverage_ranks_outcomes() {
        let rows: Vec<CheckReport> = report().suites.remove(0).checks;
        let (pass, fail, error, advisory) = (&rows[0], &rows[1], &rows[2], &rows[3]);
        let mut skip = pass.clone();
        skip.status = Status::Skip;
        assert_eq!(Coverage::of(&[pass, fail, error], true), Coverage::Failed);
        assert_eq!(Coverage::of(&[pass, error, advisory], true), Coverage::Error);
        assert_eq!(Coverage::of(&[pass, advisory], true), Coverage::Advisory);
        assert_eq!(Coverage::of(&[pass, &skip], true), Coverage::Proven);
        assert_eq!(Coverage::of(&[&skip], true), Coverage::Skipped);
        assert_eq!(Coverage::of(&[], true), Coverage::NotRun);
        assert_eq!(Coverage::of(&[], false), Coverage::NoCheck);
    }

    #[test]
    fn scoreboard_counts_each_suite() {
        let out = render(&report());
        let board = &out[out.find("id=\"scoreboard\"").unwrap()..out.find("id=\"coverage\"").unwrap()];
        // checks, pass, fail, advisory, skip, error.
        let row = &board[board.find("data-suite=\"mixed\"").unwrap()..];
        let numbers: Vec<&str> = row
            .split("<td class=\"n")
            .skip(1)
            .take(6)
            .map(|cell| cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()].trim())
            .collect();
        assert_eq!(numbers, ["4", "1", "1", "1", "0", "1"]);
    }

    #[test]
    fn the_run_names_its_contract_digest_version_and_profile() {
        let out = render(&report());
        assert!(out.contains(&format!("<code id=\"contract-digest\">{}</code>", contract_digest())));
        assert!(out.contains("<code id=\"harness-version\">9.9.9</code>"));
        assert!(out.contains("profile <code>canonical</code>"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let out = render(&report());
        assert!(out.starts_with("<!DOCTYPE html>"));
        // Text may name URLs (the vendor's, the contract's); nothing is fetched from one.
        for external in ["<script", "<link", "<img", "<iframe", "src=", "href=\"http", "@import", "url("] {
            assert!(!out.contains(external), "{external}");
        }
        // Every link is an anchor within the page, and every anchor it names exists.
        for (i, _) in out.match_indices("href=\"") {
            let target = &out[i + 6..i + 6 + out[i + 6..].find('"').unwrap()];
            let id = target.strip_prefix('#').unwrap_or_else(|| panic!("link out of the page: {target}"));
            assert!(out.contains(&format!("id=\"{id}\"")), "no anchor {target}");
        }
    }

    #[test]
    fn code_spans_split_like_commonmark() {
        use Span::{Code, Text};
        assert_eq!(
            code_spans("carries `X-Webhook-Timestamp` within"),
            [Text("carries "), Code("X-Webhook-Timestamp"), Text(" within")]
        );
        assert_eq!(code_spans("`a` and `b`"), [Code("a"), Text(" and "), Code("b")]);
        // A double run holds a single backtick; one space padding both ends is dropped.
        assert_eq!(code_spans("x `` a`b `` y"), [Text("x "), Code("a`b"), Text(" y")]);
        // An unclosed run stays text, and so does a run of another length.
        assert_eq!(code_spans("a ` b"), [Text("a ` b")]);
        assert_eq!(code_spans("a `` b ` c"), [Text("a `` b ` c")]);
        assert_eq!(code_spans("``"), [Text("``")]);
        assert_eq!(code_spans(""), []);
        // Multi-byte text around spans.
        assert_eq!(code_spans("é `ü` →"), [Text("é "), Code("ü"), Text(" →")]);
    }

    #[test]
    fn code_spans_render_as_code_and_everything_else_is_escaped() {
        assert_eq!(
            md("`<b>` & <i>`x`</i>").into_string(),
            "<code>&lt;b&gt;</code> &amp; &lt;i&gt;<code>x</code>&lt;/i&gt;"
        );
        assert_eq!(md("no `closing").into_string(), "no `closing");
    }

    #[test]
    fn the_digest_is_the_sha256_of_the_embedded_contract() {
        let d = contract_digest();
        assert_eq!(d.len(), 64);
        assert!(d.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        // SHA-256 of the empty string, so the hex formatting is known to be the digest's.
        assert_eq!(
            format!("{:x}", Sha256::digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
