//! `harness keygen`, `harness certify` and `harness verify-certificate`: a run made into a signed
//! certificate, and the offline check of one (see [`crate::certificate`]).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::certificate::{self, Predicate, keys};
use crate::config::{TriggerConfig, VendorConfig};
use crate::progress::ProgressMode;
use crate::runner::{RunOptions, RunSummary, run_with};

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where the private key goes (PKCS#8 PEM, mode 0600); the public key goes to the same path
    /// with `.pub` added
    #[arg(long, default_value = "certify.key")]
    pub out: PathBuf,
    /// Replace a key already at --out
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CertifyArgs {
    /// The vendor configuration
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
    /// The Ed25519 private key that signs the certificate (`harness keygen` makes one)
    #[arg(long, value_name = "KEY")]
    pub signing_key: PathBuf,
    /// Where run directories are written; the certificate is the run's directory
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Never wait for an operator; refused unless `[certify] non_interactive_reason` says why the
    /// checks that need one may be skipped
    #[arg(long)]
    pub non_interactive: bool,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The certificate: a run directory holding `certificate.dsse.json`
    pub dir: PathBuf,
    /// The signer's public key (the `.pub` file `harness keygen` wrote)
    #[arg(long, value_name = "PUB")]
    pub key: PathBuf,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<i32> {
    let public = public_path(&args.out);
    if !args.force {
        for path in [&args.out, &public] {
            anyhow::ensure!(!path.exists(), "{} exists: give another --out, or --force to replace it", path.display());
        }
    }
    let key = keys::generate();
    keys::write_pair(&key, &args.out, &public)?;
    outln!("private key: {} (keep it; mode 0600)", args.out.display());
    outln!("public key:  {} (give it to whoever verifies)", public.display());
    outln!("key id:      {}", keys::key_id(&key.verifying_key()));
    Ok(crate::exit::OK)
}

/// `KEY.pub` beside `KEY`.
fn public_path(private: &Path) -> PathBuf {
    let mut name = private.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".pub");
    private.with_file_name(name)
}

pub async fn certify(args: CertifyArgs) -> anyhow::Result<i32> {
    // Everything that can refuse is checked before the run: the key, the configuration.
    let key = keys::load_signing(&args.signing_key).context("--signing-key")?;
    let config = VendorConfig::load(&args.config)?;
    let reason = non_interactive_reason(&config, args.non_interactive, &args.config)?;
    let options = RunOptions {
        out_dir: args.out,
        non_interactive: args.non_interactive,
        progress: ProgressMode::Auto,
        config_hint: args.config.display().to_string(),
        ..RunOptions::default()
    };
    let summary = run_with(config.clone(), options, Vec::new()).await?;
    if summary.interrupted {
        eprintln!("the run was interrupted: no certificate is written for it");
        return Ok(summary.exit_code);
    }
    write_certificate(&summary, &key, reason, &config.profile)?;
    eprintln!(
        "verify it with: harness verify-certificate {} --key {}",
        summary.report_dir.display(),
        public_path(&args.signing_key).display()
    );
    Ok(summary.exit_code)
}

/// Why checks needing an operator may be skipped, when they would be: refused without one.
fn non_interactive_reason(config: &VendorConfig, non_interactive: bool, path: &Path) -> anyhow::Result<Option<String>> {
    if !non_interactive || !matches!(config.trigger, TriggerConfig::Prompt { .. }) {
        return Ok(None);
    }
    match &config.certify.non_interactive_reason {
        Some(reason) if !reason.trim().is_empty() => Ok(Some(reason.clone())),
        _ => anyhow::bail!(
            "--non-interactive would skip the MUST checks that need an operator (the `prompt` trigger in {}): \
             run interactively, or say why in `[certify] non_interactive_reason`",
            path.display()
        ),
    }
}

/// Writes the resolved profile (`profile.toml`) into the run's directory, signs the directory
/// with `key` and says so.
pub fn write_certificate(
    summary: &RunSummary,
    key: &ed25519_dalek::SigningKey,
    reason: Option<String>,
    profile: &crate::profile::Profile,
) -> anyhow::Result<()> {
    let text = toml::to_string_pretty(profile).context("failed to write the resolved profile")?;
    let path = summary.report_dir.join("profile.toml");
    contract::files::write_whole(&path, text.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))?;
    let report = crate::report::Report::load(&summary.report_dir)?;
    let statement = certificate::sign(&summary.report_dir, key, Predicate::of(&report, reason))?;
    eprintln!(
        "certificate: {} ({} files signed by key {})",
        summary.report_dir.join(certificate::MANIFEST).display(),
        statement.subject.len(),
        keys::key_id(&key.verifying_key())
    );
    Ok(())
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<i32> {
    let key = keys::load_verifying(&args.key).context("--key")?;
    let started = std::time::Instant::now();
    match certificate::verify(&args.dir, &key) {
        Ok(verified) => {
            let p = &verified.statement.predicate;
            outln!(
                "certificate valid: {} files, signed by key {} ({} ms)",
                verified.statement.subject.len(),
                verified.key_id,
                started.elapsed().as_millis()
            );
            outln!("verdict:    {}", p.verdict);
            outln!("vendor:     {} ({})", p.vendor.name, p.vendor.base_url);
            outln!("profile:    {}", p.vendor.profile);
            outln!("run:        {} ({} to {})", p.run_id, p.started_at, p.finished_at);
            outln!("certified:  {} by harness {}", p.certified_at, p.harness_version);
            if p.deviations.is_empty() {
                outln!("deviations: none");
            } else {
                outln!("deviations: {}", p.deviations.len());
                for a in &p.deviations {
                    outln!("  {} ({}): {}", a.deviation.check, a.effect.as_str(), a.deviation.describe());
                }
            }
            if let Some(reason) = &p.non_interactive_reason {
                outln!("checks needing an operator were skipped: {reason}");
            }
            Ok(crate::exit::OK)
        }
        // Nothing to verify is a usage error, not a verdict on a certificate.
        Err(e @ certificate::VerifyError::Unreadable { .. }) => Err(e.into()),
        Err(e) => {
            outln!("certificate INVALID: {} ({})", args.dir.display(), args.key.display());
            outln!("{e}");
            Ok(crate::exit::NOT_CONFORMANT)
        }
    }
}
