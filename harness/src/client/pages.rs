//! Pages: the endpoints a collection is read from, the request for one page as the profile says,
//! and an answer read as a page (a list where the profile points, records mapped, the next page
//! named); `harness probe`'s first pages.

use reqwest::{Method, Url};
use serde_json::Value;
use suites::{ApiError, ApiErrorKind, Collection, Exchange, PageAsk, PageSeen, Probe, VendorApi as _, encode_segment};

use super::evidence::{json_excerpt, pointer_shown};
use super::{Response, VendorClient, walk};
use crate::profile::{FieldSource, FieldSpec, ListEndpoint, ParamLocation, RequestContext, RequestValue};

impl VendorClient {
    /// The endpoints whose union is a collection, and the request context their fields may read.
    pub(super) fn parts(&self, collection: &Collection) -> (Vec<&ListEndpoint>, RequestContext) {
        let account_id = self.account_id.get().cloned();
        match collection {
            Collection::Sites => (vec![&self.profile.sites], RequestContext { site_id: None, account_id }),
            Collection::Inventory { site_id } => {
                (self.profile.inventory.iter().collect(), RequestContext { site_id: Some(site_id.clone()), account_id })
            }
        }
    }

    /// [`Self::parts`], having read the account first when a field takes its id from it and it
    /// was not read yet (a walk before the sync).
    pub(super) async fn parts_read(&self, collection: &Collection) -> (Vec<&ListEndpoint>, RequestContext) {
        let needs_account = |e: &ListEndpoint| {
            e.fields.values().any(|spec| {
                matches!(spec, FieldSpec::Rule(r) if r.source == FieldSource::FromRequest(RequestValue::AccountId))
            })
        };
        let (endpoints, _) = self.parts(collection);
        if self.account_id.get().is_none() && endpoints.iter().any(|e| needs_account(e)) {
            // A failed read leaves the field missing, and the schema checks say so.
            let _ = self.account().await;
        }
        self.parts(collection)
    }

    /// The request for one page of `endpoint`: its path (site id filled), fixed query, method and
    /// body, with the page parameters of `ask` in the query or the body as the profile says.
    pub(super) fn page_request(&self, endpoint: &ListEndpoint, request: &RequestContext, ask: &PageAsk) -> Probe {
        let site = request.site_id.as_deref().unwrap_or_default();
        let mut probe = Probe::get(endpoint.path.replace("{site_id}", &encode_segment(site)));
        probe.method = endpoint.method.to_ascii_uppercase();
        probe.query = endpoint.query.iter().map(|(k, v)| (k.clone(), v.replace("{site_id}", site))).collect();
        probe.body = endpoint.body.clone().map(|mut body| {
            fill_site(&mut body, site);
            body
        });
        let p = &self.profile.pagination;
        let params = [
            (p.position_param(), ask.position.as_ref(), false),
            (p.size_param(), ask.size.as_ref(), false),
            (p.token().map(|t| t.0), ask.token.as_ref(), true),
            (p.past_end().map(|e| &e.param), ask.after.as_ref(), true),
        ];
        for (name, value, text) in params {
            let (Some(name), Some(value)) = (name, value) else { continue };
            match p.location() {
                ParamLocation::Query => probe.query.push((name.clone(), value.clone())),
                ParamLocation::Body => {
                    // Numbers as JSON numbers (a bad value such as `abc` stays a string).
                    let json = match value.parse::<i64>() {
                        Ok(n) if !text => Value::from(n),
                        _ => Value::String(value.clone()),
                    };
                    let body = probe.body.get_or_insert_with(|| Value::Object(Default::default()));
                    if let Some(obj) = body.as_object_mut() {
                        obj.insert(name.clone(), json);
                    }
                }
            }
        }
        probe
    }

    /// Sends a page request and reads the answer as a page: a 2xx JSON answer with no error
    /// flagged in its body and a list where the profile says.
    pub(super) async fn fetch_page(
        &self,
        method: Method,
        url: Url,
        body: Option<Value>,
        endpoint: &ListEndpoint,
    ) -> Result<(Value, Exchange), ApiError> {
        let response = self.send(method, url, body).await?;
        let doc = self.read_json(response)?;
        match doc.0.pointer(&endpoint.list) {
            Some(Value::Array(_)) => Ok(doc),
            other => {
                let what = pointer_shown(&endpoint.list);
                let message = if other.is_some() {
                    format!(
                        "the profile's list pointer `{what}` is not an array in the answer: {}",
                        json_excerpt(&doc.0)
                    )
                } else {
                    format!(
                        "the profile's list pointer `{what}` matches nothing in the answer: {}",
                        json_excerpt(&doc.0)
                    )
                };
                Err(ApiError::new(ApiErrorKind::Shape, message, vec![doc.1]))
            }
        }
    }

