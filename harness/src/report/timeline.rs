//! The picture of delivery: each observed event's attempts against time, marked with what the
//! receiver answered, and the windows in which a check had the receiver fail on purpose (an
//! outage, 429s, held requests, refused connections). Built from the receiver's record at the
//! end of a run ([`DeliveryTimeline::from_deliveries`]) and drawn as inline SVG in report.html
//! ([`svg`]), so the retry schedule a vendor really runs is seen at a glance.

use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use suites::{Delivery, ReceiverAnswer, Verification};

/// Events drawn at most; the others are counted.
pub const MAX_EVENTS: usize = 40;
/// Attempts drawn per event at most.
pub const MAX_ATTEMPTS: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryTimeline {
    /// The events drawn: those retried first (they show the schedule), then the others, each
    /// group in order of first arrival.
    pub events: Vec<TimelineEvent>,
    /// Events observed beyond [`MAX_EVENTS`].
    pub events_left_out: usize,
    /// The windows checks set, in order.
    pub windows: Vec<AnswerWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    pub attempts: Vec<TimelineAttempt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineAttempt {
    /// Milliseconds since the run started.
    pub at_ms: i64,
    /// The receiver's answer; `None` when it held the request open (a timeout).
    pub answered: Option<u16>,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerWindow {
    /// `500`, `429`, `410`, `307`, `timeout` or `refused`.
    pub answer: String,
    /// Milliseconds since the run started.
    pub from_ms: i64,
    pub to_ms: i64,
}

impl DeliveryTimeline {
    /// The timeline of `deliveries` and the receiver's answer `windows` (unix ms), with times
    /// counted from `origin_ms` (unix ms, the run's start).
    pub fn from_deliveries(deliveries: &[Delivery], windows: &[(ReceiverAnswer, i64, i64)], origin_ms: i64) -> Self {
        let mut events: Vec<TimelineEvent> = Vec::new();
        // Each event id's place in `events`: a long run records thousands of deliveries.
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for d in deliveries {
            let Some(id) = &d.event_id else { continue };
            let attempt = TimelineAttempt {
                at_ms: d.received_at_ms - origin_ms,
                answered: d.answered,
                verified: matches!(d.verification, Verification::Valid { .. }),
            };
            match at.get(id.as_str()) {
                Some(&i) => events[i].attempts.push(attempt),
                None => {
                    at.insert(id, events.len());
                    events.push(TimelineEvent {
                        event_id: id.clone(),
                        event_type: d
                            .event
                            .as_ref()
                            .and_then(|e| e.get("event_type"))
                            .and_then(|t| t.as_str())
                            .map(str::to_owned),
                        attempts: vec![attempt],
                    })
                }
            }
        }
        // Stable: each group keeps the order of first arrival.
        events.sort_by_key(|e| e.attempts.len() < 2);
        let events_left_out = events.len().saturating_sub(MAX_EVENTS);
        events.truncate(MAX_EVENTS);
        for e in &mut events {
            e.attempts.truncate(MAX_ATTEMPTS);
        }
        let windows = windows
            .iter()
            .map(|(answer, from, to)| AnswerWindow {
                answer: answer_label(*answer).to_owned(),
                from_ms: from - origin_ms,
                to_ms: to - origin_ms,
            })
            .collect();
        Self { events, events_left_out, windows }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.windows.is_empty()
    }
}

/// The short name of a receiver answer, as the timeline and the live view show it.
pub fn answer_label(answer: ReceiverAnswer) -> &'static str {
    match answer {
        ReceiverAnswer::Ok => "200",
        ReceiverAnswer::ServerError => "500",
        ReceiverAnswer::Timeout => "timeout",
        ReceiverAnswer::TooManyRequests { .. } => "429",
        ReceiverAnswer::Gone => "410",
        ReceiverAnswer::Refuse => "refused",
        ReceiverAnswer::Redirect => "307",
    }
}

/// The class (and legend entry) of an attempt's mark.
fn mark_class(a: &TimelineAttempt) -> &'static str {
    match a.answered {
        None => "m-timeout",
        Some(200..=299) => "m-ok",
        Some(401) => "m-unsigned",
        Some(410) => "m-gone",
        Some(429) => "m-429",
        Some(300..=399) => "m-redirect",
        Some(_) => "m-error",
    }
}

