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

/// What both commands read: the raw body, the secret and the scheme.
#[derive(Debug, clap::Args)]
pub struct BodyArgs {
    /// The raw body, exactly as delivered
    #[arg(long)]
    pub body: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// The signature scheme: `body` (the body alone) or `timestamped` (`{timestamp}.{body}`)
    #[arg(long, default_value = "body", value_parser = parse_scheme)]
    pub scheme: Scheme,
}

impl BodyArgs {
    fn read(&self) -> anyhow::Result<(Vec<u8>, Secret)> {
        let body = std::fs::read(&self.body).with_context(|| format!("failed to read {}", self.body.display()))?;
        Ok((body, self.secret.secret()?))
    }
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub input: BodyArgs,
    /// Unix seconds (default: now)
    #[arg(long)]
    pub timestamp: Option<i64>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub input: BodyArgs,
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
    let (body, secret) = args.input.read()?;
    let ts = args.timestamp.unwrap_or_else(contract::unix_now);
    for (name, value) in SignatureFormat::canonical(args.input.scheme).sign(&secret, &body, ts) {
        println!("{name}: {value}");
    }
    Ok(0)
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<i32> {
    let (body, secret) = args.input.read()?;
    let mut format = SignatureFormat::canonical(args.input.scheme);
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
            println!("valid ({} scheme)", args.input.scheme);
            Ok(0)
        }
        Err(e) => {
            println!("invalid: {e}");
            Ok(1)
        }
    }
}
