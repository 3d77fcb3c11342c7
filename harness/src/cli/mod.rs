//! The command line: every flag defined once (clap derive), one command per file. Commands
//! return the process exit code; errors print with their context and exit 2.

/// `println!` for the commands' output: a closed stdout (`harness list | head -1`) returns an
/// error from the command (which ends quietly, as `cat` does) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for the commands' output, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))?
    };
}

pub mod certify;
pub mod demo;
pub mod init;
pub mod list;
pub mod listen;
pub mod probe;
pub mod report;
pub mod run;
pub mod sign;
pub mod token;

use clap::{Parser, Subcommand};

/// Exit codes (README "Exit codes"), defined once in [`crate::exit`].
pub use crate::exit;

#[derive(Debug, Parser)]
#[command(name = "harness", version, about = "Checks a vendor cloud against the cloud-to-cloud integration contract")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the conformance suites against a vendor and write reports
    Run(run::Args),
    /// Certify the embedded mock vendor end to end (no set-up needed)
    Demo(demo::Args),
    /// List the checks (the catalogue)
    List(list::Args),
    /// Write a commented vendor.toml template
    Init(init::Args),
    /// Run the webhook receiver alone, printing each delivery and its verification
    Listen(listen::Args),
    /// Fetch the account and first pages through the profile and print the canonical records
    Probe(probe::Args),
    /// Mint a bearer token from the configured key (for curl)
    Token(token::Args),
    /// Compute a webhook signature for a body file
    Sign(sign::SignArgs),
    /// Check a webhook signature for a body file
    Verify(sign::VerifyArgs),
    /// Write an Ed25519 key pair for signing certificates
    Keygen(certify::KeygenArgs),
    /// Run every suite and sign the run's directory as a certificate
    Certify(certify::CertifyArgs),
    /// Check a certificate's signature and every file's digest, offline
    VerifyCertificate(certify::VerifyArgs),
    /// Work with written reports
    #[command(subcommand)]
    Report(report::Command),
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(colour(std::io::IsTerminal::is_terminal(&std::io::stderr()), std::env::var_os("NO_COLOR")))
        .try_init();
    let code = match dispatch(cli) {
        Ok(code) => code,
        // The reader went away (`| head`): nothing more to say, the code a shell gives SIGPIPE.
        Err(e) if closed_stdout(&e) => exit::CLOSED_STDOUT,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::INCOMPLETE_OR_ERROR
        }
    };
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(exit::INCOMPLETE_OR_ERROR as u8))
}

/// Writes a command's output to stdout, flushed, so that a closed pipe is an error here.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.flush()
}

/// Whether `e` is stdout's reader having gone away.
fn closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

pub use crate::reporter::terminal::colour;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(args) => runtime()?.block_on(run::execute(args)),
        Command::Demo(args) => runtime()?.block_on(demo::execute(args)),
        Command::List(args) => list::execute(args),
        Command::Init(args) => init::execute(args),
        Command::Listen(args) => runtime()?.block_on(listen::execute(args)),
        Command::Probe(args) => runtime()?.block_on(probe::execute(args)),
        Command::Token(args) => token::execute(args),
        Command::Sign(args) => sign::sign(args),
        Command::Verify(args) => sign::verify(args),
        Command::Report(command) => report::execute(command),
        Command::Keygen(args) => certify::keygen(args),
        Command::Certify(args) => runtime()?.block_on(certify::certify(args)),
        Command::VerifyCertificate(args) => certify::verify(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
