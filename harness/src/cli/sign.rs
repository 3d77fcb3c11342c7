//! `harness sign` / `harness verify`: a webhook signature for a body file, in the contract's
//! format for a scheme or in a vendor profile's format (`--config`). The secret comes from an
//! environment variable, a file or the configuration, never argv. Each command accepts what the
//! other prints: `verify` takes the `Name: value` lines `sign` prints, one by one or as a file.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use contract::diagnose::diagnose;
use contract::{Scheme, Secret, SignatureError, SignatureFormat};

use crate::config::{VendorConfig, WebhookSecretSource};

#[derive(Debug, clap::Args)]
pub struct SecretArgs {
    /// Environment variable holding the webhook secret (overrides the configuration's)
    #[arg(long, value_name = "VAR", conflicts_with = "secret_file")]
    pub secret_env: Option<String>,
    /// File holding the webhook secret, trailing newline ignored (overrides the configuration's)
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

impl SecretArgs {
    fn secret(&self) -> anyhow::Result<Option<Secret>> {
        match (&self.secret_env, &self.secret_file) {
            (Some(var), _) => {
                std::env::var(var).map(|s| Some(Secret::new(s))).with_context(|| format!("failed to read ${var}"))
            }
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|s| Some(Secret::new(s.trim_end_matches(['\r', '\n']))))
                .with_context(|| format!("failed to read {}", path.display())),
            (None, None) => Ok(None),
        }
    }
}

/// What both commands read: the raw body, the secret and the format.
#[derive(Debug, clap::Args)]
pub struct BodyArgs {
    /// The raw body, exactly as delivered
    #[arg(long)]
    pub body: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// The contract's scheme, `body` or `timestamped` (default: the configuration's
    /// `[webhook] scheme`, else `body`); a profile with its own `[signature]` ignores it
    #[arg(long, value_parser = parse_scheme)]
    pub scheme: Option<Scheme>,
    /// A vendor.toml: sign and verify in its profile's signature format, with its webhook secret
    /// (`[webhook] secret`) unless a secret flag is given
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// The inputs, resolved: what to sign or verify, with what, how.
struct Input {
    body: Vec<u8>,
    secret: Secret,
    /// The configuration's secret when a flag overrode it: another secret of the account, which
    /// a wrong signature may have used.
    others: Vec<Secret>,
    scheme: Scheme,
    format: SignatureFormat,
    /// The profile whose format it is, when it is not the contract's.
    profile: Option<String>,
}

impl BodyArgs {
    fn read(&self) -> anyhow::Result<Input> {
        let config = self.config.as_deref().map(VendorConfig::load).transpose()?;
        let body = std::fs::read(&self.body).with_context(|| format!("failed to read {}", self.body.display()))?;
        let scheme = self.scheme.or(config.as_ref().map(|c| c.webhook.scheme)).unwrap_or(Scheme::Body);
        let format =
            config.as_ref().map_or_else(|| SignatureFormat::canonical(scheme), |c| c.profile.signature_format(scheme));
        let profile = config.as_ref().filter(|c| c.profile.signature.is_some()).map(|c| c.profile.name.clone());
        let (secret, others) = match (self.secret.secret()?, &config) {
            // The configuration's secret may be unreadable here (an unset variable): the flag is enough.
            (Some(flag), Some(config)) => {
                let configured = config.webhook.resolve_secret().ok().flatten();
                (flag.clone(), configured.into_iter().filter(|c| c.expose() != flag.expose()).collect())
            }
            (Some(flag), None) => (flag, Vec::new()),
            (None, Some(config)) if config.webhook.secret == WebhookSecretSource::ManagementApi => bail!(
                "the configuration's webhook secret is created at run time (`management-api`): give it with --secret-env or --secret-file"
            ),
            (None, Some(config)) => match config.webhook.resolve_secret()? {
                Some(secret) => (secret, Vec::new()),
                None => bail!("the configuration has no webhook secret: give it with --secret-env or --secret-file"),
            },
            (None, None) => {
                bail!("give the secret with --secret-env or --secret-file (or a `[webhook] secret` in --config)")
            }
        };
        Ok(Input { body, secret, others, scheme, format, profile })
    }
}

impl Input {
    /// `body scheme` or `the cursor profile's format`.
    fn describe(&self) -> String {
        match &self.profile {
            Some(name) => format!("the `{name}` profile's format"),
            None => format!("{} scheme", self.scheme),
        }
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
    /// The signature header's value, or its whole `Name: value` line as `sign` prints it
    #[arg(long, required_unless_present = "headers")]
    pub signature: Option<String>,
    /// The timestamp header's value, or its whole `Name: value` line (formats with a timestamp header)
    #[arg(long)]
    pub timestamp: Option<String>,
    /// A file of `Name: value` header lines: what `sign` prints, or a delivery's headers;
    /// --signature and --timestamp override its lines
    #[arg(long, value_name = "PATH")]
    pub headers: Option<PathBuf>,
    /// Skip the timestamp window (checking a captured delivery later)
    #[arg(long)]
    pub ignore_window: bool,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    s.parse()
}

pub fn sign(args: SignArgs) -> anyhow::Result<i32> {
    let input = args.input.read()?;
    let ts = args.timestamp.unwrap_or_else(contract::unix_now);
    for (name, value) in input.format.sign(&input.secret, &input.body, ts) {
        outln!("{name}: {value}");
    }
    Ok(crate::exit::OK)
}

/// `Name: value` as a header line, when `name` is a header name (letters, digits, `-`, `_`).
fn header_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    let token = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    token.then(|| (name, value.trim()))
}

/// A flag's text as the value of header `name`: the value alone, or that header's line.
fn flag_value<'a>(text: &'a str, name: &str) -> &'a str {
    match header_line(text) {
        Some((given, value)) if given.eq_ignore_ascii_case(name) => value,
        _ => text.trim(),
    }
}

