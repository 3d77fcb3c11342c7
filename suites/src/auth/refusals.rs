//! The refusal checks (AUTH-2 … AUTH-5): lists of bad credentials sent to the account endpoint,
//! each to be refused with 401. One table row per check: its id, requirements, title, the crafted
//! credentials and its wording, written once.

use futures::future::BoxFuture;
use futures::{StreamExt as _, stream};

use super::judge::{Cred, Verdicts, not_jwt, send, sendable};
use super::{AUTH_2_MALFORMED, AUTH_2_SIGNED, AUTH_3, AUTH_4_CLAIMS, AUTH_4_TAMPERED, AUTH_5};
use crate::context::{Answer, Context};
use crate::meta::{CheckMeta, Level};
use crate::outcome::Outcome;
use crate::sync::READS_AT_ONCE;
use crate::{Check, CheckFuture};

/// Sends each credential to the account endpoint; each must be refused with 401. Each is judged
/// on its own answer, so the requests overlap, [`READS_AT_ONCE`] at a time (the same credentials
/// and as many requests within the vendor's rate-limit window as one at a time); the answers are
/// judged in the order of `creds`, and the first that got no usable answer ends the check.
async fn refusals(cx: &Context, rule: &str, creds: &[Cred], expected: &str, pass: &str) -> Outcome {
    let (creds, skipped) = match sendable(cx, creds) {
        Ok(sendable) => sendable,
        Err(skip) => return skip,
    };
    let mut verdicts = Verdicts::default();
    let sends: Vec<BoxFuture<'_, Result<Answer, Outcome>>> =
        creds.iter().map(|cred| Box::pin(send(cx, cred)) as BoxFuture<'_, _>).collect();
    let mut answers = stream::iter(sends).buffered(READS_AT_ONCE);
    for cred in &creds {
        match answers.next().await.expect("one answer per credential") {
            Ok(answer) => verdicts.add(cx, cred, &answer),
            Err(outcome) => return outcome,
        }
    }
    let n = creds.len();
    let mut outcome = verdicts.finish(rule, expected, format!("{n} {pass} were refused with 401"));
    if let Some(skipped) = skipped {
        outcome = outcome.with_note(skipped);
    }
    outcome
}

fn crafts(names: &[&str]) -> Vec<Cred> {
    names.iter().map(|n| Cred::craft(*n)).collect()
}

/// AUTH-2: missing and malformed credentials get 401, never data and never a 5xx.
pub async fn malformed(cx: &Context) -> Outcome {
    let mut creds = vec![Cred::Missing];
    creds.extend(crafts(&[
        "empty",
        "garbage",
        "two-segments",
        "four-segments",
        "not-base64",
        "header-not-json",
        "crit-unknown",
        "b64-false",
    ]));
    let expected = if not_jwt(cx).is_none() {
        "401 for no header, an empty bearer, garbage, 2- and 4-segment tokens, non-base64 and non-JSON segments, and a signed token whose header has an unknown `crit` or `b64: false` (RFC 7515 §4.1.11: an extension the verifier does not understand makes the token invalid)"
    } else {
        "401 for no credential, an empty one and garbage"
    };
    refusals(cx, AUTH_2_MALFORMED, &creds, expected, "missing or malformed credentials").await
}

/// One refusal check: crafted credentials the vendor must each refuse with 401.
pub(crate) struct Refusal {
    /// The check's id (`auth.<name>`).
    id: &'static str,
    level: Level,
    /// Requirement ids of CONTRACT.md.
    requirements: &'static [&'static str],
    /// The catalogue's one-line title.
    title: &'static str,
    /// The requirement text the FAIL quotes.
    rule: &'static str,
    /// Names in the [`craft`](super::craft) catalogue.
    crafts: &'static [&'static str],
    /// What the contract expects, as evidence shows it.
    expected: &'static str,
    /// What the PASS message calls the credentials (`<n> <pass> were refused with 401`).
    pass: &'static str,
}

