//! The fault catalogue: every contract violation the mock vendor can inject on demand.
//!
//! Each fault breaks one requirement of CONTRACT.md while everything else stays conformant, and
//! names the requirement ids it breaks. The harness's fault matrix pairs each fault with the
//! checks it must make fail.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($($variant:ident => $name:literal, [$($req:literal),+], $what:literal;)+) => {
        /// A named contract violation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault { $($variant),+ }

        impl Fault {
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),+];

            /// The kebab-case name used on the command line and the control API.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name),+ }
            }

            /// The CONTRACT.md requirement ids this fault violates.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $(Fault::$variant => &[$($req),+]),+ }
            }

            /// What the mock does wrong, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => $what),+ }
            }
        }
    };
}

faults! {
    // §1 Account and sites
    AccountMissingName => "account-missing-name", ["ACC-1"], "GET /account omits `name`";
    AccountNotJson => "account-not-json", ["ACC-1"], "the account endpoint answers 200 with an HTML page, not JSON";
    CrossTenantRead => "cross-tenant-read", ["ACC-2"], "another account's site inventory, webhooks and webhook deletion are served to any valid token";
    SiteMissingDescriptor => "site-missing-descriptor", ["SITE-1"], "sites carry no address, coordinates or timezone";
    SiteNoTimezone => "site-no-timezone", ["SITE-2"], "sites carry an address but no timezone";
    // §2 Inventory
    DeviceMissingType => "device-missing-type", ["INV-1"], "devices omit `type`";
    DuplicateDeviceId => "duplicate-device-id", ["INV-1"], "two devices of one site share a device_id";
    StaleInventory => "stale-inventory", ["INV-2", "FB-3"], "status changes are not reflected in inventory (events still go out)";
    BadMacFormat => "bad-mac-format", ["INV-3"], "MAC addresses are served as `000FE514B21E`";
    BadStatusValue => "bad-status-value", ["INV-2"], "device status is served as `up`/`down`, outside the canonical vocabulary with no mapping declared";
    BadLastSeen => "bad-last-seen", ["INV-4"], "last_seen is served as `yesterday`, not RFC 3339";
    DanglingParent => "dangling-parent", ["INV-4"], "parent_id names a device that does not exist in the account";
    DeviceWrongSite => "device-wrong-site", ["INV-5"], "one device per site carries another site's site_id";
    // §3 Identifiers
    UnstableIds => "unstable-ids", ["ID-1"], "device ids change on every call";
    NonUuidIds => "non-uuid-ids", ["ID-2"], "device ids are short sequential strings, not UUIDs";
    // §4 Pagination
    PageDuplicateItem => "page-duplicate-item", ["PAGE-1"], "each page after the first repeats the previous page's last item";
    PageSkipItem => "page-skip-item", ["PAGE-1"], "the first item of every page after the first is skipped";
    WrongTotals => "wrong-totals", ["PAGE-2"], "total_pages is one more than ceil(total_count / per_page)";
    BadPageServerError => "bad-page-500", ["PAGE-3"], "bad page parameters answer 500";
    PastEndRepeats => "past-end-repeats", ["PAGE-4"], "a page past the end repeats the last page";
    NoPerPageMax => "no-per-page-max", ["PAGE-5"], "any per_page is served unclamped";
    UnstableOrder => "unstable-order", ["PAGE-6"], "item order changes between walks";
    NextLoop => "next-loop", ["PAGE-1"], "cursor and link shapes: the last page's next token points back at page 2, so the chain never ends";
    // §5 Events
    NoHealthEvents => "no-health-events", ["EVT-1"], "status changes publish no health event";
    EventMissingSiteId => "event-missing-site-id", ["EVT-2"], "device events omit site_id";
    EventNonUtcTimestamp => "event-non-utc-timestamp", ["EVT-2"], "event timestamps carry a +02:00 offset";
    MissingEventId => "missing-event-id", ["EVT-3"], "events carry no event_id";
    NoExtraFamilies => "no-extra-families", ["EVT-4"], "alarm, access and video events are never published";
    NoEventCatalog => "no-event-catalog", ["EVT-5"], "GET /event-types answers 404";
    EventUnknownDevice => "event-unknown-device", ["EVT-6"], "events name a device_id that is not in inventory";
    // §6 Authentication
    RejectValidToken => "reject-valid-token", ["AUTH-1"], "a fresh valid token is refused on GET /event-types and the webhook endpoints";
    AcceptExpired => "accept-expired", ["AUTH-2"], "expired tokens are accepted";
    AcceptBadSignature => "accept-bad-signature", ["AUTH-2", "AUTH-4"], "signatures are not checked (other keys, tampered payloads pass)";
    AuthServerError => "auth-500", ["AUTH-2"], "a malformed bearer token answers 500";
    AcceptAlgNone => "accept-alg-none", ["AUTH-3"], "tokens with `alg: none` are accepted";
    AcceptHs256PublicKey => "accept-hs256-public-key", ["AUTH-3"], "HS256 tokens keyed with the account's public key are accepted";
    AcceptNoExp => "accept-no-exp", ["AUTH-4"], "tokens without `exp` are accepted";
    AcceptWrongIssuer => "accept-wrong-iss", ["AUTH-4"], "tokens with a wrong or missing `iss` are accepted";
    AcceptLongLifetime => "accept-long-lifetime", ["AUTH-5"], "tokens living longer than an hour are accepted";
    AcceptHugeExp => "accept-huge-exp", ["AUTH-5"], "an `exp` of 2^63 - 1 is taken for no `exp`: such a token never expires and skips the lifetime rule";
    AcceptFutureIat => "accept-future-iat", ["AUTH-5"], "tokens with `iat`/`nbf` far in the future are accepted";
    NoWwwAuthenticate => "no-www-authenticate", ["AUTH-6"], "401 answers carry no WWW-Authenticate header";
    LeakyUnauthorized => "leaky-401", ["AUTH-6"], "401 bodies carry the verifier's error text and a stack trace";
    FetchJku => "fetch-jku", ["AUTH-7"], "a token header's `jku`/`x5u` URL is fetched";
    NoKeyRotation => "no-key-rotation", ["AUTH-7"], "only an account's first key is honoured: a token naming its second key's `kid` is refused";
    TrustEmbeddedJwk => "trust-embedded-jwk", ["AUTH-7", "AUTH-2"], "a token whose header `jwk` carries the key that signed it is accepted";
    AcceptCrit => "accept-crit", ["AUTH-2"], "the verifier ignores `crit` and `b64: false` in a token's header";
    RateLimitNoRetryAfter => "rate-limit-no-retry-after", ["AUTH-8"], "429 answers carry no Retry-After";
    // §7 Signatures
    UnsignedDeliveries => "unsigned-deliveries", ["SIG-1"], "deliveries carry no signature header";
    WrongSignature => "wrong-signature", ["SIG-1"], "deliveries are signed with a secret other than the webhook's";
    StaleTimestamp => "stale-timestamp", ["SIG-2"], "the timestamp header is an hour old";
    MissingTimestamp => "missing-timestamp", ["SIG-2"], "deliveries carry no timestamp header";
    UnboundTimestamp => "unbound-timestamp", ["SIG-3"], "deliveries are signed over the body alone whatever the configured scheme";
    SharedSecret => "shared-secret", ["SIG-4"], "every webhook gets the same secret";
    // §8 Delivery
    NoRetries => "no-retries", ["DLV-1"], "a failed attempt is never retried";
    RetryNewEventId => "retry-new-event-id", ["DLV-2"], "retries carry a new event_id";
    RetryChangedBody => "retry-changed-body", ["DLV-2"], "retries re-serialise the body with a delivery counter";
    RetryStaleSignature => "retry-stale-signature", ["DLV-2"], "retries resend the first attempt's timestamp and signature";
    DeliverAfterSuccess => "deliver-after-2xx", ["DLV-3"], "a delivery answered 2xx is sent once more";
    FollowRedirects => "follow-redirects", ["DLV-4"], "a 3xx answer is followed to its Location";
    IgnoreRetryAfter => "ignore-retry-after", ["DLV-4"], "429 Retry-After is ignored; the next attempt follows the schedule";
    Ignore410 => "ignore-410", ["DLV-4"], "410 does not disable the webhook";
    ShortRetryHorizon => "short-retry-horizon", ["DLV-5"], "deliveries are dead-lettered after one retry";
    DuplicateEventIds => "duplicate-event-ids", ["DLV-6", "EVT-3"], "distinct events of one device share one event_id";
    // §9 Webhook management
    SecretInList => "secret-in-list", ["WHM-2"], "GET /webhooks shows each webhook's secret";
    DeliverAfterDelete => "deliver-after-delete", ["WHM-2"], "deleted webhooks keep receiving deliveries";
    DeleteTwiceServerError => "delete-twice-500", ["WHM-2"], "deleting a deleted webhook answers 500";
    AcceptMetadataTarget => "accept-metadata-target", ["WHM-3"], "link-local and metadata target URLs are accepted";
    NoPing => "no-ping", ["WHM-4"], "POST /webhooks/{id}/ping answers 404";
    // §10 Fallback
    SyncNeedsWebhook => "sync-needs-webhook", ["FB-1"], "inventory answers 503 until a webhook is registered";
    EventTimestampIsSendTime => "event-timestamp-is-send-time", ["FB-2", "EVT-2"], "an event's timestamp is the time of its first attempt, not of the change";
    PartialCoverageStale => "partial-coverage-stale", ["FB-4"], "devices whose type publishes no events never update their inventory status";
    // Blind spots (issue 13): a ping is a delivery like any other; a reused id hides nothing.
    UnsignedPing => "unsigned-ping", ["WHM-4", "SIG-1"], "pings are delivered without a signature header (other events are signed)";
    ReusedEventId => "reused-event-id", ["EVT-2", "DLV-6"], "alarm, access and video events reuse the account's previous event_id and omit site_id";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fault `{s}` (`mock-vendor faults` lists them)"))
    }
}

impl serde::Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The catalogue as printed by `mock-vendor faults`: name, requirement ids, description.
pub fn catalogue_text() -> String {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    Fault::ALL
        .iter()
        .map(|f| format!("{:width$}  {:18}  {}\n", f.name(), f.requirements().join(","), f.description()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
        }
    }

    #[test]
    fn every_must_and_should_requirement_of_sections_1_to_10_has_a_fault() {
        // CI clones the repository with `shared/` beside it.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/CONTRACT.md");
        let contract = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        let covered: std::collections::BTreeSet<&str> =
            Fault::ALL.iter().flat_map(|f| f.requirements().iter().copied()).collect();
        let mut missing = Vec::new();
        for line in contract.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() < 4 {
                continue;
            }
            let (id, level) = (cells[1], cells[2]);
            let in_scope = !id.starts_with("MAP-") && !id.starts_with("RPL-");
            let must_or_should = level.starts_with("MUST") || level.starts_with("SHOULD");
            if in_scope && must_or_should && id.contains('-') && !covered.contains(id) {
                missing.push(id.to_owned());
            }
        }
        assert!(missing.is_empty(), "requirements without a fault: {missing:?}");
    }
}