const LEGEND: &[(&str, &str)] = &[
    ("m-ok", "2xx"),
    ("m-error", "5xx, other"),
    ("m-timeout", "held open (timeout)"),
    ("m-429", "429"),
    ("m-gone", "410"),
    ("m-redirect", "3xx"),
    ("m-unsigned", "401 (signature invalid)"),
];

const LABEL_W: f64 = 230.0;
const PLOT_W: f64 = 700.0;
const ROW_H: f64 = 18.0;
const AXIS_H: f64 = 24.0;

/// The timeline as inline SVG with a legend; nothing when the run observed no delivery.
pub fn svg(t: &DeliveryTimeline) -> Markup {
    if t.is_empty() {
        return html! {};
    }
    let times = t.events.iter().flat_map(|e| e.attempts.iter().map(|a| a.at_ms));
    let bounds = times.chain(t.windows.iter().flat_map(|w| [w.from_ms, w.to_ms]));
    let (lo, hi) = bounds.fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1000) as f64;
    let x = |ms: i64| LABEL_W + (ms - lo) as f64 / span * PLOT_W;
    let height = AXIS_H + ROW_H * t.events.len().max(1) as f64 + 8.0;
    let width = LABEL_W + PLOT_W + 20.0;
    let step = tick_step(span);
    let first_tick = (lo as f64 / step).ceil() as i64;
    let ticks: Vec<i64> = (first_tick..).map(|k| (k as f64 * step) as i64).take_while(|ms| *ms <= hi).collect();
    html! {
        section id="delivery-timeline" {
            h2 { "Delivery timeline" }
            p.meta {
                "Each observed event's attempts against time since the run started, marked with the receiver's answer; "
                "shaded: the windows in which a check had the receiver fail on purpose. "
                @if t.events_left_out > 0 { (t.events_left_out) " more events not drawn." }
            }
            svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } role="img" aria-label="delivery timeline" {
                @for w in &t.windows {
                    rect class={ "w w-" (w.answer) } x=(fmt(x(w.from_ms))) y="0" width=(fmt((x(w.to_ms) - x(w.from_ms)).max(1.0))) height=(height) {
                        title { "receiver answered " (w.answer) " from " (secs(w.from_ms)) " to " (secs(w.to_ms)) }
                    }
                }
                @for ms in &ticks {
                    line.tick x1=(fmt(x(*ms))) x2=(fmt(x(*ms))) y1="14" y2=(height) {}
                    text.axis x=(fmt(x(*ms))) y="11" { (secs(*ms)) }
                }
                @for (i, e) in t.events.iter().enumerate() {
                    @let y = AXIS_H + ROW_H * i as f64 + ROW_H / 2.0;
                    text.label x="4" y=(fmt(y + 4.0)) {
                        (e.event_type.as_deref().unwrap_or("event")) " " (short(&e.event_id))
                        title { (e.event_id) }
                    }
                    @if let (Some(first), Some(last)) = (e.attempts.first(), e.attempts.last()) {
                        line.span x1=(fmt(x(first.at_ms))) x2=(fmt(x(last.at_ms))) y1=(fmt(y)) y2=(fmt(y)) {}
                    }
                    @for (n, a) in e.attempts.iter().enumerate() {
                        circle class=(mark_class(a)) cx=(fmt(x(a.at_ms))) cy=(fmt(y)) r="5" {
                            title {
                                "attempt " (n + 1) " at " (secs(a.at_ms)) ": "
                                (a.answered.map_or("held open".to_owned(), |s| s.to_string()))
                                @if !a.verified { ", not verified" }
                            }
                        }
                    }
                }
            }
            p.legend {
                @for (class, label) in LEGEND {
                    span.key { svg width="12" height="12" { circle class=(class) cx="6" cy="6" r="5" {} } " " (label) }
                }
                span.key { span.swatch {} " outage window (500, 429, 410, timeout, refused)" }
            }
        }
    }
}

