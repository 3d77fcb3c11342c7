//! A row's evidence as the page shows it: the contract's words, expected vs actual, findings,
//! notes and every exchange with its reproduce command.

use maud::{Markup, html};
use suites::Exchange;

use super::{CheckReport, Quote, json, md};

/// One request and its answer; `open` shows it unfolded.
pub(super) fn exchange_html(e: &Exchange, open: bool) -> Markup {
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
pub(super) fn details_html(c: &CheckReport, quotes: &[Quote], open: bool) -> Markup {
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
