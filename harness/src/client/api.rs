//! `VendorApi` for the client: the boundary `suites` sees, each method a translation through the
//! profile onto the client's requests and walks.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value;
use suites::{
    Answer, ApiError, ApiErrorKind, Collection, Endpoints, Exchange, Fetched, Listing, PageAnswer, PageAsk, PageSeen,
    PageVisitor, Probe, VendorApi, WalkEnd,
};

use super::{VendorClient, json_excerpt, pointer_shown};
use crate::profile::RequestContext;

#[async_trait]
impl VendorApi for VendorClient {
    async fn account(&self) -> Result<Fetched, ApiError> {
        let endpoint = &self.profile.account;
        let probe = self.account_probe();
        let method = Method::from_bytes(probe.method.as_bytes()).unwrap_or(Method::GET);
        let response = self.send(method, self.url(&probe.path, &probe.query)?, probe.body).await?;
        let (doc, exchange) = self.read_json(response)?;
        let Some(raw) = doc.pointer(&endpoint.record).cloned() else {
            let message = format!(
                "the profile's record pointer `{}` matches nothing in the answer: {}",
                pointer_shown(&endpoint.record),
                json_excerpt(&doc)
            );
            return Err(ApiError::new(ApiErrorKind::Shape, message, vec![exchange]));
        };
        let record = self.profile.map_record(&raw, &endpoint.fields, &RequestContext::default());
        if let Some(id) = record.get("account_id").and_then(Value::as_str) {
            let _ = self.account_id.set(id.to_owned());
        }
        let mut exchange = exchange;
        // A required field the profile reads from nowhere in the answer: name the pointer.
        for (field, at) in
            self.profile.unmatched(std::slice::from_ref(&raw), &endpoint.fields, &RequestContext::default())
        {
            if crate::profile::required("account").contains(&field.as_str()) && endpoint.fields[&field].reads_record() {
                exchange.notes.push(format!(
                    "the profile reads the account's `{field}` from {at}, which matches nothing in the answer: {}",
                    suites::sync::PROFILE_MISTAKE
                ));
            }
        }
        Ok(Fetched { record, raw, exchange })
    }

    async fn sites(&self) -> Result<Listing, ApiError> {
        self.list(&Collection::Sites).await
    }

    async fn inventory(&self, site_id: &str) -> Result<Listing, ApiError> {
        self.list(&Collection::Inventory { site_id: site_id.to_owned() }).await
    }

    fn endpoints(&self) -> Endpoints {
        let p = &self.profile;
        Endpoints {
            account: p.account.path.clone(),
            sites: p.sites.path.clone(),
            inventory: p.inventory[0].path.clone(),
            webhooks: p.webhooks.collection.clone(),
            webhook: p.webhooks.item.clone(),
            webhook_ping: p.webhooks.ping.clone(),
            event_types: p.webhooks.catalogue_path().to_owned(),
            paging: p.paging(),
            auth: p.auth.kind(),
        }
    }

    fn rate_limited(&self) -> Vec<Exchange> {
        self.limited.lock().expect("limited lock").clone()
    }

    async fn probe(&self, probe: Probe) -> Result<Answer, ApiError> {
        let method = Method::from_bytes(probe.method.as_bytes())
            .map_err(|_| ApiError::new(ApiErrorKind::Config, format!("bad method `{}`", probe.method), vec![]))?;
        let url = self.url(&probe.path, &probe.query)?;
        let response = self.send_as(method, url, probe.body, &probe.auth).await?;
        let text = String::from_utf8_lossy(&response.body).into_owned();
        let json = serde_json::from_slice(&response.body).ok();
        Ok(Answer { status: response.status.as_u16(), json, text, exchange: response.exchange })
    }

    async fn walk(
        &self,
        collection: &Collection,
        per_page: Option<u64>,
        visit: &mut PageVisitor<'_>,
    ) -> Result<WalkEnd, ApiError> {
        self.walk_raw(collection, per_page, &mut |seen, _raw| visit(seen)).await
    }

    fn account_probe(&self) -> Probe {
        let endpoint = &self.profile.account;
        let mut probe = Probe::get(endpoint.path.clone());
        probe.method = endpoint.method.to_ascii_uppercase();
        probe.body = endpoint.body.clone();
        probe
    }

    fn page_probe(&self, collection: &Collection, ask: &PageAsk) -> Probe {
        let (endpoints, request) = self.parts(collection);
        self.page_request(endpoints[0], &request, ask)
    }

    fn webhook_api(&self) -> suites::WebhookApi {
        self.profile.webhooks.api()
    }

    fn catalogue_shape(&self) -> suites::CatalogueShape {
        self.profile.webhooks.catalogue.clone()
    }

    fn canonical_catalogue(&self, doc: Value) -> Value {
        self.profile.map_catalogue(doc)
    }

    fn body_error(&self, answer: &Answer) -> Option<String> {
        let doc = answer.json.as_ref().filter(|_| answer.is_success())?;
        self.profile.errors.as_ref()?.error_in(doc)
    }

    async fn ask_page(&self, collection: &Collection, ask: &PageAsk) -> Result<PageAnswer, ApiError> {
        let answer = self.probe(self.page_probe(collection, ask)).await?;
        let body_error = self.body_error(&answer);
        Ok(PageAnswer::read(answer, |a| self.read_page(collection, a), body_error))
    }
}

impl VendorClient {
    /// Reads an answer as one page of `collection`, as a walk would see it (records mapped through
    /// the profile, the pagination block as canonical fields); `None` when the answer holds no list
    /// where the profile says. `index` is the reported `page`, else 0. What
    /// [`VendorApi::ask_page`] reads its answer with.
    pub fn read_page(&self, collection: &Collection, answer: &Answer) -> Option<PageSeen> {
        let doc = answer.json.as_ref()?;
        let (endpoints, request) = self.parts(collection);
        let endpoint = endpoints[0];
        let items = doc.pointer(&endpoint.list)?.as_array()?;
        let mut seen = self.page_seen(doc, items, endpoint, &request, answer.exchange.clone(), (0, 0));
        seen.index = seen.page.unwrap_or(0);
        Some(seen)
    }
}
