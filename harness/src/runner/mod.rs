//! Runs the selected checks against one vendor: builds the context, executes the checks and
//! makes the report, sending every step as a [`RunEvent`](crate::events::RunEvent) to the
//! reporters (the terminal, the report files), which do all the output.
//!
//! `preflight` (the account request before any suite) and `discover` (optional capabilities
//! found without side effects) are their own files; here the run itself.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use futures::FutureExt as _;
use serde::Serialize;
use suites::{Check, Context, Declared, Need, Outcome, Status, VendorApi, WebhookSetup};

use crate::client::VendorClient;
use crate::config::VendorConfig;
use crate::events::{self, EventKind, EventSink, Reporter};
use crate::har::HarRecorder;
use crate::progress::ProgressMode;
use crate::receiver::Receiver;
use crate::report::{
    CapabilitiesReport, CapabilityRow, CheckReport, Report, RunInfo, SuiteReport, VendorInfo, Verdict,
    timeline::DeliveryTimeline,
};
use crate::reporter::{ReportFiles, Terminal};
use crate::trigger;

mod discover;
mod preflight;

pub use discover::discover;
use discover::{mark_partial, not_offered};
pub use preflight::{PreflightCause, PreflightError, preflight};

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Reports go to `<out_dir>/<run-id>/`, and `<out_dir>/latest` points there.
    pub out_dir: PathBuf,
    /// Suites to run (all when empty).
    pub suites: Vec<String>,
    /// Check ids to run (all of the selected suites when empty).
    pub checks: Vec<String>,
    /// Advisories fail the run (exit 1).
    pub strict: bool,
    /// Never wait for an operator: checks that need one are skipped.
    pub non_interactive: bool,
    pub progress: ProgressMode,
    /// The config path reproduce commands name (`harness token --config <this>`).
    pub config_hint: String,
    /// The run's id, when the caller must know `<out_dir>/<run-id>/` before the run (the demo
    /// writes its `vendor.toml` there and reproduce commands name it); a fresh one when `None`.
    pub run_id: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            out_dir: PathBuf::from("reports"),
            suites: Vec::new(),
            checks: Vec::new(),
            strict: false,
            non_interactive: false,
            progress: ProgressMode::Auto,
            config_hint: "vendor.toml".into(),
            run_id: None,
        }
    }
}

/// One check's result, as a test or the CLI needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub id: String,
    pub status: Status,
    pub advisory: bool,
    /// `false` for a check the vendor's declared capabilities or profile make moot.
    pub applicable: bool,
}

/// What a run ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: String,
    pub verdict: Verdict,
    /// `<out_dir>/<run-id>`.
    pub report_dir: PathBuf,
    /// 0, 1, 2 or 130 (README "Exit codes").
    pub exit_code: i32,
    pub interrupted: bool,
    /// The verdict as the reports show it (PARTIAL, interrupted).
    pub headline: String,
    pub outcomes: Vec<CheckOutcome>,
}

impl RunSummary {
    /// Ids of the checks that ended with `status`.
    pub fn with_status(&self, status: Status) -> Vec<&str> {
        self.outcomes.iter().filter(|o| o.status == status).map(|o| o.id.as_str()).collect()
    }
}

/// The checks `options` selects, in catalogue order; unknown names are an error.
pub fn select(options: &RunOptions) -> anyhow::Result<Vec<&'static Check>> {
    for suite in &options.suites {
        if !suites::SUITES.iter().any(|(s, _)| s == suite) {
            let known: Vec<&str> = suites::SUITES.iter().map(|(s, _)| *s).collect();
            bail!("unknown suite `{suite}` (known: {})", known.join(", "));
        }
    }
    for id in &options.checks {
        if suites::find(id).is_none() {
            bail!("unknown check `{id}` (see `harness list`)");
        }
    }
    Ok(suites::checks()
        .iter()
        .filter(|c| options.suites.is_empty() || options.suites.iter().any(|s| s == c.meta.suite))
        .filter(|c| options.checks.is_empty() || options.checks.iter().any(|id| id == c.meta.id))
        .collect())
}

/// The order the selected checks run in, as indices into `selected`: catalogue order, except
/// that checks judging the whole run (every 429, every delivery; `CheckMeta::whole_run`) come
/// after every other, so what the later suites make happen is judged too.
pub fn run_order(selected: &[&Check]) -> Vec<usize> {
    let (whole, rest): (Vec<usize>, Vec<usize>) = (0..selected.len()).partition(|&i| selected[i].meta.whole_run);
    rest.into_iter().chain(whole).collect()
}