    /// A 2xx answer's JSON, unless its body signals an error the profile knows how to read.
    pub(super) fn read_json(&self, response: Response) -> Result<(Value, Exchange), ApiError> {
        if !response.status.is_success() {
            let message = format!("answered {}", response.status);
            return Err(ApiError::new(ApiErrorKind::Status, message, vec![response.exchange]));
        }
        let doc: Value = serde_json::from_slice(&response.body).map_err(|e| {
            ApiError::new(
                ApiErrorKind::InvalidJson,
                format!("the body is not JSON: {e}"),
                vec![response.exchange.clone()],
            )
        })?;
        if let Some(error) = self.profile.errors.as_ref().and_then(|e| e.error_in(&doc)) {
            let message = format!("answered {} with an error in its body: {error}", response.status);
            return Err(ApiError::new(ApiErrorKind::Status, message, vec![response.exchange]));
        }
        Ok((doc, response.exchange))
    }

    /// The first page of each endpoint of a collection (for `harness probe`): the request, the
    /// raw records, their canonical mapping and the pagination seen; or why it could not be read.
    pub async fn first_pages(&self, collection: &Collection) -> Vec<(String, Result<FirstPage, ApiError>)> {
        let (endpoints, request) = self.parts_read(collection).await;
        let paging = self.profile.paging();
        let mut out = Vec::new();
        for endpoint in endpoints {
            let probe = self.page_request(endpoint, &request, &PageAsk::first(&paging, None));
            let method = Method::from_bytes(probe.method.as_bytes()).unwrap_or(Method::GET);
            let shown = format!("{} {}", probe.method, endpoint.path);
            let result = match self.url(&probe.path, &probe.query) {
                Ok(url) => self.fetch_page(method, url, probe.body, endpoint).await,
                Err(e) => Err(e),
            };
            let page = result.map(|(doc, exchange)| {
                let raws = doc.pointer(&endpoint.list).and_then(Value::as_array).cloned().unwrap_or_default();
                let unmatched = self.profile.unmatched(&raws, &endpoint.fields, &request);
                let seen = self.page_seen(&doc, &raws, endpoint, &request, exchange, (1, 0));
                FirstPage { raws, unmatched, seen }
            });
            out.push((shown, page));
        }
        out
    }

    /// A `rel=next` link resolved against the page that named it; refused when it leaves the
    /// vendor's base URL (the credential would travel with it).
    pub(super) fn same_origin(&self, from: &Url, next: &str) -> Result<Url, ApiError> {
        let url = from.join(next).map_err(|e| {
            ApiError::new(ApiErrorKind::Shape, format!("the `rel=next` link `{next}` is not a URL: {e}"), vec![])
        })?;
        let base = Url::parse(&self.base_url).ok();
        let origin = |u: &Url| (u.scheme().to_owned(), u.host_str().map(str::to_owned), u.port_or_known_default());
        if base.as_ref().map(origin) != Some(origin(&url)) {
            let message = format!(
                "the `rel=next` link `{url}` leaves the vendor's base URL {}; the harness does not follow it (the credential would travel with it)",
                self.base_url
            );
            return Err(ApiError::new(ApiErrorKind::Shape, message, vec![]));
        }
        Ok(url)
    }

    /// An answer read as a page: its records mapped through `endpoint`'s fields, the next page
    /// it names (a cursor token, a `rel=next` link), and its pagination block as canonical fields
    /// (each `None` when absent or not a non-negative integer). `at` is (index, part).
    pub(super) fn page_seen(
        &self,
        doc: &Value,
        items: &[Value],
        endpoint: &ListEndpoint,
        request: &RequestContext,
        exchange: Exchange,
        (index, part): (u64, usize),
    ) -> PageSeen {
        let p = &self.profile.pagination;
        let number = |pointer: Option<&String>| pointer.and_then(|p| doc.pointer(p)).and_then(Value::as_u64);
        let next = walk::next_named(p, doc, &exchange);
        let after = p
            .past_end()
            .and_then(|e| items.last()?.pointer(endpoint.past_end_from.as_deref().unwrap_or(&e.from)))
            .and_then(walk::token_text);
        let [page, per_page, total_pages, total_count] = p.block();
        PageSeen {
            index,
            part,
            next,
            after,
            records: items.iter().map(|raw| self.profile.map_record(raw, &endpoint.fields, request)).collect(),
            page: number(page),
            per_page: number(per_page),
            total_pages: number(total_pages),
            total_count: number(total_count),
            exchange,
        }
    }
}

/// One endpoint's first page as `harness probe` shows it: the page as a walk sees it, with the
/// vendor's records beside it.
#[derive(Debug, Clone)]
pub struct FirstPage {
    pub raws: Vec<Value>,
    /// Canonical fields whose source is in no record of the page, and where the profile looked.
    pub unmatched: Vec<(String, String)>,
    pub seen: PageSeen,
}

/// Replaces `{site_id}` in every string of a request body template.
fn fill_site(v: &mut Value, site: &str) {
    match v {
        Value::String(s) if s.contains("{site_id}") => *s = s.replace("{site_id}", site),
        Value::Array(items) => items.iter_mut().for_each(|i| fill_site(i, site)),
        Value::Object(map) => map.values_mut().for_each(|i| fill_site(i, site)),
        _ => {}
    }
}
