//! FB-1: a full inventory sync of an account with no webhook works.

use super::FB_1;
use crate::act;
use crate::context::{ApiError, Blame, Context, VendorApi};
use crate::outcome::Outcome;
use crate::sync::InventorySync;

/// FB-1: a full inventory sync of an account with no webhook works.
pub async fn bootstrap(cx: &Context) -> Outcome {
    let (api, whose): (&dyn VendorApi, &str) = match &cx.second {
        Some(second) => (second.as_ref(), "the second account"),
        None => (cx.api.as_ref(), "the account"),
    };
    let mut notes = Vec::new();
    if cx.declared.capabilities.contains("webhook-management") {
        let answer = match api.probe(api.webhook_api().list_probe()).await {
            Ok(a) => a,
            Err(e) => return e.to_outcome(&format!("listing the webhooks of {whose}")).citing(FB_1),
        };
        if let Some(skip) = act::refused_token(&answer, &format!("listing the webhooks of {whose}")) {
            return skip;
        }
        let listed = api.webhook_api().read_list(answer.json.as_ref()).map(|all| all.len());
        match listed {
            Some(0) => notes.push(format!("{whose} has no webhook (its webhook list is empty)")),
            Some(n) => {
                return Outcome::skip(format!(
                    "{whose} has {n} webhooks, so its sync cannot show the bootstrapping state: configure `[second_account]` with an account that has none"
                ));
            }
            None => {
                return Outcome::skip(format!(
                    "listing the webhooks of {whose} answered {} without {}, so whether it has none is unknown (see webhooks.create-list)",
                    answer.status,
                    api.webhook_api().list_shown()
                ));
            }
        }
    } else if cx.second.is_none() && cx.inbox.is_some() {
        return Outcome::skip(
            "the account receives the run's webhook and the configuration has no `[second_account]` (with no webhook) to sync instead",
        );
    } else {
        notes.push(format!(
            "{whose} is assumed to have no webhook: the vendor does not declare `webhook-management` to list them"
        ));
    }
    let sync = InventorySync::fetch(api).await;
    let expected = "the account, its sites and every site's inventory answer while no webhook exists";
    let failed: Option<(String, &ApiError)> = match (&sync.account, &sync.sites) {
        (Err(e), _) => Some(("the account".into(), e)),
        (_, Err(e)) => Some(("the sites".into(), e)),
        _ => sync
            .inventories
            .iter()
            .find_map(|i| i.result.as_ref().err().map(|e| (format!("the inventory of site {}", i.site_id), e))),
    };
    let mut outcome = match failed {
        Some((what, e)) if e.kind.blame() == Blame::Vendor => {
            let mut outcome =
                e.to_outcome(&format!("syncing {whose} with no webhook: {what} could not be read")).citing(FB_1);
            outcome.expected = Some(expected.into());
            outcome
        }
        Some((what, e)) => e.to_outcome(&format!("syncing {whose}: {what} could not be read")).citing(FB_1),
        None => {
            let devices: usize =
                sync.inventories.iter().filter_map(|i| i.result.as_ref().ok()).map(|l| l.records.len()).sum();
            Outcome::pass(format!(
                "a full sync of {whose} ({} sites, {devices} devices) worked with no webhook registered",
                sync.inventories.len()
            ))
            .expected(expected)
        }
    };
    for note in notes {
        outcome = outcome.with_note(note);
    }
    outcome
}