/// A fresh run id: the UTC time and a random suffix (`20261206T165211Z-460e40`).
pub fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_else(|_| "run".into());
    format!("{stamp}-{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

fn now_rfc3339() -> String {
    contract::rfc3339_millis(contract::unix_now_ms())
}
/// Why a run stops early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Ctrl-C or SIGTERM: the rest is SKIP, the report is marked interrupted.
    Interrupted,
    /// `budgets.run_deadline_secs` passed: the rest is ERROR.
    Deadline,
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM; installed when called (see
/// [`mock_vendor::process::shutdown_signal`], which both binaries share).
pub use mock_vendor::process::shutdown_signal as interrupt_signal;

/// Fails at once, naming the folder, when reports cannot be written under `out_dir`: a run of
/// many minutes must not end in a report that cannot be saved.
fn ensure_writable(out_dir: &std::path::Path) -> anyhow::Result<()> {
    let hint = || format!("cannot write reports under {} (`--out`)", out_dir.display());
    std::fs::create_dir_all(out_dir).with_context(hint)?;
    let probe = out_dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(hint)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Runs the selected checks against the vendor `config` describes and writes every report.
pub async fn run(config: VendorConfig, options: RunOptions) -> anyhow::Result<RunSummary> {
    run_with(config, options, Vec::new()).await
}

/// [`run`], with `extra` reporters getting every event of the run after the report files and the
/// terminal (a live view, a test's recorder).
pub async fn run_with(
    config: VendorConfig,
    options: RunOptions,
    extra: Vec<Box<dyn Reporter>>,
) -> anyhow::Result<RunSummary> {
    config.validate()?;
    let selected = select(&options)?;
    ensure_writable(&options.out_dir)?;
    let interrupt = interrupt_signal()?;
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + config.budgets.run_deadline();
    let started_at = now_rfc3339();
    let run_id = options.run_id.clone().unwrap_or_else(new_run_id);
    let report_dir = options.out_dir.join(&run_id);

    // The report files first: the terminal's last line points at them.
    let mut reporters: Vec<Box<dyn Reporter>> =
        vec![Box::new(ReportFiles::new(options.out_dir.clone())), Box::new(Terminal::new(options.progress))];
    reporters.extend(extra);
    let (sink, dispatcher) = events::dispatch(started, reporters);

    let prepared = match build_context(&config, &options, &selected, &run_id, deadline, &sink).await {
        Ok(prepared) => prepared,
        Err(e) => {
            // Nothing was sent: the dispatcher ends as its sink goes.
            drop(sink);
            let _ = dispatcher.finish().await;
            return Err(e);
        }
    };
    sink.send(EventKind::RunStarted {
        run_id: run_id.clone(),
        vendor: config.vendor.name.clone(),
        checks: selected.iter().map(|c| &c.meta).collect(),
        capabilities: prepared.capabilities.clone(),
    });
    let watcher = prepared.cx.inbox.clone().map(|inbox| events::watch_deliveries(inbox, sink.clone()));
    let (rows, stopped) = execute(&prepared, &selected, &config, deadline, interrupt, &sink).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    let Prepared { cx, client, receiver, mut capabilities, har } = prepared;
    if let WebhookSetup::Registered(webhook) = &cx.webhook {
        crate::setup::unregister(client.as_ref(), webhook).await;
    }
    let receiver_state = receiver.as_ref().map(|r| r.state());
    if let Some(receiver) = receiver {
        receiver.shutdown().await;
    }
    // After the shutdown, so deliveries answered while it drained are drawn (and recorded) too.
    let mut secrets: Vec<contract::Secret> = config.webhook.resolve_secret().ok().flatten().into_iter().collect();
    secrets.extend(cx.webhook.known().and_then(|w| w.secret.clone()));
    let delivery = receiver_state.map_or_else(Default::default, |state| {
        let origin_ms = contract::unix_now_ms() - started.elapsed().as_millis() as i64;
        let deliveries = suites::Inbox::deliveries(&crate::receiver::ReceiverInbox(state.clone()));
        let receiver_url = state.public_url();
        for d in &deliveries {
            har.delivery(d, &receiver_url);
        }
        secrets.extend(state.secrets_ever());
        DeliveryTimeline::from_deliveries(&deliveries, &state.answer_windows(), origin_ms)
    });
    write_har(&har, &report_dir, &secrets);
    mark_partial(&mut capabilities.capabilities, &selected, &rows);

    let report = report(Facts {
        config: &config,
        options: &options,
        selected: &selected,
        run_id: &run_id,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        capabilities,
        rows,
        interrupted: stopped == Some(Stop::Interrupted),
        delivery,
    });
    let summary = RunSummary {
        run_id,
        verdict: report.verdict,
        headline: report.headline(),
        report_dir: report_dir.clone(),
        exit_code: report.exit_code,
        interrupted: report.interrupted,
        outcomes: report
            .checks()
            .map(|r| CheckOutcome {
                id: r.id.clone(),
                status: r.status,
                advisory: r.advisory,
                applicable: r.applicable,
            })
            .collect(),
    };
    sink.send(EventKind::RunFinished { report: Box::new(report), report_dir });
    dispatcher.finish().await?;
    Ok(summary)
}

/// Writes `exchanges.har` into the run's folder. A failure to is said, not fatal: the reports
/// that follow still get their chance to be written.
fn write_har(har: &HarRecorder, report_dir: &std::path::Path, secrets: &[contract::Secret]) {
    let path = report_dir.join(crate::har::FILE);
    if let Err(e) = std::fs::create_dir_all(report_dir).and_then(|()| har.write(&path, secrets)) {
        eprintln!("warning: failed to write {}: {e}", path.display());
    }
}

/// What the checks run against, made before any of them.
struct Prepared {
    cx: Context,
    client: Arc<dyn VendorApi>,
    receiver: Option<Receiver>,
    capabilities: CapabilitiesReport,
    har: Arc<HarRecorder>,
}

/// The client, the preflight, the receiver and the run's webhook, the trigger and the discovered
/// capabilities: everything checks share, in a [`Context`] whose waits are sent as events.
async fn build_context(
    config: &VendorConfig,
    options: &RunOptions,
    selected: &[&Check],
    run_id: &str,
    deadline: tokio::time::Instant,
    sink: &EventSink,
) -> anyhow::Result<Prepared> {
    // The contract's JWTs come with the key the auth suite crafts its tokens from; other kinds
    // of auth have no such kit (and the JWT checks do not apply to them).
    let jwt = config.profile.auth.kind() == suites::AuthKind::Jwt;
    let kit = if jwt { Some(config.auth.token_kit()?) } else { None };
    // Generating it takes up to seconds of CPU that overlap with the checks before it is needed.
    let _ = warm_foreign_key(jwt, selected);
    let credential = match &kit {
        Some(kit) => crate::client::Credential::Jwt(kit.minter.clone()),
        None => config.auth.credential(&config.profile.auth)?,
    };
    let limits = crate::client::Limits::from(&config.budgets);
    // Every exchange of both accounts' clients, for `exchanges.har`.
    let har = Arc::new(HarRecorder::new());
    let client: Arc<dyn VendorApi> = Arc::new(
        VendorClient::new(
            &config.vendor.base_url,
            config.profile.clone(),
            credential,
            limits,
            options.config_hint.clone(),
        )?
        .with_har(har.clone()),
    );
    preflight(client.as_ref(), config).await?;
    let mut declared = Declared {
        capabilities: config.capabilities.declared.iter().cloned().collect(),
        event_families: config.capabilities.event_families.iter().cloned().collect(),
        silent_device_types: config.capabilities.silent_device_types.iter().cloned().collect(),
        discovered: BTreeSet::new(),
    };
    let budgets = config.budgets.for_checks();
    let signature = config.profile.signature_format(config.webhook.scheme);
    let waiting = sink.clone();
    let mut cx = Context::new(client.clone())
        .with_declared(declared.clone())
        .with_budgets(budgets)
        .with_signature(signature.clone())
        .with_waiting(Arc::new(move |what: &str, within| {
            waiting.send(EventKind::Waiting { what: what.to_owned(), within });
        }));
    if let Some(kit) = kit {
        cx = cx.with_tokens(Arc::new(kit));
    }
    if let Some(second) = &config.second_account {
        let second: Arc<dyn VendorApi> = Arc::new(
            VendorClient::new(
                &config.vendor.base_url,
                config.profile.clone(),
                second.credential(&config.profile.auth).context("the second account's credential")?,
                limits,
                options.config_hint.clone(),
            )?
            .with_token_flags(" --second-account")
            .with_har(har.clone()),
        );
        cx = cx.with_second(second);
    }
    let needs: BTreeSet<Need> = selected.iter().flat_map(|c| c.meta.needs.iter().copied()).collect();
    let mut receiver = None;
    if needs.contains(&Need::Inbox) {
        let secrets = config.webhook.resolve_secret()?.into_iter().collect();
        let started = Receiver::bind(config.webhook.listen, signature, secrets, config.webhook.max_body_bytes)
            .await
            .context("failed to start the webhook receiver")?;
        started.state().set_profile(config.profile.clone());
        let public = config.webhook_public_url(started.local_addr());
        let inbox: Arc<dyn suites::Inbox> =
            Arc::new(events::ObservedInbox::new(started.inbox(public.clone()), sink.clone()));
        let name = format!("conformance-harness {run_id}");
        cx = cx.with_webhook(
            crate::setup::for_run(&config.webhook, client.as_ref(), inbox.as_ref(), &name, &public).await?,
        );
        cx = cx.with_inbox(inbox);
        receiver = Some(started);
    }
    if needs.contains(&Need::Trigger) {
        cx = cx.with_trigger(trigger::from_config(&config.trigger, options.non_interactive, Some(har.clone()))?);
    }
    // Checks see what the vendor declared and what it was found to offer. The deadline bounds the
    // probes too: a vendor that hangs on them still gets its report.
    let capabilities = match tokio::time::timeout_at(deadline, discover(client.as_ref(), &declared, &cx.webhook)).await
    {
        Ok(rows) => rows,
        Err(_) => suites::CAPABILITIES
            .iter()
            .map(|(name, _)| {
                let declared = declared.capabilities.contains(*name);
                let detail = "not probed: the run deadline passed".to_owned();
                CapabilityRow { name: (*name).into(), declared, discovered: None, used: declared, detail }
            })
            .collect(),
    };
    for row in capabilities.iter().filter(|c| c.discovered_only()) {
        declared.capabilities.insert(row.name.clone());
        declared.discovered.insert(row.name.clone());
    }
    cx = cx.with_declared(declared);
    let capabilities = CapabilitiesReport { event_families: config.capabilities.event_families.clone(), capabilities };
    Ok(Prepared { cx, client, receiver, capabilities, har })
}

/// Starts generating the auth suite's foreign key (a 2048-bit RSA key that belongs to no
/// account: from a tenth of a second to seconds, by luck of the prime search) on a blocking
/// thread, when the run will craft tokens with it, so the check that needs it does not wait.
fn warm_foreign_key(jwt: bool, selected: &[&Check]) -> Option<tokio::task::JoinHandle<()>> {
    let crafts = jwt && selected.iter().any(|c| c.meta.suite == "auth");
    crafts.then(|| {
        tokio::task::spawn_blocking(|| {
            let _ = suites::auth::craft::foreign_key();
        })
    })
}

/// Runs the checks in run order, each within its timeout, until the run deadline or an
/// interrupt; returns the rows in catalogue order (the ones not reached filled in) and why the
/// run stopped early, if it did.
async fn execute(
    prepared: &Prepared,
    selected: &[&'static Check],
    config: &VendorConfig,
    deadline: tokio::time::Instant,
    interrupt: impl std::future::Future<Output = ()>,
    sink: &EventSink,
) -> (Vec<CheckReport>, Option<Stop>) {
    tokio::pin!(interrupt);
    let cx = &prepared.cx;
    let total = selected.len();
    // Rows in catalogue order, filled in run order (whole-run judgements last).
    let mut slots: Vec<Option<CheckReport>> = vec![None; total];
    let mut stopped = None;
    let deadline_reason =
        format!("the run deadline passed (`budgets.run_deadline_secs` = {} s)", config.budgets.run_deadline_secs);
    // One day for the whole run: a deviation does not expire halfway through it.
    let today = crate::deviations::today();
    for (index, i) in run_order(selected).into_iter().enumerate() {
        let check = selected[i];
        sink.send(EventKind::CheckStarted { index, total, meta: &check.meta });
        let applicable = check.meta.capability.is_none_or(|cap| cx.declared.capabilities.contains(cap));
        let check_started = Instant::now();
        prepared.har.within_check(Some(check.meta.id));
        let outcome = if !applicable {
            Outcome::skip(not_offered(check.meta.capability.unwrap_or_default()))
        } else {
            let body = std::panic::AssertUnwindSafe((check.run)(cx)).catch_unwind();
            tokio::select! {
                result = tokio::time::timeout(config.budgets.check_timeout(), body) => match result {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(_)) => Outcome::error("the check panicked (a harness bug)"),
                    Err(_) => Outcome::error(format!("the check did not finish within {} s", config.budgets.check_timeout_secs)),
                },
                _ = &mut interrupt => {
                    stopped = Some(Stop::Interrupted);
                    Outcome::skip("not run: the run was interrupted")
                }
                _ = tokio::time::sleep_until(deadline) => {
                    stopped = Some(Stop::Deadline);
                    Outcome::error(format!("not finished: {deadline_reason}"))
                }
            }
        };
        // A requirement the vendor's profile makes moot leaves the verdict complete, like an
        // undeclared capability.
        prepared.har.within_check(None);
        let applicable = applicable && !outcome.is_not_applicable();
        let mut row = CheckReport::new(&check.meta, outcome, applicable, check_started.elapsed().as_millis() as u64);
        row.settle(&config.deviations, today);
        sink.send(EventKind::CheckFinished { index, total, row: Box::new(row.clone()) });
        slots[i] = Some(row);
        if stopped.is_some() {
            break;
        }
    }
    let rows = slots
        .into_iter()
        .zip(selected)
        .map(|(row, check)| {
            row.unwrap_or_else(|| {
                let outcome = match stopped {
                    Some(Stop::Deadline) => Outcome::error(format!("not run: {deadline_reason}")),
                    _ => Outcome::skip("not run: the run was interrupted"),
                };
                let mut row = CheckReport::new(&check.meta, outcome, true, 0);
                row.settle(&config.deviations, today);
                row
            })
        })
        .collect();
    (rows, stopped)
}

/// What [`report`] builds the report from.
struct Facts<'a> {
    config: &'a VendorConfig,
    options: &'a RunOptions,
    selected: &'a [&'static Check],
    run_id: &'a str,
    started_at: String,
    duration_ms: u64,
    capabilities: CapabilitiesReport,
    rows: Vec<CheckReport>,
    interrupted: bool,
    delivery: DeliveryTimeline,
}

/// The run's [`Report`]: verdict, exit code, counts, rows grouped by suite. Writing it is the
/// report files' reporter's job.
fn report(facts: Facts<'_>) -> Report {
    let Facts { config, options, selected, run_id, started_at, duration_ms, capabilities, rows, interrupted, delivery } =
        facts;
    let verdict = Report::verdict_of(&rows, interrupted);
    let exit_code = verdict.exit_code(options.strict, interrupted);
    let counts = Report::count(&rows);
    // Each row settled its deviation as its check ended, on the run's one day.
    let deviations = Report::deviation_effects(&rows, &config.deviations);
    let suites = suites::SUITES
        .iter()
        .filter_map(|(name, description)| {
            let checks: Vec<CheckReport> = rows.iter().filter(|r| r.suite == *name).cloned().collect();
            (!checks.is_empty()).then(|| SuiteReport {
                name: (*name).into(),
                description: (*description).into(),
                checks,
            })
        })
        .collect();
    Report {
        report_version: 2,
        run_id: run_id.to_owned(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        finished_at: now_rfc3339(),
        duration_ms,
        vendor: VendorInfo {
            name: config.vendor.name.clone(),
            base_url: config.vendor.base_url.clone(),
            profile: config.profile.name.clone(),
            signature_scheme: config.webhook.scheme.to_string(),
        },
        options: RunInfo {
            strict: options.strict,
            non_interactive: options.non_interactive,
            suites: options.suites.clone(),
            checks: options.checks.clone(),
        },
        verdict,
        exit_code,
        interrupted,
        // Selecting every suite by name is a full run all the same.
        partial: selected.len() < suites::checks().len(),
        capabilities,
        counts,
        suites,
        delivery,
        deviations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_foreign_key_is_made_early_for_a_run_that_crafts_tokens() {
        let all = select(&RunOptions::default()).unwrap();
        let schema = select(&RunOptions { suites: vec!["schema".into()], ..RunOptions::default() }).unwrap();
        assert!(warm_foreign_key(true, &schema).is_none(), "no auth check: no key");
        assert!(warm_foreign_key(false, &all).is_none(), "no JWTs to craft: no key");
        warm_foreign_key(true, &all).expect("the auth suite crafts with it").await.unwrap();
        assert!(suites::auth::craft::foreign_key_ready());
    }

    #[test]
    fn whole_run_judgements_run_after_every_other_check() {
        let selected = select(&RunOptions::default()).unwrap();
        let order: Vec<&str> = run_order(&selected).into_iter().map(|i| selected[i].meta.id).collect();
        let whole = ["auth.rate-limit", "replay.signature", "replay.timestamp"];
        let (rest, last) = order.split_at(order.len() - whole.len());
        assert_eq!(last, whole, "whole-run judgements run last, among themselves in catalogue order");
        let catalogue: Vec<&str> = selected.iter().map(|c| c.meta.id).filter(|id| !whole.contains(id)).collect();
        assert_eq!(rest, catalogue, "every other check keeps catalogue order");
        assert!(rest.iter().any(|id| id.starts_with("fallback.")), "the later suites run before the judgements");
    }
}
