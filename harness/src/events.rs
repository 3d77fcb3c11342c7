//! The run as a stream of typed events, in the way cargo-nextest's `TestEvent` feeds its
//! reporters: the runner (and what runs under it: checks waiting, the receiver's arrivals) only
//! *sends* [`RunEvent`]s; the terminal display and the report files are [`Reporter`]s that
//! consume them, so a new output format is one reporter file and the run loop formats nothing.
//!
//! Events travel through an unbounded channel to one dispatch task that hands each to every
//! reporter in turn. A channel, not a direct call, because events come from several tasks at once
//! (the run loop, a check's wait inside its future, the delivery watcher); one task, not a
//! broadcast channel, because a broadcast drops events for a slow receiver, and a report writer
//! must never miss the end of the run. The reporters are plain `&mut self` objects: no locks.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use suites::{CheckMeta, Delivery, Verification};
use tokio::sync::mpsc;

use crate::report::{CapabilitiesReport, CheckReport, Report};

/// One thing that happened in a run, with when (since the run started).
#[derive(Debug, Clone)]
pub struct RunEvent {
    pub elapsed: Duration,
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// The checks are about to run: against whom, which, and what the vendor offers.
    RunStarted { run_id: String, vendor: String, checks: Vec<&'static CheckMeta>, capabilities: CapabilitiesReport },
    /// Check `index` (from 0, in run order) of `total` started.
    CheckStarted { index: usize, total: usize, meta: &'static CheckMeta },
    /// The running check waits for the vendor, for `what`, at most `within` (the check's own
    /// words: "attempt #3 of the health event of device …").
    Waiting { what: String, within: Duration },
    /// The receiver got a delivery.
    DeliveryReceived(DeliverySeen),
    /// A check has the receiver answer `answer` (`500`, `429`, `410`, `307`, `timeout`,
    /// `refused`) for `within`, from now: an outage window the vendor's retries should span.
    ReceiverAnswering { answer: &'static str, within: Duration },
    /// Check `index` of `total` ended with its row (the report's row as written).
    CheckFinished { index: usize, total: usize, row: Box<CheckReport> },
    /// Every check ended (or the run was stopped): the whole report, and where it goes. Always the
    /// last event.
    RunFinished { report: Box<Report>, report_dir: PathBuf },
}

/// A delivery as a display shows it: never its headers or body (they carry signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySeen {
    pub seq: u64,
    pub path: String,
    pub event_type: Option<String>,
    pub event_id: Option<String>,
    pub duplicate: bool,
    /// What the receiver answered (`None`: held open as a timeout).
    pub answered: Option<u16>,
    /// `Ok` when it verified, else why not.
    pub verified: Result<(), String>,
}

impl DeliverySeen {
    pub fn of(d: &Delivery) -> Self {
        let event_type = d.event.as_ref().and_then(|e| e.get("event_type")).and_then(|t| t.as_str()).map(String::from);
        let verified = match &d.verification {
            Verification::Valid { .. } => Ok(()),
            Verification::Invalid { reason } => Err(reason.clone()),
            Verification::NoSecret => Err("the receiver holds no secret to verify it with".into()),
        };
        Self {
            seq: d.seq,
            path: d.path.clone(),
            event_type,
            event_id: d.event_id.clone(),
            duplicate: d.duplicate,
            answered: d.answered,
            verified,
        }
    }

    /// `delivery #4 health 9f2c… answered 200, verified`.
    pub fn line(&self) -> String {
        let answered = self.answered.map_or("held open".to_owned(), |s| format!("answered {s}"));
        let verified = match &self.verified {
            Ok(()) => "verified".to_owned(),
            Err(why) => format!("not verified: {why}"),
        };
        format!(
            "delivery #{} {} {}{}, {answered}, {verified}",
            self.seq,
            self.event_type.as_deref().unwrap_or("(no event type)"),
            self.event_id.as_deref().unwrap_or("(no event id)"),
            if self.duplicate { " (duplicate)" } else { "" },
        )
    }
}

/// A consumer of the run's events: the terminal, the report files, a test's recorder.
pub trait Reporter: Send {
    /// Called for every event, in the order sent. An error (a report that cannot be written)
    /// stops that event from reaching the reporters after this one and fails the run.
    fn event(&mut self, event: &RunEvent) -> anyhow::Result<()>;
}

/// Where events are sent from; cheap to clone. Sending after the run finished does nothing.
#[derive(Debug, Clone)]
pub struct EventSink {
    started: Instant,
    tx: mpsc::UnboundedSender<RunEvent>,
}

impl EventSink {
    pub fn send(&self, kind: EventKind) {
        let _ = self.tx.send(RunEvent { elapsed: self.started.elapsed(), kind });
    }
}

/// The dispatch task: ends after `RunFinished` (or when every sink is gone) with the first
/// reporter error, if any.
#[derive(Debug)]
pub struct Dispatcher(tokio::task::JoinHandle<anyhow::Result<()>>);

impl Dispatcher {
    /// Waits until every event sent so far reached every reporter.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.0.await.map_err(|e| anyhow::anyhow!("a reporter panicked: {e}"))?
    }
}

/// Starts dispatching to `reporters`, in their order.
pub fn dispatch(started: Instant, mut reporters: Vec<Box<dyn Reporter>>) -> (EventSink, Dispatcher) {
    let (tx, mut rx) = mpsc::unbounded_channel::<RunEvent>();
    let task = tokio::spawn(async move {
        let mut first_error = None;
        while let Some(event) = rx.recv().await {
            for reporter in &mut reporters {
                if let Err(e) = reporter.event(&event) {
                    first_error.get_or_insert(e);
                    break;
                }
            }
            if matches!(event.kind, EventKind::RunFinished { .. }) {
                break;
            }
        }
        first_error.map_or(Ok(()), Err)
    });
    (EventSink { started, tx }, Dispatcher(task))
}

/// Watches the receiver's inbox and sends a [`EventKind::DeliveryReceived`] for each new
/// delivery. It waits through `Inbox::wait_for` (woken by each arrival, no polling): the inbox
/// trait is the one public way to hear of arrivals. Abort the task to stop it.
pub fn watch_deliveries(inbox: std::sync::Arc<dyn suites::Inbox>, sink: EventSink) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let more = move |all: &[Delivery]| all.len() > seen;
            if !inbox.wait_for(&more, Duration::from_secs(3600)).await {
                continue;
            }
            let all = inbox.deliveries();
            for d in all.iter().skip(seen) {
                sink.send(EventKind::DeliveryReceived(DeliverySeen::of(d)));
            }
            seen = all.len();
        }
    })
}

