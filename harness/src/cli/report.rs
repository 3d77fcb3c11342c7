//! `harness report diff OLD NEW`: newly failing and newly passing checks between two runs.

use std::path::PathBuf;

use crate::report::{Report, diff};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Compare two runs (run directories or report.json files); exit 1 when a check newly fails
    Diff { old: PathBuf, new: PathBuf },
}

pub fn execute(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Diff { old, new } => {
            let (old, new) = (Report::load(&old)?, Report::load(&new)?);
            let d = diff::diff(&old, &new);
            print!("{}", d.render(&old, &new));
            Ok(i32::from(d.has_regressions()))
        }
    }
}
