//! Triggers: how the harness makes the vendor act for event checks (CONTRACT.md §12), one type
//! per `[trigger] kind`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use async_trait::async_trait;
use contract::Secret;
use serde_json::json;
use suites::{Action, Trigger, TriggerError};

use crate::config::TriggerConfig;

/// The trigger `config` names; its requests (the mock's control API) are recorded in `har`.
pub fn from_config(
    config: &TriggerConfig,
    non_interactive: bool,
    har: Option<Arc<crate::har::HarRecorder>>,
) -> anyhow::Result<Arc<dyn Trigger>> {
    Ok(match config {
        TriggerConfig::Command { argv, status_argv, event_argv, ping_argv, timeout_secs } => {
            let own = |a: &Option<Vec<String>>| a.clone().or_else(|| (!argv.is_empty()).then(|| argv.clone()));
            Arc::new(CommandTrigger {
                status_argv: own(status_argv),
                event_argv: own(event_argv),
                ping_argv: own(ping_argv),
                timeout: Duration::from_secs(*timeout_secs),
            })
        }
        TriggerConfig::MockControl { admin_url, admin_token_env, admin_token } => {
            let token = match (admin_token, admin_token_env) {
                (Some(token), _) => token.clone(),
                (None, Some(var)) => Secret::new(
                    std::env::var(var)
                        .map_err(|_| anyhow::anyhow!("failed to read the mock's admin token from ${var}"))?,
                ),
                (None, None) => bail!("the `mock-control` trigger needs `admin_token_env` or `admin_token`"),
            };
            Arc::new(MockControlTrigger { har, ..MockControlTrigger::new(admin_url, token)? })
        }
        TriggerConfig::Ping => Arc::new(NoAction { kind: "ping" }),
        TriggerConfig::Passive => Arc::new(NoAction { kind: "passive" }),
        TriggerConfig::Prompt { wait_secs } => {
            Arc::new(PromptTrigger { wait: Duration::from_secs(*wait_secs), non_interactive })
        }
    })
}

fn describe(action: &Action) -> String {
    match action {
        Action::DeviceStatus { device_id, status, .. } => format!("set device {device_id} {status}"),
        Action::DeviceEvent { device_id, event_type, .. } => {
            format!("make device {device_id} emit a(n) {event_type} event")
        }
        Action::Ping { webhook_id } => format!("send a ping to webhook {webhook_id}"),
    }
}

/// The data an action asks for, as the `{data}` placeholder carries it: the event's `data`,
/// `{"status": ...}` for a status change, `{"webhook_id": ...}` for a ping.
pub fn action_data(action: &Action) -> serde_json::Value {
    match action {
        Action::DeviceStatus { status, .. } => json!({"status": status}),
        Action::DeviceEvent { data, .. } => data.clone(),
        Action::Ping { webhook_id } => json!({"webhook_id": webhook_id}),
    }
}

