//! The auth suite (CONTRACT.md §6, AUTH-1 … AUTH-8) and tenancy between accounts (ACC-2).
//!
//! Every bad token comes from one catalogue ([`craft`]), so a failing probe's reproduce command
//! (`harness token --craft <name>`) rebuilds the same kind of token. The refusal checks send
//! their tokens to the account endpoint: which endpoint answers is AUTH-1's business, and the
//! cheapest authenticated request keeps the suite fast.
//!
//! The vendor may rate-limit refused tokens (AUTH-8, the mock after 100 in 10 s). The checks
//! before the burst probe send about fifty refused tokens in all, and the burst probe runs last.

//!
//! Cut by job: `judge` (one credential sent and its answer judged), `refusals` (the table of
//! refusal checks, AUTH-2 … AUTH-5), `expired` (AUTH-2's leeway search), `challenge` (AUTH-6's
//! 401s), `keys` (AUTH-1 and AUTH-7), `rate_limit` (AUTH-8), `tenancy` (ACC-2), `craft` (the bad
//! tokens); this file holds the requirement texts and `CHECKS`.

mod challenge;
pub mod craft;
mod expired;
mod judge;
mod keys;
mod rate_limit;
mod refusals;
pub mod tenancy;

pub use challenge::{leaks_in, no_leak, offers_bearer, www_authenticate};
pub use expired::expired;
pub use judge::{Cred, Judged, judge, send};
pub use keys::{jku_x5u, kid_rotation, valid_token};
pub use rate_limit::{rate_limit, retry_after_problem};
pub use refusals::malformed;

use crate::Check;
use refusals::refusal;

/// What each auth requirement asks, quoted by the FAILs that enforce it.
const AUTH_1: &str = "AUTH-1: \"A fresh RS256 token signed with the account's key is accepted on every endpoint\"";
const AUTH_2_MALFORMED: &str =
    "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx\"";
const AUTH_2_EXPIRED: &str = "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx. A leeway on `exp` for clock skew is allowed up to 300 s\"";
const AUTH_2_SIGNED: &str = "AUTH-2: \"Missing, malformed, expired, or wrongly signed tokens get 401, never data and never a 5xx\"; AUTH-7: \"header fields `jku`, `x5u`, `jwk` are ignored\"";
const AUTH_3: &str =
    "AUTH-3: \"Algorithm attacks are rejected: `alg: none`, and HS256 tokens keyed with the account's public key\"";
const AUTH_4_TAMPERED: &str = "AUTH-4: \"a tampered payload under the original signature is rejected\"";
const AUTH_4_CLAIMS: &str = "AUTH-4: \"A token without `exp`, or whose `iss` is not `convergint`, is rejected\"";
const AUTH_5: &str = "AUTH-5: \"Tokens living longer than one hour (`exp - iat` > 3600 s, plus at most 60 s of leeway), or with `iat`/`nbf` in the future beyond a clock-skew leeway of at most 300 s, are rejected\"";
const AUTH_6_CHALLENGE: &str = "AUTH-6: \"401 responses carry a `WWW-Authenticate` header whose scheme is `Bearer`\"";
const AUTH_6_LEAK: &str = "AUTH-6: \"401 responses ... leak no internals (no stack traces, no key material)\"";
const AUTH_7_FETCH: &str = "AUTH-7: \"header fields `jku`, `x5u`, `jwk` are ignored, never fetched\"";
const AUTH_7_KID: &str = "AUTH-7: \"Header `kid` selects among an account's keys (rotation)\"";

/// The auth suite, in run order. The burst probe (AUTH-8) is last: once it meets the vendor's
/// limit, refused tokens are answered 429 for a while.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        valid_token,
        "auth.valid-token",
        "auth",
        Must,
        ["AUTH-1"],
        "A fresh RS256 token is accepted on every endpoint the vendor declares"
    ),
    check!(
        malformed,
        "auth.malformed",
        "auth",
        Must,
        ["AUTH-2"],
        "Missing and malformed credentials (also unknown `crit` headers) get 401, never data, never a 5xx"
    ),
    check!(
        expired,
        "auth.expired",
        "auth",
        Must,
        ["AUTH-2"],
        "Expired tokens get 401; the leeway on `exp` is measured and at most 300 s"
    ),
    refusal::<0>(),
    refusal::<1>(),
    refusal::<2>(),
    refusal::<3>(),
    refusal::<4>(),
    refusal::<5>(),
    refusal::<6>(),
    refusal::<7>(),
    check!(
        www_authenticate,
        "auth.www-authenticate",
        "auth",
        Should,
        ["AUTH-6"],
        "401 answers carry `WWW-Authenticate` with the Bearer scheme"
    ),
    check!(
        no_leak,
        "auth.no-leak",
        "auth",
        Should,
        ["AUTH-6"],
        "401 bodies leak no stack traces, key material or library error text"
    ),
    check!(
        jku_x5u,
        "auth.jku-x5u",
        "auth",
        Should,
        ["AUTH-7"],
        "Token header `jku` and `x5u` URLs are never fetched",
        needs = [Inbox]
    ),
    check!(
        kid_rotation,
        "auth.kid-rotation",
        "auth",
        Should,
        ["AUTH-7"],
        "A second key of the account (a rotation) is accepted under its own `kid`"
    ),
    check!(
        tenancy::inventory,
        "auth.tenant-inventory",
        "auth",
        Must,
        ["ACC-2"],
        "One account's token gets 404 or 403 for another account's sites, never its devices"
    ),
    check!(
        tenancy::webhooks,
        "auth.tenant-webhooks",
        "auth",
        Must,
        ["ACC-2"],
        "One account's token neither lists nor deletes another account's webhooks",
        capability = "webhook-management",
        needs = [Inbox]
    ),
    check!(
        rate_limit,
        "auth.rate-limit",
        "auth",
        Should,
        ["AUTH-8"],
        "Every 429 of the run carries a usable `Retry-After` (bursts of bad and valid requests look for a limit)",
        whole_run = true
    ),
];
