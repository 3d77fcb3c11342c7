//! The fake vendors' list endpoints: a fixture paged the way one vendor pages (its parameters,
//! tokens, envelopes, end markers and refusals).

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// How a fake vendor splits a list into pages, in the image of one vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Query `pageSize` + `pageToken` → `{totalSize, nextPageToken ("" ends), prevPageToken, results}`.
    EagleEye,
    /// Query `perPage` + `startingAfter` (an id) → a root array, the next page in `Link`.
    Meraki,
    /// Query `page_size` + `page_token` → `{<key>: [...], next_page_token (null ends)}`.
    Verkada,
    /// Body `maxPageSize` + `lastEvaluatedKey` → `{error: false, <key>: [...], lastEvaluatedKey (null ends)}`;
    /// refusals are 200 `{error: true, errorMsg}`.
    Rhombus,
    /// Query `offset` + `pageSize` → `{data, offset, pageSize, count}`; larger pages are refused.
    Brivo,
}

impl Style {
    /// The page-size and position parameters.
    pub(crate) fn params(self) -> (&'static str, &'static str) {
        match self {
            Self::EagleEye => ("pageSize", "pageToken"),
            Self::Meraki => ("perPage", "startingAfter"),
            Self::Verkada => ("page_size", "page_token"),
            Self::Rhombus => ("maxPageSize", "lastEvaluatedKey"),
            Self::Brivo => ("pageSize", "offset"),
        }
    }
}

/// A vendor list endpoint over a fixture.
#[derive(Debug, Clone)]
pub(crate) struct Pager {
    style: Style,
    /// The envelope's list key (unused for Meraki's root arrays).
    key: &'static str,
    items: Vec<Value>,
    /// Pointer of an item's id (Meraki's `startingAfter` names the last item seen).
    id: &'static str,
    /// Only items whose value at the pointer equals the parameter's (a per-site filter).
    filter: Option<(&'static str, &'static str)>,
    /// Fields left out unless the `include` parameter names them (Eagle Eye).
    gated: &'static [&'static str],
    /// Whether the endpoint ignores page parameters and answers everything at once.
    paged: bool,
    /// The vendor's largest page: larger sizes are clamped silently (Brivo refuses them).
    max: u64,
    /// A page asked for after the last item repeats the last page (a PAGE-4 fault).
    pub(crate) past_end_repeats: bool,
}

impl Pager {
    pub(crate) fn new(style: Style, key: &'static str, items: Vec<Value>) -> Self {
        Self { style, key, items, id: "/id", filter: None, gated: &[], paged: true, max: 100, past_end_repeats: false }
    }

    pub(crate) fn id(mut self, pointer: &'static str) -> Self {
        self.id = pointer;
        self
    }

    pub(crate) fn filter(mut self, pointer: &'static str, param: &'static str) -> Self {
        self.filter = Some((pointer, param));
        self
    }

    pub(crate) fn gated(mut self, fields: &'static [&'static str]) -> Self {
        self.gated = fields;
        self
    }

    pub(crate) fn max(mut self, max: u64) -> Self {
        self.max = max;
        self
    }

    pub(crate) fn unpaged(mut self) -> Self {
        self.paged = false;
        self
    }

    /// The request's parameters: the JSON body's fields for Rhombus, else the query.
    pub(crate) fn request_params(&self, request: &Request) -> Vec<(String, String)> {
        if self.style != Style::Rhombus {
            return request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let Some(fields) = body.as_object() else { return Vec::new() };
        fields
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(s) => Some((k.clone(), s.clone())),
                other => Some((k.clone(), other.to_string())),
            })
            .collect()
    }

    pub(crate) fn refuse(&self, message: String) -> ResponseTemplate {
        match self.style {
            Style::Rhombus => ResponseTemplate::new(200).set_body_json(json!({"error": true, "errorMsg": message})),
            _ => ResponseTemplate::new(400).set_body_json(json!({"message": message})),
        }
    }
}

impl Respond for Pager {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let params = self.request_params(request);
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let include = param("include").unwrap_or_default();
        let items: Vec<Value> = self
            .items
            .iter()
            .filter(|item| {
                self.filter.is_none_or(|(pointer, name)| {
                    param(name).is_some_and(|want| item.pointer(pointer).and_then(Value::as_str) == Some(want))
                })
            })
            .map(|item| {
                let mut item = item.clone();
                for field in self.gated.iter().filter(|f| !include.split(',').any(|i| i == **f)) {
                    item.as_object_mut().unwrap().remove(*field);
                }
                item
            })
            .collect();
        let (size_param, position_param) = self.style.params();
        let size = match param(size_param).filter(|_| self.paged) {
            None if self.paged => 50,
            None => items.len().max(1) as u64,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n > self.max && self.style == Style::Brivo => {
                    return self.refuse(format!("{size_param} must be at most {}", self.max));
                }
                Ok(n) if n >= 1 => n.min(self.max),
                _ => return self.refuse(format!("{size_param} must be a whole number from 1")),
            },
        };
        let start = match param(position_param).filter(|_| self.paged) {
            None => 0,
            Some(text) => {
                let start = match self.style {
                    Style::Meraki => items
                        .iter()
                        .position(|i| i.pointer(self.id).and_then(Value::as_str) == Some(text))
                        .map(|n| n + 1),
                    Style::Brivo => text.parse::<usize>().ok(),
                    _ => text.strip_prefix("tok-").and_then(|n| n.parse::<usize>().ok()).filter(|&n| n <= items.len()),
                };
                match start {
                    Some(start) => start,
                    None => return self.refuse(format!("`{text}` is not a valid {position_param}")),
                }
            }
        };
        let start = if self.past_end_repeats && start >= items.len() {
            items.len().saturating_sub(size as usize)
        } else {
            start
        };
        let end = (start + size as usize).min(items.len());
        let page: Vec<Value> = items.get(start..end).unwrap_or_default().to_vec();
        let next = (end < items.len()).then(|| format!("tok-{end}"));
        let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
        match self.style {
            Style::EagleEye => ok(json!({
                "totalSize": items.len(),
                "nextPageToken": next.unwrap_or_default(),
                "prevPageToken": if start > 0 { format!("tok-{}", start.saturating_sub(size as usize)) } else { String::new() },
                "results": page,
            })),
            Style::Meraki => {
                let mut template = ok(Value::Array(page.clone()));
                // Absolute links, as Meraki writes them, on the host the request was sent to.
                let host = request.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                let mut first = request.url.clone();
                first.set_host(Some(host.split(':').next().unwrap_or(host))).unwrap();
                first.set_port(host.split(':').nth(1).and_then(|p| p.parse().ok())).unwrap();
                first
                    .query_pairs_mut()
                    .clear()
                    .extend_pairs(request.url.query_pairs().filter(|(k, _)| k != position_param));
                let mut link = format!("<{first}>; rel=first");
                if next.is_some() {
                    let last = page.last().and_then(|i| i.pointer(self.id)).and_then(Value::as_str).unwrap_or_default();
                    let mut to = first.clone();
                    to.query_pairs_mut().append_pair(position_param, last);
                    link.push_str(&format!(", <{to}>; rel=next"));
                }
                template = template.insert_header("link", link.as_str());
                template
            }
            Style::Verkada => ok(json!({self.key: page, "next_page_token": next})),
            Style::Rhombus if !self.paged => ok(json!({"error": false, self.key: page})),
            Style::Rhombus => ok(json!({"error": false, self.key: page, "lastEvaluatedKey": next})),
            Style::Brivo => ok(json!({"data": page, "offset": start, "pageSize": size, "count": items.len()})),
        }
    }
}
