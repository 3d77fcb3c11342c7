//! `harness demo`: the harness certifying the embedded mock vendor end to end, in seconds,
//! with no set-up: what a sales engineer runs in front of a customer and what README's main
//! job runs. With `--keep-serving` the mock stays up after the run, so the report's reproduce
//! commands (which name the run's own `vendor.toml`) run as written against it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use contract::Scheme;
use mock_vendor::{MockConfig, RunningMock};

use crate::config::{AuthConfig, TriggerConfig, VendorConfig, WebhookSecretSource};
use crate::progress::ProgressMode;
use crate::reporter::LiveView;
use crate::reporter::live::{DEFAULT_ADDR, LiveFeed};
use crate::runner::{RunOptions, RunSummary, run, run_with};

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
    /// After the run, keep the embedded mock serving until Ctrl-C (or SIGTERM), so the report's
    /// reproduce commands and `harness probe --config <run dir>/vendor.toml` run against it
    #[arg(long)]
    pub keep_serving: bool,
    /// Serve a live view of the run (a page and its event stream) on ADDR, 127.0.0.1 and a free
    /// port when none is given; it stops when the run ends, or with the mock under --keep-serving
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_ADDR)]
    pub live: Option<SocketAddr>,
    /// Sign the run's directory as a certificate with a throw-away key, its public half written
    /// into the directory as `signer.pub` (under --keep-serving: once the serving ends)
    #[arg(long)]
    pub certify: bool,
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

/// The environment variable the `vendor.toml` a demo writes names for the mock's admin token
/// (`harness run` needs it to make devices act): the file never holds the token itself.
pub const ADMIN_TOKEN_ENV: &str = "HARNESS_DEMO_ADMIN_TOKEN";

/// The embedded mock serving in the background, with the folder holding its keys,
/// `credentials.json` and `admin-token` (removed when this is dropped or stopped).
#[derive(Debug)]
pub struct DemoMock {
    pub mock: RunningMock,
    pub shape: mock_vendor::shape::Shape,
    state_dir: tempfile::TempDir,
}

impl DemoMock {
    /// Starts the mock on a free loopback port, its state in a new private folder.
    pub async fn start(mock_config: MockConfig) -> anyhow::Result<Self> {
        let state_dir = tempfile::tempdir().context("failed to create the mock's state folder")?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("failed to bind the mock vendor")?;
        let shape = mock_config.shape;
        let mock = mock_vendor::start(mock_config, listener, state_dir.path()).await?;
        let demo = Self { mock, shape, state_dir };
        // A file of its own, so `$(cat …)` hands it to `harness run` (credentials.json is JSON).
        let path = demo.admin_token_path();
        contract::files::write_private(&path, demo.mock.credentials.admin_token.expose().as_bytes())
            .with_context(|| format!("failed to write {}", path.display()))?;
        Ok(demo)
    }

    /// The folder of the mock's keys and credentials: the written `vendor.toml` points into it.
    pub fn state_dir(&self) -> &Path {
        self.state_dir.path()
    }

    /// The file holding the mock's admin token (mode 0600).
    pub fn admin_token_path(&self) -> PathBuf {
        self.state_dir().join("admin-token")
    }

    /// Stops serving, then removes the state folder.
    pub async fn stop(self) {
        self.mock.stop().await;
    }

