//! No webhook secret reaches a report, even when the vendor shows secrets where it must not:
//! the webhooks suite redacts every secret-like value from the exchanges it keeps as evidence.

mod common;

use common::{demo_run, files_under};
use mock_vendor::Fault;
use suites::Status;

/// The mock issues `whsec_` and 32 letters or digits.
fn holds_a_secret(text: &str) -> Option<String> {
    text.match_indices("whsec_").find_map(|(at, _)| {
        let tail: String = text[at + 6..].chars().take_while(char::is_ascii_alphanumeric).collect();
        (tail.len() >= 32).then(|| format!("whsec_{tail}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_shows_secrets_leaves_none_in_the_reports() {
    let (summary, _out) = demo_run(vec![Fault::SecretInList]).await;
    assert_eq!(summary.with_status(Status::Fail), ["webhooks.create-list"]);
    let files = files_under(&summary.report_dir);
    assert!(files.iter().any(|f| f.ends_with("evidence/webhooks.create-list.json")), "{files:?}");
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_eq!(holds_a_secret(&text), None, "{} holds a webhook secret", file.display());
    }
}

#[test]
fn secrets_are_recognised() {
    assert!(holds_a_secret(r#"{"secret":"whsec_0123456789abcdefABCDEF0123456789"}"#).is_some());
    assert_eq!(holds_a_secret(r#"{"secret":"[redacted]","note":"whsec_short"}"#), None);
}
