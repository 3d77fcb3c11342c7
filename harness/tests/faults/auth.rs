//! Auth suite faults.

use mock_vendor::Fault;

/// Each fault and the checks it must make fail: these and no others.
pub const TABLE: &[(Fault, &[&str])] = &[
    (Fault::RejectValidToken, &["auth.valid-token"]),
    (Fault::AuthServerError, &["auth.malformed"]),
    (Fault::AcceptExpired, &["auth.expired"]),
    (Fault::AcceptBadSignature, &["auth.bad-signature", "auth.tampered"]),
    (Fault::AcceptAlgNone, &["auth.alg-none"]),
    (Fault::AcceptHs256PublicKey, &["auth.hs256-public-key"]),
    (Fault::AcceptNoExp, &["auth.no-exp"]),
    (Fault::AcceptWrongIssuer, &["auth.issuer"]),
    (Fault::AcceptLongLifetime, &["auth.long-lifetime"]),
    (Fault::AcceptFutureIat, &["auth.future-iat"]),
    (Fault::AcceptHugeExp, &["auth.long-lifetime"]),
    (Fault::AcceptCrit, &["auth.malformed"]),
    (Fault::NoWwwAuthenticate, &["auth.www-authenticate"]),
    (Fault::LeakyUnauthorized, &["auth.no-leak"]),
    (Fault::FetchJku, &["auth.jku-x5u"]),
    (Fault::TrustEmbeddedJwk, &["auth.bad-signature"]),
    (Fault::NoKeyRotation, &["auth.kid-rotation"]),
    (Fault::RateLimitNoRetryAfter, &["auth.rate-limit"]),
    (Fault::CrossTenantRead, &["auth.tenant-inventory", "auth.tenant-webhooks"]),
];

/// Checks of this suite no mock fault can make fail, each with the reason.
pub const UNFAILABLE: &[(&str, &str)] = &[];
