//! The variation matrix: the complement of the fault matrix (`faults.rs`). The fault matrix proves
//! each check *can* fail; this proves no check fails on a choice CONTRACT.md leaves to the vendor.
//!
//! One table, [`VARIATIONS`]: each legitimate variation, what it is, how it sets up the clean mock
//! (`mock_vendor::config::Variations`) and how the vendor's `vendor.toml` says so to the harness
//! (TOML merged over the demo's and read back as any `vendor.toml`, so a key the harness does not
//! know fails the cell loudly). Every variation runs in every shape (canonical, cursor, link),
//! four runs at a time, and must come out CONFORMANT, or CONFORMANT WITH ADVISORIES only where
//! the contract itself asks for the advisory (SIG-3 under a body-only signature): the exact set of
//! checks that do not pass is asserted per variation. The defaults of each knob (a page past the
//! end answered 200-empty, limits on failed authentications, the suggested family data, ...) are
//! the clean mock of the fault matrix. `VARIATION=name[,name]` runs only those rows.

mod common;

use std::collections::BTreeSet;

use futures::StreamExt as _;
use mock_vendor::config::{FamilyData, OverMax, PastEnd, RateLimitScope};
use mock_vendor::shape::Shape;
use mock_vendor::{MockConfig, RunningMock};
use suites::Status;

/// Runs in flight at once, as in the fault matrix.
const CONCURRENT_RUNS: usize = 4;

/// A choice CONTRACT.md leaves to a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variation {
    OwnFamilyData,
    RateLimitPerAccount,
    NoRateLimit,
    PastEnd404,
    OverMaxRejected,
    OverMaxClamped,
    OwnMaxPageSize,
    BodySignatures,
    OwnWebhookStatus,
    NoWebhookApi,
    NoEventCatalogue,
}

/// What a cell knows before the mock starts: where the harness's receiver will listen, for a
/// webhook registered outside the run.
#[derive(Debug, Clone)]
struct Setup {
    shape: Shape,
    receiver: std::net::SocketAddr,
}

impl Setup {
    fn receiver_url(&self) -> String {
        format!("http://{}/webhook", self.receiver)
    }
}

/// One row of the table.
struct Row {
    variation: Variation,
    name: &'static str,
    /// What the vendor does, and the CONTRACT.md text that allows it.
    description: &'static str,
    /// How the clean mock is set up.
    mock: fn(&mut MockConfig, &Setup),
    /// What the vendor's `vendor.toml` says (merged over the demo's).
    harness: fn(&Setup, &RunningMock) -> toml::Table,
    /// The checks that do not pass, how, and a phrase their message must hold (the contract's
    /// reason), because CONTRACT.md asks for exactly that; all others pass or are not applicable.
    expected: &'static [(&'static str, Status, &'static str)],
}

fn toml(text: &str) -> toml::Table {
    text.parse().unwrap_or_else(|e| panic!("bad TOML in the variation table: {e}\n{text}"))
}

fn nothing(_: &Setup, _: &RunningMock) -> toml::Table {
    toml::Table::new()
}

