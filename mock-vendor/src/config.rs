//! How a mock vendor is set up: fleet, seed, retry schedule, signature scheme, [`Shape`], faults,
//! limits, and the legitimate choices the contract leaves to a vendor (its [`Variations`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use contract::{EventFamily, Scheme, SigEncoding, SignatureFormat, TokenPolicy};
use serde_json::{Value, json};

use crate::fault::Fault;
use crate::fleet::FleetSpec;

/// How the mock vendor shapes its data on the wire (the crate's `shape` module serves each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Shape {
    /// CONTRACT.md exactly.
    #[default]
    Canonical,
    /// Cursor tokens and camelCase envelopes (Eagle Eye Networks v3, Verkada).
    Cursor,
    /// Root arrays and `Link` header pagination (Cisco Meraki).
    Link,
}

impl Shape {
    pub const ALL: &'static [Shape] = &[Shape::Canonical, Shape::Cursor, Shape::Link];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::Cursor => "cursor",
            Self::Link => "link",
        }
    }

    /// How this shape signs deliveries. `scheme` (`--signature`) only matters to the canonical
    /// shape: the others have one fixed format each, whatever the scheme.
    pub fn signature_format(self, scheme: Scheme) -> SignatureFormat {
        let format =
            |header: &str, value_template: &str, encoding, signed_content: &str, timestamp_header| SignatureFormat {
                header: header.to_owned(),
                value_template: value_template.to_owned(),
                encoding,
                signed_content: signed_content.to_owned(),
                timestamp_header,
                tolerance_secs: Some(contract::signature::DEFAULT_TOLERANCE_SECS),
                value_separator: None,
            };
        match self {
            Self::Canonical => SignatureFormat::canonical(scheme),
            // Verkada's format: the timestamp rides in the signature header, none of its own.
            Self::Cursor => format("X-Vendor-Signature", "{ts}|{sig}", SigEncoding::Hex, "{body}|{ts}", None),
            Self::Link => {
                let sent_at = Some("X-Sent-At".to_owned());
                format("X-Signature", "sha256={sig}", SigEncoding::Base64, "{ts}.{body}", sent_at)
            }
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|shape| shape.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|s| s.name()).collect();
            format!("unknown shape `{s}` (expected one of {})", names.join(", "))
        })
    }
}

/// Bursts answered 429 + `Retry-After` (AUTH-8): failed authentications, or an account's
/// authenticated requests, as [`RateLimitScope`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests tolerated per window...
    pub max_failures: u32,
    /// ...of this length...
    pub window: Duration,
    /// ...after which `Retry-After` tells the client how long to wait.
    pub retry_after_secs: u64,
}

/// Whose requests a rate limit counts (AUTH-8 lets a vendor choose, or limit nothing at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitScope {
    /// Failed authentications, whoever sends them (the mock's default).
    #[default]
    FailedAuth,
    /// Each account's authenticated requests, after authentication (bad tokens are never limited).
    Account,
    /// No limit at all within what a test sends.
    None,
}

/// Alarm, access and video `data`: the attributes the project suggests (`schemas/event-data-*.json`)
/// or the vendor's own, declared in its catalogue (EVT-4, EVT-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FamilyData {
    #[default]
    Suggested,
    /// An access event with no `action`, alarm `severity` `high`, video attributes of its own.
    Own,
}

impl FamilyData {
    /// The `data` this vendor's events of `family` carry instead of the suggested attributes, or
    /// `None` to keep them (health and ping data are the contract's own: never replaced).
    pub fn data(self, family: EventFamily) -> Option<Value> {
        if self == Self::Suggested {
            return None;
        }
        match family {
            EventFamily::Alarm => Some(json!({"condition": "intrusion", "severity": "high", "zone_name": "Lobby"})),
            EventFamily::Access => Some(json!({"door_state": "forced_open", "badge": "0042"})),
            EventFamily::Video => Some(json!({"stream": "main", "issue": "signal_lost", "recording": false})),
            EventFamily::Health | EventFamily::Ping => None,
        }
    }

