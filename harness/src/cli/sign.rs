//! `harness sign` / `harness verify`: a webhook signature for a body file, in the contract's
//! format for a scheme. The secret comes from an environment variable or a file, never argv.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use contract::{Scheme, Secret, SignatureFormat};

#[derive(Debug, clap::Args)]
pub struct SecretArgs {
    /// Environment variable holding the webhook secret
    #[arg(long, value_name = "VAR", conflicts_with = "secret_file")]
    pub secret_env: Option<String>,
    /// File holding the webhook secret (trailing newline ignored)
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

impl SecretArgs {
    fn secret(&self) -> anyhow::Result<Secret> {
        match (&self.secret_env, &self.secret_file) {
            (Some(var), _) => std::env::var(var).map(Secret::new).with_context(|| format!("failed to read ${var}")),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|s| Secret::new(s.trim_end_matches(['\r', '\n'])))
                .with_context(|| format!("failed to read {}", path.display())),
            (None, None) => bail!("give the secret with --secret-env or --secret-file"),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The raw body to sign
    #[arg(long)]
    pub body: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[arg(long, default_value = "body", value_parser = parse_scheme)]
    pub scheme: Scheme,
    /// Unix seconds (default: now)
    #[arg(long)]
    pub timestamp: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[arg(long)]
    pub body: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[arg(long, default_value = "body", value_parser = parse_scheme)]
    pub scheme: Scheme,
    /// The `X-Webhook-Signature` value
    #[arg(long)]
    pub signature: String,
    /// The `X-Webhook-Timestamp` value
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Skip the timestamp window (checking a captured delivery later)
    #[arg(long)]
    pub ignore_window: bool,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
}

pub fn sign(args: SignArgs) -> anyhow::Result<i32> {
    let body = std::fs::read(&args.body).with_context(|| format!("failed to read {}", args.body.display()))?;
    let secret = args.secret.secret()?;
    let ts = args.timestamp.unwrap_or_else(contract::unix_now);
    for (name, value) in SignatureFormat::canonical(args.scheme).sign(&secret, &body, ts) {
        println!("{name}: {value}");
    }
    Ok(0)
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<i32> {
    let body = std::fs::read(&args.body).with_context(|| format!("failed to read {}", args.body.display()))?;
    let secret = args.secret.secret()?;
    let mut format = SignatureFormat::canonical(args.scheme);
    if args.ignore_window {
        format.tolerance_secs = None;
    }
    let header = |name: &str| {
        if name.eq_ignore_ascii_case(&format.header) {
            Some(args.signature.as_str())
        } else if format.timestamp_header.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(name)) {
            args.timestamp.as_deref()
        } else {
            None
        }
    };
    match format.verify(header, &body, &[&secret], contract::unix_now()) {
        Ok(_) => {
            println!("valid ({} scheme)", args.scheme);
            Ok(0)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(1)
        }
    }
}