const VARIATIONS: &[Row] = &[
    Row {
        variation: Variation::OwnFamilyData,
        name: "own-family-data",
        description: "alarm, access and video data of its own (an access event with no `action`, alarm severity \
                      `high`), declared in its catalogue: EVT-4 \"a family's `data` is judged against that declaration\"",
        mock: |m, _| m.variations.family_data = FamilyData::Own,
        harness: nothing,
        expected: &[],
    },
    Row {
        variation: Variation::RateLimitPerAccount,
        name: "rate-limit-per-account",
        description: "limits each account's authenticated requests (429 + Retry-After), never bad credentials: \
                      AUTH-8 \"A vendor may limit per credential, per account (after authentication) ...\"",
        mock: |m, _| m.variations.rate_limit_scope = RateLimitScope::Account,
        harness: nothing,
        expected: &[],
    },
    Row {
        variation: Variation::NoRateLimit,
        name: "no-rate-limit",
        description: "no rate limit within what a test sends: AUTH-8 \"a limit that was never reached is not a \
                      violation\" (the check skips, saying so)",
        mock: |m, _| m.variations.rate_limit_scope = RateLimitScope::None,
        harness: nothing,
        expected: &[("auth.rate-limit", Status::Skip, "a limit never reached is not a violation")],
    },
    Row {
        variation: Variation::PastEnd404,
        name: "past-end-404",
        description: "a page past the end answers 404: PAGE-4 \"200 with an empty list (or a 404)\"",
        mock: |m, _| m.variations.past_end = PastEnd::NotFound,
        harness: nothing,
        expected: &[],
    },
    Row {
        variation: Variation::OverMaxRejected,
        name: "over-max-rejected",
        description: "a page size over the maximum answers 400 in every shape: PAGE-5 \"or rejected with a 4xx\"",
        mock: |m, _| m.variations.over_max = OverMax::Reject,
        harness: nothing,
        expected: &[],
    },
    Row {
        variation: Variation::OverMaxClamped,
        name: "over-max-clamped",
        description: "a page size over the maximum is clamped in every shape: PAGE-5 \"huge values are clamped, \
                      visibly in `pagination.per_page`\"",
        mock: |m, _| m.variations.over_max = OverMax::Clamp,
        harness: nothing,
        expected: &[],
    },
    Row {
        variation: Variation::OwnMaxPageSize,
        name: "own-max-page-size",
        description: "its own maximum page size, 100 (the canonical shape refuses more, the others clamp), \
                      declared as `[pagination] max_size`: PAGE-5 \"`per_page` has a maximum\"",
        mock: |m, _| m.variations.max_page_size = 100,
        harness: |_, _| toml("[profile.pagination]\nmax_size = 100"),
        expected: &[],
    },
    Row {
        variation: Variation::BodySignatures,
        name: "body-signatures",
        description: "signs the body alone (scheme `body`, the guide's default) in its own format: SIG-1 allows it, \
                      SIG-3 \"With scheme `body`, report the weakness as an advisory\"",
        mock: |m, _| {
            m.signature = contract::Scheme::Body;
            m.variations.body_only_signatures = true;
        },
        harness: |setup, _| match setup.shape {
            Shape::Canonical => toml("[webhook]\nscheme = \"body\""),
            _ => toml("[profile.signature]\nsigned_content = \"{body}\""),
        },
        expected: &[("replay.timestamp-bound", Status::Fail, "alone")],
    },
    Row {
        variation: Variation::OwnWebhookStatus,
        name: "own-webhook-status",
        description: "webhooks are created and listed with `\"status\": \"enabled\"`, `active` refused with 400: \
                      WHM-2 \"other values (paused, disabled) are the vendor's own\"",
        mock: |m, _| m.variations.webhook_status = Some("enabled".into()),
        harness: |_, _| {
            toml(
                "[profile.webhooks.create]\n\
                 body = { name = \"{name}\", target_url = \"{target_url}\", status = \"enabled\" }",
            )
        },
        expected: &[],
    },
    Row {
        variation: Variation::NoWebhookApi,
        name: "no-webhook-api",
        description: "no webhook management at all (the endpoints and ping answer 404), a webhook registered in its \
                      console: webhook management is \"nice to have: MAY as a whole\" (WHM-1)",
        mock: |m, setup| {
            m.variations.webhook_api = false;
            m.variations.registered_webhook = Some(setup.receiver_url());
        },
        harness: |setup, mock| {
            let account = &mock.credentials.accounts[0];
            let mut patch = toml(&format!(
                "[webhook]\nlisten = \"{}\"\nwebhook_id = \"{}\"\n[capabilities]\ndeclared = [\"event-types\"]",
                setup.receiver,
                account.webhook_id.as_deref().expect("the console webhook's id")
            ));
            let secret = account.webhook_secret.as_ref().expect("the console webhook's secret").expose();
            let source = toml(&format!("from = \"inline\"\nvalue = \"{secret}\""));
            patch["webhook"].as_table_mut().unwrap().insert("secret".into(), toml::Value::Table(source));
            patch
        },
        expected: &[],
    },
    Row {
        variation: Variation::NoEventCatalogue,
        name: "no-event-catalogue",
        description: "no event catalogue (404), its silent device types declared in `vendor.toml`: EVT-5 is a \
                      SHOULD, EVT-1 \"declared: in the event catalog (EVT-5) or, failing that, in the harness's \
                      vendor configuration\"",
        mock: |m, _| m.variations.event_catalogue = false,
        harness: |_, _| {
            toml("[capabilities]\ndeclared = [\"webhook-management\", \"ping\"]\nsilent_device_types = [\"sensor\"]")
        },
        expected: &[],
    },
];