    /// `vendor.toml` as a run directory keeps it: what [`config_for`] gives, with the built-in
    /// profile by name and no secret inline (a report directory is shared). Keys stay files in
    /// the state folder; the admin token is read from [`ADMIN_TOKEN_ENV`]. The header says where
    /// the token is and whether the mock still serves.
    pub fn vendor_toml(&self, run_id: &str, serving: bool) -> anyhow::Result<String> {
        let mut config = config_for(&self.mock, self.shape)?;
        config.trigger = TriggerConfig::MockControl {
            admin_url: self.mock.base_url.clone(),
            admin_token_env: Some(ADMIN_TOKEN_ENV.into()),
            admin_token: None,
        };
        let mut table = toml::Table::try_from(&config).context("failed to write the demo's vendor.toml")?;
        table.insert("profile".into(), toml::Value::String(self.shape.name().into()));
        // Sections in the order `harness init`'s template reads (a table alone sorts them).
        let order = ["profile", "vendor", "auth", "second_account", "webhook", "trigger", "capabilities", "budgets"];
        let mut body = String::new();
        for key in order.into_iter().chain(table.keys().map(String::as_str).filter(|k| !order.contains(k))) {
            if let Some(value) = table.get(key) {
                let one = toml::Table::from_iter([(key.to_owned(), value.clone())]);
                body.push_str(&toml::to_string(&one).context("failed to write the demo's vendor.toml")?);
                body.push('\n');
            }
        }
        let state = self.state_dir().display();
        let token = crate::client::shell_quote(&self.admin_token_path().display().to_string());
        let status = if serving {
            "# The mock serves while `harness demo --keep-serving` runs; Ctrl-C stops it and removes\n\
             # that folder."
                .to_owned()
        } else {
            format!(
                "# The mock has stopped and {state} was removed with it: `harness demo --keep-serving`\n\
                 # keeps one up, so the reproduce commands run as written."
            )
        };
        Ok(format!(
            "# Written by `harness demo` for run {run_id}: the harness's configuration for the embedded\n\
             # mock vendor at {base}. The report's reproduce commands name this file.\n\
             # It holds no secret: the private keys are files in {state}, and the mock's admin token\n\
             # (`harness run` needs it to make devices act) is read from ${ADMIN_TOKEN_ENV}:\n\
             #   export {ADMIN_TOKEN_ENV}=\"$(cat {token})\"\n\
             {status}\n\n{body}",
            base = self.mock.base_url,
        ))
    }
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
    let demo = DemoMock::start(mock_config).await?;
    let summary = match config_for(&demo.mock, demo.shape) {
        Ok(mut config) => {
            adjust(&mut config);
            run(config, options).await
        }
        Err(e) => Err(e),
    };
    demo.stop().await;
    summary
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    eprintln!(
        "starting the embedded mock vendor (demo fleet, `{}` shape) and certifying it against every suite",
        args.shape
    );
    // Reproduce commands name the `vendor.toml` written into the run directory, so its id is
    // chosen here.
    let run_id = crate::runner::new_run_id();
    let vendor_toml = args.out.join(&run_id).join("vendor.toml");
    let options = RunOptions {
        out_dir: args.out,
        strict: args.strict,
        non_interactive: true,
        progress: ProgressMode::Auto,
        config_hint: vendor_toml.display().to_string(),
        run_id: Some(run_id.clone()),
        ..RunOptions::default()
    };
    // Listening from before the run: a Ctrl-C the runner no longer watches for (while it writes
    // the reports) still ends the serving, at once.
    let stop = if args.keep_serving { Some(crate::runner::interrupt_signal()?) } else { None };
    let live = match args.live {
        Some(addr) => Some(LiveView::announce(addr).await?),
        None => None,
    };
    let demo = match DemoMock::start(MockConfig { shape: args.shape, ..demo_mock_config(args.faults) }).await {
        Ok(demo) => demo,
        Err(e) => {
            if let Some(live) = live {
                live.stop_after_run().await;
            }
            return Err(e);
        }
    };
    let extra = live.iter().map(LiveView::reporter).collect();
    let fleet = live.as_ref().map(|live| watch_fleet(demo.mock.state.clone(), live.feed()));
    let summary = match config_for(&demo.mock, demo.shape) {
        Ok(config) => run_with(config, options, extra).await,
        Err(e) => Err(e),
    };
    if let Some(fleet) = fleet {
        fleet.abort();
    }
    let summary = match summary {
        Ok(summary) => summary,
        Err(e) => {
            if let Some(live) = live {
                live.stop_after_run().await;
            }
            demo.stop().await;
            return Err(e);
        }
    };
    // An interrupted run means the operator wants out: no serving then.
    let stop = stop.filter(|_| !summary.interrupted);
    let serving = stop.is_some();
    std::fs::write(&vendor_toml, demo.vendor_toml(&run_id, serving)?)
        .with_context(|| format!("failed to write {}", vendor_toml.display()))?;
    // The terminal reporter printed the verdict, the counts, the failures and the report's path.
    if let Some(stop) = stop {
        // The operator's own commands meet the mock as the run first did: the run's burst of bad
        // tokens no longer counts against its limit (a `harness run` at once would get 429s), no
        // retries go on to the run's closed receiver, the run's device changes are undone.
        // Faults stay, so a failing check's reproduce command still shows the failure.
        demo.mock.state.reset();
        if let Some(live) = &live {
            eprintln!("the live view keeps serving at {} until Ctrl-C too", live.url());
        }
        keep_serving(&demo, &vendor_toml, summary.exit_code, stop).await;
        // The header must not say the mock serves once it has stopped.
        std::fs::write(&vendor_toml, demo.vendor_toml(&run_id, false)?)
            .with_context(|| format!("failed to write {}", vendor_toml.display()))?;
    } else if args.keep_serving {
        eprintln!("the run was interrupted: the mock vendor stops too");
    } else {
        eprintln!(
            "reproduce commands name {}; the mock vendor has stopped (`harness demo --keep-serving` keeps it up for them)",
            vendor_toml.display()
        );
    }
    if let Some(live) = live {
        live.stop_after_run().await;
    }
    demo.stop().await;
    if args.certify && !summary.interrupted {
        // A throw-away key: the private half never leaves this process.
        let key = crate::certificate::keys::generate();
        let public = summary.report_dir.join(crate::certificate::DEMO_PUBLIC_KEY);
        std::fs::write(&public, crate::certificate::keys::public_pem(&key.verifying_key()))
            .with_context(|| format!("failed to write {}", public.display()))?;
        // The profile the run read the mock through: the built-in of the shape it served.
        let profile = crate::profile::Profile::builtin(&args.shape.to_string())
            .with_context(|| format!("no built-in profile for the `{}` shape", args.shape))?;
        super::certify::write_certificate(&summary, &key, None, &profile)?;
        eprintln!(
            "verify it with: harness verify-certificate {} --key {}",
            summary.report_dir.display(),
            public.display()
        );
    }
    Ok(summary.exit_code)
}

