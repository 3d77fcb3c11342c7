//! The preflight: before any suite, the vendor answers and accepts the credential on the account
//! request, or the run stops with one error naming the likely cause (exit 2).

use suites::{ApiErrorKind, VendorApi};

use crate::config::VendorConfig;

/// Why the preflight stopped a run before any suite: the likely cause, named once, instead of a
/// report full of ERROR rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightCause {
    /// No answer at all: connection refused, DNS, TLS, a timeout.
    Unreachable,
    /// The account endpoint is not there: a wrong base path or profile.
    NotFound,
    /// The credential was refused (401/403, or an error in a 200 body).
    CredentialRefused,
    /// The harness could not build the request (its own configuration).
    Config,
}

/// The preflight's one error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("preflight failed: {message}")]
pub struct PreflightError {
    pub cause: PreflightCause,
    pub message: String,
}

/// Which `[auth]` keys hold the credential, for the profile's kind of auth.
fn credential_keys(config: &VendorConfig) -> &'static str {
    match config.profile.auth.kind() {
        suites::AuthKind::Jwt => {
            "`[auth] private_key_path` (or `private_key_env`) and `kid`: the key the vendor's console issued for this account, and the id it registered it under"
        }
        suites::AuthKind::ApiKey | suites::AuthKind::Bearer => {
            "`[auth] credential_env` or `credential_path`, and the profile's `[auth] header` and `prefix`"
        }
        suites::AuthKind::Oauth2ClientCredentials => {
            "`[auth] client_id` and the client secret in `credential_env` or `credential_path`, and the profile's `token_url`"
        }
    }
}

/// Before any suite: the vendor answers, and accepts the credential, on the account request as
/// the profile makes it. Anything else that goes wrong there (a 5xx, a bad body) is the vendor's
/// to answer for in the checks, so it does not stop the run.
pub async fn preflight(api: &dyn VendorApi, config: &VendorConfig) -> Result<(), PreflightError> {
    let probe = api.account_probe();
    let what = format!("{} {}{}", probe.method, config.vendor.base_url.trim_end_matches('/'), probe.path);
    let stop = |cause, message: String| Err(PreflightError { cause, message });
    let answer = match api.probe(probe).await {
        Ok(answer) => answer,
        Err(e) => {
            return match e.kind {
                ApiErrorKind::Transport | ApiErrorKind::Timeout => stop(
                    PreflightCause::Unreachable,
                    format!(
                        "the vendor did not answer `{what}` ({}): is `vendor.base_url` (`{}`) right, resolvable and reachable from here, and is the vendor up?",
                        e.message, config.vendor.base_url
                    ),
                ),
                ApiErrorKind::Config => stop(PreflightCause::Config, format!("could not send `{what}`: {}", e.message)),
                // Vendor-side trouble (a redirect, a bad body): the checks judge it.
                _ => Ok(()),
            };
        }
    };
    match answer.status {
        404 => stop(
            PreflightCause::NotFound,
            format!(
                "`{what}` answered 404: the account endpoint is not there. `vendor.base_url` may carry a wrong base path (it is the host, without `/api/v1`: the profile's paths carry that), or the profile (`{}`) does not describe this vendor",
                config.profile.name
            ),
        ),
        401 | 403 => stop(
            PreflightCause::CredentialRefused,
            format!(
                "`{what}` answered {}: the vendor refused the credential. Check {}",
                answer.status,
                credential_keys(config)
            ),
        ),
        _ => match api.body_refusal(&answer) {
            Some(refusal) => stop(
                PreflightCause::CredentialRefused,
                format!("`{what}` {refusal}: the vendor refused the credential. Check {}", credential_keys(config)),
            ),
            None => Ok(()),
        },
    }
}
