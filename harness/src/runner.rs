//! Runs the selected checks against one vendor and writes the reports.

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
use crate::progress::{Progress, ProgressMode};
use crate::receiver::Receiver;
use crate::report::{CheckReport, Report, RunInfo, SuiteReport, VendorInfo, Verdict, point_latest};
use crate::trigger;

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

fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap_or_else(|_| "run".into());
    format!("{stamp}-{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

fn now_rfc3339() -> String {
    contract::rfc3339_millis(time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000)
}

/// Runs the selected checks against the vendor `config` describes and writes every report.
pub async fn run(config: VendorConfig, options: RunOptions) -> anyhow::Result<RunSummary> {
    config.validate()?;
    let selected = select(&options)?;
    let started = Instant::now();
    let started_at = now_rfc3339();
    let run_id = new_run_id();
    let report_dir = options.out_dir.join(&run_id);

    // The contract's JWTs come with the key the auth suite crafts its tokens from; other kinds
    // of auth have no such kit (and the JWT checks do not apply to them).
    let jwt = config.profile.auth.kind == suites::AuthKind::Jwt;
    let kit = if jwt { Some(config.auth.token_kit()?) } else { None };
    let credential = match &kit {
        Some(kit) => crate::client::Credential::Jwt(kit.minter.clone()),
        None => config.auth.credential(&config.profile.auth)?,
    };
    let limits = crate::client::Limits::from(&config.budgets);
    let client: Arc<dyn VendorApi> = Arc::new(VendorClient::new(
        &config.vendor.base_url,
        config.profile.clone(),
        credential,
        limits,
        options.config_hint.clone(),
    )?);
    let declared = Declared {
        capabilities: config.capabilities.declared.iter().cloned().collect(),
        event_families: config.capabilities.event_families.iter().cloned().collect(),
        silent_device_types: config.capabilities.silent_device_types.iter().cloned().collect(),
    };
    let budgets = config.budgets.for_checks();
    let signature = config.profile.signature_format(config.webhook.scheme);
    let mut cx = Context::new(client.clone())
        .with_declared(declared.clone())
        .with_budgets(budgets)
        .with_signature(signature.clone());
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
            .with_token_flags(" --second-account"),
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
        let inbox = started.inbox(public.clone());
        let name = format!("conformance-harness {run_id}");
        cx = cx.with_webhook(
            crate::setup::for_run(&config.webhook, client.as_ref(), inbox.as_ref(), &name, &public).await?,
        );
        cx = cx.with_inbox(inbox);
        receiver = Some(started);
    }
    if needs.contains(&Need::Trigger) {
        cx = cx.with_trigger(trigger::from_config(&config.trigger, options.non_interactive)?);
    }

    let mut progress = Progress::start(options.progress, selected.len());
    let mut rows: Vec<CheckReport> = Vec::new();
    let mut interrupted = false;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    for check in &selected {
        progress.check_started(&check.meta);
        let applicable = check.meta.capability.is_none_or(|cap| declared.capabilities.contains(cap));
        let check_started = Instant::now();
        let outcome = if !applicable {
            Outcome::skip(format!("the vendor does not declare `{}`", check.meta.capability.unwrap_or_default()))
        } else {
            let body = std::panic::AssertUnwindSafe((check.run)(&cx)).catch_unwind();
            tokio::select! {
                result = tokio::time::timeout(config.budgets.check_timeout(), body) => match result {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(_)) => Outcome::error("the check panicked (a harness bug)"),
                    Err(_) => Outcome::error(format!("the check did not finish within {} s", config.budgets.check_timeout_secs)),
                },
                _ = &mut interrupt => {
                    interrupted = true;
                    Outcome::skip("not run: the run was interrupted")
                }
            }
        };
        // A requirement the vendor's profile makes moot leaves the verdict complete, like an
        // undeclared capability.
        let applicable = applicable && !outcome.is_not_applicable();
        let row = CheckReport::new(&check.meta, outcome, applicable, check_started.elapsed().as_millis() as u64);
        progress.check_finished(&check.meta, row.status, row.advisory);
        rows.push(row);
        if interrupted {
            break;
        }
    }
    for check in selected.iter().skip(rows.len()) {
        rows.push(CheckReport::new(&check.meta, Outcome::skip("not run: the run was interrupted"), true, 0));
    }
    progress.finish();
    if let WebhookSetup::Registered(webhook) = &cx.webhook {
        crate::setup::unregister(client.as_ref(), webhook).await;
    }
    if let Some(receiver) = receiver {
        receiver.shutdown().await;
    }

    let verdict = Report::verdict_of(&rows, interrupted);
    let exit_code = verdict.exit_code(options.strict, interrupted);
    let counts = Report::count(&rows);
    let outcomes = rows
        .iter()
        .map(|r| CheckOutcome { id: r.id.clone(), status: r.status, advisory: r.advisory, applicable: r.applicable })
        .collect();
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
    let report = Report {
        report_version: 1,
        run_id: run_id.clone(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
        finished_at: now_rfc3339(),
        duration_ms: started.elapsed().as_millis() as u64,
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
        counts,
        suites,
    };
    report.write_all(&report_dir)?;
    point_latest(&options.out_dir, &run_id)?;
    Ok(RunSummary { run_id, verdict, report_dir, exit_code, interrupted, outcomes })
}
