//! The webhooks suite against the in-memory vendor: answers the mock vendor never gives (a
//! second delete answering 200 or 410, a list leaking secrets under another name, a vendor that
//! refuses inactive webhooks or uses status words of its own, refused control requests), and no
//! webhook secret ever in an outcome.

mod fake;

use fake::{Knobs, World};
use suites::{Outcome, Status};

/// Runs one webhooks check against a vendor with `knobs`; asserts its status, that the message
/// mentions `says`, and that no secret the vendor issued is anywhere in the outcome.
async fn check(id: &str, knobs: Knobs, status: Status, says: &str) -> Outcome {
    let world = World::new(knobs);
    let cx = world.context();
    let outcome = (suites::find(id).unwrap().run)(&cx).await;
    assert_eq!(outcome.status, status, "{id}: {outcome:#?}");
    let text = format!("{} {:?}", outcome.message, outcome.evidence.notes);
    assert!(text.contains(says), "{id}: `{says}` not in {text}");
    let everything = serde_json::to_string(&outcome).unwrap();
    for secret in world.secrets() {
        assert!(!everything.contains(&secret), "{id}: the outcome holds the secret {secret}");
    }
    outcome
}

#[tokio::test]
async fn a_second_delete_may_answer_404_or_204_or_as_idempotently_but_never_an_error() {
    let cases: &[(u16, Status, &str)] = &[
        (404, Status::Pass, "answered 404"),
        (204, Status::Pass, "answered 204"),
        (410, Status::Pass, "as idempotent"),
        (200, Status::Pass, "as idempotent"),
        (500, Status::Fail, "answered 500"),
        (400, Status::Fail, "answered 400"),
    ];
    for (again, status, says) in cases {
        let knobs = Knobs { delete_again_status: *again, ..Knobs::default() };
        check("webhooks.delete-twice", knobs, *status, says).await;
    }
}

#[tokio::test]
async fn a_secret_listed_under_another_name_fails_and_stays_out_of_the_evidence() {
    check("webhooks.create-list", Knobs::default(), Status::Pass, "without any secret").await;
    for name in ["secret", "signing_key"] {
        let knobs = Knobs { list_secret_as: Some(name), ..Knobs::default() };
        let outcome = check("webhooks.create-list", knobs, Status::Fail, "secret").await;
        assert!(!outcome.evidence.exchanges.is_empty(), "the list exchange is evidence");
    }
}

#[tokio::test]
async fn a_masked_secret_in_the_list_is_noted_not_failed() {
    // WHM-2 forbids the secret in the list, not a field named `secret`: a mask passes, with a note.
    for mask in ["whsec_****", "****"] {
        let knobs = Knobs { list_secret_mask: Some(mask), ..Knobs::default() };
        let outcome = check("webhooks.create-list", knobs, Status::Pass, "none of the run's secrets").await;
        assert!(outcome.evidence.findings.is_empty(), "{mask}: {:#?}", outcome.evidence.findings);
    }
    // The secret itself under `secret` still fails, as does a value holding it.
    let knobs = Knobs { list_secret_as: Some("secret"), ..Knobs::default() };
    let outcome = check("webhooks.create-list", knobs, Status::Fail, "shows the webhook's secret").await;
    assert!(outcome.message.contains("WHM-2"), "{}", outcome.message);
}

#[tokio::test]
async fn target_validation_needs_the_refusal_to_be_about_the_target() {
    check("webhooks.target-validation", Knobs::default(), Status::Pass, "refused with 422").await;
    let accepts = Knobs { metadata_create_status: 201, ..Knobs::default() };
    let outcome = check("webhooks.target-validation", accepts, Status::Fail, "was accepted").await;
    assert!(outcome.message.contains("WHM-3"), "{}", outcome.message);
    let crashes = Knobs { metadata_create_status: 500, ..Knobs::default() };
    let outcome = check("webhooks.target-validation", crashes, Status::Fail, "not a 4xx refusal").await;
    assert!(outcome.message.contains("WHM-3"), "{}", outcome.message);
    // A refusal that still keeps the webhook is no refusal.
    let keeps = Knobs { keep_refused: true, ..Knobs::default() };
    check("webhooks.target-validation", keeps, Status::Fail, "yet the list shows").await;
}

#[tokio::test]
async fn target_validation_sends_only_the_contracts_status_and_errors_when_its_control_is_refused() {
    // `inactive` is a value CONTRACT.md never names: a vendor refusing it is conformant, and the
    // check still judges the metadata target.
    let no_inactive = Knobs { inactive_create_status: 422, ..Knobs::default() };
    check("webhooks.target-validation", no_inactive, Status::Pass, "refused with 422").await;
    let control = Knobs { create_status: 400, ..Knobs::default() };
    check("webhooks.target-validation", control, Status::Error, "control request `POST /api/v1/webhooks` answered 400")
        .await;
    // A fresh valid token refused is the auth suite's finding (AUTH-1): this check could not test.
    let token = Knobs { create_status: 401, ..Knobs::default() };
    check("webhooks.target-validation", token, Status::Skip, "to a fresh valid token").await;
    let list = Knobs { list_status: 500, ..Knobs::default() };
    check("webhooks.target-validation", list, Status::Error, "control request `GET /api/v1/webhooks` answered 500")
        .await;
}

