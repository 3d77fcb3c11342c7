//! `harness init`: writes the commented `vendor.toml` template.

use std::path::PathBuf;

use anyhow::{Context as _, bail};

use crate::config::VendorConfig;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the template
    #[arg(long, default_value = "vendor.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

pub fn execute(args: Args) -> anyhow::Result<i32> {
    if args.path.exists() && !args.force {
        bail!("{} exists (use --force to overwrite)", args.path.display());
    }
    std::fs::write(&args.path, VendorConfig::TEMPLATE)
        .with_context(|| format!("failed to write {}", args.path.display()))?;
    outln!("wrote {}; edit it, then run `harness run --config {}`", args.path.display(), args.path.display());
    Ok(crate::exit::OK)
}