/// The run's inbox as the checks see it, telling the reporters the moment a check sets an answer
/// window ([`EventKind::ReceiverAnswering`]); everything else passes through unchanged.
#[derive(Debug)]
pub struct ObservedInbox {
    inner: std::sync::Arc<dyn suites::Inbox>,
    sink: EventSink,
}

impl ObservedInbox {
    pub fn new(inner: std::sync::Arc<dyn suites::Inbox>, sink: EventSink) -> Self {
        Self { inner, sink }
    }
}

#[async_trait::async_trait]
impl suites::Inbox for ObservedInbox {
    fn public_url(&self) -> String {
        self.inner.public_url()
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries()
    }

    async fn wait_for(&self, done: &(dyn for<'d> Fn(&'d [Delivery]) -> bool + Send + Sync), within: Duration) -> bool {
        self.inner.wait_for(done, within).await
    }

    fn answer_for(&self, answer: suites::ReceiverAnswer, window: Duration) {
        self.inner.answer_for(answer, window);
        if answer != suites::ReceiverAnswer::Ok {
            self.sink.send(EventKind::ReceiverAnswering {
                answer: crate::report::timeline::answer_label(answer),
                within: window,
            });
        }
    }

    fn fetches(&self) -> Vec<suites::Fetch> {
        self.inner.fetches()
    }

    fn add_secret(&self, secret: contract::Secret) {
        self.inner.add_secret(secret)
    }

    async fn post_to_self(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String> {
        self.inner.post_to_self(headers, body).await
    }

    fn verify_with(
        &self,
        delivery: &Delivery,
        format: &contract::SignatureFormat,
        secret: Option<&contract::Secret>,
    ) -> Verification {
        self.inner.verify_with(delivery, format, secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<String>>>, bool);

    impl Reporter for Recorder {
        fn event(&mut self, event: &RunEvent) -> anyhow::Result<()> {
            if self.1 {
                anyhow::bail!("disk full");
            }
            let name = match &event.kind {
                EventKind::Waiting { what, .. } => what.clone(),
                other => format!("{other:?}").chars().take(12).collect(),
            };
            self.0.lock().unwrap().push(name);
            Ok(())
        }
    }

    #[tokio::test]
    async fn events_reach_every_reporter_in_order_and_a_failing_one_fails_the_run() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (sink, dispatcher) = dispatch(Instant::now(), vec![Box::new(Recorder(seen.clone(), false))]);
        for what in ["a", "b", "c"] {
            sink.send(EventKind::Waiting { what: what.into(), within: Duration::from_secs(1) });
        }
        drop(sink);
        dispatcher.finish().await.unwrap();
        assert_eq!(*seen.lock().unwrap(), ["a", "b", "c"]);

        let after = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reporters: Vec<Box<dyn Reporter>> =
            vec![Box::new(Recorder(seen.clone(), true)), Box::new(Recorder(after.clone(), false))];
        let (sink, dispatcher) = dispatch(Instant::now(), reporters);
        sink.send(EventKind::Waiting { what: "x".into(), within: Duration::from_secs(1) });
        drop(sink);
        let error = dispatcher.finish().await.unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert!(after.lock().unwrap().is_empty(), "a reporter after a failing one does not get that event");
    }
}
