//! `suites/CHECKS.md` is `harness list --format markdown`, kept current by this test.
//! Run with `UPDATE_CHECKS_MD=1` to rewrite it.

#[test]
fn checks_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../suites/CHECKS.md");
    let expected = harness::cli::list::render(harness::cli::list::Format::Markdown);
    if std::env::var_os("UPDATE_CHECKS_MD").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == expected,
        "suites/CHECKS.md is stale: run `UPDATE_CHECKS_MD=1 cargo test -p harness --test catalogue`"
    );
}

#[test]
fn every_list_format_names_every_check() {
    use harness::cli::list::{Format, render};
    for format in [Format::Table, Format::Markdown, Format::Json] {
        let out = render(format);
        for meta in suites::catalogue() {
            assert!(out.contains(meta.id), "{format:?} misses {}", meta.id);
        }
    }
}
