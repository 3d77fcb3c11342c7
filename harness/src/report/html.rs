//! `report.html`: one self-contained file (inline CSS, no script, no external asset) that opens
//! offline. Every piece of text from the vendor or the run is escaped. The verdict element has
//! `id="verdict"` and each check row `data-check-id`, so a headless browser can assert on them.

use std::fmt::Write as _;

use suites::{Exchange, Status};

use super::{CheckReport, Report, Verdict};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 8px}
.banner{padding:18px 22px;border-radius:8px;color:#fff;font-size:22px;font-weight:700}
.v-conformant{background:#1f7a3a}.v-advisories{background:#9a6b00}.v-not{background:#b3261e}.v-incomplete{background:#5b6470}
.meta{color:#4a5360;margin:10px 0 0}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:6px;overflow:hidden}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600}
.s{font-weight:700;white-space:nowrap}.s-PASS{color:#1f7a3a}.s-FAIL{color:#b3261e}.s-ADVISORY{color:#9a6b00}.s-SKIP{color:#5b6470}.s-ERROR{color:#6a3fb3}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f0f2f5;padding:8px;border-radius:4px;overflow:auto;max-height:320px;white-space:pre-wrap;word-break:break-all}
details{margin-top:6px} summary{cursor:pointer;color:#2456a6}
.kv{color:#4a5360}
blockquote.req{margin:6px 0;padding:4px 10px;border-left:3px solid #b3261e;background:#fbf3f2;color:#3a2a28}
.partial{margin:10px 0 0;padding:8px 12px;background:#fff4d6;border-radius:6px}
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
    escape(&serde_json::to_string_pretty(v).unwrap_or_default())
}

fn exchange_html(out: &mut String, e: &Exchange) {
    let status = e.status.map_or("no answer".to_owned(), |s| s.to_string());
    let _ =
        write!(out, "<details><summary>{} {} &rarr; {}</summary>", escape(&e.method), escape(&e.url), escape(&status));
    let mut text = String::new();
    for (k, v) in &e.request_headers {
        let _ = writeln!(text, "> {k}: {v}");
    }
    if let Some(token) = &e.token {
        let _ = writeln!(text, "> token header: {}", token.header);
        let _ = writeln!(text, "> token claims: {}  (signature {})", token.claims, token.signature);
    }
    if let Some(body) = &e.request_body {
        let _ = writeln!(text, "> {body}");
    }
    for (k, v) in &e.response_headers {
        let _ = writeln!(text, "< {k}: {v}");
    }
    if let Some(body) = &e.body_excerpt {
        let _ = writeln!(
            text,
            "<\n{body}{}",
            if e.truncated { format!("\n[... {} bytes in all]", e.body_bytes) } else { String::new() }
        );
    }
    if let Some(err) = &e.error {
        let _ = writeln!(text, "error: {err}");
    }
    for note in &e.notes {
        let _ = writeln!(text, "note: {note}");
    }
    let _ = write!(
        out,
        "<pre>{}</pre><div class=\"kv\">reproduce:</div><pre>{}</pre></details>",
        escape(&text),
        escape(&e.reproduce)
    );
}

fn check_row(out: &mut String, c: &CheckReport) {
    let label = outcome_label(c);
    let _ = write!(
        out,
        "<tr data-check-id=\"{id}\" data-status=\"{label}\"><td class=\"s s-{label}\">{label}</td><td><code>{id}</code><br>{title}</td><td>{level}</td><td>{reqs}</td><td>{msg}",
        id = escape(&c.id),
        title = escape(&c.title),
        level = c.level,
        reqs = escape(&c.requirements.join(", ")),
        msg = escape(&c.message),
    );
    for q in &c.contract {
        let _ = write!(
            out,
            "<blockquote class=\"req\" data-requirement=\"{id}\"><strong>{id}</strong> ({level}): {text}</blockquote>",
            id = escape(&q.id),
            level = escape(&q.level),
            text = escape(&q.text)
        );
    }
    if let Some(e) = &c.expected {
        let _ = write!(out, "<div class=\"kv\">expected: {}</div>", escape(e));
    }
    if let Some(a) = &c.actual {
        let _ = write!(out, "<div class=\"kv\">actual: {}</div>", escape(a));
    }
    let ev = &c.evidence;
    if !ev.findings.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} finding(s), first {} shown</summary>",
            ev.total_findings,
            ev.findings.len()
        );
        for f in &ev.findings {
            let pointer = if f.pointer.is_empty() { "/" } else { &f.pointer };
            let _ = write!(
                out,
                "<div>{} at <code>{}</code>: {}</div>",
                escape(&f.subject),
                escape(pointer),
                escape(&f.message)
            );
            if let Some(record) = &f.record {
                let _ = write!(out, "<pre>{}</pre>", json(record));
            }
        }
        out.push_str("</details>");
    }
    for note in &ev.notes {
        let _ = write!(out, "<div class=\"kv\">note: {}</div>", escape(note));
    }
    for e in &ev.exchanges {
        exchange_html(out, e);
    }
    out.push_str("</td></tr>\n");
}

/// Declared vs discovered capabilities, one row each.
fn capabilities_html(out: &mut String, report: &Report) {
    let caps = &report.capabilities;
    if caps.capabilities.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"capabilities\">Capabilities: declared vs discovered</h2>\n<table><thead><tr><th>capability</th><th>declared</th><th>discovered</th><th>checks ran</th><th>probe</th></tr></thead><tbody>\n");
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    for c in &caps.capabilities {
        let _ = writeln!(
            out,
            "<tr data-capability=\"{name}\"><td><code>{name}</code></td><td>{declared}</td><td>{discovered}</td><td>{used}</td><td>{detail}</td></tr>",
            name = escape(&c.name),
            declared = yes_no(c.declared),
            discovered = c.discovered.map_or("not probed", yes_no),
            used = if c.discovered_only() { "yes (discovered only)" } else { yes_no(c.used) },
            detail = escape(&c.detail),
        );
    }
    out.push_str("</tbody></table>\n");
    if !caps.event_families.is_empty() {
        let _ =
            writeln!(out, "<p class=\"meta\">Event families declared: {}</p>", escape(&caps.event_families.join(", ")));
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Conformance report: {name}</title><style>{CSS}</style></head><body><main>\n<h1>Conformance report: {name}</h1>\n<div id=\"verdict\" class=\"banner {class}\">{verdict}</div>\n<p class=\"meta\">Vendor <code>{url}</code> &middot; profile <code>{profile}</code> &middot; signature scheme <code>{scheme}</code> &middot; run <code>{run}</code> &middot; {started} &middot; {total} checks: {pass} passed, {fail} failed, {adv} advisories, {skip} skipped, {err} errors</p>\n",
        name = escape(&report.vendor.name),
        class = verdict_class(report.verdict),
        verdict = escape(&report.headline()),
        url = escape(&report.vendor.base_url),
        profile = escape(&report.vendor.profile),
        scheme = escape(&report.vendor.signature_scheme),
        run = escape(&report.run_id),
        started = escape(&report.started_at),
        total = c.total,
        pass = c.pass,
        fail = c.fail,
        adv = c.advisory,
        skip = c.skip,
        err = c.error,
    );
    if report.partial {
        out.push_str("<p class=\"partial\" id=\"partial\">A partial run: only the selected checks ran, and the verdict speaks for them alone.</p>\n");
    }
    capabilities_html(&mut out, report);
    for suite in &report.suites {
        let _ = write!(
            out,
            "<h2 id=\"suite-{n}\">Suite <code>{n}</code></h2><p class=\"meta\">{d}</p>\n<table><thead><tr><th>outcome</th><th>check</th><th>level</th><th>requirements</th><th>details and evidence</th></tr></thead><tbody>\n",
            n = escape(&suite.name),
            d = escape(&suite.description)
        );
        for check in &suite.checks {
            check_row(&mut out, check);
        }
        out.push_str("</tbody></table>\n");
    }
    let failing = report.checks().filter(|c| c.status == Status::Fail).count();
    let _ = write!(
        out,
        "<p class=\"meta\">{failing} failing check(s). Reproduce commands fetch a fresh token with <code>harness token</code>; no secret is in this file.</p>\n</main></body></html>\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
