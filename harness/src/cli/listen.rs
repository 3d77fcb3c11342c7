//! `harness listen`: the receiver alone, printing each delivery and its verification as it
//! arrives (the test endpoint vendors use while developing their webhooks).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use suites::Verification;

use crate::config::VendorConfig;
use crate::receiver::Receiver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vendor configuration
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    let config = VendorConfig::load(&args.config)?;
    let format = config.profile.signature_format(config.webhook.scheme);
    let secrets: Vec<_> = config.webhook.resolve_secret()?.into_iter().collect();
    if secrets.is_empty() {
        eprintln!("note: no webhook secret configured; deliveries are recorded but not verified");
    }
    let receiver = Receiver::bind(config.webhook.listen, format, secrets, config.webhook.max_body_bytes)
        .await
        .context("failed to start the webhook receiver")?;
    let inbox = receiver.inbox(config.webhook_public_url(receiver.local_addr()));
    // Installed before saying so: a Ctrl-C right after the line below must stop it cleanly.
    let interrupted = crate::runner::interrupt_signal()?;
    tokio::pin!(interrupted);
    eprintln!("listening on {} (deliver to {}); Ctrl-C stops", receiver.local_addr(), inbox.public_url());
    let mut shown = 0;
    loop {
        let more = async { inbox.wait_for(&|d| d.len() > shown, Duration::from_secs(3600)).await };
        tokio::select! {
            _ = more => {}
            _ = &mut interrupted => break,
        }
        for d in inbox.deliveries().iter().skip(shown) {
            let verdict = match &d.verification {
                Verification::Valid { .. } => "signature valid".to_owned(),
                Verification::Invalid { reason } => format!("signature INVALID: {reason}"),
                Verification::NoSecret => "not verified (no secret)".to_owned(),
            };
            let dup = if d.duplicate { ", duplicate event_id" } else { "" };
            println!(
                "#{} event_id={} answered={} {verdict}{dup}\n{}",
                d.seq,
                d.event_id.as_deref().unwrap_or("-"),
                d.answered.map_or("timeout".into(), |s| s.to_string()),
                d.body
            );
            shown += 1;
        }
    }
    receiver.shutdown().await;
    Ok(crate::cli::exit::INTERRUPTED)
}
