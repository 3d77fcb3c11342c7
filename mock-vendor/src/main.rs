//! `mock-vendor`: serve the reference vendor cloud, or print the fault catalogue.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use contract::Scheme;
use mock_vendor::config::{
    FamilyData, OverMax, PastEnd, RateLimitScope, Variations, parse_answer_delay, parse_schedule, parse_simulation_rate,
};
use mock_vendor::process::{colour, shutdown_signal};
use mock_vendor::{Fault, FleetSpec, MockConfig, Shape};

/// mimalloc, not glibc malloc: a page or a delivery allocates per request, and glibc's
/// free-list work was a tenth of serving one (issue 18; `bench` runs the same allocator).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mock-vendor",
    version,
    about = "A reference vendor cloud that serves the integration contract and breaks it on demand"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the contract until SIGINT/SIGTERM.
    Serve(Box<Serve>),
    /// Print the fault catalogue: name, requirement ids violated, what goes wrong.
    Faults,
}

#[derive(Parser)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the accounts' private keys and credentials.json are written.
    #[arg(long)]
    state_dir: PathBuf,
    /// `demo` (two accounts, about fifty devices) or `synthetic:N` (N devices in sites of 1,000).
    #[arg(long, default_value = "demo", value_parser = |s: &str| s.parse::<FleetSpec>())]
    fleet: FleetSpec,
    /// Seed of the fleet's ids and attributes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Waits between delivery attempts, e.g. `1s,5s,30s`, or `none` for no retries (default:
    /// 10s,1m,5m,30m,2h,6h,12h).
    #[arg(long, value_name = "WAITS", value_parser = |s: &str| parse_schedule(s).map(Schedule))]
    retry_schedule: Option<Schedule>,
    /// Webhook signature scheme: `body` signs the body alone, `timestamped` binds the timestamp,
    /// each shape in its own header and value format. Without it the canonical shape signs the
    /// body alone (the guide's default) and the other shapes bind the timestamp.
    #[arg(long, value_parser = |s: &str| s.parse::<Scheme>())]
    signature: Option<Scheme>,
    /// Wire shape: `canonical` (CONTRACT.md), `cursor` (Eagle Eye/Verkada-like) or `link`
    /// (Meraki-like); the crate docs of `mock_vendor::shape` describe each.
    #[arg(long, default_value = "canonical", value_parser = |s: &str| s.parse::<Shape>())]
    shape: Shape,
    /// Inject a contract violation (repeatable); `mock-vendor faults` lists them.
    #[arg(long = "fault", value_parser = |s: &str| s.parse::<Fault>())]
    faults: Vec<Fault>,
    /// Accept loopback and private webhook targets (tests and demos).
    #[arg(long)]
    allow_private_targets: bool,
    /// Simulate the fleet: devices flap, alarm/access/video events go out.
    #[arg(long)]
    simulate: bool,
    /// Simulated events per second, in (0, 10000].
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true, value_parser = |s: &str| parse_simulation_rate(s))]
    simulation_rate: f64,
    /// Wait this long before every answer (e.g. `20ms`, at most 60s): the latency of a vendor
    /// across the internet rather than on loopback.
    #[arg(long, value_name = "DELAY", value_parser = |s: &str| parse_answer_delay(s))]
    answer_delay: Option<std::time::Duration>,
    #[command(flatten)]
    variations: VariationArgs,
}

/// A whole retry schedule as one value: clap's derive takes an `Option<Vec<_>>` field for a
/// repeatable option of single durations and panics at start when the parser returns a `Vec`.
#[derive(Clone)]
struct Schedule(Vec<std::time::Duration>);