/// The refusal checks, in catalogue order ([`refusal`] makes each one's catalogue line).
pub(crate) const REFUSALS: [Refusal; 8] = [
    Refusal {
        id: "auth.bad-signature",
        level: Level::Must,
        requirements: &["AUTH-2", "AUTH-7"],
        title: "Tokens signed by another key (also with that key embedded in header `jwk`), or unsigned, get 401",
        rule: AUTH_2_SIGNED,
        crafts: &["foreign-key", "foreign-key-no-kid", "embedded-jwk", "unsigned"],
        expected: "401 for tokens signed by another key (with and without the account's `kid`, and with that key embedded in header `jwk`) and for an empty signature",
        pass: "wrongly signed tokens",
    },
    Refusal {
        id: "auth.alg-none",
        level: Level::Must,
        requirements: &["AUTH-3"],
        title: "`alg: none` tokens get 401, in every spelling",
        rule: AUTH_3,
        crafts: &["alg-none:none", "alg-none:None", "alg-none:NONE", "alg-none:nOnE", "alg-none-signed", "no-alg"],
        expected: "401 for `alg: none` (any case, with or without a signature) and for a header without `alg`",
        pass: "unsigned-algorithm tokens",
    },
    Refusal {
        id: "auth.hs256-public-key",
        level: Level::Must,
        requirements: &["AUTH-3"],
        title: "HS256 tokens keyed with the account's public key (PEM or DER) get 401",
        rule: AUTH_3,
        crafts: &["hs256-public-pem", "hs256-public-pem-trimmed", "hs256-public-der"],
        expected: "401 for HS256 tokens keyed with the account's public key as PEM, trimmed PEM and DER",
        pass: "algorithm-confusion tokens",
    },
    Refusal {
        id: "auth.no-exp",
        level: Level::Must,
        requirements: &["AUTH-4", "AUTH-2"],
        title: "Tokens without a numeric `exp` get 401",
        rule: AUTH_4_CLAIMS,
        crafts: &["no-exp", "exp-null", "exp-string"],
        expected: "401 for tokens without `exp`, with `exp: null` and with `exp` as a string",
        pass: "tokens without a numeric `exp`",
    },
    Refusal {
        id: "auth.issuer",
        level: Level::Must,
        requirements: &["AUTH-4"],
        title: "Tokens whose `iss` is not `convergint` get 401",
        rule: AUTH_4_CLAIMS,
        crafts: &["wrong-iss", "no-iss", "iss-case"],
        expected: "401 for `iss` other than `convergint` (another value, missing, another case)",
        pass: "tokens with a wrong `iss`",
    },
    Refusal {
        id: "auth.tampered",
        level: Level::Must,
        requirements: &["AUTH-4"],
        title: "A payload changed under the original signature gets 401",
        rule: AUTH_4_TAMPERED,
        crafts: &["tampered-claim", "tampered-exp"],
        expected: "401 for a valid token whose claims were changed after signing",
        pass: "tampered tokens",
    },
    Refusal {
        id: "auth.long-lifetime",
        level: Level::Should,
        requirements: &["AUTH-5"],
        title: "Tokens living longer than an hour are refused",
        rule: AUTH_5,
        crafts: &["lifetime:3720", "lifetime:86400", "exp-huge"],
        expected: "401 for tokens whose `exp - iat` exceeds 3600 s plus at most 60 s of leeway (tried 3720 s, a day, and `exp` = 2^63 - 1)",
        pass: "long-lived tokens",
    },
    Refusal {
        id: "auth.future-iat",
        level: Level::Should,
        requirements: &["AUTH-5"],
        title: "Tokens with `iat` or `nbf` far in the future are refused",
        rule: AUTH_5,
        crafts: &["future-iat:1800", "future-nbf:1800"],
        expected: "401 for `iat` or `nbf` 1800 s in the future (beyond any clock-skew leeway of at most 300 s)",
        pass: "tokens from the future",
    },
];

/// The catalogue line of refusal check `ROW` of [`REFUSALS`].
pub(crate) const fn refusal<const ROW: usize>() -> Check {
    let row = &REFUSALS[ROW];
    Check {
        meta: CheckMeta {
            id: row.id,
            suite: "auth",
            level: row.level,
            requirements: row.requirements,
            title: row.title,
            capability: None,
            needs: &[],
            whole_run: false,
        },
        run: run_refusal::<ROW>,
    }
}

fn run_refusal<const ROW: usize>(cx: &Context) -> CheckFuture<'_> {
    Box::pin(async move {
        let row = &REFUSALS[ROW];
        refusals(cx, row.rule, &crafts(row.crafts), row.expected, row.pass).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crafted_name_of_the_table_is_in_the_catalogue() {
        for row in &REFUSALS {
            for name in row.crafts {
                super::super::craft::parse_name(name).unwrap();
            }
        }
    }

    #[test]
    fn every_row_is_in_the_catalogue_once_with_its_own_metadata() {
        for (i, row) in REFUSALS.iter().enumerate() {
            let listed: Vec<&Check> = super::super::CHECKS.iter().filter(|c| c.meta.id == row.id).collect();
            assert_eq!(listed.len(), 1, "{}", row.id);
            assert_eq!((listed[0].meta.title, listed[0].meta.requirements), (row.title, row.requirements), "row {i}");
        }
    }
}