    /// The `data_schema` the event catalogue declares for `family` when its data is the vendor's
    /// own (EVT-5): what [`FamilyData::data`] serves satisfies it.
    pub fn schema(self, family: EventFamily) -> Option<Value> {
        let object = |required: &[&str], properties: Value| json!({"type": "object", "required": required, "properties": properties});
        self.data(family)?;
        Some(match family {
            EventFamily::Alarm => object(
                &["condition", "severity"],
                json!({"condition": {"type": "string"}, "severity": {"enum": ["low", "medium", "high"]},
                       "zone_name": {"type": "string"}}),
            ),
            EventFamily::Access => object(
                &["door_state"],
                json!({"door_state": {"enum": ["forced_open", "held_open", "closed"]}, "badge": {"type": "string"}}),
            ),
            _ => object(
                &["stream", "issue"],
                json!({"stream": {"type": "string"}, "issue": {"enum": ["signal_lost", "storage_full"]},
                       "recording": {"type": "boolean"}}),
            ),
        })
    }
}

/// What a page past the end answers (PAGE-4 allows either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PastEnd {
    /// 200 with an empty list.
    #[default]
    Empty,
    /// 404.
    NotFound,
}

/// What a page size above the maximum gets (PAGE-5 allows either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverMax {
    /// The shape's own way: the canonical shape answers 400, the cursor and link shapes clamp
    /// silently (as Eagle Eye does).
    #[default]
    Shape,
    /// Clamped to the maximum (visibly in `pagination.per_page` where the shape reports it).
    Clamp,
    /// 400.
    Reject,
}

/// The legitimate choices CONTRACT.md leaves to a vendor. The default is the contract's own
/// example of each; every other value is still conformant, which the harness's variation matrix
/// (`harness/tests/variations.rs`) proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variations {
    pub family_data: FamilyData,
    pub rate_limit_scope: RateLimitScope,
    /// The limit on each account's authenticated requests under [`RateLimitScope::Account`]: a
    /// bucket of `max_failures` requests refilled at that many per `window`, so a burst meets it
    /// while an integrator's client honouring `Retry-After` (1 s) loses little time.
    pub account_rate_limit: RateLimit,
    pub past_end: PastEnd,
    pub over_max: OverMax,
    /// The largest page size served (the contract's 500 by default; Eagle Eye-like vendors cap at 100).
    pub max_page_size: u64,
    /// Every shape signs the body alone, in its own header and value format (the cursor and link
    /// shapes otherwise bind the timestamp): SIG-3's advisory, nothing else.
    pub body_only_signatures: bool,
    /// A webhook status word of the vendor's own (`enabled`): create requires it and refuses the
    /// contract's `active` with 400; create and list answers show it (WHM-2: `active` is the one
    /// value the contract defines, the others are the vendor's own).
    pub webhook_status: Option<String>,
    /// The webhook management endpoints (and ping) exist (WHM-1 is a MAY): without them they answer
    /// 404, and webhooks are registered outside the API ([`Variations::registered_webhook`], or
    /// `POST /_mock/webhooks` as the vendor's admin console would).
    pub webhook_api: bool,
    /// A webhook registered at start-up for the first account, delivering to this URL; its id and
    /// secret go in `credentials.json`.
    pub registered_webhook: Option<String>,
    /// `GET /event-types` exists (EVT-5 is a SHOULD): without it, 404.
    pub event_catalogue: bool,
}

impl Default for Variations {
    fn default() -> Self {
        Self {
            family_data: FamilyData::default(),
            rate_limit_scope: RateLimitScope::default(),
            account_rate_limit: RateLimit { max_failures: 100, window: Duration::from_secs(5), retry_after_secs: 1 },
            past_end: PastEnd::default(),
            over_max: OverMax::default(),
            max_page_size: contract::MAX_PER_PAGE,
            body_only_signatures: false,
            webhook_status: None,
            webhook_api: true,
            registered_webhook: None,
            event_catalogue: true,
        }
    }
}

/// A command-line value of one of the variation enums.
macro_rules! named {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(format!("unknown value `{s}` (expected one of {})", Self::NAMES.join(", "))),
                }
            }
        }
    };
}

named!(RateLimitScope { FailedAuth => "failed-auth", Account => "account", None => "none" });
named!(FamilyData { Suggested => "suggested", Own => "own" });
named!(PastEnd { Empty => "empty", NotFound => "404" });
named!(OverMax { Shape => "shape", Clamp => "clamp", Reject => "400" });

