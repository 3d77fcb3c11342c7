//! What undoes itself when dropped: the receiver's answer switched for a scope, and throw-away
//! webhooks, always deleted.

use std::time::Duration;

use contract::Secret;

use crate::act;
use crate::context::{Context, Inbox, ReceiverAnswer, VendorApi};
use crate::outcome::{Exchange, Outcome};
use crate::webhook_api::{Creation, create_webhook};

/// The run's throw-away webhooks by id: their target and secret, for a ping request that names
/// them ([`crate::WebhookApi::ping_probe`]).
#[derive(Debug, Default)]
pub(crate) struct TempWebhooks(std::sync::Mutex<std::collections::HashMap<String, (String, Option<Secret>)>>);

impl std::ops::Deref for TempWebhooks {
    type Target = std::sync::Mutex<std::collections::HashMap<String, (String, Option<Secret>)>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

pub(crate) async fn temp_webhooks(cx: &Context) -> std::sync::Arc<TempWebhooks> {
    cx.memo(|| async { TempWebhooks::default() }).await
}

/// The receiver answers `answer` while this lives, and 200 again once it is dropped, whichever
/// way the check ends (an early return, a panic, the runner's timeout dropping the check).
#[derive(Debug)]
pub struct Answering<'a> {
    inbox: &'a dyn Inbox,
}

impl<'a> Answering<'a> {
    /// Starts answering `answer` for at most `window`.
    pub fn start(inbox: &'a dyn Inbox, answer: ReceiverAnswer, window: Duration) -> Self {
        inbox.answer_for(answer, window);
        Self { inbox }
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.inbox.answer_for(ReceiverAnswer::Ok, Duration::ZERO);
    }
}

/// A webhook a check registers for itself (a second secret to compare, a target to disable),
/// deleted when the check is done with it. Its secret is handed to the receiver and kept here
/// only to verify against: never in evidence.
#[derive(Debug)]
pub struct TempWebhook {
    api: std::sync::Arc<dyn VendorApi>,
    pub webhook_id: String,
    /// The path of its target URL, retired when it is deleted ([`act::retire_path`]).
    target_path: String,
    secret: Secret,
    /// The create answer, its secret redacted.
    pub exchange: Exchange,
    deleted: bool,
}

impl TempWebhook {
    /// Registers a webhook named after `purpose`, delivering to `target_url`, through the
    /// profile's create template. A vendor that cannot is the webhooks suite's finding (WHM-2),
    /// so here it is a missing precondition.
    pub async fn create(cx: &Context, purpose: &str, target_url: String) -> Result<Self, Outcome> {
        let name = format!("conformance-harness {purpose}");
        let Creation { answer, created } = match create_webhook(cx.api.as_ref(), &name, &target_url).await {
            Ok(creation) => creation,
            Err(e) if e.kind.blame() == crate::Blame::Harness => return Err(e.to_outcome("creating a webhook")),
            Err(e) => return Err(Outcome::skip(format!("creating a webhook failed ({e}); see the webhooks checks"))),
        };
        let refused = !answer.is_success() || cx.api.body_error(&answer).is_some();
        match (refused, created.id, created.secret) {
            (false, Some(id), Some(secret)) => {
                temp_webhooks(cx)
                    .await
                    .lock()
                    .expect("temp webhooks lock")
                    .insert(id.clone(), (target_url.clone(), Some(secret.clone())));
                Ok(Self {
                    api: cx.api.clone(),
                    webhook_id: id,
                    target_path: path_of(&target_url),
                    secret,
                    exchange: answer.exchange,
                    deleted: false,
                })
            }
            (true, id, _) => {
                // A vendor that answers an error yet creates the webhook still gets it deleted.
                if let Some(id) = id {
                    let _ = cx.api.probe(cx.api.webhook_api().delete_probe(&id)).await;
                }
                Err(Outcome::skip(format!("creating a webhook answered {} (see the webhooks checks)", answer.status))
                    .with_exchange(&answer.exchange))
            }
            (false, id, _) => {
                if let Some(id) = id {
                    let _ = cx.api.probe(cx.api.webhook_api().delete_probe(&id)).await;
                }
                Err(Outcome::skip("the create answer has no webhook id or no secret (see the webhooks checks)")
                    .with_exchange(&answer.exchange))
            }
        }
    }

    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Deletes it; returns a note on how that went, for evidence. Its deliveries from now on
    /// are no attempt of anything later checks watch.
    pub async fn delete(mut self, cx: &Context) -> String {
        self.deleted = true;
        act::retire_path(cx, &self.target_path);
        match self.api.probe(self.api.webhook_api().delete_probe(&self.webhook_id)).await {
            Ok(answer) => format!("deleted the check's webhook {} afterwards ({})", self.webhook_id, answer.status),
            Err(e) => format!("deleting the check's webhook {} afterwards failed: {e}", self.webhook_id),
        }
    }
}

impl Drop for TempWebhook {
    /// A check that ended without [`TempWebhook::delete`] (a panic, the runner's timeout) still
    /// leaves no webhook behind: the delete is sent from a task of its own.
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let api = self.api.clone();
            let probe = api.webhook_api().delete_probe(&self.webhook_id);
            runtime.spawn(async move {
                let _ = api.probe(probe).await;
            });
        }
    }
}

/// The path of a URL (`http://h:1/webhook/x?q` → `/webhook/x`).
pub(crate) fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/").to_owned()
}
