//! `harness demo`: the harness certifying the embedded mock vendor end to end, in seconds,
//! with no set-up: what a sales engineer runs in front of a customer and what README's main
//! job runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use contract::Scheme;
use mock_vendor::{MockConfig, RunningMock};

use crate::config::{AuthConfig, TriggerConfig, VendorConfig, WebhookSecretSource};
use crate::progress::ProgressMode;
use crate::runner::{RunOptions, RunSummary, run};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where run directories are written
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Inject a mock-vendor fault (repeatable), to show a failing run; `mock-vendor faults` lists them
    #[arg(long = "fault", value_name = "NAME", value_parser = |s: &str| s.parse::<mock_vendor::Fault>())]
    pub faults: Vec<mock_vendor::Fault>,
    /// Advisories (SHOULD failures) fail the run
    #[arg(long)]
    pub strict: bool,
    /// The wire shape the mock serves (`canonical`, `cursor`, `link`); the harness reads it
    /// through the built-in profile of the same name (`harness/profiles/<shape>.toml`)
    #[arg(long, default_value = "canonical", value_parser = |s: &str| s.parse::<mock_vendor::shape::Shape>())]
    pub shape: mock_vendor::shape::Shape,
}

/// The mock vendor a demo (or a test) runs against: demo fleet, sub-second retries, loopback
/// targets allowed, the timestamped signature scheme.
pub fn demo_mock_config(faults: Vec<mock_vendor::Fault>) -> MockConfig {
    MockConfig { signature: Scheme::Timestamped, faults, ..MockConfig::fast() }
}

/// The vendor configuration that points the harness at a running mock, read through the built-in
/// profile of the shape it serves.
pub fn config_for(mock: &RunningMock, shape: mock_vendor::shape::Shape) -> anyhow::Result<VendorConfig> {
    let creds = &mock.credentials;
    let account = |i: usize| {
        let a = &creds.accounts[i];
        AuthConfig::from_key_path(a.private_key_path.clone(), Some(a.kid.clone()))
            .with_rotation_key(a.rotation_private_key_path.clone(), a.rotation_kid.clone())
    };
    let mut config = VendorConfig::new("mock-vendor (demo)", mock.base_url.clone(), account(0));
    config.profile = crate::profile::Profile::builtin(shape.name())
        .with_context(|| format!("no built-in profile for the mock's `{shape}` shape"))?;
    config.second_account = creds.accounts.get(1).map(|_| account(1));
    config.webhook.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.webhook.secret = WebhookSecretSource::ManagementApi;
    config.webhook.scheme = Scheme::Timestamped;
    config.trigger = TriggerConfig::MockControl {
        admin_url: mock.base_url.clone(),
        admin_token_env: None,
        admin_token: Some(creds.admin_token.clone()),
    };
    config.capabilities.declared =
        ["webhook-management", "ping", "event-types"].into_iter().map(String::from).collect();
    config.capabilities.event_families = ["health", "alarm", "access", "video"].into_iter().map(String::from).collect();
    // What the mock's event catalogue says too, for checks to rely on when it does not answer.
    config.capabilities.silent_device_types = vec!["sensor".into()];
    // The fast mock retries within about 3 s and times an attempt out after 1.5 s: waits sized
    // to it keep the whole demo within seconds.
    config.budgets.event_wait_secs = 5;
    config.budgets.quiet_window_secs = 1.0;
    config.budgets.outage_secs = 1.5;
    config.budgets.retry_horizon_secs = 10;
    // The mock limits after 100 failed authentications in 10 s: a burst of 150 must meet it.
    config.budgets.rate_limit_burst = 150;
    Ok(config)
}

/// Starts the embedded mock, runs every suite against it, stops the mock.
pub async fn run_demo(mock_config: MockConfig, options: RunOptions) -> anyhow::Result<RunSummary> {
    run_demo_with(mock_config, options, |_| {}).await
}

/// [`run_demo`] with the vendor configuration changed by `adjust` first (a test declaring less
/// than the mock offers, say).
pub async fn run_demo_with(
    mock_config: MockConfig,
    options: RunOptions,
    adjust: impl FnOnce(&mut VendorConfig),
) -> anyhow::Result<RunSummary> {
    let state_dir = tempfile::tempdir().context("failed to create the mock's state folder")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("failed to bind the mock vendor")?;
    let shape = mock_config.shape;
    let mock = mock_vendor::start(mock_config, listener, state_dir.path()).await?;
    let summary = match config_for(&mock, shape) {
        Ok(mut config) => {
            adjust(&mut config);
            run(config, options).await
        }
        Err(e) => Err(e),
    };
    mock.stop().await;
    summary
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    eprintln!(
        "starting the embedded mock vendor (demo fleet, `{}` shape) and certifying it against every suite",
        args.shape
    );
    let options = RunOptions {
        out_dir: args.out,
        strict: args.strict,
        non_interactive: true,
        progress: ProgressMode::Auto,
        config_hint: "vendor.toml".into(),
        ..RunOptions::default()
    };
    let mock = MockConfig { shape: args.shape, ..demo_mock_config(args.faults) };
    let summary = run_demo(mock, options).await?;
    // The terminal reporter printed the verdict, the counts, the failures and the report's path.
    Ok(summary.exit_code)
}