#[derive(Debug, Clone)]
pub struct MockConfig {
    pub fleet: FleetSpec,
    pub seed: u64,
    /// Waits between delivery attempts; its length is the number of retries (DLV-1, DLV-5).
    pub retry_schedule: Vec<Duration>,
    /// Each wait is stretched or shrunk by up to this fraction, so retries of many deliveries spread.
    pub jitter: f64,
    /// A delivery attempt that takes longer is a failed attempt.
    pub attempt_timeout: Duration,
    /// Longest `Retry-After` honoured (DLV-4 lets a vendor cap it).
    pub max_retry_after: Duration,
    /// Signature scheme of the canonical shape (the other shapes have one format each).
    pub signature: Scheme,
    /// How account, sites, inventory, events and signatures look on the wire.
    pub shape: Shape,
    pub faults: Vec<Fault>,
    /// Loopback and private webhook targets are refused unless this is set (tests and demos).
    pub allow_private_targets: bool,
    /// Start the fleet simulation at start-up.
    pub simulate: bool,
    /// Simulated events per second.
    pub simulation_rate: f64,
    pub token_policy: TokenPolicy,
    pub rate_limit: RateLimit,
    /// The legitimate choices the contract leaves to a vendor (the variation matrix).
    pub variations: Variations,
    /// RSA modulus size of the accounts' keys.
    pub key_bits: usize,
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// Delivery attempts in flight at once; the others wait their turn. Without a bound, the
    /// retries of an outage's backlog all connect at once and run the machine out of ports and
    /// file descriptors, so the receiver's recovery looks like a longer outage.
    pub max_concurrent_deliveries: usize,
    /// Added before every answer (`--answer-delay`): a vendor across the internet rather than on
    /// loopback, for the bench's remote-like run (issue 18). Zero adds no layer at all.
    pub answer_delay: Duration,
    /// Delivery attempts in flight to one webhook at once, within `max_concurrent_deliveries`.
    /// Below a receiver's connection limit (the harness's is 256), with the client's idle
    /// connections per host on top: else the client's pool grows past it and an attempt's
    /// connection waits in the receiver's accept queue until an idle one times out. It also
    /// keeps one slow webhook from taking every slot.
    pub max_deliveries_per_webhook: usize,
}

impl Default for MockConfig {
    /// A realistic vendor: retries spanning about a day.
    fn default() -> Self {
        Self {
            fleet: FleetSpec::Demo,
            seed: 1,
            retry_schedule: parse_schedule("10s,1m,5m,30m,2h,6h,12h").expect("the default schedule parses"),
            jitter: 0.1,
            attempt_timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(3600),
            signature: Scheme::Body,
            shape: Shape::Canonical,
            faults: Vec::new(),
            allow_private_targets: false,
            simulate: false,
            simulation_rate: 2.0,
            token_policy: TokenPolicy::default(),
            rate_limit: RateLimit { max_failures: 100, window: Duration::from_secs(10), retry_after_secs: 10 },
            variations: Variations::default(),
            key_bits: 2048,
            max_body_bytes: 64 * 1024,
            max_concurrent_deliveries: 256,
            answer_delay: Duration::ZERO,
            max_deliveries_per_webhook: 128,
        }
    }
}

impl MockConfig {
    /// How deliveries are signed: the shape's format for the configured scheme, over the body alone
    /// in every shape under [`Variations::body_only_signatures`].
    pub fn signature_format(&self) -> contract::SignatureFormat {
        let format = self.shape.signature_format(self.signature);
        if self.variations.body_only_signatures {
            contract::SignatureFormat { signed_content: "{body}".to_owned(), ..format }
        } else {
            format
        }
    }

    /// The largest page size served.
    pub fn max_page_size(&self) -> u64 {
        self.variations.max_page_size.max(1)
    }

    /// For tests and demos: sub-second retries, short timeouts, loopback targets allowed.
    pub fn fast() -> Self {
        Self {
            retry_schedule: parse_schedule("50ms,100ms,200ms,400ms,800ms,1600ms").expect("the fast schedule parses"),
            attempt_timeout: Duration::from_millis(1500),
            max_retry_after: Duration::from_secs(5),
            allow_private_targets: true,
            ..Self::default()
        }
    }
}

