//! The page's tests: failures first, escaping, coverage, the scoreboard, self-containment.

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
    crate::report::example(rows, false)
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
    assert!(failed.contains("data-coverage=\"failed\"") && failed.contains(&format!("href=\"#check-{}\"", rows[1].id)));
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
    assert_eq!(contract::sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