/// Tick spacing in ms: about eight ticks over `span`.
fn tick_step(span: f64) -> f64 {
    [100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 30_000.0, 60_000.0, 300_000.0, 600_000.0, 3_600_000.0]
        .into_iter()
        .find(|s| span / s <= 10.0)
        .unwrap_or(3_600_000.0)
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn secs(ms: i64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// An event id cut for a label (the whole id is in the mark's title).
fn short(id: &str) -> String {
    match id.char_indices().nth(12) {
        Some((i, _)) => format!("{}…", &id[..i]),
        None => id.to_owned(),
    }
}

/// The timeline's styles, part of report.html's inline CSS.
pub const CSS: &str = "
#delivery-timeline svg{background:#fff;border-radius:6px;max-width:100%;height:auto}
#delivery-timeline .label{font:11px ui-monospace,monospace;fill:#1d232a}
#delivery-timeline .axis{font:10px system-ui,sans-serif;fill:#5b6470;text-anchor:middle}
#delivery-timeline .tick{stroke:#eef0f3}
#delivery-timeline .span{stroke:#c9ced6;stroke-width:2}
.w{fill:#b3261e;opacity:.10}.w-429{fill:#9a6b00}.w-timeout{fill:#5b6470}.w-410{fill:#6a3fb3}.w-refused{fill:#1d232a}
.m-ok{fill:#1f7a3a}.m-error{fill:#b3261e}.m-timeout{fill:#fff;stroke:#5b6470;stroke-width:2}.m-429{fill:#d08700}
.m-gone{fill:#6a3fb3}.m-redirect{fill:#2456a6}.m-unsigned{fill:#fff;stroke:#b3261e;stroke-width:2}
.legend .key{margin-right:14px;white-space:nowrap}.legend svg{vertical-align:middle}
.legend .swatch{display:inline-block;width:14px;height:10px;background:#b3261e;opacity:.25;vertical-align:middle}
";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivery(seq: u64, at: i64, id: &str, answered: Option<u16>, valid: bool) -> Delivery {
        Delivery {
            seq,
            received_at_ms: at,
            headers: Vec::new(),
            body: String::new(),
            body_bytes: 0,
            verification: if valid {
                Verification::Valid { timestamp: None }
            } else {
                Verification::Invalid { reason: "x".into() }
            },
            event: Some(json!({"event_id": id, "event_type": "device.health"})),
            event_id: Some(id.into()),
            duplicate: false,
            answered,
            path: "/webhook".into(),
        }
    }

    #[test]
    fn retried_events_come_first_with_every_attempt_and_the_windows() {
        let origin = 1_000_000;
        let deliveries = [
            delivery(0, origin + 100, "once", Some(200), true),
            delivery(1, origin + 200, "retried", Some(500), true),
            delivery(2, origin + 1200, "retried", None, true),
            delivery(3, origin + 3200, "retried", Some(200), true),
        ];
        let windows = [(ReceiverAnswer::ServerError, origin + 150, origin + 1000)];
        let t = DeliveryTimeline::from_deliveries(&deliveries, &windows, origin);
        assert_eq!(t.events[0].event_id, "retried");
        assert_eq!(t.events[0].attempts.iter().map(|a| a.at_ms).collect::<Vec<_>>(), [200, 1200, 3200]);
        assert_eq!(t.events[1].event_id, "once");
        assert_eq!(t.windows, [AnswerWindow { answer: "500".into(), from_ms: 150, to_ms: 1000 }]);
        let html = svg(&t).into_string();
        assert!(html.contains("id=\"delivery-timeline\""), "{html}");
        assert_eq!(html.matches("<circle class=\"m-").count() - LEGEND.len(), 4, "a mark per attempt: {html}");
        assert!(html.contains("class=\"m-timeout\"") && html.contains("class=\"m-error\""));
        assert!(html.contains("class=\"w w-500\""), "the outage window is shaded: {html}");
        assert!(html.contains("attempt 2 at 1.2 s: held open"), "{html}");
    }

    #[test]
    fn nothing_is_drawn_without_deliveries_and_events_are_bounded() {
        assert!(svg(&DeliveryTimeline::default()).into_string().is_empty());
        let many: Vec<Delivery> =
            (0..MAX_EVENTS as u64 + 5).map(|i| delivery(i, 10 + i as i64, &format!("e{i}"), Some(200), true)).collect();
        let t = DeliveryTimeline::from_deliveries(&many, &[], 0);
        assert_eq!((t.events.len(), t.events_left_out), (MAX_EVENTS, 5));
        assert!(svg(&t).into_string().contains("5 more events not drawn"));
    }

    #[test]
    fn vendor_text_in_ids_is_escaped() {
        let t = DeliveryTimeline::from_deliveries(&[delivery(0, 5, "<script>x</script>", Some(200), true)], &[], 0);
        let html = svg(&t).into_string();
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"), "{html}");
    }
}