/// The longest wait a retry schedule may hold. No vendor waits a month between two attempts, and
/// beyond it the jitter's arithmetic (`Duration::mul_f64`) could overflow and panic a delivery.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30 * 24 * 3600);

/// The fastest simulation (events per second), as the control API's `POST /_mock/simulation` allows.
pub const MAX_SIMULATION_RATE: f64 = 10_000.0;

/// Parses `1s,5s,30s` (any `humantime` unit: `50ms`, `5s`, `2m`, `1h`, `1day`...); `none` or
/// nothing at all means no retries.
pub fn parse_schedule(s: &str) -> Result<Vec<Duration>, String> {
    if s.trim().is_empty() || s.trim() == "none" {
        return Ok(Vec::new());
    }
    s.split(',').map(|part| parse_duration(part.trim())).collect()
}

/// One wait of a retry schedule, at most [`MAX_RETRY_WAIT`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    bounded_duration(s, s, "500ms, 5s, 2m or 1h", MAX_RETRY_WAIT, "the longest retry wait, 30 days")
}

/// The longest `--answer-delay`: a remote vendor's latency is milliseconds, and a minute per
/// answer would only make every client time out.
pub const MAX_ANSWER_DELAY: Duration = Duration::from_secs(60);

/// An answer delay from the command line (`20ms`, any `humantime` unit), at most
/// [`MAX_ANSWER_DELAY`].
pub fn parse_answer_delay(s: &str) -> Result<Duration, String> {
    bounded_duration(s, s.trim(), "20ms or 1s", MAX_ANSWER_DELAY, "the longest answer delay, 60 s")
}

/// `text` read as a `humantime` duration of at most `max`; the errors show `s` as given,
/// `examples` of what reads, and what `longest` is.
fn bounded_duration(s: &str, text: &str, examples: &str, max: Duration, longest: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text).map_err(|e| format!("`{s}` is not a duration such as {examples} ({e})"))?;
    if d > max {
        return Err(format!("`{s}` is longer than {longest}"));
    }
    Ok(d)
}

