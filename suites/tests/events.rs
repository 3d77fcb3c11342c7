//! The events suite against the in-memory vendor: an event that misreports the new status, and
//! the catalogue's silent types honoured.

mod fake;

use fake::{Knobs, World};
use suites::Status;

#[tokio::test]
async fn a_health_event_must_carry_the_status_that_was_set() {
    let world = World::new(Knobs::default());
    let cx = world.context();
    let outcome = (suites::find("events.health").unwrap().run)(&cx).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome.message.contains("(camera)"), "only the camera publishes: {}", outcome.message);
    assert!(outcome.evidence.notes.iter().any(|n| n.contains("declared silent (not checked): sensor")));

    let world = World::new(Knobs { health_status_override: Some("degraded"), ..Knobs::default() });
    let cx = world.context();
    let outcome = (suites::find("events.health").unwrap().run)(&cx).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert_eq!(outcome.evidence.findings[0].pointer, "/data/status");
    assert!(outcome.evidence.findings[0].message.contains("the event says degraded"));
}

#[tokio::test]
async fn envelopes_and_ids_are_judged_over_the_run_s_events() {
    let world = World::new(Knobs::default());
    let cx = world.context();
    for id in ["events.families", "events.envelope", "events.ids-resolve"] {
        let outcome = (suites::find(id).unwrap().run)(&cx).await;
        assert_eq!(outcome.status, Status::Pass, "{id}: {outcome:#?}");
    }
}
