//! Markdown code spans for the page: the contract's and the checks' text has `code` in it,
//! rendered as `<code>` with everything else escaped.

use maud::{Markup, html};

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
