//! `harness list`: the check catalogue, from the one catalogue in `suites` ([`crate::catalogue`]).

pub use crate::catalogue::{Format, markdown, render};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to print the catalogue: a table for a terminal, the Markdown of suites/CHECKS.md, or JSON
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn execute(args: Args) -> anyhow::Result<i32> {
    out!("{}", render(args.format));
    Ok(crate::exit::OK)
}