/// The legitimate choices the contract leaves to a vendor (`mock_vendor::config::Variations`).
#[derive(clap::Args)]
struct VariationArgs {
    /// Alarm, access and video `data`: the project's `suggested` attributes, or the vendor's `own`
    /// (declared in its event catalogue's `data_schema`).
    #[arg(long, default_value = "suggested", value_parser = |s: &str| s.parse::<FamilyData>())]
    family_data: FamilyData,
    /// What is rate limited (429 + Retry-After): `failed-auth` (bursts of bad credentials),
    /// `account` (each account's authenticated requests) or `none`.
    #[arg(long, default_value = "failed-auth", value_parser = |s: &str| s.parse::<RateLimitScope>())]
    rate_limit: RateLimitScope,
    /// A page past the end: `empty` (200 with an empty list) or `404`.
    #[arg(long, default_value = "empty", value_parser = |s: &str| s.parse::<PastEnd>())]
    past_end: PastEnd,
    /// A page size over the maximum: `shape` (the canonical shape answers 400, the others clamp),
    /// `clamp` or `400`.
    #[arg(long, default_value = "shape", value_parser = |s: &str| s.parse::<OverMax>())]
    over_max: OverMax,
    /// The largest page size served.
    #[arg(long, default_value_t = contract::MAX_PER_PAGE, value_parser = clap::value_parser!(u64).range(1..))]
    max_page_size: u64,
    /// A webhook status word of the vendor's own (e.g. `enabled`): webhook creation requires it
    /// and refuses `active` with 400; answers show it.
    #[arg(long, value_name = "WORD", value_parser = parse_webhook_status)]
    webhook_status: Option<String>,
    /// Offer no webhook management API: the webhook endpoints and ping answer 404 (register
    /// webhooks with `--register-webhook` or `POST /_mock/webhooks`).
    #[arg(long)]
    no_webhook_api: bool,
    /// Register a webhook for the first account delivering to this URL at start-up, as the
    /// vendor's console would; its id and secret are written to credentials.json.
    #[arg(long, value_name = "URL")]
    register_webhook: Option<String>,
    /// Publish no event catalogue: `GET /event-types` answers 404.
    #[arg(long)]
    no_event_catalogue: bool,
}

impl VariationArgs {
    fn variations(self, signature: Option<Scheme>) -> Variations {
        Variations {
            family_data: self.family_data,
            rate_limit_scope: self.rate_limit,
            past_end: self.past_end,
            over_max: self.over_max,
            max_page_size: self.max_page_size,
            body_only_signatures: signature == Some(Scheme::Body),
            webhook_status: self.webhook_status,
            webhook_api: !self.no_webhook_api,
            registered_webhook: self.register_webhook,
            event_catalogue: !self.no_event_catalogue,
            ..Variations::default()
        }
    }
}

/// A status word of the vendor's own: one token, and not the contract's `active` (which the
/// variation refuses, so it could never be created).
fn parse_webhook_status(s: &str) -> Result<String, String> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("`{s}` is not a status word (letters, digits, `_` or `-`, e.g. `enabled`)"));
    }
    if s == "active" {
        return Err(
            "`active` is the contract's own word; give the vendor's own (e.g. `enabled`) or leave the option out"
                .into(),
        );
    }
    Ok(s.to_owned())
}

/// Errors (a state folder that cannot be written, a port in use, a start-up webhook refused)
/// print as one `error:` line with their causes and exit 2, as a bad option does.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR")))
        .init();
    match Cli::parse().command {
        Command::Faults => {
            print!("{}", mock_vendor::fault::catalogue_text());
            Ok(())
        }
        Command::Serve(args) => serve(*args).await,
    }
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    let mut config = MockConfig {
        fleet: args.fleet,
        seed: args.seed,
        signature: args.signature.unwrap_or(Scheme::Body),
        shape: args.shape,
        variations: args.variations.variations(args.signature),
        ..MockConfig::default()
    };
    if let Some(schedule) = args.retry_schedule {
        config.retry_schedule = schedule.0;
    }
    config.faults = args.faults;
    config.allow_private_targets = args.allow_private_targets;
    config.simulate = args.simulate;
    config.simulation_rate = args.simulation_rate;
    config.answer_delay = args.answer_delay.unwrap_or_default();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("failed to listen on {}", args.listen))?;
    let started = std::time::Instant::now();
    let mock = mock_vendor::start(config, listener, &args.state_dir).await?;
    // Installed before READY: a signal right after it must stop the mock cleanly.
    let stop = shutdown_signal()?;
    tracing::info!(credentials = %mock.credentials_path.display(), startup_ms = started.elapsed().as_millis() as u64, "mock vendor ready");
    println!("READY {}", mock.base_url);
    stop.await;
    tracing::info!("shutting down");
    mock.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
