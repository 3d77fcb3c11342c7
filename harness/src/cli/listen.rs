//! `harness listen`: the receiver alone, printing each delivery, its verification (with the likely
//! cause of a wrong signature) and its canonical event as the profile maps it, as it arrives: the
//! test endpoint vendors use while developing their webhooks. With `[webhook] secret = { from =
//! "management-api" }` it registers its own webhook through the profile's management API at
//! start and deletes it on exit. On Ctrl-C (or SIGTERM) it stops accepting, lets requests in
//! flight finish and prints every delivery it answered before exiting 130.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use suites::{Delivery, Inbox, RegisteredWebhook, Verification, WebhookSetup};

use crate::client::VendorClient;
use crate::config::{VendorConfig, WebhookSecretSource};
use crate::receiver::Receiver;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vendor configuration (`[webhook]`; `[auth]` too when the secret is `management-api`)
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
}

fn describe(d: &Delivery) -> String {
    let verdict = match &d.verification {
        Verification::Valid { .. } => "signature valid".to_owned(),
        Verification::Invalid { reason } => format!("signature INVALID: {reason}"),
        Verification::NoSecret => "not verified (no secret)".to_owned(),
    };
    let dup = if d.duplicate { ", duplicate event_id" } else { "" };
    let mut text = format!(
        "#{} event_id={} answered={} {verdict}{dup}\n{}",
        d.seq,
        d.event_id.as_deref().unwrap_or("-"),
        d.answered.map_or("timeout".into(), |s| s.to_string()),
        d.body
    );
    if let Some(event) = &d.event {
        text.push_str(&format!("\ncanonical event: {event}"));
    }
    text
}

/// Prints the deliveries after the first `shown`; returns how many are shown now, or the error
/// of a stdout that closed (`listen | head`).
fn print_new(inbox: &dyn Inbox, shown: usize) -> std::io::Result<usize> {
    let deliveries = inbox.deliveries();
    for d in deliveries.iter().skip(shown) {
        crate::cli::write_stdout(format_args!("{}\n", describe(d)))?;
    }
    Ok(deliveries.len().max(shown))
}

/// Arrivals the receiver answered but only counted (beyond its bounds): `listen` says so as they
/// grow, so a vendor debugging for days never sees it fall silent.
#[derive(Debug, Default)]
struct Unrecorded {
    unverified: u64,
    body_timeouts: u64,
}

impl Unrecorded {
    fn print_new(&mut self, counts: &crate::receiver::Counts, limits: crate::receiver::Limits) {
        if let Some(line) = self.news(counts, limits) {
            eprintln!("{line}");
        }
    }

    /// The line to print for arrivals counted since the last call, if any.
    fn news(&mut self, counts: &crate::receiver::Counts, limits: crate::receiver::Limits) -> Option<String> {
        let mut parts = Vec::new();
        if counts.unrecorded > self.unverified {
            parts.push(format!(
                "{} more deliveries that did not verify (answered 401; {} in all beyond the first {} records: counted, not shown)",
                counts.unrecorded - self.unverified,
                counts.unrecorded,
                limits.unverified_records
            ));
        }
        if counts.body_timeouts > self.body_timeouts {
            parts.push(format!(
                "{} more requests whose body did not arrive within {} s (answered 408)",
                counts.body_timeouts - self.body_timeouts,
                limits.body_read_timeout.as_secs()
            ));
        }
        self.unverified = counts.unrecorded;
        self.body_timeouts = counts.body_timeouts;
        (!parts.is_empty()).then(|| format!("note: {}", parts.join("; ")))
    }
}