/// Fills `{action}` (`status`, `event`, `ping`), `{site_id}`, `{device_id}`, `{status}`,
/// `{event_type}`, `{webhook_id}` and `{data}` in one argument, in one pass (a value that
/// holds a placeholder's name is not filled again); an unknown `{...}` stays as written.
pub fn fill_placeholders(arg: &str, action: &Action) -> String {
    let (name, site, device, status, event_type, webhook) = match action {
        Action::DeviceStatus { site_id, device_id, status } => {
            ("status", site_id.as_str(), device_id.as_str(), status.as_str(), "health", "")
        }
        Action::DeviceEvent { site_id, device_id, event_type, .. } => {
            ("event", site_id.as_str(), device_id.as_str(), "", event_type.as_str(), "")
        }
        Action::Ping { webhook_id } => ("ping", "", "", "", "ping", webhook_id.as_str()),
    };
    let data = action_data(action).to_string();
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let value = tail.find('}').and_then(|close| {
            let v = match &tail[1..close] {
                "action" => name,
                "site_id" => site,
                "device_id" => device,
                "status" => status,
                "event_type" => event_type,
                "webhook_id" => webhook,
                "data" => data.as_str(),
                _ => return None,
            };
            Some((v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &tail[close + 1..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs a program (no shell, so vendor ids cannot inject commands): the action's own command,
/// or none (the action is then unsupported and its check skipped).
#[derive(Debug)]
pub struct CommandTrigger {
    pub status_argv: Option<Vec<String>>,
    pub event_argv: Option<Vec<String>>,
    pub ping_argv: Option<Vec<String>>,
    pub timeout: Duration,
}

#[async_trait]
impl Trigger for CommandTrigger {
    fn kind(&self) -> &'static str {
        "command"
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        let own = match action {
            Action::DeviceStatus { .. } => &self.status_argv,
            Action::DeviceEvent { .. } => &self.event_argv,
            Action::Ping { .. } => &self.ping_argv,
        };
        let Some(own) = own else {
            return Err(TriggerError::Unsupported { trigger: "command", action: describe(action) });
        };
        let argv: Vec<String> = own.iter().map(|a| fill_placeholders(a, action)).collect();
        let (program, args) = argv.split_first().ok_or_else(|| TriggerError::Failed("empty command".into()))?;
        let child = tokio::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(self.timeout, child)
            .await
            .map_err(|_| {
                TriggerError::Failed(format!("`{program}` did not finish within {} s", self.timeout.as_secs()))
            })?
            .map_err(|e| TriggerError::Failed(format!("failed to run `{program}`: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stderr: String = stderr.chars().take(500).collect();
            return Err(TriggerError::Failed(format!("`{program}` exited with {}: {}", output.status, stderr.trim())));
        }
        Ok(format!("ran `{}` to {}", argv.join(" "), describe(action)))
    }
}

/// The mock vendor's control API.
pub struct MockControlTrigger {
    http: reqwest::Client,
    admin_url: String,
    token: Secret,
    /// The run's recording, where each control request goes with the admin token digested.
    har: Option<Arc<crate::har::HarRecorder>>,
}

impl std::fmt::Debug for MockControlTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockControlTrigger").field("admin_url", &self.admin_url).finish_non_exhaustive()
    }
}

impl MockControlTrigger {
    pub fn new(admin_url: &str, token: Secret) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self { http, admin_url: admin_url.trim_end_matches('/').to_owned(), token, har: None })
    }
}

#[async_trait]
impl Trigger for MockControlTrigger {
    fn kind(&self) -> &'static str {
        "mock-control"
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        let (device_id, path, body) = match action {
            Action::DeviceStatus { device_id, status, .. } => (device_id, "status", json!({"status": status})),
            Action::DeviceEvent { device_id, event_type, data, .. } => {
                (device_id, "events", json!({"event_type": event_type, "data": data}))
            }
            // The mock's pings go through its webhook API (WHM-4).
            Action::Ping { .. } => {
                return Err(TriggerError::Unsupported { trigger: "mock-control", action: describe(action) });
            }
        };
        let url = format!("{}/_mock/devices/{device_id}/{path}", self.admin_url);
        let started = std::time::Instant::now();
        let sent = self.http.post(&url).header("X-Admin-Token", self.token.expose()).json(&body).send().await;
        if let Some(har) = &self.har {
            let exchange = suites::Exchange {
                method: "POST".into(),
                url: url.clone(),
                request_headers: vec![
                    ("x-admin-token".into(), "[redacted]".into()),
                    ("content-type".into(), "application/json".into()),
                ],
                request_body: Some(body.to_string()),
                status: sent.as_ref().ok().map(|r| r.status().as_u16()),
                error: sent.as_ref().err().map(ToString::to_string),
                elapsed_ms: started.elapsed().as_millis() as u64,
                ..suites::Exchange::default()
            };
            har.exchange(&exchange, Some(&self.token));
        }
        let response = sent.map_err(|e| TriggerError::Failed(format!("POST {url}: {e}")))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            let detail = format!("POST {url} answered {status}");
            return Err(TriggerError::UnknownDevice { device_id: device_id.clone(), detail });
        }
        if !status.is_success() {
            return Err(TriggerError::Failed(format!("POST {url} answered {status}")));
        }
        Ok(format!("asked the mock's control API to {}", describe(action)))
    }
}

/// `ping` and `passive`: no way to make a device act.
#[derive(Debug)]
pub struct NoAction {
    kind: &'static str,
}

#[async_trait]
impl Trigger for NoAction {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        Err(TriggerError::Unsupported { trigger: self.kind, action: describe(action) })
    }
}

/// Asks an operator and waits for Enter (or the configured time).
#[derive(Debug)]
pub struct PromptTrigger {
    pub wait: Duration,
    pub non_interactive: bool,
}

#[async_trait]
impl Trigger for PromptTrigger {
    fn kind(&self) -> &'static str {
        "prompt"
    }

    async fn act(&self, action: &Action) -> Result<String, TriggerError> {
        if self.non_interactive {
            return Err(TriggerError::NonInteractive);
        }
        eprintln!(
            "\n>>> operator: please {} now, then press Enter (waiting up to {} s)",
            describe(action),
            self.wait.as_secs()
        );
        let line = async {
            use tokio::io::AsyncBufReadExt as _;
            let mut line = String::new();
            tokio::io::BufReader::new(tokio::io::stdin()).read_line(&mut line).await
        };
        match tokio::time::timeout(self.wait, line).await {
            Ok(Ok(_)) => Ok(format!("the operator confirmed: {}", describe(action))),
            _ => Ok(format!("asked the operator to {} and waited {} s", describe(action), self.wait.as_secs())),
        }
    }
}
