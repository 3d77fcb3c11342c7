//! A reference vendor cloud: serves the integration contract exactly, simulates a fleet,
//! delivers signed webhooks with retries, and injects any named contract violation on demand.
//!
//! Embed it in-process with [`start`] (tests, `harness demo`) or build the router yourself with
//! [`app`] and serve it with [`run`].
//!
//! [`MockConfig::shape`] picks the wire shape: the contract's own, or one in the image of a real
//! vendor cloud ([`shape`] documents each), so the harness's vendor profiles can be tested live.

mod answer;
pub mod api;
pub mod auth;
pub mod blocks;
pub mod config;
pub mod control;
pub mod delivery;
pub mod error;
pub mod events;
pub mod fault;
pub mod fleet;
pub mod process;
mod records;
pub mod shape;
pub mod state;
pub mod targets;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use serde::{Deserialize, Serialize};

pub use config::MockConfig;
pub use fault::Fault;
pub use fleet::FleetSpec;
pub use shape::Shape;
pub use state::AppState;

/// The whole mock vendor as a router: the vendor API (in the configured [`Shape`]) behind bearer
/// tokens, `/_mock` behind the admin token.
pub fn app(state: AppState) -> Router {
    let api = api::routes()
        .merge(state.config.shape.routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_token));
    let control = control::routes().route_layer(middleware::from_fn_with_state(state.clone(), control::require_admin));
    let router = Router::new()
        .merge(api)
        .merge(control)
        .fallback(|| async { error::error_response(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error::error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
    // Outermost, so every answer waits (401s, 404s and the control API too); none when zero.
    let router = if state.config.answer_delay.is_zero() {
        router
    } else {
        router.layer(middleware::from_fn_with_state(state.clone(), api::delay_answer))
    };
    router.with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

/// `credentials.json`: what the vendor console hands the integrator, plus the admin token of the
/// control API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub base_url: String,
    pub admin_token: contract::Secret,
    pub accounts: Vec<AccountCredentials>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountCredentials {
    pub account_id: String,
    pub name: String,
    pub kid: String,
    pub private_key_path: PathBuf,
    /// The account's second key, registered for rotation (AUTH-7): tokens name it by this `kid`.
    pub rotation_kid: String,
    pub rotation_private_key_path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<contract::Secret>,
    /// The webhook registered at start-up (`--register-webhook`), whose secret is `webhook_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
}

/// A mock vendor serving in the background.
#[derive(Debug)]
pub struct RunningMock {
    pub base_url: String,
    pub addr: SocketAddr,
    pub credentials: Credentials,
    pub credentials_path: PathBuf,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningMock {
    /// Stops serving and waits for in-flight requests.
    pub async fn stop(mut self) {
        control::set_simulation(&self.state, None);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Creates the accounts and their keys, writes the private keys and `credentials.json` into
/// `state_dir`, and serves on `listener` in the background.
pub async fn start(
    config: MockConfig,
    listener: tokio::net::TcpListener,
    state_dir: &Path,
) -> anyhow::Result<RunningMock> {
    let accounts = config.fleet.account_count();
    let bits = config.key_bits;
    let keys = tokio::task::spawn_blocking(move || {
        let pair = || contract::token::generate_keypair(bits);
        (0..accounts).map(|_| Ok::<_, contract::token::KeyError>((pair()?, pair()?))).collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let simulate = config.simulate.then_some(config.simulation_rate);
    let state = AppState::new(config, keys)?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    std::fs::create_dir_all(state_dir).with_context(|| format!("failed to create {}", state_dir.display()))?;
    let mut accounts = Vec::new();
    {
        let fleet = state.fleet.read().expect("fleet lock");
        for (rec, keys) in fleet.accounts.iter().zip(&state.accounts) {
            let path = state_dir.join(format!("{}.pem", keys.kid));
            write_private(&path, keys.keys.private_pem.expose())?;
            let rotation_path = state_dir.join(format!("{}.pem", keys.rotation_kid));
            write_private(&rotation_path, keys.rotation_keys.private_pem.expose())?;
            accounts.push(AccountCredentials {
                account_id: rec.id.to_string(),
                name: rec.name.clone(),
                kid: keys.kid.clone(),
                private_key_path: path,
                rotation_kid: keys.rotation_kid.clone(),
                rotation_private_key_path: rotation_path,
                webhook_secret: None,
                webhook_id: None,
            });
        }
    }
    if let (Some(target), Some(first)) = (&state.config.variations.registered_webhook, accounts.first_mut()) {
        // Registered as the vendor's console would, before the integrator's first request.
        let hook = control::register_webhook(&state, 0, "console", target)
            .map_err(|reason| anyhow::anyhow!("failed to register the start-up webhook: {reason}"))?;
        state.startup_webhooks.lock().expect("webhooks lock").push(hook.clone());
        first.webhook_id = Some(hook.id);
        first.webhook_secret = Some(hook.secret);
    }
    let credentials = Credentials { base_url: base_url.clone(), admin_token: state.admin_token.clone(), accounts };
    let credentials_path = state_dir.join("credentials.json");
    write_private(&credentials_path, &serde_json::to_string_pretty(&credentials)?)?;
    if let Some(rate) = simulate {
        control::set_simulation(&state, Some(rate));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(run(listener, state.clone(), async {
        let _ = rx.await;
    }));
    Ok(RunningMock { base_url, addr, credentials, credentials_path, state, shutdown: Some(tx), server: Some(server) })
}

/// Writes key material only its owner can read ([`contract::files::write_private`]).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    contract::files::write_private(path, contents.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))
}