/// A simulation rate from the command line: events per second in (0, 10000], as the control API
/// demands (zero, negative, NaN or infinite rates would panic the simulation task after READY).
pub fn parse_simulation_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number of events per second"))?;
    if rate > 0.0 && rate <= MAX_SIMULATION_RATE {
        Ok(rate)
    } else {
        Err(format!("`{s}` is not a rate in (0, {MAX_SIMULATION_RATE}] events per second"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse() {
        assert_eq!(
            parse_schedule("1s,500ms,2m,1h").unwrap(),
            vec![
                Duration::from_secs(1),
                Duration::from_millis(500),
                Duration::from_secs(120),
                Duration::from_secs(3600)
            ]
        );
        assert_eq!(parse_schedule("50ms, 5s").unwrap(), vec![Duration::from_millis(50), Duration::from_secs(5)]);
        assert_eq!(parse_schedule("1h 30m").unwrap(), vec![Duration::from_secs(5400)]);
        for bad in ["1x", "5", "1s,,2s", "-1s", "1s,abc", "31days", "99999999999999999999years"] {
            let e = parse_schedule(bad).unwrap_err();
            assert!(e.contains('`'), "{bad}: {e}");
        }
        assert!(parse_schedule("none").unwrap().is_empty());
        assert!(parse_schedule(" ").unwrap().is_empty());
        assert_eq!(parse_schedule("30days").unwrap(), vec![MAX_RETRY_WAIT]);
        let default = MockConfig::default().retry_schedule.iter().sum::<Duration>();
        assert!(default > Duration::from_secs(12 * 3600), "the default horizon spans hours");
    }

    #[test]
    fn answer_delays_parse_and_are_bounded() {
        assert_eq!(parse_answer_delay("20ms").unwrap(), Duration::from_millis(20));
        assert_eq!(parse_answer_delay("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_answer_delay("60s").unwrap(), MAX_ANSWER_DELAY);
        for bad in ["20", "fast", "-1ms", "61s", ""] {
            assert!(parse_answer_delay(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(MockConfig::default().answer_delay, Duration::ZERO, "no delay unless asked");
    }

    #[test]
    fn simulation_rates_are_positive_finite_and_bounded() {
        assert_eq!(parse_simulation_rate("2").unwrap(), 2.0);
        assert_eq!(parse_simulation_rate("0.5").unwrap(), 0.5);
        assert_eq!(parse_simulation_rate("10000").unwrap(), MAX_SIMULATION_RATE);
        for bad in ["0", "-0", "-1", "NaN", "inf", "-inf", "1e308", "10000.5", "fast", ""] {
            assert!(parse_simulation_rate(bad).is_err(), "{bad} accepted");
        }
        assert!(parse_simulation_rate("0").unwrap_err().contains("(0, 10000]"));
    }

    #[test]
    fn variation_values_parse_back_and_strangers_name_the_valid_ones() {
        for name in RateLimitScope::NAMES {
            assert_eq!(name.parse::<RateLimitScope>().unwrap().name(), *name);
        }
        for name in OverMax::NAMES {
            assert_eq!(name.parse::<OverMax>().unwrap().name(), *name);
        }
        assert_eq!("404".parse::<PastEnd>().unwrap(), PastEnd::NotFound);
        assert_eq!("own".parse::<FamilyData>().unwrap(), FamilyData::Own);
        assert!("often".parse::<RateLimitScope>().unwrap_err().contains("failed-auth, account, none"));
    }

    #[test]
    fn own_family_data_is_declared_and_health_stays_the_contracts() {
        for family in [EventFamily::Alarm, EventFamily::Access, EventFamily::Video] {
            let (data, schema) = (FamilyData::Own.data(family).unwrap(), FamilyData::Own.schema(family).unwrap());
            for required in schema["required"].as_array().unwrap() {
                assert!(data.get(required.as_str().unwrap()).is_some(), "{family:?} lacks {required}");
            }
            for (key, value) in data.as_object().unwrap() {
                let declared = &schema["properties"][key];
                assert!(!declared.is_null(), "{family:?}: {key} is not declared");
                if let Some(allowed) = declared.get("enum") {
                    assert!(allowed.as_array().unwrap().contains(value), "{family:?}: {key} = {value}");
                }
            }
            assert_eq!(FamilyData::Suggested.data(family), None);
        }
        assert_eq!(FamilyData::Own.data(EventFamily::Access).unwrap().get("action"), None);
        assert_eq!(FamilyData::Own.data(EventFamily::Health), None);
        assert_eq!(FamilyData::Own.schema(EventFamily::Ping), None);
    }

    #[test]
    fn shape_names_parse_back() {
        for s in Shape::ALL {
            assert_eq!(s.name().parse::<Shape>().unwrap(), *s);
            assert_eq!(s.to_string(), s.name());
        }
        assert!("meraki".parse::<Shape>().unwrap_err().contains("canonical, cursor, link"));
        assert_eq!(Shape::default(), Shape::Canonical);
    }

    #[test]
    fn every_shape_signs_in_a_valid_format_that_verifies() {
        let secret = contract::Secret::new("whsec_test");
        for shape in Shape::ALL {
            for scheme in [Scheme::Body, Scheme::Timestamped] {
                let format = shape.signature_format(scheme);
                format.validate().unwrap();
                let headers = format.sign(&secret, b"{}", 1_770_000_000);
                let lookup =
                    |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
                format.verify(lookup, b"{}", &[&secret], 1_770_000_000).unwrap();
                if *shape != Shape::Canonical {
                    assert!(format.binds_timestamp(), "{shape}");
                }
            }
        }
    }

    #[test]
    fn body_only_signatures_keep_each_shapes_format_but_sign_the_body() {
        for shape in Shape::ALL {
            let mut config = MockConfig { shape: *shape, signature: Scheme::Timestamped, ..MockConfig::default() };
            let own = config.signature_format();
            config.variations.body_only_signatures = true;
            let body_only = config.signature_format();
            assert_eq!(body_only.signed_content, "{body}", "{shape}");
            assert_eq!((body_only.header, body_only.value_template), (own.header, own.value_template), "{shape}");
        }
    }
}