fn read_headers(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
    let mut headers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        // A captured request may open with its request line (`POST /webhook HTTP/1.1`).
        if line.is_empty() || (i == 0 && line.contains(" HTTP/")) {
            continue;
        }
        let Some((name, value)) = header_line(line) else {
            bail!("line {} of {} is not a `Name: value` header line", i + 1, path.display());
        };
        headers.push((name.to_owned(), value.to_owned()));
    }
    Ok(headers)
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<i32> {
    let input = args.input.read()?;
    let mut format = input.format.clone();
    if args.ignore_window {
        format.tolerance_secs = None;
    }
    let mut headers = match &args.headers {
        Some(path) => read_headers(path)?,
        None => Vec::new(),
    };
    let mut set = |name: &str, value: &str| {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value.to_owned()));
    };
    if let Some(text) = &args.signature {
        set(&format.header, flag_value(text, &format.header));
    }
    match (&args.timestamp, &format.timestamp_header) {
        (Some(text), Some(name)) => set(name, flag_value(text, name)),
        (Some(_), None) => {
            eprintln!("note: this format carries its timestamp inside the signature value; --timestamp is not used")
        }
        (None, _) => {}
    }
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let now = contract::unix_now();
    let secrets = [&input.secret];
    let result = format.verify(header, &input.body, &secrets, now);
    // As the receiver does: a signature over the body alone meets SIG-1 whatever the format
    // declares (SIG-3 advises binding the timestamp), so it is valid here too.
    let body_only = result.is_err()
        && format.binds_timestamp()
        && format.body_only().verify(header, &input.body, &secrets, now).is_ok();
    match result {
        Ok(_) => {
            outln!("valid ({})", input.describe());
            Ok(crate::exit::OK)
        }
        Err(_) if body_only => {
            outln!(
                "valid over the body alone ({}): SIG-1 holds, but the format signs `{}`, which binds the timestamp (SIG-3)",
                input.describe(),
                format.signed_content
            );
            Ok(crate::exit::OK)
        }
        Err(e) => {
            outln!("invalid: {e}");
            let others: Vec<&Secret> = input.others.iter().collect();
            match diagnose(&format, header, &input.body, &secrets, &others, now) {
                Some(mistake) => outln!("{}", mistake.likely_cause()),
                None if format.without_window().verify(header, &input.body, &secrets, now).is_ok() => outln!(
                    "note: the MAC is right; only the timestamp window failed (SIG-2): give the delivery's timestamp, or --ignore-window to check the MAC alone"
                ),
                None => {}
            }
            if let Some(line) = args.signature.as_deref().and_then(header_line).filter(|(n, _)| {
                !n.eq_ignore_ascii_case(&format.header)
                    && matches!(e, SignatureError::UnknownPrefix(_) | SignatureError::MalformedHeader(_))
            }) {
                outln!(
                    "note: --signature looks like a `{}` header line; this format's signature header is `{}`",
                    line.0,
                    format.header
                );
            }
            Ok(crate::exit::NOT_CONFORMANT)
        }
    }
}