/// Shows the mock's fleet in the live view: every account's sites and devices with the status
/// inventory serves, sent again whenever the fleet changed. Polled: the mock has no change feed,
/// and reading its generation counter four times a second costs nothing.
fn watch_fleet(state: mock_vendor::AppState, feed: LiveFeed) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut shown = None;
        loop {
            let generation = state.fleet_generation.load(std::sync::atomic::Ordering::Acquire);
            if shown != Some(generation) {
                shown = Some(generation);
                feed.publish_latest(&fleet_snapshot(&state));
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    })
}

/// The `fleet` event of the live view.
fn fleet_snapshot(state: &mock_vendor::AppState) -> serde_json::Value {
    let fleet = state.fleet.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let device = |&idx: &u32| {
        let d = &fleet.devices[idx as usize];
        let name = fleet.device_name(idx);
        serde_json::json!({"id": d.id, "name": name, "type": d.kind.as_str(), "status": d.status.as_str()})
    };
    let site = |s: &u32| {
        let s = &fleet.sites[*s as usize];
        serde_json::json!({"name": s.name, "devices": s.devices.iter().map(device).collect::<Vec<_>>()})
    };
    let accounts: Vec<serde_json::Value> = fleet
        .accounts
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "sites": a.sites.iter().map(site).collect::<Vec<_>>()}))
        .collect();
    serde_json::json!({"type": "fleet", "accounts": accounts})
}

/// Serves until Ctrl-C or SIGTERM, saying how to use the mock meanwhile (on stderr, as `listen`
/// says it listens: stdout keeps the run's result alone).
async fn keep_serving(
    demo: &DemoMock,
    vendor_toml: &Path,
    exit_code: i32,
    stop: impl std::future::Future<Output = ()>,
) {
    let config = crate::client::shell_quote(&vendor_toml.display().to_string());
    let token = crate::client::shell_quote(&demo.admin_token_path().display().to_string());
    eprintln!(
        "the mock vendor keeps serving at {} until Ctrl-C (then exit {exit_code}, the run's), as it was before the run",
        demo.mock.base_url
    );
    eprintln!("  its configuration, which the report's reproduce commands name: {}", vendor_toml.display());
    eprintln!("  harness probe --config {config}");
    eprintln!("  harness token --config {config}");
    eprintln!("  export {ADMIN_TOKEN_ENV}=\"$(cat {token})\"; harness run --config {config} --non-interactive");
    stop.await;
    eprintln!("stopping the mock vendor");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `vendor.toml` a demo writes loads as any `vendor.toml` does, names the built-in
    /// profile, points at the mock and its keys, and holds no secret: the admin token is named
    /// by variable, and the header says where it is and whether the mock still serves.
    #[tokio::test]
    async fn the_written_vendor_toml_loads_and_holds_no_secret() {
        let demo = DemoMock::start(MockConfig { key_bits: 1024, ..demo_mock_config(Vec::new()) }).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vendor.toml");
        let admin_token = demo.mock.credentials.admin_token.expose().to_owned();
        assert_eq!(std::fs::read_to_string(demo.admin_token_path()).unwrap(), admin_token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(demo.admin_token_path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        for serving in [true, false] {
            let text = demo.vendor_toml("run-1", serving).unwrap();
            assert!(!text.contains(&admin_token), "{text}");
            assert!(text.contains("\nprofile = \"canonical\"\n"), "{text}");
            assert!(text.contains(&format!("export {ADMIN_TOKEN_ENV}=")), "{text}");
            assert_eq!(text.contains("The mock serves while"), serving, "{text}");
            assert_eq!(text.contains("The mock has stopped"), !serving, "{text}");
            std::fs::write(&path, &text).unwrap();
            let config = VendorConfig::load(&path).unwrap();
            let expected = config_for(&demo.mock, demo.shape).unwrap();
            assert_eq!(config.vendor, expected.vendor);
            assert_eq!(config.auth, expected.auth);
            assert_eq!(config.profile, expected.profile);
            assert_eq!(config.budgets, expected.budgets);
            assert_eq!(
                config.trigger,
                TriggerConfig::MockControl {
                    admin_url: demo.mock.base_url.clone(),
                    admin_token_env: Some(ADMIN_TOKEN_ENV.into()),
                    admin_token: None,
                }
            );
        }
        demo.stop().await;
    }
}