/// A port free now, for a receiver the vendor's console must know before the run starts.
fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// The message of each check in a run's `report.json`.
fn messages(report_dir: &std::path::Path) -> std::collections::HashMap<String, String> {
    let text = std::fs::read_to_string(report_dir.join("report.json")).unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let checks =
        report["suites"].as_array().into_iter().flatten().flat_map(|s| s["checks"].as_array().into_iter().flatten());
    checks
        .filter_map(|c| Some((c["id"].as_str()?.to_owned(), c["message"].as_str().unwrap_or_default().to_owned())))
        .collect()
}

/// Runs one cell; `None` when it came out as its row expects, else what went wrong.
async fn cell(row: &'static Row, shape: Shape) -> Option<String> {
    let setup = Setup { shape, receiver: free_port() };
    let mock_setup = setup.clone();
    let (result, _out) =
        common::demo_run_varied(shape, |m| (row.mock)(m, &mock_setup), |mock| (row.harness)(&setup, mock)).await;
    let label = format!("{} × {shape}", row.name);
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => return Some(format!("{label}: the run did not happen: {e:#}")),
    };
    let got: BTreeSet<(String, Status)> = summary
        .outcomes
        .iter()
        .filter(|o| o.status != Status::Pass && (o.status != Status::Skip || o.applicable))
        .map(|o| (o.id.clone(), o.status))
        .collect();
    let expected: BTreeSet<(String, Status)> = row.expected.iter().map(|(id, s, _)| (id.to_string(), *s)).collect();
    let verdict = if expected.iter().any(|(_, s)| *s == Status::Fail) {
        harness::report::Verdict::ConformantWithAdvisories
    } else {
        harness::report::Verdict::Conformant
    };
    let messages = messages(&summary.report_dir);
    let off_reason: Vec<String> = row
        .expected
        .iter()
        .filter(|(id, _, phrase)| messages.get(*id).is_some_and(|m| !m.contains(phrase)))
        .map(|(id, _, phrase)| format!("    {id}: its message does not say \"{phrase}\": {}", messages[*id]))
        .collect();
    if got == expected && summary.verdict == verdict && off_reason.is_empty() {
        return None;
    }
    let mut lines = vec![format!("{label}: {} (expected {verdict})", summary.verdict)];
    lines.extend(off_reason);
    for (id, status) in got.symmetric_difference(&expected) {
        let what = if expected.contains(&(id.clone(), *status)) { "expected but not seen" } else { "unexpected" };
        let message = messages.get(id).map(String::as_str).unwrap_or("");
        lines.push(format!("    {id} {status:?} ({what}): {message}"));
    }
    Some(lines.join("\n"))
}

/// `VARIATION=name[,name]` runs only those rows (while working on what one of them needs).
fn selected(row: &Row) -> bool {
    std::env::var("VARIATION").map_or(true, |names| names.split(',').any(|n| n.trim() == row.name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_variation_in_every_shape_is_conformant() {
    let rows = VARIATIONS.iter().filter(|row| selected(row));
    let cells = rows.flat_map(|row| Shape::ALL.iter().map(move |shape| (row, *shape)));
    let wrong: Vec<String> = futures::stream::iter(cells)
        .map(|(row, shape)| cell(row, shape))
        .buffer_unordered(CONCURRENT_RUNS)
        .filter_map(|w| async move { w })
        .collect()
        .await;
    let ran = VARIATIONS.iter().filter(|row| selected(row)).count() * Shape::ALL.len();
    assert!(wrong.is_empty(), "{} of {ran} cells:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_table_is_one_row_per_variation_each_quoting_the_contract() {
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    for row in VARIATIONS {
        assert!(seen.insert(row.variation), "{:?} is in the table twice", row.variation);
        assert!(names.insert(row.name), "{} names two rows", row.name);
        assert!(row.description.contains('"'), "{}: quote the CONTRACT.md text that allows it", row.name);
        for (id, status, _) in row.expected {
            assert!(suites::find(id).is_some(), "{}: unknown check {id}", row.name);
            assert!(matches!(status, Status::Fail | Status::Skip), "{}: {id} expected {status:?}", row.name);
        }
    }
    assert_eq!(seen.len(), 11, "every variation has its row");
}

#[test]
fn every_harness_patch_is_toml_the_harness_can_merge() {
    let mut base = toml("[webhook]\nscheme = \"timestamped\"\n[profile.pagination]\nkind = \"page\"");
    common::merge_toml(&mut base, toml("[profile.pagination]\nmax_size = 100"));
    assert_eq!(base["profile"]["pagination"]["kind"].as_str(), Some("page"), "a merge keeps what it does not name");
    assert_eq!(base["profile"]["pagination"]["max_size"].as_integer(), Some(100));
}