pub async fn execute(args: Args) -> anyhow::Result<i32> {
    let config = VendorConfig::load(&args.config)?;
    config.webhook.validate()?;
    // Installed first: a Ctrl-C while the webhook is registered, or right after the line that
    // announces the receiver, must stop it cleanly (and delete the webhook).
    let interrupted = crate::runner::interrupt_signal()?;
    tokio::pin!(interrupted);
    let format = config.profile.signature_format(config.webhook.scheme);
    let register = config.webhook.secret == WebhookSecretSource::ManagementApi;
    let secrets: Vec<_> = config.webhook.resolve_secret()?.into_iter().collect();
    if secrets.is_empty() && !register {
        eprintln!("note: no webhook secret configured; deliveries are recorded but not verified");
    }
    let receiver = Receiver::bind(config.webhook.listen, format, secrets, config.webhook.max_body_bytes)
        .await
        .context("failed to start the webhook receiver")?;
    receiver.state().set_profile(config.profile.clone());
    let public = config.webhook_public_url(receiver.local_addr());
    let inbox = receiver.inbox(public.clone());
    let mut registered: Option<(VendorClient, Box<RegisteredWebhook>)> = None;
    if register {
        let client = VendorClient::from_config(&config, args.config.display().to_string())?;
        let name = format!("conformance-harness listen {}", contract::unix_now());
        match crate::setup::register(&client, inbox.as_ref(), &name, &public).await {
            WebhookSetup::Registered(hook) => {
                eprintln!("registered webhook {} through the management API (deleted on exit)", hook.webhook_id);
                registered = Some((client, hook));
            }
            WebhookSetup::Failed(e) => {
                receiver.shutdown().await;
                bail!("failed to register a webhook through the management API: {}", e.message);
            }
            WebhookSetup::Configured | WebhookSetup::External(_) => unreachable!("register registers or fails"),
        }
    }
    eprintln!("listening on {} (deliver to {}); Ctrl-C stops", receiver.local_addr(), inbox.public_url());
    let state = receiver.state();
    let mut shown = 0;
    let mut counted = Unrecorded::default();
    // A stdout that closed ends the listening as Ctrl-C does: the webhook is still deleted.
    let mut closed = None;
    // Arrivals only counted are read from the counts each second; reading the record (a copy of
    // every delivery kept) waits for a recorded arrival, as it would without the ticks.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    'listening: loop {
        let so_far = shown;
        let recorded = move |d: &[suites::Delivery]| d.len() > so_far;
        let more = inbox.wait_for(&recorded, Duration::from_secs(3600));
        tokio::pin!(more);
        loop {
            tokio::select! {
                _ = &mut more => break,
                _ = tick.tick() => counted.print_new(&state.counts(), state.limits()),
                _ = &mut interrupted => break 'listening,
            }
        }
        match print_new(inbox.as_ref(), shown) {
            Ok(now) => shown = now,
            Err(e) => {
                closed = Some(e);
                break;
            }
        }
        counted.print_new(&state.counts(), state.limits());
    }
    // Drain: stop accepting, let the requests in flight be answered, then print every delivery
    // not printed yet (each was answered, most 2xx: the vendor will not send them again).
    receiver.shutdown().await;
    if closed.is_none() {
        closed = print_new(inbox.as_ref(), shown).err();
    }
    counted.print_new(&state.counts(), state.limits());
    if let Some((client, hook)) = registered {
        // A failure to delete is printed as a warning: the deliveries are what matter here.
        eprintln!("deleting webhook {}", hook.webhook_id);
        crate::setup::unregister(&client, &hook).await;
    }
    match closed {
        Some(e) => Err(e.into()),
        None => Ok(crate::cli::exit::INTERRUPTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_only_counted_are_announced_once_each() {
        let limits = crate::receiver::Limits::default();
        let mut unrecorded = Unrecorded::default();
        let mut counts = crate::receiver::Counts::default();
        assert_eq!(unrecorded.news(&counts, limits), None);
        counts.unrecorded = 3;
        let line = unrecorded.news(&counts, limits).unwrap();
        assert!(line.contains("3 more deliveries that did not verify") && line.contains("answered 401"), "{line}");
        assert_eq!(unrecorded.news(&counts, limits), None, "said once");
        counts.body_timeouts = 1;
        counts.unrecorded = 5;
        let line = unrecorded.news(&counts, limits).unwrap();
        assert!(line.contains("2 more deliveries") && line.contains("1 more requests whose body"), "{line}");
    }
}
