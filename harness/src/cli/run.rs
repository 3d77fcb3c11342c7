//! `harness run`: the suites against one vendor.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::config::VendorConfig;
use crate::progress::ProgressMode;
use crate::reporter::LiveView;
use crate::reporter::live::DEFAULT_ADDR;
use crate::runner::{RunOptions, run_with};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vendor configuration
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
    /// Run only this suite (repeatable)
    #[arg(long = "suite", value_name = "NAME")]
    pub suites: Vec<String>,
    /// Run only this check (repeatable)
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Where run directories are written
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Advisories (SHOULD failures) fail the run
    #[arg(long)]
    pub strict: bool,
    /// Never wait for an operator; checks that need one are skipped
    #[arg(long)]
    pub non_interactive: bool,
    /// Serve a live view of the run (a page and its event stream) on ADDR, 127.0.0.1 and a free
    /// port when none is given; it stops when the run ends
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_ADDR)]
    pub live: Option<SocketAddr>,
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    let config = VendorConfig::load(&args.config)?;
    let options = RunOptions {
        out_dir: args.out,
        suites: args.suites,
        checks: args.checks,
        strict: args.strict,
        non_interactive: args.non_interactive,
        progress: ProgressMode::Auto,
        config_hint: args.config.display().to_string(),
        ..RunOptions::default()
    };
    let live = match args.live {
        Some(addr) => Some(LiveView::announce(addr).await?),
        None => None,
    };
    let extra = live.iter().map(LiveView::reporter).collect();
    let summary = run_with(config, options, extra).await;
    if let Some(live) = live {
        live.stop_after_run().await;
    }
    let summary = summary?;
    // The terminal reporter printed the verdict, the counts, the failures and the report's path.
    Ok(summary.exit_code)
}
