//! `harness report diff OLD NEW`: regressions and improvements between two runs.

use std::path::PathBuf;

use crate::report::{Report, diff};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Compare two runs (run directories or report.json files); exit 1 on any regression: a worse
    /// verdict, a check that passed and now fails, skips or errors, a check that newly fails, or
    /// one that applied and no longer does
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// How to print the comparison
        #[arg(long, value_enum, default_value_t = diff::Format::Text)]
        format: diff::Format,
    },
}

pub fn execute(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Diff { old, new, format } => {
            let (old, new) = (Report::load(&old)?, Report::load(&new)?);
            let d = diff::diff(&old, &new);
            out!("{}", d.render(&old, &new, format));
            Ok(if d.has_regressions() { crate::exit::NOT_CONFORMANT } else { crate::exit::OK })
        }
    }
}
