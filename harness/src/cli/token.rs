//! `harness token`: mints a bearer token from the configured key, for curl. This is the one
//! place the harness prints a token, because the operator asked for it.

use std::path::PathBuf;

use crate::config::VendorConfig;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
    /// Use the `[second_account]` credential
    #[arg(long)]
    pub second_account: bool,
}

pub fn execute(args: Args) -> anyhow::Result<i32> {
    let config = VendorConfig::load(&args.config)?;
    let auth = if args.second_account {
        config.second_account.as_ref().ok_or_else(|| anyhow::anyhow!("the config has no `[second_account]`"))?
    } else {
        &config.auth
    };
    let token = auth.minter()?.mint(contract::unix_now());
    println!("{}", token.expose());
    Ok(0)
}