#[tokio::test]
async fn webhook_statuses_of_the_vendors_own_fail_nothing() {
    for word in ["ACTIVE", "enabled", "paused"] {
        let knobs = Knobs { webhook_status: word, ..Knobs::default() };
        check("webhooks.create-list", knobs.clone(), Status::Pass, "without any secret").await;
        check("webhooks.delete-twice", knobs.clone(), Status::Pass, "answered 404").await;
        check("webhooks.target-validation", knobs, Status::Pass, "refused with 422").await;
    }
}

#[tokio::test]
async fn every_failure_of_the_suite_quotes_the_contract() {
    let cases: Vec<(&str, Knobs, &str)> = vec![
        ("webhooks.delete-twice", Knobs { delete_again_status: 500, ..Knobs::default() }, "WHM-2: \"Deleting twice"),
        (
            "webhooks.create-list",
            Knobs { list_secret_as: Some("secret"), ..Knobs::default() },
            "WHM-2: \"Create returns",
        ),
        ("webhooks.create-list", Knobs { list_status: 500, ..Knobs::default() }, "WHM-2: \"Create returns"),
        ("webhooks.create-list", Knobs { create_status: 422, ..Knobs::default() }, "WHM-2: \"Create returns"),
        ("webhooks.delete", Knobs { deliver_after_delete: true, ..Knobs::default() }, "WHM-2: \"delete removes it"),
    ];
    for (id, knobs, quote) in cases {
        let outcome = check(id, knobs, Status::Fail, "").await;
        assert!(outcome.message.contains(quote), "{id}: `{quote}` not in {}", outcome.message);
        assert_eq!(fake::unquoted(&outcome.message), None, "{id}: {}", outcome.message);
    }
}

#[tokio::test]
async fn a_deleted_webhook_that_still_receives_fails_the_delete_check() {
    check("webhooks.delete", Knobs::default(), Status::Pass, "got no delivery").await;
    let haunted = Knobs { deliver_after_delete: true, ..Knobs::default() };
    let outcome = check("webhooks.delete", haunted, Status::Fail, "received 1 deliveries").await;
    assert!(outcome.evidence.findings[0].message.contains("after the webhook was deleted"));
}

#[tokio::test]
async fn webhook_tenancy_goes_through_the_profile_and_its_failure_quotes_acc_2() {
    // The fake's accounts share one webhook table: account A lists and deletes B's webhook.
    let outcome = check("auth.tenant-webhooks", Knobs::default(), Status::Fail, "reached account B's data").await;
    assert!(outcome.message.contains("ACC-2: \"A credential never reads or changes"), "{}", outcome.message);
}

#[tokio::test]
async fn a_request_the_vendor_answers_unusably_fails_quoting_what_it_serves() {
    // A redirect is the vendor's failure (its endpoints answer directly): the FAIL names the
    // requirement the request served, as every other FAIL of the suite does.
    let cases: &[(&str, &str, &str)] = &[
        ("webhooks.create-list", "POST webhooks", "WHM-2: \"Create returns a new `webhook_id`"),
        ("webhooks.create-list", "GET webhooks", "WHM-2: \"Create returns a new `webhook_id`"),
        ("webhooks.delete", "DELETE webhooks", "WHM-2: \"delete removes it"),
        ("webhooks.target-validation", "POST webhooks", "WHM-3: "),
        ("webhooks.ping", "POST webhooks/", "WHM-4: "),
    ];
    for (id, redirect, quote) in cases {
        let knobs = Knobs { redirect: Some(redirect), ..Knobs::default() };
        let outcome = check(id, knobs, Status::Fail, "answered 302").await;
        assert!(outcome.message.contains(quote), "{id} with `{redirect}` redirected: {}", outcome.message);
    }
}

#[tokio::test]
async fn a_control_request_answered_unusably_is_an_error_not_a_finding() {
    // The metadata create is refused (422); the control list then redirects: the harness could
    // not tell whether the refusal was about the target.
    let knobs = Knobs { redirect: Some("GET webhooks"), ..Knobs::default() };
    check("webhooks.target-validation", knobs, Status::Error, "control request failed").await;
}

#[tokio::test]
async fn a_discovered_webhook_list_without_a_create_is_not_applicable_but_a_declared_one_fails() {
    // WHM-1: "The three endpoints exist"; WHM-2 binds a vendor that offers them. A list found by
    // discovery with a create answering 404/405/501 offers no create: not a violation.
    for status in [404, 405, 501] {
        let world = World::new(Knobs { create_status: status, ..Knobs::default() });
        let mut cx = world.context();
        cx.declared.discovered.insert("webhook-management".into());
        for id in [
            "webhooks.create-list",
            "webhooks.delete",
            "webhooks.delete-twice",
            "webhooks.target-validation",
            "webhooks.ping",
        ] {
            let outcome = (suites::find(id).unwrap().run)(&cx).await;
            assert!(outcome.is_not_applicable(), "{id} with a create answering {status}: {outcome:#?}");
            assert!(outcome.message.contains("offers no create"), "{}", outcome.message);
            assert!(outcome.message.contains(suites::FOUND_BY_DISCOVERY), "{}", outcome.message);
        }
    }
    // Declared, the same create fails WHM-2; discovered, a create refused otherwise still fails.
    check("webhooks.create-list", Knobs { create_status: 405, ..Knobs::default() }, Status::Fail, "answered 405").await;
    let world = World::new(Knobs { create_status: 400, ..Knobs::default() });
    let mut cx = world.context();
    cx.declared.discovered.insert("webhook-management".into());
    let outcome = (suites::find("webhooks.create-list").unwrap().run)(&cx).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
}
